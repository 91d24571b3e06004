/*
 * test_limits_pg.c - the rate limits shared through PostgreSQL
 * (mcp/limits_pg.h) against a real PostgreSQL 15 server (pg_fixture.h):
 * the database decides as a machine's own table does, all or nothing,
 * exactly across processes, through a restart; the machine's table when
 * the database cannot be reached; keys whose time has passed swept.
 */
#include "test.h"

#include <time.h>

#include "lib/core/log.h"
#include "lib/ratelimit/ratelimit.h"
#include "mcp/limits_pg.h"
#include "pg_fixture.h"
#include "tmpdir.h"

#define SEC 1000000

static char state[] = "/tmp/mcp-limitspg-XXXXXX";
static struct ratelimit *local, *shared;

static int
setup(void)
{
	log_set_level(LOGL_ERROR);
	if (mkdtemp(state) == NULL || pg_fixture_start() != 0)
		return -1;
	local = ratelimit_local_open(state);
	shared = limits_pg_open(pg_url, local);
	return 0;
}

static void
cleanup(void)
{
	ratelimit_free(shared);
	ratelimit_free(local);
	pg_fixture_stop();
	tmpdir_remove(state);
}

/* Now, microseconds of the wall clock (the database's rows hold such times). */
static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec / 1000;
}

static struct ratelimit_verdict
take(struct ratelimit *rl, const struct ratelimit_ask *asks, size_t n, int64_t at)
{
	struct ratelimit_verdict v;

	ratelimit_take_at(rl, asks, n, at, &v);
	return v;
}

/* Rows of rate_limits with this key (as the signed bigint the database holds). */
static long
rows_of(uint64_t key)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM rate_limits WHERE key = %lld",
	         (long long)(int64_t)key);
	return query_long(sql);
}

/*
 * The same requests at the same times, two keys at two rates: the
 * database and a machine's own table (a second one, in memory) give the
 * same verdicts, field by field.  Keys from the top half of the 64 bits
 * show that the hash survives the signed bigint.
 */
TEST(decides_as_the_machine_does)
{
	struct ratelimit *mem = ratelimit_local_open("/nonexistent/mcp-limits-pg");
	const int64_t t0 = now_us();
	/*
	 * Offsets in ms: a burst, a pause shorter than the interval, one
	 * longer, a long one; then requests whose clock was read before the
	 * last ones' (decided late: a full window, not a fresh key).
	 */
	static const int64_t at_ms[] = {0,    0,    0,    0,    0,    1,    400,  600,
	                                700,  900,  901,  1500, 2600, 2601, 2602, 9000,
	                                9001, 9002, 9003, 9004, 8000, 7000, 9500};
	struct ratelimit_ask asks[2] = {{.key = 0xfedcba9876543210ULL, .rate = {3, 2}},
	                                {.key = 0x0123456789abcdefULL, .rate = {5, 10}}};

	for (size_t i = 0; i < sizeof(at_ms) / sizeof(at_ms[0]); i++) {
		int64_t at = t0 + at_ms[i] * 1000;
		struct ratelimit_verdict a = take(shared, asks, 2, at), b = take(mem, asks, 2, at);

		CHECK_INT(a.allowed, b.allowed);
		CHECK_INT(a.refused_by, b.refused_by);
		CHECK_INT(a.retry_after, b.retry_after);
		CHECK_INT(a.remaining, b.remaining);
	}
	CHECK_INT(rows_of(asks[0].key), 1);
	CHECK_INT(rows_of(asks[1].key), 1);
	ratelimit_free(mem);
}

/* A request refused by one key charges none: the other key's count is as before. */
TEST(all_or_nothing)
{
	const int64_t t0 = now_us();
	struct ratelimit_ask tight = {.key = 1001, .rate = {1, 60}},
	                     wide = {.key = 1002, .rate = {10, 60}}, both[2] = {wide, tight};
	struct ratelimit_verdict v;

	CHECK(take(shared, both, 2, t0).allowed);
	for (int i = 0; i < 5; i++) {
		v = take(shared, both, 2, t0);
		CHECK(!v.allowed);
		CHECK_INT(v.refused_by, 1);
		CHECK_INT(v.retry_after, 60);
	}
	/* wide was charged once: 9 left. */
	v = take(shared, &wide, 1, t0);
	CHECK(v.allowed);
	CHECK_INT(v.remaining, 8);
}

