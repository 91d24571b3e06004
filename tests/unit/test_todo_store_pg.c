/*
 * Unit tests for src/mcp/todo_store.h with MCP_DATABASE_URL: the PostgreSQL
 * backend against a real PostgreSQL 15 server that the fixture starts
 * (tests/pg/pgserver.sh) in a temporary directory and stops by its pid.
 * Not skipped: without PostgreSQL installed every case fails with the reason.
 */
#include "test.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcp/todo_store.h"
#include "mcp/todo_store_libpq.h"
#include "pg_fixture.h"

#define ISS  "https://as.example"
#define ISS2 "https://other-as.example"

static struct todo_store *s;
static struct err e;
static bool libpq_mapped_before_use;
static const struct todo_owner alice = {ISS, "alice", ""}, bob = {ISS, "bob", ""},
                               alice_acme = {ISS, "alice", "org_acme"},
                               alice_iss2 = {ISS2, "alice", ""};

static bool
libpq_mapped(void)
{
	void *h = dlopen(TODO_LIBPQ_LIB, RTLD_LAZY | RTLD_NOLOAD);

	if (h != NULL)
		dlclose(h);
	return h != NULL;
}

static int
setup(void)
{
	struct todo_store *idle;

	if (pg_fixture_start() != 0)
		return -1;
	idle = todo_store_new(pg_url, 5, ISS);
	todo_store_close(idle);
	libpq_mapped_before_use = libpq_mapped();
	if ((s = todo_store_open(pg_url, 5, ISS, &e)) == NULL)
		fprintf(stderr, "todo_store_open: %s\n", e.msg);
	return s != NULL ? 0 : -1;
}

static void
cleanup(void)
{
	todo_store_close(s);
	pg_fixture_stop();
}

/* libpq is loaded by the first operation, not by making or closing a store. */
TEST(libpq_loaded_by_the_first_use)
{
	CHECK(!libpq_mapped_before_use);
	CHECK(libpq_mapped());
	CHECK_STR(todo_store_backend(s), "postgresql");
	CHECK(todo_store_is_url(pg_url));
	CHECK(todo_store_is_url("postgres://h/db"));
	CHECK(!todo_store_is_url("/var/lib/mcp-fcgi/todos.sqlite"));
}

