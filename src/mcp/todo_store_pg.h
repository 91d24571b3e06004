/*
 * todo_store_pg.h - the PostgreSQL database of the todo store (part of
 * todo_store): its schema, migrations and cursor key, shared by the backend
 * (todo_store_pg.c) and the schema code (todo_store_pg_schema.c).
 */
#ifndef TODO_STORE_PG_H
#define TODO_STORE_PG_H

#include <stdbool.h>

#include "lib/jose/seal.h"
#include "mcp/todo_store_libpq.h"

struct err;

/* The schema this program uses: the number of migrations it knows. */
#define TODO_PG_SCHEMA_VERSION 1

/*
 * The session's advisory lock key of the migrations (pg_advisory_xact_lock
 * with two int4 keys: "mcpf", then 1).  Per-owner creates lock with one
 * bigint key, a separate key space.
 */
#define TODO_PG_LOCK_CLASS   0x6d637066
#define TODO_PG_LOCK_MIGRATE 1

/*
 * Brings the database on conn to TODO_PG_SCHEMA_VERSION and reads the key
 * that seals list cursors into key.  A database at the version already
 * costs one query.  Otherwise, in one transaction under the migrations'
 * advisory lock, the version is read again (processes starting together
 * wait for the first and then find nothing to do), each missing migration
 * runs and adds its row to todo_migrations, and a cursor key is stored if
 * there is none.  A database of a later version is refused.  Returns 0, or
 * -1 with e: ERR_UNAVAILABLE when the connection failed, else ERR_CONFIG.
 */
int todo_pg_schema(PGconn *conn, unsigned char key[SEAL_KEY_LEN], struct err *e);

/*
 * True when a failed result (r may be NULL) means the database cannot be
 * reached now, or asks to try again: the connection is gone, or SQLSTATE
 * class 08 (connection), 57 (operator intervention: shutdown, starting up),
 * 53 (insufficient resources), 40 (serialization failure, deadlock).
 */
bool todo_pg_transient(PGconn *conn, const PGresult *r);

#endif /* TODO_STORE_PG_H */
