/*
 * test_ratelimit.c - the rate limiter (lib/ratelimit/ratelimit.h): rates
 * parsed, the GCRA decision, the shared table: exact across processes,
 * bounded and evicting the oldest when full, rebuilt when damaged, refused
 * (limits per process) when it is a symbolic link or not ours alone.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/ratelimit/ratelimit.h"

#include "test.h"
#include "tmpdir.h"

#define NOW ((int64_t)1800000000 * 1000000) /* a fixed clock, microseconds */
#define SEC 1000000

static char dir[] = "/tmp/mcp-ratelimit-XXXXXX";
static char path[256];

static int
setup(void)
{
	log_set_level(LOGL_ERROR);
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/" RATELIMIT_FILE, dir);
	return 0;
}

static void
cleanup(void)
{
	tmpdir_remove(dir);
}

/* One decision of key k at rate n/s at time now. */
static struct ratelimit_verdict
take(struct ratelimit *rl, uint64_t k, int64_t n, int64_t s, int64_t now)
{
	struct ratelimit_ask a = {.key = k, .rate = {n, s}};
	struct ratelimit_verdict v;

	ratelimit_take_at(rl, &a, 1, now, &v);
	return v;
}

/* How many of count decisions of key k at n/s, all at time now, pass. */
static int
passed(struct ratelimit *rl, uint64_t k, int64_t n, int64_t s, int64_t now, int count)
{
	int ok = 0;

	for (int i = 0; i < count; i++)
		ok += take(rl, k, n, s, now).allowed;
	return ok;
}

static off_t
file_size(void)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_size : -1;
}

TEST(rates_parse_and_bad_ones_are_refused)
{
	static const char *const bad[] = {"",        "abc",       "5",     "5/0",  "0/5", "-1/5",
	                                  "1/86401", "1000001/1", "5/2/3", "5/2x", "/5",  "5/"};
	struct ratelimit_rate r;
	struct err e;

	CHECK_INT(ratelimit_rate_parse("30/60", &r, &e), 0);
	CHECK_INT(r.n, 30);
	CHECK_INT(r.s, 60);
	CHECK_INT(ratelimit_rate_parse(" 5 / 2 ", &r, &e), 0);
	CHECK_INT(r.n * 100 + r.s, 502);
	CHECK_INT(ratelimit_rate_parse("0", &r, &e), 0);
	CHECK_INT(r.n, 0);
	CHECK_INT(ratelimit_rate_parse("1000000/86400", &r, &e), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.code = ERR_OK;
		CHECK_INT(ratelimit_rate_parse(bad[i], &r, &e), -1);
		CHECK_ERR(e, ERR_INVALID, "N/S");
		CHECK_INT(r.n, 0);
	}
}

TEST(tool_lists_parse_and_bad_ones_are_refused)
{
	static const char *const bad[] = {"create_todo", "=5/1", "a=5/1;a=1/1", "a=x", "a=5/1; b"};
	struct ratelimit_tool_rate t[RATELIMIT_TOOLS_MAX];
	size_t n = 99;
	struct err e;

	CHECK_INT(ratelimit_tools_parse("create_todo=30/60; list_todos = 5/1;", t, 8, &n, &e), 0);
	CHECK_INT((int)n, 2);
	CHECK_STR(t[0].name, "create_todo");
	CHECK_INT(t[0].rate.n * 100 + t[0].rate.s, 3060);
	CHECK_STR(t[1].name, "list_todos");
	CHECK_INT(t[1].rate.n * 100 + t[1].rate.s, 501);
	CHECK_INT(ratelimit_tools_parse(NULL, t, 8, &n, &e), 0);
	CHECK_INT((int)n, 0);
	CHECK_INT(ratelimit_tools_parse("a=1/1;b=1/1;c=1/1", t, 2, &n, &e), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.code = ERR_OK;
		CHECK_INT(ratelimit_tools_parse(bad[i], t, 8, &n, &e), -1);
		CHECK(e.code == ERR_INVALID);
	}
	ratelimit_tools_parse("a=5/1;a=1/1", t, 8, &n, &e);
	CHECK_CONTAINS(e.msg, "a: named twice");
}

