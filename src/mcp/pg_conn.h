/*
 * pg_conn.h - one process's connection to the PostgreSQL database of
 * MCP_DATABASE_URL, for the todo store (todo_store_pg.c) and the rate
 * limits shared by several machines (limits_pg.c): each holds its own.
 *
 * Nothing happens until pg_conn_check(): libpq is loaded (dlopen), the
 * connection made and the schema brought up to date (todo_store_pg_schema.h).
 * Each check reads the connection's pending input first, so a connection
 * that a restarted server closed is seen and made again before a statement
 * is sent on it.  After a failed connection, checks fail at once for
 * reconnect_ms: a stopped database costs a request nothing.  Statements
 * are prepared by name on the connection at their first use.
 *
 * The URL may hold a password: it is never logged; libpq's messages name
 * host and port, never the password.  Log lines start with the label.
 */
#ifndef PG_CONN_H
#define PG_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/jose/seal.h"
#include "mcp/todo_store_libpq.h"

struct err;

#define PG_CONN_STMTS_MAX 16

/* A statement, prepared on a connection under its name. */
struct pg_stmt {
	const char *name;
	const char *sql;
	/*
	 * Planned for its parameters at each call (an unnamed statement), not
	 * prepared once: for a query whose best plan depends on them, which a
	 * prepared statement's generic plan cannot see.
	 */
	bool per_call;
};

struct pg_conn {
	PGconn *conn;                /* NULL until connected, and after the connection broke */
	const char *label;           /* "todo database": the log lines' start */
	const struct pg_stmt *stmts; /* the statements pg_conn_exec() runs by index */
	size_t n_stmts;
	bool prepared[PG_CONN_STMTS_MAX];
	char *url;
	const char *connect_timeout; /* libpq's, in seconds; the URL may override it */
	int64_t reconnect_ms;
	int64_t retry_at;                /* monotonic ms before which no new connection is tried */
	unsigned char key[SEAL_KEY_LEN]; /* the list cursors' key, read with the schema */
};

/* Sets c up over url (copied) and stmts[0..n) (borrowed, n <= PG_CONN_STMTS_MAX); no connection. */
void pg_conn_init(struct pg_conn *c, const char *url, const char *label,
                  const struct pg_stmt *stmts, size_t n);

/* Closes the connection and wipes the URL. */
void pg_conn_done(struct pg_conn *c);

/* Drops the connection (the next check makes a new one). */
void pg_conn_drop(struct pg_conn *c);

/* Drops the connection and tries no new one for reconnect_ms. */
void pg_conn_pause(struct pg_conn *c);

/*
 * The connection, checked, or a new one (when the throttle allows).
 * Returns 0, or -1 with e: ERR_UNAVAILABLE, or ERR_CONFIG (no libpq, a
 * schema this program cannot use), logged.
 */
int pg_conn_check(struct pg_conn *c, struct err *e);

/*
 * Runs statement which with n text parameters (NULL: SQL NULL): its
 * result (rows or a command's), or NULL with e after pg_conn_fail().
 */
PGresult *pg_conn_exec(struct pg_conn *c, size_t which, int n, const char *const *params,
                       struct err *e);

/* Runs a command without parameters or rows (BEGIN, COMMIT); 0, or -1 with e after pg_conn_fail().
 */
int pg_conn_command(struct pg_conn *c, const char *sql, struct err *e);

/*
 * A failed statement (r may be NULL; freed), what naming it: logged once,
 * here; a transient failure (todo_pg_transient()) drops the connection and
 * is ERR_UNAVAILABLE, anything else ERR_SYSTEM.  Returns -1.
 */
int pg_conn_fail(struct pg_conn *c, PGresult *r, const char *what, struct err *e);

#endif /* PG_CONN_H */
