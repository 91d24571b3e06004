/*
 * devissuer.c - development issuer keys: generated or loaded from a private
 * PEM file, saved without ever being readable by others, exported as PEM,
 * DER and a public JWK Set (RFC 7517 §5) whose kid is the key's RFC 7638
 * thumbprint.  Signing with them is devmint.c's.
 */
#include "cli/devissuer.h"

#include "cli/devissuer_key.h"
#include "lib/jose/b64url.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEVISSUER_RSA_BITS 2048

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

/* The same table the verifier's jwk_alg_fits applies (RFC 7518 §3.1). */
bool
devissuer_key_alg_fits(const struct devissuer_key *key, enum jwk_alg alg)
{
	switch (alg) {
	case JWK_ALG_ES256:
		return key->jkty == JWK_KTY_EC_P256;
	case JWK_ALG_ES384:
		return key->jkty == JWK_KTY_EC_P384;
	default:
		return (unsigned)alg < JWK_ALG__MAX && key->jkty == JWK_KTY_RSA;
	}
}

/* The JWK "alg" then names this algorithm, which the verifier enforces. */
int
devissuer_key_alg_set(struct devissuer_key *key, enum jwk_alg alg)
{
	if (!devissuer_key_alg_fits(key, alg))
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
