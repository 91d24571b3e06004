/*
 * jwk_import.c - a JWKS document (RFC 7517 §5) turned into OpenSSL public
 * keys, and the set's lifetime: the document caps, RSA from n and e (RFC
 * 7518 §6.3.1), EC from crv, x and y (§6.2.1) with the point checked on its
 * curve, each with its RFC 7638 thumbprint; jwk_set_parse and jwk_set_free.
 * All the parsing work happens here, once per document, so that jwk.c's
 * verification path does no JSON or key-building work.
 */
/* RSA, EC_KEY and SHA256_*: see jwk.c on why not EVP. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "lib/jose/jwk.h"

#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/b64url.h"
#include "lib/jose/internal/jwk_set.h"

#include <cJSON.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
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

	if (s == NULL || *s == '\0' || b64url_decode_alloc(s, strlen(s), &buf, len) != 0)
		return NULL;
	return buf;
}

/* Writes the RFC 7638 thumbprint of the canonical JSON text into k->thumb. */
static int
thumbprint_set(struct jwk *k, const char *canon)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_CTX c;

	if (SHA256_Init(&c) != 1 || SHA256_Update(&c, canon, strlen(canon)) != 1 ||
	    SHA256_Final(md, &c) != 1)
		return -1;
	if (b64url_encode(md, sizeof(md), k->thumb, sizeof(k->thumb)) != JWK_THUMBPRINT_LEN)
		return -1;
	return 0;
}

/*
 * Decodes "n" and "e" (RFC 7518 §6.3.1) into new numbers *n and *e and
 * checks their sizes.  Returns NULL, or the reason the key is unusable
 * (*n and *e then NULL).
 */
static const char *
rsa_numbers(const cJSON *jk, BIGNUM **n, BIGNUM **e)
{
	size_t nlen = 0, elen = 0;
	unsigned char *nb = member_bytes(jk, JWK_M_N, &nlen);
	unsigned char *eb = member_bytes(jk, JWK_M_E, &elen);
	const char *why = NULL;
	int bits;

	*n = *e = NULL;
	if (nb == NULL || eb == NULL) {
		why = "n or e missing or not base64url";
		goto out;
	}
	*n = BN_bin2bn(nb, (int)nlen, NULL);
	*e = BN_bin2bn(eb, (int)elen, NULL);
	if (*n == NULL || *e == NULL) {
		why = "cannot build RSA numbers";
		goto out;
	}
	bits = BN_num_bits(*n);
	if (bits < JWK_RSA_MIN_BITS || bits > JWK_RSA_MAX_BITS)
		why = "RSA modulus size outside 2048..16384 bits";
	else if (BN_num_bytes(*e) > JWK_RSA_MAX_E_BYTES || !BN_is_odd(*e) || BN_is_one(*e))
		why = "RSA public exponent invalid";
out:
	if (why != NULL) {
		BN_free(*n);
		BN_free(*e);
		*n = *e = NULL;
	}
	free(nb);
	free(eb);
	return why;
}

/* base64url of the minimal big-endian form of bn, in a new string (free()). */
static char *
bn_b64(const BIGNUM *bn)
{
	size_t len = (size_t)BN_num_bytes(bn);
	unsigned char *buf = xmalloc(len > 0 ? len : 1);
	char *s;

	BN_bn2bin(bn, buf);
	s = b64url_encode_alloc(buf, len);
	free(buf);
	return s;
}

/*
 * Builds an RSA public key from "n" and "e" (RFC 7518 §6.3.1) into k.
 * Returns NULL, or the reason the key is unusable (k->rsa then NULL).
 */
static const char *
rsa_build(const cJSON *jk, struct jwk *k)
{
	BIGNUM *n = NULL, *e = NULL;
	char *n64 = NULL, *e64 = NULL, canon[4096];
	const char *why;

	if ((why = rsa_numbers(jk, &n, &e)) != NULL)
		return why;
	/*
	 * RFC 7638 §3.2: the thumbprint hashes the members in their canonical
	 * form, so a modulus sent with a leading zero octet is re-encoded.
	 */
	n64 = bn_b64(n);
	e64 = bn_b64(e);
	if (n64 != NULL && e64 != NULL)
		snprintf(canon, sizeof(canon), "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e64,
		         n64);
	if (n64 == NULL || e64 == NULL || thumbprint_set(k, canon) != 0)
		why = "cannot compute thumbprint";
	else if ((k->rsa = RSA_new()) == NULL || RSA_set0_key(k->rsa, n, e, NULL) != 1)
		why = "OpenSSL refused the RSA key";
	else
		n = e = NULL; /* owned by k->rsa now */
	k->kty = JWA_KTY_RSA;
	if (why != NULL) {
		RSA_free(k->rsa);
		k->rsa = NULL;
	}
	free(n64);
	free(e64);
	BN_free(n);
	BN_free(e);
	return why;
}

