/*
 * jwa.h - the JSON Web Algorithms this project verifies (RFC 7518 §3.1)
 * and the key types they need (RFC 7518 §6.1): the names, the hash of each
 * algorithm and the one table that ties an algorithm to a key type.
 *
 * Pure tables, no state and no allocation: the configuration parses
 * OAUTH_ALGORITHMS with it, the key parser and the verifier check keys
 * against it, the development issuer signs with it.  Only asymmetric
 * signature algorithms are listed, so "none" and every HS* name are unknown
 * here and can never be configured or accepted (RFC 8725 §3.1-3.2).
 */
#ifndef JWA_H
#define JWA_H

#include <stddef.h>

/* The JWS algorithms we verify (RFC 7518 §3.1); never "none", never HS*. */
enum jwa_alg {
	JWA_RS256 = 0,
	JWA_RS384,
	JWA_RS512,
	JWA_PS256,
	JWA_PS384,
	JWA_PS512,
	JWA_ES256,
	JWA_ES384,
	JWA__MAX
};

/* The bit of algorithm a in an allow-list mask (struct token_policy). */
#define JWA_BIT(a) (1u << (a))

/* Key types (RFC 7518 §6.1) with their curve: the ones that yield usable keys. */
enum jwa_kty { JWA_KTY_RSA = 0, JWA_KTY_EC_P256, JWA_KTY_EC_P384, JWA_KTY__MAX };

/*
 * Parses the JWS "alg" name (case-sensitive, RFC 7515 §4.1.1).  Returns 0
 * and sets *out, or -1 (*out untouched) for NULL, unknown names, "none"
 * and every HS* name.
 */
int jwa_parse(const char *name, enum jwa_alg *out);

/* The JWS name of alg ("RS256"), or "?" when alg is out of range.  Static text. */
const char *jwa_name(enum jwa_alg alg);

/*
 * The name of alg's hash function as OpenSSL knows it ("SHA256", "SHA384",
 * "SHA512"; RFC 7518 §3.2-3.5), for EVP_MD_fetch or EVP_get_digestbyname.
 * Static text, never NULL ("SHA256" for an alg out of range).
 */
const char *jwa_digest(enum jwa_alg alg);

/*
 * The key type alg needs (RFC 7518 §3.1): JWA_KTY_RSA for RS* and PS*,
 * JWA_KTY_EC_P256 for ES256, JWA_KTY_EC_P384 for ES384; JWA_KTY__MAX (no
 * key type) for an alg out of range.
 */
enum jwa_kty jwa_kty(enum jwa_alg alg);

/*
 * Size in bytes of one coordinate of an EC key of type kty (RFC 7518
 * §6.2.1.2), which is also the size of R and of S in its JWS signatures
 * (§3.4): 48 for P-384, 32 for P-256, 0 for a type that is not EC.
 */
size_t jwa_coord_len(enum jwa_kty kty);

#endif /* JWA_H */
