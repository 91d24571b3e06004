/*
 * transport.h - the HTTP rules of MCP's Streamable HTTP transport
 * (specification 2025-11-25, basic/transports) for a stateless server that
 * answers with application/json and offers no SSE stream.
 *
 * Each check returns true when the request may go on, or false with the
 * refusal (status and a fixed message, safe to send and log) in *out.
 */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stdbool.h>

struct config;
struct outcome;
struct request;

#define TRANSPORT_ALLOW "POST, OPTIONS"
#define TRANSPORT_ALLOW_HEADERS                                                                    \
	"Authorization, Content-Type, MCP-Protocol-Version, Mcp-Session-Id, Last-Event-ID"
/* What a browser client may read: the challenge, and a rate limit's Retry-After and fields. */
#define TRANSPORT_EXPOSE_HEADERS                                                                   \
	"WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version, Retry-After, RateLimit-Policy, "  \
	"RateLimit"
#define TRANSPORT_PREFLIGHT_MAX_AGE 86400

/*
 * Host must be an allowed host and Origin, when present, an allowed origin
 * (the transport's DNS-rebinding protection).  403 otherwise.
 */
bool transport_peer_ok(const struct config *cfg, const struct request *req, struct outcome *out);

/* True when origin (NULL: none sent) may be granted CORS access. */
bool transport_origin_allowed(const struct config *cfg, const char *origin);

/* True for an OPTIONS request: a CORS preflight, answered with outcome_preflight(). */
bool transport_is_preflight(const struct request *req);

/*
 * The checks of a POST: method (405), Content-Type (415), Accept (406),
 * MCP-Protocol-Version (400).  On success *version is the protocol version
 * the request speaks (the header's, or MCP_VERSION_DEFAULT when absent),
 * borrowed from req or static.
 */
bool transport_post_ok(const struct request *req, const char **version, struct outcome *out);

/* Exposed for the unit tests: Content-Type is application/json (parameters allowed). */
bool transport_content_type_json(const char *content_type);

/* Exposed for the unit tests: an Accept header admits application/json. */
bool transport_accepts_json(const char *accept);

#endif /* TRANSPORT_H */
