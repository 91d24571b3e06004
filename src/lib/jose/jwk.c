/*
 * jwk.c - the parsed JWK Set (RFC 7517 §5) and JWS signature verification
 * (RFC 7518 §3) with OpenSSL's EVP interface: the algorithm names, the
 * set's caps, lookup and lifetime, and the hot path, jwk_verify.  Turning
 * the document's JSON into keys is jwk_import.c's work.
 */
#include "lib/jose/jwk.h"

#include "lib/jose/internal/jwk_import.h"
#include "lib/core/log.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

static const char *const jwk_err_names[JWK_ERR__MAX] = {
    [JWK_OK] = "ok",
    [JWK_ERR_TOO_LARGE] = "JWKS document too large",
    [JWK_ERR_JSON] = "JWKS document is not a JSON object with a \"keys\" array",
    [JWK_ERR_NO_KEYS] = "JWKS document has no usable signing key",
    [JWK_ERR_NOMEM] = "out of memory",
};

static const char *const jwk_alg_names[JWK_ALG__MAX] = {
    [JWK_ALG_RS256] = "RS256", [JWK_ALG_RS384] = "RS384", [JWK_ALG_RS512] = "RS512",
    [JWK_ALG_PS256] = "PS256", [JWK_ALG_PS384] = "PS384", [JWK_ALG_PS512] = "PS512",
    [JWK_ALG_ES256] = "ES256", [JWK_ALG_ES384] = "ES384",
};

/* Fixed text, safe to log or show: it never includes document content. */
const char *
jwk_strerror(enum jwk_err err)
{
	if ((unsigned)err >= JWK_ERR__MAX)
		return "unknown JWKS error";
	return jwk_err_names[err];
}

/* Exact, case-sensitive match against the names of RFC 7518 §3.1. */
int
jwk_alg_parse(const char *name, enum jwk_alg *out)
{
	if (name == NULL)
		return -1;
	/* Only asymmetric algorithms are listed, so "none" and HS* never match. */
	for (int a = 0; a < JWK_ALG__MAX; a++) {
		if (strcmp(name, jwk_alg_names[a]) == 0) {
			*out = (enum jwk_alg)a;
			return 0;
		}
	}
	return -1;
}

/* The inverse of jwk_alg_parse, for logs and exported JWKs. */
const char *
jwk_alg_name(enum jwk_alg alg)
{
	if ((unsigned)alg >= JWK_ALG__MAX)
		return "?";
	return jwk_alg_names[alg];
}

/* The key type an algorithm needs (RFC 7518 §3.1 table). */
static enum jwk_kty
alg_kty(enum jwk_alg alg)
{
	switch (alg) {
	case JWK_ALG_ES256:
		return JWK_KTY_EC_P256;
	case JWK_ALG_ES384:
		return JWK_KTY_EC_P384;
	default:
		return JWK_KTY_RSA;
	}
}

const char *
jwk_alg_digest(enum jwk_alg alg)
{
	switch (alg) {
	case JWK_ALG_RS384:
	case JWK_ALG_PS384:
	case JWK_ALG_ES384:
		return "SHA384";
	case JWK_ALG_RS512:
	case JWK_ALG_PS512:
		return "SHA512";
	default:
		return "SHA256";
	}
}

/*
 * The digest of an algorithm, fetched from the provider once per process and
 * kept: OpenSSL 3 otherwise looks the implementation up on every
 * verification (the hot path).  NULL only when the provider lacks it.
 */
static const EVP_MD *
alg_md(enum jwk_alg alg)
{
	static EVP_MD *fetched[JWK_ALG__MAX];

	if (alg >= JWK_ALG__MAX)
		return NULL;
	if (fetched[alg] == NULL)
		fetched[alg] = EVP_MD_fetch(NULL, jwk_alg_digest(alg), NULL);
	return fetched[alg];
}

/* Logs each kid that more than one usable key carries (RFC 7517 §4.5). */
static void
dup_kids_warn(const struct jwk_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		const char *kid = set->keys[i].kid;
		for (size_t j = 0; kid != NULL && j < i; j++) {
			if (set->keys[j].kid != NULL && strcmp(set->keys[j].kid, kid) == 0) {
				log_msg(LOGL_WARN, "jwks: kid \"%s\" is used by more than one key",
				        kid);
				break;
			}
		}
	}
}

/*
 * The caps come first, so an oversized or NUL-carrying document costs no
 * parsing at all; jwk_import_set does the rest.  A kid shared by two keys
 * is legal (RFC 7517 §4.5) but makes lookups by kid ambiguous, so it is
 * worth one warning per document.
 */
enum jwk_err
jwk_set_parse(const char *json, size_t len, struct jwk_set **out)
{
	enum jwk_err err;

	*out = NULL;
	if (len > JWK_SET_MAX_BYTES)
		return JWK_ERR_TOO_LARGE;
	/* A NUL inside the document would hide the rest of it from cJSON. */
	if (json == NULL || memchr(json, '\0', len) != NULL)
		return JWK_ERR_JSON;
	if ((err = jwk_import_set(json, len, out)) != JWK_OK)
		return err;
	dup_kids_warn(*out);
	return JWK_OK;
}

/* Public keys only: nothing secret to wipe. */
void
jwk_set_free(struct jwk_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		EVP_PKEY_free(set->keys[i].pkey);
		free(set->keys[i].kid);
	}
	free(set->keys);
	free(set);
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

enum jwk_kty
jwk_kty_get(const struct jwk *key)
{
	return key->kty;
}

bool
jwk_alg_get(const struct jwk *key, enum jwk_alg *alg)
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

/* The one place that ties an algorithm to a key type; verification relies on it. */
bool
jwk_alg_fits(const struct jwk *key, enum jwk_alg alg)
{
	if (key == NULL || (unsigned)alg >= JWK_ALG__MAX)
		return false;
	/* RFC 8725 §3.1: the key, not the token, decides which algorithm applies. */
	if (alg_kty(alg) != key->kty)
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
jwk_verify(const struct jwk *key, enum jwk_alg alg, const void *msg, size_t msglen,
           const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *mdctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	int rc = -1, derlen;

	if (!jwk_alg_fits(key, alg) || sig == NULL || (msg == NULL && msglen > 0))
		return -1;
	if (key->kty == JWK_KTY_RSA) {
		/* RFC 8017 §8.2.2 / §8.1.2: the signature is exactly k octets. */
		if (siglen != (size_t)EVP_PKEY_get_size(key->pkey))
			return -1;
	} else {
		derlen = ecdsa_raw_to_der(sig, siglen, jwk_import_coord_len(key->kty), &der);
		if (derlen <= 0)
			goto out;
		sig = der;
		siglen = (size_t)derlen;
	}
	if ((mdctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mdctx, &pctx, alg_md(alg), NULL, key->pkey) != 1)
		goto out;
	if (alg == JWK_ALG_PS256 || alg == JWK_ALG_PS384 || alg == JWK_ALG_PS512) {
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
