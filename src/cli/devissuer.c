/*
 * devissuer.c - development issuer keys: generated or loaded from a private
 * PEM file, saved without ever being readable by others, exported as PEM,
 * DER and a public JWK Set (RFC 7517 §5) whose kid is the key's RFC 7638
 * thumbprint.  Signing with them is devmint.c's.
 */
#include "cli/devissuer.h"

#include "cli/devissuer_key.h"
#include "lib/core/util.h"
#include "lib/jose/b64url.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEVISSUER_RSA_BITS 2048

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
static void
jwk_params_add(const struct devissuer_key *key, cJSON *o)
{
	if (key->jkty == JWA_KTY_RSA) {
		cJSON_AddStringToObject(o, "n", key->m1);
		cJSON_AddStringToObject(o, "e", key->m2);
		return;
	}
	cJSON_AddStringToObject(o, "crv", key->jkty == JWA_KTY_EC_P256 ? "P-256" : "P-384");
	cJSON_AddStringToObject(o, "x", key->m1);
	cJSON_AddStringToObject(o, "y", key->m2);
}

/* The "kty" of key (RFC 7518 §6.1). */
static const char *
kty_name(const struct devissuer_key *key)
{
	return key->jkty == JWA_KTY_RSA ? "RSA" : "EC";
}

/*
 * Derives the kid as the RFC 7638 thumbprint by running the public JWK
 * through the verifier's own parser: one thumbprint code path, and a check
 * that the resource server will accept this key.  Returns 0 or -1 with e
 * set.
 */
static int
kid_derive(struct devissuer_key *key, struct err *e)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "keys");
	cJSON *o = cJSON_CreateObject();
	struct jwk_set *set = NULL;
	char *text;
	int rc;

	cJSON_AddItemToArray(arr, o);
	cJSON_AddStringToObject(o, "kty", kty_name(key));
	jwk_params_add(key, o);
	text = cJSON_PrintUnformatted(doc);
	rc = jwk_set_parse(text, strlen(text), &set, NULL);
	if (rc == 0)
		memcpy(key->kid, jwk_thumbprint(jwk_set_get(set, 0)), sizeof(key->kid));
	else
		err_set(e, ERR_INVALID, "%s", DEVISSUER_MSG_KEY);
	jwk_set_free(set);
	free(text);
	cJSON_Delete(doc);
	return rc;
}

/*
 * Sets the key type, default algorithm and public members of key from its
 * pkey.  Returns 0, or -1 when the key is neither RSA >= 2048 bits nor EC
 * P-256/P-384.
 */
static int
key_describe(struct devissuer_key *key)
{
	EVP_PKEY *pkey = key->pkey;
	char group[32] = "";
	bool p256;

	if (EVP_PKEY_is_a(pkey, "RSA") && EVP_PKEY_get_bits(pkey) >= JWK_RSA_MIN_BITS) {
		key->jkty = JWA_KTY_RSA;
		key->alg = JWA_RS256;
		key->m1 = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
		key->m2 = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
		return key->m1 != NULL && key->m2 != NULL ? 0 : -1;
	}
	if (!EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   NULL) != 1 ||
	    (strcmp(group, "prime256v1") != 0 && strcmp(group, "secp384r1") != 0))
		return -1;
	p256 = strcmp(group, "prime256v1") == 0;
	key->jkty = p256 ? JWA_KTY_EC_P256 : JWA_KTY_EC_P384;
	key->alg = p256 ? JWA_ES256 : JWA_ES384;
	key->m1 = bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_X, jwa_coord_len(key->jkty));
	key->m2 = bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, jwa_coord_len(key->jkty));
	return key->m1 != NULL && key->m2 != NULL ? 0 : -1;
}

/*
 * Wraps pkey (ownership taken, freed on failure) into a new key: checks its
 * type and size, exports its public members, derives the kid.
 */
static int
key_wrap(EVP_PKEY *pkey, struct devissuer_key **out, struct err *e)
{
	struct devissuer_key *key = xcalloc(1, sizeof(*key));

	*out = NULL;
	key->pkey = pkey;
	if (key_describe(key) != 0) {
		devissuer_key_free(key);
		return err_set(e, ERR_INVALID, "%s", DEVISSUER_MSG_KEY);
	}
	if (kid_derive(key, e) != 0) {
		devissuer_key_free(key);
		return -1;
	}
	*out = key;
	return 0;
}

