/*
 * jwks_cache.h - the issuer's JWKS, cached in a file that every process
 * (FastCGI workers, CGI invocations, restarts) shares.
 *
 * Layout of the private state directory (all files 0600, never followed
 * through a symbolic link; the names are internal/jwks_file.h's):
 *   jwks.cache          metadata + the last good JWKS document (see
 *                       jwks_meta.h for the format)
 *   jwks.lock           readers take a shared flock to read jwks.cache, the
 *                       refresher an exclusive one to replace it
 *   jwks.refresh.lock   held exclusively for a whole refresh (network
 *                       included), so a crowd of processes makes one fetch
 *   jwks.cache.XXXXXX   a new cache file being written, renamed into place;
 *                       one a crashed writer left is removed by the next
 *                       refresher once it is over a minute old
 *
 * Nothing from a token ever picks a path or URL: the JWKS URL comes from the
 * options or from the issuer's own metadata (RFC 8414).
 *
 * A handle is used by one thread at a time; each process (and each forked
 * child) uses its own.  It keeps no file descriptor open between calls.
 *
 * Failures come back in a struct err (err.h; e may be NULL everywhere):
 * ERR_INVALID from jwks_cache_open() for options that name no usable key
 * source; ERR_SYSTEM when the state directory, a lock file or the cache
 * file cannot be used; ERR_UNAVAILABLE when there are no usable
 * keys or a refresh failed (network, timeout, HTTP status, discovery,
 * document); ERR_TOO_LARGE when a download was over its cap; ERR_THROTTLED
 * when a forced refresh was not attempted.  The message says precisely
 * what failed; the text of a failed refresh is also kept in the cache file
 * (struct jwks_cache_status.last_error).
 */
#ifndef JWKS_CACHE_H
#define JWKS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/keycache/fetch.h"

struct err;
struct jwk_set;

#define JWKS_TTL_MIN_DEFAULT  60
#define JWKS_TTL_MAX_DEFAULT  86400
#define JWKS_TTL_DEFAULT      3600
#define JWKS_THROTTLE_DEFAULT 60

/*
 * Options; the strings are copied by jwks_cache_open().  Durations are in
 * seconds.  For ttl_min, ttl_max, ttl_default and kid_throttle zero or
 * negative selects the default above; ttl_max below ttl_min is raised to
 * ttl_min.  max_stale has no default: it means what it says.
 */
struct jwks_cache_opts {
	/* Private directory; created 0700 if missing (its parent must exist);
	   refused if not a directory owned by us or if group/world-writable.
	   At most 1024 bytes. */
	const char *state_dir;
	/* A JWKS file the operator keeps (OAUTH_JWKS_FILE), absolute path: the
	   keys are its keys, read again when it changes; no fetch, and no
	   state directory (state_dir, jwks_uri, issuer and the durations are
	   ignored).  NULL: the keys are fetched and cached as below. */
	const char *jwks_file;
	/* The JWKS URL; NULL -> discovered from issuer. */
	const char *jwks_uri;
	/* For discovery: <issuer>/.well-known/oauth-authorization-server (RFC 8414
	   §3, path-insertion form for an issuer with a path), then
	   <issuer>/.well-known/openid-configuration.  The metadata's "issuer"
	   must equal it exactly; its jwks_uri must be https unless allow_http.
	   Ignored when jwks_uri is set. */
	const char *issuer;
	struct fetch_opts fetch; /* its strings are copied too */
	/* Freshness = the response's Cache-Control lifetime clamped to
	   [ttl_min, ttl_max]; ttl_default (also clamped) when it has none. */
	int64_t ttl_min, ttl_max, ttl_default;
	/* At most one forced (unknown kid) refresh per this many seconds across
	   all processes; also the pause after a failed refresh before the next. */
	int64_t kid_throttle;
	/* Keys keep serving this many seconds past expiry while refreshing
	   fails; after that no keys (fail closed).  0 (or negative): expired
	   keys never serve. */
	int64_t max_stale;
};

struct jwks_cache;

