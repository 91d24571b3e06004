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
#include "mcp/dispatch.h"

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

int
transport_check_peer(const struct config *cfg, const struct request *req, const char **why)
{
	/* DNS rebinding: a browser page on an attacker's name resolving to us sends its own Host.
	 */
	if (req->host == NULL || !strlist_contains_ci(&cfg->allowed_hosts, req->host)) {
		*why = "Host not allowed";
		return 403;
	}
	/* MCP transports: servers MUST validate the Origin header on all incoming connections. */
	if (req->origin != NULL && !cfg->any_origin &&
	    !strlist_contains_ci(&cfg->allowed_origins, req->origin)) {
		*why = "Origin not allowed";
		return 403;
	}
	return 0;
}

bool
transport_is_preflight(const struct request *req)
{
	return strcmp(req->method, "OPTIONS") == 0;
}

void
transport_add_cors(const struct config *cfg, const struct request *req, struct response *res)
{
	/* Refusals of a foreign Origin come through here too: grant CORS to allowed ones only. */
	if (req->origin == NULL ||
	    (!cfg->any_origin && !strlist_contains_ci(&cfg->allowed_origins, req->origin)))
		return;
	response_header(res, "Access-Control-Allow-Origin", "%s", req->origin);
	response_header(res, "Access-Control-Expose-Headers", "%s", TRANSPORT_EXPOSE_HEADERS);
	response_header(res, "Vary", "Origin");
}

void
transport_preflight(const struct config *cfg, const struct request *req, struct response *res)
{
	response_init(res, 204);
	transport_add_cors(cfg, req, res);
	response_header(res, "Access-Control-Allow-Methods", "%s", TRANSPORT_ALLOW);
	response_header(res, "Access-Control-Allow-Headers", "%s", TRANSPORT_ALLOW_HEADERS);
	response_header(res, "Access-Control-Max-Age", "%d", TRANSPORT_PREFLIGHT_MAX_AGE);
	response_header(res, "Allow", "%s", TRANSPORT_ALLOW);
}

int
transport_check_post(const struct request *req, const char **version, const char **why)
{
	if (strcmp(req->method, "POST") != 0) {
		/* No SSE stream is offered, so GET (and DELETE: no sessions) are 405. */
		*why = "Method not allowed: send JSON-RPC messages with POST";
		return 405;
	}
	if (!transport_content_type_json(req->content_type)) {
		*why = "Content-Type must be application/json";
		return 415;
	}
	if (!transport_accepts_json(req->accept)) {
		*why = "Accept must admit application/json";
		return 406;
	}
	if (req->protocol_version == NULL) {
		/* MCP 2025-06-18 transports: assume 2025-03-26 without the header. */
		*version = MCP_VERSION_DEFAULT;
	} else if (dispatch_version_supported(req->protocol_version)) {
		*version = req->protocol_version;
	} else {
		*why = "Unsupported MCP-Protocol-Version";
		return 400;
	}
	return 0;
}
