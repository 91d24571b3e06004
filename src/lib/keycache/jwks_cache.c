/*
 * jwks_cache.c - the policy of the shared JWKS cache: when keys are fresh,
 * when and by whom they are refreshed, how unknown kids are throttled, how
 * long stale keys may serve, and what /health reports.
 *
 * The state files are jwks_file's (their header format jwks_meta's); the
 * network side, discovery and download, is jwks_remote's.  Every outcome of a refresh is written to
 * the cache file: a good document replaces the old one; a failed attempt keeps the old document
 * with a new last_attempt and last_error, so every process sees the failure and backs off.  A cache
 * file that is corrupt, refused or written for another issuer or JWKS URL than ours is treated as
 * missing, and the next refresh replaces it.
 */
#include "lib/keycache/jwks_cache.h"

#include "lib/jose/jwk.h"
#include "lib/keycache/internal/jwks_file.h"
#include "lib/keycache/internal/jwks_meta.h"
#include "lib/keycache/internal/jwks_remote.h"
#include "lib/core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	struct jwks_file_ident ident;
	struct jwks_meta meta;
	char *doc;
	size_t doc_len;
	struct jwk_set *set;
	uint64_t generation; /* bumped whenever set is replaced or dropped */
};

static const char *const err_names[JWKS_ERR__MAX] = {
    [JWKS_OK] = "ok",
    [JWKS_ERR_STATE_DIR] = "JWKS state directory unusable",
    [JWKS_ERR_IO] = "JWKS cache file I/O error",
    [JWKS_ERR_FETCH] = "JWKS download failed",
    [JWKS_ERR_DISCOVERY] = "authorization server metadata unusable",
    [JWKS_ERR_DOCUMENT] = "JWKS document unusable",
    [JWKS_ERR_THROTTLED] = "JWKS refresh throttled",
    [JWKS_ERR_NO_KEYS] = "no usable JWKS keys",
    [JWKS_ERR_NOMEM] = "out of memory",
};

const char *
jwks_cache_strerror(enum jwks_err err)
{
	if ((unsigned)err >= JWKS_ERR__MAX)
		return "unknown JWKS cache error";
	return err_names[err];
}

/* a + b without overflow (times are far from the limits, but come from files). */
static int64_t
add_sat(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	return a + b;
}

