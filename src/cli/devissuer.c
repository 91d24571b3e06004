/*
 * devissuer.c - development issuer: key files, public JWKS, token minting.
 */
#include "cli/devissuer.h"

#include "lib/b64url.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

#define DEVISSUER_RSA_BITS 2048

struct devissuer_key {
	EVP_PKEY *pkey;
	enum devissuer_kty kty;
	enum jwk_kty jkty; /* RSA, P-256 or P-384 */
	enum jwk_alg alg;  /* named in the JWK and used by default */
	char *m1, *m2;     /* base64url n and e (RSA) or x and y (EC) */
	char kid[JWK_THUMBPRINT_LEN + 1];
};

static const char *const devissuer_err_names[DEVISSUER_ERR__MAX] = {
    [DEVISSUER_OK] = "ok",
    [DEVISSUER_ERR_ARG] = "invalid argument",
    [DEVISSUER_ERR_EXISTS] = "key file already exists",
    [DEVISSUER_ERR_IO] = "cannot read or write key file",
    [DEVISSUER_ERR_PERM] = "key file is not a private regular file",
    [DEVISSUER_ERR_KEY] = "not a usable RSA (>= 2048 bits) or EC P-256/P-384 private key",
    [DEVISSUER_ERR_JSON] = "invalid JSON",
    [DEVISSUER_ERR_CRYPTO] = "signing failed",
    [DEVISSUER_ERR_NOMEM] = "out of memory",
};

/* Fixed text for the operator CLI's messages. */
const char *
devissuer_strerror(enum devissuer_err err)
{
	if ((unsigned)err >= DEVISSUER_ERR__MAX)
		return "unknown devissuer error";
	return devissuer_err_names[err];
}

/* base64url of the big-number parameter name of pkey, padded to pad bytes. */
static char *
bn_param_b64(const EVP_PKEY *pkey, const char *name, size_t pad)
{
	BIGNUM *bn = NULL;
	unsigned char buf[2048];
	char *s = NULL;
	int len;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return NULL;
	/* RFC 7518 §6.2.1.2: EC coordinates keep their full length. */
	len = pad > 0 ? (int)pad : BN_num_bytes(bn);
	if (len > 0 && (size_t)len <= sizeof(buf) && BN_bn2binpad(bn, buf, len) == len)
		s = b64url_encode_alloc(buf, (size_t)len);
	BN_free(bn);
	return s;
}

/* Adds the key-type parameters (RFC 7518 §6.2.1, §6.3.1) of key to the JWK o. */
static int
jwk_params_add(const struct devissuer_key *key, cJSON *o)
{
	bool p256 = key->jkty == JWK_KTY_EC_P256;

	if (key->jkty == JWK_KTY_RSA) {
		if (cJSON_AddStringToObject(o, "n", key->m1) == NULL ||
		    cJSON_AddStringToObject(o, "e", key->m2) == NULL)
			return -1;
		return 0;
	}
	if (cJSON_AddStringToObject(o, "crv", p256 ? "P-256" : "P-384") == NULL ||
	    cJSON_AddStringToObject(o, "x", key->m1) == NULL ||
	    cJSON_AddStringToObject(o, "y", key->m2) == NULL)
		return -1;
	return 0;
}

/* The "kty" of key (RFC 7518 §6.1). */
static const char *
kty_name(const struct devissuer_key *key)
{
	return key->jkty == JWK_KTY_RSA ? "RSA" : "EC";
}

/*
 * Derives the kid as the RFC 7638 thumbprint by running the public JWK
 * through the verifier's own parser: one thumbprint code path, and a check
 * that the resource server will accept this key.
 */
static enum devissuer_err
kid_derive(struct devissuer_key *key)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "keys");
	cJSON *o = cJSON_CreateObject();
	struct jwk_set *set = NULL;
	char *text = NULL;
	enum devissuer_err err = DEVISSUER_ERR_NOMEM;

	if (doc == NULL || arr == NULL || o == NULL) {
		cJSON_Delete(o);
		goto out;
	}
	cJSON_AddItemToArray(arr, o);
	if (cJSON_AddStringToObject(o, "kty", kty_name(key)) == NULL ||
	    jwk_params_add(key, o) != 0 || (text = cJSON_PrintUnformatted(doc)) == NULL)
		goto out;
	err = DEVISSUER_ERR_KEY;
	if (jwk_set_parse(text, strlen(text), &set) != JWK_OK)
		goto out;
	memcpy(key->kid, jwk_thumbprint(jwk_set_get(set, 0)), sizeof(key->kid));
	err = DEVISSUER_OK;
