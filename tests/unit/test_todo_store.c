/* Unit tests for src/mcp/todo_store.h: CRUD, limits, isolation, paging, concurrency. */
#include "test.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcp/todo_store.h"

static char dir[] = "/tmp/mcp-todo-XXXXXX";
static char path[256];
static struct todo_store *s;
static struct err e;
static const struct todo_owner alice = {"alice", ""}, bob = {"bob", ""},
                               alice_acme = {"alice", "org_acme"};

static int
setup(void)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/todos.sqlite", dir);
	if ((s = todo_store_open(path, 5, &e)) == NULL)
		fprintf(stderr, "todo_store_open: %s\n", e.msg);
	return s != NULL ? 0 : -1;
}

static void
cleanup(void)
{
	char cmd[300];

	todo_store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

TEST(open_creates_private_file)
{
	struct stat st;

	CHECK(s != NULL);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
}

TEST(crud)
{
	struct todo t, u;

	CHECK_INT(todo_create(s, &alice, "buy milk", NULL, &t, &e), 0);
	CHECK_INT(strlen(t.id), TODO_ID_LEN);
	CHECK_STR(t.title, "buy milk");
	CHECK_STR(t.description, "");
	CHECK(!t.completed);
	CHECK_INT(todo_get(s, &alice, t.id, &u, &e), 0);
	CHECK_STR(u.title, "buy milk");
	todo_clear(&u);
	CHECK_INT(todo_update(s, &alice, t.id, NULL, "2 litres", 1, &u, &e), 0);
	CHECK_STR(u.title, "buy milk");
	CHECK_STR(u.description, "2 litres");
	CHECK(u.completed);
	todo_clear(&u);
	CHECK_INT(todo_update(s, &alice, t.id, "buy oat milk", NULL, -1, &u, &e), 0);
	CHECK_STR(u.title, "buy oat milk");
	CHECK(u.completed);
	todo_clear(&u);
	CHECK_INT(todo_delete(s, &alice, t.id, &e), 0);
	CHECK_INT(todo_delete(s, &alice, t.id, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	CHECK_INT(todo_get(s, &alice, t.id, &u, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	todo_clear(&t);
}

TEST(isolation_by_subject_and_org)
{
	struct todo t, u;
	struct todo *items;
	size_t n;
	char next[32];

	CHECK_INT(todo_create(s, &alice, "mine", "secret", &t, &e), 0);
	CHECK_INT(todo_get(s, &bob, t.id, &u, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	CHECK_INT(todo_get(s, &alice_acme, t.id, &u, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	CHECK_INT(todo_update(s, &bob, t.id, "pwned", NULL, 1, &u, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	CHECK_INT(todo_delete(s, &bob, t.id, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	CHECK_INT(todo_list(s, &bob, -1, 10, NULL, &items, &n, next, &e), 0);
	CHECK_INT(n, 0);
	todo_list_free(items, n);
	/* Nothing bob did changed alice's todo. */
	CHECK_INT(todo_get(s, &alice, t.id, &u, &e), 0);
	CHECK_STR(u.title, "mine");
	CHECK(!u.completed);
	todo_clear(&u);
	CHECK_INT(todo_delete(s, &alice, t.id, &e), 0);
	todo_clear(&t);
	/* Hostile ids are plain values to SQLite, never SQL. */
	CHECK_INT(todo_get(s, &alice, "' OR 1=1 --", &u, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
}

TEST(limit_per_owner_stores_nothing_partial)
{
	struct todo t;
	struct todo *items;
	size_t n;
	char next[32];

	for (int i = 0; i < 5; i++) {
		CHECK_INT(todo_create(s, &bob, "t", NULL, &t, &e), 0);
		todo_clear(&t);
	}
	CHECK_INT(todo_create(s, &bob, "one too many", NULL, &t, &e), -1);
	CHECK_ERR(e, ERR_LIMIT, TODO_MSG_LIMIT);
	CHECK_INT(todo_list(s, &bob, -1, 100, NULL, &items, &n, next, &e), 0);
	CHECK_INT(n, 5);
	todo_list_free(items, n);
	/* Another owner is not affected by bob's limit. */
	CHECK_INT(todo_create(s, &alice, "fine", NULL, &t, &e), 0);
	todo_clear(&t);
}

TEST(paging_and_filters)
{
	struct todo *items;
	struct todo t, u;
	size_t n, total = 0;
	char next[32], cursor[32] = "";
	const struct todo_owner dave = {"dave", "org_d"};

	CHECK_INT(todo_create(s, &dave, "first", NULL, &t, &e), 0);
	todo_clear(&t);
	CHECK_INT(todo_create(s, &dave, "second", NULL, &t, &e), 0);
	CHECK_INT(todo_update(s, &dave, t.id, NULL, NULL, 1, &u, &e), 0);
	todo_clear(&t);
	todo_clear(&u);
	do {
		CHECK_INT(
		    todo_list(s, &dave, -1, 1, cursor[0] ? cursor : NULL, &items, &n, next, &e), 0);
		total += n;
		todo_list_free(items, n);
		snprintf(cursor, sizeof(cursor), "%s", next);
	} while (next[0] != '\0' && total < 10);
	CHECK_INT(total, 2);
	CHECK_INT(todo_list(s, &dave, 1, 10, NULL, &items, &n, next, &e), 0);
	CHECK_INT(n, 1);
	CHECK(n == 1 && items[0].completed);
	todo_list_free(items, n);
	CHECK_INT(todo_list(s, &dave, 0, 10, NULL, &items, &n, next, &e), 0);
	CHECK_INT(n, 1);
	todo_list_free(items, n);
	CHECK_INT(todo_list(s, &dave, -1, 10, "x5", &items, &n, next, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TODO_MSG_CURSOR);
	CHECK_INT(todo_list(s, &dave, -1, 10, "c-1", &items, &n, next, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TODO_MSG_CURSOR);
	CHECK_INT(todo_list(s, &dave, -1, 10, "c99999999999999999999", &items, &n, next, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TODO_MSG_CURSOR);
}

/* Several processes create at once through their own connections: none lost, none doubled. */
TEST(concurrent_writers)
{
	enum { PROCS = 8, EACH = 25 };
	struct todo_owner carol = {"carol", ""};
	struct todo *items;
	size_t n;
	char next[32];
	int status, ok = 0;

	for (int p = 0; p < PROCS; p++) {
		if (fork() == 0) {
			struct todo_store *mine = todo_store_open(path, 1000, &e);
			int fails = mine == NULL;
			for (int i = 0; mine != NULL && i < EACH; i++) {
				struct todo t;
				fails += todo_create(mine, &carol, "c", NULL, &t, &e) != 0;
				todo_clear(&t);
			}
			todo_store_close(mine);
			_exit(fails == 0 ? 0 : 1);
		}
	}
	for (int p = 0; p < PROCS; p++)
		if (wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	CHECK_INT(ok, PROCS);
	CHECK_INT(todo_list(s, &carol, -1, 100, NULL, &items, &n, next, &e), 0);
	todo_list_free(items, n);
	size_t total = n;
	while (next[0] != '\0') {
		char cur[32];
		snprintf(cur, sizeof(cur), "%s", next);
		CHECK_INT(todo_list(s, &carol, -1, 100, cur, &items, &n, next, &e), 0);
		todo_list_free(items, n);
		total += n;
	}
	CHECK_INT(total, PROCS * EACH);
}

TEST(corrupt_database_is_refused_at_open)
{
	char bad[300];
	FILE *f;

	snprintf(bad, sizeof(bad), "%s/corrupt.sqlite", dir);
	f = fopen(bad, "w");
	fputs("this is not an SQLite database, just garbage of some length ..........", f);
	fclose(f);
	CHECK(todo_store_open(bad, 5, &e) == NULL);
	CHECK_ERR(e, ERR_CONFIG, "todo database");
	unlink(bad);
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(open_creates_private_file), TEST_CASE(crud),
                  TEST_CASE(isolation_by_subject_and_org),
                  TEST_CASE(limit_per_owner_stores_nothing_partial), TEST_CASE(paging_and_filters),
                  TEST_CASE(concurrent_writers), TEST_CASE(corrupt_database_is_refused_at_open))
