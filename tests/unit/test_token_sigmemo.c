/*
 * test_token_sigmemo.c - token.h's signature memo hook: asked before a
 * signature is checked, told after one checked out, with a digest bound to
 * the exact token and the key's material; everything but the signature
 * arithmetic is checked at every use.
 */
#include "cli/devissuer.h"
#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/b64url.h"
#include "lib/jose/jwk.h"
#include "lib/jose/principal.h"
#include "lib/jose/token.h"
#include "test.h"
#include "devmint_fixture.h"

#include <stdlib.h>

static const char *const issuers[] = {ISS};
static const char *const audiences[] = {AUD};
static struct devissuer_key *k_a, *k_b;
static struct jwk_set *set_a;

/* A memo in memory, counting what the verifier asks and tells. */
struct fake_memo {
	unsigned char d[8][TOKEN_SIG_DIGEST];
	int n, asked, told;
	bool always; /* answer "seen" to everything */
};

static bool
fake_seen(void *ctx, const unsigned char digest[TOKEN_SIG_DIGEST])
{
	struct fake_memo *m = ctx;

	m->asked++;
	for (int i = 0; i < m->n; i++)
		if (memcmp(m->d[i], digest, TOKEN_SIG_DIGEST) == 0)
			return true;
	return m->always;
}

static void
fake_remember(void *ctx, const unsigned char digest[TOKEN_SIG_DIGEST])
{
	struct fake_memo *m = ctx;

	m->told++;
	if (m->n < 8)
		memcpy(m->d[m->n++], digest, TOKEN_SIG_DIGEST);
}

static struct jwk_set *
set_from_json(const char *json)
{
	struct jwk_set *set = NULL;

	jwk_set_parse(json, strlen(json), &set, NULL);
	return set;
}

static int
setup(void)
{
	char *json;

	util_init();
	log_open("/dev/null");
	if (devissuer_key_generate(DEVISSUER_KEY_RSA, &k_a, NULL) != 0 ||
	    devissuer_key_generate(DEVISSUER_KEY_RSA, &k_b, NULL) != 0)
		return -1;
	const struct devissuer_key *pub[] = {k_a};
	json = devissuer_jwks_export(pub, 1);
	set_a = set_from_json(json);
	free(json);
	return set_a != NULL ? 0 : -1;
}

static void
cleanup(void)
{
	devissuer_key_free(k_a);
	devissuer_key_free(k_b);
	jwk_set_free(set_a);
}

/* token_verify with the fixture policy and memo m at now; returns 0 or -1 (e). */
static int
verify(const char *tok, const struct jwk_set *set, struct fake_memo *m, int64_t now, struct err *e)
{
	struct token_sig_memo ops = {.seen = fake_seen, .remember = fake_remember, .ctx = m};
	struct token_policy pol = {.issuers = issuers,
	                           .n_issuers = 1,
	                           .audiences = audiences,
	                           .n_audiences = 1,
	                           .alg_mask = JWA_BIT(JWA_RS256),
	                           .sig_memo = m != NULL ? &ops : NULL};
	struct principal *p = NULL;
	int rc = token_verify(tok, strlen(tok), set, &pol, now, &p, e);

	principal_free(p);
	return rc;
}

/* tok with the last character of its signature changed: same length, bad signature. */
static char *
bad_signature(const char *tok)
{
	char *t = xstrdup(tok);
	size_t n = strlen(t);

	/* 'A' <-> 'Q' flips a high bit of the last full sextet, never the unused low bits. */
	t[n - 2] = t[n - 2] == 'A' ? 'Q' : 'A';
	return t;
}

TEST(verified_once_then_answered_by_the_memo)
{
	struct devissuer_token_opts o = opts();
	struct fake_memo m = {0};
	char *tok = mint(k_a, &o);
	struct err e;

	CHECK_INT(verify(tok, set_a, &m, NOW, &e), 0);
	CHECK_INT(m.asked, 1);
	CHECK_INT(m.told, 1);
	CHECK_INT(verify(tok, set_a, &m, NOW, &e), 0);
	CHECK_INT(m.asked, 2);
	CHECK_INT(m.told, 1); /* a hit is not stored again */
	/* Without a memo the same token verifies the same way. */
	CHECK_INT(verify(tok, set_a, NULL, NOW, &e), 0);
	free(tok);
}

TEST(a_bad_signature_is_never_remembered)
{
	struct devissuer_token_opts o = opts();
	struct fake_memo m = {0};
	char *tok = mint(k_a, &o), *bad = bad_signature(tok);
	struct err e;

	CHECK_INT(verify(tok, set_a, &m, NOW, &e), 0);
	CHECK_INT(verify(bad, set_a, &m, NOW, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TOKEN_MSG_SIGNATURE);
	CHECK_INT(m.told, 1);
	free(tok);
	free(bad);
}

/* What the memo vouches for is the signature alone. */
TEST(claims_key_and_algorithm_are_checked_at_every_use)
{
	struct devissuer_token_opts o = opts();
	struct fake_memo all = {.always = true};
	char *tok = mint(k_a, &o), *bad = bad_signature(tok), *foreign;
	struct err e;

	/* A memo that answers "seen" to everything: the signature is not computed... */
	CHECK_INT(verify(bad, set_a, &all, NOW, &e), 0);
	/* ...but an expired token is still refused, */
	CHECK_INT(verify(tok, set_a, &all, NOW + 3600, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TOKEN_MSG_EXPIRED);
	/* and so is a key the set does not hold. */
	foreign = mint(k_b, &o);
	CHECK_INT(verify(foreign, set_a, &all, NOW, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, TOKEN_MSG_KID_UNKNOWN);
	free(tok);
	free(bad);
	free(foreign);
}

/* The digest holds the key's material: a key replaced under the same kid voids it. */
TEST(a_new_key_under_the_same_kid_is_not_answered_for)
{
	struct devissuer_token_opts o = opts();
	struct fake_memo m = {0};
	char *tok = mint(k_a, &o), *json, *at;
	const struct devissuer_key *pub[] = {k_b};
	struct jwk_set *set_b;
	struct err e;
	const char *kid_a = devissuer_key_kid(k_a), *kid_b = devissuer_key_kid(k_b);

	CHECK_INT(verify(tok, set_a, &m, NOW, &e), 0);
	/* k_b's public key published under k_a's kid (same length: both are thumbprints). */
	json = devissuer_jwks_export(pub, 1);
	CHECK_INT((int)strlen(kid_a), (int)strlen(kid_b));
	at = strstr(json, kid_b);
	CHECK(at != NULL);
	if (at != NULL)
		memcpy(at, kid_a, strlen(kid_a));
	set_b = set_from_json(json);
	CHECK(set_b != NULL);
	CHECK_INT(verify(tok, set_b, &m, NOW, &e), -1);
	CHECK_ERR(e, ERR_INVALID, TOKEN_MSG_SIGNATURE);
	CHECK_INT(m.asked, 2);
	jwk_set_free(set_b);
	free(json);
	free(tok);
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(verified_once_then_answered_by_the_memo),
                  TEST_CASE(a_bad_signature_is_never_remembered),
                  TEST_CASE(claims_key_and_algorithm_are_checked_at_every_use),
                  TEST_CASE(a_new_key_under_the_same_kid_is_not_answered_for))
