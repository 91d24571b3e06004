/*
 * jwks_cache.h - the issuer's JWKS, cached in a file that every process
 * (FastCGI workers, CGI invocations, restarts) shares.
 *
 * Layout of the private state directory (all files 0600, never followed
 * through a symbolic link):
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
 */
#ifndef JWKS_CACHE_H
#define JWKS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/keycache/fetch.h"

struct jwk_set;

#define JWKS_CACHE_FILE        "jwks.cache"
#define JWKS_CACHE_LOCK        "jwks.lock"
#define JWKS_CACHE_REFRESH     "jwks.refresh.lock"
#define JWKS_TTL_MIN_DEFAULT   60
#define JWKS_TTL_MAX_DEFAULT   86400
#define JWKS_TTL_DEFAULT       3600
#define JWKS_THROTTLE_DEFAULT  60
#define JWKS_MAX_STALE_DEFAULT 86400
#define JWKS_STATE_DIR_MAX     1024 /* longest state_dir path accepted */

/*
 * Options; the strings are copied by jwks_cache_new().  Durations are in
 * seconds; zero or negative selects the default.  ttl_max below ttl_min is
 * raised to ttl_min.
 */
struct jwks_cache_opts {
	/* Private directory; created 0700 if missing (its parent must exist);
	   refused if not a directory owned by us or if group/world-writable. */
	const char *state_dir;
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
	/* Keys keep serving this long past expiry while refreshing fails; after
	   that no keys (fail closed).  0 means the default; a negative value
	   means none: expired keys never serve. */
	int64_t max_stale;
};

struct jwks_cache;

enum jwks_err {
	JWKS_OK = 0,
	JWKS_ERR_STATE_DIR, /* state directory unusable (missing parent, owner, mode) */
	JWKS_ERR_IO,        /* reading or writing a state file failed */
	JWKS_ERR_FETCH,     /* the JWKS (or metadata) could not be downloaded */
	JWKS_ERR_DISCOVERY, /* no valid RFC 8414 / OpenID metadata for the issuer */
	JWKS_ERR_DOCUMENT,  /* the downloaded JWKS has no usable key or is not JSON */
	JWKS_ERR_THROTTLED, /* a forced refresh happened too recently */
	JWKS_ERR_NO_KEYS,   /* no usable keys: none yet, or stale past max_stale */
	JWKS_ERR_NOMEM,
	JWKS_ERR__MAX
};

/* Returns a static, human-readable name for err (never NULL). */
const char *jwks_cache_strerror(enum jwks_err err);

/*
 * Checks (creating if missing) the state directory and returns a new handle
 * in *out; no network, no cache file read yet.  Returns JWKS_OK,
 * JWKS_ERR_STATE_DIR for a bad directory, JWKS_ERR_DISCOVERY when neither an
 * acceptable jwks_uri nor issuer (https unless allow_http; an issuer without
 * query or fragment, RFC 8414 §2) is given, or JWKS_ERR_NOMEM; all logged.
 * *out is NULL on failure.
 */
enum jwks_err jwks_cache_new(const struct jwks_cache_opts *opts, struct jwks_cache **out);

/*
 * Like jwks_cache_new() but, instead of logging why it failed, writes the
 * reason (one line, no secrets) into why (len bytes): for a caller that
 * reports start-up errors itself, once.
 */
enum jwks_err jwks_cache_open(const struct jwks_cache_opts *opts, struct jwks_cache **out,
                              char *why, size_t len);

/* Frees c and its key set; NULL is accepted. */
void jwks_cache_free(struct jwks_cache *c);

/*
 * Returns the usable key set in *out (borrowed from c; valid until the next
 * call on c).  now is the current time in seconds since the epoch.
 *
 * Fast path: one lstat of the cache file; when its identity (dev, inode,
 * size, mtime) is unchanged and the keys are fresh, the parsed set in memory
 * is returned: no read, no parse, no network.  A changed file is re-read
 * under the shared lock.  Stale or missing keys are refreshed (one fetch for
 * a crowd of processes).  While refreshing fails, stale keys keep serving up
 * to max_stale past expiry (logged once per attempt) and attempts are spaced
 * kid_throttle apart.
 *
 * Returns JWKS_OK with *out set, else *out NULL and JWKS_ERR_NO_KEYS (the
 * cause is logged and kept for jwks_cache_status), JWKS_ERR_STATE_DIR or
 * JWKS_ERR_IO when the state files cannot be used, JWKS_ERR_NOMEM.
 */
enum jwks_err jwks_cache_keys(struct jwks_cache *c, int64_t now, const struct jwk_set **out);

/*
 * A token named a kid the current set lacks.  Returns JWKS_OK when the set
 * held by c changed during this call (another process's refresh was picked
 * up, or we fetched a new document): look the kid up again in the set
 * jwks_cache_keys() now returns.  Returns JWKS_ERR_THROTTLED, without any
 * network, when any process forced a refresh within kid_throttle seconds of
 * now (the time is shared through the cache file); or the refresh's error
 * (JWKS_ERR_FETCH, JWKS_ERR_DISCOVERY, JWKS_ERR_DOCUMENT, ...), with the
 * previous keys kept.
 */
enum jwks_err jwks_cache_refresh_unknown_kid(struct jwks_cache *c, int64_t now);

/* What /health reports about the cache. */
struct jwks_cache_status {
	bool have_keys;     /* usable keys now (fresh, or stale within max_stale) */
	size_t n_keys;      /* keys in the cached set */
	int64_t fetched_at; /* 0 when never */
	int64_t expires_at; /* end of freshness; 0 when never fetched */
	bool last_ok;       /* the last attempt succeeded */
	int64_t last_attempt;
	char last_error[160]; /* "" after a success */
};

/*
 * Fills *out from the cache file (read under the shared lock when it
 * changed since c last read it); no network.  Returns JWKS_OK (also when no
 * cache file exists yet: have_keys false), JWKS_ERR_STATE_DIR, JWKS_ERR_IO or
 * JWKS_ERR_NOMEM.  Replaces the set a previous jwks_cache_keys() returned
 * when the file changed.
 */
enum jwks_err jwks_cache_status(struct jwks_cache *c, int64_t now, struct jwks_cache_status *out);

/*
 * A number that changes whenever the key set jwks_cache_keys() hands out is
 * replaced or dropped (a refresh, a reload of a changed file).  Whatever was
 * decided with the old keys is void once it moves.
 */
uint64_t jwks_cache_generation(const struct jwks_cache *c);

#endif /* JWKS_CACHE_H */
