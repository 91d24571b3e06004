/*
 * todo_store.c - todos in SQLite, isolated per owner.
 */
#include "mcp/todo_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/seal.h"
#include "mcp/todo_store_schema.h"

enum stmt {
	ST_COUNT,
	ST_INSERT,
	ST_GET,
	ST_UPDATE,
	ST_DELETE,
	ST_LIST,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST__MAX
};

/* Every statement the store runs, prepared once per connection. */
static const char *const sql[ST__MAX] = {
    /* The owner is always ?2 ?3 ?4 (issuer, subject, organisation). */
    [ST_COUNT] = "SELECT count(*) FROM todos WHERE owner_iss = ?2 AND owner_sub = ?3 "
                 "AND owner_org = ?4",
    [ST_INSERT] = "INSERT INTO todos (id, owner_iss, owner_sub, owner_org, title, description, "
                  "completed, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7)",
    [ST_GET] = "SELECT id, title, description, completed, created_at, updated_at FROM todos "
               "WHERE id = ?1 AND owner_iss = ?2 AND owner_sub = ?3 AND owner_org = ?4",
    [ST_UPDATE] = "UPDATE todos SET title = coalesce(?5, title), "
                  "description = coalesce(?6, description), "
                  "completed = CASE WHEN ?7 < 0 THEN completed ELSE ?7 END, updated_at = ?8 "
                  "WHERE id = ?1 AND owner_iss = ?2 AND owner_sub = ?3 AND owner_org = ?4",
    [ST_DELETE] = "DELETE FROM todos WHERE id = ?1 AND owner_iss = ?2 AND owner_sub = ?3 "
                  "AND owner_org = ?4",
    [ST_LIST] = "SELECT id, title, description, completed, created_at, updated_at, seq FROM todos "
                "WHERE owner_iss = ?2 AND owner_sub = ?3 AND owner_org = ?4 "
                "AND seq > ?5 AND (?6 < 0 OR completed = ?6) ORDER BY seq LIMIT ?7",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

struct todo_store {
	sqlite3 *db; /* NULL until the first operation opens it */
	sqlite3_stmt *st[ST__MAX];
	int64_t max_per_owner;
	char *path, *default_issuer;
	unsigned char cursor_key[SEAL_KEY_LEN]; /* seals list cursors (meta table) */
};

/* Logs SQLite's message for a failed step (once, here) and fails with ERR_SYSTEM. */
static int
db_fail(struct todo_store *s, const char *what, struct err *e)
{
	log_msg(LOGL_ERROR, "todo store: %s: %s", what, sq.errmsg(s->db));
	return err_set(e, ERR_SYSTEM, "todo store: %s failed", what);
}

/* True when id has the shape of a todo id (32 lower-case hex characters). */
static bool
id_valid(const char *id)
{
	return id != NULL && strlen(id) == TODO_ID_LEN &&
	       strspn(id, "0123456789abcdef") == TODO_ID_LEN;
}

struct todo_store *
todo_store_new(const char *path, int64_t max_per_owner, const char *default_issuer)
{
	struct todo_store *s = xcalloc(1, sizeof(*s));

	s->path = xstrdup(path);
	s->default_issuer = xstrdup(default_issuer);
	s->max_per_owner = max_per_owner;
	return s;
}

/* Closes the connection, if open, and its statements. */
static void
store_disconnect(struct todo_store *s)
{
	/* Never opened: SQLite may not even be loaded. */
	if (s->db == NULL)
		return;
	for (int i = 0; i < ST__MAX; i++) {
		sq.finalize(s->st[i]);
		s->st[i] = NULL;
	}
	sq.close(s->db);
	s->db = NULL;
}

/* Opens the database at the first operation; 0, or -1 with e (ERR_CONFIG). */
static int
store_ready(struct todo_store *s, struct err *e)
{
	if (s->db != NULL)
		return 0;
	if ((s->db = todo_db_open(s->path, s->default_issuer, s->cursor_key, e)) == NULL)
		return -1;
	for (int i = 0; i < ST__MAX; i++) {
		if (sq.prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) !=
		    SQLITE_OK) {
			err_set(e, ERR_CONFIG, "todo database: %s", sq.errmsg(s->db));
			store_disconnect(s);
			return -1;
		}
	}
	return 0;
}

/* An operation's first step: the database open, or logged why not. */
static int
store_use(struct todo_store *s, struct err *e)
{
	struct err why;

	if (store_ready(s, &why) == 0)
		return 0;
	log_msg(LOGL_ERROR, "%s", why.msg);
	return err_set(e, ERR_SYSTEM, "todo store unavailable");
}

struct todo_store *
todo_store_open(const char *path, int64_t max_per_owner, const char *default_issuer, struct err *e)
{
	struct todo_store *s = todo_store_new(path, max_per_owner, default_issuer);

	if (store_ready(s, e) == 0)
		return s;
	todo_store_close(s);
	return NULL;
}

