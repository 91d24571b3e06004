/*
 * jwks_meta.c - the JWKS cache file's header (format in jwks_meta.h).
 *
 * One table drives both directions, so what is written is exactly what is
 * accepted.  The parser is strict on purpose: the file lives in a private
 * directory, so anything unexpected in it is damage or tampering, and the
 * safe reading of either is "no cache file".
 */
#include "lib/keycache/internal/jwks_meta.h"

#include "lib/jose/jwk.h"
#include "lib/core/err.h"
#include "lib/core/num.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum field_type { F_INT, F_BOOL, F_STR };

/* One header line: its name, how its value is typed, where it lives in the meta. */
struct field {
	const char *name;
	enum field_type type;
	size_t off, cap;
};

#define META_OFF(m) offsetof(struct jwks_meta, m)

/* The header lines after the magic, in file order. */
static const struct field fields[] = {
    {"fetched_at", F_INT, META_OFF(fetched_at), 0},
    {"expires_at", F_INT, META_OFF(expires_at), 0},
    {"last_attempt", F_INT, META_OFF(last_attempt), 0},
    {"last_ok", F_BOOL, META_OFF(last_ok), 0},
    {"forced_at", F_INT, META_OFF(forced_at), 0},
    {"discovered_at", F_INT, META_OFF(discovered_at), 0},
    {"issuer", F_STR, META_OFF(issuer), URL_MAX + 1},
    {"jwks_uri", F_STR, META_OFF(jwks_uri), URL_MAX + 1},
    {"last_error", F_STR, META_OFF(last_error), JWKS_META_ERROR_MAX},
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* True for a byte that would break a header line: C0 controls (NUL, LF, ...) and DEL. */
static bool
is_control(char ch)
{
	return (unsigned char)ch < 0x20 || ch == 0x7f;
}

void
jwks_meta_text_set(char *dst, size_t cap, const char *src)
{
	size_t i = 0;

	for (; src != NULL && src[i] != '\0' && i + 1 < cap; i++)
		dst[i] = is_control(src[i]) ? '?' : src[i];
	dst[i] = '\0';
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

/* Parses the value v (vlen bytes) of header field f into m.  Returns 0 or -1. */
static int
field_parse(const struct field *f, const char *v, size_t vlen, struct jwks_meta *m)
{
	char *dst = (char *)m + f->off;
	int64_t n;

	if (f->type == F_STR) {
		if (vlen >= f->cap)
			return -1;
		/* A NUL or another control character inside the value is corruption. */
		for (size_t k = 0; k < vlen; k++)
			if (is_control(v[k]))
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
	return 0;
}

/* The body of jwks_meta_parse(); *m may be left partly filled on -1. */
static int
parse(const char *buf, size_t len, struct jwks_meta *m, const char **doc, size_t *doc_len,
      struct err *e)
{
	const char *p = buf, *end = buf + len, *v;
	size_t vlen, ml = strlen(JWKS_META_MAGIC);
	int64_t n;

	if (len < ml + 1 || memcmp(buf, JWKS_META_MAGIC "\n", ml + 1) != 0)
		return err_set(e, ERR_INVALID, "not a cache file of this version");
	p += ml + 1;
	for (size_t i = 0; i < N_FIELDS; i++)
		if ((v = header_line(&p, end, fields[i].name, &vlen)) == NULL ||
		    field_parse(&fields[i], v, vlen, m) != 0)
			return err_set(e, ERR_INVALID, "header line %s missing or malformed",
			               fields[i].name);
	if ((v = header_line(&p, end, "doc_len", &vlen)) == NULL ||
	    parse_int(v, vlen, JWK_SET_MAX_BYTES, &n) != 0)
		return err_set(e, ERR_INVALID, "header line doc_len missing or malformed");
	/* The blank line, then exactly doc_len bytes: a truncated file fails here. */
	if (p >= end || *p != '\n' || (size_t)(end - p - 1) != (uint64_t)n)
		return err_set(e, ERR_INVALID, "document length differs from doc_len");
	*doc = p + 1;
	*doc_len = (size_t)n;
	return 0;
}

int
jwks_meta_parse(const char *buf, size_t len, struct jwks_meta *m, const char **doc, size_t *doc_len,
                struct err *e)
{
	*m = (struct jwks_meta){0};
	if (parse(buf, len, m, doc, doc_len, e) == 0)
		return 0;
	*m = (struct jwks_meta){0};
	return -1;
}

/* Appends to hdr[JWKS_META_HEADER_MAX] at *n.  Returns 0, or -1 when it does not fit. */
static int __attribute__((format(printf, 3, 4)))
hdr_append(char *hdr, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(hdr + *n, JWKS_META_HEADER_MAX - *n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= JWKS_META_HEADER_MAX - *n)
		return -1;
	*n += (size_t)w;
	return 0;
}

int
jwks_meta_format(const struct jwks_meta *m, size_t doc_len, char *hdr, struct err *e)
{
	size_t n = 0;
	int rc = hdr_append(hdr, &n, "%s\n", JWKS_META_MAGIC);

	for (size_t i = 0; i < N_FIELDS; i++) {
		const struct field *f = &fields[i];
		const char *src = (const char *)m + f->off;
		int64_t v;

		if (f->type == F_STR) {
			/* The reader would call such a file corrupt: refuse to write it. */
			for (size_t k = 0; k < f->cap && src[k] != '\0'; k++)
				if (is_control(src[k]))
					return err_set(e, ERR_INVALID,
					               "%s holds a control character", f->name);
			rc |= hdr_append(hdr, &n, "%s %.*s\n", f->name, (int)f->cap - 1, src);
		} else if (f->type == F_BOOL) {
			rc |= hdr_append(hdr, &n, "%s %d\n", f->name,
			                 *(const bool *)(const void *)src ? 1 : 0);
		} else {
			memcpy(&v, src, sizeof(v));
			rc |= hdr_append(hdr, &n, "%s %lld\n", f->name, (long long)(v > 0 ? v : 0));
		}
	}
	rc |= hdr_append(hdr, &n, "doc_len %zu\n\n", doc_len);
	if (rc != 0)
		return err_set(e, ERR_INVALID, "header longer than %d bytes", JWKS_META_HEADER_MAX);
	return (int)n;
}
