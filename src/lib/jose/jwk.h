/*
 * jwk.h - the issuer's signing keys: a JWK Set (RFC 7517 §5) parsed into
 * OpenSSL keys, and signature verification with them (RFC 7518 §3).
 *
 * Parsing does all the costly work once (base64url, big numbers, the curve
 * point check, the RFC 7638 thumbprint), so verifying a token does no JSON,
 * PEM or key-building work: a FastCGI worker keeps one jwk_set for as long
 * as the JWKS cache file is unchanged.  A jwk_set is read-only after
 * jwk_set_parse and may be shared by threads.
 */
#ifndef JWK_H
#define JWK_H

#include <stdbool.h>
#include <stddef.h>

/* Opaque: the parsed, usable signing keys of one JWKS document. */
struct jwk_set;
/* Opaque: one key; owned by its set and valid as long as the set is. */
struct jwk;

/* The JWS algorithms we verify (RFC 7518 §3.1); never "none", never HS*. */
enum jwk_alg {
	JWK_ALG_RS256 = 0,
	JWK_ALG_RS384,
	JWK_ALG_RS512,
	JWK_ALG_PS256,
	JWK_ALG_PS384,
	JWK_ALG_PS512,
	JWK_ALG_ES256,
	JWK_ALG_ES384,
	JWK_ALG__MAX
};
#define JWK_ALG_BIT(a) (1u << (a))

/* Key types (RFC 7518 §6.1) that yield usable keys. */
enum jwk_kty { JWK_KTY_RSA = 0, JWK_KTY_EC_P256, JWK_KTY_EC_P384, JWK_KTY__MAX };

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

enum jwk_err {
	JWK_OK = 0,
	JWK_ERR_TOO_LARGE,
	JWK_ERR_JSON,
	JWK_ERR_NO_KEYS,
	JWK_ERR_NOMEM,
	JWK_ERR__MAX
};

/* A short fixed description of err; never NULL. */
const char *jwk_strerror(enum jwk_err err);

/*
 * Parses the JWS "alg" name (case-sensitive, RFC 7515 §4.1.1).  Returns 0
 * and sets *out, or -1 for NULL, unknown names, "none" and every HS* name.
 */
int jwk_alg_parse(const char *name, enum jwk_alg *out);

/* The JWS name of alg ("RS256"), or "?" when alg is out of range. */
const char *jwk_alg_name(enum jwk_alg alg);

/*
 * The name of alg's hash function as OpenSSL knows it ("SHA256", "SHA384",
 * "SHA512"; RFC 7518 §3.1), for EVP_get_digestbyname().  Never NULL.
 */
const char *jwk_alg_digest(enum jwk_alg alg);

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
 * Returns JWK_OK with *out a new set (free with jwk_set_free), or an error
 * with *out NULL: JWK_ERR_TOO_LARGE past JWK_SET_MAX_BYTES, JWK_ERR_JSON when
 * the text is not a JSON object whose "keys" is an array, JWK_ERR_NO_KEYS
 * when no key is usable, JWK_ERR_NOMEM.
 */
enum jwk_err jwk_set_parse(const char *json, size_t len, struct jwk_set **out);

/* Frees set and its keys; NULL is accepted. */
void jwk_set_free(struct jwk_set *set);

/* Number of usable keys in set (0 for NULL). */
size_t jwk_set_count(const struct jwk_set *set);

/*
 * The i-th usable key in document order, or NULL when i >= count.  The key
 * is owned by set.
 */
const struct jwk *jwk_set_get(const struct jwk_set *set, size_t i);

/* The key's "kid", or NULL when it has none.  Owned by the key. */
const char *jwk_kid(const struct jwk *key);

/* The key's type and curve. */
enum jwk_kty jwk_kty_get(const struct jwk *key);

/*
 * The key's own "alg" member: returns true and sets *alg when the JWK had
 * one, false otherwise.
 */
bool jwk_alg_get(const struct jwk *key, enum jwk_alg *alg);

/*
 * The key's RFC 7638 thumbprint (base64url SHA-256 of its required members),
 * JWK_THUMBPRINT_LEN characters.  Owned by the key.
 */
const char *jwk_thumbprint(const struct jwk *key);

/*
 * True when alg may be verified with key: RS* and PS* need an RSA key,
 * ES256 a P-256 key, ES384 a P-384 key (RFC 7518 §3.3-3.5), and a key that
 * names its own "alg" allows only that one (RFC 7517 §4.4).
 */
bool jwk_alg_fits(const struct jwk *key, enum jwk_alg alg);

/*
 * Verifies the JWS signature sig (siglen bytes, already base64url-decoded)
 * over msg (msglen bytes, the ASCII signing input "header.payload") with key
 * and alg.  PS* use PSS with MGF1 over the same digest and a salt as long as
 * the digest (RFC 7518 §3.5); ES* signatures must be the raw R || S of
 * exactly 64 (ES256) or 96 (ES384) bytes (RFC 7518 §3.4) - a DER signature
 * or any other length is refused.  Returns 0 when the signature is valid,
 * -1 otherwise (including alg not fitting key, or allocation failure).
 */
int jwk_verify(const struct jwk *key, enum jwk_alg alg, const void *msg, size_t msglen,
               const unsigned char *sig, size_t siglen);

#endif /* JWK_H */
