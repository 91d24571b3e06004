/*
 * devissuer_key.h - the inside of a development issuer key, shared by the
 * two halves of the development issuer: devissuer.c builds, stores and
 * exports keys, devmint.c signs with them.
 *
 * Internal to src/cli: only devissuer.c and devmint.c include this header.
 * Everything else uses the opaque struct devissuer_key and the functions
 * of devissuer.h.
 */
#ifndef DEVISSUER_KEY_H
#define DEVISSUER_KEY_H

#include "cli/devissuer.h"
#include "lib/jose/jwk.h"

#include <openssl/evp.h>
#include <stdbool.h>

/* A private signing key; every member but alg is fixed when it is wrapped. */
struct devissuer_key {
	EVP_PKEY *pkey;
	enum jwa_kty jkty; /* RSA, P-256 or P-384 */
	enum jwa_alg alg;  /* named in the JWK and used by default */
	char *m1, *m2;     /* base64url n and e (RSA) or x and y (EC) */
	char kid[JWK_THUMBPRINT_LEN + 1];
};

/*
 * True when alg may sign with key: the key is of the type alg needs
 * (jwa_kty, RFC 7518 §3.1).  False for an alg out of range.  key is
 * borrowed and must not be NULL.
 */
bool devissuer_key_alg_fits(const struct devissuer_key *key, enum jwa_alg alg);

#endif /* DEVISSUER_KEY_H */
