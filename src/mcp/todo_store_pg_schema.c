/*
 * todo_store_pg_schema.c - the todo store's PostgreSQL schema: migrations
 * under an advisory lock, the migration log, the cursor key.
 */
#include "mcp/todo_store_pg_schema.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/num.h"
#include "lib/core/util.h"

/* One migration: the statements that bring the schema from version n - 1 to n. */
struct migration {
	const char *description;
	const char *sql;
};

/*
 * migrations[n - 1] makes version n.  Version 1 is the SQLite schema's
 * version 2 in PostgreSQL types: rows keyed by their owner (issuer,
 * subject, organisation), seq the paging order.  Version 2 adds the rate
 * limits' table and functions (limits_pg.h).  A later change appends an
 * entry and never edits one that has shipped.
 */
static const struct migration migrations[TODO_PG_SCHEMA_VERSION] = {
    {"todos and their owners, the cursor key",
     "CREATE TABLE todos ("
     " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
     " id text NOT NULL UNIQUE,"
     " owner_iss text NOT NULL,"
     " owner_sub text NOT NULL,"
     " owner_org text NOT NULL,"
     " title text NOT NULL,"
     " description text NOT NULL DEFAULT '',"
     " completed boolean NOT NULL DEFAULT false,"
     " created_at bigint NOT NULL,"
     " updated_at bigint NOT NULL);"
     "CREATE INDEX todos_owner ON todos (owner_iss, owner_sub, owner_org, seq);"
     "CREATE TABLE todo_meta (name text PRIMARY KEY, value bytea NOT NULL);"},
    {"rate limits shared by the machines", TODO_PG_RATELIMIT_SQL},
};

#define META_CURSOR_KEY "cursor_key"

/* The migration log: one row per migration applied, the schema version its highest. */
static const char log_table[] = "CREATE TABLE IF NOT EXISTS todo_migrations ("
                                " version integer PRIMARY KEY,"
                                " description text NOT NULL,"
                                " applied_at timestamptz NOT NULL DEFAULT now())";

/* The version and the key in one query (binary: int4 in network order, the key's bytes). */
static const char read_state[] = "SELECT (SELECT max(version) FROM todo_migrations), "
                                 "(SELECT value FROM todo_meta WHERE name = '" META_CURSOR_KEY "')";

bool
todo_pg_transient(PGconn *conn, const PGresult *r)
{
	const char *state = r != NULL ? pq.resultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (pq.status(conn) != CONNECTION_OK || state == NULL)
		return true;
	return strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0 ||
	       strncmp(state, "53", 2) == 0 || strncmp(state, "40", 2) == 0;
}

/* The failure of a schema step: ERR_UNAVAILABLE when transient, else ERR_CONFIG. */
static int
schema_fail(PGconn *conn, PGresult *r, const char *what, struct err *e)
{
	enum err_code code = todo_pg_transient(conn, r) ? ERR_UNAVAILABLE : ERR_CONFIG;
	const char *msg = r != NULL ? pq.resultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	err_set(e, code, "todo database (PostgreSQL): %s: %s", what,
	        msg != NULL ? msg : pq.errorMessage(conn));
	pq.clear(r);
	return -1;
}

/* Runs sql (no parameters, no rows wanted); 0, or -1 with e. */
static int
run(PGconn *conn, const char *sql, const char *what, struct err *e)
{
	PGresult *r = pq.exec(conn, sql);

	if (pq.resultStatus(r) != PGRES_COMMAND_OK && pq.resultStatus(r) != PGRES_TUPLES_OK)
		return schema_fail(conn, r, what, e);
	pq.clear(r);
	return 0;
}

/*
 * Reads the schema version (0: none) and, when stored, the cursor key into
 * key (*have_key).  Returns 0, or -1 with e; a database without the tables
 * yet is version 0, not a failure, unless missing_ok is false.
 */
static int
state_read(PGconn *conn, bool missing_ok, int *version, unsigned char key[SEAL_KEY_LEN],
           bool *have_key, struct err *e)
{
	PGresult *r = pq.execParams(conn, read_state, 0, NULL, NULL, NULL, NULL, 1);
	const char *state;
	uint32_t v;

	*version = 0;
	*have_key = false;
	if (pq.resultStatus(r) != PGRES_TUPLES_OK) {
		state = pq.resultErrorField(r, PG_DIAG_SQLSTATE);
		/* 42P01 undefined_table: a new database. */
		if (missing_ok && state != NULL && strcmp(state, "42P01") == 0) {
			pq.clear(r);
			return 0;
		}
		return schema_fail(conn, r, "reading the schema version", e);
	}
	if (!pq.getisnull(r, 0, 0) && pq.getlength(r, 0, 0) == 4) {
		memcpy(&v, pq.getvalue(r, 0, 0), 4);
		*version = (int)ntohl(v);
	}
	if (!pq.getisnull(r, 0, 1) && pq.getlength(r, 0, 1) == SEAL_KEY_LEN) {
		memcpy(key, pq.getvalue(r, 0, 1), SEAL_KEY_LEN);
		*have_key = true;
	}
	pq.clear(r);
	return 0;
}

