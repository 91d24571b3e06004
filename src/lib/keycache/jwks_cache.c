/*
 * jwks_cache.c - the policy of the shared JWKS cache: when keys are fresh,
 * when and by whom they are refreshed, how unknown kids are throttled, how
 * long stale keys may serve, and what /health reports.
 *
 * The state files are jwks_file's (their header format jwks_meta's); the
 * network side, discovery and download, is jwks_remote's.  Every outcome of
 * a refresh is written to the cache file: a good document replaces the old
 * one; a failed attempt keeps the old document with a new last_attempt and
 * last_error, so every process sees the failure and backs off.  A cache
 * file that is corrupt, refused or written for another issuer or JWKS URL
 * than ours is treated as missing, and the next refresh replaces it.
 *
 * Logging: the consequences for the keys (serving stale keys, no keys, a
 * refresh that could not be recorded) are logged here, once per attempt;
 * the public functions hand their failure to the caller in a struct err.
 */
#include "lib/keycache/jwks_cache.h"

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/jwk.h"
#include "lib/keycache/internal/jwks_file.h"
#include "lib/keycache/internal/jwks_local.h"
#include "lib/keycache/internal/jwks_meta.h"
#include "lib/keycache/internal/jwks_remote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A temporary cache file this old is a crashed writer's, never a live one's. */
#define TMP_MAX_AGE 60

struct jwks_cache {
	char *jwks_uri, *issuer, *proxy, *ca_file; /* owned; remote borrows them */
	struct jwks_remote remote;
	struct jwks_file files;
	int64_t ttl_min, ttl_max, ttl_default, throttle, max_stale;
	/* The in-memory view of the cache file as of ident. */
	bool loaded;
	bool refused;      /* the file at ident was there but refused (logged once) */
	int64_t looked_at; /* the second jwks_cache_keys() last looked at the file */
	struct jwks_file_ident ident;
	struct jwks_meta meta;
	char *doc;
	size_t doc_len;
	struct jwk_set *set;
	uint64_t generation; /* bumped whenever set is replaced or dropped */
	/* OAUTH_JWKS_FILE: the keys come from there, and nothing above is used. */
	bool local_mode;
	struct jwks_local local;
};

/* a + b without overflow (times are far from the limits, but come from files). */
static int64_t
add_sat(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	return a + b;
}

/* True when the cache file's header describes our issuer / JWKS URL. */
static bool
cache_is_ours(const struct jwks_cache *c, const struct jwks_meta *m)
{
	if (c->jwks_uri != NULL)
		return strcmp(m->jwks_uri, c->jwks_uri) == 0;
	return strcmp(m->issuer, c->issuer) == 0;
}

/* Drops the in-memory view (no keys, zeroed metadata). */
static void
view_clear(struct jwks_cache *c)
{
	jwk_set_free(c->set);
	free(c->doc);
	c->set = NULL;
	c->generation++;
	c->doc = NULL;
	c->doc_len = 0;
	c->meta = (struct jwks_meta){0};
}

/*
 * Judges what was read from the cache file: usable when it is ours and its
 * document (empty after a first attempt that failed) parses, into *set.
 * Returns false (logged) for a foreign file or a document that no longer parses.
 */
static bool
cached_view(const struct jwks_cache *c, const struct jwks_meta *m, const char *doc, size_t len,
            struct jwk_set **set)
{
	struct err jerr;

	*set = NULL;
	if (!cache_is_ours(c, m)) {
		log_msg(LOGL_INFO, "jwks: %s is for another issuer or JWKS URL; ignored",
		        c->files.cache);
		return false;
	}
	/* The document was validated before it was written; a failure now
	 * (tampering, a stricter parser) means no keys, never a crash. */
	if (len > 0 && jwk_set_parse(doc, len, set, &jerr) != 0) {
		log_msg(LOGL_WARN, "jwks: %s: cached document: %s; treated as missing",
		        c->files.cache, jerr.msg);
		*set = NULL;
		return false;
	}
	return true;
}

/*
 * Re-reads the cache file under the shared lock and replaces the in-memory
 * view with it.  A missing, refused, corrupt or foreign file leaves an empty
 * view (logged where found) whose identity is the file's, so it is not
 * re-read (nor re-logged) until it changes.  Returns 0, or -1 with
 * ERR_SYSTEM in e (view untouched).
 */
