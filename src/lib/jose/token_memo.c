/*
 * token_memo.c - the per-process memo of verified tokens.
 */
#include "lib/jose/token_memo.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/util.h"
#include "lib/jose/principal.h"
#include "lib/jose/token.h"

struct memo_entry {
	uint64_t hash;       /* memo_hash() of the token */
	char *tok;           /* owned copy of the token, wiped when dropped */
	size_t len;          /* its length */
	uint64_t generation; /* the key set the token was verified with */
	struct principal *p; /* owned; NULL for an empty entry */
};

struct token_memo {
	struct memo_entry set[TOKEN_MEMO_SETS][TOKEN_MEMO_WAYS];
	unsigned char victim[TOKEN_MEMO_SETS]; /* the way the next insertion replaces */
	uint64_t seed;                         /* keys memo_hash() */
};

struct token_memo *
token_memo_new(void)
{
	struct token_memo *m = xcalloc(1, sizeof(struct token_memo));

	/* Without randomness the hash is merely predictable: it decides nothing. */
	if (util_random(&m->seed, sizeof(m->seed)) != 0)
		m->seed = 0x9e3779b97f4a7c15u;
	return m;
}

/* Empties an entry, wiping its copy of the token (a live credential). */
static void
entry_drop(struct memo_entry *en)
{
	principal_free(en->p);
	en->p = NULL;
	if (en->tok != NULL)
		explicit_bzero(en->tok, en->len);
	free(en->tok);
	en->tok = NULL;
	en->len = 0;
}

void
token_memo_free(struct token_memo *m)
{
	if (m == NULL)
		return;
	for (size_t s = 0; s < TOKEN_MEMO_SETS; s++)
		for (size_t w = 0; w < TOKEN_MEMO_WAYS; w++)
			entry_drop(&m->set[s][w]);
	free(m);
}

/* One multiply-and-fold step of memo_hash(). */
static uint64_t
mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdu;
	return h ^ (h >> 32);
}

/*
 * A fast 64-bit hash of the token, keyed with m's seed: eight bytes a step
 * (a kilobyte of token in some 700 instructions, against 22,000 for SHA-256).
 * It only places entries and skips those that cannot match.
 */
static uint64_t
memo_hash(const struct token_memo *m, const char *tok, size_t len)
{
	uint64_t h = m->seed ^ len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, tok + i, 8);
		h = mix(h, w);
	}
	w = 0;
	memcpy(&w, tok + i, len - i);
	return mix(mix(h, w), m->seed);
}

/*
 * Whether the n bytes at a and b are equal, in a time that depends on n only:
 * the time must not tell how much of a remembered token a guess matched.
 */
static bool
same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t d = 0, x, y;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		d |= x ^ y;
	}
	for (; i < n; i++)
		d |= (uint64_t)(unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

size_t
token_memo_set_of(const struct token_memo *m, const char *tok, size_t len)
{
	return (size_t)(memo_hash(m, tok, len) % TOKEN_MEMO_SETS);
}

/* Whether en holds the token tok of hash h, verified with key-set generation gen. */
static bool
entry_holds(const struct memo_entry *en, const char *tok, size_t len, uint64_t h, uint64_t gen)
{
	return en->p != NULL && en->hash == h && en->len == len && en->generation == gen &&
	       same_bytes(en->tok, tok, len);
}

int
token_memo_find(struct token_memo *m, const char *tok, size_t len, uint64_t gen, int64_t leeway,
                int64_t now, struct principal **out)
{
	uint64_t h = memo_hash(m, tok, len);
	struct memo_entry *set = m->set[h % TOKEN_MEMO_SETS];

	for (size_t w = 0; w < TOKEN_MEMO_WAYS; w++) {
		struct memo_entry *en = &set[w];
		if (!entry_holds(en, tok, len, h, gen))
			continue;
		/* The same rule as the first check (RFC 7519 §4.1.4 with leeway). */
		if (token_expired(en->p->exp, leeway, now)) {
			entry_drop(en);
			return -1;
		}
		*out = principal_dup(en->p);
		return 0;
	}
	return 1;
}

void
token_memo_put(struct token_memo *m, const char *tok, size_t len, uint64_t gen,
               const struct principal *p)
{
	uint64_t h = memo_hash(m, tok, len);
	size_t s = (size_t)(h % TOKEN_MEMO_SETS), w = TOKEN_MEMO_WAYS;
	struct memo_entry *set = m->set[s];

	/* The same token again (of any key set), or a free way, before evicting anything. */
	for (size_t i = 0; i < TOKEN_MEMO_WAYS && w == TOKEN_MEMO_WAYS; i++)
		if (set[i].p != NULL && set[i].hash == h && set[i].len == len &&
		    same_bytes(set[i].tok, tok, len))
			w = i;
	for (size_t i = 0; i < TOKEN_MEMO_WAYS && w == TOKEN_MEMO_WAYS; i++)
		if (set[i].p == NULL)
			w = i;
	if (w == TOKEN_MEMO_WAYS) {
		w = m->victim[s];
		m->victim[s] = (unsigned char)((w + 1) % TOKEN_MEMO_WAYS);
	}
	entry_drop(&set[w]);
	set[w].p = principal_dup(p);
	set[w].tok = xmalloc(len + 1);
	memcpy(set[w].tok, tok, len);
	set[w].tok[len] = '\0';
	set[w].len = len;
	set[w].hash = h;
	set[w].generation = gen;
}
