/*
 * devmint.c - the development issuer's signing half: JWS signatures with
 * OpenSSL's EVP interface (RFC 7518 §3), the compact serialization around
 * any header and payload (RFC 7515 §7.1), and RFC 9068 access tokens.
 */
#include "cli/devissuer.h"

#include "cli/devissuer_key.h"
#include "lib/core/util.h"
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
 * Sets up mdctx to sign with key and alg: the digest of alg, and for PS*
 * the PSS padding of RFC 7518 §3.5 (MGF1 with the same hash, salt as long
 * as the hash).  Returns 0 or -1.
 */
static int
sign_init(EVP_MD_CTX *mdctx, const struct devissuer_key *key, enum jwa_alg alg)
{
	EVP_PKEY_CTX *pctx = NULL;

	if (EVP_DigestSignInit(mdctx, &pctx, EVP_get_digestbyname(jwa_digest(alg)), NULL,
	                       key->pkey) != 1)
		return -1;
	if (alg == JWA_PS256 || alg == JWA_PS384 || alg == JWA_PS512) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
			return -1;
	}
	return 0;
}

/*
 * Signs msglen bytes of msg with key and alg into a new buffer (*sig,
 * *siglen) in JWS form.  Returns 0, or -1 with e set (DEVISSUER_MSG_CRYPTO).
 */
static int
sign_bytes(const struct devissuer_key *key, enum jwa_alg alg, const char *msg, size_t msglen,
           unsigned char **sig, size_t *siglen, struct err *e)
{
	EVP_MD_CTX *mdctx = EVP_MD_CTX_new();
	unsigned char *buf = NULL, *raw = NULL;
	size_t len = 0, clen = jwa_coord_len(key->jkty);
	int rc = -1;

	*sig = NULL;
	/* The first call gives the largest signature size, the second signs. */
	if (mdctx == NULL || sign_init(mdctx, key, alg) != 0 ||
	    EVP_DigestSign(mdctx, NULL, &len, (const unsigned char *)msg, msglen) != 1)
		goto out;
	buf = xmalloc(len);
	if (EVP_DigestSign(mdctx, buf, &len, (const unsigned char *)msg, msglen) != 1)
		goto out;
	/*
	 * OpenSSL emits a DER ECDSA-Sig-Value of varying length; JWS wants R
	 * and S as fixed-size big-endian integers, concatenated (RFC 7518 §3.4).
	 */
	if (key->jkty != JWA_KTY_RSA) {
		raw = xmalloc(2 * clen);
		if (ecdsa_der_to_raw(buf, len, clen, raw) != 0)
			goto out;
		free(buf);
		buf = raw;
		raw = NULL;
		len = 2 * clen;
	}
	*sig = buf;
	*siglen = len;
	buf = NULL;
	rc = 0;
out:
	if (rc != 0)
		err_set(e, ERR_SYSTEM, "%s", DEVISSUER_MSG_CRYPTO);
	free(buf);
	free(raw);
	EVP_MD_CTX_free(mdctx);
	ERR_clear_error();
	return rc;
}

/*
 * Builds the compact serialization (RFC 7515 §7.1) around any text, so the
 * tests can sign headers and payloads a real issuer never would.
 */
int
devissuer_sign_raw(const struct devissuer_key *key, enum jwa_alg alg, const char *header_json,
                   const char *payload_json, char **out, struct err *e)
{
	char *h, *p, *s, *input;
	unsigned char *sig = NULL;
	size_t siglen = 0, inlen, len;
	int rc;

	*out = NULL;
	if (key == NULL || header_json == NULL || payload_json == NULL)
		return err_set(e, ERR_INVALID, "%s: nothing to sign", DEVISSUER_MSG_ARG);
	if (!devissuer_key_alg_fits(key, alg))
		return err_set(e, ERR_INVALID, "%s: %s does not fit the key", DEVISSUER_MSG_ARG,
		               jwa_name(alg));
	h = b64url_encode_alloc(header_json, strlen(header_json));
	p = b64url_encode_alloc(payload_json, strlen(payload_json));
	/* RFC 7515 §5.1: the signing input is ASCII(h64 "." p64). */
	inlen = strlen(h) + 1 + strlen(p);
	input = xmalloc(inlen + 1);
	snprintf(input, inlen + 1, "%s.%s", h, p);
	rc = sign_bytes(key, alg, input, inlen, &sig, &siglen, e);
	if (rc == 0) {
		s = b64url_encode_alloc(sig, siglen);
		len = inlen + 1 + strlen(s) + 1;
		*out = xmalloc(len);
		snprintf(*out, len, "%s.%s", input, s);
		free(s);
	}
	free(h);
	free(p);
	free(sig);
	free(input);
	return rc;
}

/* Adds "aud": one audience as a string, several (space-separated) as an array (RFC 7519 §4.1.3). */
static void
aud_add(cJSON *claims, const char *aud)
{
	char *copy = xstrdup(aud), *save = NULL, *tok;
	cJSON *arr = cJSON_CreateArray();

	for (tok = strtok_r(copy, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save))
		cJSON_AddItemToArray(arr, cJSON_CreateString(tok));
	if (cJSON_GetArraySize(arr) == 1) {
		cJSON_AddStringToObject(claims, CLM_AUD, cJSON_GetArrayItem(arr, 0)->valuestring);
		cJSON_Delete(arr);
	} else {
		cJSON_AddItemToObject(claims, CLM_AUD, arr);
	}
	free(copy);
}