void
todo_store_close(struct todo_store *s)
{
	if (s == NULL)
		return;
	store_disconnect(s);
	free(s->path);
	free(s->default_issuer);
	free(s);
}

/* A prepared statement, reset and unbound for reuse. */
static sqlite3_stmt *
stmt(struct todo_store *s, enum stmt which)
{
	sqlite3_stmt *st = s->st[which];

	sq.reset(st);
	sq.clear_bindings(st);
	return st;
}

/* Binds one row's key: ?1 the id (NULL: none), ?2, ?3 and ?4 its owner. */
static void
bind_row(sqlite3_stmt *st, const char *id, const struct todo_owner *o)
{
	if (id != NULL)
		sq.bind_text(st, 1, id, -1, SQLITE_STATIC);
	sq.bind_text(st, 2, o->issuer, -1, SQLITE_STATIC);
	sq.bind_text(st, 3, o->subject, -1, SQLITE_STATIC);
	sq.bind_text(st, 4, o->org, -1, SQLITE_STATIC);
}

/* Runs a statement without results (BEGIN, COMMIT, ROLLBACK). */
static int
exec_simple(struct todo_store *s, enum stmt which)
{
	int rc = sq.step(stmt(s, which));

	sq.reset(s->st[which]);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Copies the current row (id, title, description, completed, created, updated) into t. */
static void
row_read(sqlite3_stmt *st, struct todo *t)
{
	const char *id = (const char *)sq.column_text(st, 0);
	const char *title = (const char *)sq.column_text(st, 1);
	const char *desc = (const char *)sq.column_text(st, 2);

	memset(t, 0, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", id != NULL ? id : "");
	t->title = xstrdup(title != NULL ? title : "");
	t->description = xstrdup(desc != NULL ? desc : "");
	t->completed = sq.column_int(st, 3) != 0;
	t->created_at = sq.column_int64(st, 4);
	t->updated_at = sq.column_int64(st, 5);
}

int
todo_get(struct todo_store *s, const struct todo_owner *o, const char *id, struct todo *out,
         struct err *e)
{
	sqlite3_stmt *st;
	int step, rc = 0;

	/* The same answer for a malformed, an absent and someone else's id: ids reveal nothing. */
	if (!id_valid(id))
		return err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	if (store_use(s, e) != 0)
		return -1;
	st = stmt(s, ST_GET);
	bind_row(st, id, o);
	step = sq.step(st);
	if (step == SQLITE_ROW)
		row_read(st, out);
	else if (step == SQLITE_DONE)
		rc = err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	else
		rc = db_fail(s, "get", e);
	sq.reset(st);
	return rc;
}

/* Counts o's todos; -1 on failure. */
static int64_t
count_owned(struct todo_store *s, const struct todo_owner *o)
{
	sqlite3_stmt *st = stmt(s, ST_COUNT);
	int64_t n = -1;

	bind_row(st, NULL, o);
	if (sq.step(st) == SQLITE_ROW)
		n = sq.column_int64(st, 0);
	sq.reset(st);
	return n;
}

/* Inserts a todo with a new random id into id (the caller holds a write transaction). */
static int
insert(struct todo_store *s, const struct todo_owner *o, const char *title, const char *description,
       char id[TODO_ID_LEN + 1], struct err *e)
{
	sqlite3_stmt *st;
	int step;

	/* 128 random bits: ids nobody can guess or enumerate. */
	if (util_random_hex(id, TODO_ID_LEN / 2) != 0)
		return err_set(e, ERR_SYSTEM, "todo store: no randomness for an id");
	st = stmt(s, ST_INSERT);
	bind_row(st, id, o);
	sq.bind_text(st, 5, title, -1, SQLITE_STATIC);
	sq.bind_text(st, 6, description != NULL ? description : "", -1, SQLITE_STATIC);
	sq.bind_int64(st, 7, (int64_t)time(NULL));
	step = sq.step(st);
	sq.reset(st);
	return step == SQLITE_DONE ? 0 : db_fail(s, "insert", e);
}

int
todo_create(struct todo_store *s, const struct todo_owner *o, const char *title,
            const char *description, struct todo *out, struct err *e)
{
	char id[TODO_ID_LEN + 1];
	int64_t n;
	int rc;

	if (store_use(s, e) != 0)
		return -1;
	/* The count and the insert in one write transaction: concurrent creators cannot overshoot.
	 */
	if (exec_simple(s, ST_BEGIN) != 0)
		return db_fail(s, "begin", e);
	if ((n = count_owned(s, o)) < 0)
		rc = db_fail(s, "count", e);
	else if (n >= s->max_per_owner)
		rc = err_set(e, ERR_LIMIT, TODO_MSG_LIMIT);
	else if ((rc = insert(s, o, title, description, id, e)) == 0 &&
	         exec_simple(s, ST_COMMIT) != 0)
		rc = db_fail(s, "commit", e);
	if (rc != 0) {
		exec_simple(s, ST_ROLLBACK);
		return rc;
	}
	return todo_get(s, o, id, out, e);
}

int
todo_update(struct todo_store *s, const struct todo_owner *o, const char *id, const char *title,
            const char *description, int completed, struct todo *out, struct err *e)
{
	sqlite3_stmt *st;
	int step;

	if (!id_valid(id))
		return err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	if (store_use(s, e) != 0)
		return -1;
	st = stmt(s, ST_UPDATE);
	bind_row(st, id, o);
	if (title != NULL)
		sq.bind_text(st, 5, title, -1, SQLITE_STATIC);
	if (description != NULL)
		sq.bind_text(st, 6, description, -1, SQLITE_STATIC);
	sq.bind_int(st, 7, completed);
	sq.bind_int64(st, 8, (int64_t)time(NULL));
	step = sq.step(st);
	sq.reset(st);
	if (step != SQLITE_DONE)
		return db_fail(s, "update", e);
	if (sq.changes(s->db) == 0)
		return err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	return todo_get(s, o, id, out, e);
}

int
todo_delete(struct todo_store *s, const struct todo_owner *o, const char *id, struct err *e)
{
	sqlite3_stmt *st;
	int step;

	if (!id_valid(id))
		return err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	if (store_use(s, e) != 0)
		return -1;
	st = stmt(s, ST_DELETE);
	bind_row(st, id, o);
	step = sq.step(st);
	sq.reset(st);
	if (step != SQLITE_DONE)
		return db_fail(s, "delete", e);
	return sq.changes(s->db) > 0 ? 0 : err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
}

/*
 * The additional data a cursor is sealed to: its owner, so that another
 * owner's cursor (or one moved between issuers) does not open.
 */
static size_t
cursor_aad(const struct todo_owner *o, char *buf, size_t len)
{
	int n =
	    snprintf(buf, len, "todo-cursor%c%s%c%s%c%s", 0, o->issuer, 0, o->subject, 0, o->org);

	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len;
}

/*
 * A list cursor is the seq of a page's last row, sealed (jose/seal.h) to
 * its owner: it reveals nothing (not how many todos others made between
 * two pages) and opens for nobody else.  NULL is the first page.
 */
static int
cursor_open(const struct todo_store *s, const struct todo_owner *o, const char *cursor,
            int64_t *seq)
{
	char aad[3 * 1100];

	*seq = 0;
	if (cursor == NULL)
		return 0;
	if (unseal(s->cursor_key, aad, cursor_aad(o, aad, sizeof(aad)), cursor, seq,
	           sizeof(*seq)) != 0 ||
	    *seq < 1)
		return -1;
	return 0;
}

/* Seals seq for o into out[TODO_CURSOR_MAX]; 0 or -1. */
static int
cursor_seal(const struct todo_store *s, const struct todo_owner *o, int64_t seq, char *out)
{
	char aad[3 * 1100];

	return seal(s->cursor_key, aad, cursor_aad(o, aad, sizeof(aad)), &seq, sizeof(seq), out,
	            TODO_CURSOR_MAX);
}

int
todo_list(struct todo_store *s, const struct todo_owner *o, int completed, size_t limit,
          const char *cursor, struct todo **items, size_t *n, char next_cursor[TODO_CURSOR_MAX],
          struct err *e)
{
	sqlite3_stmt *st;
	struct todo *v;
	int64_t seq, last = 0;
	int step;

	*items = NULL;
	*n = 0;
	next_cursor[0] = '\0';
	if (store_use(s, e) != 0)
		return -1;
	if (cursor_open(s, o, cursor, &seq) != 0)
		return err_set(e, ERR_INVALID, TODO_MSG_CURSOR);
	if (limit == 0 || limit > TODO_PAGE_MAX)
		limit = TODO_PAGE_DEFAULT;
	v = xcalloc(limit, sizeof(*v));
	st = stmt(s, ST_LIST);
	bind_row(st, NULL, o);
	sq.bind_int64(st, 5, seq);
	sq.bind_int(st, 6, completed);
	/* One row more than the page tells whether another page follows. */
	sq.bind_int64(st, 7, (int64_t)limit + 1);
	while ((step = sq.step(st)) == SQLITE_ROW) {
		if (*n == limit) {
			if (cursor_seal(s, o, last, next_cursor) != 0)
				step = SQLITE_ERROR;
			break;
		}
		row_read(st, &v[*n]);
		last = sq.column_int64(st, 6);
		(*n)++;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		db_fail(s, "list", e);
		sq.reset(st);
		todo_list_free(v, *n);
		*n = 0;
		next_cursor[0] = '\0';
		return -1;
	}
	sq.reset(st);
	*items = v;
	return 0;
}

void
todo_clear(struct todo *t)
{
	if (t == NULL)
		return;
	free(t->title);
	free(t->description);
	memset(t, 0, sizeof(*t));
}

void
todo_list_free(struct todo *items, size_t n)
{
	for (size_t i = 0; items != NULL && i < n; i++)
		todo_clear(&items[i]);
	free(items);
}