TEST(crud)
{
	struct todo t, u;

	CHECK_INT(todo_create(s, &alice, "buy milk", NULL, &t, &e), 0);
	CHECK_INT(strlen(t.id), TODO_ID_LEN);
	CHECK_STR(t.title, "buy milk");
	CHECK_STR(t.description, "");
	CHECK(!t.completed);
	CHECK(t.created_at > 0 && t.created_at == t.updated_at);
	CHECK_INT(todo_get(s, &alice, t.id, &u, &e), 0);
	CHECK_STR(u.title, "buy milk");
	todo_clear(&u);
	CHECK_INT(todo_update(s, &alice, t.id, NULL, "two litres", 1, &u, &e), 0);
	CHECK_STR(u.title, "buy milk");
	CHECK_STR(u.description, "two litres");
	CHECK(u.completed);
	todo_clear(&u);
	CHECK_INT(todo_update(s, &alice, t.id, "oat milk", NULL, -1, &u, &e), 0);
	CHECK_STR(u.title, "oat milk");
	CHECK(u.completed);
	todo_clear(&u);
	CHECK_INT(todo_delete(s, &alice, t.id, &e), 0);
	CHECK_INT(todo_get(s, &alice, t.id, &u, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	CHECK_INT(todo_delete(s, &alice, t.id, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	CHECK_INT(todo_get(s, &alice, "not-an-id'; DROP TABLE todos; --", &u, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	todo_clear(&t);
}

/* Another subject, organisation or issuer reaches nothing, even with the id. */
TEST(isolation_by_issuer_subject_and_org)
{
	const struct todo_owner *others[] = {&bob, &alice_acme, &alice_iss2};
	struct todo t, u;

	CHECK_INT(todo_create(s, &alice, "private", "'quotes' and \\backslashes", &t, &e), 0);
	for (size_t i = 0; i < 3; i++) {
		CHECK_INT(todo_get(s, others[i], t.id, &u, &e), -1);
		CHECK_ERR(e, ERR_NOT_FOUND, NULL);
		CHECK_INT(todo_update(s, others[i], t.id, "mine", NULL, 1, &u, &e), -1);
		CHECK_INT(todo_delete(s, others[i], t.id, &e), -1);
	}
	CHECK_INT(todo_get(s, &alice, t.id, &u, &e), 0);
	CHECK_STR(u.title, "private");
	CHECK_STR(u.description, "'quotes' and \\backslashes");
	CHECK(!u.completed);
	todo_clear(&u);
	CHECK_INT(todo_delete(s, &alice, t.id, &e), 0);
	todo_clear(&t);
}

TEST(limit_per_owner)
{
	struct todo_owner dave = {ISS, "dave", ""};
	struct todo t;

	for (int i = 0; i < 5; i++) {
		CHECK_INT(todo_create(s, &dave, "t", NULL, &t, &e), 0);
		todo_clear(&t);
	}
	CHECK_INT(todo_create(s, &dave, "one too many", NULL, &t, &e), -1);
	CHECK_ERR(e, ERR_LIMIT, TODO_MSG_LIMIT);
	CHECK_INT(query_long("SELECT count(*) FROM todos WHERE owner_sub = 'dave'"), 5);
	/* Another owner is not limited by dave's. */
	CHECK_INT(todo_create(s, &bob, "bob's", NULL, &t, &e), 0);
	todo_clear(&t);
}

/* Pages of 3 in creation order, filters, and cursors sealed to their owner. */
TEST(paging_filters_and_cursors)
{
	struct todo_owner erin = {ISS, "erin", ""}, erin_acme = {ISS, "erin", "org_acme"};
	struct todo_store *big = todo_store_open(pg_url, 1000, ISS, &e);
	struct todo t, u, *items;
	char next[TODO_CURSOR_MAX], cur[TODO_CURSOR_MAX], title[16];
	size_t n, total = 0;

	CHECK(big != NULL);
	if (big == NULL)
		return;
	for (int i = 0; i < 10; i++) {
		snprintf(title, sizeof(title), "e%d", i);
		CHECK_INT(todo_create(big, &erin, title, NULL, &t, &e), 0);
		if (i % 2 == 0) {
			CHECK_INT(todo_update(big, &erin, t.id, NULL, NULL, 1, &u, &e), 0);
			todo_clear(&u);
		}
		todo_clear(&t);
	}
	cur[0] = '\0';
	do {
		CHECK_INT(todo_list(big, &erin, -1, 3, cur[0] ? cur : NULL, &items, &n, next, &e),
		          0);
		for (size_t i = 0; i < n; i++) {
			snprintf(title, sizeof(title), "e%zu", total + i);
			CHECK_STR(items[i].title, title);
		}
		total += n;
		todo_list_free(items, n);
		snprintf(cur, sizeof(cur), "%s", next);
	} while (next[0] != '\0' && total < 20);
	CHECK_INT(total, 10);
	CHECK_INT(todo_list(big, &erin, 1, 100, NULL, &items, &n, next, &e), 0);
	CHECK_INT(n, 5);
	CHECK_STR(next, "");
	todo_list_free(items, n);
	CHECK_INT(todo_list(big, &erin, -1, 2, NULL, &items, &n, next, &e), 0);
	todo_list_free(items, n);
	/* The cursor opens for erin only, not for her organisation's identity. */
	CHECK_INT(todo_list(big, &erin_acme, -1, 2, next, &items, &n, cur, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TODO_MSG_CURSOR);
	CHECK_INT(todo_list(big, &erin, -1, 2, "bm90IGEgY3Vyc29y", &items, &n, cur, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TODO_MSG_CURSOR);
	/* Another connection (another worker, another machine) reads the same key. */
	CHECK_INT(todo_list(s, &erin, -1, 2, next, &items, &n, cur, &e), 0);
	CHECK_INT(n, 2);
	CHECK_STR(n == 2 ? items[0].title : "", "e2");
	todo_list_free(items, n);
	todo_store_close(big);
}

/*
 * Processes starting at once against an empty database: one migrates
 * (one row per migration in the log, one schema), every one opens it.
 */
TEST(crowd_migrates_a_new_database_once)
{
	enum { PROCS = 8 };
	char fresh[256];
	int status, ok = 0;

	CHECK_INT(sh(fresh, sizeof(fresh), PGSERVER " createdb %s crowd", pg_dir), 0);
	strncat(fresh, "?connect_timeout=10", sizeof(fresh) - strlen(fresh) - 1);
	for (int p = 0; p < PROCS; p++) {
		if (fork() == 0) {
			struct todo_store *mine = todo_store_open(fresh, 10, ISS, &e);
			struct todo t;
			int rc = mine != NULL && todo_create(mine, &alice, "x", NULL, &t, &e) == 0;
			if (rc)
				todo_clear(&t);
			todo_store_close(mine);
			_exit(rc ? 0 : 1);
		}
	}
	for (int p = 0; p < PROCS; p++)
		if (wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	CHECK_INT(ok, PROCS);
	CHECK_INT(sh(fresh, sizeof(fresh),
	             PGSERVER " psql %s \"SELECT count(*) || ' ' || max(version) FROM "
	                      "todo_migrations\" crowd",
	             pg_dir),
	          0);
	/* Every migration this program knows, each applied once. */
	CHECK_STR(fresh, "2 2");
}

/*
 * The server restarted under an open connection: the next operation finds
 * the connection closed, connects again by itself and succeeds; nothing
 * committed before is lost.
 */
TEST(reconnects_after_a_restart)
{
	struct todo_owner frank = {ISS, "frank", ""};
	struct todo t, u;

	CHECK_INT(todo_create(s, &frank, "before the restart", NULL, &t, &e), 0);
	CHECK_INT(sh(NULL, 0, PGSERVER " restart %s", pg_dir), 0);
	CHECK_INT(todo_get(s, &frank, t.id, &u, &e), 0);
	CHECK_STR(u.title, "before the restart");
	todo_clear(&u);
	CHECK_INT(sh(NULL, 0, PGSERVER " restart %s", pg_dir), 0);
	CHECK_INT(todo_create(s, &frank, "after the restart", NULL, &u, &e), 0);
	todo_clear(&u);
	CHECK_INT(query_long("SELECT count(*) FROM todos WHERE owner_sub = 'frank'"), 2);
	todo_clear(&t);
}

/*
 * The server down: every operation fails at once with ERR_UNAVAILABLE (the
 * caller's 503); once it is back, the same store serves again.
 */
TEST(unavailable_while_down_then_serves_again)
{
	struct todo_owner gina = {ISS, "gina", ""};
	struct todo t, *items;
	char next[TODO_CURSOR_MAX];
	size_t n;

	CHECK_INT(todo_create(s, &gina, "kept", NULL, &t, &e), 0);
	todo_clear(&t);
	CHECK_INT(sh(NULL, 0, PGSERVER " stop %s", pg_dir), 0);
	CHECK_INT(todo_create(s, &gina, "lost?", NULL, &t, &e), -1);
	CHECK_ERR(e, ERR_UNAVAILABLE, NULL);
	CHECK_INT(todo_list(s, &gina, -1, 10, NULL, &items, &n, next, &e), -1);
	CHECK_ERR(e, ERR_UNAVAILABLE, NULL);
	CHECK(items == NULL && n == 0);
	CHECK_INT(sh(NULL, 0, PGSERVER " start %s", pg_dir), 0);
	/* Past the reconnect throttle (1 s). */
	sleep(2);
	CHECK_INT(todo_list(s, &gina, -1, 10, NULL, &items, &n, next, &e), 0);
	CHECK_INT(n, 1);
	todo_list_free(items, n);
}

/* A server that cannot be reached: ERR_UNAVAILABLE, and the password in no message. */
TEST(unreachable_server_names_no_password)
{
	char bad[300];
	struct todo_store *u;

	snprintf(bad, sizeof(bad), "postgresql://mcp:%s@127.0.0.1:1/mcp?connect_timeout=2",
	         pg_password);
	u = todo_store_open(bad, 5, ISS, &e);
	CHECK(u == NULL);
	CHECK_ERR(e, ERR_UNAVAILABLE, NULL);
	CHECK(strstr(e.msg, pg_password) == NULL);
	CHECK(strstr(e.msg, "127.0.0.1:1") == NULL);
	todo_store_close(u);
}

enum { HAL_EACH = 10, HAL_MAX = 25 };

/* One creator process: HAL_EACH creates for hal on its own store; how many succeeded. */
static int
hal_creator(int p)
{
	struct todo_owner hal = {ISS, "hal", ""};
	struct todo_store *mine = todo_store_open(pg_url, HAL_MAX, ISS, &e);
	int ok = 0;

	(void)p;
	for (int i = 0; mine != NULL && i < HAL_EACH; i++) {
		struct todo t;
		if (todo_create(mine, &hal, "h", NULL, &t, &e) == 0) {
			ok++;
			todo_clear(&t);
		}
	}
	todo_store_close(mine);
	return ok;
}

/* Creators in several processes at once never overshoot the per-owner limit. */
TEST(concurrent_creators_keep_the_limit)
{
	CHECK_INT(forked_sum(6, hal_creator), HAL_MAX);
	CHECK_INT(query_long("SELECT count(*) FROM todos WHERE owner_sub = 'hal'"), HAL_MAX);
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(libpq_loaded_by_the_first_use), TEST_CASE(crud),
                  TEST_CASE(isolation_by_issuer_subject_and_org), TEST_CASE(limit_per_owner),
                  TEST_CASE(paging_filters_and_cursors),
                  TEST_CASE(crowd_migrates_a_new_database_once),
                  TEST_CASE(reconnects_after_a_restart),
                  TEST_CASE(unavailable_while_down_then_serves_again),
                  TEST_CASE(unreachable_server_names_no_password),
                  TEST_CASE(concurrent_creators_keep_the_limit))