static int
cache_load(struct jwks_cache *c, struct err *e)
{
	struct jwks_meta m;
	struct jwk_set *set = NULL;
	struct jwks_file_ident id;
	char *doc = NULL;
	size_t doc_len = 0;
	bool usable;

	if (jwks_file_read(&c->files, &m, &doc, &doc_len, &id, e) != 0)
		return -1;
	usable = doc != NULL && cached_view(c, &m, doc, doc_len, &set);
	/* Older than our keys: not replaced by our refresh (a full or read-only disk). */
	if (usable && c->set != NULL && m.fetched_at < c->meta.fetched_at) {
		jwk_set_free(set);
		free(doc);
		c->ident = id;
		c->refused = false;
		return 0;
	}
	/* An empty view keeps the identity too: no re-read until it changes. */
	view_clear(c);
	if (usable) {
		c->meta = m;
		c->doc = doc;
		c->doc_len = doc_len;
		c->set = set;
		c->generation++;
		doc = NULL;
	}
	c->ident = id;
	c->loaded = true;
	c->refused = !usable && id.exists;
	free(doc);
	return 0;
}

/* The in-memory view brought up to date: one lstat, a reload only when the file's identity
 * changed (or force, unless the file was refused).  0, or -1 with ERR_SYSTEM in e. */
static int
cache_sync(struct jwks_cache *c, bool force, struct err *e)
{
	struct jwks_file_ident id;

	if (jwks_file_stat(&c->files, &id, e) != 0)
		return -1;
	if (!force && c->loaded && jwks_file_ident_equal(&id, &c->ident))
		return 0;
	/* A refresher's forced re-read of the same refused file would log it again. */
	if (c->loaded && c->refused && jwks_file_ident_equal(&id, &c->ident))
		return 0;
	return cache_load(c, e);
}

/* ---- freshness -------------------------------------------------------- */

/*
 * End of the keys' freshness: the recorded expiry, but never more than
 * ttl_max after the fetch, so a clock that jumped ahead while a refresh
 * wrote the file cannot keep revoked keys fresh for long.  The one
 * definition: jwks_cache_keys() and jwks_cache_status() both go by it.
 */
static int64_t
fresh_until(const struct jwks_cache *c)
{
	int64_t cap = add_sat(c->meta.fetched_at, c->ttl_max);

	return c->meta.expires_at < cap ? c->meta.expires_at : cap;
}

/* The keys are within their freshness lifetime (and not fetched "in the future"). */
static bool
keys_fresh(const struct jwks_cache *c, int64_t now)
{
	return c->set != NULL && c->meta.fetched_at <= now && now < fresh_until(c);
}

/* The keys may serve: fresh, or stale by less than max_stale. */
static bool
keys_usable(const struct jwks_cache *c, int64_t now)
{
	return c->set != NULL && now < add_sat(fresh_until(c), c->max_stale);
}

/* The last attempt failed recently: do not hammer a down issuer. */
static bool
backing_off(const struct jwks_cache *c, int64_t now)
{
	return !c->meta.last_ok && time_within(now, c->meta.last_attempt, c->throttle);
}

/* Freshness for a response's Cache-Control lifetime (-1 when absent), clamped. */
static int64_t
ttl_for(const struct jwks_cache *c, int64_t max_age)
{
	int64_t ttl = max_age < 0 ? c->ttl_default : max_age;

	if (ttl < c->ttl_min)
		return c->ttl_min;
	return ttl > c->ttl_max ? c->ttl_max : ttl;
}

/* ---- refresh ---------------------------------------------------------- */

/*
 * Fetches and validates a new document (jwks_remote_get); the caller holds
 * the refresh lock and has just re-read the cache file.  The attempt is
 * recorded in the cache file either way: a good document replaces the old
 * one; a failure (garbage, oversize, no usable key, unreachable) keeps the
 * old document and notes when and why, so every process backs off.  The
 * in-memory view follows even if the write fails (logged: a full disk must
 * not become a fetch per request).  Returns 0, or -1 with the fetch's
 * failure in e.
 */
