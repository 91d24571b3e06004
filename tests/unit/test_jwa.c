/*
 * test_jwa.c - the algorithm and key-type tables (RFC 7518 §3.1, §6.1):
 * every name refused that is not an asymmetric signature algorithm first.
 */
#include "lib/jose/jwa.h"
#include "test.h"

TEST(alg_names)
{
	enum jwa_alg a = JWA__MAX;

	CHECK_INT(jwa_parse("none", &a), -1);
	CHECK_INT(jwa_parse("HS256", &a), -1);
	CHECK_INT(jwa_parse("HS384", &a), -1);
	CHECK_INT(jwa_parse("HS512", &a), -1);
	CHECK_INT(jwa_parse("rs256", &a), -1);
	CHECK_INT(jwa_parse("RS256 ", &a), -1);
	CHECK_INT(jwa_parse("", &a), -1);
	CHECK_INT(jwa_parse(NULL, &a), -1);
	CHECK_INT(jwa_parse("EdDSA", &a), -1);
	CHECK_INT(a, JWA__MAX);
	for (int i = 0; i < JWA__MAX; i++) {
		CHECK_INT(jwa_parse(jwa_name((enum jwa_alg)i), &a), 0);
		CHECK_INT(a, i);
	}
	CHECK_STR(jwa_name(JWA_PS384), "PS384");
	CHECK_STR(jwa_name(JWA__MAX), "?");
}

TEST(alg_key_types)
{
	/* RFC 7518 §3.1: RS* and PS* need RSA, ES256 P-256, ES384 P-384. */
	for (int a = JWA_RS256; a <= JWA_PS512; a++)
		CHECK_INT(jwa_kty((enum jwa_alg)a), JWA_KTY_RSA);
	CHECK_INT(jwa_kty(JWA_ES256), JWA_KTY_EC_P256);
	CHECK_INT(jwa_kty(JWA_ES384), JWA_KTY_EC_P384);
	CHECK_INT(jwa_kty(JWA__MAX), JWA_KTY__MAX);
	CHECK_INT(jwa_kty((enum jwa_alg) - 1), JWA_KTY__MAX);
}

TEST(alg_digests)
{
	static const char *const want[JWA__MAX] = {
	    [JWA_RS256] = "SHA256", [JWA_RS384] = "SHA384", [JWA_RS512] = "SHA512",
	    [JWA_PS256] = "SHA256", [JWA_PS384] = "SHA384", [JWA_PS512] = "SHA512",
	    [JWA_ES256] = "SHA256", [JWA_ES384] = "SHA384",
	};

	for (int a = 0; a < JWA__MAX; a++)
		CHECK_STR(jwa_digest((enum jwa_alg)a), want[a]);
	CHECK_STR(jwa_digest(JWA__MAX), "SHA256");
}

TEST(coordinate_lengths)
{
	/* RFC 7518 §6.2.1.2: the field size; also R and S of a signature (§3.4). */
	CHECK_INT(jwa_coord_len(JWA_KTY_EC_P256), 32);
	CHECK_INT(jwa_coord_len(JWA_KTY_EC_P384), 48);
	CHECK_INT(jwa_coord_len(JWA_KTY_RSA), 0);
	CHECK_INT(jwa_coord_len(JWA_KTY__MAX), 0);
	CHECK_INT(JWA_BIT(JWA_ES384), 1u << 7);
}

TEST_MAIN(TEST_CASE(alg_names), TEST_CASE(alg_key_types), TEST_CASE(alg_digests),
          TEST_CASE(coordinate_lengths))
