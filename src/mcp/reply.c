/*
 * reply.c - rendering the outcome of a request.
 */
#include "mcp/reply.h"

#include <stddef.h>
#include <stdio.h>

#include "lib/auth/auth.h"
#include "lib/config/config.h"
#include "lib/http/request.h"
#include "mcp/outcome.h"
#include "mcp/transport.h"

#define JSON_TYPE "application/json"

/*
 * Access-Control-* headers: the origin's grant for an allowed Origin only
 * (refusals of a foreign one get none), and what a preflight asks about.
 */
static void
add_cors(const struct config *cfg, const struct request *req, const struct outcome *o,
         struct response *res)
{
	if (transport_origin_allowed(cfg, req->origin)) {
		response_header(res, "Access-Control-Allow-Origin", "%s", req->origin);
		response_header(res, "Access-Control-Expose-Headers", "%s",
		                TRANSPORT_EXPOSE_HEADERS);
		response_header(res, "Vary", "Origin");
	}
	if (o->kind != OUTCOME_PREFLIGHT)
		return;
	response_header(res, "Access-Control-Allow-Methods", "%s", TRANSPORT_ALLOW);
	response_header(res, "Access-Control-Allow-Headers", "%s", TRANSPORT_ALLOW_HEADERS);
	response_header(res, "Access-Control-Max-Age", "%d", TRANSPORT_PREFLIGHT_MAX_AGE);
}

/* WWW-Authenticate (RFC 6750 §3) or Retry-After, as the outcome's auth says. */
static void
add_challenge(const struct config *cfg, const struct outcome *o, struct response *res)
{
	char challenge[2048], description[600];

	switch (o->auth) {
	case OUTCOME_AUTH_NONE:
		return;
	case OUTCOME_AUTH_UNAVAILABLE:
		response_header(res, "Retry-After", "30");
		break;
	case OUTCOME_AUTH_MISSING:
		auth_challenge(cfg, NULL, NULL, NULL, challenge, sizeof(challenge));
		response_header(res, "WWW-Authenticate", "%s", challenge);
		break;
	case OUTCOME_AUTH_INVALID:
	case OUTCOME_AUTH_MALFORMED:
		auth_challenge(
		    cfg, o->auth == OUTCOME_AUTH_INVALID ? "invalid_token" : "invalid_request",
		    o->reason, NULL, challenge, sizeof(challenge));
		response_header(res, "WWW-Authenticate", "%s", challenge);
		break;
	case OUTCOME_AUTH_SCOPE:
		/* The scopes are checked tokens without quotes or backslashes (RFC 6749 §3.3). */
		snprintf(description, sizeof(description), "the request needs %s", o->needs);
		auth_challenge(cfg, "insufficient_scope", description, o->scope, challenge,
		               sizeof(challenge));
		response_header(res, "WWW-Authenticate", "%s", challenge);
		return;
	}
	/* A refused credential is no cacheable answer. */
	response_header(res, "Cache-Control", "no-store");
}

/*
 * When to try again: a tool's service is unavailable, or a rate limit
 * refused (RFC 9110 §10.2.3; one header, the later of the two).  A rate
 * limit's refusal also carries the RateLimit-Policy and RateLimit fields of
 * draft-ietf-httpapi-ratelimit-headers (-10): Structured Field lists of one
 * String item, the policy's name, with q (quota) and w (window, seconds),
 * then r (remaining: none) and t (seconds until the quota admits a request
 * again).
 */
static void
add_retry(const struct outcome *o, struct response *res)
{
	const struct outcome_limit *l = &o->limit;
	long long retry = o->retry_after;

	if (l->quota > 0 && l->retry_after > retry)
		retry = l->retry_after;
	if (retry > 0)
		response_header(res, "Retry-After", "%lld", retry);
	if (l->quota == 0)
		return;
	response_header(res, "RateLimit-Policy", "\"%s\";q=%lld;w=%lld", l->policy, l->quota,
	                l->window);
	response_header(res, "RateLimit", "\"%s\";r=0;t=%lld", l->policy, l->retry_after);
}

int
reply_send(const struct config *cfg, struct request *req, const struct outcome *o)
{
	struct response res;

	response_init(&res, o->status);
	if (o->status == 405 || o->kind == OUTCOME_PREFLIGHT)
		response_header(&res, "Allow", "%s", TRANSPORT_ALLOW);
	add_challenge(cfg, o, &res);
	add_retry(o, &res);
	add_cors(cfg, req, o, &res);
	return request_send(req, &res, o->body != NULL ? JSON_TYPE : NULL, o->body, o->body_len);
}