/* Adds name: value to o unless value is NULL. */
static void
opt_str_add(cJSON *o, const char *name, const char *value)
{
	if (value != NULL)
		cJSON_AddStringToObject(o, name, value);
}

/*
 * Moves every member of the JSON object text extra into claims, replacing
 * members of the same name.  Returns 0, or -1 with e set when extra is not
 * a JSON object.
 */
static int
extra_merge(cJSON *claims, const char *extra, struct err *e)
{
	cJSON *x = cJSON_Parse(extra), *m;

	if (!cJSON_IsObject(x)) {
		cJSON_Delete(x);
		return err_set(e, ERR_INVALID, "%s: extra claims are not a JSON object",
		               DEVISSUER_MSG_JSON);
	}
	while ((m = x->child) != NULL) {
		cJSON_DetachItemViaPointer(x, m);
		cJSON_DeleteItemFromObjectCaseSensitive(claims, m->string);
		cJSON_AddItemToObject(claims, m->string, m);
	}
	cJSON_Delete(x);
	return 0;
}

/* Adds a "jti" of 128 random bits (RFC 9068 §2.2, RFC 7519 §4.1.7).  Returns 0 or -1. */
static int
jti_random_add(cJSON *claims, struct err *e)
{
	unsigned char rnd[16];
	char s[32];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		ERR_clear_error();
		return err_set(e, ERR_SYSTEM, "%s: no randomness for jti", DEVISSUER_MSG_CRYPTO);
	}
	b64url_encode(rnd, sizeof(rnd), s, sizeof(s));
	cJSON_AddStringToObject(claims, CLM_JTI, s);
	return 0;
}

/*
 * Builds the claims of a token into *out (cJSON_Delete): the RFC 9068 §2.2
 * claims the options name, iat and exp always, a random jti unless told
 * otherwise, then extra_json on top.  Returns 0, or -1 with e set.
 */
static int
claims_build(const struct devissuer_token_opts *o, cJSON **out, struct err *e)
{
	cJSON *c = cJSON_CreateObject();
	int64_t iat = o->iat != 0 ? o->iat : (int64_t)time(NULL);
	int64_t life = o->lifetime != 0 ? o->lifetime : DEVISSUER_LIFETIME_DEFAULT;

	opt_str_add(c, CLM_ISS, o->iss);
	opt_str_add(c, CLM_SUB, o->sub);
	if (o->aud != NULL)
		aud_add(c, o->aud);
	opt_str_add(c, CLM_SCOPE, o->scope);
	opt_str_add(c, CLM_CLIENT, o->client_id);
	opt_str_add(c, CLM_ORG, o->org_id);
	cJSON_AddNumberToObject(c, CLM_IAT, (double)iat);
	cJSON_AddNumberToObject(c, CLM_EXP, (double)(iat + life));
	if (o->jti != NULL && *o->jti != '\0')
		cJSON_AddStringToObject(c, CLM_JTI, o->jti);
	if ((o->jti == NULL && jti_random_add(c, e) != 0) ||
	    (o->extra_json != NULL && extra_merge(c, o->extra_json, e) != 0)) {
		cJSON_Delete(c);
		return -1;
	}
	*out = c;
	return 0;
}

/*
 * The header carries alg, typ and kid only (RFC 9068 §2.1); the alg must fit
 * the key so a minted token is always one the verifier could accept.
 */
int
devissuer_token_mint(const struct devissuer_key *key, const struct devissuer_token_opts *opts,
                     char **out, struct err *e)
{
	cJSON *hdr, *claims = NULL;
	char *htext, *ptext;
	enum jwa_alg alg;
	const char *typ, *kid;
	int rc;

	*out = NULL;
	if (key == NULL || opts == NULL)
		return err_set(e, ERR_INVALID, "%s: no key or no options", DEVISSUER_MSG_ARG);
	alg = key->alg;
	if (opts->alg != NULL && jwa_parse(opts->alg, &alg) != 0)
		return err_set(e, ERR_INVALID, "%s: unknown algorithm", DEVISSUER_MSG_ARG);
	if (!devissuer_key_alg_fits(key, alg))
		return err_set(e, ERR_INVALID, "%s: %s does not fit the key", DEVISSUER_MSG_ARG,
		               jwa_name(alg));
	if (claims_build(opts, &claims, e) != 0)
		return -1;
	typ = opts->typ != NULL ? opts->typ : TYP_DEFAULT;
	kid = opts->kid != NULL ? opts->kid : key->kid;
	hdr = cJSON_CreateObject();
	cJSON_AddStringToObject(hdr, HDR_ALG, jwa_name(alg));
	if (*typ != '\0')
		cJSON_AddStringToObject(hdr, HDR_TYP, typ);
	if (*kid != '\0')
		cJSON_AddStringToObject(hdr, HDR_KID, kid);
	htext = cJSON_PrintUnformatted(hdr);
	ptext = cJSON_PrintUnformatted(claims);
	rc = devissuer_sign_raw(key, alg, htext, ptext, out, e);
	cJSON_Delete(hdr);
	cJSON_Delete(claims);
	free(htext);
	free(ptext);
	return rc;
}
