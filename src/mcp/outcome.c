/*
 * outcome.c - building the request outcome.
 */
#include "mcp/outcome.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp/jsonrpc.h"
#include "mcp/jsontext.h"

/* OAuth error body members and codes (RFC 6749 §5.2, RFC 6750 §3.1). */
#define OAUTH_ERROR       "error"
#define OAUTH_DESCRIPTION "error_description"

/* Takes the text written in t as the body. */
static void
set_body(struct outcome *o, struct jsontext *t)
{
	o->body_len = t->n;
	o->body = jsontext_take(t);
}

/* The body: a JSON-RPC error response with id null. */
static void
set_error_body(struct outcome *o, int code, const char *message)
{
	struct jsontext t;

	jsontext_init(&t, 128 + strlen(message));
	jsonrpc_write_error(&t, NULL, code, message, 0);
	set_body(o, &t);
}

void
outcome_refuse(struct outcome *o, int status, const char *why)
{
	outcome_clear(o);
	o->kind = OUTCOME_REFUSED;
	o->status = status;
	snprintf(o->reason, sizeof(o->reason), "%s", why);
	set_error_body(o, JSONRPC_INVALID_REQUEST, why);
}

void
outcome_preflight(struct outcome *o)
{
	outcome_clear(o);
	o->kind = OUTCOME_PREFLIGHT;
	o->status = 204;
}

/* The OAuth error code of an authentication refusal (RFC 6750 §3.1, RFC 6749 §5.2). */
static const char *
error_code(enum outcome_auth auth)
{
	switch (auth) {
	case OUTCOME_AUTH_INVALID:
		return "invalid_token";
	case OUTCOME_AUTH_MALFORMED:
		return "invalid_request";
	case OUTCOME_AUTH_UNAVAILABLE:
		return "temporarily_unavailable";
	default:
		return "unauthorized";
	}
}

void
outcome_unauthorized(struct outcome *o, enum outcome_auth auth, const char *reason)
{
	struct jsontext doc;

	outcome_clear(o);
	o->kind = OUTCOME_UNAUTHORIZED;
	o->auth = auth;
	o->status = auth == OUTCOME_AUTH_UNAVAILABLE ? 503
	            : auth == OUTCOME_AUTH_MALFORMED ? 400
	                                             : 401;
	snprintf(o->reason, sizeof(o->reason), "%s", reason);
	jsontext_init(&doc, 128 + strlen(reason));
	jsontext_open(&doc, '{');
	jsontext_member_string(&doc, OAUTH_ERROR, error_code(auth));
	jsontext_member_string(&doc, OAUTH_DESCRIPTION,
	                       auth == OUTCOME_AUTH_MISSING ? "a Bearer access token is required"
	                                                    : reason);
	jsontext_close(&doc, '}');
	set_body(o, &doc);
}

void
outcome_rate_limited(struct outcome *o, const struct outcome_limit *lim)
{
	outcome_clear(o);
	o->kind = OUTCOME_RATE_LIMITED;
	o->status = 429;
	o->limit = *lim;
	snprintf(o->reason, sizeof(o->reason), "rate limited");
	set_error_body(o, MCP_ERROR_RATE_LIMITED,
	               "rate limited: too many requests without a valid token");
}

void
outcome_clear(struct outcome *o)
{
	free(o->body);
	/* The message table is zeroed entry by entry as outcome_next_msg hands them out. */
	memset(o, 0, offsetof(struct outcome, msgs));
	o->n_msgs = 0;
	o->batch = false;
}

struct outcome_msg *
outcome_next_msg(struct outcome *o)
{
	struct outcome_msg *m;

	/* Batches are refused past JSONRPC_BATCH_MAX before any element is read. */
	if (o->n_msgs < JSONRPC_BATCH_MAX)
		o->n_msgs++;
	m = &o->msgs[o->n_msgs - 1];
	memset(m, 0, sizeof(*m));
	return m;
}
