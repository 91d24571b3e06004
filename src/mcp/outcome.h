/*
 * outcome.h - how one request ended: the one value that the transport
 * checks, the authentication step and the dispatcher each produce, that
 * reply.c renders to the wire and audit.c writes to the audit trail.
 */
#ifndef MCP_OUTCOME_H
#define MCP_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

#include "mcp/jsonrpc.h"

/* Who decided. */
enum outcome_kind {
	OUTCOME_ANSWERED = 0, /* the dispatcher answered the JSON-RPC body */
	OUTCOME_REFUSED,      /* an HTTP rule of the transport refused the request */
	OUTCOME_PREFLIGHT,    /* a CORS preflight was answered */
	OUTCOME_UNAUTHORIZED, /* no token, a refused one, or no keys to check it */
	OUTCOME_RATE_LIMITED, /* refused authentication past MCP_RATE_LIMIT_ANON: 429 */
};

/*
 * JSON-RPC error code of a message refused by a rate limit (implementation
 * defined range, JSON-RPC 2.0 §5.1); the HTTP answer is 429.
 */
#define MCP_ERROR_RATE_LIMITED (-32029)

/*
 * A rate limit that refused (limits.h): the policy's name, quota and
 * window (RateLimit-Policy), and the seconds until a request passes again
 * (Retry-After, and RateLimit's t).  quota 0: none refused.
 */
struct outcome_limit {
	char policy[80];
	long long quota, window, retry_after;
};

/* The RFC 6750 §3 challenge (or its absence) the response carries. */
enum outcome_auth {
	OUTCOME_AUTH_NONE = 0,
	OUTCOME_AUTH_MISSING,   /* 401 without an error code: no credentials (§3.1) */
	OUTCOME_AUTH_MALFORMED, /* 400 error="invalid_request": malformed or doubled credentials */
	OUTCOME_AUTH_INVALID,   /* 401 error="invalid_token" */
	OUTCOME_AUTH_UNAVAILABLE, /* 503 with Retry-After: no usable keys */
	OUTCOME_AUTH_SCOPE,       /* 403 error="insufficient_scope" with scope */
};

/* What one JSON-RPC message of the body came to, for the audit line. */
struct outcome_msg {
	char method[64]; /* "" for a response or an invalid message */
	char tool[64];   /* tools/call: the registered tool it named, else "" */
	int rpc_error;   /* the JSON-RPC error code answered, 0 when none */
	char needs[256]; /* refused for scope: every scope the call needs, else "" */
	bool limited;    /* refused by a rate limit */
};

struct outcome {
	enum outcome_kind kind;
	enum outcome_auth auth;
	int status; /* HTTP status */
	char *body; /* JSON body (owned), NULL for none */
	size_t body_len;
	char reason[192]; /* why refused or challenged: fixed text, safe to send and log */
	/*
	 * OUTCOME_AUTH_SCOPE: the challenge's scope - what the refused calls
	 * need and the scopes the token already holds that the server knows, so
	 * a client that re-authorises keeps what it had (MCP 2025-11-25
	 * authorization, scope challenge handling) - and what the calls need.
	 */
	char scope[512];
	char needs[512];
	struct outcome_limit limit; /* the refusing rate limit of the last message it refused */
	int retry_after; /* > 0: the Retry-After header (seconds): a tool's service is down */
	struct outcome_msg msgs[JSONRPC_BATCH_MAX]; /* the body's messages, in order */
	size_t n_msgs;
	bool batch; /* the body was a JSON-RPC batch */
};

/*
 * An HTTP-level refusal (403 foreign Host/Origin, 405, 406, 413, 415, 400
 * bad header or body): status, why (fixed text) and a JSON-RPC error body
 * -32600 with id null.  Replaces whatever *o held.
 */
void outcome_refuse(struct outcome *o, int status, const char *why);

/* A CORS preflight answer (204). */
void outcome_preflight(struct outcome *o);

/*
 * An authentication refusal: auth MISSING, INVALID (401), MALFORMED (400)
 * or UNAVAILABLE (503), reason the fixed text that becomes
 * error_description, and the OAuth-style JSON error body.
 */
void outcome_unauthorized(struct outcome *o, enum outcome_auth auth, const char *reason);

/*
 * A request refused by the anonymous rate limit: 429, lim's policy, and a
 * JSON-RPC error body MCP_ERROR_RATE_LIMITED with id null.
 */
void outcome_rate_limited(struct outcome *o, const struct outcome_limit *lim);

/*
 * Frees the body and empties *o: every member zeroed, no message recorded
 * (the table's entries are zeroed as outcome_next_msg hands them out, not
 * all 32 at every request).
 */
void outcome_clear(struct outcome *o);

/*
 * The zeroed audit record of the body's next message.  Batches are refused
 * past JSONRPC_BATCH_MAX before any element is read, so the table never
 * overflows; were it full, the last record would be reused.
 */
struct outcome_msg *outcome_next_msg(struct outcome *o);

#endif /* MCP_OUTCOME_H */
