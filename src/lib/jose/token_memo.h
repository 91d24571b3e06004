/*
 * token_memo.h - access tokens this process verified recently, so that a
 * client sending the same token for many requests pays for one signature
 * check, the largest cost of a request.
 *
 * An entry is keyed by the SHA-256 of the whole token and answers only for
 * the exact same bytes, only while the key set it was verified with is the
 * current one (the caller's generation number: rotation or removal of a key
 * voids it), and exp is checked again on every use.  nbf and iat passed at
 * verification stay passed as time moves on.  Small and per process: a
 * set-associative table of TOKEN_MEMO_SETS sets of TOKEN_MEMO_WAYS entries.
 */
#ifndef JOSE_TOKEN_MEMO_H
#define JOSE_TOKEN_MEMO_H

#include <stddef.h>
#include <stdint.h>

struct principal;
struct token_memo;

#define TOKEN_MEMO_SETS 32
#define TOKEN_MEMO_WAYS 2
#define TOKEN_MEMO_KEY  32 /* bytes: a SHA-256 digest */

/* A new, empty memo (token_memo_free()). */
struct token_memo *token_memo_new(void);

/* Frees m and the principals it holds; NULL is accepted. */
void token_memo_free(struct token_memo *m);

/* The memo key of the len bytes of token tok, into key. */
void token_memo_key(const char *tok, size_t len, unsigned char key[TOKEN_MEMO_KEY]);

/*
 * Looks key up for key-set generation gen at now.  Returns 0 with *out a
 * new copy of the remembered principal (principal_free()); 1 when the
 * token is not remembered; -1 when it is, but has expired (exp with leeway,
 * token_expired()): the entry is dropped and the token refused.
 */
int token_memo_find(struct token_memo *m, const unsigned char key[TOKEN_MEMO_KEY], uint64_t gen,
                    int64_t leeway, int64_t now, struct principal **out);

/*
 * Remembers a copy of p, just verified with the key set of generation gen,
 * under key; the set's older entry makes room.
 */
void token_memo_put(struct token_memo *m, const unsigned char key[TOKEN_MEMO_KEY], uint64_t gen,
                    const struct principal *p);

#endif /* JOSE_TOKEN_MEMO_H */