out:
	jwk_set_free(set);
	free(text);
	cJSON_Delete(doc);
	return err;
}

/*
 * Wraps pkey (ownership taken, freed on failure) into a new key: checks its
 * type and size, exports its public members, derives the kid.
 */
static enum devissuer_err
key_wrap(EVP_PKEY *pkey, struct devissuer_key **out)
{
	struct devissuer_key *key = NULL;
	char group[32] = "";
	enum devissuer_err err = DEVISSUER_ERR_KEY;

	*out = NULL;
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		EVP_PKEY_free(pkey);
		return DEVISSUER_ERR_NOMEM;
	}
	key->pkey = pkey;
	if (EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= JWK_RSA_MIN_BITS) {
		key->kty = DEVISSUER_KEY_RSA;
		key->jkty = JWK_KTY_RSA;
		key->alg = JWK_ALG_RS256;
		key->m1 = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
		key->m2 = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
	} else if (EVP_PKEY_is_a(pkey, "EC") &&
	           EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
	                                          sizeof(group), NULL) == 1 &&
	           (strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0)) {
		bool p256 = strcmp(group, "prime256v1") == 0;
		key->kty = DEVISSUER_KEY_EC;
		key->jkty = p256 ? JWK_KTY_EC_P256 : JWK_KTY_EC_P384;
		key->alg = p256 ? JWK_ALG_ES256 : JWK_ALG_ES384;
		key->m1 = bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_X, p256 ? 32 : 48);
		key->m2 = bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, p256 ? 32 : 48);
	} else {
		goto out;
	}
	if (key->m1 == NULL || key->m2 == NULL || (err = kid_derive(key)) != DEVISSUER_OK)
		goto out;
	*out = key;
	key = NULL;
out:
	devissuer_key_free(key);
	return err;
}

/*
 * RSA 2048 is the smallest modulus the verifier accepts (NIST SP 800-131A);
 * P-256 (ES256) is the curve every JOSE implementation supports.
 */
enum devissuer_err
devissuer_key_generate(enum devissuer_kty kty, struct devissuer_key **out)
{
	EVP_PKEY *pkey = NULL;

	*out = NULL;
	if (kty == DEVISSUER_KEY_RSA)
		pkey = EVP_RSA_gen(DEVISSUER_RSA_BITS);
	else if (kty == DEVISSUER_KEY_EC)
		pkey = EVP_EC_gen("P-256");
	else
		return DEVISSUER_ERR_ARG;
	if (pkey == NULL) {
		ERR_clear_error();
		return DEVISSUER_ERR_CRYPTO;
	}
	return key_wrap(pkey, out);
}

/* The private key never leaves the EVP_PKEY, which cleans up after itself. */
void
devissuer_key_free(struct devissuer_key *key)
{
	if (key == NULL)
		return;
	/* EVP_PKEY_free clears the private key material (OPENSSL_clear_free). */
	EVP_PKEY_free(key->pkey);
	free(key->m1);
	free(key->m2);
	free(key);
}

/* Accessors; the kid is fixed when the key is wrapped. */
const char *
devissuer_key_kid(const struct devissuer_key *key)
{
	return key->kid;
}

enum devissuer_kty
devissuer_key_kty(const struct devissuer_key *key)
{
	return key->kty;
}

enum jwk_alg
devissuer_key_alg(const struct devissuer_key *key)
{
	return key->alg;
}

/* True when alg may sign with a key of type jkty (RFC 7518 §3.1). */
static bool
alg_fits(enum jwk_kty jkty, enum jwk_alg alg)
{
	switch (alg) {
	case JWK_ALG_ES256:
		return jkty == JWK_KTY_EC_P256;
	case JWK_ALG_ES384:
		return jkty == JWK_KTY_EC_P384;
	default:
		return (unsigned)alg < JWK_ALG__MAX && jkty == JWK_KTY_RSA;
	}
}

