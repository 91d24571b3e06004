/*
 * todo_store_pg.c - the todo store's PostgreSQL backend: one connection per
 * process (pg_conn.h), checked before each operation and made again when
 * the server restarted or was unreachable; an operation whose connection
 * broke runs once more on a new one, which every operation here allows
 * (see run_op).
 */
#include "mcp/todo_store_backend.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/err.h"
#include "lib/core/num.h"
#include "lib/core/util.h"
#include "mcp/pg_conn.h"

/* The row's owner is $2, $3, $4 (see PS_GET). */
#define BY_OWNER "(owner_iss, owner_sub, owner_org) IS NOT DISTINCT FROM ($2, $3, $4)"

enum todo_stmt { PS_LOCK, PS_INSERT, PS_GET, PS_UPDATE, PS_DELETE, PS_LIST, PS__MAX };

/* Every statement, prepared by name on a connection the first time it runs. */
static const struct pg_stmt pg_stmts[PS__MAX] = {
    /* One creator per owner at a time: the count below then holds until COMMIT. */
    [PS_LOCK] = {"todo_lock",
                 "SELECT pg_advisory_xact_lock(hashtextextended("
                 "$1 || chr(1) || $2 || chr(1) || $3, 0))",
                 false},
    [PS_INSERT] = {"todo_insert",
                   "INSERT INTO todos (id, owner_iss, owner_sub, owner_org, title, description, "
                   "completed, created_at, updated_at) "
                   "SELECT $1, $2, $3, $4, $5, $6, false, $7::bigint, $7::bigint "
                   "WHERE (SELECT count(*) FROM todos WHERE owner_iss = $2 AND owner_sub = $3 "
                   "AND owner_org = $4) < $8::bigint "
                   "RETURNING id, title, description, completed, created_at, updated_at",
                   false},
    /*
     * By id, the owner a filter (IS NOT DISTINCT FROM: never an index
     * condition; the columns are NOT NULL): the id's unique index finds the
     * row.  With plain equality a generic plan, or stale statistics, may
     * pick the owner's index and read every row of the owner for one get.
     */
    [PS_GET] = {"todo_get",
                "SELECT id, title, description, completed, created_at, updated_at FROM todos "
                "WHERE id = $1 AND " BY_OWNER,
                false},
    [PS_UPDATE] = {"todo_update",
                   "UPDATE todos SET title = coalesce($5, title), "
                   "description = coalesce($6, description), "
                   "completed = CASE WHEN $7::int < 0 THEN completed ELSE $7::int <> 0 END, "
                   "updated_at = $8::bigint "
                   "WHERE id = $1 AND " BY_OWNER " "
                   "RETURNING id, title, description, completed, created_at, updated_at",
                   false},
    [PS_DELETE] = {"todo_delete", "DELETE FROM todos WHERE id = $1 AND " BY_OWNER, false},
    /*
     * Planned at each call for its owner: the generic plan of a prepared
     * listing, once the statistics show a few owners, walked the primary
     * key and filtered every row by owner (a listing of 20 fell from
     * thousands a second to hundreds as other owners' rows grew).
     */
    [PS_LIST] = {"todo_list",
                 "SELECT id, title, description, completed, created_at, updated_at, seq "
                 "FROM todos WHERE owner_iss = $1 AND owner_sub = $2 AND owner_org = $3 "
                 "AND seq > $4::bigint AND ($5::int < 0 OR completed = ($5::int <> 0)) "
                 "ORDER BY seq LIMIT $6::bigint",
                 true},
};

/* The backend's handle is its connection. */
static void *
pg_open(const char *url, const char *default_issuer)
{
	struct pg_conn *p = xcalloc(1, sizeof(*p));

	(void)default_issuer; /* a PostgreSQL database never held version-1 rows */
	pg_conn_init(p, url, "todo database", pg_stmts, PS__MAX);
	return p;
}

static void
pg_close(void *db)
{
	if (db == NULL)
		return;
	pg_conn_done(db);
	free(db);
}

/* The backend's ready(): the connection checked or made, and the cursor key. */
static int
pg_ready(void *db, unsigned char key[SEAL_KEY_LEN], struct err *e)
{
	struct pg_conn *p = db;

	if (pg_conn_check(p, e) != 0)
		return -1;
	memcpy(key, p->key, SEAL_KEY_LEN);
	return 0;
}