TEST(keys_keep_their_parts_apart)
{
	const char *ab_c[] = {"ab", "c"}, *a_bc[] = {"a", "bc"}, *abc[] = {"abc"};
	const char *null_part[] = {"x", NULL}, *empty_part[] = {"x", ""};

	CHECK(ratelimit_key(ab_c, 2) != ratelimit_key(a_bc, 2));
	CHECK(ratelimit_key(ab_c, 2) != ratelimit_key(abc, 1));
	CHECK(ratelimit_key(ab_c, 2) == ratelimit_key(ab_c, 2));
	CHECK(ratelimit_key(null_part, 2) == ratelimit_key(empty_part, 2));
}

/* GCRA: a burst of N, then one every S/N; Retry-After rounded up; remaining counts down. */
TEST(gcra_lets_a_burst_of_n_through_then_one_per_interval)
{
	struct ratelimit_rate r = {5, 2}; /* one every 0.4 s */
	struct ratelimit_verdict v;
	int64_t tat = 0;

	for (int i = 0; i < 5; i++) {
		ratelimit_gcra(&tat, &r, NOW, &v);
		CHECK(v.allowed);
		CHECK_INT(v.remaining, 4 - i);
	}
	ratelimit_gcra(&tat, &r, NOW, &v);
	CHECK(!v.allowed);
	CHECK_INT(v.retry_after, 1); /* 0.4 s, rounded up */
	CHECK_INT(tat, NOW + 2 * SEC);
	ratelimit_gcra(&tat, &r, NOW + 399999, &v);
	CHECK(!v.allowed);
	ratelimit_gcra(&tat, &r, NOW + 400000, &v);
	CHECK(v.allowed);
	ratelimit_gcra(&tat, &r, NOW + 400000, &v);
	CHECK(!v.allowed);
	/* After the whole window the full burst is back. */
	tat = NOW + 2 * SEC;
	for (int i = 0; i < 5; i++) {
		ratelimit_gcra(&tat, &r, NOW + 4 * SEC, &v);
		CHECK(v.allowed);
	}
	/* A long window: Retry-After is the time to the next slot, in whole seconds. */
	r = (struct ratelimit_rate){2, 60};
	tat = 0;
	ratelimit_gcra(&tat, &r, NOW, &v);
	ratelimit_gcra(&tat, &r, NOW, &v);
	ratelimit_gcra(&tat, &r, NOW + SEC / 2, &v);
	CHECK(!v.allowed);
	CHECK_INT(v.retry_after, 30);
	/*
	 * A stored time a little past the window: a request that read the
	 * clock before the burst's last one but is decided after it.  A full
	 * window, not a fresh key (that would admit a second burst).
	 */
	tat = NOW + 60 * SEC + RATELIMIT_SKEW_US;
	ratelimit_gcra(&tat, &r, NOW, &v);
	CHECK(!v.allowed);
	CHECK_INT(v.retry_after, 30);
	/* Further past the window (damage, a changed rate): a fresh key. */
	tat = NOW + 60 * SEC + RATELIMIT_SKEW_US + 1;
	ratelimit_gcra(&tat, &r, NOW, &v);
	CHECK(v.allowed);
	CHECK_INT(tat, NOW + 30 * SEC);
}