static int
refresh_locked(struct jwks_cache *c, int64_t now, bool forced, struct err *e)
{
	struct jwks_meta m = c->meta;
	struct fetch_result r;
	struct jwk_set *set;
	struct jwks_file_ident id;
	struct err why = {0}, werr;
	int rc;

	snprintf(m.issuer, sizeof(m.issuer), "%s", c->issuer != NULL ? c->issuer : "");
	m.last_attempt = now;
	if (forced)
		m.forced_at = now;
	rc = jwks_remote_get(&c->remote, now, &m, &r, &set, &why);
	m.last_ok = rc == 0;
	jwks_meta_text_set(m.last_error, sizeof(m.last_error), rc == 0 ? "" : why.msg);
	if (rc == 0) {
		m.fetched_at = now;
		m.expires_at = add_sat(now, ttl_for(c, r.max_age));
	}
	if (jwks_file_write(&c->files, &m, rc == 0 ? r.body : c->doc, rc == 0 ? r.len : c->doc_len,
	                    &id, &werr) == 0)
		c->ident = id;
	else
		log_msg(LOGL_ERROR, "jwks: refresh not recorded: %s", werr.msg);
	c->meta = m;
	if (rc != 0) {
		if (e != NULL)
			*e = why;
		return -1;
	}
	jwk_set_free(c->set);
	free(c->doc);
	c->set = set;
	c->generation++;
	c->doc = r.body;
	c->doc_len = r.len;
	return 0;
}

/*
 * Takes the refresh lock (op: LOCK_EX, optionally | LOCK_NB) and, holding
 * it, removes the temporary files a crashed writer left (they would pile
 * up otherwise): every writer of ours holds this lock from mkstemp() to
 * rename(), so none of ours is in flight, and the age margin spares any
 * writer outside this protocol.  Returns jwks_file_lock's result.
 */
static int
refresh_lock(const struct jwks_cache *c, int64_t now, int op, struct err *e)
{
	int lock = jwks_file_lock(c->files.refresh, op, e);
	struct err why;

	if (lock >= 0 && jwks_file_tmp_sweep(&c->files, now, TMP_MAX_AGE, &why) < 0)
		log_msg(LOGL_WARN, "jwks: %s", why.msg);
	return lock;
}

/*
 * Refreshes stale or missing keys.  Waits for the refresh lock when we have
 * nothing usable; with stale keys that may still serve it only takes a free
 * lock (someone else is already refreshing otherwise).  After taking the
 * lock the cache file is re-read: if another process refreshed while we
 * waited, that is all (one fetch for a crowd).  Returns 0 when nothing
 * needed doing or the refresh worked, else -1 with refresh_locked's failure
 * or ERR_SYSTEM in e.
 */
static int
refresh_stale(struct jwks_cache *c, int64_t now, struct err *e)
{
	int lock = refresh_lock(c, now, LOCK_EX | (keys_usable(c, now) ? LOCK_NB : 0), e), rc;

	if (lock == JWKS_FILE_LOCK_BUSY)
		return 0;
	if (lock < 0)
		return -1;
	rc = cache_sync(c, true, e);
	if (rc == 0 && !keys_fresh(c, now) && !backing_off(c, now))
		rc = refresh_locked(c, now, false, e);
	close(lock);
	return rc;
}

/* ---- OAUTH_JWKS_FILE ---------------------------------------------------- */

/* The operator's file, read again when it changed; 1 when the set was replaced, 0 or -1. */
static int
local_sync(struct jwks_cache *c, int64_t now, struct err *e)
{
	int rc = jwks_local_sync(&c->local, now, e);

	if (rc == 1)
		c->generation++;
	return rc;
}

static int
local_keys(struct jwks_cache *c, int64_t now, const struct jwk_set **out, struct err *e)
{
	struct err why;

	/* A file being replaced (briefly missing or half-written) keeps the last good set. */
	local_sync(c, now, &why);
	if ((*out = c->local.set) != NULL)
		return 0;
	return err_set(e, ERR_UNAVAILABLE, "no usable keys: OAUTH_JWKS_FILE: %s",
	               c->local.last_error);
}

static void
local_status(struct jwks_cache *c, int64_t now, struct jwks_cache_status *out)
{
	struct err why;

	local_sync(c, now, &why);
	out->n_keys = jwk_set_count(c->local.set);
	out->have_keys = out->n_keys > 0;
	out->fresh = c->local.set != NULL; /* the file is the truth: never stale */
	out->fetched_at = c->local.loaded_at;
	out->last_ok = c->local.last_error[0] == '\0';
	out->last_attempt = now;
	snprintf(out->last_error, sizeof(out->last_error), "%s", c->local.last_error);
}

/* ---- public ----------------------------------------------------------- */

