/*
 * jwk.c - reading a parsed JWK Set (RFC 7517 §5) and JWS signature
 * verification (RFC 7518 §3) with OpenSSL's EVP interface: lookup, the
 * accessors, the algorithm-to-key check and the hot path, jwk_verify.
 * Building and freeing sets is jwk_import.c's work; this file only reads
 * what it built.
 */
#include "lib/jose/jwk.h"

#include "lib/jose/internal/jwk_set.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <string.h>

/*
 * The digest of an algorithm, fetched from the provider once per process and
 * kept: OpenSSL 3 otherwise looks the implementation up on every
 * verification (the hot path).  NULL only when the provider lacks it.
 */
static const EVP_MD *
alg_md(enum jwa_alg alg)
{
	static EVP_MD *fetched[JWA__MAX];

	if ((unsigned)alg >= JWA__MAX)
		return NULL;
	if (fetched[alg] == NULL)
		fetched[alg] = EVP_MD_fetch(NULL, jwa_digest(alg), NULL);
	return fetched[alg];
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

/*
 * Converts a raw R || S signature (RFC 7518 §3.4) of exactly 2 * clen bytes
 * into the DER ECDSA-Sig-Value OpenSSL verifies.  Returns the DER length and
 * sets *der (OPENSSL_free), or -1.
 */
static int
ecdsa_raw_to_der(const unsigned char *sig, size_t siglen, size_t clen, unsigned char **der)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int len = -1;

	*der = NULL;
	if (siglen != 2 * clen)
		return -1;
	r = BN_bin2bn(sig, (int)clen, NULL);
	s = BN_bin2bn(sig + clen, (int)clen, NULL);
	if (r == NULL || s == NULL || (es = ECDSA_SIG_new()) == NULL)
		goto out;
	if (ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	len = i2d_ECDSA_SIG(es, der);
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return len;
}

/*
 * The hot path: no parsing, no key building, only EVP.  Every length is
 * checked before OpenSSL sees the signature, so a malformed one costs
 * nothing and cannot reach an ASN.1 parser.
 */
int
jwk_verify(const struct jwk *key, enum jwa_alg alg, const void *msg, size_t msglen,
           const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *mdctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	int rc = -1, derlen;

	if (!jwk_alg_fits(key, alg) || sig == NULL || (msg == NULL && msglen > 0))
		return -1;
	if (key->kty == JWA_KTY_RSA) {
		/* RFC 8017 §8.2.2 / §8.1.2: the signature is exactly k octets. */
		if (siglen != (size_t)EVP_PKEY_get_size(key->pkey))
			return -1;
	} else {
		derlen = ecdsa_raw_to_der(sig, siglen, jwa_coord_len(key->kty), &der);
		if (derlen <= 0)
			goto out;
		sig = der;
		siglen = (size_t)derlen;
	}
	if ((mdctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mdctx, &pctx, alg_md(alg), NULL, key->pkey) != 1)
		goto out;
	if (alg == JWA_PS256 || alg == JWA_PS384 || alg == JWA_PS512) {
		/* RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash. */
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, alg_md(alg)) != 1)
			goto out;
	}
	if (EVP_DigestVerify(mdctx, sig, siglen, msg, msglen) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(mdctx);
	OPENSSL_free(der);
	/* A failed verification leaves errors queued; drop them, they are ours. */
	ERR_clear_error();
	return rc;
}
