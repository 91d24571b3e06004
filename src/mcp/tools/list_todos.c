/*
 * list_todos - pages through the caller's todos, oldest first.
 */
#include <stdio.h>

#include "mcp/tools/todo_common.h"

static int
list_todos(const struct tool_ctx *ctx, const cJSON *args, struct tool_result *res)
{
	const cJSON *done = cJSON_GetObjectItemCaseSensitive(args, "completed");
	const cJSON *limit = cJSON_GetObjectItemCaseSensitive(args, "limit");
	const char *cursor = todo_arg_string(args, "cursor");
	struct todo_owner owner;
	struct todo *items = NULL;
	char next[TODO_CURSOR_MAX];
	size_t n = 0, page = TODO_PAGE_DEFAULT;
	struct err e;
	struct jsontext j;

	if (!todo_owner_of(ctx, &owner, res))
		return 0;
	/* The schema made it an integer from 1 to TODO_PAGE_MAX. */
	if (cJSON_IsNumber(limit))
		page = (size_t)limit->valuedouble;
	if (todo_list(ctx->todos, &owner, cJSON_IsBool(done) ? cJSON_IsTrue(done) : -1, page,
	              cursor, &items, &n, next, &e) != 0)
		return todo_fail(&e, res);
	/* Written as text (jsontext.h): a tree of 20 todos cost more than the query. */
	jsontext_init(&j, 256 * (n + 1));
	jsontext_open(&j, '{');
	jsontext_name(&j, "todos");
	jsontext_open(&j, '[');
	for (size_t i = 0; i < n; i++) {
		jsontext_elem(&j);
		todo_json_write(&j, &items[i]);
	}
	jsontext_close(&j, ']');
	jsontext_name(&j, "next_cursor");
	if (next[0] != '\0')
		jsontext_string(&j, next);
	else
		jsontext_raw(&j, "null", 4);
	jsontext_close(&j, '}');
	todo_list_free(items, n);
	return tool_result_structured_text(res, jsontext_take(&j));
}

const struct tool tool_list_todos = {
    .name = "list_todos",
    .title = "List todos",
    .description = "Lists the caller's todos, oldest first, optionally only completed or open "
                   "ones. Pages of up to " TODO_PAGE_MAX_TEXT
                   " (default 20); pass next_cursor to get the next page.",
    .input_schema = "{\"type\":\"object\",\"properties\":{"
                    "\"completed\":{\"type\":\"boolean\","
                    "\"description\":\"Only completed (true) or open (false) todos\"},"
                    "\"limit\":{\"type\":\"integer\",\"minimum\":1,"
                    "\"maximum\":" TODO_PAGE_MAX_TEXT ","
                    "\"description\":\"Page size, at most " TODO_PAGE_MAX_TEXT "\"},"
                    "\"cursor\":{\"type\":\"string\","
                    "\"description\":\"next_cursor of the previous page\"}},"
                    "\"additionalProperties\":false}",
    .output_schema = "{\"type\":\"object\",\"properties\":{\"todos\":{\"type\":\"array\","
                     "\"items\":" TODO_OUTPUT_SCHEMA "},"
                     "\"next_cursor\":{\"type\":[\"string\",\"null\"]}},"
                     "\"required\":[\"todos\",\"next_cursor\"]}",
    .hints = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
    .handler = list_todos,
};