TEST(two_keys_are_charged_all_or_nothing)
{
	struct ratelimit *rl = ratelimit_local_open(dir);
	struct ratelimit_ask a[2] = {{.key = 11, .rate = {3, 60}}, {.key = 12, .rate = {1, 60}}};
	struct ratelimit_verdict v;

	ratelimit_take_at(rl, a, 2, NOW, &v);
	CHECK(v.allowed);
	ratelimit_take_at(rl, a, 2, NOW, &v);
	CHECK(!v.allowed);
	CHECK_INT((int)v.refused_by, 1);
	/* Key 11 was charged once only: two of its three remain. */
	CHECK_INT(passed(rl, 11, 3, 60, NOW, 5), 2);
	/* An ask whose rate is off is left out; none left: allowed. */
	a[1].rate.n = 0;
	a[0].rate.n = 0;
	ratelimit_take_at(rl, a, 2, NOW, &v);
	CHECK(v.allowed);
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

TEST(the_table_is_shared_and_ours_alone)
{
	struct ratelimit *a = ratelimit_local_open(dir), *b = ratelimit_local_open(dir);
	struct stat st;

	CHECK_INT(passed(a, 21, 4, 60, NOW, 3), 3);
	CHECK_INT(passed(b, 21, 4, 60, NOW, 3), 1);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(st.st_size, RATELIMIT_FILE_SIZE);
	ratelimit_free(a);
	ratelimit_free(b);
}

/*
 * The file has all its blocks from the start: a page of a sparse file
 * first written through the mapping when the file system is full killed
 * the worker with SIGBUS (found by tests/e2e/faults_cache.sh on a full tmpfs).
 */
TEST(the_table_file_is_allocated_whole)
{
	struct ratelimit *a = ratelimit_local_open(dir);
	struct stat st;

	CHECK_INT(passed(a, 22, 4, 60, NOW, 1), 1);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_size, RATELIMIT_FILE_SIZE);
	CHECK((long long)st.st_blocks * 512 >= (long long)RATELIMIT_FILE_SIZE);
	ratelimit_free(a);
}

/* N children hammer one key at once: exactly N requests pass among them all. */
TEST(exact_across_processes)
{
	enum { CHILDREN = 8, EACH = 60, N = 100 };
	int fds[CHILDREN];
	pid_t pids[CHILDREN];
	int total = 0;
	char out[32];

	for (int c = 0; c < CHILDREN; c++) {
		int p[2];

		if (pipe(p) != 0 || (pids[c] = fork()) < 0) {
			CHECK(!"fork");
			return;
		}
		if (pids[c] == 0) {
			struct ratelimit *rl = ratelimit_local_open(dir);
			char buf[16];
			int n = passed(rl, 31, N, 60, NOW, EACH);

			ratelimit_free(rl);
			close(p[0]);
			snprintf(buf, sizeof(buf), "%d", n);
			if (write(p[1], buf, strlen(buf)) < 0)
				_exit(1);
			_exit(0);
		}
		close(p[1]);
		fds[c] = p[0];
	}
	for (int c = 0; c < CHILDREN; c++)
		total += atoi(test_child_output(fds[c], pids[c], out, sizeof(out)));
	CHECK_INT(total, N);
}

/* A million clients: the file keeps its size, the oldest are forgotten, the newest kept. */
TEST(a_full_table_evicts_the_oldest_and_never_grows)
{
	struct ratelimit *rl = ratelimit_local_open(dir);
	enum { CLIENTS = 1000000 };

	for (int i = 0; i < CLIENTS; i++)
		take(rl, 1000 + (uint64_t)i, 1, 60, NOW + i);
	CHECK_INT(file_size(), RATELIMIT_FILE_SIZE);
	/* The first clients' entries were evicted: they pass again. */
	CHECK_INT(passed(rl, 1000, 1, 60, NOW + CLIENTS, 1), 1);
	CHECK_INT(passed(rl, 1001, 1, 60, NOW + CLIENTS, 1), 1);
	/* The last ones are still limited. */
	CHECK_INT(passed(rl, 1000 + CLIENTS - 1, 1, 60, NOW + CLIENTS, 1), 0);
	CHECK_INT(passed(rl, 1000 + CLIENTS - 2, 1, 60, NOW + CLIENTS, 1), 0);
	ratelimit_free(rl);
}

