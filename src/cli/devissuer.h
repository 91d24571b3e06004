/*
 * devissuer.h - the development issuer: a private signing key kept in a
 * mode-0600 PEM file, its public JWK Set (RFC 7517) with the RFC 7638
 * thumbprint as kid, and RFC 9068 access tokens signed with it.
 *
 * For development and tests only: the operator CLI uses it to run a local
 * issuer, and the unit tests use it to build good and hostile tokens.  The
 * one public header of the module: devissuer.c builds, stores and exports
 * keys, devmint.c signs with them (through devissuer_key.h, internal).
 *
 * Errors follow err.h: a failing function returns -1 and fills e with a
 * code and a message that starts with one of the DEVISSUER_MSG_* texts.
 */
#ifndef DEVISSUER_H
#define DEVISSUER_H

#include "lib/core/err.h"
#include "lib/jose/jwa.h"

#include <stddef.h>
#include <stdint.h>

/* Opaque: a private signing key with its kid and default algorithm. */
struct devissuer_key;

/* What devissuer_key_generate makes. */
enum devissuer_kty {
	DEVISSUER_KEY_RSA = 0, /* RSA 2048 */
	DEVISSUER_KEY_EC,      /* EC P-256 */
	DEVISSUER_KEY__MAX
};

/* Largest key file devissuer_key_load reads. */
#define DEVISSUER_KEY_FILE_MAX (64 * 1024)
/* Token lifetime used when the options give none (seconds). */
#define DEVISSUER_LIFETIME_DEFAULT 300

/* The messages (or their beginnings) of the failures, with their codes. */
#define DEVISSUER_MSG_ARG    "invalid argument"              /* ERR_INVALID */
#define DEVISSUER_MSG_EXISTS "key file already exists"       /* ERR_SYSTEM */
#define DEVISSUER_MSG_IO     "cannot read or write key file" /* ERR_SYSTEM, then ": " strerror */
#define DEVISSUER_MSG_PERM   "key file is not a private regular file" /* ERR_INVALID */
#define DEVISSUER_MSG_KEY                                                                          \
	"not a usable RSA (>= 2048 bits) or EC P-256/P-384 private key" /* ERR_INVALID */
#define DEVISSUER_MSG_JSON   "invalid JSON"                             /* ERR_INVALID */
#define DEVISSUER_MSG_CRYPTO "signing failed"                           /* ERR_SYSTEM */

/*
 * Generates a new key of type kty (RSA 2048 or EC P-256).  Returns 0 with
 * *out a new key (devissuer_key_free), or -1 with *out NULL and e filled
 * (DEVISSUER_MSG_ARG, DEVISSUER_MSG_CRYPTO).  The default algorithm is
 * RS256 for RSA and ES256 for EC.
 */
int devissuer_key_generate(enum devissuer_kty kty, struct devissuer_key **out, struct err *e);

/*
 * Writes key's private key as unencrypted PKCS#8 PEM to a new file at path,
 * created with mode 0600 and O_CREAT|O_EXCL|O_NOFOLLOW: an existing file or
 * symbolic link is never overwritten (DEVISSUER_MSG_EXISTS).  A partly
 * written file is removed.  Returns 0, or -1 with e filled.
 */
int devissuer_key_save(const struct devissuer_key *key, const char *path, struct err *e);

/*
 * Reads a private key PEM file written by devissuer_key_save (or openssl):
 * opened with O_NOFOLLOW (DEVISSUER_MSG_IO otherwise), it must be a regular
 * file of at most DEVISSUER_KEY_FILE_MAX bytes that neither group nor
 * others may access (DEVISSUER_MSG_PERM).  The key must be RSA >= 2048
 * bits or EC P-256/P-384 (DEVISSUER_MSG_KEY).  Returns 0 with *out a new
 * key, or -1 with *out NULL and e filled.
 */
int devissuer_key_load(const char *path, struct devissuer_key **out, struct err *e);

/*
 * Like devissuer_key_load from len bytes of PEM text in memory (borrowed
 * for the call; the caller wipes it).
 */
int devissuer_key_from_pem(const char *pem, size_t len, struct devissuer_key **out, struct err *e);

