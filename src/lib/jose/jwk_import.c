/*
 * jwk_import.c - a JWKS document (RFC 7517 §5) turned into OpenSSL public
 * keys: RSA from n and e (RFC 7518 §6.3.1), EC from crv, x and y (§6.2.1)
 * with the point checked on its curve, each with its RFC 7638 thumbprint.
 * All the parsing work happens here, once per document, so that jwk.c's
 * verification path does no JSON or key-building work.
 */
#include "lib/jose/internal/jwk_import.h"

#include "lib/jose/b64url.h"
#include "lib/core/log.h"

#include <cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JWK member names (RFC 7517 §4, RFC 7518 §6). */
#define JWK_M_KEYS    "keys"
#define JWK_M_KTY     "kty"
#define JWK_M_KID     "kid"
#define JWK_M_USE     "use"
#define JWK_M_KEY_OPS "key_ops"
#define JWK_M_ALG     "alg"
#define JWK_M_N       "n"
#define JWK_M_E       "e"
#define JWK_M_CRV     "crv"
#define JWK_M_X       "x"
#define JWK_M_Y       "y"

/* Public exponents above 64 bits are refused (OpenSSL's own RSA limit). */
#define JWK_RSA_MAX_E_BYTES 8

/* Outcome of parsing one JWK: usable, skipped (logged), or out of memory. */
enum key_result { KEY_OK, KEY_SKIP, KEY_NOMEM };

/* A coordinate's size follows from the curve alone (SEC 1 §2.3.5). */
size_t
jwk_import_coord_len(enum jwk_kty kty)
{
	return kty == JWK_KTY_EC_P384 ? 48 : 32;
}

/* A string member of o, or NULL when absent; *bad is set when not a string. */
static const char *
member_str(const cJSON *o, const char *name, bool *bad)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

	if (m == NULL)
		return NULL;
	if (!cJSON_IsString(m) || m->valuestring == NULL) {
		*bad = true;
		return NULL;
	}
	return m->valuestring;
}

/*
 * Decodes the base64url string member name of o into a new buffer.  Returns
 * the buffer (free()) and sets *len, or NULL when missing, empty or invalid.
 */
static unsigned char *
member_bytes(const cJSON *o, const char *name, size_t *len)
{
	bool bad = false;
	const char *s = member_str(o, name, &bad);
	unsigned char *buf = NULL;

	if (s == NULL || *s == '\0')
		return NULL;
	if (b64url_decode_alloc(s, strlen(s), &buf, len) != 0)
		return NULL;
	return buf;
}

/* Writes the RFC 7638 thumbprint of the canonical JSON text into k->thumb. */
static int
thumbprint_set(struct jwk *k, const char *canon)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL) != 1)
		return -1;
	if (b64url_encode(md, mdlen, k->thumb, sizeof(k->thumb)) != JWK_THUMBPRINT_LEN)
		return -1;
	return 0;
}

