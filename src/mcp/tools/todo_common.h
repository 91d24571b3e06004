/*
 * todo_common.h - what the five todo tools share: the caller's identity as
 * a row owner, the JSON shape of a todo, and store errors as tool errors.
 */
#ifndef TODO_COMMON_H
#define TODO_COMMON_H

#include <cJSON.h>
#include <stdbool.h>

#include "mcp/jsontext.h"
#include "mcp/todo_store.h"
#include "mcp/tool.h"

#define TODO_STR_(x) #x
#define TODO_STR(x)  TODO_STR_(x)

/* The limits as JSON Schema and prose text: the numbers live in todo_store.h. */
#define TODO_TITLE_MAX_TEXT TODO_STR(TODO_TITLE_MAX)
#define TODO_DESC_MAX_TEXT  TODO_STR(TODO_DESC_MAX)
#define TODO_PAGE_MAX_TEXT  TODO_STR(TODO_PAGE_MAX)

/* The input schema of a todo's title and description. */
#define TODO_TITLE_PROP                                                                            \
	"\"title\":{\"type\":\"string\",\"minLength\":1,"                                          \
	"\"maxLength\":" TODO_TITLE_MAX_TEXT ","                                                   \
	"\"description\":\"Short title, at most " TODO_TITLE_MAX_TEXT " characters\"}"
#define TODO_DESC_PROP                                                                             \
	"\"description\":{\"type\":\"string\","                                                    \
	"\"maxLength\":" TODO_DESC_MAX_TEXT ","                                                    \
	"\"description\":\"Details, at most " TODO_DESC_MAX_TEXT " characters\"}"

/* The output schema of one todo (JSON Schema text). */
#define TODO_SCHEMA_PROPS                                                                          \
	"\"id\":{\"type\":\"string\"},\"title\":{\"type\":\"string\"},"                            \
	"\"description\":{\"type\":\"string\"},\"completed\":{\"type\":\"boolean\"},"              \
	"\"created_at\":{\"type\":\"integer\"},\"updated_at\":{\"type\":\"integer\"}"
#define TODO_SCHEMA_REQUIRED                                                                       \
	"[\"id\",\"title\",\"description\",\"completed\",\"created_at\",\"updated_at\"]"
#define TODO_OUTPUT_SCHEMA                                                                         \
	"{\"type\":\"object\",\"properties\":{" TODO_SCHEMA_PROPS                                  \
	"},\"required\":" TODO_SCHEMA_REQUIRED "}"

/*
 * The owner of the caller's rows: the token's subject and organisation.
 * Returns false, with a tool error in res, when the token has no subject.
 */
bool todo_owner_of(const struct tool_ctx *ctx, struct todo_owner *o, struct tool_result *res);

/*
 * Writes a todo as a JSON object (its output schema, TODO_OUTPUT_SCHEMA),
 * with its text for the text block.
 */
void todo_json_write(struct jsontext_pair *p, const struct todo_view *t);

/*
 * The result of a tool that returns one todo: t as structuredContent (and
 * text).  Clears t.  Returns 0.
 */
int todo_reply(struct tool_result *res, struct todo *t);

/*
 * Turns a store refusal into the tool's result: a tool error (isError)
 * with the store's text for not-found, limits and cursors;
 * TOOL_UNAVAILABLE with Retry-After TODO_RETRY_AFTER when the database
 * cannot be reached now; -1 (an internal error, already logged) for the rest.
 */
int todo_fail(const struct err *e, struct tool_result *res);

/* A string argument, or NULL when absent. */
const char *todo_arg_string(const cJSON *args, const char *name);

#endif /* TODO_COMMON_H */
