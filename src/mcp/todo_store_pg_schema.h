/*
 * todo_store_pg_schema.h - the PostgreSQL database of MCP_DATABASE_URL: its
 * schema, migrations and cursor key, for the todo store's backend
 * (todo_store_pg.c), the rate limits shared by the machines (limits_pg.c)
 * and their connections (pg_conn.c).
 */
#ifndef TODO_STORE_PG_SCHEMA_H
#define TODO_STORE_PG_SCHEMA_H

#include <stdbool.h>

#include "lib/jose/seal.h"
#include "mcp/todo_store_libpq.h"

struct err;

/* The schema this program uses: the number of migrations it knows. */
#define TODO_PG_SCHEMA_VERSION 2

/*
 * Migration 2: the rate limits' state, one row per key (a ratelimit_key()
 * hash as a signed bigint) holding its GCRA time (ratelimit_gcra(), in
 * microseconds), and two functions:
 * - mcp_ratelimit_take(keys, ns, ss, now_us): ratelimit_gcra() over every
 *   key at its rate ns[i]/ss[i], all or nothing, as one statement.  The
 *   rows are created and locked in key order, so two requests sharing keys
 *   wait for each other and never deadlock; the arithmetic is
 *   ratelimit_gcra()'s (integer division, the same rounding, 10000000
 *   for RATELIMIT_SKEW_US), so a machine and the database decide alike.
 *   refused_by is 0-based.
 * - mcp_ratelimit_sweep(now_us): deletes up to 10,000 rows whose time has
 *   passed (a key with no row is the same fresh key), skipping rows other
 *   requests hold: the table keeps the keys active within their windows.
 */
#define TODO_PG_RATELIMIT_SQL                                                                      \
	"CREATE TABLE rate_limits (key bigint PRIMARY KEY, tat bigint NOT NULL);"                  \
	"CREATE FUNCTION mcp_ratelimit_take(keys bigint[], ns bigint[], ss bigint[],"              \
	" now_us bigint, OUT allowed boolean, OUT refused_by integer, OUT retry_after bigint,"     \
	" OUT remaining bigint) LANGUAGE plpgsql AS $f$"                                           \
	" DECLARE"                                                                                 \
	"  k integer := coalesce(array_length(keys, 1), 0);"                                       \
	"  tats bigint[] := '{}'; t bigint; win bigint; cur bigint; nxt bigint;"                   \
	" BEGIN"                                                                                   \
	"  allowed := true; refused_by := -1; retry_after := 0; remaining := 1000000;"             \
	"  INSERT INTO rate_limits (key, tat) SELECT u, 0 FROM unnest(keys) AS u ORDER BY u"       \
	"   ON CONFLICT DO NOTHING;"                                                               \
	"  PERFORM 1 FROM rate_limits WHERE key = ANY (keys) ORDER BY key FOR UPDATE;"             \
	"  FOR i IN 1 .. k LOOP"                                                                   \
	"   SELECT r.tat INTO cur FROM rate_limits AS r WHERE r.key = keys[i];"                    \
	"   t := ss[i] * 1000000 / ns[i]; win := t * ns[i];"                                       \
	"   IF cur < now_us OR cur > now_us + win + 10000000 THEN cur := now_us;"                  \
	"   ELSIF cur > now_us + win THEN cur := now_us + win; END IF;"                            \
	"   nxt := cur + t;"                                                                       \
	"   IF nxt - now_us > win THEN"                                                            \
	"    allowed := false; refused_by := i - 1; remaining := 0;"                               \
	"    retry_after := greatest(1, (nxt - win - now_us + 999999) / 1000000);"                 \
	"    RETURN;"                                                                              \
	"   END IF;"                                                                               \
	"   tats[i] := nxt; remaining := least(remaining, (win - (nxt - now_us)) / t);"            \
	"  END LOOP;"                                                                              \
	"  FOR i IN 1 .. k LOOP UPDATE rate_limits SET tat = tats[i] WHERE key = keys[i]; END "    \
	"LOOP;"                                                                                    \
	" END $f$;"                                                                                \
	"CREATE FUNCTION mcp_ratelimit_sweep(now_us bigint) RETURNS bigint LANGUAGE sql AS $f$"    \
	" WITH gone AS (DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits"         \
	"  WHERE tat < now_us LIMIT 10000 FOR UPDATE SKIP LOCKED) RETURNING 1)"                    \
	" SELECT count(*) FROM gone $f$;"

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

#endif /* TODO_STORE_PG_SCHEMA_H */
