/*
 * util.c - helpers written once for the whole tree.
 */
#include "lib/core/util.h"

#include <cJSON.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "lib/core/err.h"

/* The out-of-memory policy (err.h): one line, then abort. */
static void
oom(void)
{
	static const char msg[] = "mcp-fcgi: out of memory\n";

	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size != 0 ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n != 0 ? n : 1, size != 0 ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size != 0 ? size : 1);

	if (q == NULL)
		oom();
	return q;
}

char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		oom();
	return d;
}

char *
xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	if (d == NULL)
		oom();
	return d;
}

char *
xstrdup_opt(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/*
 * The arena: 16-byte aligned blocks bumped from arena_buf while arena_on.
 * Under ASan the arena is poisoned whole at each begin and each block made
 * addressable as it is handed out, so a read past a block (into the
 * padding) or of a block from an earlier request is reported.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ARENA_POISON(p, n)   ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
static _Alignas(16) unsigned char arena_buf[32768];
static size_t arena_used;
static bool arena_on;

static void *
json_malloc(size_t size)
{
	size_t need = (size + 15) & ~(size_t)15;

	if (arena_on && need >= size && need <= sizeof(arena_buf) - arena_used) {
		void *p = arena_buf + arena_used;
		arena_used += need;
		ARENA_UNPOISON(p, size);
		return p;
	}
	return xmalloc(size);
}

static void
json_free(void *p)
{
	/* Blocks of the arena go with it at the next json_arena_begin(). */
	if ((unsigned char *)p >= arena_buf && (unsigned char *)p < arena_buf + sizeof(arena_buf))
		return;
	free(p);
}

void
json_arena_begin(void)
{
	arena_used = 0;
	arena_on = true;
	ARENA_POISON(arena_buf, sizeof(arena_buf));
}

void
json_arena_end(void)
{
	arena_on = false;
}

void
util_init(void)
{
	static cJSON_Hooks hooks = {.malloc_fn = json_malloc, .free_fn = json_free};

	cJSON_InitHooks(&hooks);
	/*
	 * No fast bins: small blocks are still recycled through the per-thread
	 * cache, but glibc consolidates every fast bin before serving any block
	 * of 1 KiB or more, and each FastCGI request asks for several (libfcgi's
	 * stream buffers): that consolidation was a tenth of a request's time.
	 */
	mallopt(M_MXFAST, 0);
}

void
strlist_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

void
strlist_split(struct strlist *l, const char *s)
{
	while (s != NULL && *s != '\0') {
		size_t len = 0;

		while (isspace((unsigned char)*s))
			s++;
		while (s[len] != '\0' && !isspace((unsigned char)s[len]))
			len++;
		if (len == 0)
			break;
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = xstrndup(s, len);
		s += len;
	}
}

bool
strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

bool
strlist_contains_ci(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return true;
	return false;
}

void
strlist_free(struct strlist *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

bool
util_dlsym(void *handle, const char *name, void *fn)
{
	void *p = dlsym(handle, name);

	/* POSIX: a data pointer from dlsym converts to a function pointer. */
	memcpy(fn, &p, sizeof(p));
	return p != NULL;
}

int
util_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	/* getrandom returns at most 256 bytes per call without blocking once seeded. */
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

void
util_hex(char *out, const unsigned char *raw, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[2 * nbytes] = '\0';
}

int
util_random_hex(char *out, size_t nbytes)
{
	unsigned char raw[64];

	out[0] = '\0';
	if (nbytes > sizeof(raw) || util_random(raw, nbytes) != 0)
		return -1;
	util_hex(out, raw, nbytes);
	return 0;
}

size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	/* Every byte but a continuation byte (10xxxxxx) starts a character. */
	for (; s != NULL && *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

size_t
utf8_seq(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	/* The second byte's range excludes overlongs, surrogates and > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* U+FFFD REPLACEMENT CHARACTER, for bytes that are not UTF-8. */
#define UTF8_REPLACEMENT     "\xef\xbf\xbd"
#define UTF8_REPLACEMENT_LEN 3

void
utf8_copy(char *dst, size_t cap, const char *src)
{
	size_t len = src != NULL ? strlen(src) : 0, o = 0;

	for (size_t i = 0; i < len;) {
		size_t n, take;
		const char *from;

		/* A run of ASCII needs no sequence check: names and ids mostly are. */
		while (i < len && (unsigned char)src[i] < 0x80 && o + 1 < cap)
			dst[o++] = src[i++];
		if (i == len || o + 1 >= cap)
			break;
		n = utf8_seq(src + i, len - i);
		from = n > 0 ? src + i : UTF8_REPLACEMENT;
		take = n > 0 ? n : UTF8_REPLACEMENT_LEN;
		if (o + take >= cap)
			break;
		memcpy(dst + o, from, take);
		o += take;
		i += n > 0 ? n : 1;
	}
	dst[o] = '\0';
}

char *
utf8_dup(const char *src)
{
	/* Each byte becomes at most three. */
	size_t cap = (src != NULL ? strlen(src) : 0) * UTF8_REPLACEMENT_LEN + 1;
	char *dst = xmalloc(cap);

	utf8_copy(dst, cap, src);
	return dst;
}

int
url_check(const char *url, unsigned flags, struct err *e)
{
	size_t len = url != NULL ? strnlen(url, URL_MAX + 1) : 0, skip;
	bool http = len > 0 && strncasecmp(url, "http://", 7) == 0;

	if (len == 0)
		return err_set(e, ERR_INVALID, "empty URL");
	if (len > URL_MAX)
		return err_set(e, ERR_INVALID, "longer than %d bytes", URL_MAX);
	if (!http && strncasecmp(url, "https://", 8) != 0)
		return err_set(e, ERR_INVALID, "not an absolute https:// URL");
	if (http && (flags & URL_HTTP_OK) == 0)
		return err_set(e, ERR_INVALID, "plain http is not allowed");
	skip = http ? 7 : 8;
	if (url[skip] == '\0' || url[skip] == '/' || url[skip] == '?')
		return err_set(e, ERR_INVALID, "no host");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];
		if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '#')
			return err_set(e, ERR_INVALID,
			               "contains a space, quote, '#' or control character");
	}
	if ((flags & URL_NO_QUERY) != 0 && strchr(url, '?') != NULL)
		return err_set(e, ERR_INVALID, "has a query");
	return 0;
}

bool
time_within(int64_t now, int64_t t, int64_t span)
{
	return t > 0 && now >= t && now - t < span;
}
