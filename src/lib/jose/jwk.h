/*
 * jwk.h - the issuer's signing keys: a JWK Set (RFC 7517 §5) parsed into
 * OpenSSL keys, and signature verification with them (RFC 7518 §3).
 *
 * Parsing does all the costly work once (base64url, big numbers, the curve
 * point check, the RFC 7638 thumbprint), so verifying a token does no JSON,
 * PEM or key-building work: a FastCGI worker keeps one jwk_set for as long
 * as the JWKS cache file is unchanged.  A jwk_set is read-only after
 * jwk_set_parse and may be shared by threads.
 *
 * The one public header of the jwk module: jwk_import.c builds and frees
 * sets, jwk.c reads them and verifies; their shared layout is in
 * internal/jwk_set.h.
 */
#ifndef JWK_H
#define JWK_H

#include "lib/core/err.h"
#include "lib/jose/jwa.h"

#include <stdbool.h>
#include <stddef.h>

/* Opaque: the parsed, usable signing keys of one JWKS document. */
struct jwk_set;
/* Opaque: one key; owned by its set and valid as long as the set is. */
struct jwk;

/* A JWKS document larger than this is refused unparsed. */
#define JWK_SET_MAX_BYTES (256 * 1024)
/* Keys past this many in one document are skipped (bounded parse work). */
#define JWK_SET_MAX_KEYS 64
/* Longest accepted "kid"; a longer one makes its key skipped. */
#define JWK_KID_MAX 256
/* RSA moduli outside [2048, 16384] bits are skipped (NIST SP 800-131A; cost). */
#define JWK_RSA_MIN_BITS 2048
#define JWK_RSA_MAX_BITS 16384
/* Length of an RFC 7638 thumbprint: base64url of a SHA-256 digest. */
#define JWK_THUMBPRINT_LEN 43

/* The messages of jwk_set_parse's refusals: fixed texts, no document content. */
#define JWK_MSG_TOO_LARGE "JWKS document too large"
#define JWK_MSG_JSON      "JWKS document is not a JSON object with a \"keys\" array"
#define JWK_MSG_NO_KEYS   "JWKS document has no usable signing key" /* for logs */

/*
 * Parses a JWKS document ({"keys":[...]}, len bytes of json, which need not
 * be NUL-terminated).  RSA (n, e; modulus >= 2048 bits) and EC (crv P-256 /
 * P-384, x, y; point validated on the curve) become EVP_PKEYs.  Keys with
 * use other than "sig", key_ops without "verify", unknown kty/crv,
 * symmetric ("oct") keys, bad base64url, or an "alg" inconsistent with the
 * key type are skipped with one log_msg(LOGL_WARN, ...) line naming the kid
 * (escaped by log).  Two keys may share a kid (RFC 7517 §4.5 allows it for
 * different key types); both are kept and a warning is logged, and a token
 * naming that kid is then refused as ambiguous unless its alg picks one.
 *
 * Returns 0 with *out a new set (free with jwk_set_free), which is empty
 * when the document is well-formed but holds no usable key (the issuer
 * removed or replaced them: every token is then refused); or -1 with *out
 * NULL and e filled: ERR_TOO_LARGE (JWK_MSG_TOO_LARGE) past
 * JWK_SET_MAX_BYTES; ERR_INVALID with JWK_MSG_JSON when the text is not a
 * JSON object whose "keys" is an array (or holds a NUL).  json is borrowed.
 */
int jwk_set_parse(const char *json, size_t len, struct jwk_set **out, struct err *e);

/* Frees set and its keys; NULL is accepted. */
void jwk_set_free(struct jwk_set *set);

/* Number of usable keys in set (0 for NULL). */
size_t jwk_set_count(const struct jwk_set *set);

/*
 * The i-th usable key in document order, or NULL when set is NULL or
 * i >= count.  The key is owned by set.
 */
const struct jwk *jwk_set_get(const struct jwk_set *set, size_t i);

/* The key's "kid", or NULL when it has none.  Owned by the key. */
const char *jwk_kid(const struct jwk *key);

/* The key's type and curve. */
enum jwa_kty jwk_kty_get(const struct jwk *key);

/*
 * The key's own "alg" member: returns true and sets *alg when the JWK had
 * one, false otherwise (*alg untouched).
 */
bool jwk_alg_get(const struct jwk *key, enum jwa_alg *alg);

/*
 * The key's RFC 7638 thumbprint (base64url SHA-256 of its required members),
 * JWK_THUMBPRINT_LEN characters.  Owned by the key.
 */
const char *jwk_thumbprint(const struct jwk *key);

/*
 * True when alg may be verified with key: the key is of the type alg needs
 * (jwa_kty: RS* and PS* an RSA key, ES256 a P-256 key, ES384 a P-384 key,
 * RFC 7518 §3.3-3.5), and a key that names its own "alg" allows only that
 * one (RFC 7517 §4.4).  False for key NULL or alg out of range.
 */
bool jwk_alg_fits(const struct jwk *key, enum jwa_alg alg);

/*
 * Verifies the JWS signature sig (siglen bytes, already base64url-decoded)
 * over msg (msglen bytes, the ASCII signing input "header.payload") with key
 * and alg.  PS* use PSS with MGF1 over the same digest and a salt as long as
 * the digest (RFC 7518 §3.5); ES* signatures must be the raw R || S of
 * exactly 64 (ES256) or 96 (ES384) bytes (RFC 7518 §3.4) - a DER signature
 * or any other length is refused.  Returns 0 when the signature is valid,
 * -1 otherwise (alg not fitting key included).  Every argument is borrowed.
 */
int jwk_verify(const struct jwk *key, enum jwa_alg alg, const void *msg, size_t msglen,
               const unsigned char *sig, size_t siglen);

#endif /* JWK_H */
