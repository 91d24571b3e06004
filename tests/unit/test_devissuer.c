/*
 * test_devissuer.c - the development issuer (src/cli/devissuer.c, devmint.c):
 * its key files, its refusals, its JWK Set and the tokens it mints, checked
 * against our verifier and against libjwt 1.10 as an independent decoder.
 */
#include "cli/devissuer.h"
#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/jwk.h"
#include "lib/jose/principal.h"
#include "lib/jose/token.h"
#include "test.h"
#include "devmint_fixture.h"

#include <jwt.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const issuers[] = {ISS};
static const char *const audiences[] = {AUD};

static struct devissuer_key *k_rsa, *k_ec, *k_evil_ec;

/* Not a test: the keys every test uses, generated once per run. */
static int
setup(void)
{
	util_init();
	log_open("/dev/null");
	if (devissuer_key_generate(DEVISSUER_KEY_RSA, &k_rsa, NULL) != 0 ||
	    devissuer_key_generate(DEVISSUER_KEY_EC, &k_ec, NULL) != 0 ||
	    devissuer_key_generate(DEVISSUER_KEY_EC, &k_evil_ec, NULL) != 0)
		return -1;
	return 0;
}

static void
cleanup(void)
{
	devissuer_key_free(k_rsa);
	devissuer_key_free(k_ec);
	devissuer_key_free(k_evil_ec);
}

static struct token_policy
policy(void)
{
	struct token_policy p = {
	    .issuers = issuers,
	    .n_issuers = 1,
	    .audiences = audiences,
	    .n_audiences = 1,
	    .alg_mask = (1u << JWA__MAX) - 1,
	};
	return p;
}

TEST(our_tokens_decode_in_libjwt)
{
	char *pub = NULL, *t;
	jwt_t *jwt = NULL;
	struct devissuer_token_opts o = opts();

	/* libjwt 1.10 refuses typ at+jwt, so the cross-check uses typ JWT. */
	o.typ = "JWT";
	t = mint(k_rsa, &o);
	CHECK_INT(devissuer_key_public_pem(k_rsa, &pub, NULL), 0);
	CHECK_INT(jwt_decode(&jwt, t, (const unsigned char *)pub, (int)strlen(pub)), 0);
	if (jwt != NULL)
		CHECK_STR(jwt_get_grant(jwt, "sub"), "user-1");
	jwt_free(jwt);
	free(pub);
	free(t);
}