int
jwks_cache_keys(struct jwks_cache *c, int64_t now, const struct jwk_set **out, struct err *e)
{
	struct err why = {0};
	bool failed = false;

	*out = NULL;
	if (c->local_mode)
		return local_keys(c, now, out, e);
	/* Looked at once a second (others' writes, damage); an unknown kid looks at once. */
	if ((!c->loaded || now != c->looked_at) && cache_sync(c, false, e) != 0)
		return -1;
	c->looked_at = now;
	if (!keys_fresh(c, now) && !backing_off(c, now) && refresh_stale(c, now, &why) != 0) {
		failed = true;
		if (keys_usable(c, now))
			log_msg(LOGL_WARN,
			        "jwks: refresh failed (%s); serving keys expired %lld s ago",
			        why.msg, (long long)(now - fresh_until(c)));
		else
			log_msg(LOGL_ERROR, "jwks: no usable keys: %s", why.msg);
	}
	if (keys_usable(c, now)) {
		*out = c->set;
		return 0;
	}
	/* The state files failing says more than the last refresh's text. */
	if (failed && why.code == ERR_SYSTEM)
		return err_set(e, ERR_SYSTEM, "%s", why.msg);
	if (c->meta.last_error[0] != '\0')
		return err_set(e, ERR_UNAVAILABLE, "no usable keys: %s", c->meta.last_error);
	return err_set(e, ERR_UNAVAILABLE, "no usable keys");
}

/* True when c holds keys it did not hold (by fetch time) before the call. */
static bool
set_changed(const struct jwks_cache *c, bool had, int64_t seen)
{
	return c->set != NULL && (!had || c->meta.fetched_at != seen);
}

/* The answer when any process forced a refresh within kid_throttle before now. */
static int
throttled(const struct jwks_cache *c, int64_t now, struct err *e)
{
	return err_set(e, ERR_THROTTLED, "forced refresh %lld s ago, within the %lld s throttle",
	               (long long)(now - c->meta.forced_at), (long long)c->throttle);
}

/*
 * Waits, polling, until no process holds the refresh lock, at most the
 * fetch timeout (a refresh in progress ends by then).  Returns 0 once the
 * lock is free, -1 when it was still held at the end (or is unusable).
 */
static int
refresh_wait(const struct jwks_cache *c)
{
	long timeout_ms =
	    c->remote.fetch.timeout_ms > 0 ? c->remote.fetch.timeout_ms : FETCH_DEFAULT_TIMEOUT_MS;
	const struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};

	for (long waited = 0; waited <= timeout_ms; waited += 20) {
		int fd = jwks_file_lock(c->files.refresh, LOCK_SH | LOCK_NB, NULL);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (fd != JWKS_FILE_LOCK_BUSY)
			return -1;
		nanosleep(&pause, NULL);
	}
	return -1;
}

/*
 * One attempt at a forced refresh for an unknown kid: 0 when the set now
 * differs from the one of fetch time seen (had: there was one), else the
 * reason.  With wait, a refresh in progress elsewhere is waited for and
 * looked at; without, a busy lock means throttled.
 */
static int
refresh_for_kid(struct jwks_cache *c, int64_t now, bool had, int64_t seen, bool wait, struct err *e)
{
	int lock, rc;

	/* Cheap checks first: a flood of forged kids costs one lstat each. */
	if (cache_sync(c, false, e) != 0)
		return -1;
	if (set_changed(c, had, seen))
		return 0;
	if (time_within(now, c->meta.forced_at, c->throttle))
		return throttled(c, now, e);
	if ((lock = refresh_lock(c, now, LOCK_EX | LOCK_NB, e)) == JWKS_FILE_LOCK_BUSY) {
		/*
		 * Key rotation refuses nobody: a token whose new key another
		 * process is fetching now waits for that fetch (bounded), then is
		 * checked against what it brought.  Forged kids add no fetch: the
		 * refresh they waited for set the shared throttle.
		 */
		if (!wait || refresh_wait(c) != 0)
			return err_set(e, ERR_THROTTLED,
			               "a refresh is in progress in another process");
		return refresh_for_kid(c, now, had, seen, false, e);
	}
	if (lock < 0)
		return -1;
	/* Another process may have forced a refresh just before we took the lock. */
	rc = cache_sync(c, true, e);
	if (rc == 0 && !set_changed(c, had, seen))
		rc = time_within(now, c->meta.forced_at, c->throttle)
		         ? throttled(c, now, e)
		         : refresh_locked(c, now, true, e);
	close(lock);
	return rc;
}

