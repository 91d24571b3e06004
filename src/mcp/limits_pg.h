/*
 * limits_pg.h - the rate limits shared by several machines through the
 * PostgreSQL database of MCP_DATABASE_URL (a backend of lib/ratelimit).
 *
 * Every decision is one statement, mcp_ratelimit_take() (todo_store_pg_schema.h):
 * the database holds each key's GCRA time and decides under the key's row
 * lock, so N/S admits exactly N requests at once whichever machines they
 * reach; the machines' clocks give the time (NTP: a skew of d between two
 * machines moves a refill by d).  Each process keeps one connection, made
 * at its first decision, and sweeps keys whose time has passed every
 * LIMITS_PG_SWEEP decisions.
 *
 * While the database cannot be reached, decisions fall back to the
 * machine's own limiter (each machine then admits up to N on its own), with
 * one warning when that starts and one line when the database is back.
 */
#ifndef MCP_LIMITS_PG_H
#define MCP_LIMITS_PG_H

#define LIMITS_PG_SWEEP 1024

struct ratelimit;

/*
 * The shared limiter on the database at url (copied; it may hold a
 * password and is never logged), falling back to local (borrowed: it must
 * outlive the result).  Connects at the first decision.  Never NULL.
 */
struct ratelimit *limits_pg_open(const char *url, struct ratelimit *local);

#endif /* MCP_LIMITS_PG_H */