/* Row i (id, title, description, completed, created, updated) of r: its texts are r's. */
static struct todo_view
row_view(const PGresult *r, int i)
{
	struct todo_view v = {.id = pq.getvalue(r, i, 0),
	                      .title = pq.getvalue(r, i, 1),
	                      .description = pq.getvalue(r, i, 2),
	                      .completed = strcmp(pq.getvalue(r, i, 3), "t") == 0};

	if (num_parse_i64(pq.getvalue(r, i, 4), INT64_MIN, INT64_MAX, &v.created_at) != 0)
		v.created_at = 0;
	if (num_parse_i64(pq.getvalue(r, i, 5), INT64_MIN, INT64_MAX, &v.updated_at) != 0)
		v.updated_at = 0;
	return v;
}

/* One row of r into out, or ERR_NOT_FOUND; frees r. */
static int
one_row(PGresult *r, struct todo *out, struct err *e)
{
	int rc = 0;

	if (pq.ntuples(r) == 1) {
		struct todo_view v = row_view(r, 0);

		todo_from_view(out, &v);
	} else
		rc = err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	pq.clear(r);
	return rc;
}

enum op_kind { OP_CREATE, OP_GET, OP_UPDATE, OP_REMOVE, OP_LIST };

/* One operation's arguments, so that run_op() can run it again on a new connection. */
struct op {
	enum op_kind kind;
	const struct todo_owner *o;
	const char *id, *title, *description;
	int completed; /* update: -1/0/1; list: -1/0/1 */
	int64_t now, max, after;
	size_t rows;
	struct todo *out;                                               /* create, get, update */
	void (*row)(void *arg, const struct todo_view *t, int64_t seq); /* list */
	void *arg;
};

/* Ends the create transaction: ROLLBACK when it is still open (its result ignored). */
static void
rollback(struct pg_conn *p)
{
	if (p->conn != NULL && pq.transactionStatus(p->conn) != PQTRANS_IDLE)
		pq.clear(pq.exec(p->conn, "ROLLBACK"));
}

/*
 * Create: the id is the caller's, made before the first attempt, so a
 * second attempt first looks for it: a todo committed by an attempt whose
 * answer was lost is returned, never stored twice.  Then, in one
 * transaction under the owner's advisory lock, count and insert.
 */
static int
do_create(struct pg_conn *p, const struct op *op, bool again, struct err *e)
{
	const struct todo_owner *o = op->o;
	char now[24], max[24];
	const char *lock[] = {o->issuer, o->subject, o->org};
	const char *row[] = {op->id,    o->issuer,       o->subject, o->org,
	                     op->title, op->description, now,        max};
	PGresult *r = NULL;

	if (again && (r = pg_conn_exec(p, PS_GET, 4, row, e)) != NULL && pq.ntuples(r) == 1)
		return one_row(r, op->out, e);
	if (again && r == NULL)
		return -1;
	if (again)
		pq.clear(r);
	snprintf(now, sizeof(now), "%lld", (long long)op->now);
	snprintf(max, sizeof(max), "%lld", (long long)op->max);
	if (pg_conn_command(p, "BEGIN", e) != 0)
		return -1;
	if ((r = pg_conn_exec(p, PS_LOCK, 3, lock, e)) == NULL)
		goto fail;
	pq.clear(r);
	if ((r = pg_conn_exec(p, PS_INSERT, 8, row, e)) == NULL)
		goto fail;
	if (pq.ntuples(r) != 1) {
		pq.clear(r);
		err_set(e, ERR_LIMIT, TODO_MSG_LIMIT);
		goto fail;
	}
	if (pg_conn_command(p, "COMMIT", e) != 0) {
		pq.clear(r);
		return -1;
	}
	return one_row(r, op->out, e);
fail:
	rollback(p);
	return -1;
}

static int
do_get(struct pg_conn *p, const struct op *op, struct err *e)
{
	const char *row[] = {op->id, op->o->issuer, op->o->subject, op->o->org};
	PGresult *r = pg_conn_exec(p, PS_GET, 4, row, e);

	return r != NULL ? one_row(r, op->out, e) : -1;
}

/* Update: one statement, idempotent (the same values and time again). */
static int
do_update(struct pg_conn *p, const struct op *op, struct err *e)
{
	char done[8], now[24];
	const char *row[] = {op->id,    op->o->issuer,   op->o->subject, op->o->org,
	                     op->title, op->description, done,           now};
	PGresult *r;

	snprintf(done, sizeof(done), "%d", op->completed);
	snprintf(now, sizeof(now), "%lld", (long long)op->now);
	r = pg_conn_exec(p, PS_UPDATE, 8, row, e);
	return r != NULL ? one_row(r, op->out, e) : -1;
}

