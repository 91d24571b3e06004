/*
 * devmint.c - the development issuer's signing half: JWS signatures with
 * OpenSSL's EVP interface (RFC 7518 §3), the compact serialization around
 * any header and payload (RFC 7515 §7.1), and RFC 9068 access tokens.
 */
#include "cli/devmint.h"

#include "cli/devissuer_key.h"
#include "lib/jose/b64url.h"

#include <cJSON.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* JOSE header parameters (RFC 7515 §4.1) and claims (RFC 7519 §4.1, RFC 9068 §2.2). */
#define HDR_ALG     "alg"
#define HDR_TYP     "typ"
#define HDR_KID     "kid"
#define CLM_ISS     "iss"
#define CLM_SUB     "sub"
#define CLM_AUD     "aud"
#define CLM_SCOPE   "scope"
#define CLM_CLIENT  "client_id"
#define CLM_ORG     "org_id"
#define CLM_JTI     "jti"
#define CLM_IAT     "iat"
#define CLM_EXP     "exp"
#define TYP_DEFAULT "at+jwt"

/*
 * Turns OpenSSL's DER ECDSA-Sig-Value into the raw R || S of 2 * clen bytes
 * that JWS uses (RFC 7518 §3.4).  Returns 0 or -1.
 */
static int
ecdsa_der_to_raw(const unsigned char *der, size_t len, size_t clen, unsigned char *raw)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;
	int rc = -1;

	if (es == NULL)
		return -1;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, raw, (int)clen) == (int)clen &&
	    BN_bn2binpad(s, raw + clen, (int)clen) == (int)clen)
		rc = 0;
	ECDSA_SIG_free(es);
	return rc;
}

/*
 * Signs msglen bytes of msg with key and alg into a new buffer (*sig,
 * *siglen) in JWS form.  Returns DEVISSUER_OK or DEVISSUER_ERR_CRYPTO.
 */
static enum devissuer_err
sign_bytes(const struct devissuer_key *key, enum jwk_alg alg, const char *msg, size_t msglen,
           unsigned char **sig, size_t *siglen)
{
	EVP_MD_CTX *mdctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *buf = NULL;
	size_t len = 0, clen = key->jkty == JWK_KTY_EC_P384 ? 48 : 32;
	enum devissuer_err err = DEVISSUER_ERR_CRYPTO;

	*sig = NULL;
	if (mdctx == NULL ||
	    EVP_DigestSignInit(mdctx, &pctx, EVP_get_digestbyname(jwk_alg_digest(alg)), NULL,
	                       key->pkey) != 1)
		goto out;
	if (alg == JWK_ALG_PS256 || alg == JWK_ALG_PS384 || alg == JWK_ALG_PS512) {
		/* RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash. */
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
			goto out;
	}
	/* The first call gives the largest signature size, the second signs. */
	if (EVP_DigestSign(mdctx, NULL, &len, (const unsigned char *)msg, msglen) != 1 ||
	    (buf = malloc(len)) == NULL ||
	    EVP_DigestSign(mdctx, buf, &len, (const unsigned char *)msg, msglen) != 1)
		goto out;
	/*
	 * OpenSSL emits a DER ECDSA-Sig-Value of varying length; JWS wants R
	 * and S as fixed-size big-endian integers, concatenated (RFC 7518 §3.4).
	 */
	if (key->jkty != JWK_KTY_RSA) {
		unsigned char *raw = malloc(2 * clen);
		if (raw == NULL || ecdsa_der_to_raw(buf, len, clen, raw) != 0) {
			free(raw);
			goto out;
		}
		free(buf);
		buf = raw;
		len = 2 * clen;
	}
	*sig = buf;
	*siglen = len;
	buf = NULL;
	err = DEVISSUER_OK;
out:
	free(buf);
	EVP_MD_CTX_free(mdctx);
	ERR_clear_error();
	return err;
}

/*
 * Builds the compact serialization (RFC 7515 §7.1) around any text, so the
 * tests can sign headers and payloads a real issuer never would.
 */
