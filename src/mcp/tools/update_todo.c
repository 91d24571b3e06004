/*
 * update_todo - changes fields of one of the caller's todos.
 */
#include "mcp/tools/todo_common.h"

static int
update_todo(const struct tool_ctx *ctx, const cJSON *args, struct tool_result *res)
{
	const char *id = todo_arg_string(args, "todo_id");
	const char *title = todo_arg_string(args, "title");
	const char *desc = todo_arg_string(args, "description");
	const cJSON *done = cJSON_GetObjectItemCaseSensitive(args, "completed");
	struct todo_owner owner;
	struct todo t;
	struct err e;

	if (!todo_owner_of(ctx, &owner, res))
		return 0;
	if (todo_update(ctx->todos, &owner, id, title, desc,
	                cJSON_IsBool(done) ? cJSON_IsTrue(done) : -1, &t, &e) != 0)
		return todo_fail(&e, res);
	return todo_reply(res, &t);
}

const struct tool tool_update_todo = {
    .name = "update_todo",
    .title = "Update a todo",
    .description = "Changes the title, description or completion of one of the caller's todos; "
                   "fields left out stay as they are. Returns the todo afterwards.",
    .input_schema =
        "{\"type\":\"object\",\"properties\":{"
        "\"todo_id\":{\"type\":\"string\",\"description\":\"The todo's id\"}," TODO_TITLE_PROP
        "," TODO_DESC_PROP ","
        "\"completed\":{\"type\":\"boolean\"}},"
        "\"required\":[\"todo_id\"],\"additionalProperties\":false}",
    .output_schema = TODO_OUTPUT_SCHEMA,
    .hints = TOOL_DESTRUCTIVE | TOOL_IDEMPOTENT,
    .handler = update_todo,
};