/* Sets k->kty from "crv" (RFC 7518 §6.2.1.1); returns the curve's NID, or NID_undef. */
static int
ec_group(const char *crv, struct jwk *k)
{
	if (crv != NULL && strcmp(crv, "P-256") == 0) {
		k->kty = JWA_KTY_EC_P256;
		return NID_X9_62_prime256v1;
	}
	if (crv != NULL && strcmp(crv, "P-384") == 0) {
		k->kty = JWA_KTY_EC_P384;
		return NID_secp384r1;
	}
	return NID_undef;
}

/*
 * Builds k->ec from the coordinates x and y (clen bytes each) on curve nid
 * and checks the point is a valid public key of the curve (on it, not at
 * infinity, of the group's order: an invalid-curve point would leak nothing
 * for verification, but it is certainly not the issuer's key).  Returns
 * NULL, or the reason the key is unusable.
 */
static const char *
ec_key(struct jwk *k, int nid, const unsigned char *x, const unsigned char *y, size_t clen)
{
	BIGNUM *bx = BN_bin2bn(x, (int)clen, NULL), *by = BN_bin2bn(y, (int)clen, NULL);
	const char *why = NULL;

	if (bx == NULL || by == NULL || (k->ec = EC_KEY_new_by_curve_name(nid)) == NULL)
		why = "cannot build the EC key";
	/* Refuses coordinates out of the field and points off the curve; then the full check. */
	else if (EC_KEY_set_public_key_affine_coordinates(k->ec, bx, by) != 1 ||
	         EC_KEY_check_key(k->ec) != 1)
		why = "point not on the curve";
	BN_free(bx);
	BN_free(by);
	return why;
}

/*
 * Builds an EC public key from "crv", "x", "y" (RFC 7518 §6.2.1) into k.
 * Returns NULL, or the reason the key is unusable (k->ec then NULL).
 */