int
jwks_cache_refresh_unknown_kid(struct jwks_cache *c, int64_t now, struct err *e)
{
	if (c->local_mode)
		return local_sync(c, now, e) == 1
		           ? 0
		           : err_set(e, ERR_THROTTLED, "OAUTH_JWKS_FILE unchanged");
	/* "Changed" is measured from what the caller could have seen: a handle
	 * that never looked at the file looks first. */
	if (!c->loaded && cache_sync(c, false, e) != 0)
		return -1;
	return refresh_for_kid(c, now, c->set != NULL, c->meta.fetched_at, true, e);
}

int
jwks_cache_status(struct jwks_cache *c, int64_t now, struct jwks_cache_status *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (c->local_mode) {
		local_status(c, now, out);
		return 0;
	}
	if (cache_sync(c, false, e) != 0)
		return -1;
	/* An emptied JWKS is a set too, but no token verifies with it: not ready. */
	out->have_keys = keys_usable(c, now) && jwk_set_count(c->set) > 0;
	out->fresh = keys_fresh(c, now);
	out->n_keys = jwk_set_count(c->set);
	out->fetched_at = c->meta.fetched_at;
	out->expires_at = fresh_until(c);
	out->last_ok = c->meta.last_ok;
	out->last_attempt = c->meta.last_attempt;
	snprintf(out->last_error, sizeof(out->last_error), "%s", c->meta.last_error);
	return 0;
}

/* Zero or negative -> def. */
static int64_t
dur_or(int64_t v, int64_t def)
{
	return v > 0 ? v : def;
}

/* Copies the options into c (strings included); checks nothing. */
static void
opts_copy(struct jwks_cache *c, const struct jwks_cache_opts *opts)
{
	c->jwks_uri = xstrdup_opt(opts->jwks_uri);
	/* With a configured jwks_uri the issuer plays no part here (token checks use it). */
	c->issuer = xstrdup_opt(opts->jwks_uri == NULL ? opts->issuer : NULL);
	c->proxy = xstrdup_opt(opts->fetch.proxy);
	c->ca_file = xstrdup_opt(opts->fetch.ca_file);
	c->remote.jwks_uri = c->jwks_uri;
	c->remote.issuer = c->issuer;
	c->remote.fetch = opts->fetch;
	c->remote.fetch.proxy = c->proxy;
	c->remote.fetch.ca_file = c->ca_file;
	c->ttl_min = dur_or(opts->ttl_min, JWKS_TTL_MIN_DEFAULT);
	c->ttl_max = dur_or(opts->ttl_max, JWKS_TTL_MAX_DEFAULT);
	if (c->ttl_max < c->ttl_min)
		c->ttl_max = c->ttl_min;
	c->remote.discovery_ttl = c->ttl_max; /* a discovered jwks_uri is kept as long */
	c->ttl_default = dur_or(opts->ttl_default, JWKS_TTL_DEFAULT);
	c->throttle = dur_or(opts->kid_throttle, JWKS_THROTTLE_DEFAULT);
	/* No default here: 0 means no stale keys at all. */
	c->max_stale = opts->max_stale > 0 ? opts->max_stale : 0;
}

int
jwks_cache_open(const struct jwks_cache_opts *opts, struct jwks_cache **out, struct err *e)
{
	struct jwks_cache *c;

	*out = NULL;
	if (opts == NULL)
		return err_set(e, ERR_INVALID, "no options");
	c = xcalloc(1, sizeof(*c));
	if (opts->jwks_file != NULL) {
		c->local_mode = true;
		if (jwks_local_init(&c->local, opts->jwks_file, e) != 0) {
			err_prefix(e, "jwks_file");
			goto fail;
		}
		*out = c;
		return 0;
	}
	/* The state directory's name first, then the URLs, and only then is
	 * anything created on disk. */
	if (jwks_file_init(&c->files, opts->state_dir, e) != 0)
		goto fail;
	opts_copy(c, opts);
	if (jwks_remote_check(&c->remote, e) != 0 || jwks_file_dir_check(&c->files, e) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	jwks_cache_free(c);
	return -1;
}

void
jwks_cache_free(struct jwks_cache *c)
{
	if (c == NULL)
		return;
	view_clear(c);
	jwks_local_free(&c->local);
	free(c->jwks_uri);
	free(c->issuer);
	free(c->proxy);
	free(c->ca_file);
	free(c);
}

uint64_t
jwks_cache_generation(const struct jwks_cache *c)
{
	return c->generation;
}
