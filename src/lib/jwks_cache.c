/*
 * jwks_cache.c - a JWKS cache file shared by every process, with its
 * refresh protocol and RFC 8414 discovery.
 *
 * Cache file format (jwks.cache): a text header of fixed-order lines
 * "name value", a blank line, then the JWKS document verbatim:
 *
 *   mcp-fcgi-jwks-cache 1
 *   fetched_at 1700000000        time of the last successful fetch, 0 never
 *   expires_at 1700003600        end of freshness (Cache-Control, clamped)
 *   last_attempt 1700000000      time of the last refresh attempt
 *   last_ok 1                    did it succeed
 *   forced_at 0                  last forced (unknown kid) refresh, shared throttle
 *   discovered_at 0              when jwks_uri was discovered, 0 if configured
 *   issuer https://as.example    configured issuer ("" when none)
 *   jwks_uri https://as.example/keys
 *   last_error                   text of the last failure ("" after success)
 *   doc_len 1234                 exact length of the document below
 *   <blank line>
 *   {"keys":[...]}
 *
 * A file that departs from this in any way (magic, order, numbers, a length
 * that does not match, control characters, oversize) is corrupt: it is
 * logged and treated as missing, and the next refresh replaces it.  A
 * document that names another issuer or JWKS URL than ours is ignored too.
 * Failed attempts rewrite the file with the old document and a new
 * last_attempt, so every process sees the failure and backs off.
 */
#include "lib/jwks_cache.h"

#include "lib/jwk.h"
#include "lib/log.h"
#include "lib/num.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MAGIC      "mcp-fcgi-jwks-cache 1"
#define CACHE_HEADER_MAX 8192
#define CACHE_FILE_MAX   (JWK_SET_MAX_BYTES + CACHE_HEADER_MAX)
#define CACHE_TMP_SUFFIX ".XXXXXX"
#define PATH_BUF         (JWKS_STATE_DIR_MAX + 64)
#define ERROR_MAX        160

/* RFC 8414 §3 and OpenID Connect Discovery 1.0 §4 well-known suffixes. */
#define WK_OAUTH "/.well-known/oauth-authorization-server"
#define WK_OIDC  "/.well-known/openid-configuration"
/* Authorization server metadata members (RFC 8414 §2). */
#define MD_ISSUER   "issuer"
#define MD_JWKS_URI "jwks_uri"

/* The header of the cache file. */
struct cache_meta {
	int64_t fetched_at, expires_at, last_attempt, forced_at, discovered_at;
	bool last_ok;
	char issuer[FETCH_URL_MAX + 1];
	char jwks_uri[FETCH_URL_MAX + 1];
	char last_error[ERROR_MAX];
};

