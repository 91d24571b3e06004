/*
 * limits.h - the endpoint's rate limits (issue 11): what is counted, by
 * which key, at which rate, over the machine's shared limiter
 * (lib/ratelimit).
 *
 * - MCP_RATE_LIMIT: every JSON-RPC request of a principal (the token's
 *   client id, else its subject, within its issuer);
 * - MCP_TOOL_RATE_LIMITS: tools/call of the tools listed, per principal;
 * - MCP_RATE_LIMIT_ANON: requests refused authentication (401, 400), per
 *   remote address.
 * A request message passes only when both its principal's and its tool's
 * limits admit it, and only then is it counted against both.
 */
#ifndef MCP_LIMITS_H
#define MCP_LIMITS_H

#include <stdbool.h>

#include "lib/core/err.h"

#define LIMITS_VAR       "MCP_RATE_LIMIT"
#define LIMITS_VAR_TOOLS "MCP_TOOL_RATE_LIMITS"
#define LIMITS_VAR_ANON  "MCP_RATE_LIMIT_ANON"
/* On out of the box, past what any real client sends: a burst of 3000, then 50 a second. */
#define LIMITS_DEFAULT      "3000/60"
#define LIMITS_DEFAULT_ANON "300/60"

/* The RateLimit-Policy names (draft-ietf-httpapi-ratelimit-headers). */
#define LIMITS_POLICY      "client"
#define LIMITS_POLICY_ANON "anonymous"

struct limits;
struct outcome_limit;
struct principal;
struct tool_registry;

/*
 * The limits the configuration sets (config_get(): call after
 * config_load()), over the table in state_dir (opened at the first use);
 * with database_url (MCP_DATABASE_URL, copied) the principals' and tools'
 * limits are counted in that database, shared by every machine on it
 * (limits_pg.h), and the anonymous limit stays the machine's.
 * Returns NULL with ERR_CONFIG and one line naming the variable for a bad
 * rate or an MCP_TOOL_RATE_LIMITS entry naming no tool of reg.
 */
struct limits *limits_new(struct tool_registry *reg, const char *state_dir,
                          const char *database_url, struct err *e);

/* NULL accepted. */
void limits_free(struct limits *l);

/*
 * Counts one request message of principal p (borrowed), a tools/call of
 * the registered tool (NULL for any other method).  True when it may run;
 * false with the refusing policy in *lim.  l NULL: always true.
 */
bool limits_call(struct limits *l, const struct principal *p, const char *tool,
                 struct outcome_limit *lim);

/* Counts one request from remote that failed authentication; as limits_call(). */
bool limits_anon(struct limits *l, const char *remote, struct outcome_limit *lim);

#endif /* MCP_LIMITS_H */