/* The migration log's version (0: empty), inside the migration transaction; 0 or -1 with e. */
static int
version_read(PGconn *conn, int *version, struct err *e)
{
	PGresult *r = pq.exec(conn, "SELECT coalesce(max(version), 0) FROM todo_migrations");
	int64_t v;

	if (pq.resultStatus(r) != PGRES_TUPLES_OK || pq.ntuples(r) != 1 ||
	    num_parse_i64(pq.getvalue(r, 0, 0), 0, INT32_MAX, &v) != 0)
		return schema_fail(conn, r, "reading the migration log", e);
	pq.clear(r);
	*version = (int)v;
	return 0;
}

/* Applies migrations from + 1 .. TODO_PG_SCHEMA_VERSION, logging each; 0 or -1 with e. */
static int
migrate(PGconn *conn, int from, struct err *e)
{
	char row[16];
	PGresult *r;

	for (size_t i = from > 0 ? (size_t)from : 0; i < TODO_PG_SCHEMA_VERSION; i++) {
		const struct migration *m = &migrations[i];
		if (run(conn, m->sql, "migrating", e) != 0)
			return -1;
		snprintf(row, sizeof(row), "%zu", i + 1);
		r = pq.execParams(
		    conn, "INSERT INTO todo_migrations (version, description) VALUES ($1, $2)", 2,
		    NULL, (const char *const[]){row, m->description}, NULL, NULL, 0);
		if (pq.resultStatus(r) != PGRES_COMMAND_OK)
			return schema_fail(conn, r, "recording a migration", e);
		pq.clear(r);
		log_msg(LOGL_INFO,
		        "todo database (PostgreSQL): migrated to schema version %zu (%s)", i + 1,
		        m->description);
	}
	return 0;
}

/* Stores a fresh cursor key unless one is there; 0 or -1 with e. */
static int
key_store(PGconn *conn, struct err *e)
{
	unsigned char fresh[SEAL_KEY_LEN];
	const int len = SEAL_KEY_LEN, binary = 1;
	PGresult *r;

	if (util_random(fresh, sizeof(fresh)) != 0)
		return err_set(e, ERR_CONFIG,
		               "todo database (PostgreSQL): no randomness for a key");
	r = pq.execParams(conn,
	                  "INSERT INTO todo_meta (name, value) VALUES ('" META_CURSOR_KEY "', $1) "
	                  "ON CONFLICT (name) DO NOTHING",
	                  1, NULL, (const char *const[]){(const char *)fresh}, &len, &binary, 0);
	explicit_bzero(fresh, sizeof(fresh));
	if (pq.resultStatus(r) != PGRES_COMMAND_OK)
		return schema_fail(conn, r, "storing the cursor key", e);
	pq.clear(r);
	return 0;
}

/* The migration transaction: lock, read the version again, migrate, key; 0 or -1 with e. */
static int
schema_upgrade(PGconn *conn, struct err *e)
{
	char lock[96];
	int version = 0;

	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d, %d)", TODO_PG_LOCK_CLASS,
	         TODO_PG_LOCK_MIGRATE);
	if (run(conn, "BEGIN", "begin", e) != 0)
		return -1;
	/* Whoever holds the lock migrates; the others wait here, then read its version. */
	if (run(conn, lock, "taking the migration lock", e) != 0 ||
	    run(conn, log_table, "creating the migration log", e) != 0 ||
	    version_read(conn, &version, e) != 0)
		goto fail;
	if (version > TODO_PG_SCHEMA_VERSION) {
		err_set(e, ERR_CONFIG,
		        "todo database (PostgreSQL): schema version %d, newer than %d", version,
		        TODO_PG_SCHEMA_VERSION);
		goto fail;
	}
	if (migrate(conn, version, e) != 0 || key_store(conn, e) != 0 ||
	    run(conn, "COMMIT", "commit", e) != 0)
		goto fail;
	return 0;
fail:
	pq.clear(pq.exec(conn, "ROLLBACK"));
	return -1;
}

int
todo_pg_schema(PGconn *conn, unsigned char key[SEAL_KEY_LEN], struct err *e)
{
	bool have_key;
	int version;

	if (state_read(conn, true, &version, key, &have_key, e) != 0)
		return -1;
	if (version == TODO_PG_SCHEMA_VERSION && have_key)
		return 0;
	if (schema_upgrade(conn, e) != 0 || state_read(conn, false, &version, key, &have_key, e))
		return -1;
	if (version != TODO_PG_SCHEMA_VERSION || !have_key)
		return err_set(e, ERR_CONFIG,
		               "todo database (PostgreSQL): no usable schema or key");
	return 0;
}