/* True when t happened within the last span seconds before now. */
static bool
within(int64_t now, int64_t t, int64_t span)
{
	return t > 0 && now >= t && now - t < span;
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
 * Re-reads the cache file under the shared lock and replaces the in-memory
 * view with it.  A missing, refused, corrupt or foreign file leaves an empty
 * view (logged where found) whose identity is the file's, so it is not
 * re-read (nor re-logged) until it changes.  Returns JWKS_OK,
 * JWKS_ERR_STATE_DIR / JWKS_ERR_IO (view untouched) or JWKS_ERR_NOMEM.
 */
static enum jwks_err
cache_load(struct jwks_cache *c)
{
	struct jwks_meta m;
	struct jwk_set *set = NULL;
	struct jwks_file_ident id;
	char *doc = NULL;
	size_t doc_len = 0;
	bool usable = false;
	struct err jerr;
	enum jwks_err err = jwks_file_read(&c->files, &m, &doc, &doc_len, &id);

	if (err != JWKS_OK || doc == NULL)
		goto out;
	if (!cache_is_ours(c, &m)) {
		log_msg(LOGL_INFO, "jwks: %s is for another issuer or JWKS URL; ignored",
		        c->files.cache);
		goto out;
	}
	/* The document was validated before it was written; a failure now
	 * (tampering, a stricter parser) means no keys, never a crash. */
	if (doc_len > 0 && jwk_set_parse(doc, doc_len, &set, &jerr) != 0) {
		log_msg(LOGL_WARN, "jwks: %s: cached document: %s; treated as missing",
		        c->files.cache, jerr.msg);
		goto out;
	}
	usable = true;
out:
	if (err == JWKS_OK) {
		/* An empty view keeps the identity too: no re-read until it changes. */
		view_clear(c);
		if (usable) {
			c->meta = m;
			c->doc = doc;
			c->doc_len = doc_len;
			c->set = set;
			c->generation++;
			doc = NULL;
			set = NULL;
		}
		c->ident = id;
		c->loaded = true;
	}
	jwk_set_free(set);
	free(doc);
	return err;
}

/*
 * Brings the in-memory view up to date: one lstat, and a reload only when
 * the file's identity changed (or force).  Returns what cache_load returns.
 */
static enum jwks_err
cache_sync(struct jwks_cache *c, bool force)
{
	struct jwks_file_ident id;

	if (jwks_file_stat(&c->files, &id) != 0)
		return JWKS_ERR_IO;
	if (!force && c->loaded && jwks_file_ident_equal(&id, &c->ident))
		return JWKS_OK;
	return cache_load(c);
}

/* ---- refresh ---------------------------------------------------------- */

/*
 * End of the keys' freshness: the recorded expiry, but never more than
 * ttl_max after the fetch, so a clock that jumped ahead while a refresh
 * wrote the file cannot keep revoked keys fresh for long.
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
	return !c->meta.last_ok && within(now, c->meta.last_attempt, c->throttle);
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

/*
 * Fetches and validates a new document (jwks_remote_get); the caller holds
 * the refresh lock and has just re-read the cache file.  The attempt is
 * recorded in the cache file either way: a good document replaces the old
 * one; a failure (garbage, oversize, no usable key, unreachable) keeps the
 * old document and notes when and why, so every process backs off.  The
 * in-memory view follows even if the write fails (a full disk must not
 * become a fetch per request).  Returns the outcome of the fetch (JWKS_OK,
 * JWKS_ERR_FETCH, JWKS_ERR_DISCOVERY, JWKS_ERR_DOCUMENT, JWKS_ERR_NOMEM).
 */
static enum jwks_err
refresh_locked(struct jwks_cache *c, int64_t now, bool forced)
{
	struct jwks_meta m = c->meta;
	struct fetch_result r;
	struct jwk_set *set;
	struct jwks_file_ident id;
	char why[JWKS_META_ERROR_MAX] = "";
	const char *doc = c->doc;
	size_t doc_len = c->doc_len;
	enum jwks_err err;

	snprintf(m.issuer, sizeof(m.issuer), "%s", c->issuer != NULL ? c->issuer : "");
	m.last_attempt = now;
	if (forced)
		m.forced_at = now;
	err = jwks_remote_get(&c->remote, now, &m, &r, &set, why, sizeof(why));
	if (err == JWKS_OK) {
		doc = r.body;
		doc_len = r.len;
		m.fetched_at = now;
		m.expires_at = add_sat(now, ttl_for(c, r.max_age));
		m.last_ok = true;
		m.last_error[0] = '\0';
	} else {
		m.last_ok = false;
		jwks_meta_text_set(m.last_error, sizeof(m.last_error), why);
	}
	if (jwks_file_write(&c->files, &m, doc, doc_len, &id) == JWKS_OK)
		c->ident = id;
	c->meta = m;
	if (err == JWKS_OK) {
		jwk_set_free(c->set);
		free(c->doc);
		c->set = set;
		c->generation++;
		c->doc = r.body;
		c->doc_len = r.len;
		set = NULL;
		r.body = NULL;
	}
	jwk_set_free(set);
	fetch_result_free(&r);
	return err;
}

/*
 * Takes the refresh lock (op: LOCK_EX, optionally | LOCK_NB) and, holding
 * it, removes the temporary files a crashed writer left (they would pile
 * up otherwise): every writer of ours holds this lock from mkstemp() to
 * rename(), so none of ours is in flight, and the age margin spares any
 * writer outside this protocol.  Returns jwks_file_lock's result.
 */
static int
refresh_lock(const struct jwks_cache *c, int64_t now, int op)
{
	int lock = jwks_file_lock(c->files.refresh, op);

	if (lock >= 0)
		(void)jwks_file_tmp_sweep(&c->files, now, TMP_MAX_AGE);
	return lock;
}

/*
 * Refreshes stale or missing keys.  Waits for the refresh lock when we have
 * nothing usable; with stale keys that may still serve it only takes a free
 * lock (someone else is already refreshing otherwise).  After taking the
 * lock the cache file is re-read: if another process refreshed while we
 * waited, that is all (one fetch for a crowd).  Returns JWKS_OK when nothing
 * needed doing, else refresh_locked's result, JWKS_ERR_STATE_DIR or an I/O
 * error.
 */
static enum jwks_err
refresh_stale(struct jwks_cache *c, int64_t now)
{
	int lock = refresh_lock(c, now, LOCK_EX | (keys_usable(c, now) ? LOCK_NB : 0));
	enum jwks_err err;

	if (lock == JWKS_FILE_LOCK_BUSY)
		return JWKS_OK;
	if (lock < 0)
		return JWKS_ERR_STATE_DIR;
	err = cache_sync(c, true);
	if (err == JWKS_OK && !keys_fresh(c, now) && !backing_off(c, now))
		err = refresh_locked(c, now, false);
	close(lock);
	return err;
}

/* ---- public ----------------------------------------------------------- */

enum jwks_err
jwks_cache_keys(struct jwks_cache *c, int64_t now, const struct jwk_set **out)
{
	enum jwks_err err = cache_sync(c, false);

	*out = NULL;
	if (err != JWKS_OK)
		return err;
	if (!keys_fresh(c, now) && !backing_off(c, now)) {
		err = refresh_stale(c, now);
		if (err == JWKS_ERR_NOMEM)
			return err;
		if (err != JWKS_OK && keys_usable(c, now))
			log_msg(LOGL_WARN,
			        "jwks: refresh failed (%s); serving keys expired %lld s ago",
			        c->meta.last_error, (long long)(now - c->meta.expires_at));
		else if (err != JWKS_OK)
			log_msg(LOGL_ERROR, "jwks: no usable keys: %s",
			        c->meta.last_error[0] != '\0' ? c->meta.last_error
			                                      : jwks_cache_strerror(err));
	}
	if (!keys_usable(c, now))
		return err == JWKS_ERR_STATE_DIR || err == JWKS_ERR_IO ? err : JWKS_ERR_NO_KEYS;
	*out = c->set;
	return JWKS_OK;
}

/* True when c holds keys it did not hold (by fetch time) before the call. */
static bool
set_changed(const struct jwks_cache *c, bool had, int64_t seen)
{
	return c->set != NULL && (!had || c->meta.fetched_at != seen);
}

enum jwks_err
jwks_cache_refresh_unknown_kid(struct jwks_cache *c, int64_t now)
{
	enum jwks_err err;
	int64_t seen;
	bool had;
	int lock;

	/* "Changed" is measured from what the caller could have seen: a handle
	 * that never looked at the file looks first. */
	if (!c->loaded && (err = cache_sync(c, false)) != JWKS_OK)
		return err;
	seen = c->meta.fetched_at;
	had = c->set != NULL;
	/* Cheap checks first: a flood of forged kids costs one lstat each. */
	if ((err = cache_sync(c, false)) != JWKS_OK)
		return err;
	if (set_changed(c, had, seen))
		return JWKS_OK;
	if (within(now, c->meta.forced_at, c->throttle))
		return JWKS_ERR_THROTTLED;
	/*
	 * Never wait here: a refresh in progress elsewhere will show its keys on
	 * the next request, and forged kids must not hold workers behind a slow
	 * issuer.
	 */
	if ((lock = refresh_lock(c, now, LOCK_EX | LOCK_NB)) == JWKS_FILE_LOCK_BUSY)
		return JWKS_ERR_THROTTLED;
	if (lock < 0)
		return JWKS_ERR_STATE_DIR;
	/* Another process may have forced a refresh just before we took the lock. */
	err = cache_sync(c, true);
	if (err == JWKS_OK && !set_changed(c, had, seen)) {
		if (within(now, c->meta.forced_at, c->throttle))
			err = JWKS_ERR_THROTTLED;
		else
			err = refresh_locked(c, now, true);
	}
	close(lock);
	return err;
}

enum jwks_err
jwks_cache_status(struct jwks_cache *c, int64_t now, struct jwks_cache_status *out)
{
	enum jwks_err err = cache_sync(c, false);

	memset(out, 0, sizeof(*out));
	if (err != JWKS_OK)
		return err;
	out->have_keys = keys_usable(c, now);
	out->n_keys = jwk_set_count(c->set);
	out->fetched_at = c->meta.fetched_at;
	out->expires_at = c->meta.expires_at;
	out->last_ok = c->meta.last_ok;
	out->last_attempt = c->meta.last_attempt;
	snprintf(out->last_error, sizeof(out->last_error), "%s", c->meta.last_error);
	return JWKS_OK;
}

/* Copies s (NULL stays NULL).  Returns -1 when out of memory. */
static int
dup_opt(char **dst, const char *s)
{
	*dst = NULL;
	if (s != NULL && (*dst = strdup(s)) == NULL)
		return -1;
	return 0;
}

/* Zero or negative -> def. */
static int64_t
dur_or(int64_t v, int64_t def)
{
	return v > 0 ? v : def;
}

enum jwks_err
jwks_cache_new(const struct jwks_cache_opts *opts, struct jwks_cache **out)
{
	char why[512] = "";
	enum jwks_err err = jwks_cache_open(opts, out, why, sizeof(why));

	if (err != JWKS_OK)
		log_msg(LOGL_ERROR, "jwks: %s", why);
	return err;
}

enum jwks_err
jwks_cache_open(const struct jwks_cache_opts *opts, struct jwks_cache **out, char *why, size_t len)
{
	struct jwks_cache *c = NULL;
	enum jwks_err err = JWKS_ERR_NOMEM;
	size_t dlen;

	*out = NULL;
	snprintf(why, len, "out of memory");
	if (opts == NULL || opts->state_dir == NULL ||
	    (dlen = strnlen(opts->state_dir, JWKS_STATE_DIR_MAX + 1)) == 0 ||
	    dlen > JWKS_STATE_DIR_MAX) {
		snprintf(why, len, "state directory missing or longer than %d bytes",
		         JWKS_STATE_DIR_MAX);
		return JWKS_ERR_STATE_DIR;
	}
	if (opts->jwks_uri != NULL
	        ? !jwks_remote_url_valid(opts->jwks_uri, opts->fetch.allow_http)
	        : !jwks_remote_issuer_valid(opts->issuer, opts->fetch.allow_http)) {
		snprintf(why, len, "need a %s jwks_uri or issuer (no query, fragment)",
		         opts->fetch.allow_http ? "http(s)" : "https");
		return JWKS_ERR_DISCOVERY;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	/* With a configured jwks_uri the issuer plays no part here (token checks use it). */
	if (dup_opt(&c->jwks_uri, opts->jwks_uri) != 0 ||
	    dup_opt(&c->issuer, opts->jwks_uri == NULL ? opts->issuer : NULL) != 0 ||
	    dup_opt(&c->proxy, opts->fetch.proxy) != 0 ||
	    dup_opt(&c->ca_file, opts->fetch.ca_file) != 0)
		goto out;
	(void)jwks_file_init(&c->files, opts->state_dir); /* its length was checked above */
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
	c->max_stale = opts->max_stale < 0 ? 0 : dur_or(opts->max_stale, JWKS_MAX_STALE_DEFAULT);
	if (jwks_file_dir_check(&c->files, why, len) != 0) {
		err = JWKS_ERR_STATE_DIR;
		goto out;
	}
	*out = c;
	c = NULL;
	err = JWKS_OK;
out:
	jwks_cache_free(c);
	return err;
}

void
jwks_cache_free(struct jwks_cache *c)
{
	if (c == NULL)
		return;
	view_clear(c);
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