/* Overwrites the file from offset off with len bytes of junk, or truncates it to off. */
static void
damage(off_t off, size_t len)
{
	unsigned char junk[4096];
	int fd = open(path, O_WRONLY);

	CHECK(fd >= 0);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	if (len == 0)
		CHECK_INT(ftruncate(fd, off), 0);
	for (size_t done = 0; done < len; done += sizeof(junk))
		CHECK(pwrite(fd, junk, sizeof(junk), off + (off_t)done) == (ssize_t)sizeof(junk));
	close(fd);
}

TEST(a_damaged_or_truncated_table_is_rebuilt_never_trusted)
{
	struct ratelimit *rl = ratelimit_local_open(dir);

	CHECK_INT(passed(rl, 41, 2, 60, NOW, 3), 2);
	/* Truncated under a running process: rebuilt, the old counts gone. */
	damage(100, 0);
	CHECK_INT(passed(rl, 41, 2, 60, NOW, 3), 2);
	CHECK_INT(file_size(), RATELIMIT_FILE_SIZE);
	/* A damaged header: rebuilt. */
	damage(0, 4096);
	CHECK_INT(passed(rl, 41, 2, 60, NOW, 3), 2);
	/* Junk over every slot: strangers' keys and impossible times, nobody locked out. */
	damage(64, RATELIMIT_FILE_SIZE - 64 - 4096 + 1);
	for (uint64_t k = 0; k < 200; k++)
		CHECK_INT(passed(rl, 5000 + k, 1, 60, NOW, 2), 1);
	ratelimit_free(rl);
	/* A file of the wrong size found by a new process: rebuilt. */
	damage(12345, 0);
	rl = ratelimit_local_open(dir);
	CHECK_INT(passed(rl, 42, 1, 60, NOW, 2), 1);
	CHECK_INT(file_size(), RATELIMIT_FILE_SIZE);
	ratelimit_free(rl);
}

/* Refused files: the limits hold per process, the target is never written. */
TEST(a_symlink_or_a_file_not_ours_alone_is_refused)
{
	struct ratelimit *rl;
	char target[300];
	struct stat st;
	int fd;

	CHECK_INT(chmod(path, 0644), 0);
	rl = ratelimit_local_open(dir);
	CHECK_INT(passed(rl, 51, 2, 60, NOW, 3), 2);
	ratelimit_free(rl);
	CHECK_INT(chmod(path, 0600), 0);

	snprintf(target, sizeof(target), "%s/target", dir);
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(unlink(path), 0);
	CHECK_INT(symlink(target, path), 0);
	rl = ratelimit_local_open(dir);
	CHECK_INT(passed(rl, 52, 2, 60, NOW, 3), 2);
	ratelimit_free(rl);
	CHECK_INT(stat(target, &st), 0);
	CHECK_INT((int)st.st_size, 0);
	CHECK_INT(lstat(path, &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_INT(unlink(path), 0);

	/* No state directory at all: per process too. */
	rl = ratelimit_local_open(NULL);
	CHECK_INT(passed(rl, 53, 2, 60, NOW, 3), 2);
	ratelimit_free(rl);
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(rates_parse_and_bad_ones_are_refused),
                  TEST_CASE(tool_lists_parse_and_bad_ones_are_refused),
                  TEST_CASE(keys_keep_their_parts_apart),
                  TEST_CASE(gcra_lets_a_burst_of_n_through_then_one_per_interval),
                  TEST_CASE(two_keys_are_charged_all_or_nothing),
                  TEST_CASE(the_table_is_shared_and_ours_alone), TEST_CASE(exact_across_processes),
                  TEST_CASE(a_full_table_evicts_the_oldest_and_never_grows),
                  TEST_CASE(a_damaged_or_truncated_table_is_rebuilt_never_trusted),
                  TEST_CASE(the_table_file_is_allocated_whole),
                  TEST_CASE(a_symlink_or_a_file_not_ours_alone_is_refused))