/* The JWK "alg" then names this algorithm, which the verifier enforces. */
int
devissuer_key_alg_set(struct devissuer_key *key, enum jwk_alg alg)
{
	if (!alg_fits(key->jkty, alg))
		return -1;
	key->alg = alg;
	return 0;
}

/*
 * Copies the contents of a memory BIO into a new NUL-terminated buffer.
 * Returns 0, or -1 on allocation failure.
 */
static int
bio_take(BIO *bio, char **out, size_t *len)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);

	if (n < 0 || (*out = malloc((size_t)n + 1)) == NULL)
		return -1;
	memcpy(*out, data, (size_t)n);
	(*out)[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	return 0;
}

/* PKCS#8 without encryption: the file's 0600 mode is the protection. */
enum devissuer_err
devissuer_key_private_pem(const struct devissuer_key *key, char **out, size_t *len)
{
	/* The secure-memory BIO wipes its buffer when freed. */
	BIO *bio = BIO_new(BIO_s_secmem());
	enum devissuer_err err = DEVISSUER_ERR_NOMEM;

	*out = NULL;
	if (bio == NULL)
		goto out;
	if (PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		err = DEVISSUER_ERR_CRYPTO;
		goto out;
	}
	if (bio_take(bio, out, len) == 0)
		err = DEVISSUER_OK;
out:
	BIO_free(bio);
	ERR_clear_error();
	return err;
}

/* SubjectPublicKeyInfo PEM, as an HMAC-confusion attacker would use it. */
enum devissuer_err
devissuer_key_public_pem(const struct devissuer_key *key, char **out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	enum devissuer_err err = DEVISSUER_ERR_NOMEM;

	*out = NULL;
	if (bio == NULL)
		goto out;
	if (PEM_write_bio_PUBKEY(bio, key->pkey) != 1) {
		err = DEVISSUER_ERR_CRYPTO;
		goto out;
	}
	if (bio_take(bio, out, NULL) == 0)
		err = DEVISSUER_OK;
out:
	BIO_free(bio);
	return err;
}

