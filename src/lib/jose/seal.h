/*
 * seal.h - small values sealed for a round trip through a client: opaque
 * handles (a list cursor) that reveal nothing and that nobody can forge or
 * move to another context.
 *
 * AES-256-GCM (NIST SP 800-38D) with a random 96-bit nonce per seal; the
 * context (for instance the owner a cursor belongs to) is bound as
 * additional authenticated data, so a handle opens only in the context it
 * was sealed for.  The text form is base64url (RFC 4648 §5).
 */
#ifndef JOSE_SEAL_H
#define JOSE_SEAL_H

#include <stddef.h>

#define SEAL_KEY_LEN   32
#define SEAL_PLAIN_MAX 64
/* Text length of a sealed value of n bytes: base64url of nonce, data and tag. */
#define SEAL_TEXT_LEN(n) ((((12 + (n) + 16) * 4) + 2) / 3)

/*
 * Seals the len bytes of plain (at most SEAL_PLAIN_MAX) under key, bound to
 * the aadlen bytes of aad (NULL allowed when aadlen is 0), into out as a
 * NUL-terminated base64url text of SEAL_TEXT_LEN(len) characters (outcap
 * must hold it and the NUL).  Returns 0, or -1 (no randomness, out too small).
 */
int seal(const unsigned char key[SEAL_KEY_LEN], const void *aad, size_t aadlen, const void *plain,
         size_t len, char *out, size_t outcap);

/*
 * Opens text (NUL-terminated) sealed under key for aad: on success writes
 * the len bytes sealed into plain and returns 0; returns -1, writing
 * nothing, for any text that was not sealed by seal() with this key, this
 * aad and this length (altered, truncated, foreign, forged).
 */
int unseal(const unsigned char key[SEAL_KEY_LEN], const void *aad, size_t aadlen, const char *text,
           void *plain, size_t len);

#endif /* JOSE_SEAL_H */
