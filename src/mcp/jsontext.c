/*
 * jsontext.c - JSON documents written straight as text.
 */
#include "mcp/jsontext.h"

#include <stdlib.h>
#include <string.h>

#include "lib/core/util.h"

void
jsontext_init(struct jsontext *t, size_t cap)
{
	t->cap = cap > 0 ? cap : 64;
	t->p = xmalloc(t->cap);
	t->p[0] = '\0';
	t->n = 0;
	t->first = true;
}

void
jsontext_grow(struct jsontext *t, size_t len)
{
	while (t->n + len + 1 > t->cap)
		t->cap *= 2;
	t->p = xrealloc(t->p, t->cap);
}

/* Makes room for len more bytes and the NUL after them. */
static void
reserve(struct jsontext *t, size_t len)
{
	if (t->n + len + 1 > t->cap)
		jsontext_grow(t, len);
}

void
jsontext_open(struct jsontext *t, char c)
{
	jsontext_raw(t, &c, 1);
	t->first = true;
}

void
jsontext_close(struct jsontext *t, char c)
{
	jsontext_raw(t, &c, 1);
	/* The container just closed is a value of its parent: a sibling needs a comma. */
	t->first = false;
}

void
jsontext_elem(struct jsontext *t)
{
	if (!t->first)
		jsontext_raw(t, ",", 1);
	t->first = false;
}

void
jsontext_name(struct jsontext *t, const char *name)
{
	size_t len = strlen(name);
	char *out;

	/* One reservation for the comma, the quoted name and the colon. */
	reserve(t, len + 4);
	out = t->p + t->n;
	if (!t->first)
		*out++ = ',';
	t->first = false;
	*out++ = '"';
	memcpy(out, name, len);
	out += len;
	*out++ = '"';
	*out++ = ':';
	*out = '\0';
	t->n = (size_t)(out - t->p);
}

/*
 * Writes the escape of the byte c (not jsontext_plain(), not from a UTF-8 sequence
 * of two or more bytes) at out; returns its length.
 */
static size_t
escape(char *out, unsigned char c)
{
	/* The two-character escapes cJSON uses (0: none), and \u00XX for the other controls. */
	static const char hex[] = "0123456789abcdef";
	static const char short_form[128] = {
	    ['"'] = '"',  ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
	    ['\n'] = 'n', ['\r'] = 'r',  ['\t'] = 't'};

	out[0] = '\\';
	if (short_form[c & 0x7f] != 0) {
		out[1] = short_form[c & 0x7f];
		return 2;
	}
	memcpy(out + 1, "u00", 3);
	out[4] = hex[c >> 4];
	out[5] = hex[c & 0xf];
	return 6;
}

void
jsontext_string(struct jsontext *t, const char *value)
{
	static const char fffd[] = "\xef\xbf\xbd";
	size_t len = value != NULL ? strlen(value) : 0, i = 0;
	char *out;

	/*
	 * Room for the worst case once (every byte a six-byte escape, or three
	 * bytes of U+FFFD), then written in place, eight bytes a step up to the
	 * next one that needs care: a kilobytes-long text with hundreds of
	 * quotes (a tool's JSON result as its text block) was otherwise a loop
	 * of small appends.
	 */
	reserve(t, 6 * len + 2);
	out = t->p + t->n;
	*out++ = '"';
	while (i < len) {
		unsigned char c;
		size_t take;

		if (i + 8 <= len) {
			uint64_t w;
			size_t k;

			memcpy(&w, value + i, 8);
			/* All eight are written; only the plain ones are kept. */
			memcpy(out, &w, 8);
			k = jsontext_plain_prefix(w);
			out += k;
			i += k;
			if (k == 8)
				continue;
		} else if (jsontext_plain((unsigned char)value[i])) {
			*out++ = value[i++];
			continue;
		}
		c = (unsigned char)value[i];
		take = c < 0x80 ? 1 : utf8_seq(value + i, len - i);
		if (take == 0) {
			memcpy(out, fffd, 3);
			out += 3;
			take = 1;
		} else if (c >= 0x80) {
			memcpy(out, value + i, take);
			out += take;
		} else {
			out += escape(out, c);
		}
		i += take;
	}
	*out++ = '"';
	*out = '\0';
	t->n = (size_t)(out - t->p);
}

