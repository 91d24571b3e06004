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
static const struct todo_owner alice = {"alice", ""}, bob = {"bob", ""},
                               alice_acme = {"alice", "org_acme"};

TEST(open_creates_private_file)
{
	char err[256];
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/todos.sqlite", dir);
	s = todo_store_open(path, 5, err, sizeof(err));
	CHECK(s != NULL);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
}

TEST(crud)
{
	struct todo t, u;

	CHECK_INT(todo_create(s, &alice, "buy milk", NULL, &t), TODO_OK);
	CHECK_INT(strlen(t.id), TODO_ID_LEN);
	CHECK_STR(t.title, "buy milk");
	CHECK_STR(t.description, "");
	CHECK(!t.completed);
	CHECK_INT(todo_get(s, &alice, t.id, &u), TODO_OK);
	CHECK_STR(u.title, "buy milk");
	todo_clear(&u);
	CHECK_INT(todo_update(s, &alice, t.id, NULL, "2 litres", 1, &u), TODO_OK);
	CHECK_STR(u.title, "buy milk");
	CHECK_STR(u.description, "2 litres");
	CHECK(u.completed);
	todo_clear(&u);
	CHECK_INT(todo_update(s, &alice, t.id, "buy oat milk", NULL, -1, &u), TODO_OK);
	CHECK_STR(u.title, "buy oat milk");
	CHECK(u.completed);
	todo_clear(&u);
	CHECK_INT(todo_delete(s, &alice, t.id), TODO_OK);
	CHECK_INT(todo_delete(s, &alice, t.id), TODO_ERR_NOT_FOUND);
	CHECK_INT(todo_get(s, &alice, t.id, &u), TODO_ERR_NOT_FOUND);
	todo_clear(&t);
}

TEST(isolation_by_subject_and_org)
{
	struct todo t, u;
	struct todo *items;
	size_t n;
	char next[32];

	CHECK_INT(todo_create(s, &alice, "mine", "secret", &t), TODO_OK);
	CHECK_INT(todo_get(s, &bob, t.id, &u), TODO_ERR_NOT_FOUND);
	CHECK_INT(todo_get(s, &alice_acme, t.id, &u), TODO_ERR_NOT_FOUND);
	CHECK_INT(todo_update(s, &bob, t.id, "pwned", NULL, 1, &u), TODO_ERR_NOT_FOUND);
	CHECK_INT(todo_delete(s, &bob, t.id), TODO_ERR_NOT_FOUND);
	CHECK_INT(todo_list(s, &bob, -1, 10, NULL, &items, &n, next), TODO_OK);
	CHECK_INT(n, 0);
	todo_list_free(items, n);
	/* Nothing bob did changed alice's todo. */
	CHECK_INT(todo_get(s, &alice, t.id, &u), TODO_OK);
	CHECK_STR(u.title, "mine");
	CHECK(!u.completed);
	todo_clear(&u);
	CHECK_INT(todo_delete(s, &alice, t.id), TODO_OK);
	todo_clear(&t);
	/* Hostile ids are plain values to SQLite, never SQL. */
	CHECK_INT(todo_get(s, &alice, "' OR 1=1 --", &u), TODO_ERR_NOT_FOUND);
}

TEST(limit_per_owner_stores_nothing_partial)
{
	struct todo t;
	struct todo *items;
	size_t n;
	char next[32];

	for (int i = 0; i < 5; i++) {
		CHECK_INT(todo_create(s, &bob, "t", NULL, &t), TODO_OK);
		todo_clear(&t);
	}
	CHECK_INT(todo_create(s, &bob, "one too many", NULL, &t), TODO_ERR_LIMIT);
	CHECK_INT(todo_list(s, &bob, -1, 100, NULL, &items, &n, next), TODO_OK);
	CHECK_INT(n, 5);
	todo_list_free(items, n);
	/* Another owner is not affected by bob's limit. */
	CHECK_INT(todo_create(s, &alice, "fine", NULL, &t), TODO_OK);
	todo_clear(&t);
}

TEST(paging_and_filters)
{
	struct todo *items;
	struct todo t, u;
	size_t n, total = 0;
	char next[32], cursor[32] = "";

	CHECK_INT(todo_create(s, &alice, "second", NULL, &t), TODO_OK);
	CHECK_INT(todo_update(s, &alice, t.id, NULL, NULL, 1, &u), TODO_OK);
	todo_clear(&t);
	todo_clear(&u);
	do {
		CHECK_INT(todo_list(s, &alice, -1, 1, cursor[0] ? cursor : NULL, &items, &n, next),
		          TODO_OK);
		total += n;
		todo_list_free(items, n);
		snprintf(cursor, sizeof(cursor), "%s", next);
	} while (next[0] != '\0' && total < 10);
	CHECK_INT(total, 2);
	CHECK_INT(todo_list(s, &alice, 1, 10, NULL, &items, &n, next), TODO_OK);
	CHECK_INT(n, 1);
	CHECK(n == 1 && items[0].completed);
	todo_list_free(items, n);
	CHECK_INT(todo_list(s, &alice, 0, 10, NULL, &items, &n, next), TODO_OK);
	CHECK_INT(n, 1);
	todo_list_free(items, n);
	CHECK_INT(todo_list(s, &alice, -1, 10, "x5", &items, &n, next), TODO_ERR_CURSOR);
	CHECK_INT(todo_list(s, &alice, -1, 10, "c-1", &items, &n, next), TODO_ERR_CURSOR);
	CHECK_INT(todo_list(s, &alice, -1, 10, "c99999999999999999999", &items, &n, next),
	          TODO_ERR_CURSOR);
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
			char err[256];
			struct todo_store *mine = todo_store_open(path, 1000, err, sizeof(err));
			int fails = mine == NULL;
			for (int i = 0; mine != NULL && i < EACH; i++) {
				struct todo t;
				fails += todo_create(mine, &carol, "c", NULL, &t) != TODO_OK;
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
	CHECK_INT(todo_list(s, &carol, -1, 100, NULL, &items, &n, next), TODO_OK);
	todo_list_free(items, n);
	size_t total = n;
	while (next[0] != '\0') {
		char cur[32];
		snprintf(cur, sizeof(cur), "%s", next);
		CHECK_INT(todo_list(s, &carol, -1, 100, cur, &items, &n, next), TODO_OK);
		todo_list_free(items, n);
		total += n;
	}
	CHECK_INT(total, PROCS * EACH);
}

TEST(corrupt_database_is_refused_at_open)
{
	char bad[300], err[256];
	FILE *f;

	snprintf(bad, sizeof(bad), "%s/corrupt.sqlite", dir);
	f = fopen(bad, "w");
	fputs("this is not an SQLite database, just garbage of some length ..........", f);
	fclose(f);
	CHECK(todo_store_open(bad, 5, err, sizeof(err)) == NULL);
	CHECK(err[0] != '\0');
	unlink(bad);
}

TEST(cleanup)
{
	char cmd[300];

	todo_store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}

TEST_MAIN(TEST_CASE(open_creates_private_file), TEST_CASE(crud),
          TEST_CASE(isolation_by_subject_and_org),
          TEST_CASE(limit_per_owner_stores_nothing_partial), TEST_CASE(paging_and_filters),
          TEST_CASE(concurrent_writers), TEST_CASE(corrupt_database_is_refused_at_open),
          TEST_CASE(cleanup))
