/*
 * jwa.c - the algorithm and key-type tables of RFC 7518 §3.1 and §6.1.
 */
#include "lib/jose/jwa.h"

#include <string.h>

static const char *const jwa_names[JWA__MAX] = {
    [JWA_RS256] = "RS256", [JWA_RS384] = "RS384", [JWA_RS512] = "RS512", [JWA_PS256] = "PS256",
    [JWA_PS384] = "PS384", [JWA_PS512] = "PS512", [JWA_ES256] = "ES256", [JWA_ES384] = "ES384",
};

/* Exact, case-sensitive match against the names of RFC 7518 §3.1. */
int
jwa_parse(const char *name, enum jwa_alg *out)
{
	if (name == NULL)
		return -1;
	/* Only asymmetric algorithms are listed, so "none" and HS* never match. */
	for (int a = 0; a < JWA__MAX; a++) {
		if (strcmp(name, jwa_names[a]) == 0) {
			*out = (enum jwa_alg)a;
			return 0;
		}
	}
	return -1;
}

/* The inverse of jwa_parse, for logs and exported JWKs. */
const char *
jwa_name(enum jwa_alg alg)
{
	if ((unsigned)alg >= JWA__MAX)
		return "?";
	return jwa_names[alg];
}

/* The digit groups of the names: 256, 384 and 512 are the SHA-2 sizes. */
const char *
jwa_digest(enum jwa_alg alg)
{
	switch (alg) {
	case JWA_RS384:
	case JWA_PS384:
	case JWA_ES384:
		return "SHA384";
	case JWA_RS512:
	case JWA_PS512:
		return "SHA512";
	default:
		return "SHA256";
	}
}

/* RFC 8725 §3.1: the key, not the token, decides which algorithm applies. */
enum jwa_kty
jwa_kty(enum jwa_alg alg)
{
	switch (alg) {
	case JWA_RS256:
	case JWA_RS384:
	case JWA_RS512:
	case JWA_PS256:
	case JWA_PS384:
	case JWA_PS512:
		return JWA_KTY_RSA;
	case JWA_ES256:
		return JWA_KTY_EC_P256;
	case JWA_ES384:
		return JWA_KTY_EC_P384;
	default:
		return JWA_KTY__MAX;
	}
}

/* A coordinate's size follows from the curve alone (SEC 1 §2.3.5). */
size_t
jwa_coord_len(enum jwa_kty kty)
{
	switch (kty) {
	case JWA_KTY_EC_P256:
		return 32;
	case JWA_KTY_EC_P384:
		return 48;
	default:
		return 0;
	}
}
