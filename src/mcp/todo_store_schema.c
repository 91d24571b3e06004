/*
 * todo_store_schema.c - the todo database on disk: WAL, the schema and its
 * migrations, the cursor key.
 */
#include "mcp/todo_store_schema.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "mcp/todo_store.h"

/*
 * The schema, version 2: rows keyed by their owner (issuer, subject,
 * organisation), and a meta table holding the key that seals list cursors.
 */
static const char schema_v2[] =
    "CREATE TABLE todos ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " id TEXT NOT NULL UNIQUE,"
    " owner_iss TEXT NOT NULL,"
    " owner_sub TEXT NOT NULL,"
    " owner_org TEXT NOT NULL,"
    " title TEXT NOT NULL,"
    " description TEXT NOT NULL DEFAULT '',"
    " completed INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX todos_owner ON todos (owner_iss, owner_sub, owner_org, seq);"
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);";

/*
 * Version 1 (the first release) to 2: the issuer joins the owner.  Rows of
 * version 1 had none; they are given the configured issuer (?1 in the
 * UPDATE), the one that issued them wherever a single issuer is accepted.
 */
static const char migrate_v1_v2[] =
    "ALTER TABLE todos ADD COLUMN owner_iss TEXT NOT NULL DEFAULT '';"
    "DROP INDEX IF EXISTS todos_owner;"
    "CREATE INDEX todos_owner ON todos (owner_iss, owner_sub, owner_org, seq);"
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);";

#define META_CURSOR_KEY "cursor_key"

/* The database's schema version (PRAGMA user_version), or -1. */
static int
schema_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int version = -1;

	if (sq.prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sq.step(st) == SQLITE_ROW)
		version = sq.column_int(st, 0);
	sq.finalize(st);
	return version;
}

/* Runs one statement with ?1 bound to text, or to len bytes of blob when text is NULL; 0 or -1. */
static int
exec_bound(sqlite3 *db, const char *sql_text, const char *text, const void *blob, int len)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sq.prepare_v2(db, sql_text, -1, &st, NULL) == SQLITE_OK &&
	    (text != NULL ? sq.bind_text(st, 1, text, -1, SQLITE_TRANSIENT)
	                  : sq.bind_blob(st, 1, blob, len, SQLITE_TRANSIENT)) == SQLITE_OK &&
	    sq.step(st) == SQLITE_DONE)
		rc = 0;
	sq.finalize(st);
	return rc;
}

/*
 * Inside the caller's write transaction: brings a database of version 0
 * (new) or 1 to version 2, giving version-1 rows default_issuer, and stores
 * a fresh cursor key.  Returns 0 or -1.
 */
static int
schema_upgrade(sqlite3 *db, int version, const char *default_issuer)
{
	unsigned char key[SEAL_KEY_LEN];
	char set_version[64];

	if (util_random(key, sizeof(key)) != 0)
		return -1;
	if (version == 0 && sq.exec(db, schema_v2, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (version == 1 &&
	    (sq.exec(db, migrate_v1_v2, NULL, NULL, NULL) != SQLITE_OK ||
	     exec_bound(db, "UPDATE todos SET owner_iss = ?1", default_issuer, NULL, 0) != 0))
		return -1;
	if (exec_bound(db, "INSERT INTO meta (name, value) VALUES ('" META_CURSOR_KEY "', ?1)",
	               NULL, key, (int)sizeof(key)) != 0)
		return -1;
	snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d", TODO_SCHEMA_VERSION);
	return sq.exec(db, set_version, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/*
 * Creates the schema of a new database, or migrates one of an earlier
 * version, in one write transaction: the version is read again inside it,
 * so processes starting together migrate once.  Returns 0, or -1 with e.
 */
static int
schema_ensure(sqlite3 *db, const char *default_issuer, struct err *e)
{
	int version = schema_version(db), rc = 0;

	if (version == TODO_SCHEMA_VERSION)
		return 0;
	if (sq.exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return err_set(e, ERR_CONFIG, "todo database: %s", sq.errmsg(db));
	version = schema_version(db);
	if (version == 0 || version == 1) {
		if ((rc = schema_upgrade(db, version, default_issuer)) == 0 && version == 1)
			log_msg(LOGL_INFO, "todo database: migrated from schema version 1 to %d",
			        TODO_SCHEMA_VERSION);
	} else if (version != TODO_SCHEMA_VERSION) {
		rc = -1;
	}
	if (rc != 0 || sq.exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		err_set(e, ERR_CONFIG, "todo database: schema version %d, expected %d (%s)",
		        version, TODO_SCHEMA_VERSION, sq.errmsg(db));
		sq.exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/*
 * WAL (readers and the one writer do not block each other; NORMAL is
 * durable in WAL).  Switching a new database to WAL needs it to itself, and
 * SQLite answers SQLITE_BUSY at once, without the busy handler, while other
 * processes starting together hold it: retry for the busy timeout.
 */
static int
wal_mode(sqlite3 *db)
{
	int rc = SQLITE_BUSY;

	for (int waited = 0; waited <= TODO_BUSY_TIMEOUT_MS; waited += 10) {
		rc = sq.exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", NULL,
		             NULL, NULL);
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		sq.sleep(10);
	}
	return rc;
}

/* Reads the cursor key from the meta table into key; 0 or -1 with e. */
static int
cursor_key_load(sqlite3 *db, unsigned char key[SEAL_KEY_LEN], struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sq.prepare_v2(db, "SELECT value FROM meta WHERE name = '" META_CURSOR_KEY "'", -1, &st,
	                  NULL) == SQLITE_OK &&
	    sq.step(st) == SQLITE_ROW && sq.column_bytes(st, 0) == SEAL_KEY_LEN) {
		memcpy(key, sq.column_blob(st, 0), SEAL_KEY_LEN);
		rc = 0;
	}
	sq.finalize(st);
	return rc == 0 ? 0 : err_set(e, ERR_CONFIG, "todo database: no usable cursor key");
}

sqlite3 *
todo_db_open(const char *path, const char *default_issuer, unsigned char key[SEAL_KEY_LEN],
             struct err *e)
{
	sqlite3 *db = NULL;
	int fd;

	if (todo_sqlite_load(e) != 0)
		return NULL;
	/* Create the file 0600 ourselves: SQLite would honour the umask only. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) >= 0)
		close(fd);
	/*
	 * NOMUTEX: a connection is used by the one thread of its process, so
	 * SQLite's per-connection mutex only cost a lock and an unlock per call
	 * (a twentieth of listing 20 todos).  Other processes are kept apart by
	 * SQLite's file locks, which this does not touch.
	 */
	if (sq.open_v2(path, &db,
	               SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
	               NULL) != SQLITE_OK) {
		err_set(e, ERR_CONFIG, "MCP_TODO_DB: %s: %s", path,
		        db ? sq.errmsg(db) : "cannot open");
		goto fail;
	}
	sq.busy_timeout(db, TODO_BUSY_TIMEOUT_MS);
	if (wal_mode(db) != SQLITE_OK) {
		err_set(e, ERR_CONFIG, "todo database %s: %s", path, sq.errmsg(db));
		goto fail;
	}
	if (schema_ensure(db, default_issuer, e) != 0 || cursor_key_load(db, key, e) != 0)
		goto fail;
	return db;
fail:
	sq.close(db);
	return NULL;
}