/* Builds an EVP_PKEY of type name ("RSA", "EC") from params; NULL on failure. */
static EVP_PKEY *
pkey_from_params(const char *name, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	EVP_PKEY *pkey = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

/*
 * Builds an RSA public key from "n" and "e" (RFC 7518 §6.3.1) into k.
 * Returns KEY_OK, or KEY_SKIP with *why set.
 */
static enum key_result
rsa_build(const cJSON *jk, struct jwk *k, const char **why)
{
	unsigned char *nb = NULL, *eb = NULL;
	size_t nlen = 0, elen = 0;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	char *n64 = NULL, *e64 = NULL, canon[4096];
	enum key_result r = KEY_SKIP;
	int bits;

	nb = member_bytes(jk, JWK_M_N, &nlen);
	eb = member_bytes(jk, JWK_M_E, &elen);
	if (nb == NULL || eb == NULL) {
		*why = "n or e missing or not base64url";
		goto out;
	}
	n = BN_bin2bn(nb, (int)nlen, NULL);
	e = BN_bin2bn(eb, (int)elen, NULL);
	if (n == NULL || e == NULL) {
		*why = "cannot build RSA numbers";
		goto out;
	}
	bits = BN_num_bits(n);
	if (bits < JWK_RSA_MIN_BITS || bits > JWK_RSA_MAX_BITS) {
		*why = "RSA modulus size outside 2048..16384 bits";
		goto out;
	}
	if (BN_num_bytes(e) > JWK_RSA_MAX_E_BYTES || !BN_is_odd(e) || BN_is_one(e)) {
		*why = "RSA public exponent invalid";
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (k->pkey = pkey_from_params("RSA", bld)) == NULL) {
		*why = "OpenSSL refused the RSA key";
		goto out;
	}
	/*
	 * RFC 7638 §3.2: the thumbprint hashes the members in their canonical
	 * form, so a modulus sent with a leading zero octet is re-encoded.
	 */
	BN_bn2bin(n, nb);
	n64 = b64url_encode_alloc(nb, (size_t)BN_num_bytes(n));
	BN_bn2bin(e, eb);
	e64 = b64url_encode_alloc(eb, (size_t)BN_num_bytes(e));
	if (n64 == NULL || e64 == NULL) {
		r = KEY_NOMEM;
		goto out;
	}
	snprintf(canon, sizeof(canon), "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e64, n64);
	if (thumbprint_set(k, canon) != 0) {
		*why = "cannot compute thumbprint";
		goto out;
	}
	k->kty = JWK_KTY_RSA;
	r = KEY_OK;
out:
	if (r != KEY_OK) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
	}
	free(nb);
	free(eb);
	free(n64);
	free(e64);
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/*
 * Builds an EC public key from "crv", "x", "y" (RFC 7518 §6.2.1) into k and
 * checks the point lies on the curve (an invalid-curve point would leak
 * nothing for verification, but it is certainly not the issuer's key).
 * Returns KEY_OK, or KEY_SKIP with *why set.
 */
static enum key_result
ec_build(const cJSON *jk, struct jwk *k, const char **why)
{
	unsigned char *x = NULL, *y = NULL, pub[1 + 2 * 48];
	size_t xlen = 0, ylen = 0, clen;
	bool bad = false;
	const char *crv = member_str(jk, JWK_M_CRV, &bad), *group;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY_CTX *check = NULL;
	char canon[512];
	enum key_result r = KEY_SKIP;

	if (crv != NULL && strcmp(crv, "P-256") == 0) {
		k->kty = JWK_KTY_EC_P256;
		group = "prime256v1";
	} else if (crv != NULL && strcmp(crv, "P-384") == 0) {
		k->kty = JWK_KTY_EC_P384;
		group = "secp384r1";
	} else {
		*why = "crv missing or not P-256/P-384";
		goto out;
	}
	clen = jwk_import_coord_len(k->kty);
	x = member_bytes(jk, JWK_M_X, &xlen);
	y = member_bytes(jk, JWK_M_Y, &ylen);
	/* RFC 7518 §6.2.1.2-3: each coordinate is the full size of the field. */
	if (x == NULL || y == NULL || xlen != clen || ylen != clen) {
		*why = "x or y missing, not base64url or of the wrong length";
		goto out;
	}
	/* SEC 1 §2.3.3 uncompressed point: 0x04 || X || Y. */
	pub[0] = 0x04;
	memcpy(pub + 1, x, clen);
	memcpy(pub + 1 + clen, y, clen);
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * clen) !=
	        1) {
		*why = "cannot build the EC key";
		goto out;
	}
	/* fromdata decodes the point and refuses one that is not on the curve. */
	if ((k->pkey = pkey_from_params("EC", bld)) == NULL) {
		*why = "point not on the curve";
		goto out;
	}
	check = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (check == NULL || EVP_PKEY_public_check(check) != 1) {
		*why = "point not on the curve";
		goto out;
	}
	/* The strict decoder accepts one encoding only, so x and y are canonical. */
	snprintf(canon, sizeof(canon), "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
	         crv, cJSON_GetObjectItemCaseSensitive(jk, JWK_M_X)->valuestring,
	         cJSON_GetObjectItemCaseSensitive(jk, JWK_M_Y)->valuestring);
	if (thumbprint_set(k, canon) != 0) {
		*why = "cannot compute thumbprint";
		goto out;
	}
	r = KEY_OK;
out:
	if (r != KEY_OK) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
	}
	EVP_PKEY_CTX_free(check);
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return r;
}

/*
 * Checks the members that restrict a key's purpose: "use" must be "sig"
 * (RFC 7517 §4.2), "key_ops" must contain "verify" (§4.3).  Returns NULL
 * when the key may verify signatures, else the reason.
 */
static const char *
purpose_check(const cJSON *jk)
{
	bool bad = false;
	const char *use = member_str(jk, JWK_M_USE, &bad);
	const cJSON *ops = cJSON_GetObjectItemCaseSensitive(jk, JWK_M_KEY_OPS), *op;

	if (bad || (use != NULL && strcmp(use, "sig") != 0))
		return "use is not \"sig\"";
	if (ops == NULL)
		return NULL;
	if (!cJSON_IsArray(ops))
		return "key_ops is not an array";
	cJSON_ArrayForEach (op, ops) {
		if (cJSON_IsString(op) && strcmp(op->valuestring, "verify") == 0)
			return NULL;
	}
	return "key_ops lacks \"verify\"";
}

/*
 * Parses one JWK into k (zeroed by the caller).  Returns KEY_OK, KEY_NOMEM,
 * or KEY_SKIP after logging one warning that names the key.
 */
