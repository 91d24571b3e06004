/*
 * dispatch.h - JSON-RPC messages in, MCP responses out.
 *
 * Parses a request body, classifies each message (single or batch),
 * dispatches requests to the MCP methods (initialize, ping, tools/list,
 * tools/call, logging/setLevel) and renders the HTTP status and JSON body.
 * Every JSON-RPC error object is made here and nowhere else.
 */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct principal;
struct tool_registry;
struct todo_store;

/*
 * JSON-RPC error code for a call refused for missing scopes (implementation
 * defined range, JSON-RPC 2.0 §5.1); the HTTP answer is 403 with an
 * RFC 6750 §3.1 insufficient_scope challenge.
 */
#define MCP_ERROR_INSUFFICIENT_SCOPE (-32003)

/* MCP protocol revisions this server speaks, newest first. */
#define MCP_VERSION_LATEST  "2025-11-25"
#define MCP_VERSION_DEFAULT "2025-03-26" /* assumed without MCP-Protocol-Version */
#define MCP_SERVER_NAME     "mcp-fcgi"
#ifndef MCP_SERVER_VERSION
#define MCP_SERVER_VERSION "0.1.0"
#endif

/* True when version is one this server speaks. */
bool dispatch_version_supported(const char *version);

/* What the dispatcher needs for one HTTP request; all borrowed. */
struct dispatch_ctx {
	const struct tool_registry *reg;
	const struct config *cfg;
	const struct principal *principal; /* the verified caller */
	const char *protocol_version;      /* from MCP-Protocol-Version, or the default */
	const char *request_id;
	struct todo_store *todos;
};

/* The outcome, for the HTTP layer and the audit line. */
struct dispatch_out {
	int status; /* 200, 202 (no body), 400, 403 (insufficient scope) */
	char *body; /* compact JSON (caller frees with free()), NULL for 202 */
	size_t body_len;
	char method[64]; /* first message's method, for the audit line ("" when none) */
	char tool[64];   /* tools/call's tool name when it named a registered tool */
	int rpc_error;   /* first JSON-RPC error code sent, 0 when none */
	char scope[512]; /* status 403: every scope the refused call needs, space-separated */
	bool tool_error; /* a tool returned isError */
};

/*
 * Handles one request body of len bytes (need not be NUL-terminated).  Never
 * fails: an internal failure becomes a -32603 response (HTTP 500 if even
 * that cannot be rendered, with body NULL).  The caller frees out->body.
 */
void dispatch_body(const struct dispatch_ctx *ctx, const char *body, size_t len,
                   struct dispatch_out *out);

/*
 * The body of an HTTP-level refusal (415, 406, 405, 413, ...): a JSON-RPC
 * error -32600 with id null and message (fixed text).  Returns a string the
 * caller frees with free() and sets *len, or NULL on ENOMEM.
 */
char *dispatch_refusal_body(const char *message, size_t *len);

#endif /* DISPATCH_H */