/*
 * RSA 2048 is the smallest modulus the verifier accepts (NIST SP 800-131A);
 * P-256 (ES256) is the curve every JOSE implementation supports.
 */
int
devissuer_key_generate(enum devissuer_kty kty, struct devissuer_key **out, struct err *e)
{
	EVP_PKEY *pkey = NULL;

	*out = NULL;
	if (kty == DEVISSUER_KEY_RSA)
		pkey = EVP_RSA_gen(DEVISSUER_RSA_BITS);
	else if (kty == DEVISSUER_KEY_EC)
		pkey = EVP_EC_gen("P-256");
	else
		return err_set(e, ERR_INVALID, "%s: key type %d", DEVISSUER_MSG_ARG, (int)kty);
	if (pkey == NULL) {
		ERR_clear_error();
		return err_set(e, ERR_SYSTEM, "%s: key generation", DEVISSUER_MSG_CRYPTO);
	}
	return key_wrap(pkey, out, e);
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

enum jwa_alg
devissuer_key_alg(const struct devissuer_key *key)
{
	return key->alg;
}

/* The verifier's own table (jwa_kty), so both sides agree on every alg. */
bool
devissuer_key_alg_fits(const struct devissuer_key *key, enum jwa_alg alg)
{
	return (unsigned)alg < JWA__MAX && jwa_kty(alg) == key->jkty;
}

/* The JWK "alg" then names this algorithm, which the verifier enforces. */
int
devissuer_key_alg_set(struct devissuer_key *key, enum jwa_alg alg, struct err *e)
{
	if (!devissuer_key_alg_fits(key, alg))
		return err_set(e, ERR_INVALID, "%s: %s does not fit the key", DEVISSUER_MSG_ARG,
		               jwa_name(alg));
	key->alg = alg;
	return 0;
}

/* Copies the contents of a memory BIO into a new NUL-terminated buffer. */
static char *
bio_take(BIO *bio, size_t *len)
{
	char *data = NULL, *out;
	long n = BIO_get_mem_data(bio, &data);

	if (n < 0)
		n = 0;
	out = xmalloc((size_t)n + 1);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	return out;
}

/*
 * The key as PEM into *out (NUL-terminated, length in *len when len is not
 * NULL): the private key as PKCS#8 without encryption, through a
 * secure-memory BIO that wipes its buffer when freed, or the public key as
 * SubjectPublicKeyInfo.  Returns 0, or -1 with e.
 */
static int
pem_export(const struct devissuer_key *key, bool private, char **out, size_t *len, struct err *e)
{
	BIO *bio = BIO_new(private ? BIO_s_secmem() : BIO_s_mem());
	int rc = -1, ok;

	*out = NULL;
	ok = bio != NULL &&
	     (private ? PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL)
	              : PEM_write_bio_PUBKEY(bio, key->pkey)) == 1;
	if (!ok)
		err_set(e, ERR_SYSTEM, "%s: %s key PEM", DEVISSUER_MSG_CRYPTO,
		        private ? "private" : "public");
	else {
		*out = bio_take(bio, len);
		rc = 0;
	}
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

/* PKCS#8 without encryption: the file's 0600 mode is the protection. */
int
devissuer_key_private_pem(const struct devissuer_key *key, char **out, size_t *len, struct err *e)
{
	return pem_export(key, true, out, len, e);
}

/* SubjectPublicKeyInfo PEM, as an HMAC-confusion attacker would use it. */
int
devissuer_key_public_pem(const struct devissuer_key *key, char **out, struct err *e)
{
	return pem_export(key, false, out, NULL, e);
}

/* The same key as DER, the other common form of that attack. */
int
devissuer_key_public_der(const struct devissuer_key *key, unsigned char **out, size_t *len,
                         struct err *e)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key->pkey, &der);

	*out = NULL;
	if (n <= 0) {
		ERR_clear_error();
		return err_set(e, ERR_SYSTEM, "%s: public key DER", DEVISSUER_MSG_CRYPTO);
	}
	*out = xmalloc((size_t)n);
	memcpy(*out, der, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

/*
 * Created 0600 before any byte is written, so the key is never readable by
 * others, even briefly; synced before success is reported, so a key the
 * operator was told is saved survives a crash.
 */
int
devissuer_key_save(const struct devissuer_key *key, const char *path, struct err *e)
{
	char *pem = NULL;
	size_t len = 0;
	int fd, rc = -1;

	if (key == NULL || path == NULL || *path == '\0')
		return err_set(e, ERR_INVALID, "%s: no key or no path", DEVISSUER_MSG_ARG);
	if (devissuer_key_private_pem(key, &pem, &len, e) != 0)
		return -1;
	/* O_EXCL|O_NOFOLLOW: never follow a planted link, never clobber a key. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EEXIST || errno == ELOOP))
		err_set(e, ERR_SYSTEM, "%s", DEVISSUER_MSG_EXISTS);
	else if (fd < 0)
		err_set(e, ERR_SYSTEM, "%s: %s", DEVISSUER_MSG_IO, strerror(errno));
	else if (util_write_all(fd, pem, len) != 0 || fsync(fd) != 0)
		err_set(e, ERR_SYSTEM, "%s: %s", DEVISSUER_MSG_IO, strerror(errno));
	else
		rc = 0;
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		err_set(e, ERR_SYSTEM, "%s: %s", DEVISSUER_MSG_IO, strerror(errno));
		rc = -1;
	}
	/* A partly written key is no key: remove what this call created. */
	if (fd >= 0 && rc != 0)
		unlink(path);
	explicit_bzero(pem, len);
	free(pem);
	return rc;
}

/* Shared by the file loader and the tests; the PEM text stays the caller's. */
int
devissuer_key_from_pem(const char *pem, size_t len, struct devissuer_key **out, struct err *e)
{
	BIO *bio;
	EVP_PKEY *pkey;

	*out = NULL;
	if (pem == NULL || len == 0 || len > DEVISSUER_KEY_FILE_MAX)
		return err_set(e, ERR_INVALID, "%s: PEM text empty or too large",
		               DEVISSUER_MSG_ARG);
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return err_set(e, ERR_SYSTEM, "%s: memory BIO", DEVISSUER_MSG_CRYPTO);
	/* No password callback: an encrypted key is refused, not prompted for. */
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	ERR_clear_error();
	if (pkey == NULL)
		return err_set(e, ERR_INVALID, "%s", DEVISSUER_MSG_KEY);
	return key_wrap(pkey, out, e);
}

/*
 * Reads fd into buf (cap bytes) up to end of file or cap, retrying after
 * EINTR.  Returns the number of bytes read, or -1 with errno set.
 */
static ssize_t
read_upto(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len < cap) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	return (ssize_t)len;
}

