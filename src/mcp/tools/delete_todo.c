/*
 * delete_todo - removes one of the caller's todos.
 */
#include "mcp/tools/todo_common.h"

static int
delete_todo(const struct tool_ctx *ctx, const cJSON *args, struct tool_result *res)
{
	const char *id = todo_arg_string(args, "todo_id");
	struct todo_owner owner;
	struct err e;
	cJSON *o;

	if (!todo_owner_of(ctx, &owner, res))
		return 0;
	if (todo_delete(ctx->todos, &owner, id, &e) != 0)
		return todo_fail(&e, res);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddTrueToObject(o, "deleted");
	return tool_result_structured(res, o);
}

const struct tool tool_delete_todo = {
    .name = "delete_todo",
    .title = "Delete a todo",
    .description = "Deletes one of the caller's todos for good.",
    .input_schema = "{\"type\":\"object\",\"properties\":{"
                    "\"todo_id\":{\"type\":\"string\",\"description\":\"The todo's id\"}},"
                    "\"required\":[\"todo_id\"],\"additionalProperties\":false}",
    .output_schema = "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
                     "\"deleted\":{\"type\":\"boolean\"}},\"required\":[\"id\",\"deleted\"]}",
    .hints = TOOL_DESTRUCTIVE | TOOL_IDEMPOTENT,
    .handler = delete_todo,
};