/* What the fast path compares: a replaced or rewritten file differs. */
struct file_ident {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct jwks_cache {
	char *state_dir, *jwks_uri, *issuer, *proxy, *ca_file;
	char cache_path[PATH_BUF], lock_path[PATH_BUF], refresh_path[PATH_BUF];
	struct fetch_opts fetch;
	int64_t ttl_min, ttl_max, ttl_default, throttle, max_stale;
	/* The in-memory view of the cache file as of ident. */
	bool loaded;
	struct file_ident ident;
	struct cache_meta meta;
	char *doc;
	size_t doc_len;
	struct jwk_set *set;
};

enum field_type { F_INT, F_BOOL, F_STR };

/* One header line: its name, how its value is typed, where it lives in struct cache_meta. */
struct field {
	const char *name;
	enum field_type type;
	size_t off, cap;
};

#define META_OFF(m) offsetof(struct cache_meta, m)

/* The header lines after the magic, in file order. */
static const struct field fields[] = {
    {"fetched_at", F_INT, META_OFF(fetched_at), 0},
    {"expires_at", F_INT, META_OFF(expires_at), 0},
    {"last_attempt", F_INT, META_OFF(last_attempt), 0},
    {"last_ok", F_BOOL, META_OFF(last_ok), 0},
    {"forced_at", F_INT, META_OFF(forced_at), 0},
    {"discovered_at", F_INT, META_OFF(discovered_at), 0},
    {"issuer", F_STR, META_OFF(issuer), FETCH_URL_MAX + 1},
    {"jwks_uri", F_STR, META_OFF(jwks_uri), FETCH_URL_MAX + 1},
    {"last_error", F_STR, META_OFF(last_error), ERROR_MAX},
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

/* Copies src into dst[cap], control characters replaced (it reaches a file line). */
static void
text_copy(char *dst, size_t cap, const char *src)
{
	size_t i = 0;

	for (; src != NULL && src[i] != '\0' && i + 1 < cap; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

/* True when url is an absolute URL we may fetch: https (or http if allowed). */
static bool
url_acceptable(const char *url, bool allow_http)
{
	size_t len = url != NULL ? strnlen(url, FETCH_URL_MAX + 1) : 0;

	if (len == 0 || len > FETCH_URL_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
			return false;
	return strncasecmp(url, "https://", 8) == 0 ||
	       (allow_http && strncasecmp(url, "http://", 7) == 0);
}

/* ---- state files ------------------------------------------------------ */

/*
 * Makes sure dir exists (created 0700), is a real directory owned by us and
 * not writable by group or others.  Returns 0, or -1 (logged).
 */
static int
state_dir_check(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0)
		log_msg(LOGL_INFO, "jwks: created state directory %s", dir);
	else if (errno != EEXIST) {
		log_msg(LOGL_ERROR, "jwks: state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	/* lstat: a symbolic link could point anywhere, so it is refused. */
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_msg(LOGL_ERROR, "jwks: state directory %s is not a directory", dir);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_msg(LOGL_ERROR,
		        "jwks: state directory %s must be owned by uid %lu and not "
		        "group/world-writable",
		        dir, (unsigned long)geteuid());
		return -1;
	}
	return 0;
}

/*
 * Opens (creating 0600) a lock file and takes the flock op (LOCK_SH,
 * LOCK_EX, optionally | LOCK_NB).  Returns the descriptor, -1 on error
 * (logged), or -2 when LOCK_NB was given and the lock is held elsewhere.
 * Closing the descriptor releases the lock.
 */
static int
lock_take(const char *path, int op)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0) {
		log_msg(LOGL_ERROR, "jwks: lock %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		log_msg(LOGL_ERROR, "jwks: lock %s is not our regular file", path);
		close(fd);
		return -1;
	}
	while (flock(fd, op) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK && (op & LOCK_NB) != 0) {
			close(fd);
			return -2;
		}
		log_msg(LOGL_ERROR, "jwks: flock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void
ident_from_stat(struct file_ident *id, const struct stat *st)
{
	*id = (struct file_ident){.exists = true,
	                          .dev = st->st_dev,
	                          .ino = st->st_ino,
	                          .size = st->st_size,
	                          .mtime = st->st_mtim};
}

static bool
ident_equal(const struct file_ident *a, const struct file_ident *b)
{
	if (!a->exists || !b->exists)
		return a->exists == b->exists;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* The fast path's one system call.  Returns 0, or -1 (logged) on an odd error. */
static int
cache_stat(const struct jwks_cache *c, struct file_ident *id)
{
	struct stat st;

	if (lstat(c->cache_path, &st) == 0) {
		ident_from_stat(id, &st);
		return 0;
	}
	*id = (struct file_ident){.exists = false};
	if (errno == ENOENT)
		return 0;
	log_msg(LOGL_ERROR, "jwks: %s: %s", c->cache_path, strerror(errno));
	return -1;
}

/*
 * Reads the cache file (the caller holds the shared lock) into a new
 * NUL-terminated buffer.  Sets *id to what was read.  Returns JWKS_OK with
 * *buf set, JWKS_OK with *buf NULL when the file is missing or refused
 * (logged: symbolic link, not a regular file of ours, oversize), or
 * JWKS_ERR_IO / JWKS_ERR_NOMEM.
 */
static enum jwks_err
cache_read(const struct jwks_cache *c, char **buf, size_t *len, struct file_ident *id)
{
	enum jwks_err err = JWKS_OK;
	struct stat st;
	char *b = NULL;
	size_t n = 0;
	int fd = -1;

	*buf = NULL;
	*len = 0;
	if (cache_stat(c, id) != 0)
		return JWKS_ERR_IO;
	/* O_NOFOLLOW: a symbolic link planted in our directory is never followed. */
	fd = open(c->cache_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			*id = (struct file_ident){.exists = false};
		else if (errno == ELOOP)
			log_msg(LOGL_WARN, "jwks: %s is a symbolic link; ignored", c->cache_path);
		else {
			log_msg(LOGL_ERROR, "jwks: open %s: %s", c->cache_path, strerror(errno));
			err = JWKS_ERR_IO;
		}
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_size < 0 || st.st_size > CACHE_FILE_MAX) {
		log_msg(LOGL_WARN, "jwks: %s is not a regular file of ours under %d bytes; ignored",
		        c->cache_path, CACHE_FILE_MAX);
		goto out;
	}
	ident_from_stat(id, &st);
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		err = JWKS_ERR_NOMEM;
		goto out;
	}
	/* Files are replaced by rename, never rewritten: the size cannot change. */
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, b + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_msg(LOGL_WARN, "jwks: %s: short read; ignored", c->cache_path);
			goto out;
		}
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	if (fd >= 0)
		close(fd);
	return err;
}

/*
 * Takes one "name value" line off [*p, end).  Returns the value (not
 * NUL-terminated, *vlen bytes) or NULL when the line is missing or named
 * otherwise.
 */
static const char *
header_line(const char **p, const char *end, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *eol = memchr(*p, '\n', (size_t)(end - *p)), *v;

	if (eol == NULL || (size_t)(eol - *p) < nl + 1 || memcmp(*p, name, nl) != 0 ||
	    (*p)[nl] != ' ')
		return NULL;
	v = *p + nl + 1;
	*vlen = (size_t)(eol - v);
	*p = eol + 1;
	return v;
}

/* Parses a header value as an integer in [0, max].  Returns 0 or -1. */
static int
parse_int(const char *v, size_t len, int64_t max, int64_t *out)
{
	char num[24];

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, v, len);
	num[len] = '\0';
	return num_parse_i64(num, 0, max, out);
}

/*
 * Parses the whole cache file: header into *m, document at *doc (*doc_len
 * bytes, inside buf).  Returns 0, or -1 when the file is corrupt.
 */
static int
cache_parse(const char *buf, size_t len, struct cache_meta *m, const char **doc, size_t *doc_len)
{
	const char *p = buf, *end = buf + len, *v;
	size_t vlen, ml = strlen(CACHE_MAGIC);
	int64_t n;

	*m = (struct cache_meta){0};
	if (len < ml + 1 || memcmp(buf, CACHE_MAGIC "\n", ml + 1) != 0)
		return -1;
	p += ml + 1;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *f = &fields[i];
		char *dst = (char *)m + f->off;

		if ((v = header_line(&p, end, f->name, &vlen)) == NULL)
			return -1;
		if (f->type == F_STR) {
			if (vlen >= f->cap || memchr(v, '\0', vlen) != NULL)
				return -1;
			for (size_t k = 0; k < vlen; k++)
				if ((unsigned char)v[k] < 0x20 || v[k] == 0x7f)
					return -1;
			memcpy(dst, v, vlen);
			dst[vlen] = '\0';
		} else if (parse_int(v, vlen, f->type == F_BOOL ? 1 : INT64_MAX, &n) != 0) {
			return -1;
		} else if (f->type == F_BOOL) {
			*(bool *)(void *)dst = n == 1;
		} else {
			memcpy(dst, &n, sizeof(n));
		}
	}
	if ((v = header_line(&p, end, "doc_len", &vlen)) == NULL ||
	    parse_int(v, vlen, JWK_SET_MAX_BYTES, &n) != 0)
		return -1;
	/* The blank line, then exactly doc_len bytes: a truncated file fails here. */
	if (p >= end || *p != '\n' || (size_t)(end - p - 1) != (uint64_t)n)
		return -1;
	*doc = p + 1;
	*doc_len = (size_t)n;
	return 0;
}

/* True when the cache file's header describes our issuer / JWKS URL. */
static bool
cache_is_ours(const struct jwks_cache *c, const struct cache_meta *m)
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
	c->doc = NULL;
	c->doc_len = 0;
	c->meta = (struct cache_meta){0};
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
	struct cache_meta m = {0};
	struct jwk_set *set = NULL;
	struct file_ident id;
	const char *doc = NULL;
	char *buf = NULL, *doc_copy = NULL;
	size_t len = 0, doc_len = 0;
	bool usable = false;
	enum jwks_err err;
	enum jwk_err jerr = JWK_OK;
	int lock = lock_take(c->lock_path, LOCK_SH);

	if (lock < 0)
		return JWKS_ERR_STATE_DIR;
	err = cache_read(c, &buf, &len, &id);
	close(lock);
	if (err != JWKS_OK || buf == NULL)
		goto out;
	if (cache_parse(buf, len, &m, &doc, &doc_len) != 0) {
		log_msg(LOGL_WARN, "jwks: %s is corrupt; treated as missing", c->cache_path);
		goto out;
	}
	if (!cache_is_ours(c, &m)) {
		log_msg(LOGL_INFO, "jwks: %s is for another issuer or JWKS URL; ignored",
		        c->cache_path);
		goto out;
	}
	/* The document was validated before it was written; a failure now
	 * (tampering, a stricter parser) means no keys, never a crash. */
	if (doc_len > 0 && (jerr = jwk_set_parse(doc, doc_len, &set)) != JWK_OK) {
		if (jerr == JWK_ERR_NOMEM)
			err = JWKS_ERR_NOMEM;
		else
			log_msg(LOGL_WARN, "jwks: %s: cached document: %s; treated as missing",
			        c->cache_path, jwk_strerror(jerr));
		goto out;
	}
	if (doc_len > 0) {
		if ((doc_copy = malloc(doc_len + 1)) == NULL) {
			err = JWKS_ERR_NOMEM;
			goto out;
		}
		memcpy(doc_copy, doc, doc_len);
		doc_copy[doc_len] = '\0';
	}
	usable = true;
out:
	if (err == JWKS_OK) {
		/* An empty view keeps the identity too: no re-read until it changes. */
		view_clear(c);
		if (usable) {
			c->meta = m;
			c->doc = doc_copy;
			c->doc_len = doc_len;
			c->set = set;
			doc_copy = NULL;
			set = NULL;
		}
		c->ident = id;
		c->loaded = true;
	}
	jwk_set_free(set);
	free(doc_copy);
	free(buf);
	return err;
}

/*
 * Brings the in-memory view up to date: one lstat, and a reload only when
 * the file's identity changed (or force).  Returns what cache_load returns.
 */
static enum jwks_err
cache_sync(struct jwks_cache *c, bool force)
{
	struct file_ident id;

	if (cache_stat(c, &id) != 0)
		return JWKS_ERR_IO;
	if (!force && c->loaded && ident_equal(&id, &c->ident))
		return JWKS_OK;
	return cache_load(c);
}

/* Writes all of buf to fd.  Returns 0, or -1 with errno set (short writes retried). */
static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Appends to hdr[CACHE_HEADER_MAX] at *n.  Returns 0, or -1 when it does not fit. */
static int __attribute__((format(printf, 3, 4)))
hdr_append(char *hdr, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(hdr + *n, CACHE_HEADER_MAX - *n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= CACHE_HEADER_MAX - *n)
		return -1;
	*n += (size_t)w;
	return 0;
}

/* Formats the header for m into hdr[CACHE_HEADER_MAX].  Returns its length, or -1. */
static int
header_format(const struct cache_meta *m, size_t doc_len, char *hdr)
{
	size_t n = 0;
	int rc = hdr_append(hdr, &n, "%s\n", CACHE_MAGIC);

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *f = &fields[i];
		const char *src = (const char *)m + f->off;
		int64_t v;

		if (f->type == F_STR) {
			rc |= hdr_append(hdr, &n, "%s %s\n", f->name, src);
		} else if (f->type == F_BOOL) {
			rc |= hdr_append(hdr, &n, "%s %d\n", f->name,
			                 *(const bool *)(const void *)src ? 1 : 0);
		} else {
			memcpy(&v, src, sizeof(v));
			rc |= hdr_append(hdr, &n, "%s %lld\n", f->name, (long long)(v > 0 ? v : 0));
		}
	}
	rc |= hdr_append(hdr, &n, "doc_len %zu\n\n", doc_len);
	return rc != 0 ? -1 : (int)n;
}

/*
 * Replaces the cache file with m and doc: a temporary file from mkstemp in
 * the state directory (0600, O_EXCL), checked writes, fsync, then rename()
 * over jwks.cache under the exclusive lock, so a reader sees the old file or
 * the new one, never a mix.  Sets *id to the new file's identity.  Returns
 * JWKS_OK or JWKS_ERR_IO (logged; the temporary file is removed).
 */
static enum jwks_err
cache_write(const struct jwks_cache *c, const struct cache_meta *m, const char *doc, size_t doc_len,
            struct file_ident *id)
{
	char tmp[PATH_BUF + sizeof(CACHE_TMP_SUFFIX)], hdr[CACHE_HEADER_MAX];
	enum jwks_err err = JWKS_ERR_IO;
	int fd = -1, lock = -1, dfd, hl = header_format(m, doc_len, hdr);
	bool created = false;
	struct stat st;

