/*
 * dispatch.h - JSON-RPC messages in, MCP responses out.
 *
 * Parses a request body, classifies each message (single or batch),
 * dispatches requests to the MCP methods (initialize, ping, tools/list,
 * tools/call, logging/setLevel) and records the HTTP status, the JSON body
 * and what each message came to in the request's outcome.  Every JSON-RPC
 * error response to a message is made here.
 */
#ifndef DISPATCH_H
#define DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct limits;
struct outcome;
struct principal;
struct tool_registry;
struct todo_store;

/*
 * JSON-RPC error code for a call refused for missing scopes (implementation
 * defined range, JSON-RPC 2.0 §5.1); the HTTP answer is 403 with an
 * RFC 6750 §3.1 insufficient_scope challenge.
 */
#define MCP_ERROR_INSUFFICIENT_SCOPE (-32003)

/*
 * JSON-RPC error code for a call whose tool needs a service that cannot be
 * reached now (the todo database); the HTTP answer is 503 with Retry-After,
 * and the error's data is {"retryAfter": seconds}.
 */
#define MCP_ERROR_UNAVAILABLE (-32004)

/* What the dispatcher needs for one HTTP request; all borrowed. */
struct dispatch_ctx {
	struct tool_registry *reg; /* parses schemas as they are used */
	const struct config *cfg;
	const struct principal *principal; /* the verified caller */
	const char *protocol_version;      /* from MCP-Protocol-Version, or the default */
	const char *request_id;
	struct todo_store *todos;
	struct limits *limits; /* the rate limits; NULL: none */
};

/*
 * Answers one request body of len bytes (need not be NUL-terminated) into
 * *out (which it first clears): status 200 with the JSON-RPC response(s),
 * 202 without a body for notifications and responses, 400 for a body that
 * is no acceptable message, 403 with OUTCOME_AUTH_SCOPE and the scopes
 * needed for a single call refused for scope, 503 with out->retry_after
 * for a single call whose tool's service is unavailable (in a batch: that
 * element's -32004 error, the batch's 200 carrying retry_after, since its
 * other elements ran and must not be sent again), 429 with out->limit for
 * a single request refused by a rate limit.  Each request message of a
 * batch is counted and refused alone; the batch answers 429 only when
 * every response in it is a rate-limit refusal, else 200 (with out->limit
 * set when an element was refused).  Every message is recorded in
 * out->msgs.  Never fails: an internal failure becomes a -32603 response.
 */
void dispatch_body(const struct dispatch_ctx *ctx, const char *body, size_t len,
                   struct outcome *out);

#endif /* DISPATCH_H */
