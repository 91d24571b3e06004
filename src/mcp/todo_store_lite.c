/*
 * todo_store_lite.c - the todo store's SQLite backend: one connection per
 * process, WAL, prepared statements built once.
 */
#include "mcp/todo_store_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/log.h"
#include "lib/core/util.h"
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

struct lite {
	sqlite3 *db; /* NULL until the first operation opens it */
	sqlite3_stmt *st[ST__MAX];
	char *path, *default_issuer;
};

/* Logs SQLite's message for a failed step (once, here) and fails with ERR_SYSTEM. */
static int
db_fail(struct lite *s, const char *what, struct err *e)
{
	log_msg(LOGL_ERROR, "todo store: %s: %s", what, sq.errmsg(s->db));
	return err_set(e, ERR_SYSTEM, "todo store: %s failed", what);
}

static void *
lite_open(const char *path, const char *default_issuer)
{
	struct lite *s = xcalloc(1, sizeof(*s));

	s->path = xstrdup(path);
	s->default_issuer = xstrdup(default_issuer);
	return s;
}

/* Closes the connection, if open, and its statements. */
static void
lite_disconnect(struct lite *s)
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

static void
lite_close(void *db)
{
	struct lite *s = db;

	if (s == NULL)
		return;
	lite_disconnect(s);
	free(s->path);
	free(s->default_issuer);
	free(s);
}

/*
 * Opens the database at the first operation (the key is read then, and
 * stays); 0, or -1 with e (ERR_CONFIG: a local file that cannot be opened
 * is no passing outage).
 */
static int
lite_ready(void *db, unsigned char key[SEAL_KEY_LEN], struct err *e)
{
	struct lite *s = db;

	if (s->db != NULL)
		return 0;
	if ((s->db = todo_db_open(s->path, s->default_issuer, key, e)) == NULL)
		return -1;
	for (int i = 0; i < ST__MAX; i++) {
		if (sq.prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) !=
		    SQLITE_OK) {
			err_set(e, ERR_CONFIG, "todo database: %s", sq.errmsg(s->db));
			lite_disconnect(s);
			return -1;
		}
	}
	return 0;
}