enum devissuer_err
devissuer_sign_raw(const struct devissuer_key *key, enum jwk_alg alg, const char *header_json,
                   const char *payload_json, char **out)
{
	char *h = NULL, *p = NULL, *s = NULL, *input = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0, inlen, len;
	enum devissuer_err err;

	*out = NULL;
	if (key == NULL || header_json == NULL || payload_json == NULL ||
	    !devissuer_key_alg_fits(key, alg))
		return DEVISSUER_ERR_ARG;
	err = DEVISSUER_ERR_NOMEM;
	h = b64url_encode_alloc(header_json, strlen(header_json));
	p = b64url_encode_alloc(payload_json, strlen(payload_json));
	if (h == NULL || p == NULL)
		goto out;
	/* RFC 7515 §5.1: the signing input is ASCII(h64 "." p64). */
	inlen = strlen(h) + 1 + strlen(p);
	if ((input = malloc(inlen + 1)) == NULL)
		goto out;
	snprintf(input, inlen + 1, "%s.%s", h, p);
	if ((err = sign_bytes(key, alg, input, inlen, &sig, &siglen)) != DEVISSUER_OK)
		goto out;
	err = DEVISSUER_ERR_NOMEM;
	if ((s = b64url_encode_alloc(sig, siglen)) == NULL)
		goto out;
	len = inlen + 1 + strlen(s) + 1;
	if ((*out = malloc(len)) == NULL)
		goto out;
	snprintf(*out, len, "%s.%s", input, s);
	err = DEVISSUER_OK;
out:
	free(h);
	free(p);
	free(s);
	free(sig);
	free(input);
	return err;
}

/*
 * Adds "aud": one audience as a string, several (space-separated) as an
 * array (RFC 7519 §4.1.3).  Returns 0 or -1.
 */