/* Delete: run again after a lost answer, a todo already deleted is "not found". */
static int
do_remove(struct pg_conn *p, const struct op *op, struct err *e)
{
	const char *row[] = {op->id, op->o->issuer, op->o->subject, op->o->org};
	PGresult *r = pg_conn_exec(p, PS_DELETE, 4, row, e);
	bool gone;

	if (r == NULL)
		return -1;
	gone = strcmp(pq.cmdTuples(r), "0") != 0;
	pq.clear(r);
	return gone ? 0 : err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
}

static int
do_list(struct pg_conn *p, const struct op *op, struct err *e)
{
	char after[24], done[8], rows[24];
	const char *args[] = {op->o->issuer, op->o->subject, op->o->org, after, done, rows};
	PGresult *r;
	int64_t seq;
	int n;

	snprintf(after, sizeof(after), "%lld", (long long)op->after);
	snprintf(done, sizeof(done), "%d", op->completed);
	snprintf(rows, sizeof(rows), "%zu", op->rows);
	if ((r = pg_conn_exec(p, PS_LIST, 6, args, e)) == NULL)
		return -1;
	/* Handed over only now, the whole result in hand: a retry never repeats a row. */
	n = pq.ntuples(r);
	for (int i = 0; i < n && (size_t)i < op->rows; i++) {
		struct todo_view v;

		if (num_parse_i64(pq.getvalue(r, i, 6), 1, INT64_MAX, &seq) != 0)
			break;
		v = row_view(r, i);
		op->row(op->arg, &v, seq);
	}
	pq.clear(r);
	return 0;
}

/*
 * Runs op; when its connection broke under it (the server restarted, a
 * network fault), once more on a new connection: every operation here may
 * run twice with the effect of once (do_create looks for its id first,
 * update sets the same values, get and list read, delete of a deleted
 * todo is "not found").  A second failure is the caller's 503.
 */
static int
run_op(struct pg_conn *p, const struct op *op, struct err *e)
{
	int rc = -1;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (attempt == 1 && pg_conn_check(p, e) != 0)
			return -1;
		switch (op->kind) {
		case OP_CREATE:
			rc = do_create(p, op, attempt == 1, e);
			break;
		case OP_GET:
			rc = do_get(p, op, e);
			break;
		case OP_UPDATE:
			rc = do_update(p, op, e);
			break;
		case OP_REMOVE:
			rc = do_remove(p, op, e);
			break;
		case OP_LIST:
			rc = do_list(p, op, e);
			break;
		}
		if (rc == 0 || e->code != ERR_UNAVAILABLE || p->conn != NULL)
			return rc;
		/* The retry must not wait out the reconnect throttle that its own failure set. */
		p->retry_at = 0;
	}
	return rc;
}

static int
pg_create(void *db, const struct todo_owner *o, const char *id, const char *title,
          const char *description, int64_t now, int64_t max, struct todo *out, struct err *e)
{
	struct op op = {.kind = OP_CREATE,
	                .o = o,
	                .id = id,
	                .title = title,
	                .description = description,
	                .now = now,
	                .max = max,
	                .out = out};

	return run_op(db, &op, e);
}

static int
pg_get(void *db, const struct todo_owner *o, const char *id, struct todo *out, struct err *e)
{
	struct op op = {.kind = OP_GET, .o = o, .id = id, .out = out};

	return run_op(db, &op, e);
}

static int
pg_update(void *db, const struct todo_owner *o, const char *id, const char *title,
          const char *description, int completed, int64_t now, struct todo *out, struct err *e)
{
	struct op op = {.kind = OP_UPDATE,
	                .o = o,
	                .id = id,
	                .title = title,
	                .description = description,
	                .completed = completed,
	                .now = now,
	                .out = out};

	return run_op(db, &op, e);
}

static int
pg_remove(void *db, const struct todo_owner *o, const char *id, struct err *e)
{
	struct op op = {.kind = OP_REMOVE, .o = o, .id = id};

	return run_op(db, &op, e);
}

static int
pg_list(void *db, const struct todo_owner *o, int completed, int64_t after, size_t max,
        void (*row)(void *arg, const struct todo_view *t, int64_t seq), void *arg, struct err *e)
{
	struct op op = {.kind = OP_LIST,
	                .o = o,
	                .completed = completed,
	                .after = after,
	                .rows = max,
	                .row = row,
	                .arg = arg};

	return run_op(db, &op, e);
}

const struct todo_backend todo_backend_pg = {
    .name = "postgresql",
    .open = pg_open,
    .ready = pg_ready,
    .create = pg_create,
    .get = pg_get,
    .update = pg_update,
    .remove = pg_remove,
    .list = pg_list,
    .close = pg_close,
};