enum { SHARE_EACH = 30, SHARE_N = 50 };

/* One process: its own limiter and fallback, SHARE_EACH decisions; how many passed. */
static int
sharer(int p)
{
	struct ratelimit *mine_local = ratelimit_local_open("/nonexistent/x");
	struct ratelimit *mine = limits_pg_open(pg_url, mine_local);
	struct ratelimit_ask a = {.key = 2001, .rate = {SHARE_N, 3600}};
	struct ratelimit_verdict v;
	int ok = 0;

	(void)p;
	for (int i = 0; i < SHARE_EACH; i++) {
		ratelimit_take(mine, &a, 1, &v);
		ok += v.allowed;
	}
	ratelimit_free(mine);
	ratelimit_free(mine_local);
	return ok;
}

/* Six processes each with its own connection and fallback: exactly N pass in all. */
TEST(processes_share_the_count)
{
	CHECK_INT(forked_sum(6, sharer), SHARE_N);
}

/* The server restarted under the connection: the next decision is the database's again. */
TEST(survives_a_restart)
{
	struct ratelimit_ask a = {.key = 3001, .rate = {2, 3600}};

	CHECK(take(shared, &a, 1, now_us()).allowed);
	CHECK(take(shared, &a, 1, now_us()).allowed);
	CHECK_INT(sh(NULL, 0, PGSERVER " restart %s", pg_dir), 0);
	/* The machine's own table has never seen this key: it would admit it. */
	CHECK(!take(shared, &a, 1, now_us()).allowed);
	CHECK(take(local, &a, 1, now_us()).allowed);
}

/*
 * A database that cannot be reached: the machine's table decides (the
 * rate still holds on this machine), for every request, without a wait.
 */
TEST(falls_back_to_the_machine)
{
	struct ratelimit *fb_local = ratelimit_local_open(state);
	struct ratelimit *nowhere =
	    limits_pg_open("postgresql://mcp:secret@127.0.0.1:1/mcp?connect_timeout=2", fb_local);
	struct ratelimit_ask a = {.key = 4001, .rate = {3, 3600}};
	int ok = 0;

	for (int i = 0; i < 5; i++)
		ok += take(nowhere, &a, 1, now_us()).allowed;
	CHECK_INT(ok, 3);
	/* The machine's table counted them: the same key there is spent. */
	CHECK(!take(fb_local, &a, 1, now_us()).allowed);
	CHECK_INT(rows_of(a.key), 0);
	ratelimit_free(nowhere);
	ratelimit_free(fb_local);
}

/*
 * Every LIMITS_PG_SWEEP decisions, keys whose time has passed go: they
 * are the same fresh keys without a row.  Keys still in their window stay.
 */
TEST(sweeps_keys_whose_time_passed)
{
	const int64_t t0 = now_us();
	struct ratelimit_ask old = {.rate = {1, 1}}, live = {.key = 5000, .rate = {1, 3600}};

	for (uint64_t k = 0; k < 100; k++) {
		old.key = 6000 + k;
		CHECK(take(shared, &old, 1, t0 - 3600 * (int64_t)SEC).allowed);
	}
	CHECK(take(shared, &live, 1, t0).allowed);
	CHECK_INT(query_long("SELECT count(*) FROM rate_limits WHERE key BETWEEN 6000 AND 6099"),
	          100);
	for (int i = 0; i < LIMITS_PG_SWEEP; i++)
		take(shared, &live, 1, t0);
	CHECK_INT(query_long("SELECT count(*) FROM rate_limits WHERE key BETWEEN 6000 AND 6099"),
	          0);
	CHECK_INT(rows_of(live.key), 1);
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(decides_as_the_machine_does), TEST_CASE(all_or_nothing),
                  TEST_CASE(processes_share_the_count), TEST_CASE(survives_a_restart),
                  TEST_CASE(falls_back_to_the_machine), TEST_CASE(sweeps_keys_whose_time_passed))