TEST(devissuer_key_file_private_and_exclusive)
{
	char dir[] = "/tmp/test_devissuer.XXXXXX", path[256], link[256];
	struct devissuer_key *back = NULL;
	struct stat st;
	struct err e;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	snprintf(link, sizeof(link), "%s/link.pem", dir);
	CHECK_INT(devissuer_key_save(k_ec, path, &e), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* Never overwritten, never through a symbolic link. */
	CHECK_INT(devissuer_key_save(k_ec, path, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, DEVISSUER_MSG_EXISTS);
	CHECK(symlink(path, link) == 0);
	CHECK_INT(devissuer_key_save(k_ec, link, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, DEVISSUER_MSG_EXISTS);
	CHECK_INT(devissuer_key_load(link, &back, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, DEVISSUER_MSG_IO);
	CHECK(back == NULL);
	CHECK_INT(devissuer_key_load(path, &back, &e), 0);
	if (back != NULL)
		CHECK_STR(devissuer_key_kid(back), devissuer_key_kid(k_ec));
	devissuer_key_free(back);
	back = NULL;
	/* A key others may read is refused. */
	CHECK(chmod(path, 0644) == 0);
	CHECK_INT(devissuer_key_load(path, &back, &e), -1);
	CHECK_ERR(e, ERR_INVALID, DEVISSUER_MSG_PERM);
	CHECK_INT(devissuer_key_load(dir, &back, &e), -1);
	CHECK_ERR(e, ERR_INVALID, DEVISSUER_MSG_PERM);
	CHECK_INT(devissuer_key_load("/nonexistent/key.pem", &back, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, DEVISSUER_MSG_IO);
	CHECK(back == NULL);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

TEST(devissuer_rejects_bad_input)
{
	struct devissuer_key *k = NULL;
	struct devissuer_token_opts o = opts();
	char *t = NULL;
	struct err e;

	CHECK_INT(devissuer_key_from_pem("not a key", 9, &k, &e), -1);
	CHECK_ERR(e, ERR_INVALID, DEVISSUER_MSG_KEY);
	CHECK(k == NULL);
	o.alg = "ES256";
	CHECK_INT(devissuer_token_mint(k_rsa, &o, &t, &e), -1);
	CHECK_ERR(e, ERR_INVALID, DEVISSUER_MSG_ARG);
	o.alg = "HS256";
	CHECK_INT(devissuer_token_mint(k_rsa, &o, &t, &e), -1);
	CHECK_ERR(e, ERR_INVALID, DEVISSUER_MSG_ARG);
	o.alg = NULL;
	o.extra_json = "[1]";
	CHECK_INT(devissuer_token_mint(k_rsa, &o, &t, &e), -1);
	CHECK_ERR(e, ERR_INVALID, DEVISSUER_MSG_JSON);
	CHECK(t == NULL);
	CHECK_INT(devissuer_sign_raw(k_ec, JWA_RS256, "{}", "{}", &t, &e), -1);
	CHECK_ERR(e, ERR_INVALID, DEVISSUER_MSG_ARG);
	CHECK_INT(devissuer_key_alg_set(k_evil_ec, JWA_PS256, &e), -1);
	CHECK_ERR(e, ERR_INVALID, DEVISSUER_MSG_ARG);
	CHECK_INT(devissuer_key_generate(DEVISSUER_KEY__MAX, &k, &e), -1);
	CHECK_ERR(e, ERR_INVALID, DEVISSUER_MSG_ARG);
	CHECK(k == NULL);
}

TEST(devissuer_jwks_and_claims)
{
	const struct devissuer_key *l[] = {k_rsa, k_ec};
	char *jwks = devissuer_jwks_export(l, 2), *t;
	struct jwk_set *set = NULL;
	struct principal *p = NULL;
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();

	CHECK_CONTAINS(jwks, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"");
	CHECK_CONTAINS(jwks, "\"use\":\"sig\",\"alg\":\"RS256\"");
	CHECK_CONTAINS(jwks, "\"alg\":\"ES256\",\"crv\":\"P-256\"");
	CHECK(strstr(jwks, "\"d\"") == NULL);
	CHECK_INT(jwk_set_parse(jwks, strlen(jwks), &set, NULL), 0);
	CHECK_INT(jwk_set_count(set), 2);
	/* kid is the RFC 7638 thumbprint of each key. */
	CHECK_STR(jwk_kid(jwk_set_get(set, 0)), jwk_thumbprint(jwk_set_get(set, 0)));
	CHECK_STR(jwk_kid(jwk_set_get(set, 1)), devissuer_key_kid(k_ec));
	/* extra_json replaces our claims and adds its own. */
	o.extra_json = "{\"sub\":\"replaced\",\"scp\":[\"extra\"]}";
	o.jti = NULL;
	t = mint(k_ec, &o);
	CHECK_INT(token_verify(t, strlen(t), set, &pol, NOW, &p, NULL), 0);
	if (p != NULL) {
		CHECK_STR(p->subject, "replaced");
		CHECK(principal_has_scope(p, "extra") && principal_has_scope(p, "todo:read"));
		CHECK(p->jti != NULL && strlen(p->jti) == 22);
	}
	principal_free(p);
	free(t);
	jwk_set_free(set);
	free(jwks);
}

TEST(devissuer_alg_set_names_the_jwk_alg)
{
	struct devissuer_key *k = NULL;
	char *pem = NULL, *jwks = NULL;
	size_t len = 0;
	struct err e;

	/* A copy of k_rsa, so the shared key keeps RS256. */
	CHECK_INT(devissuer_key_private_pem(k_rsa, &pem, &len, &e), 0);
	CHECK_INT(devissuer_key_from_pem(pem, len, &k, &e), 0);
	CHECK(k != NULL);
	if (k == NULL)
		goto out;
	CHECK_INT(devissuer_key_alg(k), JWA_RS256);
	CHECK_INT(devissuer_key_alg_set(k, JWA_PS384, &e), 0);
	CHECK_INT(devissuer_key_alg(k), JWA_PS384);
	const struct devissuer_key *l[] = {k};
	jwks = devissuer_jwks_export(l, 1);
	CHECK_CONTAINS(jwks, "\"alg\":\"PS384\"");
	/* The kid does not change with the algorithm (RFC 7638 hashes no alg). */
	CHECK_STR(devissuer_key_kid(k), devissuer_key_kid(k_rsa));
out:
	devissuer_key_free(k);
	free(jwks);
	if (pem != NULL)
		explicit_bzero(pem, len);
	free(pem);
}

/* Verifies t (freed here) against the JWKS of k_ec; returns the jti, or "(refused)". */
static const char *
jti_of(char *t, char *buf, size_t cap)
{
	const struct devissuer_key *l[] = {k_ec};
	char *jwks = devissuer_jwks_export(l, 1);
	struct jwk_set *set = NULL;
	struct token_policy pol = policy();
	struct principal *p = NULL;
	struct err e;

	CHECK_INT(jwk_set_parse(jwks, strlen(jwks), &set, NULL), 0);
	snprintf(buf, cap, "(refused)");
	if (t != NULL && token_verify(t, strlen(t), set, &pol, NOW, &p, &e) == 0)
		snprintf(buf, cap, "%s", p->jti != NULL ? p->jti : "(none)");
	principal_free(p);
	jwk_set_free(set);
	free(jwks);
	free(t);
	return buf;
}

TEST(devissuer_jti_options)
{
	struct devissuer_token_opts o = opts();
	char buf[64];

	/* "" leaves the jti out; an explicit one is kept; extra_json replaces it. */
	o.jti = "";
	CHECK_STR(jti_of(mint(k_ec, &o), buf, sizeof(buf)), "(none)");
	o.jti = "fixed";
	CHECK_STR(jti_of(mint(k_ec, &o), buf, sizeof(buf)), "fixed");
	o.extra_json = "{\"jti\":\"replaced\"}";
	CHECK_STR(jti_of(mint(k_ec, &o), buf, sizeof(buf)), "replaced");
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(our_tokens_decode_in_libjwt),
                  TEST_CASE(devissuer_key_file_private_and_exclusive),
                  TEST_CASE(devissuer_rejects_bad_input), TEST_CASE(devissuer_jwks_and_claims),
                  TEST_CASE(devissuer_alg_set_names_the_jwk_alg), TEST_CASE(devissuer_jti_options))
