/*
 * token_memo.h - access tokens this process verified recently, so that a
 * client sending the same token for many requests pays for one signature
 * check, the largest cost of a request.
 *
 * An entry holds a copy of the whole token and answers only for the exact
 * same bytes (compared in full, in constant time), only while the key set it
 * was verified with is the current one (the caller's generation number:
 * rotation or removal of a key voids it), and exp is checked again on every
 * use; nbf and iat passed at verification stay passed as time moves on.
 * A fast hash keyed with a random per-process seed picks the set and skips
 * most entries that cannot match; it decides nothing, so it need not resist
 * collisions (a SHA-256 of the token cost a fifth of a request).  Small and
 * per process: a set-associative table of TOKEN_MEMO_SETS sets of
 * TOKEN_MEMO_WAYS entries; the copies of tokens are wiped when dropped.
 */
#ifndef JOSE_TOKEN_MEMO_H
#define JOSE_TOKEN_MEMO_H

#include <stddef.h>
#include <stdint.h>

struct principal;
struct token_memo;

#define TOKEN_MEMO_SETS 32
#define TOKEN_MEMO_WAYS 2

/* A new, empty memo (token_memo_free()), its hash seeded from getrandom. */
struct token_memo *token_memo_new(void);

/* Frees m and the principals it holds; NULL is accepted. */
void token_memo_free(struct token_memo *m);

/*
 * The set the len bytes of token tok belong to in m (0 to TOKEN_MEMO_SETS - 1):
 * for tests, which need tokens that share a set.
 */
size_t token_memo_set_of(const struct token_memo *m, const char *tok, size_t len);

/*
 * Looks the len bytes of token tok up for key-set generation gen at now.  Returns 0 with *out a
 * new copy of the remembered principal (principal_free()); 1 when the
 * token is not remembered; -1 when it is, but has expired (exp with leeway,
 * token_expired()): the entry is dropped and the token refused.
 */
int token_memo_find(struct token_memo *m, const char *tok, size_t len, uint64_t gen, int64_t leeway,
                    int64_t now, struct principal **out);

/*
 * Remembers copies of p and of the len bytes of token tok, just verified
 * with the key set of generation gen; the set's older entry makes room.
 */
void token_memo_put(struct token_memo *m, const char *tok, size_t len, uint64_t gen,
                    const struct principal *p);

#endif /* JOSE_TOKEN_MEMO_H */
