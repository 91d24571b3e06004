/*
 * token.h - verification of JWT access tokens (RFC 9068) sent as OAuth
 * bearer tokens (RFC 6750), against the issuer's JWK Set.
 *
 * One path of our own, not libjwt's: the algorithm comes from our allow-list
 * and the key's type, never from the token alone (RFC 8725 §3.1-3.2); keys
 * come only from the configured set, never from the token's jku, x5u, jwk or
 * x5c headers; the signature is checked before any claim is read.
 *
 * The one public header of the token module: token.c checks the structure,
 * the header, the key and the signature, then hands the claims to
 * token_claims.c (internal/token_claims.h); calls go that way only.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include "lib/core/err.h"
#include "lib/jose/jwa.h"
#include "lib/jose/jwk.h"
#include "lib/jose/principal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Prepares libcrypto for verifying, once per process, before any other
 * call into it: without reading the system's openssl.cnf (no engine, no
 * provider or policy from there: this verifier's algorithms are fixed in
 * jwa.h), without loading its error texts (nothing here prints them), and
 * without its clean-up at exit, which would fault in a score of code pages
 * only to free what the kernel frees anyway: each would cost a CGI request
 * more than its signature check.
 */
void token_lib_init(void);

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
 * The token types a policy accepts, from the JOSE header's typ (RFC 9068
 * §2.1, RFC 8725 §3.11); a bit set of these.
 */
enum token_type {
	TOKEN_TYPE_AT_JWT = 1 << 0, /* "at+jwt" or "application/at+jwt": RFC 9068 access tokens */
	TOKEN_TYPE_JWT = 1 << 1,    /* "JWT", "application/jwt" or no typ (RFC 7519 §5.1) */
};
#define TOKEN_TYPES_DEFAULT (TOKEN_TYPE_AT_JWT | TOKEN_TYPE_JWT)

/*
 * Parses a name of OAUTH_TOKEN_TYPES: "at+jwt" or "JWT", either with or
 * without "application/", case-insensitive (RFC 7515 §4.1.9).  Returns 0
 * with *out its bit, or -1.
 */
int token_type_parse(const char *name, unsigned *out);

/*
 * Signatures verified before, by this process or another (a CGI request is
 * a new process each time): an optional store the verifier asks before it
 * checks a signature and tells after one checked out.  Its digest
 * (TOKEN_SIG_DIGEST bytes, SHA-256) covers the whole token as received, the
 * algorithm and the RFC 7638 thumbprint of the key that verified it, so it
 * answers only for the same bytes under the same key; everything but the
 * signature arithmetic (header, key lookup, claims) is still checked at
 * every use.  The store must be as private as the key cache: whoever can
 * write to it can make a signature pass.
 */
#define TOKEN_SIG_DIGEST 32
struct token_sig_memo {
	bool (*seen)(void *ctx, const unsigned char digest[TOKEN_SIG_DIGEST]);
	void (*remember)(void *ctx, const unsigned char digest[TOKEN_SIG_DIGEST]);
	void *ctx;
};

/*
 * What a token must satisfy.  Every array is borrowed for the call.  An
 * empty issuer or audience list, or an alg_mask of 0, accepts no token.
 */
struct token_policy {
	const char *const *issuers; /* exact string match, RFC 9068 §4 */
	size_t n_issuers;
	const char *const *audiences; /* aud (string or array) must contain one */
	size_t n_audiences;
	unsigned alg_mask; /* JWA_BIT() of each allowed algorithm */
	int64_t leeway;    /* seconds of clock skew accepted for exp/nbf/iat (0..3600) */
	size_t max_len;    /* 0 means TOKEN_MAX_LEN */
	unsigned types;    /* enum token_type bits accepted; 0 means TOKEN_TYPES_DEFAULT */
	const struct token_sig_memo *sig_memo; /* NULL: every signature is checked */
};

/*
 * The messages of token_verify's refusals, one per reason.  Fixed texts
 * without token data, quote or backslash: each is sent as an RFC 6750 §3
 * error_description and may be logged.
 */
#define TOKEN_MSG_TOO_LONG      "token too long"
#define TOKEN_MSG_MALFORMED     "token is not a compact JWS"
#define TOKEN_MSG_HEADER        "invalid token header"
#define TOKEN_MSG_ALG           "token algorithm not allowed"
#define TOKEN_MSG_CRIT          "token has critical header extensions"
#define TOKEN_MSG_TYP           "token type is not an access token"
#define TOKEN_MSG_KID_UNKNOWN   "token signing key unknown"
#define TOKEN_MSG_KID_AMBIGUOUS "token signing key ambiguous"
#define TOKEN_MSG_SIGNATURE     "invalid token signature"
#define TOKEN_MSG_CLAIMS        "invalid token claims"
#define TOKEN_MSG_NO_EXP        "token has no expiry"
#define TOKEN_MSG_EXPIRED       "token expired"
#define TOKEN_MSG_NOT_YET_VALID "token not yet valid"
#define TOKEN_MSG_IAT_FUTURE    "token issued in the future"
#define TOKEN_MSG_ISSUER        "token issuer not accepted"
#define TOKEN_MSG_AUDIENCE      "token audience not accepted"

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
 * §3.3's character set are refused with TOKEN_MSG_CLAIMS.
 *
 * Returns 0 with *out a new principal (caller frees with principal_free),
 * or -1 with *out NULL and e filled: ERR_NOT_FOUND with
 * TOKEN_MSG_KID_UNKNOWN when no key of the set has the token's kid (a
 * refresh of the key set may help), ERR_INVALID for every other refusal,
 * the message exactly one TOKEN_MSG_* text.  keys NULL is an empty set;
 * every argument but out and e is borrowed.  Never logs the token; decoded
 * token parts are wiped before they are freed.
 */
int token_verify(const char *token, size_t len, const struct jwk_set *keys,
                 const struct token_policy *policy, int64_t now, struct principal **out,
                 struct err *e);

/*
 * The one expiry rule (RFC 7519 §4.1.4): true when a token whose "exp" is
 * exp is no longer valid at now, i.e. exp + leeway <= now, with leeway
 * clamped to 0..TOKEN_LEEWAY_MAX.  Never overflows, whatever the values.
 */
bool token_expired(int64_t exp, int64_t leeway, int64_t now);

#endif /* TOKEN_H */
