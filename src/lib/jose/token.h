/*
 * token.h - verification of JWT access tokens (RFC 9068) sent as OAuth
 * bearer tokens (RFC 6750), against the issuer's JWK Set.
 *
 * One path of our own, not libjwt's: the algorithm comes from our allow-list
 * and the key's type, never from the token alone (RFC 8725 §3.1-3.2); keys
 * come only from the configured set, never from the token's jku, x5u, jwk or
 * x5c headers; the signature is checked before any claim is read.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include "lib/jose/jwk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default cap on the compact token's length (bytes). */
#define TOKEN_MAX_LEN 8192
/* Claim strings (sub, client_id, iss, ..., each scope) longer than this are refused. */
#define TOKEN_CLAIM_MAX 1024
/* A scope longer than this is refused (RFC 6749 §3.3 scope-token). */
#define TOKEN_SCOPE_MAX 256
/* At most this many scope tokens over all scope claims, before de-duplication. */
#define TOKEN_SCOPES_MAX 256
/* At most this many entries in an "aud" array. */
#define TOKEN_AUD_MAX 64
/* Clock-skew leeway above this many seconds is clamped to it. */
#define TOKEN_LEEWAY_MAX 3600

/*
 * What a token must satisfy.  Every array is borrowed for the call.  An
 * empty issuer or audience list, or an alg_mask of 0, accepts no token.
 */
struct token_policy {
	const char *const *issuers; /* exact string match, RFC 9068 §4 */
	size_t n_issuers;
	const char *const *audiences; /* aud (string or array) must contain one */
	size_t n_audiences;
	unsigned alg_mask; /* JWK_ALG_BIT() of each allowed algorithm */
	int64_t leeway;    /* seconds of clock skew accepted for exp/nbf/iat (0..3600) */
	size_t max_len;    /* 0 means TOKEN_MAX_LEN */
};

/* Who a verified token speaks for.  Every string is NUL-terminated and owned. */
struct principal {
	char *subject;   /* "sub" (RFC 7519 §4.1.2); NULL when absent */
	char *client_id; /* "client_id" (RFC 9068 §2.2), else "azp"; NULL when absent */
	char *org_id;    /* "org_id", else "oid"; NULL when absent */
	char *issuer;    /* "iss", one of the policy's issuers */
	char *jti;       /* "jti"; NULL when absent */
	/*
	 * Union of "scope" (space-separated, RFC 9068 §2.2.3), "scp" (string
	 * or array) and "scopes" (array), de-duplicated, in first-seen order.
	 */
	char **scopes;
	size_t n_scopes;
	int64_t exp; /* "exp", seconds since the epoch */
	int64_t iat; /* "iat", or 0 when absent */
};

enum token_err {
	TOKEN_OK = 0,
	TOKEN_ERR_TOO_LONG,
	TOKEN_ERR_MALFORMED,
	TOKEN_ERR_HEADER,
	TOKEN_ERR_ALG,
	TOKEN_ERR_CRIT,
	TOKEN_ERR_TYP,
	TOKEN_ERR_KID_UNKNOWN,
	TOKEN_ERR_KID_AMBIGUOUS,
	TOKEN_ERR_SIGNATURE,
	TOKEN_ERR_CLAIMS,
	TOKEN_ERR_NO_EXP,
	TOKEN_ERR_EXPIRED,
	TOKEN_ERR_NOT_YET_VALID,
	TOKEN_ERR_IAT_FUTURE,
	TOKEN_ERR_ISSUER,
	TOKEN_ERR_AUDIENCE,
	TOKEN_ERR_NOMEM,
	TOKEN_ERR__MAX
};

/*
 * A short fixed description of err, safe to put in an RFC 6750 §3
 * error_description: it carries no token data.  Never NULL.
 */
const char *token_strerror(enum token_err err);

/*
 * Verifies a compact JWS access token of len bytes (need not be
 * NUL-terminated) against keys under policy at time now (seconds since the
 * epoch).  Checks, in order, each failing closed: length and structure;
 * header alg in the allow-list (never none or HS*); no crit; typ absent,
 * "JWT", "at+jwt" or "application/at+jwt"; the key by kid (without kid, the
 * one key that fits alg); alg fits the key; signature; exp (required), nbf,
 * iat with leeway; iss; aud; then the principal's claims.  Both JSON parts
 * must be objects without duplicate member names (RFC 7515 §4).  Claims
 * of the wrong type, over-long strings and scope tokens outside RFC 6749
 * §3.3's character set are refused with TOKEN_ERR_CLAIMS.
 *
 * On TOKEN_OK *out is a new principal (caller frees with principal_free);
 * otherwise *out is NULL.  keys NULL is an empty set.  TOKEN_ERR_KID_UNKNOWN
 * tells the caller a refresh of the key set may help.  Never logs the
 * token; decoded token parts are wiped before they are freed.
 */
enum token_err token_verify(const char *token, size_t len, const struct jwk_set *keys,
                            const struct token_policy *policy, int64_t now, struct principal **out);

/* Frees p and its strings; NULL is accepted. */
void principal_free(struct principal *p);

/* A deep copy of p (caller frees with principal_free), or NULL on ENOMEM. */
struct principal *principal_dup(const struct principal *p);

/* True when p holds scope (exact, case-sensitive match, RFC 6749 §3.3). */
bool principal_has_scope(const struct principal *p, const char *scope);

#endif /* TOKEN_H */