/* The same key as DER, the other common form of that attack. */
enum devissuer_err
devissuer_key_public_der(const struct devissuer_key *key, unsigned char **out, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key->pkey, &der);

	*out = NULL;
	if (n <= 0)
		return DEVISSUER_ERR_CRYPTO;
	if ((*out = malloc((size_t)n)) != NULL) {
		memcpy(*out, der, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_free(der);
	return *out == NULL ? DEVISSUER_ERR_NOMEM : DEVISSUER_OK;
}

/* Writes len bytes of buf to fd, retrying short writes.  Returns 0 or -1. */
static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Created 0600 before any byte is written, so the key is never readable by
 * others, even briefly; synced before success is reported, so a key the
 * operator was told is saved survives a crash.
 */
enum devissuer_err
devissuer_key_save(const struct devissuer_key *key, const char *path)
{
	char *pem = NULL;
	size_t len = 0;
	int fd = -1;
	enum devissuer_err err;

	if (key == NULL || path == NULL || *path == '\0')
		return DEVISSUER_ERR_ARG;
	if ((err = devissuer_key_private_pem(key, &pem, &len)) != DEVISSUER_OK)
		return err;
	/* O_EXCL|O_NOFOLLOW: never follow a planted link, never clobber a key. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno == EEXIST || errno == ELOOP ? DEVISSUER_ERR_EXISTS : DEVISSUER_ERR_IO;
		goto out;
	}
	err = DEVISSUER_ERR_IO;
	if (write_all(fd, pem, len) != 0 || fsync(fd) != 0) {
		close(fd);
		fd = -1;
		unlink(path);
		goto out;
	}
	err = DEVISSUER_OK;
out:
	if (fd >= 0 && close(fd) != 0 && err == DEVISSUER_OK) {
		unlink(path);
		err = DEVISSUER_ERR_IO;
	}
	explicit_bzero(pem, len);
	free(pem);
	return err;
}

/* Shared by the file loader and the tests; the PEM text stays the caller's. */
enum devissuer_err
devissuer_key_from_pem(const char *pem, size_t len, struct devissuer_key **out)
{
	BIO *bio;
	EVP_PKEY *pkey;

	*out = NULL;
	if (pem == NULL || len == 0 || len > DEVISSUER_KEY_FILE_MAX)
		return DEVISSUER_ERR_ARG;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return DEVISSUER_ERR_NOMEM;
	/* No password callback: an encrypted key is refused, not prompted for. */
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	ERR_clear_error();
	if (pkey == NULL)
		return DEVISSUER_ERR_KEY;
	return key_wrap(pkey, out);
}

/*
 * The file is read into a stack buffer one byte larger than the limit, so
 * an oversized file is detected without trusting st_size, and the buffer
 * is wiped before return.
 */
enum devissuer_err
devissuer_key_load(const char *path, struct devissuer_key **out)
{
	char buf[DEVISSUER_KEY_FILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	int fd = -1;
	enum devissuer_err err = DEVISSUER_ERR_IO;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return DEVISSUER_ERR_ARG;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		goto out;
	if (fstat(fd, &st) != 0)
		goto out;
	/* Like ssh: a private key others may read is not trusted (or used). */
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		err = DEVISSUER_ERR_PERM;
		goto out;
	}
	while (len < sizeof(buf)) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	err = len > DEVISSUER_KEY_FILE_MAX ? DEVISSUER_ERR_KEY
	                                   : devissuer_key_from_pem(buf, len, out);
out:
	if (fd >= 0)
		close(fd);
	explicit_bzero(buf, len);
	return err;
}

/*
 * Only public members are ever added (never "d", "p", "q"): the document is
 * served to anyone who asks for the JWKS.
 */
enum devissuer_err
devissuer_jwks_export(const struct devissuer_key *const *keys, size_t n, char **out)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "keys");
	enum devissuer_err err = DEVISSUER_ERR_NOMEM;

	*out = NULL;
	if (doc == NULL || arr == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		if (o == NULL)
			goto out;
		cJSON_AddItemToArray(arr, o);
		/* Member order as RFC 7517 Appendix A shows it; order carries no meaning. */
		if (cJSON_AddStringToObject(o, "kty", kty_name(keys[i])) == NULL ||
		    cJSON_AddStringToObject(o, "kid", keys[i]->kid) == NULL ||
		    cJSON_AddStringToObject(o, "use", "sig") == NULL ||
		    cJSON_AddStringToObject(o, "alg", jwk_alg_name(keys[i]->alg)) == NULL ||
		    jwk_params_add(keys[i], o) != 0)
			goto out;
	}
	if ((*out = cJSON_PrintUnformatted(doc)) != NULL)
		err = DEVISSUER_OK;
out:
	cJSON_Delete(doc);
	return err;
}

/* The digest of a JWS algorithm (RFC 7518 §3.1). */
static const EVP_MD *
alg_md(enum jwk_alg alg)
{
	switch (alg) {
	case JWK_ALG_RS384:
	case JWK_ALG_PS384:
	case JWK_ALG_ES384:
		return EVP_sha384();
	case JWK_ALG_RS512:
	case JWK_ALG_PS512:
		return EVP_sha512();
	default:
		return EVP_sha256();
	}
}

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
	if (mdctx == NULL || EVP_DigestSignInit(mdctx, &pctx, alg_md(alg), NULL, key->pkey) != 1)
		goto out;
	if (alg == JWK_ALG_PS256 || alg == JWK_ALG_PS384 || alg == JWK_ALG_PS512) {
		/* RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash. */
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
			goto out;
	}
	if (EVP_DigestSign(mdctx, NULL, &len, (const unsigned char *)msg, msglen) != 1 ||
	    (buf = malloc(len)) == NULL ||
	    EVP_DigestSign(mdctx, buf, &len, (const unsigned char *)msg, msglen) != 1)
		goto out;
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
	if (key == NULL || header_json == NULL || payload_json == NULL || !alg_fits(key->jkty, alg))
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
	if (!alg_fits(key->jkty, alg))
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
