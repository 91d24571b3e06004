/*
 * tool.h - what a tool is, and the registry of all of them.
 *
 * A tool is one source file under src/mcp/tools/ that defines a
 * `const struct tool tool_<name>` and one line in src/mcp/tools/tools.def
 * that registers it.  The registry parses every schema once per process and
 * pre-renders the tools/list result, so the request loop does neither.
 */
#ifndef TOOL_H
#define TOOL_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/core/err.h"
#include "mcp/jsontext.h"

struct catalog;
struct config;
struct principal;
struct todo_store;

/* MCP ToolAnnotations hints (schema 2025-06-18); each is sent explicitly. */
enum tool_hint {
	TOOL_READ_ONLY = 1 << 0,   /* readOnlyHint: does not modify its environment */
	TOOL_DESTRUCTIVE = 1 << 1, /* destructiveHint: may delete or overwrite */
	TOOL_IDEMPOTENT = 1 << 2,  /* idempotentHint: repeating the call changes nothing more */
	TOOL_OPEN_WORLD = 1 << 3,  /* openWorldHint: talks to the world outside this server */
};

/* What a handler receives besides its arguments; all borrowed for the call. */
struct tool_ctx {
	const struct principal *principal; /* the verified caller; NULL never reaches a tool */
	const struct config *cfg;
	const char *request_id;
	struct todo_store *todos; /* the process's todo database */
};

/*
 * What a handler produces, held as JSON text (jsontext.h) so that the
 * response is written without building and printing a tree: content holds
 * the content array's blocks, comma-separated (p NULL while there is none);
 * structured the structuredContent object, for tools with an output schema;
 * is_error marks a tool-level failure (MCP: "isError": true, a result, not
 * a protocol error).  Filled through the tool_result_*() helpers below; the
 * dispatcher owns and frees both.
 */
struct tool_result {
	struct jsontext content;
	char *structured;
	bool is_error;
	int retry_after; /* TOOL_UNAVAILABLE: seconds the client is asked to wait */
};

/* A handler's return value when a service it needs cannot be reached now. */
#define TOOL_UNAVAILABLE (-2)

/*
 * A handler: validated arguments in, result out.  Returns 0 when *res holds a
 * result (success or a tool error), -1 on an internal failure (the caller
 * answers -32603 without detail and logs it), TOOL_UNAVAILABLE with
 * res->retry_after set when a service it needs (the todo database) cannot be
 * reached now (the caller answers 503 with Retry-After, or that element's
 * error inside a batch).
 */
typedef int (*tool_handler)(const struct tool_ctx *ctx, const cJSON *args, struct tool_result *res);

struct tool {
	const char *name;  /* ^[A-Za-z0-9_.-]{1,64}$ */
	const char *title; /* human-readable */
	const char *description;
	const char *input_schema;  /* JSON Schema text, "type":"object" */
	const char *output_schema; /* JSON Schema text, or NULL */
	unsigned hints;            /* enum tool_hint flags */
	tool_handler handler;      /* (its default scopes are on its line of tools.def) */
};

/* One registered tool with what the registry derived from it. */
struct tool_entry {
	const struct tool *tool;
	cJSON *input_schema;       /* parsed when the tool is first found or listed */
	cJSON *output_schema;      /* likewise; NULL when the tool has none */
	const char *const *scopes; /* the scopes a call needs (the catalogue's; borrowed) */
	size_t n_scopes;
};

struct tool_registry;

/*
 * Builds the registry from every tool in tools.def, with the scopes of the
 * catalogue (catalog.h) that scope_map, the operator's MCP_TOOL_SCOPES (may
 * be NULL), adjusts.  Fails (NULL, with ERR_CONFIG and one line in e) when
 * two tools share a name or the map is refused by catalog_load().  No
 * schema is parsed here: a request parses only the schemas it uses (a CGI
 * request runs one tool).  A schema that does not parse or is not an
 * object schema makes its tool unknown, with one log line (the unit tests
 * parse every schema).
 */
struct tool_registry *tool_registry_new(const char *scope_map, struct err *e);
void tool_registry_free(struct tool_registry *reg);

/* The entry named name, its schemas parsed, or NULL.  Borrowed from reg. */
const struct tool_entry *tool_registry_find(struct tool_registry *reg, const char *name);

/* The tools' names and scopes the registry was built with.  Borrowed from reg. */
const struct catalog *tool_registry_catalog(const struct tool_registry *reg);

/*
 * The tools/list result {"tools":[...]} rendered as compact JSON at the
 * first call and kept (NULL when a schema is unusable).  Borrowed from reg.
 */
const char *tool_registry_list_json(struct tool_registry *reg);

/*
 * The result helpers return 0, so that a handler can end with `return
 * tool_result_...(res, ...)`; memory is never short for them (err.h).
 */

/* Adds a {"type":"text","text":...} block to res->content. */
int tool_result_text(struct tool_result *res, const char *text);

/*
 * A tool-level failure: sets is_error and adds message as text (MCP tools
 * "Error Handling").
 */
int tool_result_error(struct tool_result *res, const char *message);

/*
 * Sets structuredContent to obj (takes ownership) and, for clients that read
 * only content, adds its serialisation as a text block (MCP 2025-06-18
 * "Structured Content": SHOULD also return it as text).
 */
int tool_result_structured(struct tool_result *res, cJSON *obj);

/*
 * Like tool_result_structured() for a document already written as JSON
 * text (jsontext.h; takes ownership of text, which must be one valid JSON
 * object: it goes into the response as it is).
 */
int tool_result_structured_text(struct tool_result *res, char *text);

/*
 * Like tool_result_structured_text() for a document written as a pair
 * (jsontext.h): its text block is the pair's escaped text, not escaped
 * again.  Takes both texts; p is left empty.
 */
int tool_result_structured_pair(struct tool_result *res, struct jsontext_pair *p);

/*
 * Writes res as the CallToolResult object {"content":[..],
 * "structuredContent":..,"isError":true} (the last two when present).
 */
void tool_result_write(struct jsontext *t, const struct tool_result *res);

/* Releases what a result holds; res itself is the caller's. */
void tool_result_clear(struct tool_result *res);

#endif /* TOOL_H */
