/*
 * ratelimit.h - request rate limits shared by every process of a machine.
 *
 * The algorithm is GCRA (the generic cell rate algorithm, ITU-T I.371), a
 * token bucket kept as one number per key: the theoretical arrival time
 * (TAT) of the next request.  A rate N/S lets a burst of N requests
 * through at once, then one every S/N seconds; a refused request changes
 * nothing.  One 64-bit time per key makes the table small and its update
 * one read and one write.
 *
 * A limiter is an interface (struct ratelimit_ops) with one operation,
 * take: all-or-nothing over a few keys.  ratelimit_local_open() is the
 * backend of one machine: a table in the state directory, RATELIMIT_FILE,
 * updated under an exclusive flock by every FastCGI worker and CGI process
 * (see ratelimit_table.c for the layout, eviction and repair).  Another
 * backend (counters in a database shared by several machines) fills the
 * same ops and is handed to ratelimit_new().
 *
 * Keys are 64-bit hashes (ratelimit_key()) of what the caller counts by:
 * the table never holds a token, a subject or an address.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/err.h"

#define RATELIMIT_FILE      "ratelimit.table"
#define RATELIMIT_FILE_SIZE (64 + 8192 * 128) /* header + 8192 buckets of 8 slots */
#define RATELIMIT_N_MAX     1000000           /* requests in one rate */
#define RATELIMIT_S_MAX     86400             /* seconds of one rate's window */
#define RATELIMIT_TOOLS_MAX 64                /* tools in one MCP_TOOL_RATE_LIMITS */
#define RATELIMIT_ASKS_MAX  4                 /* keys in one ratelimit_take() */
#define RATELIMIT_NAME_MAX  64
/* How late a decision may come after its clock was read (a lock, a database, machines' clocks). */
#define RATELIMIT_SKEW_US (10 * 1000000LL)

/* A rate: at most n requests per s seconds.  n == 0: no limit. */
struct ratelimit_rate {
	int64_t n;
	int64_t s;
};

/* One tool's rate, from MCP_TOOL_RATE_LIMITS. */
struct ratelimit_tool_rate {
	char name[RATELIMIT_NAME_MAX];
	struct ratelimit_rate rate;
};

/* One key to charge, at its rate. */
struct ratelimit_ask {
	uint64_t key;
	struct ratelimit_rate rate;
};

/* What ratelimit_take() decided. */
struct ratelimit_verdict {
	bool allowed;
	size_t refused_by;   /* index of the ask that refused (when !allowed) */
	int64_t retry_after; /* refused: whole seconds until a request of that key passes, >= 1 */
	int64_t remaining;   /* allowed: requests the tightest ask still admits at once */
};

/*
 * Parses "N/S" (N requests per S seconds, N from 1 to RATELIMIT_N_MAX, S
 * from 1 to RATELIMIT_S_MAX) or "0" (no limit) into *r.  Spaces around the
 * numbers are allowed.  Returns 0, or -1 with ERR_INVALID and a reason
 * (without the variable's name, which the caller adds).
 */
int ratelimit_rate_parse(const char *text, struct ratelimit_rate *r, struct err *e);

/*
 * Parses "tool=N/S; tool2=N/S" (';' between entries, an empty entry
 * ignored, each tool once) into out[0..*n), at most max entries.  Names
 * are not checked against any registry here.  Returns 0, or -1 with
 * ERR_INVALID and a reason naming the entry.
 */
int ratelimit_tools_parse(const char *text, struct ratelimit_tool_rate *out, size_t max, size_t *n,
                          struct err *e);

/*
 * The key of the NUL-terminated parts[0..n) (NULL parts count as ""): a
 * 64-bit hash that keeps the parts apart ("a","bc" differs from "ab","c").
 */
uint64_t ratelimit_key(const char *const *parts, size_t n);

/*
 * GCRA on one stored TAT (microseconds; 0, any time before now, or more
 * than RATELIMIT_SKEW_US past the rate's window from now: a fresh key;
 * less past the window: a full one): decides a request at now_us and sets
 * *tat to the new value when it passes.  Every backend uses it, so all
 * decide alike.  Fills v's allowed, retry_after and remaining.
 */
void ratelimit_gcra(int64_t *tat, const struct ratelimit_rate *r, int64_t now_us,
                    struct ratelimit_verdict *v);

/* What a backend implements. */
struct ratelimit_ops {
	/*
	 * Decides asks[0..n) at now_us (n <= RATELIMIT_ASKS_MAX), all or
	 * nothing: a request passes only when every key admits it, and only
	 * then is every key charged.  Returns 0 with *v filled, or -1 when
	 * the shared state cannot be had (the caller lets the request pass).
	 */
	int (*take)(void *self, const struct ratelimit_ask *asks, size_t n, int64_t now_us,
	            struct ratelimit_verdict *v);
	void (*free)(void *self);
};

struct ratelimit;

/* A limiter over a backend; takes ownership of self (ops->free releases it). */
struct ratelimit *ratelimit_new(const struct ratelimit_ops *ops, void *self);

/*
 * The machine's backend over state_dir/RATELIMIT_FILE (state_dir copied).
 * The file is opened at the first take, never through a symbolic link,
 * and used only when it is a regular file of the effective uid that
 * nobody else may read or write; a damaged file is rebuilt.  When it
 * cannot be used, the limits hold per process (a table in memory) and one
 * warning says why.  Never NULL.
 */
struct ratelimit *ratelimit_local_open(const char *state_dir);

/* Frees rl and its backend; NULL accepted. */
void ratelimit_free(struct ratelimit *rl);

/*
 * Decides asks[0..n) now (ratelimit_ops.take).  Asks whose rate is off
 * (n == 0) are left out; none left: allowed.  A backend failure lets the
 * request pass (v->allowed true): a broken limiter never stops service.
 */
void ratelimit_take(struct ratelimit *rl, const struct ratelimit_ask *asks, size_t n,
                    struct ratelimit_verdict *v);

/* As ratelimit_take() at a given time (microseconds since the epoch): the tests' clock. */
void ratelimit_take_at(struct ratelimit *rl, const struct ratelimit_ask *asks, size_t n,
                       int64_t now_us, struct ratelimit_verdict *v);

#endif /* RATELIMIT_H */
