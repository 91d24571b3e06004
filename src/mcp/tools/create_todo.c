/*
 * create_todo - adds a todo for the caller.
 */
#include "mcp/tools/todo_common.h"

static int
create_todo(const struct tool_ctx *ctx, const cJSON *args, struct tool_result *res)
{
	const char *title = todo_arg_string(args, "title");
	const char *desc = todo_arg_string(args, "description");
	struct todo_owner owner;
	struct todo t;
	struct err e;

	if (!todo_owner_of(ctx, &owner, res))
		return 0;
	if (todo_create(ctx->todos, &owner, title, desc, &t, &e) != 0)
		return todo_fail(&e, res);
	return todo_reply(res, &t);
}

const struct tool tool_create_todo = {
    .name = "create_todo",
    .title = "Create a todo",
    .description =
        "Creates a todo owned by the caller. Title up to " TODO_TITLE_MAX_TEXT
        " characters, description up to " TODO_DESC_MAX_TEXT ". Returns the new todo with its id.",
    .input_schema = "{\"type\":\"object\",\"properties\":{" TODO_TITLE_PROP "," TODO_DESC_PROP "},"
                    "\"required\":[\"title\"],\"additionalProperties\":false}",
    .output_schema = TODO_OUTPUT_SCHEMA,
    .hints = 0,
    .handler = create_todo,
};