/*
 * Checks the options, checks (creating if missing) the state directory and
 * returns a new handle in *out; no network, no cache file read yet.  Logs
 * nothing: the caller reports a start-up error once.  Returns 0, or -1 with
 * *out NULL and in e either ERR_SYSTEM, "state directory ..." (missing, over
 * 1024 bytes, parent missing, not a directory, not ours, group/world-
 * writable), or ERR_INVALID: "jwks_uri: <rule>" or "issuer: <rule>"
 * (url_check(): https unless fetch.allow_http; an issuer without query or
 * fragment, RFC 8414 §2, short enough for its metadata URL), "neither
 * jwks_uri nor issuer given", or "no options" for opts NULL.
 */
int jwks_cache_open(const struct jwks_cache_opts *opts, struct jwks_cache **out, struct err *e);

/* Frees c and its key set; NULL is accepted. */
void jwks_cache_free(struct jwks_cache *c);

/*
 * Returns the usable key set in *out (borrowed from c; valid until the next
 * call on c).  now is the current time in seconds since the epoch.
 *
 * Fast path: at most one lstat of the cache file a second (a change made
 * by another process is seen within a second); when its identity (dev,
 * inode, size, mtime) is unchanged and the keys are fresh, the parsed set
 * in memory is returned: no read, no parse, no network.  A changed file is re-read
 * under the shared lock.  Stale or missing keys are refreshed (one fetch for
 * a crowd of processes).  While refreshing fails, stale keys keep serving up
 * to max_stale past expiry (logged once per attempt) and attempts are spaced
 * kid_throttle apart.
 *
 * Returns 0 with *out set, else -1 with *out NULL and in e: ERR_UNAVAILABLE
 * "no usable keys: <the last refresh's failure>" (also logged, and kept for
 * jwks_cache_status), or ERR_SYSTEM when the state files cannot be used.
 */
int jwks_cache_keys(struct jwks_cache *c, int64_t now, const struct jwk_set **out, struct err *e);

/*
 * A token named a kid the current set lacks.  Returns 0 when the set held
 * by c changed during this call (another process's refresh was picked up,
 * or we fetched a new document): look the kid up again in the set
 * jwks_cache_keys() now returns.  When another process is refreshing right
 * now, waits for it (at most the fetch timeout: no valid token is refused
 * because its new key is being fetched elsewhere), then looks again.  Else
 * -1, the previous keys kept, with in e: ERR_THROTTLED, without any
 * network, when any process forced a refresh within kid_throttle seconds of
 * now (the time is shared through the cache file: a flood of forged kids
 * makes one fetch per interval) or the other refresh outlasted the wait;
 * the refresh's failure
 * ("fetch: ...", "document: ...", "discovery: ..."; ERR_UNAVAILABLE, or
 * ERR_TOO_LARGE for a download over its cap); or ERR_SYSTEM.
 */
int jwks_cache_refresh_unknown_kid(struct jwks_cache *c, int64_t now, struct err *e);

/* What /health reports about the cache. */
struct jwks_cache_status {
	bool have_keys;     /* usable keys now (fresh, or stale within max_stale), at least one */
	bool fresh;         /* the keys are within their freshness lifetime now */
	size_t n_keys;      /* keys in the cached set */
	int64_t fetched_at; /* 0 when never */
	int64_t expires_at; /* end of freshness (at most ttl_max after fetched_at);
	                       0 when never fetched */
	bool last_ok;       /* the last attempt succeeded */
	int64_t last_attempt;
	char last_error[160]; /* "" after a success */
};

/*
 * Fills *out from the cache file (read under the shared lock when it
 * changed since c last read it); no network.  fresh and expires_at are what
 * jwks_cache_keys() itself goes by.  Returns 0 (also when no cache file
 * exists yet: have_keys false), or -1 with ERR_SYSTEM in e and *out zeroed.
 * Replaces the set a previous jwks_cache_keys() returned when the file
 * changed.
 */
int jwks_cache_status(struct jwks_cache *c, int64_t now, struct jwks_cache_status *out,
                      struct err *e);

/*
 * A number that changes whenever the key set jwks_cache_keys() hands out is
 * replaced or dropped (a refresh, a reload of a changed file).  Whatever was
 * decided with the old keys is void once it moves.
 */
uint64_t jwks_cache_generation(const struct jwks_cache *c);

#endif /* JWKS_CACHE_H */
