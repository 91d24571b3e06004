/*
 * jwk.c - reading a parsed JWK Set (RFC 7517 §5) and JWS signature
 * verification (RFC 7518 §3): lookup, the accessors, the algorithm-to-key
 * check and the hot path, jwk_verify.  Building and freeing sets is
 * jwk_import.c's work; this file only reads what it built.
 *
 * Below EVP on purpose.  OpenSSL 3's EVP interface reaches every
 * algorithm through a provider, and the first fetch in a process builds
 * the provider's name map of every algorithm and alias: more than half of
 * the instructions of a whole CGI request, paid by every CGI request, for
 * one signature check.  The RSA, EC_KEY and SHA-2 interfaces (deprecated in
 * 3.0, present in every 3.x) run the same implementations without that
 * set-up.  RS* and ES* use them alone; PS* goes through EVP for its MGF1
 * hash (and pays the set-up once per process).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "lib/jose/jwk.h"

#include "lib/jose/internal/jwk_set.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <string.h>

/*
 * The digest of msg with alg's hash (RFC 7518 §3.2-3.5) into md; its length,
 * or 0.  The context functions, not SHA256() and kin: in 3.x those go
 * through EVP_Q_digest and its provider fetch.
 */
static size_t
alg_digest(enum jwa_alg alg, const void *msg, size_t len, unsigned char md[SHA512_DIGEST_LENGTH])
{
	SHA256_CTX c256;
	SHA512_CTX c512;

	switch (alg) {
	case JWA_RS256:
	case JWA_PS256:
	case JWA_ES256:
		return SHA256_Init(&c256) == 1 && SHA256_Update(&c256, msg, len) == 1 &&
		               SHA256_Final(md, &c256) == 1
		           ? SHA256_DIGEST_LENGTH
		           : 0;
	case JWA_RS384:
	case JWA_PS384:
	case JWA_ES384:
		return SHA384_Init(&c512) == 1 && SHA384_Update(&c512, msg, len) == 1 &&
		               SHA384_Final(md, &c512) == 1
		           ? SHA384_DIGEST_LENGTH
		           : 0;
	case JWA_RS512:
	case JWA_PS512:
		return SHA512_Init(&c512) == 1 && SHA512_Update(&c512, msg, len) == 1 &&
		               SHA512_Final(md, &c512) == 1
		           ? SHA512_DIGEST_LENGTH
		           : 0;
	default:
		return 0;
	}
}

/* The NID of alg's hash, for RSA_verify's DigestInfo. */
static int
alg_nid(enum jwa_alg alg)
{
	switch (alg) {
	case JWA_RS384:
	case JWA_PS384:
	case JWA_ES384:
		return NID_sha384;
	case JWA_RS512:
	case JWA_PS512:
		return NID_sha512;
	default:
		return NID_sha256;
	}
}

/* Usable keys only: skipped entries are not counted. */
size_t
jwk_set_count(const struct jwk_set *set)
{
	return set == NULL ? 0 : set->n;
}

/* Index access, so callers can walk the set without knowing its layout. */
const struct jwk *
jwk_set_get(const struct jwk_set *set, size_t i)
{
	if (set == NULL || i >= set->n)
		return NULL;
	return &set->keys[i];
}

/*
 * Accessors.  The kid is compared, never used as a path or URL (RFC 8725
 * §3.10); the thumbprint was computed once at parse time.
 */
const char *
jwk_kid(const struct jwk *key)
{
	return key->kid;
}

enum jwa_kty
jwk_kty_get(const struct jwk *key)
{
	return key->kty;
}

bool
jwk_alg_get(const struct jwk *key, enum jwa_alg *alg)
{
	if (key->has_alg)
		*alg = key->alg;
	return key->has_alg;
}

const char *
jwk_thumbprint(const struct jwk *key)
{
	return key->thumb;
}

/* jwa_kty is the table; this adds the key's own "alg".  Verification relies on it. */
bool
jwk_alg_fits(const struct jwk *key, enum jwa_alg alg)
{
	if (key == NULL || (unsigned)alg >= JWA__MAX)
		return false;
	/* RFC 8725 §3.1: the key, not the token, decides which algorithm applies. */
	if (jwa_kty(alg) != key->kty)
		return false;
	return !key->has_alg || key->alg == alg;
}

/* ECDSA over md with the raw R || S signature (RFC 7518 §3.4) of exactly 2 * clen bytes. */
static int
ecdsa_verify(EC_KEY *ec, const unsigned char *md, size_t mdlen, const unsigned char *sig,
             size_t siglen, size_t clen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int rc = -1;

	if (siglen != 2 * clen)
		return -1;
	r = BN_bin2bn(sig, (int)clen, NULL);
	s = BN_bin2bn(sig + clen, (int)clen, NULL);
	if (r == NULL || s == NULL || (es = ECDSA_SIG_new()) == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	if (ECDSA_do_verify(md, (int)mdlen, es, ec) == 1)
		rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

/* RSASSA-PSS (RFC 8017 §8.1.2): MGF1 with the same hash, salt as long as the hash (RFC 7518 §3.5).
 */
static int
pss_verify(RSA *rsa, enum jwa_alg alg, const unsigned char *md, const unsigned char *sig,
           size_t siglen)
{
	const EVP_MD *h = alg == JWA_PS384   ? EVP_sha384()
	                  : alg == JWA_PS512 ? EVP_sha512()
	                                     : EVP_sha256();
	unsigned char em[JWK_RSA_MAX_BITS / 8];

	if (siglen > sizeof(em) ||
	    RSA_public_decrypt((int)siglen, sig, em, rsa, RSA_NO_PADDING) != (int)siglen)
		return -1;
	return RSA_verify_PKCS1_PSS_mgf1(rsa, md, h, h, em, EVP_MD_get_size(h)) == 1 ? 0 : -1;
}

/*
 * The hot path: no parsing, no key building.  Every length is checked
 * before OpenSSL sees the signature, so a malformed one costs nothing.
 */
int
jwk_verify(const struct jwk *key, enum jwa_alg alg, const void *msg, size_t msglen,
           const unsigned char *sig, size_t siglen)
{
	unsigned char md[SHA512_DIGEST_LENGTH];
	size_t mdlen;
	int rc = -1;

	if (!jwk_alg_fits(key, alg) || sig == NULL || (msg == NULL && msglen > 0) ||
	    (mdlen = alg_digest(alg, msg, msglen, md)) == 0)
		return -1;
	if (key->kty != JWA_KTY_RSA)
		rc = ecdsa_verify(key->ec, md, mdlen, sig, siglen, jwa_coord_len(key->kty));
	/* RFC 8017 §8.2.2 / §8.1.2: the signature is exactly k octets. */
	else if (siglen != (size_t)RSA_size(key->rsa))
		rc = -1;
	else if (alg == JWA_PS256 || alg == JWA_PS384 || alg == JWA_PS512)
		rc = pss_verify(key->rsa, alg, md, sig, siglen);
	/* RSASSA-PKCS1-v1_5: the whole encoded DigestInfo is compared (RFC 8017 §8.2.2 step 4). */
	else if (RSA_verify(alg_nid(alg), md, (unsigned)mdlen, sig, (unsigned)siglen, key->rsa) ==
	         1)
		rc = 0;
	/* A failed verification leaves errors queued; drop them, they are ours. */
	ERR_clear_error();
	return rc;
}
