/*
 * auth.h - the bearer-token gate in front of every MCP request.
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

#include <stddef.h>
#include <stdint.h>

struct config;
struct principal;
struct auth;

enum auth_result {
	AUTH_OK = 0,      /* *principal set */
	AUTH_NO_TOKEN,    /* no Bearer credentials: 401 without error (RFC 6750 §3.1) */
	AUTH_INVALID,     /* a token was sent and refused: 401 error="invalid_token" */
	AUTH_UNAVAILABLE, /* no usable keys (issuer unreachable past the stale age): 503 */
	AUTH_RESULT__MAX
};

/*
 * Builds the gate from cfg (borrowed; must outlive the gate).  Creates the
 * state directory when missing.  No network.  Returns NULL with one line in
 * err on failure (an unusable MCP_STATE_DIR, out of memory).
 */
struct auth *auth_new(const struct config *cfg, char *err, size_t errlen);
void auth_free(struct auth *a);

/*
 * Checks the Authorization header value (NULL when absent) at time now.
 * A token verified earlier by this process is answered from memory while
 * the key set is unchanged and it has not expired (exp is checked again);
 * no usable keys fail every token, remembered ones too.  On
 * AUTH_OK *out is a new principal the caller frees with principal_free();
 * otherwise *out is NULL and *reason a short fixed text safe for an
 * error_description and a log line (never token data).
 */
enum auth_result auth_check(struct auth *a, const char *authorization, int64_t now,
                            struct principal **out, const char **reason);

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
 * -1 with one line naming MCP_STATE_DIR in err.  For programs that read the
 * cache without verifying tokens (the metadata program's /health).
 */
struct jwks_cache;
int auth_cache_new(const struct config *cfg, struct jwks_cache **out, char *err, size_t errlen);

#define AUTH_REALM "mcp"

#endif /* AUTH_H */
