/*
 * token_memo.c - the per-process memo of verified tokens.
 */
/* SHA256_*: SHA256() goes through a provider fetch in OpenSSL 3 (see jwk.c). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "lib/jose/token_memo.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/util.h"
#include "lib/jose/principal.h"
#include "lib/jose/token.h"

struct memo_entry {
	unsigned char key[TOKEN_MEMO_KEY];
	uint64_t generation; /* the key set the token was verified with */
	struct principal *p; /* owned; NULL for an empty entry */
};

struct token_memo {
	struct memo_entry set[TOKEN_MEMO_SETS][TOKEN_MEMO_WAYS];
	unsigned char victim[TOKEN_MEMO_SETS]; /* the way the next insertion replaces */
};

struct token_memo *
token_memo_new(void)
{
	return xcalloc(1, sizeof(struct token_memo));
}

void
token_memo_free(struct token_memo *m)
{
	if (m == NULL)
		return;
	for (size_t s = 0; s < TOKEN_MEMO_SETS; s++)
		for (size_t w = 0; w < TOKEN_MEMO_WAYS; w++)
			principal_free(m->set[s][w].p);
	free(m);
}

void
token_memo_key(const char *tok, size_t len, unsigned char key[TOKEN_MEMO_KEY])
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, tok, len);
	SHA256_Final(key, &c);
}

/* The set a key belongs to (the digest is uniform: any of its bytes will do). */
static size_t
set_index(const unsigned char key[TOKEN_MEMO_KEY])
{
	return (size_t)(key[0] | key[1] << 8) % TOKEN_MEMO_SETS;
}

/* Empties an entry. */
static void
entry_drop(struct memo_entry *en)
{
	principal_free(en->p);
	en->p = NULL;
}

int
token_memo_find(struct token_memo *m, const unsigned char key[TOKEN_MEMO_KEY], uint64_t gen,
                int64_t leeway, int64_t now, struct principal **out)
{
	struct memo_entry *set = m->set[set_index(key)];

	for (size_t w = 0; w < TOKEN_MEMO_WAYS; w++) {
		struct memo_entry *en = &set[w];
		/* Constant time: the comparison must not tell how much of a key matched. */
		if (en->p == NULL || en->generation != gen ||
		    CRYPTO_memcmp(en->key, key, TOKEN_MEMO_KEY) != 0)
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
token_memo_put(struct token_memo *m, const unsigned char key[TOKEN_MEMO_KEY], uint64_t gen,
               const struct principal *p)
{
	size_t s = set_index(key), w = TOKEN_MEMO_WAYS;
	struct memo_entry *set = m->set[s];

	/* The same token again, or a free way, before evicting anything. */
	for (size_t i = 0; i < TOKEN_MEMO_WAYS && w == TOKEN_MEMO_WAYS; i++)
		if (set[i].p != NULL && memcmp(set[i].key, key, TOKEN_MEMO_KEY) == 0)
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
	memcpy(set[w].key, key, TOKEN_MEMO_KEY);
	set[w].generation = gen;
}
