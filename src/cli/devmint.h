/*
 * devmint.h - the signing half of the development issuer: RFC 9068 access
 * tokens minted with a devissuer_key, and arbitrary header and payload
 * text signed as a compact JWS (RFC 7515 §7.1) so that tests can build
 * hostile tokens.  Signatures come from OpenSSL's EVP interface; ES256 and
 * ES384 signatures come out as the raw R || S that JWS wants (RFC 7518
 * §3.4).
 *
 * devissuer.h includes this header at its end, and this header includes
 * devissuer.h for the key type and the error codes, so either may be
 * included first.
 */
#ifndef DEVMINT_H
#define DEVMINT_H

#include "cli/devissuer.h"
#include "lib/jose/jwk.h"

#include <stdint.h>

/* Token lifetime used when the options give none (seconds). */
#define DEVISSUER_LIFETIME_DEFAULT 300

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
 * Mints a signed access token with key.  Returns DEVISSUER_OK with *out the
 * compact JWS in a new string (free()), or an error with *out NULL:
 * DEVISSUER_ERR_ARG when alg does not fit the key, DEVISSUER_ERR_JSON when
 * extra_json is not a JSON object.
 */
enum devissuer_err devissuer_token_mint(const struct devissuer_key *key,
                                        const struct devissuer_token_opts *opts, char **out);

/*
 * Signs arbitrary header and payload text (NUL-terminated, taken verbatim,
 * not checked to be JSON) with key and alg, so tests can build hostile
 * tokens: base64url(header) "." base64url(payload) "." base64url(sig).
 * alg chooses how the signature is made, whatever the header says; it must
 * fit the key type (DEVISSUER_ERR_ARG).  Returns DEVISSUER_OK with *out a
 * new string (free()), or an error with *out NULL.
 */
enum devissuer_err devissuer_sign_raw(const struct devissuer_key *key, enum jwk_alg alg,
                                      const char *header_json, const char *payload_json,
                                      char **out);

#endif /* DEVMINT_H */
