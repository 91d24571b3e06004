/*
 * limits_pg.c - the rate limits' backend on PostgreSQL, with the machine's as fallback.
 */
#include "mcp/limits_pg.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/num.h"
#include "lib/core/util.h"
#include "lib/ratelimit/ratelimit.h"
#include "mcp/pg_conn.h"

/* A decision must not wait on a database that stopped answering for long. */
#define LIMITS_PG_CONNECT_TIMEOUT "2"
#define LIMITS_PG_RECONNECT_MS    5000

enum { RL_TAKE, RL_SWEEP, RL__MAX };

static const struct pg_stmt rl_stmts[RL__MAX] = {
    [RL_TAKE] = {"ratelimit_take",
                 "SELECT allowed, refused_by, retry_after, remaining FROM "
                 "mcp_ratelimit_take($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint)",
                 false},
    [RL_SWEEP] = {"ratelimit_sweep", "SELECT mcp_ratelimit_sweep($1::bigint)", false},
};

struct shared {
	struct pg_conn c;
	struct ratelimit *local; /* borrowed: the fallback */
	bool degraded;           /* deciding on this machine only, and said so */
	unsigned takes;          /* decisions since the last sweep */
};

/* Appends "v," to an array literal being built in buf at *at; false when it does not fit. */
static bool
array_add(char *buf, size_t len, size_t *at, int64_t v)
{
	int n = snprintf(buf + *at, len - *at, "%s%" PRId64, *at > 1 ? "," : "", v);

	if (n < 0 || (size_t)n >= len - *at)
		return false;
	*at += (size_t)n;
	return true;
}

/* The three array literals of asks[0..n) and now, as text parameters. */
struct take_args {
	char keys[RATELIMIT_ASKS_MAX * 22 + 3], ns[RATELIMIT_ASKS_MAX * 22 + 3],
	    ss[RATELIMIT_ASKS_MAX * 22 + 3], now[24];
};

static void
take_args(struct take_args *a, const struct ratelimit_ask *asks, size_t n, int64_t now_us)
{
	size_t k = 1, r = 1, s = 1;

	a->keys[0] = a->ns[0] = a->ss[0] = '{';
	for (size_t i = 0; i < n; i++) {
		/* The hash as a signed bigint: the same 64 bits. */
		array_add(a->keys, sizeof(a->keys), &k, (int64_t)asks[i].key);
		array_add(a->ns, sizeof(a->ns), &r, asks[i].rate.n);
		array_add(a->ss, sizeof(a->ss), &s, asks[i].rate.s);
	}
	snprintf(a->keys + k, sizeof(a->keys) - k, "}");
	snprintf(a->ns + r, sizeof(a->ns) - r, "}");
	snprintf(a->ss + s, sizeof(a->ss) - s, "}");
	snprintf(a->now, sizeof(a->now), "%" PRId64, now_us);
}

/* One decision in the database; 0 with *v, or -1 with e. */
static int
db_take(struct shared *sh, const struct take_args *a, size_t n, struct ratelimit_verdict *v,
        struct err *e)
{
	const char *params[] = {a->keys, a->ns, a->ss, a->now};
	PGresult *r = pg_conn_exec(&sh->c, RL_TAKE, 4, params, e);
	int64_t refused, retry, remaining;

	if (r == NULL)
		return -1;
	if (pq.ntuples(r) != 1 ||
	    num_parse_i64(pq.getvalue(r, 0, 1), -1, (int64_t)n - 1, &refused) != 0 ||
	    num_parse_i64(pq.getvalue(r, 0, 2), 0, INT64_MAX, &retry) != 0 ||
	    num_parse_i64(pq.getvalue(r, 0, 3), 0, INT64_MAX, &remaining) != 0) {
		pq.clear(r);
		log_msg(LOGL_ERROR,
		        "rate limits (PostgreSQL): mcp_ratelimit_take: unexpected answer");
		return err_set(e, ERR_SYSTEM, "rate limits: unexpected answer");
	}
	v->allowed = strcmp(pq.getvalue(r, 0, 0), "t") == 0;
	v->refused_by = v->allowed ? 0 : (size_t)refused;
	v->retry_after = retry;
	v->remaining = remaining;
	pq.clear(r);
	return 0;
}

/* Every LIMITS_PG_SWEEP decisions, the keys whose time has passed go (failure: next time). */
static void
sweep(struct shared *sh, const char *now)
{
	struct err e;
	PGresult *r;

	if (++sh->takes < LIMITS_PG_SWEEP)
		return;
	sh->takes = 0;
	if ((r = pg_conn_exec(&sh->c, RL_SWEEP, 1, (const char *const[]){now}, &e)) != NULL)
		pq.clear(r);
}

/*
 * ratelimit_ops.take: in the database; when its connection broke under the
 * statement (a restart), once more on a new one; else on this machine.  A
 * decision whose answer was lost may count twice, never admit more.
 */
static int
shared_take(void *self, const struct ratelimit_ask *asks, size_t n, int64_t now_us,
            struct ratelimit_verdict *v)
{
	struct shared *sh = self;
	struct take_args a;
	struct err e;

	take_args(&a, asks, n, now_us);
	for (int attempt = 0; attempt < 2; attempt++) {
		bool had = sh->c.conn != NULL;

		if (pg_conn_check(&sh->c, &e) == 0 && db_take(sh, &a, n, v, &e) == 0) {
			if (sh->degraded)
				log_msg(LOGL_INFO, "rate limits (PostgreSQL): shared by the "
				                   "machines again");
			sh->degraded = false;
			sweep(sh, a.now);
			return 0;
		}
		if (e.code == ERR_SYSTEM) {
			/* Not the connection (a schema changed by hand?): logged; again in a while.
			 */
			pg_conn_pause(&sh->c);
			break;
		}
		if (!had || sh->c.conn != NULL || attempt == 1)
			break;
		/* Dropped by this failure: try a new connection now, not after the throttle. */
		sh->c.retry_at = 0;
	}
	if (!sh->degraded)
		log_msg(LOGL_WARN, "rate limits (PostgreSQL): unavailable; each machine counts "
		                   "on its own until the database is back");
	sh->degraded = true;
	ratelimit_take_at(sh->local, asks, n, now_us, v);
	return 0;
}

static void
shared_free(void *self)
{
	struct shared *sh = self;

	pg_conn_done(&sh->c);
	free(sh);
}

static const struct ratelimit_ops shared_ops = {.take = shared_take, .free = shared_free};

struct ratelimit *
limits_pg_open(const char *url, struct ratelimit *local)
{
	struct shared *sh = xcalloc(1, sizeof(*sh));

	pg_conn_init(&sh->c, url, "rate limits", rl_stmts, RL__MAX);
	sh->c.connect_timeout = LIMITS_PG_CONNECT_TIMEOUT;
	sh->c.reconnect_ms = LIMITS_PG_RECONNECT_MS;
	sh->local = local;
	return ratelimit_new(&shared_ops, sh);
}
