/* Unit tests for src/mcp/todo_store.h: CRUD, limits, isolation, paging, concurrency. */
#include "test.h"
#include "tmpdir.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcp/todo_store.h"
#include "mcp/todo_store_sqlite.h"

static char dir[] = "/tmp/mcp-todo-XXXXXX";
static char path[256];
static struct todo_store *s;
static struct err e;
#define ISS  "https://as.example"
#define ISS2 "https://other-as.example"
static const struct todo_owner alice = {ISS, "alice", ""}, bob = {ISS, "bob", ""},
                               alice_acme = {ISS, "alice", "org_acme"},
                               alice_iss2 = {ISS2, "alice", ""};

static bool sqlite_mapped_before_use; /* set by setup, before the first open */

/* True when the process has SQLite mapped (the test program does not link it). */
static bool
sqlite_mapped(void)
{
	void *h = dlopen(TODO_SQLITE_LIB, RTLD_LAZY | RTLD_NOLOAD);

	if (h != NULL)
		dlclose(h);
	return h != NULL;
}

static int
setup(void)
{
	struct todo_store *idle;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/todos.sqlite", dir);
	/* A store made and closed unused, as by every CGI request that runs no todo tool. */
	idle = todo_store_new(path, 5, ISS);
	todo_store_close(idle);
	sqlite_mapped_before_use = sqlite_mapped();
	if ((s = todo_store_open(path, 5, ISS, &e)) == NULL)
		fprintf(stderr, "todo_store_open: %s\n", e.msg);
	return s != NULL ? 0 : -1;
}

static void
cleanup(void)
{
	todo_store_close(s);
	tmpdir_remove(dir);
}

TEST(open_creates_private_file)
{
	struct stat st;

	CHECK(s != NULL);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
}

