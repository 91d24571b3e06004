/*
 * auth.h - the bearer-token gate in front of every MCP request; the auth
 * folder's one module, the top of the library: it joins the configuration,
 * JOSE (token verification) and the key cache, and knows no HTTP request.
 *
 * Built once per process from the configuration: the token policy (issuers,
 * audiences, algorithms, leeway) and the shared JWKS cache.  Per request it
 * extracts the RFC 6750 §2.1 bearer token, verifies it against the cached
 * keys (refreshing them once, throttled, for an unknown kid) and yields the
 * principal, or the reason to refuse.  It also renders the RFC 6750 §3
 * WWW-Authenticate challenges, so every 401/403 challenge is written here.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/err.h"

struct config;
struct principal;
struct auth;

/*
 * Builds the gate from cfg (borrowed; must outlive the gate).  Creates the
 * state directory when missing.  No network.  Returns NULL with ERR_CONFIG
 * and one line naming the variable in e (an unusable MCP_STATE_DIR, no
 * usable JWKS URL or issuer).
 */
struct auth *auth_new(const struct config *cfg, struct err *e);
void auth_free(struct auth *a);

/*
 * Checks the credentials of a request at time now: the Authorization
 * header's value and the query string (each NULL when absent).  A token
 * verified earlier by this process is answered from memory while the key
 * set is unchanged and it has not expired (exp is checked again); no usable
 * keys fail every token, remembered ones too.  Returns 0 with *out a new
 * principal the caller frees with principal_free(), or -1 with *out NULL
 * and e set, as RFC 6750 §3.1 answers each:
 *   ERR_NOT_FOUND    no Bearer credentials: 401 without an error code (a
 *                    token only in the query is none: it is never read)
 *   ERR_INVALID      a malformed Bearer value (spaces inside, two tokens,
 *                    characters outside token68), or credentials in more
 *                    than one place: 400 invalid_request
 *   ERR_DENIED       a token was sent and refused: 401 invalid_token
 *   ERR_UNAVAILABLE  no usable keys (issuer unreachable past the stale age)
 * e->msg is a short fixed text safe for an error_description and a log
 * line (never token data).
 */
int auth_check(struct auth *a, const char *authorization, const char *query, int64_t now,
               struct principal **out, struct err *e);

/*
 * True when the query string (NULL: none) carries an access_token
 * parameter (RFC 6750 §2.3), whatever its value.
 */
bool auth_query_has_token(const char *query);

/* Counters of one gate, for tests and diagnostics. */
struct auth_stats {
	uint64_t verifications; /* full signature verifications run */
	uint64_t memo_hits;     /* requests answered from the verified-token memo */
};

/* Copies a's counters into *out. */
void auth_stats_get(const struct auth *a, struct auth_stats *out);

/*
 * Extracts the token of "Bearer <token>" (scheme case-insensitive, RFC 6750
 * §2.1 b64token syntax).  Returns a pointer into header and sets *len, or
 * NULL when header is not a well-formed Bearer credential.
 */
const char *auth_bearer_token(const char *header, size_t *len);

/*
 * Renders a WWW-Authenticate value into buf:
 *   Bearer realm="mcp", [error="...", error_description="...",] scope="...",
 *   resource_metadata="<PRM URL>"
 * error and description may be NULL (no error, RFC 6750 §3.1); scope NULL
 * means the configured scopes_supported (left out when there are none).
 * Returns buf.
 */
char *auth_challenge(const struct config *cfg, const char *error, const char *description,
                     const char *scope, char *buf, size_t len);

/*
 * Opens the shared JWKS cache as cfg configures it (state directory, JWKS
 * URI or issuer discovery, fetch limits, freshness bounds).  Returns 0, or
 * -1 with ERR_CONFIG and one line naming the variable in e.  For programs
 * that read the cache without verifying tokens (the metadata program's
 * /health, the CLI).
 */
struct jwks_cache;
int auth_cache_open(const struct config *cfg, struct jwks_cache **out, struct err *e);

#define AUTH_REALM "mcp"

#endif /* AUTH_H */
