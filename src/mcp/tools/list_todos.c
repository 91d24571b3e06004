/*
 * list_todos - pages through the caller's todos, oldest first.
 */
#include "mcp/tools/todo_common.h"

/* Each todo of the page, written as it comes from the database. */
static void
write_todo(void *arg, const struct todo_view *t)
{
	struct jsontext_pair *p = arg;

	jsontext_pair_elem(p);
	todo_json_write(p, t);
}

static int
list_todos(const struct tool_ctx *ctx, const cJSON *args, struct tool_result *res)
{
	const cJSON *done = cJSON_GetObjectItemCaseSensitive(args, "completed");
	const cJSON *limit = cJSON_GetObjectItemCaseSensitive(args, "limit");
	const char *cursor = todo_arg_string(args, "cursor");
	struct todo_owner owner;
	char next[TODO_CURSOR_MAX];
	size_t page = TODO_PAGE_DEFAULT;
	struct err e;
	struct jsontext_pair p;

	if (!todo_owner_of(ctx, &owner, res))
		return 0;
	/* The schema made it an integer from 1 to TODO_PAGE_MAX. */
	if (cJSON_IsNumber(limit))
		page = (size_t)limit->valuedouble;
	/* Written as text (jsontext.h), each row straight from the database. */
	jsontext_pair_init(&p, 256 * (page + 1));
	jsontext_pair_open(&p, '{');
	jsontext_pair_name(&p, "todos");
	jsontext_pair_open(&p, '[');
	if (todo_list_each(ctx->todos, &owner, cJSON_IsBool(done) ? cJSON_IsTrue(done) : -1, page,
	                   cursor, write_todo, &p, next, &e) != 0) {
		jsontext_pair_free(&p);
		return todo_fail(&e, res);
	}
	jsontext_pair_close(&p, ']');
	jsontext_pair_name(&p, "next_cursor");
	if (next[0] != '\0')
		jsontext_pair_string(&p, next);
	else
		JSONTEXT_PAIR_LIT(&p, "null", "null");
	jsontext_pair_close(&p, '}');
	return tool_result_structured_pair(res, &p);
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