	if (hl < 0 || doc_len > JWK_SET_MAX_BYTES) {
		log_msg(LOGL_ERROR, "jwks: cache header or document too large");
		return JWKS_ERR_IO;
	}
	snprintf(tmp, sizeof(tmp), "%s%s", c->cache_path, CACHE_TMP_SUFFIX);
	if ((fd = mkstemp(tmp)) < 0) {
		log_msg(LOGL_ERROR, "jwks: mkstemp %s: %s", tmp, strerror(errno));
		goto out;
	}
	created = true;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || write_all(fd, hdr, (size_t)hl) != 0 ||
	    write_all(fd, doc, doc_len) != 0 || fsync(fd) != 0 || fstat(fd, &st) != 0) {
		log_msg(LOGL_ERROR, "jwks: write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		log_msg(LOGL_ERROR, "jwks: close %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	/* Only the rename is under the exclusive lock: readers never wait on disk I/O. */
	if ((lock = lock_take(c->lock_path, LOCK_EX)) < 0)
		goto out;
	if (rename(tmp, c->cache_path) != 0) {
		log_msg(LOGL_ERROR, "jwks: rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	created = false;
	ident_from_stat(id, &st);
	/* Make the rename durable: after a crash an older file must not come back. */
	if ((dfd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	err = JWKS_OK;
out:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	if (lock >= 0)
		close(lock);
	return err;
}

/* ---- discovery (RFC 8414) --------------------------------------------- */

/*
 * Builds the metadata URLs for issuer: oauth in the RFC 8414 §3 form (the
 * well-known path inserted between the authority and the issuer's path,
 * whose terminating "/" is removed) and oidc in the OpenID Connect
 * Discovery 1.0 §4 form (appended).  Returns 0, or -1 when too long.
 */
static int
discovery_urls(const char *issuer, char *oauth, char *oidc, size_t cap)
{
	const char *auth = strstr(issuer, "://") + 3, *path = auth + strcspn(auth, "/");
	int origin_len = (int)(path - issuer), plen = (int)strlen(path), w1, w2;

	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	w1 = snprintf(oauth, cap, "%.*s%s%.*s", origin_len, issuer, WK_OAUTH, plen, path);
	w2 = snprintf(oidc, cap, "%.*s%s", origin_len + plen, issuer, WK_OIDC);
	return w1 < 0 || w2 < 0 || (size_t)w1 >= cap || (size_t)w2 >= cap ? -1 : 0;
}

/*
 * Fetches one metadata document and copies its jwks_uri into
 * jwks_uri[FETCH_URL_MAX + 1] when its "issuer" is exactly ours (RFC 8414
 * §3.3: otherwise the metadata must not be used).  Returns JWKS_OK,
 * JWKS_ERR_NOMEM, or JWKS_ERR_DISCOVERY with the reason in why (logged) and
 * *got telling whether a document came at all.
 */
static enum jwks_err
metadata_fetch(const struct jwks_cache *c, const char *url, char *jwks_uri, char *why,
               size_t why_len, bool *got)
{
	struct fetch_result r;
	enum fetch_err ferr = fetch_get(url, &c->fetch, &r);
	enum jwks_err err = JWKS_ERR_DISCOVERY;
	const cJSON *iss, *uri;
	cJSON *root = NULL;

	*got = ferr == FETCH_OK;
	if (ferr != FETCH_OK) {
		/* fetch_get logged the details. */
		snprintf(why, why_len, "discovery: metadata: %s", fetch_strerror(ferr));
		return ferr == FETCH_ERR_NOMEM ? JWKS_ERR_NOMEM : JWKS_ERR_DISCOVERY;
	}
	root = cJSON_ParseWithLength(r.body, r.len);
	iss = cJSON_GetObjectItemCaseSensitive(root, MD_ISSUER);
	uri = cJSON_GetObjectItemCaseSensitive(root, MD_JWKS_URI);
	if (!cJSON_IsObject(root))
		snprintf(why, why_len, "discovery: metadata is not a JSON object");
	else if (!cJSON_IsString(iss) || strcmp(iss->valuestring, c->issuer) != 0)
		snprintf(why, why_len, "discovery: metadata names another issuer");
	else if (!cJSON_IsString(uri) || !url_acceptable(uri->valuestring, c->fetch.allow_http))
		snprintf(why, why_len, "discovery: jwks_uri missing or not %s",
		         c->fetch.allow_http ? "http(s)" : "https");
	else {
		snprintf(jwks_uri, FETCH_URL_MAX + 1, "%s", uri->valuestring);
		err = JWKS_OK;
	}
	if (err != JWKS_OK)
		log_msg(LOGL_WARN, "jwks: %s: %s", url, why);
	cJSON_Delete(root);
	fetch_result_free(&r);
	return err;
}

/*
 * Finds the issuer's jwks_uri: RFC 8414 metadata first, then OpenID
 * configuration.  Returns JWKS_OK, JWKS_ERR_NOMEM or JWKS_ERR_DISCOVERY
 * with the reason in why: the first document that came but was refused
 * says more than a later 404, so its reason is kept.
 */
static enum jwks_err
discover(const struct jwks_cache *c, char *jwks_uri, char *why, size_t why_len)
{
	char urls[2][FETCH_URL_MAX + 1], reason[ERROR_MAX];
	enum jwks_err err = JWKS_ERR_DISCOVERY;
	bool got, kept = false;

	if (discovery_urls(c->issuer, urls[0], urls[1], sizeof(urls[0])) != 0) {
		snprintf(why, why_len, "discovery: issuer URL too long");
		return JWKS_ERR_DISCOVERY;
	}
	for (size_t i = 0; i < 2 && err == JWKS_ERR_DISCOVERY; i++) {
		err = metadata_fetch(c, urls[i], jwks_uri, reason, sizeof(reason), &got);
		if (err != JWKS_OK && !kept) {
			snprintf(why, why_len, "%s", reason);
			kept = got;
		}
	}
	return err;
}

/* ---- refresh ---------------------------------------------------------- */

/* The keys are within their freshness lifetime. */
static bool
keys_fresh(const struct jwks_cache *c, int64_t now)
{
	return c->set != NULL && now < c->meta.expires_at;
}

/* The keys may serve: fresh, or stale by less than max_stale. */
static bool
keys_usable(const struct jwks_cache *c, int64_t now)
{
	return c->set != NULL && now < add_sat(c->meta.expires_at, c->max_stale);
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
 * Sets m->jwks_uri for a refresh: the configured URL, the discovered one
 * while younger than ttl_max, or a new discovery.  Returns JWKS_OK,
 * JWKS_ERR_NOMEM or JWKS_ERR_DISCOVERY (reason in why).
 */
static enum jwks_err
uri_resolve(const struct jwks_cache *c, int64_t now, struct cache_meta *m, char *why,
            size_t why_len)
{
	char uri[FETCH_URL_MAX + 1];
	enum jwks_err err;

	if (c->jwks_uri != NULL) {
		snprintf(m->jwks_uri, sizeof(m->jwks_uri), "%s", c->jwks_uri);
		m->discovered_at = 0;
		return JWKS_OK;
	}
	if (m->jwks_uri[0] != '\0' && within(now, m->discovered_at, c->ttl_max))
		return JWKS_OK;
	if ((err = discover(c, uri, why, why_len)) != JWKS_OK)
		return err;
	snprintf(m->jwks_uri, sizeof(m->jwks_uri), "%s", uri);
	m->discovered_at = now;
	return JWKS_OK;
}

/*
 * Fetches and validates a new document; the caller holds the refresh lock
 * and has just re-read the cache file.  The attempt is recorded in the
 * cache file either way: a good document replaces the old one; a failure
 * (garbage, oversize, no usable key, unreachable) keeps the old document and
 * notes when and why, so every process backs off.  The in-memory view
 * follows even if the write fails (a full disk must not become a fetch per
 * request).  Returns the outcome of the fetch (JWKS_OK, JWKS_ERR_FETCH,
 * JWKS_ERR_DISCOVERY, JWKS_ERR_DOCUMENT, JWKS_ERR_NOMEM).
 */
static enum jwks_err
refresh_locked(struct jwks_cache *c, int64_t now, bool forced)
{
	struct cache_meta m = c->meta;
	struct fetch_result r = {.body = NULL};
	struct jwk_set *set = NULL;
	struct file_ident id;
	char why[ERROR_MAX] = "";
	const char *doc = c->doc;
	size_t doc_len = c->doc_len;
	enum jwks_err err;
	enum fetch_err ferr;
	enum jwk_err jerr;

	snprintf(m.issuer, sizeof(m.issuer), "%s", c->issuer != NULL ? c->issuer : "");
	m.last_attempt = now;
	if (forced)
		m.forced_at = now;
	err = uri_resolve(c, now, &m, why, sizeof(why));
	if (err == JWKS_OK && (ferr = fetch_get(m.jwks_uri, &c->fetch, &r)) != FETCH_OK) {
		err = ferr == FETCH_ERR_NOMEM ? JWKS_ERR_NOMEM : JWKS_ERR_FETCH;
		if (ferr == FETCH_ERR_STATUS)
			snprintf(why, sizeof(why), "fetch: HTTP status %ld", r.status);
		else
			snprintf(why, sizeof(why), "fetch: %s", fetch_strerror(ferr));
	}
	/* Validate before anything is replaced: a bad document never evicts good keys. */
	if (err == JWKS_OK && (jerr = jwk_set_parse(r.body, r.len, &set)) != JWK_OK) {
		err = jerr == JWK_ERR_NOMEM ? JWKS_ERR_NOMEM : JWKS_ERR_DOCUMENT;
		snprintf(why, sizeof(why), "document: %s", jwk_strerror(jerr));
		log_msg(LOGL_WARN, "jwks: %s: %s; previous keys kept", m.jwks_uri, why);
	}
	if (err == JWKS_OK) {
		doc = r.body;
		doc_len = r.len;
		m.fetched_at = now;
		m.expires_at = add_sat(now, ttl_for(c, r.max_age));
		m.last_ok = true;
		m.last_error[0] = '\0';
	} else {
		m.last_ok = false;
		text_copy(m.last_error, sizeof(m.last_error), why);
	}
	if (cache_write(c, &m, doc, doc_len, &id) == JWKS_OK)
		c->ident = id;
	c->meta = m;
	if (err == JWKS_OK) {
		jwk_set_free(c->set);
		free(c->doc);
		c->set = set;
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
	int lock = lock_take(c->refresh_path, LOCK_EX | (keys_usable(c, now) ? LOCK_NB : 0));
	enum jwks_err err;

	if (lock == -2)
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
	if ((lock = lock_take(c->refresh_path, LOCK_EX)) < 0)
		return JWKS_ERR_STATE_DIR;
	/* Another process may have forced a refresh while we waited. */
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

/* An issuer identifier: https (or http if allowed), no query or fragment (RFC 8414 §2). */
static bool
issuer_acceptable(const char *issuer, bool allow_http)
{
	return url_acceptable(issuer, allow_http) && strpbrk(issuer, "?#") == NULL &&
	       strlen(issuer) + strlen(WK_OAUTH) <= FETCH_URL_MAX;
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
	struct jwks_cache *c = NULL;
	enum jwks_err err = JWKS_ERR_NOMEM;
	size_t dlen;

	*out = NULL;
	if (opts == NULL || opts->state_dir == NULL ||
	    (dlen = strnlen(opts->state_dir, JWKS_STATE_DIR_MAX + 1)) == 0 ||
	    dlen > JWKS_STATE_DIR_MAX) {
		log_msg(LOGL_ERROR, "jwks: state directory missing or longer than %d bytes",
		        JWKS_STATE_DIR_MAX);
		return JWKS_ERR_STATE_DIR;
	}
	if (opts->jwks_uri != NULL ? !url_acceptable(opts->jwks_uri, opts->fetch.allow_http)
	                           : !issuer_acceptable(opts->issuer, opts->fetch.allow_http)) {
		log_msg(LOGL_ERROR, "jwks: need a %s jwks_uri or issuer (no query, fragment)",
		        opts->fetch.allow_http ? "http(s)" : "https");
		return JWKS_ERR_DISCOVERY;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	/* With a configured jwks_uri the issuer plays no part here (token checks use it). */
	if (dup_opt(&c->state_dir, opts->state_dir) != 0 ||
	    dup_opt(&c->jwks_uri, opts->jwks_uri) != 0 ||
	    dup_opt(&c->issuer, opts->jwks_uri == NULL ? opts->issuer : NULL) != 0 ||
	    dup_opt(&c->proxy, opts->fetch.proxy) != 0 ||
	    dup_opt(&c->ca_file, opts->fetch.ca_file) != 0)
		goto out;
	/* "dir/" would make lstat follow a symbolic link; keep "/" itself. */
	while (dlen > 1 && c->state_dir[dlen - 1] == '/')
		c->state_dir[--dlen] = '\0';
	snprintf(c->cache_path, sizeof(c->cache_path), "%s/%s", c->state_dir, JWKS_CACHE_FILE);
	snprintf(c->lock_path, sizeof(c->lock_path), "%s/%s", c->state_dir, JWKS_CACHE_LOCK);
	snprintf(c->refresh_path, sizeof(c->refresh_path), "%s/%s", c->state_dir,
	         JWKS_CACHE_REFRESH);
	c->fetch = opts->fetch;
	c->fetch.proxy = c->proxy;
	c->fetch.ca_file = c->ca_file;
	c->ttl_min = dur_or(opts->ttl_min, JWKS_TTL_MIN_DEFAULT);
	c->ttl_max = dur_or(opts->ttl_max, JWKS_TTL_MAX_DEFAULT);
	if (c->ttl_max < c->ttl_min)
		c->ttl_max = c->ttl_min;
	c->ttl_default = dur_or(opts->ttl_default, JWKS_TTL_DEFAULT);
	c->throttle = dur_or(opts->kid_throttle, JWKS_THROTTLE_DEFAULT);
	c->max_stale = dur_or(opts->max_stale, JWKS_MAX_STALE_DEFAULT);
	if (state_dir_check(c->state_dir) != 0) {
		err = JWKS_ERR_STATE_DIR;
		goto out;
	}
	*out = c;
	c = NULL;
	err = JWKS_OK;
out:
	if (err == JWKS_ERR_NOMEM)
		log_msg(LOGL_ERROR, "jwks: out of memory");
	jwks_cache_free(c);
	return err;
}

void
jwks_cache_free(struct jwks_cache *c)
{
	if (c == NULL)
		return;
	view_clear(c);
	free(c->state_dir);
	free(c->jwks_uri);
	free(c->issuer);
	free(c->proxy);
	free(c->ca_file);
	free(c);
}
