/*
 * devissuer.h - the signing side of the development issuer: a private key
 * kept in a mode-0600 PEM file, its public JWK Set (RFC 7517) with the RFC
 * 7638 thumbprint as kid, and RFC 9068 access tokens signed with it.
 *
 * For development and tests only: the operator CLI uses it to run a local
 * issuer, and the unit tests use it to build good and hostile tokens.  This
 * header covers the keys (devissuer.c); minting and signing tokens with
 * them is devmint.h's (devmint.c), which this header includes at its end,
 * so that including devissuer.h alone still declares everything.
 */
#ifndef DEVISSUER_H
#define DEVISSUER_H

#include "lib/jose/jwk.h"

#include <stddef.h>

/* Opaque: a private signing key with its kid and default algorithm. */
struct devissuer_key;

enum devissuer_kty {
	DEVISSUER_KEY_RSA = 0, /* RSA 2048 */
	DEVISSUER_KEY_EC,      /* EC P-256 */
	DEVISSUER_KEY__MAX
};

enum devissuer_err {
	DEVISSUER_OK = 0,
	DEVISSUER_ERR_ARG,
	DEVISSUER_ERR_EXISTS,
	DEVISSUER_ERR_IO,
	DEVISSUER_ERR_PERM,
	DEVISSUER_ERR_KEY,
	DEVISSUER_ERR_JSON,
	DEVISSUER_ERR_CRYPTO,
	DEVISSUER_ERR_NOMEM,
	DEVISSUER_ERR__MAX
};

/* Largest key file devissuer_key_load reads. */
#define DEVISSUER_KEY_FILE_MAX (64 * 1024)

/* A short fixed description of err; never NULL. */
const char *devissuer_strerror(enum devissuer_err err);

/*
 * Generates a new key of type kty (RSA 2048 or EC P-256).  Returns
 * DEVISSUER_OK with *out a new key (devissuer_key_free), or an error with
 * *out NULL.  The default algorithm is RS256 for RSA and ES256 for EC.
 */
enum devissuer_err devissuer_key_generate(enum devissuer_kty kty, struct devissuer_key **out);

/*
 * Writes key's private key as unencrypted PKCS#8 PEM to a new file at path,
 * created with mode 0600 and O_CREAT|O_EXCL|O_NOFOLLOW: an existing file or
 * symbolic link is never overwritten (DEVISSUER_ERR_EXISTS).  A partly
 * written file is removed.  Returns DEVISSUER_OK or an error.
 */
enum devissuer_err devissuer_key_save(const struct devissuer_key *key, const char *path);

/*
 * Reads a private key PEM file written by devissuer_key_save (or openssl):
 * opened with O_NOFOLLOW, it must be a regular file of at most
 * DEVISSUER_KEY_FILE_MAX bytes that neither group nor others may access
 * (DEVISSUER_ERR_PERM otherwise).  The key must be RSA >= 2048 bits or EC
 * P-256/P-384 (DEVISSUER_ERR_KEY).  Returns DEVISSUER_OK with *out a new key,
 * or an error with *out NULL.
 */
enum devissuer_err devissuer_key_load(const char *path, struct devissuer_key **out);

/*
 * Like devissuer_key_load from len bytes of PEM text in memory (borrowed
 * for the call; the caller wipes it).
 */
enum devissuer_err devissuer_key_from_pem(const char *pem, size_t len, struct devissuer_key **out);

/* Frees key, wiping the private key; NULL is accepted. */
void devissuer_key_free(struct devissuer_key *key);

/* The key's kid: its RFC 7638 thumbprint (43 characters).  Owned by key. */
const char *devissuer_key_kid(const struct devissuer_key *key);

/* The key's type. */
enum devissuer_kty devissuer_key_kty(const struct devissuer_key *key);

/* The algorithm the key's JWK names and tokens use by default. */
enum jwk_alg devissuer_key_alg(const struct devissuer_key *key);

/*
 * Changes the key's algorithm (RS256/RS384/RS512/PS256/PS384/PS512 for RSA,
 * ES256 for P-256, ES384 for P-384).  Returns 0, or -1 when alg does not fit.
 */
int devissuer_key_alg_set(struct devissuer_key *key, enum jwk_alg alg);

/*
 * The private key as PKCS#8 PEM in a new NUL-terminated buffer (*out, *len
 * without the NUL).  The caller wipes it (explicit_bzero) and frees it.
 */
enum devissuer_err devissuer_key_private_pem(const struct devissuer_key *key, char **out,
                                             size_t *len);

/* The public key as SubjectPublicKeyInfo PEM in a new string (free()). */
enum devissuer_err devissuer_key_public_pem(const struct devissuer_key *key, char **out);

/* The public key as SubjectPublicKeyInfo DER in a new buffer (free()). */
enum devissuer_err devissuer_key_public_der(const struct devissuer_key *key, unsigned char **out,
                                            size_t *len);

/*
 * Exports the public JWK Set of n keys (each borrowed) as compact JSON,
 * {"keys":[{"kty","kid","use":"sig","alg",...}]}, in a new string (*out,
 * free()).  Returns DEVISSUER_OK or an error with *out NULL.
 */
enum devissuer_err devissuer_jwks_export(const struct devissuer_key *const *keys, size_t n,
                                         char **out);

/* The signing half: devissuer_token_mint, devissuer_sign_raw. */
#include "cli/devmint.h"

#endif /* DEVISSUER_H */
