/*
 * seal.c - AES-256-GCM sealed handles in base64url.
 */
#include "lib/jose/seal.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>

#include "lib/core/util.h"
#include "lib/jose/b64url.h"

#define NONCE_LEN 12 /* 96 bits: GCM's native nonce (SP 800-38D §8.2) */
#define TAG_LEN   16

/*
 * One AES-256-GCM pass over len bytes of in into out: encrypt and write the
 * tag into tag, or decrypt and check tag.  Returns 0, or -1 (a tag that
 * does not match, or a library failure).
 */
static int
gcm(bool enc, const unsigned char *key, const unsigned char *nonce, const void *aad, size_t aadlen,
    const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, rc = -1;

	if (ctx == NULL ||
	    EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, enc ? 1 : 0) != 1 ||
	    (aadlen > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1) ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
		goto out;
	/* Decrypting, the final step is where the tag is checked. */
	if (EVP_CipherFinal_ex(ctx, out + n, &n) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int
seal(const unsigned char key[SEAL_KEY_LEN], const void *aad, size_t aadlen, const void *plain,
     size_t len, char *out, size_t outcap)
{
	unsigned char buf[NONCE_LEN + SEAL_PLAIN_MAX + TAG_LEN];

	if (len > SEAL_PLAIN_MAX || outcap < SEAL_TEXT_LEN(len) + 1 ||
	    util_random(buf, NONCE_LEN) != 0)
		return -1;
	if (gcm(true, key, buf, aad, aadlen, plain, len, buf + NONCE_LEN, buf + NONCE_LEN + len) !=
	    0)
		return -1;
	return b64url_encode(buf, NONCE_LEN + len + TAG_LEN, out, outcap) == (size_t)-1 ? -1 : 0;
}

int
unseal(const unsigned char key[SEAL_KEY_LEN], const void *aad, size_t aadlen, const char *text,
       void *plain, size_t len)
{
	unsigned char buf[NONCE_LEN + SEAL_PLAIN_MAX + TAG_LEN], out[SEAL_PLAIN_MAX];
	size_t got = 0;

	/* The length first: nothing of another shape reaches the cipher. */
	if (len > SEAL_PLAIN_MAX || text == NULL || strlen(text) != SEAL_TEXT_LEN(len) ||
	    b64url_decode(text, strlen(text), buf, sizeof(buf), &got) != 0 ||
	    got != NONCE_LEN + len + TAG_LEN)
		return -1;
	if (gcm(false, key, buf, aad, aadlen, buf + NONCE_LEN, len, out, buf + NONCE_LEN + len) !=
	    0)
		return -1;
	memcpy(plain, out, len);
	return 0;
}