static const char *
ec_build(const cJSON *jk, struct jwk *k)
{
	unsigned char *x = NULL, *y = NULL;
	size_t xlen = 0, ylen = 0, clen;
	bool bad = false;
	const char *crv = member_str(jk, JWK_M_CRV, &bad), *why = NULL;
	char canon[512];
	int nid;

	if ((nid = ec_group(crv, k)) == NID_undef)
		return "crv missing or not P-256/P-384";
	clen = jwa_coord_len(k->kty);
	x = member_bytes(jk, JWK_M_X, &xlen);
	y = member_bytes(jk, JWK_M_Y, &ylen);
	/* RFC 7518 §6.2.1.2-3: each coordinate is the full size of the field. */
	if (x == NULL || y == NULL || xlen != clen || ylen != clen) {
		why = "x or y missing, not base64url or of the wrong length";
		goto out;
	}
	if ((why = ec_key(k, nid, x, y, clen)) != NULL)
		goto out;
	/* The strict decoder accepts one encoding only, so x and y are canonical. */
	snprintf(canon, sizeof(canon), "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
	         crv, cJSON_GetObjectItemCaseSensitive(jk, JWK_M_X)->valuestring,
	         cJSON_GetObjectItemCaseSensitive(jk, JWK_M_Y)->valuestring);
	if (thumbprint_set(k, canon) != 0)
		why = "cannot compute thumbprint";
out:
	if (why != NULL) {
		EC_KEY_free(k->ec);
		k->ec = NULL;
	}
	free(x);
	free(y);
	return why;
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
 * Reads the members any JWK may carry: kid (*kid, borrowed from jk), use
 * and key_ops, kty (*kty, borrowed) and alg (into k).  Returns NULL, or the
 * reason the key is unusable.
 */
static const char *
key_members(const cJSON *jk, struct jwk *k, const char **kid, const char **kty)
{
	bool bad = false;
	const char *alg, *why;

	if (!cJSON_IsObject(jk))
		return "not a JSON object";
	*kid = member_str(jk, JWK_M_KID, &bad);
	if (bad || (*kid != NULL && strlen(*kid) > JWK_KID_MAX))
		return "kid is not a string of at most 256 characters";
	if ((why = purpose_check(jk)) != NULL)
		return why;
	*kty = member_str(jk, JWK_M_KTY, &bad);
	alg = member_str(jk, JWK_M_ALG, &bad);
	if (bad)
		return "kty or alg is not a string";
	if (alg != NULL) {
		/* An encryption or HMAC alg makes the key unusable for us. */
		if (jwa_parse(alg, &k->alg) != 0)
			return "alg is not an asymmetric signature algorithm";
		k->has_alg = true;
	}
	return NULL;
}

/* Builds the public key of type kty into k; returns NULL or the reason it is unusable. */
static const char *
key_build(const cJSON *jk, const char *kty, struct jwk *k)
{
	if (kty != NULL && strcmp(kty, "RSA") == 0)
		return rsa_build(jk, k);
	if (kty != NULL && strcmp(kty, "EC") == 0)
		return ec_build(jk, k);
	if (kty != NULL && strcmp(kty, "oct") == 0)
		return "symmetric (oct) key";
	return "kty missing or unknown";
}

/*
 * Parses one JWK into k (zeroed by the caller).  Returns true when the key
 * is usable, or false after logging one warning that names it (k zeroed).
 */
static bool
key_parse(const cJSON *jk, size_t idx, struct jwk *k)
{
	const char *kid = NULL, *kty = NULL, *why;

	why = key_members(jk, k, &kid, &kty);
	if (why == NULL)
		why = key_build(jk, kty, k);
	/* RFC 7517 §4.4: a key naming its own alg must be of the type it needs (RFC 7518 §3.1). */
	if (why == NULL && k->has_alg && jwa_kty(k->alg) != k->kty)
		why = "alg does not fit the key type";
	if (why == NULL) {
		k->kid = xstrdup_opt(kid);
		return true;
	}
	if (kid != NULL)
		log_msg(LOGL_WARN, "jwks: key \"%.64s\" skipped: %s", kid, why);
	else
		log_msg(LOGL_WARN, "jwks: key #%zu (no kid) skipped: %s", idx, why);
	RSA_free(k->rsa);
	EC_KEY_free(k->ec);
	memset(k, 0, sizeof(*k));
	return false;
}

/*
 * Builds a set from the "keys" array: each of at most JWK_SET_MAX_KEYS
 * entries is built or skipped on its own, so one bad key (a rotation in
 * progress, an encryption key) never hides the good ones.  Never NULL; the
 * set may hold no key.
 */
static struct jwk_set *
keys_import(const cJSON *keys)
{
	struct jwk_set *set = xcalloc(1, sizeof(*set));
	size_t cap = (size_t)cJSON_GetArraySize(keys), idx = 0;
	const cJSON *jk;

	cap = cap > JWK_SET_MAX_KEYS ? JWK_SET_MAX_KEYS : cap;
	set->keys = cap > 0 ? xcalloc(cap, sizeof(*set->keys)) : NULL;
	cJSON_ArrayForEach (jk, keys) {
		if (idx == JWK_SET_MAX_KEYS) {
			log_msg(LOGL_WARN, "jwks: keys past the first %d skipped",
			        JWK_SET_MAX_KEYS);
			break;
		}
		if (key_parse(jk, idx++, &set->keys[set->n]))
			set->n++;
	}
	return set;
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
 * parsing at all.  The text is copied so cJSON sees a NUL-terminated string
 * and trailing garbage is detected.  A kid shared by two keys is legal
 * (RFC 7517 §4.5) but makes lookups by kid ambiguous, so it is worth one
 * warning per document.
 */
int
jwk_set_parse(const char *json, size_t len, struct jwk_set **out, struct err *e)
{
	struct jwk_set *set = NULL;
	const cJSON *keys;
	cJSON *doc;
	char *text;

	*out = NULL;
	if (len > JWK_SET_MAX_BYTES)
		return err_set(e, ERR_TOO_LARGE, "%s", JWK_MSG_TOO_LARGE);
	/* A NUL inside the document would hide the rest of it from cJSON. */
	if (json == NULL || memchr(json, '\0', len) != NULL)
		return err_set(e, ERR_INVALID, "%s", JWK_MSG_JSON);
	text = xstrndup(json, len);
	doc = cJSON_ParseWithOpts(text, NULL, 1);
	free(text);
	keys = cJSON_GetObjectItemCaseSensitive(doc, JWK_M_KEYS);
	if (cJSON_IsObject(doc) && cJSON_IsArray(keys))
		set = keys_import(keys);
	cJSON_Delete(doc);
	if (set == NULL)
		return err_set(e, ERR_INVALID, "%s", JWK_MSG_JSON);
	/*
	 * A well-formed set whose keys are all unusable (each logged) is still
	 * the issuer's word: it comes back empty, so that a key removed from
	 * the JWKS stops verifying at the next refresh.
	 */
	dup_kids_warn(set);
	*out = set;
	return 0;
}

/* Public keys only: nothing secret to wipe. */
void
jwk_set_free(struct jwk_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		RSA_free(set->keys[i].rsa);
		EC_KEY_free(set->keys[i].ec);
		free(set->keys[i].kid);
	}
	free(set->keys);
	free(set);
}