/* Frees key, wiping the private key; NULL is accepted. */
void devissuer_key_free(struct devissuer_key *key);

/* The key's kid: its RFC 7638 thumbprint (43 characters).  Owned by key. */
const char *devissuer_key_kid(const struct devissuer_key *key);

/* The algorithm the key's JWK names and tokens use by default. */
enum jwa_alg devissuer_key_alg(const struct devissuer_key *key);

/*
 * Changes the key's algorithm (RS256/RS384/RS512/PS256/PS384/PS512 for RSA,
 * ES256 for P-256, ES384 for P-384).  Returns 0, or -1 with e filled
 * (DEVISSUER_MSG_ARG) when alg does not fit the key.
 */
int devissuer_key_alg_set(struct devissuer_key *key, enum jwa_alg alg, struct err *e);

/*
 * The private key as PKCS#8 PEM in a new NUL-terminated buffer (*out, *len
 * without the NUL).  The caller wipes it (explicit_bzero) and frees it.
 * Returns 0, or -1 with *out NULL and e filled (DEVISSUER_MSG_CRYPTO).
 */
int devissuer_key_private_pem(const struct devissuer_key *key, char **out, size_t *len,
                              struct err *e);

/* The public key as SubjectPublicKeyInfo PEM in a new string (free()); as above. */
int devissuer_key_public_pem(const struct devissuer_key *key, char **out, struct err *e);

/* The public key as SubjectPublicKeyInfo DER in a new buffer (free()); as above. */
int devissuer_key_public_der(const struct devissuer_key *key, unsigned char **out, size_t *len,
                             struct err *e);

/*
 * The public JWK Set of n keys (each borrowed) as compact JSON,
 * {"keys":[{"kty","kid","use":"sig","alg",...}]}, in a new string the
 * caller frees.  Never NULL: nothing in it can fail.
 */
char *devissuer_jwks_export(const struct devissuer_key *const *keys, size_t n);

/*
 * What a minted token says.  Every string is borrowed for the call; NULL
 * leaves a claim out unless a default is named.
 */
struct devissuer_token_opts {
	const char *iss;
	const char *sub;
	const char *aud;   /* space-separated; more than one becomes an array */
	const char *scope; /* space-separated, RFC 9068 §2.2.3 */
	const char *client_id;
	const char *org_id;
	const char *jti;        /* NULL: 128 random bits; "": left out */
	const char *typ;        /* NULL: "at+jwt" (RFC 9068 §2.1); "": left out */
	const char *kid;        /* NULL: the key's kid; "": left out */
	const char *alg;        /* NULL: the key's algorithm; must fit the key */
	int64_t iat;            /* 0: now */
	int64_t lifetime;       /* exp = iat + lifetime; 0: DEVISSUER_LIFETIME_DEFAULT */
	const char *extra_json; /* NULL, or a JSON object merged into the claims,
	                           its members replacing ours */
};

/*
 * Mints a signed access token with key.  Returns 0 with *out the compact
 * JWS in a new string (free()), or -1 with *out NULL and e filled:
 * DEVISSUER_MSG_ARG when alg is unknown or does not fit the key,
 * DEVISSUER_MSG_JSON when extra_json is not a JSON object,
 * DEVISSUER_MSG_CRYPTO when signing fails.
 */
int devissuer_token_mint(const struct devissuer_key *key, const struct devissuer_token_opts *opts,
                         char **out, struct err *e);

/*
 * Signs arbitrary header and payload text (NUL-terminated, taken verbatim,
 * not checked to be JSON) with key and alg, so tests can build hostile
 * tokens: base64url(header) "." base64url(payload) "." base64url(sig).
 * alg chooses how the signature is made, whatever the header says; it must
 * fit the key type (DEVISSUER_MSG_ARG).  ES256 and ES384 signatures come
 * out as the raw R || S that JWS wants (RFC 7518 §3.4).  Returns 0 with
 * *out a new string (free()), or -1 with *out NULL and e filled.
 */
int devissuer_sign_raw(const struct devissuer_key *key, enum jwa_alg alg, const char *header_json,
                       const char *payload_json, char **out, struct err *e);

#endif /* DEVISSUER_H */
