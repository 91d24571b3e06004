/*
 * reply.h - the one place an outcome becomes an HTTP response: status,
 * CORS headers for allowed origins, Allow, the RFC 6750 §3 challenge or
 * Retry-After, Cache-Control, and the JSON body.
 */
#ifndef MCP_REPLY_H
#define MCP_REPLY_H

struct config;
struct outcome;
struct request;

/*
 * Sends o as the response to req.  Returns 0, or -1 when the client has
 * gone (nothing else to do: the outcome is still audited).
 */
int reply_send(const struct config *cfg, struct request *req, const struct outcome *o);

#endif /* MCP_REPLY_H */