/* A prepared statement, reset and unbound for reuse. */
static sqlite3_stmt *
stmt(struct lite *s, enum stmt which)
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
exec_simple(struct lite *s, enum stmt which)
{
	int rc = sq.step(stmt(s, which));

	sq.reset(s->st[which]);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A text column of the current row: SQLite's own bytes, "" for NULL. */
static const char *
column_str(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sq.column_text(st, i);

	return v != NULL ? v : "";
}

/*
 * The current row (id, title, description, completed, created, updated):
 * its texts are SQLite's, valid until the next step or reset.
 */
static struct todo_view
row_view(sqlite3_stmt *st)
{
	return (struct todo_view){.id = column_str(st, 0),
	                          .title = column_str(st, 1),
	                          .description = column_str(st, 2),
	                          .completed = sq.column_int(st, 3) != 0,
	                          .created_at = sq.column_int64(st, 4),
	                          .updated_at = sq.column_int64(st, 5)};
}

static int
lite_get(void *db, const struct todo_owner *o, const char *id, struct todo *out, struct err *e)
{
	struct lite *s = db;
	sqlite3_stmt *st = stmt(s, ST_GET);
	int step, rc = 0;

	bind_row(st, id, o);
	step = sq.step(st);
	if (step == SQLITE_ROW) {
		struct todo_view v = row_view(st);

		todo_from_view(out, &v);
	} else if (step == SQLITE_DONE)
		rc = err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	else
		rc = db_fail(s, "get", e);
	sq.reset(st);
	return rc;
}

/* Counts o's todos; -1 on failure. */
static int64_t
count_owned(struct lite *s, const struct todo_owner *o)
{
	sqlite3_stmt *st = stmt(s, ST_COUNT);
	int64_t n = -1;

	bind_row(st, NULL, o);
	if (sq.step(st) == SQLITE_ROW)
		n = sq.column_int64(st, 0);
	sq.reset(st);
	return n;
}

/* Inserts the todo id (the caller holds a write transaction). */
static int
insert(struct lite *s, const struct todo_owner *o, const char *id, const char *title,
       const char *description, int64_t now, struct err *e)
{
	sqlite3_stmt *st = stmt(s, ST_INSERT);
	int step;

	bind_row(st, id, o);
	sq.bind_text(st, 5, title, -1, SQLITE_STATIC);
	sq.bind_text(st, 6, description, -1, SQLITE_STATIC);
	sq.bind_int64(st, 7, now);
	step = sq.step(st);
	sq.reset(st);
	return step == SQLITE_DONE ? 0 : db_fail(s, "insert", e);
}

static int
lite_create(void *db, const struct todo_owner *o, const char *id, const char *title,
            const char *description, int64_t now, int64_t max, struct todo *out, struct err *e)
{
	struct lite *s = db;
	int64_t n;
	int rc;

	/* The count and the insert in one write transaction: concurrent creators cannot overshoot.
	 */
	if (exec_simple(s, ST_BEGIN) != 0)
		return db_fail(s, "begin", e);
	if ((n = count_owned(s, o)) < 0)
		rc = db_fail(s, "count", e);
	else if (n >= max)
		rc = err_set(e, ERR_LIMIT, TODO_MSG_LIMIT);
	else if ((rc = insert(s, o, id, title, description, now, e)) == 0 &&
	         exec_simple(s, ST_COMMIT) != 0)
		rc = db_fail(s, "commit", e);
	if (rc != 0) {
		exec_simple(s, ST_ROLLBACK);
		return rc;
	}
	return lite_get(s, o, id, out, e);
}

static int
lite_update(void *db, const struct todo_owner *o, const char *id, const char *title,
            const char *description, int completed, int64_t now, struct todo *out, struct err *e)
{
	struct lite *s = db;
	sqlite3_stmt *st = stmt(s, ST_UPDATE);
	int step;

	bind_row(st, id, o);
	if (title != NULL)
		sq.bind_text(st, 5, title, -1, SQLITE_STATIC);
	if (description != NULL)
		sq.bind_text(st, 6, description, -1, SQLITE_STATIC);
	sq.bind_int(st, 7, completed);
	sq.bind_int64(st, 8, now);
	step = sq.step(st);
	sq.reset(st);
	if (step != SQLITE_DONE)
		return db_fail(s, "update", e);
	if (sq.changes(s->db) == 0)
		return err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	return lite_get(s, o, id, out, e);
}

static int
lite_remove(void *db, const struct todo_owner *o, const char *id, struct err *e)
{
	struct lite *s = db;
	sqlite3_stmt *st = stmt(s, ST_DELETE);
	int step;

	bind_row(st, id, o);
	step = sq.step(st);
	sq.reset(st);
	if (step != SQLITE_DONE)
		return db_fail(s, "delete", e);
	return sq.changes(s->db) > 0 ? 0 : err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
}

static int
lite_list(void *db, const struct todo_owner *o, int completed, int64_t after, size_t max,
          void (*row)(void *arg, const struct todo_view *t, int64_t seq), void *arg, struct err *e)
{
	struct lite *s = db;
	sqlite3_stmt *st = stmt(s, ST_LIST);
	size_t n = 0;
	int step = SQLITE_DONE;

	bind_row(st, NULL, o);
	sq.bind_int64(st, 5, after);
	sq.bind_int(st, 6, completed);
	sq.bind_int64(st, 7, (int64_t)max);
	/*
	 * Each row goes on as SQLite holds it, valid until the next step: a copy
	 * of every title and description (two mallocs and frees a row) was a
	 * tenth of a listing.
	 */
	while (n < max && (step = sq.step(st)) == SQLITE_ROW) {
		struct todo_view t = row_view(st);

		row(arg, &t, sq.column_int64(st, 6));
		n++;
	}
	if (n < max && step != SQLITE_DONE) {
		db_fail(s, "list", e);
		sq.reset(st);
		return -1;
	}
	sq.reset(st);
	return 0;
}

const struct todo_backend todo_backend_sqlite = {
    .name = "sqlite",
    .open = lite_open,
    .ready = lite_ready,
    .create = lite_create,
    .get = lite_get,
    .update = lite_update,
    .remove = lite_remove,
    .list = lite_list,
    .close = lite_close,
};