void
jsontext_int(struct jsontext *t, int64_t n)
{
	/* Two digits a step from a table: a listing writes two timestamps a todo. */
	static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
	                            "31323334353637383940414243444546474849505152535455565758596061"
	                            "62636465666768697071727374757677787980818283848586878889909192"
	                            "93949596979899";
	char digits[24], *p = digits + sizeof(digits);
	/* Through the unsigned magnitude: -INT64_MIN does not fit an int64_t. */
	uint64_t u = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;

	while (u >= 100) {
		p -= 2;
		memcpy(p, pairs + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10) {
		p -= 2;
		memcpy(p, pairs + 2 * u, 2);
	} else {
		*--p = (char)('0' + u);
	}
	if (n < 0)
		*--p = '-';
	jsontext_raw(t, p, (size_t)(digits + sizeof(digits) - p));
}

void
jsontext_member_string(struct jsontext *t, const char *name, const char *value)
{
	jsontext_name(t, name);
	jsontext_string(t, value);
}

void
jsontext_member_int(struct jsontext *t, const char *name, int64_t n)
{
	jsontext_name(t, name);
	jsontext_int(t, n);
}

void
jsontext_member_bool(struct jsontext *t, const char *name, bool b)
{
	jsontext_name(t, name);
	if (b)
		jsontext_raw(t, "true", 4);
	else
		jsontext_raw(t, "false", 5);
}

void
jsontext_rewind(struct jsontext *t, struct jsontext_mark m)
{
	t->n = m.n;
	t->p[t->n] = '\0';
	t->first = m.first;
}

char *
jsontext_take(struct jsontext *t)
{
	char *p = t->p;

	t->p = NULL;
	t->n = t->cap = 0;
	return p;
}

void
jsontext_pair_init(struct jsontext_pair *p, size_t cap)
{
	jsontext_init(&p->doc, cap);
	/* The escaped text is the longer: a listing's has a backslash every few bytes. */
	jsontext_init(&p->str, cap + cap / 2);
}

/*
 * Appends to str, escaped as a string's body, what doc gained since it had
 * n bytes: text written here, so valid UTF-8 without a raw control
 * character, where only quotes and backslashes need a backslash more.
 */
static void
pair_escape_since(struct jsontext_pair *p, size_t n)
{
	const char *s = p->doc.p + n, *end = p->doc.p + p->doc.n;
	char *out;

	reserve(&p->str, 2 * (p->doc.n - n));
	out = p->str.p + p->str.n;
	while (s < end) {
		char c = *s++;

		*out = '\\';
		out += c == '"' || c == '\\'; /* the backslash kept before these two */
		*out++ = c;
	}
	*out = '\0';
	p->str.n = (size_t)(out - p->str.p);
}

void
jsontext_pair_open(struct jsontext_pair *p, char c)
{
	jsontext_open(&p->doc, c);
	jsontext_raw(&p->str, &c, 1);
}

void
jsontext_pair_close(struct jsontext_pair *p, char c)
{
	jsontext_close(&p->doc, c);
	jsontext_raw(&p->str, &c, 1);
}

void
jsontext_pair_elem(struct jsontext_pair *p)
{
	if (!p->doc.first)
		jsontext_raw(&p->str, ",", 1);
	jsontext_elem(&p->doc);
}

void
jsontext_pair_name(struct jsontext_pair *p, const char *name)
{
	size_t n = p->doc.n;

	jsontext_name(&p->doc, name);
	pair_escape_since(p, n);
}

void
jsontext_pair_string(struct jsontext_pair *p, const char *value)
{
	size_t n = p->doc.n, len = value != NULL ? strlen(value) : 0;

	jsontext_string(&p->doc, value);
	/*
	 * Every escape and every U+FFFD makes the string longer: one just two
	 * quotes longer than value was copied as it is, so holds no quote or
	 * backslash, and only its own two quotes need escaping (an id, a
	 * title: most values).
	 */
	if (p->doc.n - n == len + 2) {
		jsontext_raw(&p->str, "\\\"", 2);
		jsontext_raw(&p->str, p->doc.p + n + 1, len);
		jsontext_raw(&p->str, "\\\"", 2);
		return;
	}
	pair_escape_since(p, n);
}

void
jsontext_pair_int(struct jsontext_pair *p, int64_t n)
{
	size_t m = p->doc.n;

	jsontext_int(&p->doc, n);
	/* Digits and a sign: nothing to escape. */
	jsontext_raw(&p->str, p->doc.p + m, p->doc.n - m);
}

void
jsontext_pair_free(struct jsontext_pair *p)
{
	free(jsontext_take(&p->doc));
	free(jsontext_take(&p->str));
}
