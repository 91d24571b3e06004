/*
 * get_todo - reads one of the caller's todos.
 */
#include "mcp/tools/todo_common.h"

static int
get_todo(const struct tool_ctx *ctx, const cJSON *args, struct tool_result *res)
{
	const char *id = todo_arg_string(args, "todo_id");
	struct todo_owner owner;
	struct todo t;
	struct err e;

	if (!todo_owner_of(ctx, &owner, res))
		return 0;
	if (todo_get(ctx->todos, &owner, id, &t, &e) != 0)
		return todo_fail(&e, res);
	return todo_reply(res, &t);
}

const struct tool tool_get_todo = {
    .name = "get_todo",
    .title = "Get a todo",
    .description = "Returns one of the caller's todos by id.",
    .input_schema = "{\"type\":\"object\",\"properties\":{"
                    "\"todo_id\":{\"type\":\"string\",\"description\":\"The todo's id\"}},"
                    "\"required\":[\"todo_id\"],\"additionalProperties\":false}",
    .output_schema = TODO_OUTPUT_SCHEMA,
    .hints = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
    .handler = get_todo,
};
