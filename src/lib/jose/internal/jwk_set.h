/*
 * jwk_set.h - the layout of a parsed JWK Set and of its keys.
 *
 * Internal to the jwk module: only jwk_import.c, which fills these structs
 * (jwk_set_parse, jwk_set_free), and jwk.c, which reads them (accessors,
 * jwk_alg_fits, jwk_verify), include this header.  Everything else uses the
 * opaque types and the functions of jwk.h.
 */
#ifndef JWK_SET_H
#define JWK_SET_H

#include "lib/jose/jwk.h"

#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <stdbool.h>
#include <stddef.h>

/* One usable signing key; every member is set once, at import time. */
struct jwk {
	char *kid; /* NULL when the JWK had none */
	enum jwa_kty kty;
	bool has_alg;
	enum jwa_alg alg; /* the JWK's own "alg", when has_alg */
	/* The public key, built once at parse time: an RSA key or an EC key.
	   Not an EVP_PKEY: see jwk.c on why verification stays below EVP. */
	RSA *rsa;
	EC_KEY *ec;
	char thumb[JWK_THUMBPRINT_LEN + 1];
};

/* The usable keys of one document, in document order. */
struct jwk_set {
	struct jwk *keys; /* n entries; room for at most JWK_SET_MAX_KEYS */
	size_t n;
};

#endif /* JWK_SET_H */
