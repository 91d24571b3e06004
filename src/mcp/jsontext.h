/*
 * jsontext.h - JSON documents written straight as text.
 *
 * For the documents of every request (the audit line, the todo tools'
 * results): a cJSON tree costs an allocation per member and per name,
 * printing walks it again, and freeing it a third time.  The text written
 * here is what cJSON_PrintUnformatted() prints for the same members in the
 * same order, byte for byte: strings escaped as cJSON escapes them, after
 * being made valid UTF-8.
 */
#ifndef JSONTEXT_H
#define JSONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A document being written; p is NUL-terminated at every step. */
struct jsontext {
	char *p;
	size_t n, cap;
	bool first; /* nothing written yet in the open object or array: no comma */
};

/* True for a byte cJSON copies as it is into a string: printable ASCII but quote and backslash. */
static inline bool
jsontext_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/*
 * How many of the eight bytes of w (in memory order) come before the first
 * one that is not jsontext_plain(): below 0x20, 0x80 or above, a quote or a
 * backslash; 8 when all are plain.  The usual bit tricks: (x - 0x01..) & ~x
 * & 0x80.. flags the bytes of x that are 0, and a byte below 0x20 borrows
 * in w - 0x20..; a borrow only disturbs the bytes above a flagged one, so
 * the lowest flag is exact.
 */
static inline size_t
jsontext_plain_prefix(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
	uint64_t m =
	    ((w - ones * 0x20) | w | ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash)) &
	    highs;

	return m == 0 ? 8 : (size_t)__builtin_ctzll(m) / 8;
}

/* Starts an empty document with room for cap bytes (it grows as needed). */
void jsontext_init(struct jsontext *t, size_t cap);

/* Appends len bytes of s as they are. */
void jsontext_raw(struct jsontext *t, const char *s, size_t len);

/* Opens an object ('{') or array ('['), and closes it ('}' or ']'). */
void jsontext_open(struct jsontext *t, char c);
void jsontext_close(struct jsontext *t, char c);

/* Writes the comma before the next element of an array, when one precedes. */
void jsontext_elem(struct jsontext *t);

/* Writes "name": (with the comma before it when a member precedes). */
void jsontext_name(struct jsontext *t, const char *name);

/*
 * Writes value (NULL: "") as a JSON string.  Each byte that starts no
 * well-formed UTF-8 sequence becomes U+FFFD; quote, backslash, \b \f \n \r
 * \t and the other control characters (\u00xx) are escaped.
 */
void jsontext_string(struct jsontext *t, const char *value);

/* Writes n as a JSON integer. */
void jsontext_int(struct jsontext *t, int64_t n);

/* Members: "name": followed by the value. */
void jsontext_member_string(struct jsontext *t, const char *name, const char *value);
void jsontext_member_int(struct jsontext *t, const char *name, int64_t n);
void jsontext_member_bool(struct jsontext *t, const char *name, bool b);

/* A position in t to come back to: what was written, and whether a comma is due. */
struct jsontext_mark {
	size_t n;
	bool first;
};

static inline struct jsontext_mark
jsontext_mark(const struct jsontext *t)
{
	return (struct jsontext_mark){.n = t->n, .first = t->first};
}

/* Drops everything written since m was taken. */
void jsontext_rewind(struct jsontext *t, struct jsontext_mark m);

/* The text (the caller frees it); t is left empty. */
char *jsontext_take(struct jsontext *t);

#endif /* JSONTEXT_H */
