/*
 * fuzz_jwks.c - the JWKS document (src/lib/jose/jwk.h), as the issuer's
 * jwks_uri or OAUTH_JWKS_FILE hands it over: jwk_set_parse, then every
 * accessor of every key it kept, and a signature check with each algorithm
 * the key fits (over the input itself, with a signature cut from it), so
 * that key material that parsed but is nonsense (an EC point off its curve,
 * an RSA modulus with a tiny exponent) meets libcrypto too.
 */
#include "fuzz.h"

#include "lib/jose/jwk.h"

static void
harness_init(void)
{
	/* Nothing beyond fuzz_setup(): the parser keeps no state. */
}

static void
use_key(const struct jwk *k, const uint8_t *data, size_t size)
{
	enum jwa_alg alg;
	const char *kid = jwk_kid(k), *tp = jwk_thumbprint(k);
	size_t siglen = size < 512 ? size : 512;

	if ((kid != NULL && strlen(kid) > JWK_KID_MAX) || jwk_kty_get(k) >= JWA_KTY__MAX ||
	    (jwk_alg_get(k, &alg) && !jwk_alg_fits(k, alg)))
		abort();
	if (tp == NULL || strlen(tp) != JWK_THUMBPRINT_LEN)
		abort();
	for (int a = 0; a < JWA__MAX; a++) {
		if (!jwk_alg_fits(k, (enum jwa_alg)a))
			continue;
		/* Never valid: nothing here holds a private key. */
		if (jwk_verify(k, (enum jwa_alg)a, data, size, data + size - siglen, siglen) == 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwk_set *set = NULL;
	struct err e = {0};

	if (jwk_set_parse((const char *)data, size, &set, &e) == 0) {
		if (jwk_set_count(set) > JWK_SET_MAX_KEYS)
			abort();
		for (size_t i = 0; i < jwk_set_count(set); i++)
			use_key(jwk_set_get(set, i), data, size);
	} else if (set != NULL || e.code == ERR_OK) {
		abort();
	}
	jwk_set_free(set);
	return 0;
}