/*
 * The file is read into a stack buffer one byte larger than the limit, so
 * an oversized file is detected without trusting st_size, and the buffer
 * is wiped before return.
 */
int
devissuer_key_load(const char *path, struct devissuer_key **out, struct err *e)
{
	char buf[DEVISSUER_KEY_FILE_MAX + 1];
	struct stat st;
	ssize_t len = 0;
	int fd, rc = -1;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return err_set(e, ERR_INVALID, "%s: no path", DEVISSUER_MSG_ARG);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0)
		err_set(e, ERR_SYSTEM, "%s: %s", DEVISSUER_MSG_IO, strerror(errno));
	/* Like ssh: a private key others may read is not trusted (or used). */
	else if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0)
		err_set(e, ERR_INVALID, "%s", DEVISSUER_MSG_PERM);
	else if ((len = read_upto(fd, buf, sizeof(buf))) < 0)
		err_set(e, ERR_SYSTEM, "%s: %s", DEVISSUER_MSG_IO, strerror(errno));
	else if (len > DEVISSUER_KEY_FILE_MAX)
		err_set(e, ERR_INVALID, "%s", DEVISSUER_MSG_KEY);
	else
		rc = devissuer_key_from_pem(buf, (size_t)len, out, e);
	if (fd >= 0)
		close(fd);
	explicit_bzero(buf, len > 0 ? (size_t)len : 0);
	return rc;
}

/*
 * Only public members are ever added (never "d", "p", "q"): the document is
 * served to anyone who asks for the JWKS.
 */
char *
devissuer_jwks_export(const struct devissuer_key *const *keys, size_t n)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "keys");
	char *out;

	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, o);
		/* Member order as RFC 7517 Appendix A shows it; order carries no meaning. */
		cJSON_AddStringToObject(o, "kty", kty_name(keys[i]));
		cJSON_AddStringToObject(o, "kid", keys[i]->kid);
		cJSON_AddStringToObject(o, "use", "sig");
		cJSON_AddStringToObject(o, "alg", jwa_name(keys[i]->alg));
		jwk_params_add(keys[i], o);
	}
	out = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return out;
}