/* SQLite is loaded by the first operation, not by making or closing a store. */
TEST(sqlite_loaded_by_the_first_use)
{
	struct stat st;

	CHECK(!sqlite_mapped_before_use);
	CHECK(sqlite_mapped());
	CHECK_INT(stat(path, &st), 0);
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
	char next[TODO_CURSOR_MAX];

	CHECK_INT(todo_create(s, &alice, "mine", "secret", &t, &e), 0);
	CHECK_INT(todo_get(s, &bob, t.id, &u, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	CHECK_INT(todo_get(s, &alice_acme, t.id, &u, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	/* The same sub from another issuer is someone else. */
	CHECK_INT(todo_get(s, &alice_iss2, t.id, &u, &e), -1);
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
	char next[TODO_CURSOR_MAX];

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
	char next[TODO_CURSOR_MAX], cursor[TODO_CURSOR_MAX] = "";
	const struct todo_owner dave = {ISS, "dave", "org_d"};

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

/* What a listing handed over: the first titles, how many, and whether each view was whole. */
struct seen {
	char titles[4][16];
	size_t n;
	bool whole;
};

static void
see(void *arg, const struct todo_view *t)
{
	struct seen *sn = arg;

	if (sn->n < 4)
		snprintf(sn->titles[sn->n], sizeof(sn->titles[0]), "%s", t->title);
	sn->n++;
	sn->whole = sn->whole && strlen(t->id) == TODO_ID_LEN && t->description != NULL &&
	            t->description[0] == '\0' && !t->completed && t->created_at > 0 &&
	            t->updated_at == t->created_at;
}

/*
 * todo_list_each() hands over each todo of the page in order, borrowed from
 * the database, and the next cursor as todo_list() gives it; a cursor it
 * refuses hands over nothing.
 */
TEST(list_each_hands_over_the_page)
{
	const struct todo_owner gus = {ISS, "gus", ""};
	struct seen sn = {.whole = true};
	char next[TODO_CURSOR_MAX], last[TODO_CURSOR_MAX];
	struct todo t;

	for (int i = 1; i <= 3; i++) {
		char title[16];

		snprintf(title, sizeof(title), "g%d", i);
		CHECK_INT(todo_create(s, &gus, title, NULL, &t, &e), 0);
		todo_clear(&t);
	}
	CHECK_INT(todo_list_each(s, &gus, -1, 2, NULL, see, &sn, next, &e), 0);
	CHECK_INT(sn.n, 2);
	CHECK_STR(sn.titles[0], "g1");
	CHECK_STR(sn.titles[1], "g2");
	CHECK(next[0] != '\0');
	CHECK(sn.whole);
	sn = (struct seen){.whole = true};
	CHECK_INT(todo_list_each(s, &gus, -1, 2, next, see, &sn, last, &e), 0);
	CHECK_INT(sn.n, 1);
	CHECK_STR(sn.titles[0], "g3");
	CHECK_STR(last, "");
	CHECK(sn.whole);
	/* Only the open ones: all three; only the completed: none. */
	sn = (struct seen){.whole = true};
	CHECK_INT(todo_list_each(s, &gus, 0, 10, NULL, see, &sn, last, &e), 0);
	CHECK_INT(sn.n, 3);
	sn = (struct seen){.whole = true};
	CHECK_INT(todo_list_each(s, &gus, 1, 10, NULL, see, &sn, last, &e), 0);
	CHECK_INT(sn.n, 0);
	/* Another owner's cursor, and a forged one: refused before any row. */
	CHECK_INT(todo_list_each(s, &bob, -1, 2, next, see, &sn, last, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TODO_MSG_CURSOR);
	CHECK_INT(todo_list_each(s, &gus, -1, 2, "c1", see, &sn, last, &e), -1);
	CHECK_INT(sn.n, 0);
	CHECK_STR(last, "");
}

/* Several processes create at once through their own connections: none lost, none doubled. */
/* Cursors reveal nothing and open only for their owner. */
TEST(cursors_opaque_and_bound)
{
	const struct todo_owner erin = {ISS, "erin", ""}, frank = {ISS, "frank", ""},
	                        erin_iss2 = {ISS2, "erin", ""};
	struct todo *items;
	struct todo t;
	size_t n;
	char c1[TODO_CURSOR_MAX], c2[TODO_CURSOR_MAX], bad[TODO_CURSOR_MAX];

	for (int i = 0; i < 3; i++) {
		CHECK_INT(todo_create(s, &erin, "e", NULL, &t, &e), 0);
		todo_clear(&t);
	}
	CHECK_INT(todo_list(s, &erin, -1, 1, NULL, &items, &n, c1, &e), 0);
	todo_list_free(items, n);
	CHECK_INT(todo_list(s, &erin, -1, 1, NULL, &items, &n, c2, &e), 0);
	todo_list_free(items, n);
	/* Opaque: base64url text, no digits of a sequence, never twice the same. */
	CHECK(strlen(c1) > 32 && strspn(c1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                                    "0123456789-_") == strlen(c1));
	CHECK(strcmp(c1, c2) != 0);
	CHECK_INT(todo_list(s, &erin, -1, 1, c1, &items, &n, c2, &e), 0);
	CHECK_INT(n, 1);
	todo_list_free(items, n);
	/* Another owner's cursor, or one from another issuer: refused, not a page. */
	CHECK_INT(todo_list(s, &frank, -1, 1, c1, &items, &n, c2, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TODO_MSG_CURSOR);
	CHECK_INT(todo_list(s, &erin_iss2, -1, 1, c1, &items, &n, c2, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TODO_MSG_CURSOR);
	/* A changed character, a cut or a longer cursor: refused. */
	snprintf(bad, sizeof(bad), "%s", c1);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	CHECK_INT(todo_list(s, &erin, -1, 1, bad, &items, &n, c2, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TODO_MSG_CURSOR);
	bad[strlen(bad) - 1] = '\0';
	CHECK_INT(todo_list(s, &erin, -1, 1, bad, &items, &n, c2, &e), -1);
	CHECK_INT(todo_list(s, &erin, -1, 1, "", &items, &n, c2, &e), -1);
}

/*
 * A database made by the first release (schema 1, owners without issuer)
 * is migrated at open: its rows belong to the configured issuer's owners.
 */
TEST(migrates_a_release1_database)
{
	char fix[300], cmd[700];
	struct todo_store *m;
	struct todo *items;
	size_t n;
	char next[TODO_CURSOR_MAX];
	const struct todo_owner a = {ISS, "alice", ""}, b = {ISS, "bob", "org_b"},
	                        a2 = {ISS2, "alice", ""};

	snprintf(fix, sizeof(fix), "%s/release1.sqlite", dir);
	/* Relative to the repository root, where the tests run. */
	snprintf(cmd, sizeof(cmd), "cp tests/unit/fixtures/todos-release1.sqlite '%s'", fix);
	CHECK_INT(system(cmd), 0);
	CHECK((m = todo_store_open(fix, 100, ISS, &e)) != NULL);
	if (m == NULL)
		return;
	CHECK_INT(todo_list(m, &a, -1, 10, NULL, &items, &n, next, &e), 0);
	CHECK_INT(n, 2);
	CHECK(n == 2 && strcmp(items[0].title, "alice's first") == 0 &&
	      strcmp(items[0].description, "made by release 1") == 0 && items[1].completed);
	todo_list_free(items, n);
	CHECK_INT(todo_list(m, &b, -1, 10, NULL, &items, &n, next, &e), 0);
	CHECK_INT(n, 1);
	todo_list_free(items, n);
	CHECK_INT(todo_list(m, &a2, -1, 10, NULL, &items, &n, next, &e), 0);
	CHECK_INT(n, 0);
	todo_list_free(items, n);
	todo_store_close(m);
	/* Opening again finds version 2 and changes nothing. */
	CHECK((m = todo_store_open(fix, 100, ISS2, &e)) != NULL);
	CHECK(m != NULL && todo_list(m, &a, -1, 10, NULL, &items, &n, next, &e) == 0 && n == 2);
	if (m != NULL)
		todo_list_free(items, n);
	todo_store_close(m);
}

TEST(concurrent_writers)
{
	enum { PROCS = 8, EACH = 25 };
	struct todo_owner carol = {ISS, "carol", ""};
	struct todo *items;
	size_t n;
	char next[TODO_CURSOR_MAX];
	int status, ok = 0;

	for (int p = 0; p < PROCS; p++) {
		if (fork() == 0) {
			struct todo_store *mine = todo_store_open(path, 1000, ISS, &e);
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
		char cur[TODO_CURSOR_MAX];
		snprintf(cur, sizeof(cur), "%s", next);
		CHECK_INT(todo_list(s, &carol, -1, 100, cur, &items, &n, next, &e), 0);
		todo_list_free(items, n);
		total += n;
	}
	CHECK_INT(total, PROCS * EACH);
}

/*
 * A crowd of processes opening a database that does not exist yet, all at
 * the same moment (a cold start of CGI requests): each one opens it.
 */
TEST(crowd_opens_a_new_database)
{
	enum { PROCS = 16, ROUNDS = 10 };
	char fresh[300];
	int status, ok = 0, go[2];

	for (int r = 0; r < ROUNDS; r++) {
		snprintf(fresh, sizeof(fresh), "%s/crowd-%d.sqlite", dir, r);
		if (pipe(go) != 0)
			break;
		for (int p = 0; p < PROCS; p++) {
			if (fork() == 0) {
				char c;
				close(go[1]);
				/* Everyone starts when the pipe closes. */
				if (read(go[0], &c, 1) != 0)
					_exit(2);
				/* Staggered as exec'd processes are: one creates, others open it
				 * half-made. */
				usleep((useconds_t)(p * 197 % 2000));
				struct todo_store *mine = todo_store_open(fresh, 10, ISS, &e);
				if (mine == NULL)
					fprintf(stderr, "crowd open: %s\n", e.msg);
				todo_store_close(mine);
				_exit(mine != NULL ? 0 : 1);
			}
		}
		close(go[0]);
		close(go[1]);
		for (int p = 0; p < PROCS; p++)
			if (wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
				ok++;
	}
	CHECK_INT(ok, PROCS * ROUNDS);
}

/* todo_store_new() touches nothing; the first operation opens, a failed one says so and retries. */
TEST(opened_by_the_first_operation)
{
	char lazy[320], sub[300];
	struct todo_store *l;
	struct todo *items = NULL;
	struct todo t;
	size_t n = 0;
	char next[TODO_CURSOR_MAX];
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/later", dir);
	snprintf(lazy, sizeof(lazy), "%s/todos.sqlite", sub);
	l = todo_store_new(lazy, 5, ISS);
	CHECK(stat(lazy, &st) != 0);
	/* Its folder does not exist yet: the operation fails, nothing is made. */
	CHECK_INT(todo_list(l, &alice, -1, 10, NULL, &items, &n, next, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "todo store unavailable");
	CHECK(stat(lazy, &st) != 0);
	/* Once it can be made, the next operation opens it. */
	CHECK_INT(mkdir(sub, 0700), 0);
	CHECK_INT(todo_create(l, &alice, "later", NULL, &t, &e), 0);
	todo_clear(&t);
	CHECK_INT(stat(lazy, &st), 0);
	CHECK_INT(todo_list(l, &alice, -1, 10, NULL, &items, &n, next, &e), 0);
	CHECK_INT(n, 1);
	todo_list_free(items, n);
	todo_store_close(l);
}

/*
 * A database whose todo rows are damaged after it was written (its schema
 * intact, so it opens): a listing that meets the damage partway, after
 * handing over its first rows, fails with ERR_SYSTEM, and the copying form
 * frees what it had copied (checked by ASan in make sanitize).
 */
TEST(listing_a_damaged_table_fails)
{
	char bad[300], desc[TODO_DESC_MAX + 1], next[TODO_CURSOR_MAX];
	const struct todo_owner hal = {ISS, "hal", ""};
	struct todo_store *db;
	struct todo *items = (struct todo *)1;
	struct seen sn = {.whole = true};
	struct todo t;
	size_t n = 99;
	struct stat st;
	int fd;

	snprintf(bad, sizeof(bad), "%s/damaged.sqlite", dir);
	memset(desc, 'd', TODO_DESC_MAX);
	desc[TODO_DESC_MAX] = '\0';
	CHECK((db = todo_store_open(bad, 100, ISS, &e)) != NULL);
	if (db == NULL)
		return;
	/* Thirty rows of two kilobytes: the table spans pages well past the schema's. */
	for (int i = 0; i < 30; i++) {
		CHECK_INT(todo_create(db, &hal, "row", desc, &t, &e), 0);
		todo_clear(&t);
	}
	todo_store_close(db); /* the last connection: the WAL is checkpointed into the file */
	CHECK(stat(bad, &st) == 0 && st.st_size > 20 * 4096);
	/* Every page from the tenth on overwritten with bytes no page can hold. */
	CHECK((fd = open(bad, O_WRONLY)) >= 0);
	for (off_t off = 9 * 4096; off < st.st_size; off += 4096) {
		char junk[4096];

		memset(junk, 0xff, sizeof(junk));
		CHECK(pwrite(fd, junk, sizeof(junk), off) == (ssize_t)sizeof(junk));
	}
	close(fd);
	CHECK((db = todo_store_open(bad, 100, ISS, &e)) != NULL);
	if (db == NULL)
		return;
	CHECK_INT(todo_list_each(db, &hal, -1, 100, NULL, see, &sn, next, &e), -1);
	CHECK_INT(e.code, ERR_SYSTEM);
	/* Partway: the first rows were handed over, then the damage was met. */
	CHECK(sn.n > 0 && sn.n < 30);
	CHECK_STR(next, "");
	CHECK_INT(todo_list(db, &hal, -1, 100, NULL, &items, &n, next, &e), -1);
	CHECK_INT(e.code, ERR_SYSTEM);
	CHECK(items == NULL && n == 0);
	todo_store_close(db);
	unlink(bad);
}

TEST(corrupt_database_is_refused_at_open)
{
	char bad[300];
	FILE *f;

	snprintf(bad, sizeof(bad), "%s/corrupt.sqlite", dir);
	f = fopen(bad, "w");
	fputs("this is not an SQLite database, just garbage of some length ..........", f);
	fclose(f);
	CHECK(todo_store_open(bad, 5, ISS, &e) == NULL);
	CHECK_ERR(e, ERR_CONFIG, "todo database");
	unlink(bad);
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(open_creates_private_file),
                  TEST_CASE(sqlite_loaded_by_the_first_use), TEST_CASE(crud),
                  TEST_CASE(isolation_by_subject_and_org),
                  TEST_CASE(limit_per_owner_stores_nothing_partial), TEST_CASE(paging_and_filters),
                  TEST_CASE(list_each_hands_over_the_page), TEST_CASE(cursors_opaque_and_bound),
                  TEST_CASE(migrates_a_release1_database), TEST_CASE(concurrent_writers),
                  TEST_CASE(crowd_opens_a_new_database), TEST_CASE(opened_by_the_first_operation),
                  TEST_CASE(listing_a_damaged_table_fails),
                  TEST_CASE(corrupt_database_is_refused_at_open))
