/*
 * limits.c - the endpoint's rate limits over lib/ratelimit.
 */
#include "mcp/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config.h"
#include "lib/jose/principal.h"
#include "lib/ratelimit/ratelimit.h"
#include "lib/core/util.h"
#include "mcp/catalog.h"
#include "mcp/limits_pg.h"
#include "mcp/outcome.h"
#include "mcp/tool.h"

/* Key parts: what is counted, so that the three kinds never share a key. */
#define KEY_PRINCIPAL "principal"
#define KEY_TOOL      "tool"
#define KEY_ANON      "anonymous"

struct limits {
	struct ratelimit *rl;     /* the machine's: the anonymous limit, and the fallback */
	struct ratelimit *shared; /* the principals' and tools': rl, or the database's */
	struct ratelimit_rate principal, anon;
	struct ratelimit_tool_rate tools[RATELIMIT_TOOLS_MAX];
	size_t n_tools;
};

/* var's rate, or def's when unset. */
static int
load_rate(const char *var, const char *def, struct ratelimit_rate *r, struct err *e)
{
	const char *v = config_get(var);
	struct err why;

	if (ratelimit_rate_parse(v != NULL ? v : def, r, &why) != 0)
		return err_set(e, ERR_CONFIG, "%s: %s", var, why.msg);
	return 0;
}

/* MCP_TOOL_RATE_LIMITS, every name a tool of reg. */
static int
load_tools(struct limits *l, struct tool_registry *reg, struct err *e)
{
	const struct catalog *cat = tool_registry_catalog(reg);
	struct err why;

	if (ratelimit_tools_parse(config_get(LIMITS_VAR_TOOLS), l->tools, RATELIMIT_TOOLS_MAX,
	                          &l->n_tools, &why) != 0)
		return err_set(e, ERR_CONFIG, LIMITS_VAR_TOOLS ": %s", why.msg);
	for (size_t i = 0; i < l->n_tools; i++)
		if (catalog_find(cat, l->tools[i].name) < 0)
			return err_set(e, ERR_CONFIG, LIMITS_VAR_TOOLS ": %.64s: no such tool",
			               l->tools[i].name);
	return 0;
}

struct limits *
limits_new(struct tool_registry *reg, const char *state_dir, const char *database_url,
           struct err *e)
{
	struct limits *l = xcalloc(1, sizeof(*l));

	if (load_rate(LIMITS_VAR, LIMITS_DEFAULT, &l->principal, e) != 0 ||
	    load_rate(LIMITS_VAR_ANON, LIMITS_DEFAULT_ANON, &l->anon, e) != 0 ||
	    load_tools(l, reg, e) != 0) {
		free(l);
		return NULL;
	}
	l->rl = ratelimit_local_open(state_dir);
	/* Requests reach any machine: their counts are the database's.  An address's
	 * failed authentications cost the machine they reach (its key refreshes): its own. */
	l->shared = database_url != NULL ? limits_pg_open(database_url, l->rl) : l->rl;
	return l;
}

void
limits_free(struct limits *l)
{
	if (l == NULL)
		return;
	if (l->shared != l->rl)
		ratelimit_free(l->shared);
	ratelimit_free(l->rl);
	free(l);
}

/* Fills *lim from the refusing ask's policy. */
static void
refusal(struct outcome_limit *lim, const char *policy, const struct ratelimit_rate *r,
        int64_t retry_after)
{
	snprintf(lim->policy, sizeof(lim->policy), "%s", policy);
	lim->quota = r->n;
	lim->window = r->s;
	lim->retry_after = retry_after;
}

/* The asks of one message: the principal's, and the tool's when it has a limit. */
static size_t
call_asks(const struct limits *l, const struct principal *p, const char *tool,
          struct ratelimit_ask asks[2])
{
	/* Per client: the token's client id, else its subject, within its issuer. */
	const char *who = p->client_id != NULL ? p->client_id : p->subject;
	const char *pk[] = {KEY_PRINCIPAL, p->issuer, who},
	           *tk[] = {KEY_TOOL, p->issuer, who, tool};

	asks[0].key = ratelimit_key(pk, 3);
	asks[0].rate = l->principal;
	for (size_t t = 0; tool != NULL && t < l->n_tools; t++) {
		if (strcmp(l->tools[t].name, tool) == 0) {
			asks[1].key = ratelimit_key(tk, 4);
			asks[1].rate = l->tools[t].rate;
			return 2;
		}
	}
	return 1;
}

bool
limits_call(struct limits *l, const struct principal *p, const char *tool,
            struct outcome_limit *lim)
{
	struct ratelimit_ask asks[2];
	struct ratelimit_verdict v;
	char policy[RATELIMIT_NAME_MAX + 8];
	size_t n;

	if (l == NULL)
		return true;
	n = call_asks(l, p, tool, asks);
	ratelimit_take(l->shared, asks, n, &v);
	if (v.allowed)
		return true;
	if (v.refused_by == 0) {
		refusal(lim, LIMITS_POLICY, &l->principal, v.retry_after);
	} else {
		snprintf(policy, sizeof(policy), "tool-%s", tool);
		refusal(lim, policy, &asks[1].rate, v.retry_after);
	}
	return false;
}

bool
limits_anon(struct limits *l, const char *remote, struct outcome_limit *lim)
{
	const char *k[] = {KEY_ANON, remote};
	struct ratelimit_ask ask;
	struct ratelimit_verdict v;

	if (l == NULL)
		return true;
	ask.key = ratelimit_key(k, 2);
	ask.rate = l->anon;
	ratelimit_take(l->rl, &ask, 1, &v);
	if (v.allowed)
		return true;
	refusal(lim, LIMITS_POLICY_ANON, &l->anon, v.retry_after);
	return false;
}
