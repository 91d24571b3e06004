/*
 * pg_conn.c - a PostgreSQL connection of one process, made again when it broke.
 */
#include "mcp/pg_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "mcp/todo_store_pg_schema.h"

/* After a failed connection, checks answer "unavailable" at once for this long. */
#define PG_RECONNECT_MS 1000
/* libpq's connect_timeout (seconds) and the name in pg_stat_activity; the URL may override. */
#define PG_CONNECT_TIMEOUT "3"
#define PG_APP_NAME        "mcp-fcgi"

/* Monotonic milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libpq's notices (NOTICE, WARNING) would reach stderr, the JSON log: dropped. */
static void
notice_drop(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

void
pg_conn_init(struct pg_conn *c, const char *url, const char *label, const struct pg_stmt *stmts,
             size_t n)
{
	memset(c, 0, sizeof(*c));
	c->url = xstrdup(url);
	c->label = label;
	c->stmts = stmts;
	c->n_stmts = n < PG_CONN_STMTS_MAX ? n : PG_CONN_STMTS_MAX;
	c->connect_timeout = PG_CONNECT_TIMEOUT;
	c->reconnect_ms = PG_RECONNECT_MS;
}

void
pg_conn_drop(struct pg_conn *c)
{
	if (c->conn != NULL)
		pq.finish(c->conn);
	c->conn = NULL;
	memset(c->prepared, 0, sizeof(c->prepared));
}

void
pg_conn_done(struct pg_conn *c)
{
	pg_conn_drop(c);
	if (c->url != NULL) {
		explicit_bzero(c->url, strlen(c->url));
		free(c->url);
	}
	explicit_bzero(c->key, sizeof(c->key));
	c->url = NULL;
}

/* libpq's message without its trailing newline, into buf. */
static const char *
conn_message(PGconn *conn, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%s", conn != NULL ? pq.errorMessage(conn) : "out of memory");
	/* Its first line: the rest is libpq's advice ("Is the server running ...?"). */
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return buf;
}

/*
 * Connects and brings the schema up to date.  The URL is handed to libpq
 * as its dbname (expanded), after our defaults so that it may override
 * them.  0, or -1 with e (ERR_UNAVAILABLE, or ERR_CONFIG).
 */
static int
connect_now(struct pg_conn *c, struct err *e)
{
	/* Requests' text is UTF-8 (jsonrpc.h refuses anything else), whatever the database's
	 * encoding. */
	const char *const keys[] = {"connect_timeout", "application_name", "dbname",
	                            "client_encoding", NULL};
	const char *const values[] = {c->connect_timeout, PG_APP_NAME, c->url, "UTF8", NULL};
	char msg[512];

	if (todo_libpq_load(e) != 0)
		return -1;
	c->conn = pq.connectdbParams(keys, values, 1);
	if (c->conn == NULL || pq.status(c->conn) != CONNECTION_OK) {
		log_msg(LOGL_ERROR, "%s (PostgreSQL): cannot connect: %s", c->label,
		        conn_message(c->conn, msg, sizeof(msg)));
		pg_conn_drop(c);
		return err_set(e, ERR_UNAVAILABLE, "%s unavailable", c->label);
	}
	pq.setNoticeProcessor(c->conn, notice_drop, NULL);
	if (todo_pg_schema(c->conn, c->key, e) != 0) {
		log_msg(LOGL_ERROR, "%s", e->msg);
		pg_conn_drop(c);
		return -1;
	}
	return 0;
}

void
pg_conn_pause(struct pg_conn *c)
{
	pg_conn_drop(c);
	c->retry_at = now_ms() + c->reconnect_ms;
}

int
pg_conn_check(struct pg_conn *c, struct err *e)
{
	if (c->conn != NULL) {
		if (pq.consumeInput(c->conn) == 1 && pq.status(c->conn) == CONNECTION_OK &&
		    pq.transactionStatus(c->conn) == PQTRANS_IDLE)
			return 0;
		log_msg(LOGL_WARN, "%s (PostgreSQL): connection lost, reconnecting", c->label);
		pg_conn_drop(c);
	}
	if (now_ms() < c->retry_at)
		return err_set(e, ERR_UNAVAILABLE, "%s unavailable", c->label);
	if (connect_now(c, e) != 0) {
		c->retry_at = now_ms() + c->reconnect_ms;
		return -1;
	}
	return 0;
}

int
pg_conn_fail(struct pg_conn *c, PGresult *r, const char *what, struct err *e)
{
	const char *primary = r != NULL ? pq.resultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	bool transient = todo_pg_transient(c->conn, r);
	char msg[512];

	log_msg(transient ? LOGL_WARN : LOGL_ERROR, "%s (PostgreSQL): %s: %s", c->label, what,
	        primary != NULL ? primary : conn_message(c->conn, msg, sizeof(msg)));
	pq.clear(r);
	if (!transient)
		return err_set(e, ERR_SYSTEM, "%s: %s failed", c->label, what);
	pg_conn_drop(c);
	return err_set(e, ERR_UNAVAILABLE, "%s unavailable", c->label);
}

PGresult *
pg_conn_exec(struct pg_conn *c, size_t which, int n, const char *const *params, struct err *e)
{
	const struct pg_stmt *s = &c->stmts[which];
	PGresult *r;

	if (s->per_call) {
		r = pq.execParams(c->conn, s->sql, n, NULL, params, NULL, NULL, 0);
		goto done;
	}
	if (!c->prepared[which]) {
		r = pq.prepare(c->conn, s->name, s->sql, 0, NULL);
		if (pq.resultStatus(r) != PGRES_COMMAND_OK) {
			pg_conn_fail(c, r, "prepare", e);
			return NULL;
		}
		pq.clear(r);
		c->prepared[which] = true;
	}
	r = pq.execPrepared(c->conn, s->name, n, params, NULL, NULL, 0);
done:
	if (pq.resultStatus(r) == PGRES_TUPLES_OK || pq.resultStatus(r) == PGRES_COMMAND_OK)
		return r;
	pg_conn_fail(c, r, s->name, e);
	return NULL;
}

int
pg_conn_command(struct pg_conn *c, const char *sql, struct err *e)
{
	PGresult *r = pq.exec(c->conn, sql);

	if (pq.resultStatus(r) != PGRES_COMMAND_OK)
		return pg_conn_fail(c, r, sql, e);
	pq.clear(r);
	return 0;
}
