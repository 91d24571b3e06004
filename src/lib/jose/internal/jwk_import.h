/*
 * jwk_import.h - building a jwk_set from the text of a JWKS document
 * (RFC 7517 §5): each JWK (RFC 7518 §6) becomes an OpenSSL public key,
 * with its RFC 7638 thumbprint, or is skipped with one warning.
 *
 * An internal module of jwk: only jwk.c and jwk_import.c include this
 * header.  Callers outside src/lib use jwk.h, whose jwk_set_parse applies
 * the document caps and then calls jwk_import_set.  The layout of struct
 * jwk and struct jwk_set lives here because this module fills them and
 * jwk.c reads them (accessors, signature verification).
 */
#ifndef JWK_IMPORT_H
#define JWK_IMPORT_H

#include "lib/jose/jwk.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

/* One usable signing key; every member is set once, at import time. */
struct jwk {
	char *kid; /* NULL when the JWK had none */
	enum jwk_kty kty;
	bool has_alg;
	enum jwk_alg alg;
	EVP_PKEY *pkey; /* public key, built once at parse time */
	char thumb[JWK_THUMBPRINT_LEN + 1];
};

/* The usable keys of one document, in document order. */
struct jwk_set {
	struct jwk *keys; /* n entries; room for at most JWK_SET_MAX_KEYS */
	size_t n;
};

/*
 * Imports len bytes of JWKS text (not NUL-terminated, no NUL inside: the
 * caller has checked that, and len <= JWK_SET_MAX_BYTES).  At most
 * JWK_SET_MAX_KEYS entries are read; each unusable one is skipped with one
 * log_msg(LOGL_WARN, ...) line naming its kid or index.  json is borrowed.
 *
 * Returns JWK_OK with *out a new set (jwk_set_free), or an error with *out
 * untouched: JWK_ERR_JSON when the text is not an object with a "keys"
 * array, JWK_ERR_NO_KEYS when no entry is usable, JWK_ERR_NOMEM.
 */
enum jwk_err jwk_import_set(const char *json, size_t len, struct jwk_set **out);

/*
 * Size in bytes of one coordinate of an EC key of type kty (RFC 7518
 * §6.2.1.2), which is also the size of R and of S in its JWS signatures
 * (§3.4): 48 for P-384, 32 otherwise.
 */
size_t jwk_import_coord_len(enum jwk_kty kty);

#endif /* JWK_IMPORT_H */
