/*
 * transport.c - Streamable HTTP request rules.
 */
#include "mcp/transport.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/config/config.h"
#include "lib/http/request.h"
#include "mcp/outcome.h"
#include "mcp/protocol.h"

/* Skips optional white space (RFC 9110 §5.6.3). */
static const char *
skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* True when the media type at s (up to ';', ',' or end) equals type, case-insensitively. */
static bool
media_type_is(const char *s, size_t len, const char *type)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len == strlen(type) && strncasecmp(s, type, len) == 0;
}

bool
transport_content_type_json(const char *ct)
{
	if (ct == NULL)
		return false;
	ct = skip_ows(ct);
	return media_type_is(ct, strcspn(ct, ";"), "application/json");
}

/* True when the parameters of one Accept element carry q=0 (RFC 9110 §12.4.2). */
static bool
q_is_zero(const char *params, size_t len)
{
	const char *p = params;

	while ((p = memchr(p, ';', len - (size_t)(p - params))) != NULL) {
		p = skip_ows(p + 1);
		if ((size_t)(p - params) + 2 <= len && strncasecmp(p, "q=", 2) == 0) {
			p += 2;
			/* "0", "0.", "0.0", "0.00", "0.000" */
			if (*p != '0')
				return false;
			for (p++; (size_t)(p - params) < len && (*p == '.' || *p == '0'); p++)
				;
			return (size_t)(p - params) >= len || *p == ';' || *p == ' ' || *p == ',';
		}
	}
	return false;
}

bool
transport_accepts_json(const char *accept)
{
	const char *p = accept;

	if (accept == NULL)
		return true;
	while (*p != '\0') {
		size_t len, tlen;

		p = skip_ows(p);
		len = strcspn(p, ",");
		tlen = strcspn(p, ";,");
		if ((media_type_is(p, tlen, "application/json") ||
		     media_type_is(p, tlen, "application/*") || media_type_is(p, tlen, "*/*")) &&
		    !q_is_zero(p, len))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

bool
transport_origin_allowed(const struct config *cfg, const char *origin)
{
	return origin != NULL &&
	       (cfg->any_origin || strlist_contains_ci(&cfg->allowed_origins, origin));
}

bool
transport_peer_ok(const struct config *cfg, const struct request *req, struct outcome *out)
{
	/* DNS rebinding: a browser page on an attacker's name resolving to us sends its own Host.
	 */
	if (req->host == NULL || !strlist_contains_ci(&cfg->allowed_hosts, req->host)) {
		outcome_refuse(out, 403, "Host not allowed");
		return false;
	}
	/* MCP transports: servers MUST validate the Origin header on all incoming connections. */
	if (req->origin != NULL && !transport_origin_allowed(cfg, req->origin)) {
		outcome_refuse(out, 403, "Origin not allowed");
		return false;
	}
	return true;
}

bool
transport_is_preflight(const struct request *req)
{
	return strcmp(req->method, "OPTIONS") == 0;
}

/* The rule a POST breaks, with *status; NULL when it breaks none. */
static const char *
post_refusal(const struct request *req, const char **version, int *status)
{
	*status = 400;
	if (strcmp(req->method, "POST") != 0) {
		/* No SSE stream is offered, so GET (and DELETE: no sessions) are 405. */
		*status = 405;
		return "Method not allowed: send JSON-RPC messages with POST";
	}
	if (!transport_content_type_json(req->content_type)) {
		*status = 415;
		return "Content-Type must be application/json";
	}
	if (!transport_accepts_json(req->accept)) {
		*status = 406;
		return "Accept must admit application/json";
	}
	/* MCP 2025-06-18 transports: assume 2025-03-26 without the header. */
	*version = req->protocol_version != NULL ? req->protocol_version : MCP_VERSION_DEFAULT;
	return protocol_supported(*version) ? NULL : "Unsupported MCP-Protocol-Version";
}

bool
transport_post_ok(const struct request *req, const char **version, struct outcome *out)
{
	int status;
	const char *why = post_refusal(req, version, &status);

	if (why != NULL)
		outcome_refuse(out, status, why);
	return why == NULL;
}
