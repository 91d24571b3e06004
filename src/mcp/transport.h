/*
 * transport.h - the HTTP rules of MCP's Streamable HTTP transport
 * (specification 2025-11-25, basic/transports) for a stateless server that
 * answers with application/json and offers no SSE stream.
 *
 * Each check returns 0 when the request may go on, or the HTTP status to
 * refuse it with and a fixed message (safe to send and log) in *why.
 */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stdbool.h>

struct config;
struct request;
struct response;

#define TRANSPORT_ALLOW "POST, OPTIONS"
#define TRANSPORT_ALLOW_HEADERS                                                                    \
	"Authorization, Content-Type, MCP-Protocol-Version, Mcp-Session-Id, Last-Event-ID"
#define TRANSPORT_EXPOSE_HEADERS    "WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version"
#define TRANSPORT_PREFLIGHT_MAX_AGE 86400

/*
 * Host must be an allowed host and Origin, when present, an allowed origin
 * (the transport's DNS-rebinding protection).  403 otherwise.
 */
int transport_check_peer(const struct config *cfg, const struct request *req, const char **why);

/* True for an OPTIONS request: answer it with transport_preflight(). */
bool transport_is_preflight(const struct request *req);

/* Fills a 204 CORS preflight answer into res. */
void transport_preflight(const struct config *cfg, const struct request *req, struct response *res);

/*
 * Adds Access-Control-Allow-Origin (and Expose-Headers, Vary) to res when
 * the request carried an allowed Origin.
 */
void transport_add_cors(const struct config *cfg, const struct request *req, struct response *res);

/*
 * The checks of a POST: method (405 with Allow), Content-Type (415), Accept
 * (406), MCP-Protocol-Version (400).  On success *version is the protocol
 * version the request speaks (the header's, or 2025-03-26 when absent),
 * borrowed from req or static.
 */
int transport_check_post(const struct request *req, const char **version, const char **why);

/* Exposed for the unit tests: Content-Type is application/json (parameters allowed). */
bool transport_content_type_json(const char *content_type);

/* Exposed for the unit tests: an Accept header admits application/json. */
bool transport_accepts_json(const char *accept);

#endif /* TRANSPORT_H */