static enum key_result
key_parse(const cJSON *jk, size_t idx, struct jwk *k)
{
	bool bad = false;
	const char *kid = NULL, *kty, *alg, *why = NULL;
	enum key_result r = KEY_SKIP;

	if (!cJSON_IsObject(jk)) {
		why = "not a JSON object";
		goto out;
	}
	kid = member_str(jk, JWK_M_KID, &bad);
	if (bad || (kid != NULL && strlen(kid) > JWK_KID_MAX)) {
		why = "kid is not a string of at most 256 characters";
		goto out;
	}
	if ((why = purpose_check(jk)) != NULL)
		goto out;
	kty = member_str(jk, JWK_M_KTY, &bad);
	alg = member_str(jk, JWK_M_ALG, &bad);
	if (bad) {
		why = "kty or alg is not a string";
		goto out;
	}
	if (alg != NULL) {
		/* An encryption or HMAC alg makes the key unusable for us. */
		if (jwk_alg_parse(alg, &k->alg) != 0) {
			why = "alg is not an asymmetric signature algorithm";
			goto out;
		}
		k->has_alg = true;
	}
	if (kty != NULL && strcmp(kty, "RSA") == 0)
		r = rsa_build(jk, k, &why);
	else if (kty != NULL && strcmp(kty, "EC") == 0)
		r = ec_build(jk, k, &why);
	else if (kty != NULL && strcmp(kty, "oct") == 0)
		why = "symmetric (oct) key";
	else
		why = "kty missing or unknown";
	if (r != KEY_OK)
		goto out;
	/*
	 * RFC 7517 §4.4: a key naming its own alg must be of the type that alg
	 * needs (RFC 7518 §3.1); jwk_alg_fits holds that one table.
	 */
	if (k->has_alg && !jwk_alg_fits(k, k->alg)) {
		why = "alg does not fit the key type";
		r = KEY_SKIP;
		goto out;
	}
	if (kid != NULL && (k->kid = strdup(kid)) == NULL)
		r = KEY_NOMEM;
out:
	if (r == KEY_SKIP) {
		if (kid != NULL)
			log_msg(LOGL_WARN, "jwks: key \"%.64s\" skipped: %s", kid,
			        why != NULL ? why : "unusable");
		else
			log_msg(LOGL_WARN, "jwks: key #%zu (no kid) skipped: %s", idx,
			        why != NULL ? why : "unusable");
	}
	if (r != KEY_OK) {
		EVP_PKEY_free(k->pkey);
		free(k->kid);
		memset(k, 0, sizeof(*k));
	}
	return r;
}

/*
 * Imports in one pass: the text is copied so cJSON sees a NUL-terminated
 * string and trailing garbage is detected, then each of at most
 * JWK_SET_MAX_KEYS entries is built or skipped on its own, so one bad key
 * (a rotation in progress, an encryption key) never hides the good ones.
 */
enum jwk_err
jwk_import_set(const char *json, size_t len, struct jwk_set **out)
{
	char *text = NULL;
	cJSON *doc = NULL;
	const cJSON *keys, *jk;
	struct jwk_set *set = NULL;
	enum jwk_err err = JWK_ERR_JSON;
	size_t idx = 0, cap;

	if ((text = malloc(len + 1)) == NULL)
		return JWK_ERR_NOMEM;
	memcpy(text, json, len);
	text[len] = '\0';
	doc = cJSON_ParseWithOpts(text, NULL, 1);
	keys = cJSON_GetObjectItemCaseSensitive(doc, JWK_M_KEYS);
	if (!cJSON_IsObject(doc) || !cJSON_IsArray(keys))
		goto out;
	cap = (size_t)cJSON_GetArraySize(keys);
	cap = cap > JWK_SET_MAX_KEYS ? JWK_SET_MAX_KEYS : cap;
	err = JWK_ERR_NOMEM;
	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (cap > 0 && (set->keys = calloc(cap, sizeof(*set->keys))) == NULL))
		goto out;
	cJSON_ArrayForEach (jk, keys) {
		enum key_result r;

		if (idx == JWK_SET_MAX_KEYS) {
			log_msg(LOGL_WARN, "jwks: keys past the first %d skipped",
			        JWK_SET_MAX_KEYS);
			break;
		}
		r = key_parse(jk, idx++, &set->keys[set->n]);
		if (r == KEY_NOMEM)
			goto out;
		if (r == KEY_OK)
			set->n++;
	}
	err = JWK_ERR_NO_KEYS;
	if (set->n == 0)
		goto out;
	*out = set;
	set = NULL;
	err = JWK_OK;
out:
	jwk_set_free(set);
	cJSON_Delete(doc);
	free(text);
	return err;
}
