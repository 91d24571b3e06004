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
#include <string.h>

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

/* Makes room for len more bytes and the NUL after them (the slow part of jsontext_raw()). */
void jsontext_grow(struct jsontext *t, size_t len);

/*
 * Appends len bytes of s as they are.  Inline: a listing writes a few
 * hundred short pieces, and a literal's length known here makes the copy
 * a few moves.
 */
static inline void
jsontext_raw(struct jsontext *t, const char *s, size_t len)
{
	if (t->n + len + 1 > t->cap)
		jsontext_grow(t, len);
	memcpy(t->p + t->n, s, len);
	t->n += len;
	t->p[t->n] = '\0';
}

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

/*
 * A document written twice in one pass: doc as JSON, and str as the body
 * of a JSON string holding that same text (its quotes and backslashes
 * escaped once more): a tool's structuredContent and its text block.
 * Escaping a listing's kilobytes afterwards, a quote every few bytes, cost
 * as much as writing them; here only the values are escaped twice, the
 * names and punctuation come escaped already.
 */
struct jsontext_pair {
	struct jsontext doc, str;
};

void jsontext_pair_init(struct jsontext_pair *p, size_t cap);

/*
 * Appends len bytes of s to doc and elen bytes of esc to str: esc must be
 * s escaped as a JSON string's body (each quote and backslash preceded by a
 * backslash).  JSONTEXT_PAIR_LIT() for a literal and its escape.
 */
static inline void
jsontext_pair_raw(struct jsontext_pair *p, const char *s, size_t len, const char *esc, size_t elen)
{
	jsontext_raw(&p->doc, s, len);
	jsontext_raw(&p->str, esc, elen);
}
#define JSONTEXT_PAIR_LIT(p, s, esc)                                                               \
	jsontext_pair_raw((p), (s), sizeof(s) - 1, (esc), sizeof(esc) - 1)

/* As their namesakes above, on both texts. */
void jsontext_pair_open(struct jsontext_pair *p, char c);
void jsontext_pair_close(struct jsontext_pair *p, char c);
void jsontext_pair_elem(struct jsontext_pair *p);
void jsontext_pair_name(struct jsontext_pair *p, const char *name);
void jsontext_pair_string(struct jsontext_pair *p, const char *value);
void jsontext_pair_int(struct jsontext_pair *p, int64_t n);

/* Frees both texts (after a failure: what was written is dropped). */
void jsontext_pair_free(struct jsontext_pair *p);

#endif /* JSONTEXT_H */
