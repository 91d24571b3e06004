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
jsontext_raw(struct jsontext *t, const char *s, size_t len)
{
	if (t->n + len + 1 > t->cap) {
		while (t->n + len + 1 > t->cap)
			t->cap *= 2;
		t->p = xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->n, s, len);
	t->n += len;
	t->p[t->n] = '\0';
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
	jsontext_elem(t);
	jsontext_raw(t, "\"", 1);
	jsontext_raw(t, name, strlen(name));
	jsontext_raw(t, "\":", 2);
}

/* True for a byte cJSON copies as it is: printable ASCII other than quote and backslash. */
static bool
plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void
jsontext_string(struct jsontext *t, const char *value)
{
	static const char hex[] = "0123456789abcdef", fffd[] = "\xef\xbf\xbd";
	size_t len = value != NULL ? strlen(value) : 0, i = 0;

	jsontext_raw(t, "\"", 1);
	while (i < len) {
		unsigned char c = (unsigned char)value[i];
		size_t take, run = i;
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};

		/* A run of bytes that need nothing is copied in one go. */
		while (run < len && plain((unsigned char)value[run]))
			run++;
		if (run > i) {
			jsontext_raw(t, value + i, run - i);
			i = run;
			continue;
		}
		take = utf8_seq(value + i, len - i);
		if (take == 0) {
			jsontext_raw(t, fffd, 3);
			take = 1;
		} else if (c >= 0x80) {
			jsontext_raw(t, value + i, take);
		} else if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			jsontext_raw(t, esc, 2);
		} else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
			esc[1] = c == '\b'   ? 'b'
			         : c == '\f' ? 'f'
			         : c == '\n' ? 'n'
			         : c == '\r' ? 'r'
			                     : 't';
			jsontext_raw(t, esc, 2);
		} else {
			jsontext_raw(t, esc, 6);
		}
		i += take;
	}
	jsontext_raw(t, "\"", 1);
}

void
jsontext_int(struct jsontext *t, int64_t n)
{
	char digits[24], *p = digits + sizeof(digits);
	/* Through the unsigned magnitude: -INT64_MIN does not fit an int64_t. */
	uint64_t u = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
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

char *
jsontext_take(struct jsontext *t)
{
	char *p = t->p;

	t->p = NULL;
	t->n = t->cap = 0;
	return p;
}