static int
aud_add(cJSON *claims, const char *aud)
{
	char *copy = strdup(aud), *save = NULL, *tok;
	cJSON *arr = cJSON_CreateArray();
	int rc = -1;

	if (copy == NULL || arr == NULL)
		goto out;
	for (tok = strtok_r(copy, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		cJSON *s = cJSON_CreateString(tok);
		if (s == NULL)
			goto out;
		cJSON_AddItemToArray(arr, s);
	}
	if (cJSON_GetArraySize(arr) == 1) {
		const char *one = cJSON_GetArrayItem(arr, 0)->valuestring;
		if (cJSON_AddStringToObject(claims, CLM_AUD, one) != NULL)
			rc = 0;
		goto out;
	}
	cJSON_AddItemToObject(claims, CLM_AUD, arr);
	arr = NULL;
	rc = 0;
out:
	cJSON_Delete(arr);
	free(copy);
	return rc;
}

/* Adds name: value to o unless value is NULL.  Returns 0 or -1. */
static int
opt_str_add(cJSON *o, const char *name, const char *value)
{
	if (value == NULL)
		return 0;
	return cJSON_AddStringToObject(o, name, value) == NULL ? -1 : 0;
}

/*
 * Moves every member of the JSON object text extra into claims, replacing
 * members of the same name.  Returns DEVISSUER_OK or an error.
 */
static enum devissuer_err
extra_merge(cJSON *claims, const char *extra)
{
	cJSON *x = cJSON_Parse(extra), *m;

	if (!cJSON_IsObject(x)) {
		cJSON_Delete(x);
		return DEVISSUER_ERR_JSON;
	}
	while ((m = x->child) != NULL) {
		cJSON_DetachItemViaPointer(x, m);
		cJSON_DeleteItemFromObjectCaseSensitive(claims, m->string);
		cJSON_AddItemToObject(claims, m->string, m);
	}
	cJSON_Delete(x);
	return DEVISSUER_OK;
}

/* Adds a "jti" of 128 random bits (RFC 9068 §2.2, RFC 7519 §4.1.7). */
static int
jti_random_add(cJSON *claims)
{
	unsigned char rnd[16];
	char s[32];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	b64url_encode(rnd, sizeof(rnd), s, sizeof(s));
	return cJSON_AddStringToObject(claims, CLM_JTI, s) == NULL ? -1 : 0;
}

/*
 * Builds the claims of a token into *out (cJSON_Delete): the RFC 9068 §2.2
 * claims the options name, iat and exp always, a random jti unless told
 * otherwise, then extra_json on top.  Returns DEVISSUER_OK or an error.
 */
static enum devissuer_err
claims_build(const struct devissuer_token_opts *o, cJSON **out)
{
	cJSON *c = cJSON_CreateObject();
	int64_t iat = o->iat != 0 ? o->iat : (int64_t)time(NULL);
	int64_t life = o->lifetime != 0 ? o->lifetime : DEVISSUER_LIFETIME_DEFAULT;
	enum devissuer_err err = DEVISSUER_ERR_NOMEM;

	if (c == NULL || opt_str_add(c, CLM_ISS, o->iss) != 0 ||
	    opt_str_add(c, CLM_SUB, o->sub) != 0 || (o->aud != NULL && aud_add(c, o->aud) != 0) ||
	    opt_str_add(c, CLM_SCOPE, o->scope) != 0 ||
	    opt_str_add(c, CLM_CLIENT, o->client_id) != 0 ||
	    opt_str_add(c, CLM_ORG, o->org_id) != 0 ||
	    cJSON_AddNumberToObject(c, CLM_IAT, (double)iat) == NULL ||
	    cJSON_AddNumberToObject(c, CLM_EXP, (double)(iat + life)) == NULL)
		goto out;
	if (o->jti == NULL && jti_random_add(c) != 0)
		goto out;
	if (o->jti != NULL && *o->jti != '\0' && opt_str_add(c, CLM_JTI, o->jti) != 0)
		goto out;
	if (o->extra_json != NULL && (err = extra_merge(c, o->extra_json)) != DEVISSUER_OK)
		goto out;
	*out = c;
	c = NULL;
	err = DEVISSUER_OK;
out:
	cJSON_Delete(c);
	return err;
}

/*
 * The header carries alg, typ and kid only (RFC 9068 §2.1); the alg must fit
 * the key so a minted token is always one the verifier could accept.
 */
enum devissuer_err
devissuer_token_mint(const struct devissuer_key *key, const struct devissuer_token_opts *opts,
                     char **out)
{
	cJSON *hdr = NULL, *claims = NULL;
	char *htext = NULL, *ptext = NULL;
	enum jwk_alg alg;
	enum devissuer_err err = DEVISSUER_ERR_ARG;
	const char *typ, *kid;

	*out = NULL;
	if (key == NULL || opts == NULL)
		return DEVISSUER_ERR_ARG;
	alg = key->alg;
	if (opts->alg != NULL && jwk_alg_parse(opts->alg, &alg) != 0)
		return DEVISSUER_ERR_ARG;
	if (!devissuer_key_alg_fits(key, alg))
		return DEVISSUER_ERR_ARG;
	typ = opts->typ != NULL ? opts->typ : TYP_DEFAULT;
	kid = opts->kid != NULL ? opts->kid : key->kid;
	err = DEVISSUER_ERR_NOMEM;
	if ((hdr = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(hdr, HDR_ALG, jwk_alg_name(alg)) == NULL ||
	    (*typ != '\0' && cJSON_AddStringToObject(hdr, HDR_TYP, typ) == NULL) ||
	    (*kid != '\0' && cJSON_AddStringToObject(hdr, HDR_KID, kid) == NULL))
		goto out;
	if ((err = claims_build(opts, &claims)) != DEVISSUER_OK)
		goto out;
	err = DEVISSUER_ERR_NOMEM;
	if ((htext = cJSON_PrintUnformatted(hdr)) == NULL ||
	    (ptext = cJSON_PrintUnformatted(claims)) == NULL)
		goto out;
	err = devissuer_sign_raw(key, alg, htext, ptext, out);
out:
	cJSON_Delete(hdr);
	cJSON_Delete(claims);
	free(htext);
	free(ptext);
	return err;
}
