/*
 * test_token.c - access token verification (RFC 7515, RFC 7519, RFC 9068,
 * RFC 8725): hostile tokens first, then good ones from our development
 * issuer and from libjwt 1.10 as an independent signer.
 */
#include "cli/devissuer.h"
#include "lib/jose/b64url.h"
#include "lib/jose/jwk.h"
#include "lib/core/log.h"
#include "lib/jose/token.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <jwt.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define ISS "https://issuer.example"
#define AUD "https://mcp.example/mcp"
#define NOW INT64_C(1700000000)
/* Claims that pass every check at NOW; exp is NOW + 300. */
#define CLAIMS_OK                                                                                  \
	"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"user-1\",\"exp\":1700000300,"          \
	"\"iat\":1700000000}"
/* CLAIMS_OK with extra members inserted after the first brace. */
#define CLAIMS_WITH(members)                                                                       \
	"{" members ",\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"user-1\","                 \
	"\"exp\":1700000300,\"iat\":1700000000}"
#define ALL_ALGS ((1u << JWK_ALG__MAX) - 1)

static const char *const issuers[] = {ISS, "https://other-issuer.example"};
static const char *const audiences[] = {AUD, "urn:mcp:other"};

/* Keys: rsa (RS256), rsa_ps (PS256), ec (ES256) are published in keys. */
static struct devissuer_key *k_rsa, *k_rsa_ps, *k_ec, *k_evil_rsa, *k_evil_ec;
static struct jwk_set *keys;
static bool fixtures_ok;

static void
fixtures_free(void)
{
	devissuer_key_free(k_rsa);
	devissuer_key_free(k_rsa_ps);
	devissuer_key_free(k_ec);
	devissuer_key_free(k_evil_rsa);
	devissuer_key_free(k_evil_ec);
	jwk_set_free(keys);
}

/* Builds a jwk_set from n keys through the development issuer's export. */
static struct jwk_set *
set_of(const struct devissuer_key *const *list, size_t n)
{
	char *json = NULL;
	struct jwk_set *set = NULL;

	if (devissuer_jwks_export(list, n, &json) == DEVISSUER_OK)
		jwk_set_parse(json, strlen(json), &set);
	free(json);
	return set;
}

/* Generates the keys once per run; every test calls it first. */
static bool
fixtures(void)
{
	static bool tried;

	if (tried)
		return fixtures_ok;
	tried = true;
	atexit(fixtures_free);
	if (devissuer_key_generate(DEVISSUER_KEY_RSA, &k_rsa) != DEVISSUER_OK ||
	    devissuer_key_generate(DEVISSUER_KEY_RSA, &k_rsa_ps) != DEVISSUER_OK ||
	    devissuer_key_generate(DEVISSUER_KEY_EC, &k_ec) != DEVISSUER_OK ||
	    devissuer_key_generate(DEVISSUER_KEY_RSA, &k_evil_rsa) != DEVISSUER_OK ||
	    devissuer_key_generate(DEVISSUER_KEY_EC, &k_evil_ec) != DEVISSUER_OK ||
	    devissuer_key_alg_set(k_rsa_ps, JWK_ALG_PS256) != 0)
		return false;
	const struct devissuer_key *pub[] = {k_rsa, k_rsa_ps, k_ec};
	keys = set_of(pub, 3);
	fixtures_ok = keys != NULL && jwk_set_count(keys) == 3;
	return fixtures_ok;
}

#define FIXTURES()                                                                                 \
	do {                                                                                       \
		CHECK(fixtures());                                                                 \
		if (!fixtures_ok)                                                                  \
			return;                                                                    \
	} while (0)

static struct token_policy
policy(void)
{
	struct token_policy p = {
	    .issuers = issuers,
	    .n_issuers = 2,
	    .audiences = audiences,
	    .n_audiences = 2,
	    .alg_mask = ALL_ALGS,
	    .leeway = 0,
	    .max_len = 0,
	};
	return p;
}

/* Verifies tok (NULL counts as a failed mint) with set, pol and now. */
static enum token_err
verify_full(const char *tok, const struct jwk_set *set, const struct token_policy *pol, int64_t now,
            struct principal **out)
{
	struct principal *p = (struct principal *)&p;
	enum token_err err;

	if (tok == NULL)
		return TOKEN_ERR__MAX;
	err = token_verify(tok, strlen(tok), set, pol, now, &p);
	/* The contract: a principal exactly when TOKEN_OK. */
	CHECK(err == TOKEN_OK ? p != NULL : p == NULL);
	if (out != NULL)
		*out = p;
	else
		principal_free(p);
	return err;
}

/* Verifies tok with the fixture set and the default policy at NOW. */
static enum token_err
vrf(const char *tok)
{
	struct token_policy pol = policy();

	return verify_full(tok, keys, &pol, NOW, NULL);
}

/* Like vrf, then frees tok. */
static enum token_err
vrf_free(char *tok)
{
	enum token_err err = vrf(tok);

	free(tok);
	return err;
}

/* Mint options that pass every check at NOW. */
static struct devissuer_token_opts
opts(void)
{
	struct devissuer_token_opts o = {
	    .iss = ISS,
	    .sub = "user-1",
	    .aud = AUD,
	    .scope = "todo:read todo:write",
	    .iat = NOW,
	    .lifetime = 300,
	};
	return o;
}

static char *
mint(const struct devissuer_key *k, const struct devissuer_token_opts *o)
{
	char *tok = NULL;

	CHECK_INT(devissuer_token_mint(k, o, &tok), DEVISSUER_OK);
	return tok;
}

/*
 * Signs header text hdr (where the first "%s" stands for k's kid) and
 * payload with k and alg.
 */
static char *
raw(const struct devissuer_key *k, enum jwk_alg alg, const char *hdr, const char *payload)
{
	char buf[4096], *tok = NULL;
	const char *at = strstr(hdr, "%s");

	if (at == NULL)
		snprintf(buf, sizeof(buf), "%s", hdr);
	else
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - hdr), hdr, devissuer_key_kid(k),
		         at + 2);
	CHECK_INT(devissuer_sign_raw(k, alg, buf, payload, &tok), DEVISSUER_OK);
	return tok;
}

/* Encodes header and payload text and appends sig: an unsigned forgery. */
static char *
forge(const char *hdr, const char *payload, const char *sig64)
{
	char *h = b64url_encode_alloc(hdr, strlen(hdr));
	char *p = b64url_encode_alloc(payload, strlen(payload));
	size_t len = strlen(h) + strlen(p) + strlen(sig64) + 3;
	char *tok = malloc(len);

	snprintf(tok, len, "%s.%s.%s", h, p, sig64);
	free(h);
	free(p);
	return tok;
}

/* Decodes the signature part of tok into buf; returns its length (0 on error). */
static size_t
sig_get(const char *tok, unsigned char *buf, size_t cap)
{
	const char *dot = strrchr(tok, '.');
	size_t n = 0;

	if (dot == NULL || b64url_decode(dot + 1, strlen(dot + 1), buf, cap, &n) != 0)
		return 0;
	return n;
}

/* A copy of tok with its signature part replaced by len bytes of sig. */
static char *
sig_set(const char *tok, const unsigned char *sig, size_t len)
{
	const char *dot = strrchr(tok, '.');
	char *s = b64url_encode_alloc(sig, len);
	size_t keep = (size_t)(dot - tok) + 1, total = keep + strlen(s) + 1;
	char *out = malloc(total);

	memcpy(out, tok, keep);
	memcpy(out + keep, s, strlen(s) + 1);
	free(s);
	return out;
}

/* Mints with libjwt 1.10: alg, key bytes, optional kid, fixed good claims. */
static char *
libjwt_mint(jwt_alg_t alg, const unsigned char *key, size_t keylen, const char *kid)
{
	jwt_t *jwt = NULL;
	char *tok = NULL;

	if (jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_set_alg(jwt, alg, key, (int)keylen) == 0 &&
	    (kid == NULL || jwt_add_header(jwt, "kid", kid) == 0) &&
	    jwt_add_grant(jwt, "iss", ISS) == 0 && jwt_add_grant(jwt, "aud", AUD) == 0 &&
	    jwt_add_grant(jwt, "sub", "libjwt-user") == 0 &&
	    jwt_add_grant(jwt, "scope", "todo:read") == 0 &&
	    jwt_add_grant_int(jwt, "iat", (long)NOW) == 0 &&
	    jwt_add_grant_int(jwt, "exp", (long)NOW + 300) == 0)
		tok = jwt_encode_str(jwt);
	jwt_free(jwt);
	return tok;
}

/* ---- structure ---------------------------------------------------------- */

TEST(alg_none_rejected)
{
	FIXTURES();
	char *t = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", CLAIMS_OK, "AAAA");
	CHECK_INT(vrf_free(t), TOKEN_ERR_ALG);
	t = forge("{\"alg\":\"None\"}", CLAIMS_OK, "AAAA");
	CHECK_INT(vrf_free(t), TOKEN_ERR_ALG);
	/* The unsecured form has an empty signature: not even a JWS for us. */
	t = forge("{\"alg\":\"none\"}", CLAIMS_OK, "");
	CHECK_INT(vrf_free(t), TOKEN_ERR_MALFORMED);
}

TEST(hs256_with_rsa_public_pem_rejected)
{
	FIXTURES();
	char *pem = NULL, *t;

	/* The classic confusion: the public key PEM used as an HMAC secret. */
	CHECK_INT(devissuer_key_public_pem(k_rsa, &pem), DEVISSUER_OK);
	t = libjwt_mint(JWT_ALG_HS256, (const unsigned char *)pem, strlen(pem),
	                devissuer_key_kid(k_rsa));
	CHECK(t != NULL);
	CHECK_INT(vrf(t), TOKEN_ERR_ALG);
	free(t);
	t = libjwt_mint(JWT_ALG_HS256, (const unsigned char *)pem, strlen(pem), NULL);
	CHECK_INT(vrf_free(t), TOKEN_ERR_ALG);
	free(pem);
}

TEST(hs256_with_rsa_public_der_rejected)
{
	FIXTURES();
	unsigned char *der = NULL;
	size_t len = 0;
	char *t;

	CHECK_INT(devissuer_key_public_der(k_rsa, &der, &len), DEVISSUER_OK);
	t = libjwt_mint(JWT_ALG_HS256, der, len, devissuer_key_kid(k_rsa));
	CHECK(t != NULL);
	CHECK_INT(vrf_free(t), TOKEN_ERR_ALG);
	t = libjwt_mint(JWT_ALG_HS512, der, len, devissuer_key_kid(k_rsa));
	CHECK_INT(vrf_free(t), TOKEN_ERR_ALG);
	free(der);
}

TEST(es256_header_with_rsa_kid_rejected)
{
	FIXTURES();
	char hdr[256];

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}", devissuer_key_kid(k_rsa));
	char *t = raw(k_ec, JWK_ALG_ES256, hdr, CLAIMS_OK);
	CHECK_INT(vrf_free(t), TOKEN_ERR_ALG);
}

TEST(rs256_header_with_ec_kid_rejected)
{
	FIXTURES();
	char hdr[256];

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", devissuer_key_kid(k_ec));
	char *t = raw(k_rsa, JWK_ALG_RS256, hdr, CLAIMS_OK);
	CHECK_INT(vrf_free(t), TOKEN_ERR_ALG);
}

TEST(alg_differs_from_key_alg_rejected)
{
	FIXTURES();
	/* k_rsa_ps publishes alg PS256: an RS256 token under its kid is refused. */
	char *t = raw(k_rsa_ps, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", CLAIMS_OK);
	CHECK_INT(vrf_free(t), TOKEN_ERR_ALG);
	t = raw(k_rsa, JWK_ALG_PS256, "{\"alg\":\"PS256\",\"kid\":\"%s\"}", CLAIMS_OK);
	CHECK_INT(vrf_free(t), TOKEN_ERR_ALG);
}

TEST(alg_not_in_allow_list_rejected)
{
	FIXTURES();
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();
	char *t = mint(k_rsa, &o);

	pol.alg_mask = JWK_ALG_BIT(JWK_ALG_ES256);
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_ERR_ALG);
	/* An empty allow-list accepts nothing. */
	pol.alg_mask = 0;
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_ERR_ALG);
	pol.alg_mask = JWK_ALG_BIT(JWK_ALG_RS256);
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_OK);
	free(t);
}

TEST(alg_malformed_rejected)
{
	FIXTURES();
	CHECK_INT(
	    vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"rs256\",\"kid\":\"%s\"}", CLAIMS_OK)),
	    TOKEN_ERR_ALG);
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":256,\"kid\":\"%s\"}", CLAIMS_OK)),
	          TOKEN_ERR_ALG);
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"kid\":\"%s\"}", CLAIMS_OK)),
	          TOKEN_ERR_ALG);
	/* Member names are case-sensitive (RFC 7515 §4): "ALG" is not "alg". */
	CHECK_INT(
	    vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"ALG\":\"RS256\",\"kid\":\"%s\"}", CLAIMS_OK)),
	    TOKEN_ERR_ALG);
}

TEST(unknown_kid_rejected)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();

	o.kid = "rotated-away";
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_KID_UNKNOWN);
	/* The attacker's own key is simply not in the set. */
	o.kid = NULL;
	CHECK_INT(vrf_free(mint(k_evil_rsa, &o)), TOKEN_ERR_KID_UNKNOWN);
	/* No set at all is an empty set. */
	char *t = mint(k_rsa, &o);
	struct token_policy pol = policy();
	CHECK_INT(verify_full(t, NULL, &pol, NOW, NULL), TOKEN_ERR_KID_UNKNOWN);
	free(t);
}

TEST(kid_wrong_type_rejected)
{
	FIXTURES();
	char hdr[512], kid[JWK_KID_MAX + 2];

	CHECK_INT(
	    vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":[\"%s\"]}", CLAIMS_OK)),
	    TOKEN_ERR_HEADER);
	memset(kid, 'k', sizeof(kid) - 1);
	kid[sizeof(kid) - 1] = '\0';
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, hdr, CLAIMS_OK)), TOKEN_ERR_HEADER);
}

TEST(missing_kid_with_several_keys_ambiguous)
{
	FIXTURES();
	const struct devissuer_key *two[] = {k_rsa, k_evil_rsa};
	struct jwk_set *set = set_of(two, 2);
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();
	char *t;

	o.kid = "";
	t = mint(k_rsa, &o);
	CHECK_INT(verify_full(t, set, &pol, NOW, NULL), TOKEN_ERR_KID_AMBIGUOUS);
	/* No key at all for the alg is no better. */
	free(t);
	t = mint(k_ec, &o);
	CHECK_INT(verify_full(t, set, &pol, NOW, NULL), TOKEN_ERR_KID_AMBIGUOUS);
	free(t);
	jwk_set_free(set);
}

TEST(missing_kid_with_one_fitting_key_accepted)
{
	FIXTURES();
	const struct devissuer_key *one[] = {k_ec};
	struct jwk_set *set = set_of(one, 1);
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();
	char *t;

	o.kid = "";
	t = mint(k_ec, &o);
	CHECK_INT(verify_full(t, set, &pol, NOW, NULL), TOKEN_OK);
	/* In the fixture set only one key can do each alg, so each picks it. */
	CHECK_INT(vrf(t), TOKEN_OK);
	free(t);
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_OK);
	CHECK_INT(vrf_free(mint(k_rsa_ps, &o)), TOKEN_OK);
	/* ... and the attacker's key still fails, on the signature. */
	CHECK_INT(vrf_free(mint(k_evil_ec, &o)), TOKEN_ERR_SIGNATURE);
	jwk_set_free(set);
}

TEST(duplicate_kid_same_type_ambiguous)
{
	FIXTURES();
	char *a = NULL, *b = NULL, *doc = NULL, *t;
	const struct devissuer_key *l1[] = {k_rsa}, *l2[] = {k_evil_rsa};
	struct jwk_set *set = NULL;
	struct token_policy pol = policy();

	/* Publish the attacker's key under our kid next to ours. */
	CHECK_INT(devissuer_jwks_export(l1, 1, &a), DEVISSUER_OK);
	CHECK_INT(devissuer_jwks_export(l2, 1, &b), DEVISSUER_OK);
	size_t len = strlen(a) + strlen(b) + 8;
	doc = malloc(len);
	snprintf(doc, len, "%.*s,%s", (int)strlen(a) - 2, a, strchr(b, '[') + 1);
	char *kid2 = strstr(doc, devissuer_key_kid(k_evil_rsa));
	CHECK(kid2 != NULL);
	if (kid2 != NULL)
		memcpy(kid2, devissuer_key_kid(k_rsa), JWK_THUMBPRINT_LEN);
	CHECK_INT(jwk_set_parse(doc, strlen(doc), &set), JWK_OK);
	CHECK_INT(jwk_set_count(set), 2);
	struct devissuer_token_opts o = opts();
	t = mint(k_rsa, &o);
	CHECK_INT(verify_full(t, set, &pol, NOW, NULL), TOKEN_ERR_KID_AMBIGUOUS);
	free(t);
	jwk_set_free(set);
	free(a);
	free(b);
	free(doc);
}

/* ---- time --------------------------------------------------------------- */

TEST(expired_rejected)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();

	o.iat = NOW - 600;
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_EXPIRED);
	/* RFC 7519 §4.1.4: at exp the token is already expired. */
	o.iat = NOW - 300;
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_EXPIRED);
	o.iat = NOW - 299;
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_OK);
}

TEST(missing_exp_rejected)
{
	FIXTURES();
	char *t = raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	              "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\"}");
	CHECK_INT(vrf_free(t), TOKEN_ERR_NO_EXP);
}

TEST(exp_as_string_rejected)
{
	FIXTURES();
	static const char *const bad[] = {
	    "{\"exp\":\"1700000300\",\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    "{\"exp\":true,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    "{\"exp\":null,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    "{\"exp\":[1700000300],\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    "{\"exp\":1e300,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    "{\"exp\":-5,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    CLAIMS_WITH("\"nbf\":\"0\""),
	    CLAIMS_WITH("\"nbf\":{}"),
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
		                       bad[i])),
		          TOKEN_ERR_CLAIMS);
	/* A fractional NumericDate (RFC 7519 §2) is fine. */
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       "{\"exp\":1700000300.5,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}")),
	          TOKEN_OK);
}

TEST(nbf_in_future_rejected)
{
	FIXTURES();
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       CLAIMS_WITH("\"nbf\":1700000001"))),
	          TOKEN_ERR_NOT_YET_VALID);
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       CLAIMS_WITH("\"nbf\":1700000000"))),
	          TOKEN_OK);
	/* A fraction rounds towards refusal: nbf up, exp down. */
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       CLAIMS_WITH("\"nbf\":1700000000.25"))),
	          TOKEN_ERR_NOT_YET_VALID);
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       "{\"exp\":1700000000.75,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}")),
	          TOKEN_ERR_EXPIRED);
}

TEST(iat_in_future_rejected)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();

	o.iat = NOW + 120;
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_IAT_FUTURE);
	o.iat = NOW + 1;
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_IAT_FUTURE);
}

TEST(leeway_honoured_both_sides)
{
	FIXTURES();
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();
	char *t;

	pol.leeway = 60;
	/* exp 30 s ago: inside the leeway. */
	o.iat = NOW - 330;
	t = mint(k_ec, &o);
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_OK);
	CHECK_INT(vrf(t), TOKEN_ERR_EXPIRED);
	free(t);
	/* exp 60 s ago: exp + leeway <= now. */
	o.iat = NOW - 360;
	t = mint(k_ec, &o);
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_ERR_EXPIRED);
	free(t);
	/* iat 60 s ahead passes, 61 s does not. */
	o.iat = NOW + 60;
	t = mint(k_ec, &o);
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_OK);
	free(t);
	o.iat = NOW + 61;
	t = mint(k_ec, &o);
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_ERR_IAT_FUTURE);
	free(t);
	/* nbf likewise. */
	t = raw(k_ec, JWK_ALG_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	        CLAIMS_WITH("\"nbf\":1700000060"));
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_OK);
	CHECK_INT(vrf(t), TOKEN_ERR_NOT_YET_VALID);
	free(t);
	t = raw(k_ec, JWK_ALG_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	        CLAIMS_WITH("\"nbf\":1700000061"));
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_ERR_NOT_YET_VALID);
	free(t);
	/* A negative leeway is none; a huge one is clamped, not overflowed. */
	o.iat = NOW - 301;
	t = mint(k_ec, &o);
	pol.leeway = -100;
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_ERR_EXPIRED);
	pol.leeway = INT64_MAX;
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_OK);
	CHECK_INT(verify_full(t, keys, &pol, NOW + TOKEN_LEEWAY_MAX, NULL), TOKEN_ERR_EXPIRED);
	CHECK_INT(verify_full(t, keys, &pol, INT64_MAX, NULL), TOKEN_ERR_EXPIRED);
	CHECK_INT(verify_full(t, keys, &pol, INT64_MIN, NULL), TOKEN_ERR_IAT_FUTURE);
	free(t);
}

/* ---- issuer and audience ------------------------------------------------ */

TEST(wrong_issuer_rejected)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();
	struct token_policy pol = policy();
	char *t;

	o.iss = "https://evil.example";
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_ISSUER);
	o.iss = NULL;
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_ISSUER);
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       "{\"iss\":[\"" ISS "\"],\"aud\":\"" AUD "\",\"exp\":1700000300}")),
	          TOKEN_ERR_ISSUER);
	/* No accepted issuer configured: nothing passes. */
	o = opts();
	t = mint(k_rsa, &o);
	pol.n_issuers = 0;
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_ERR_ISSUER);
	free(t);
}

TEST(issuer_prefix_suffix_tricks_rejected)
{
	FIXTURES();
	static const char *const tricks[] = {
	    "https://issuer.example.evil.example",
	    "https://issuer.exampl",
	    "https://issuer.example/",
	    "HTTPS://ISSUER.EXAMPLE",
	    "https://issuer.example ",
	    " https://issuer.example",
	    "https://issuer.example?x",
	    "https://issuer.example#",
	    "https://issuer.example@evil.example",
	    "",
	};
	struct devissuer_token_opts o = opts();

	for (size_t i = 0; i < sizeof(tricks) / sizeof(tricks[0]); i++) {
		o.iss = tricks[i];
		CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_ISSUER);
	}
	/* cJSON would cut at \u0000 and see the right issuer: refused earlier. */
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       "{\"iss\":\"" ISS "\\u0000.evil\",\"aud\":\"" AUD
	                       "\",\"exp\":1700000300}")),
	          TOKEN_ERR_CLAIMS);
}

TEST(wrong_audience_rejected)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();
	struct token_policy pol = policy();
	char *t;

	o.aud = "https://mcp.example/other";
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_AUDIENCE);
	o.aud = "https://mcp.example/mcp/";
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_AUDIENCE);
	o.aud = NULL;
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_AUDIENCE);
	o = opts();
	t = mint(k_rsa, &o);
	pol.n_audiences = 0;
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_ERR_AUDIENCE);
	free(t);
}

TEST(wrong_audience_in_array_rejected)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();

	o.aud = "https://a.example https://b.example";
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_AUDIENCE);
	o.aud = "";
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_ERR_AUDIENCE);
	o.aud = "https://a.example " AUD;
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_OK);
}

TEST(audience_wrong_type_rejected)
{
	FIXTURES();
	static const char *const bad[] = {
	    "{\"aud\":42,\"iss\":\"" ISS "\",\"exp\":1700000300}",
	    "{\"aud\":{\"" AUD "\":true},\"iss\":\"" ISS "\",\"exp\":1700000300}",
	    "{\"aud\":null,\"iss\":\"" ISS "\",\"exp\":1700000300}",
	    "{\"aud\":true,\"iss\":\"" ISS "\",\"exp\":1700000300}",
	    /* Our audience is there, beside a member that is not a string. */
	    "{\"aud\":[\"" AUD "\",7],\"iss\":\"" ISS "\",\"exp\":1700000300}",
	    "{\"aud\":[[\"" AUD "\"]],\"iss\":\"" ISS "\",\"exp\":1700000300}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
		                       bad[i])),
		          TOKEN_ERR_AUDIENCE);
}

/* ---- encoding and structure --------------------------------------------- */

TEST(bad_base64url_in_each_part_rejected)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();
	char *good = mint(k_rsa, &o);
	size_t len = strlen(good);
	const char *d1 = strchr(good, '.'), *d2 = strrchr(good, '.');
	const size_t at[] = {1, (size_t)(d1 - good) + 2, (size_t)(d2 - good) + 2};
	const char subst[] = {'+', '/', '!', ' ', '='};

	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < sizeof(subst); j++) {
			char *t = strdup(good);
			t[at[i]] = subst[j];
			CHECK_INT(token_verify(t, len, keys,
			                       &(struct token_policy){.issuers = issuers,
			                                              .n_issuers = 1,
			                                              .audiences = audiences,
			                                              .n_audiences = 1,
			                                              .alg_mask = ALL_ALGS},
			                       NOW, &(struct principal *){NULL}),
			          TOKEN_ERR_MALFORMED);
			free(t);
		}
	}
	/* Non-canonical trailing bits in the header part (RFC 4648 §3.5). */
	char *t = forge("{\"alg\":\"RS256\" }", CLAIMS_OK, "AAAA");
	size_t hl = (size_t)(strchr(t, '.') - t);
	/* 16 bytes: 22 characters, the last carrying 4 unused bits (A, Q, g or w). */
	CHECK_INT(hl, 22);
	t[hl - 1]++;
	CHECK_INT(vrf_free(t), TOKEN_ERR_MALFORMED);
	free(good);
}

TEST(padding_rejected)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();
	char *good = mint(k_rsa, &o), *t;
	size_t len = strlen(good);

	t = malloc(len + 3);
	snprintf(t, len + 3, "%s==", good);
	CHECK_INT(vrf_free(t), TOKEN_ERR_MALFORMED);
	/* '=' after the header part. */
	t = malloc(len + 2);
	size_t hl = (size_t)(strchr(good, '.') - good);
	memcpy(t, good, hl);
	t[hl] = '=';
	memcpy(t + hl + 1, good + hl, len - hl + 1);
	CHECK_INT(vrf_free(t), TOKEN_ERR_MALFORMED);
	free(good);
}

TEST(non_json_header_rejected)
{
	FIXTURES();
	CHECK_INT(vrf_free(forge("not json", CLAIMS_OK, "AAAA")), TOKEN_ERR_HEADER);
	CHECK_INT(vrf_free(forge("{\"alg\":\"RS256\"", CLAIMS_OK, "AAAA")), TOKEN_ERR_HEADER);
	CHECK_INT(vrf_free(forge("{\"alg\":\"RS256\"} x", CLAIMS_OK, "AAAA")), TOKEN_ERR_HEADER);
	CHECK_INT(vrf_free(forge("\"RS256\"", CLAIMS_OK, "AAAA")), TOKEN_ERR_HEADER);
}

TEST(header_json_array_rejected)
{
	FIXTURES();
	CHECK_INT(vrf_free(forge("[{\"alg\":\"RS256\"}]", CLAIMS_OK, "AAAA")), TOKEN_ERR_HEADER);
}

TEST(header_duplicate_member_rejected)
{
	FIXTURES();
	/* Which "alg" wins differs between parsers (RFC 7515 §4 lets us refuse). */
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256,
	                       "{\"alg\":\"RS256\",\"alg\":\"none\",\"kid\":\"%s\"}", CLAIMS_OK)),
	          TOKEN_ERR_HEADER);
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256,
	                       "{\"alg\":\"RS256\",\"kid\":\"%s\",\"kid\":\"other\"}", CLAIMS_OK)),
	          TOKEN_ERR_HEADER);
}

TEST(wrong_part_count_rejected)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();
	char *good = mint(k_rsa, &o), *t;
	size_t len = strlen(good);

	/* Two parts (one dot). */
	t = strdup(good);
	*strrchr(t, '.') = '\0';
	CHECK_INT(vrf(t), TOKEN_ERR_MALFORMED);
	free(t);
	/* Four and five parts (the JWE compact form has five). */
	t = malloc(len + 16);
	snprintf(t, len + 16, "%s.AAAA", good);
	CHECK_INT(vrf(t), TOKEN_ERR_MALFORMED);
	snprintf(t, len + 16, "%s.AAAA.AAAA", good);
	CHECK_INT(vrf_free(t), TOKEN_ERR_MALFORMED);
	/* Empty parts and stray dots. */
	static const char *const shapes[] = {"", ".", "..", "...", "a..b", ".a.b", "a.b.", "a.b"};
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		CHECK_INT(vrf(shapes[i]), TOKEN_ERR_MALFORMED);
	/* An embedded NUL inside the counted length. */
	t = strdup(good);
	t[5] = '\0';
	CHECK_INT(token_verify(t, len, keys, &(struct token_policy){.alg_mask = ALL_ALGS}, NOW,
	                       &(struct principal *){NULL}),
	          TOKEN_ERR_MALFORMED);
	free(t);
	CHECK_INT(token_verify(NULL, 0, keys, &(struct token_policy){.alg_mask = ALL_ALGS}, NOW,
	                       &(struct principal *){NULL}),
	          TOKEN_ERR_MALFORMED);
	free(good);
}

TEST(oversized_token_rejected)
{
	FIXTURES();
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();
	char big[TOKEN_MAX_LEN], extra[TOKEN_MAX_LEN + 64], *t;

	/* A genuine, well-signed token that is simply too long. */
	memset(big, 'x', 6500);
	big[6500] = '\0';
	snprintf(extra, sizeof(extra), "{\"pad\":\"%s\"}", big);
	o.extra_json = extra;
	t = mint(k_ec, &o);
	CHECK(t != NULL && strlen(t) > TOKEN_MAX_LEN);
	CHECK_INT(vrf(t), TOKEN_ERR_TOO_LONG);
	pol.max_len = strlen(t);
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_OK);
	free(t);
	/* A smaller cap from the policy. */
	o = opts();
	t = mint(k_ec, &o);
	pol.max_len = strlen(t) - 1;
	CHECK_INT(verify_full(t, keys, &pol, NOW, NULL), TOKEN_ERR_TOO_LONG);
	free(t);
}

/* ---- signature ---------------------------------------------------------- */

TEST(bad_signature_rejected)
{
	FIXTURES();
	const struct devissuer_key *signers[] = {k_rsa, k_rsa_ps, k_ec};
	struct devissuer_token_opts o = opts();

	for (size_t i = 0; i < 3; i++) {
		unsigned char sig[1024];
		char *t = mint(signers[i], &o), *bad;
		size_t n = sig_get(t, sig, sizeof(sig));

		CHECK(n > 0);
		CHECK_INT(vrf(t), TOKEN_OK);
		sig[n / 2] ^= 0x01;
		bad = sig_set(t, sig, n);
		CHECK_INT(vrf_free(bad), TOKEN_ERR_SIGNATURE);
		free(t);
	}
}

TEST(payload_changed_rejected)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();
	char *t = mint(k_rsa, &o), *evil, *mixed;
	const char *sig = strrchr(t, '.');
	size_t keep;

	/* Other claims, under our kid, signed by the attacker... */
	o.sub = "admin";
	o.kid = devissuer_key_kid(k_rsa);
	evil = mint(k_evil_rsa, &o);
	CHECK_INT(vrf(evil), TOKEN_ERR_SIGNATURE);
	/* ... or carrying the genuine signature of another token. */
	keep = (size_t)(strrchr(evil, '.') - evil);
	mixed = malloc(keep + strlen(sig) + 1);
	memcpy(mixed, evil, keep);
	strcpy(mixed + keep, sig);
	CHECK_INT(vrf_free(mixed), TOKEN_ERR_SIGNATURE);
	free(evil);
	free(t);
}

TEST(truncated_signature_rejected)
{
	FIXTURES();
	const struct devissuer_key *signers[] = {k_rsa, k_ec};
	struct devissuer_token_opts o = opts();

	for (size_t i = 0; i < 2; i++) {
		unsigned char sig[1024];
		char *t = mint(signers[i], &o), *bad;
		size_t n = sig_get(t, sig, sizeof(sig));

		bad = sig_set(t, sig, n - 1);
		CHECK_INT(vrf_free(bad), TOKEN_ERR_SIGNATURE);
		bad = sig_set(t, sig, n / 2);
		CHECK_INT(vrf_free(bad), TOKEN_ERR_SIGNATURE);
		bad = sig_set(t, sig, 1);
		CHECK_INT(vrf_free(bad), TOKEN_ERR_SIGNATURE);
		/* Cut in the text: one character less is an impossible length. */
		bad = strdup(t);
		bad[strlen(bad) - 3] = '\0';
		CHECK(vrf(bad) == TOKEN_ERR_SIGNATURE || vrf(bad) == TOKEN_ERR_MALFORMED);
		free(bad);
		free(t);
	}
}

/* Encodes a DER INTEGER of the big-endian bytes v into out; returns its length. */
static size_t
der_int(const unsigned char *v, size_t len, unsigned char *out)
{
	size_t o = 0;

	while (len > 1 && v[0] == 0) {
		v++;
		len--;
	}
	out[o++] = 0x02;
	out[o++] = (unsigned char)(len + (v[0] & 0x80 ? 1 : 0));
	if (v[0] & 0x80)
		out[o++] = 0x00;
	memcpy(out + o, v, len);
	return o + len;
}

TEST(es256_signature_length_and_form_rejected)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();
	char *t = mint(k_ec, &o);
	unsigned char sig[128], alt[160], der[160];
	size_t n = sig_get(t, sig, sizeof(sig)), dl;

	CHECK_INT(n, 64);
	CHECK_INT(vrf(t), TOKEN_OK);
	/* 63 bytes: R || S with a byte dropped. */
	CHECK_INT(vrf_free(sig_set(t, sig, 63)), TOKEN_ERR_SIGNATURE);
	/* 65 bytes: a leading zero prepended, or a trailing byte appended. */
	alt[0] = 0;
	memcpy(alt + 1, sig, 64);
	CHECK_INT(vrf_free(sig_set(t, alt, 65)), TOKEN_ERR_SIGNATURE);
	memcpy(alt, sig, 64);
	alt[64] = 0;
	CHECK_INT(vrf_free(sig_set(t, alt, 65)), TOKEN_ERR_SIGNATURE);
	/* The very same signature in DER form, as OpenSSL makes it. */
	dl = der_int(sig, 32, der + 2);
	dl += der_int(sig + 32, 32, der + 2 + dl);
	der[0] = 0x30;
	der[1] = (unsigned char)dl;
	CHECK_INT(vrf_free(sig_set(t, der, dl + 2)), TOKEN_ERR_SIGNATURE);
	/* 96 bytes is ES384's length, not ES256's. */
	memset(alt, 0, 96);
	memcpy(alt + 16, sig, 64);
	CHECK_INT(vrf_free(sig_set(t, alt, 96)), TOKEN_ERR_SIGNATURE);
	/* All zero: r = s = 0 is never valid. */
	memset(alt, 0, 64);
	CHECK_INT(vrf_free(sig_set(t, alt, 64)), TOKEN_ERR_SIGNATURE);
	free(t);
}

/* ---- header parameters --------------------------------------------------- */

TEST(unknown_crit_rejected)
{
	FIXTURES();
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256,
	                       "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":[\"exp\"],\"exp\":1}",
	                       CLAIMS_OK)),
	          TOKEN_ERR_CRIT);
	/* RFC 7797: an unencoded payload we would misread. */
	CHECK_INT(
	    vrf_free(raw(k_rsa, JWK_ALG_RS256,
	                 "{\"alg\":\"RS256\",\"kid\":\"%s\",\"b64\":false,\"crit\":[\"b64\"]}",
	                 CLAIMS_OK)),
	    TOKEN_ERR_CRIT);
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256,
	                       "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":[]}", CLAIMS_OK)),
	          TOKEN_ERR_CRIT);
}

TEST(typ_other_than_access_token_rejected)
{
	FIXTURES();
	static const char *const bad[] = {"id_token+jwt", "dpop+jwt",         "logout+jwt",
	                                  "JWS",          "application/json", "",
	                                  "at+jwt ",      "secevent+jwt"};
	struct devissuer_token_opts o = opts();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.typ = bad[i];
		char *t = mint(k_rsa, &o);
		/* "" leaves typ out in the minter; forge an empty typ instead. */
		if (*bad[i] == '\0') {
			free(t);
			t = raw(k_rsa, JWK_ALG_RS256,
			        "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":\"\"}", CLAIMS_OK);
		}
		CHECK_INT(vrf_free(t), TOKEN_ERR_TYP);
	}
	CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":1}",
	                       CLAIMS_OK)),
	          TOKEN_ERR_TYP);
}

TEST(typ_access_token_forms_accepted)
{
	FIXTURES();
	static const char *const ok[] = {
	    "JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"};
	struct devissuer_token_opts o = opts();

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		o.typ = ok[i];
		CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_OK);
	}
	o.typ = "";
	CHECK_INT(vrf_free(mint(k_rsa, &o)), TOKEN_OK);
}

TEST(key_url_headers_ignored)
{
	FIXTURES();
	/* jku / x5u / x5c point elsewhere: never fetched, never used. */
	CHECK_INT(vrf_free(raw(
	              k_rsa, JWK_ALG_RS256,
	              "{\"alg\":\"RS256\",\"kid\":\"%s\",\"jku\":\"https://evil.example/"
	              "jwks.json\",\"x5u\":\"https://evil.example/cert.pem\",\"x5c\":[\"MIIB\"]}",
	              CLAIMS_OK)),
	          TOKEN_OK);
}

TEST(embedded_jwk_of_attacker_rejected)
{
	FIXTURES();
	const struct devissuer_key *evil[] = {k_evil_rsa}, *evil_ec[] = {k_evil_ec};
	char *jwks = NULL, *jwks_ec = NULL, hdr[4096];

	CHECK_INT(devissuer_jwks_export(evil, 1, &jwks), DEVISSUER_OK);
	CHECK_INT(devissuer_jwks_export(evil_ec, 1, &jwks_ec), DEVISSUER_OK);
	/* The attacker's public JWK in the header, our kid, the attacker's signature. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"jwk\":%.*s}",
	         devissuer_key_kid(k_rsa), (int)strlen(strchr(jwks, '[') + 1) - 2,
	         strchr(jwks, '[') + 1);
	CHECK_INT(vrf_free(raw(k_evil_rsa, JWK_ALG_RS256, hdr, CLAIMS_OK)), TOKEN_ERR_SIGNATURE);
	/* ... with the attacker's own kid. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%%s\",\"jwk\":%.*s}",
	         (int)strlen(strchr(jwks, '[') + 1) - 2, strchr(jwks, '[') + 1);
	CHECK_INT(vrf_free(raw(k_evil_rsa, JWK_ALG_RS256, hdr, CLAIMS_OK)), TOKEN_ERR_KID_UNKNOWN);
	/* ... and with no kid, so only the embedded key could match it. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"jwk\":%.*s}",
	         (int)strlen(strchr(jwks_ec, '[') + 1) - 2, strchr(jwks_ec, '[') + 1);
	CHECK_INT(vrf_free(raw(k_evil_ec, JWK_ALG_ES256, hdr, CLAIMS_OK)), TOKEN_ERR_SIGNATURE);
	free(jwks);
	free(jwks_ec);
}

/* ---- claims --------------------------------------------------------------- */

TEST(payload_not_object_rejected)
{
	FIXTURES();
	static const char *const bad[] = {"not json", "[" CLAIMS_OK "]", "\"x\"", "42",
	                                  CLAIMS_OK " trailing",
	                                  /* RFC 7519 §4: duplicate claim names. */
	                                  CLAIMS_WITH("\"aud\":\"urn:evil\"")};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
		                       bad[i])),
		          TOKEN_ERR_CLAIMS);
}

TEST(claim_wrong_type_rejected)
{
	FIXTURES();
	char claims[4096], big[TOKEN_CLAIM_MAX + 2];
	static const char *const bad[] = {
	    CLAIMS_WITH("\"client_id\":5"),
	    CLAIMS_WITH("\"azp\":[\"a\"]"),
	    CLAIMS_WITH("\"org_id\":{}"),
	    CLAIMS_WITH("\"jti\":1"),
	    "{\"sub\":7,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1700000300}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(vrf_free(raw(k_rsa, JWK_ALG_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
		                       bad[i])),
		          TOKEN_ERR_CLAIMS);
	memset(big, 's', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(claims, sizeof(claims), CLAIMS_WITH("\"client_id\":\"%s\""), big);
	CHECK_INT(vrf_free(raw(k_ec, JWK_ALG_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", claims)),
	          TOKEN_ERR_CLAIMS);
}

/* Verifies claims signed by k_ec and returns the principal (NULL on failure). */
static struct principal *
principal_of(const char *claims)
{
	struct principal *p = NULL;
	struct token_policy pol = policy();
	char *t = raw(k_ec, JWK_ALG_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}",
	              claims);

	CHECK_INT(verify_full(t, keys, &pol, NOW, &p), TOKEN_OK);
	free(t);
	return p;
}

TEST(scope_claim_wrong_type_rejected)
{
	FIXTURES();
	static const char *const bad[] = {
	    CLAIMS_WITH("\"scope\":[\"a\"]"),         CLAIMS_WITH("\"scope\":1"),
	    CLAIMS_WITH("\"scp\":{\"a\":1}"),         CLAIMS_WITH("\"scp\":[\"a\",1]"),
	    CLAIMS_WITH("\"scopes\":\"a b\""),        CLAIMS_WITH("\"scopes\":[null]"),
	    CLAIMS_WITH("\"scopes\":[\"a b\"]"),      CLAIMS_WITH("\"scopes\":[\"\"]"),
	    CLAIMS_WITH("\"scope\":\"a \\\"b\\\"\""), CLAIMS_WITH("\"scope\":\"a\\tb\""),
	    CLAIMS_WITH("\"scope\":\"caf\xc3\xa9\""),
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(vrf_free(raw(k_ec, JWK_ALG_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
		                       bad[i])),
		          TOKEN_ERR_CLAIMS);
}

TEST(too_many_scopes_rejected)
{
	FIXTURES();
	char scope[4096], claims[5000];
	size_t o = 0;

	for (int i = 0; i <= TOKEN_SCOPES_MAX; i++)
		o += (size_t)snprintf(scope + o, sizeof(scope) - o, "%ss%d", i ? " " : "", i);
	snprintf(claims, sizeof(claims), CLAIMS_WITH("\"scope\":\"%s\""), scope);
	CHECK_INT(vrf_free(raw(k_ec, JWK_ALG_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", claims)),
	          TOKEN_ERR_CLAIMS);
}

TEST(scope_forms)
{
	FIXTURES();
	struct principal *p;

	p = principal_of(CLAIMS_WITH("\"scope\":\"todo:read  todo:write \""));
	CHECK(p != NULL && p->n_scopes == 2);
	if (p != NULL && p->n_scopes == 2) {
		CHECK_STR(p->scopes[0], "todo:read");
		CHECK_STR(p->scopes[1], "todo:write");
	}
	principal_free(p);
	p = principal_of(CLAIMS_WITH("\"scp\":\"User.Read Mail.Send\""));
	CHECK(p != NULL && p->n_scopes == 2 && principal_has_scope(p, "Mail.Send"));
	principal_free(p);
	p = principal_of(CLAIMS_WITH("\"scp\":[\"a\",\"b\",\"c\"]"));
	CHECK(p != NULL && p->n_scopes == 3 && principal_has_scope(p, "c"));
	principal_free(p);
	p = principal_of(CLAIMS_WITH("\"scopes\":[\"x:y\"]"));
	CHECK(p != NULL && p->n_scopes == 1 && principal_has_scope(p, "x:y"));
	principal_free(p);
	/* No scope claim at all: no scopes, still a valid token. */
	p = principal_of(CLAIMS_OK);
	CHECK(p != NULL && p->n_scopes == 0 && p->scopes == NULL);
	CHECK(!principal_has_scope(p, "a"));
	principal_free(p);
}

TEST(scope_union_and_duplicates)
{
	FIXTURES();
	struct principal *p = principal_of(CLAIMS_WITH(
	    "\"scope\":\"a b a\",\"scp\":[\"b\",\"c\"],\"scopes\":[\"d\",\"a\",\"c\"]"));

	CHECK(p != NULL);
	if (p == NULL)
		return;
	CHECK_INT(p->n_scopes, 4);
	static const char *const want[] = {"a", "b", "c", "d"};
	for (size_t i = 0; i < 4 && i < p->n_scopes; i++)
		CHECK_STR(p->scopes[i], want[i]);
	/* Scopes match exactly and case-sensitively (RFC 6749 §3.3). */
	CHECK(principal_has_scope(p, "d"));
	CHECK(!principal_has_scope(p, "D"));
	CHECK(!principal_has_scope(p, "a b"));
	CHECK(!principal_has_scope(p, ""));
	CHECK(!principal_has_scope(NULL, "a"));
	principal_free(p);
}

TEST(client_id_and_org_aliases)
{
	FIXTURES();
	struct principal *p;

	p = principal_of(CLAIMS_WITH("\"azp\":\"app-1\",\"oid\":\"org-9\""));
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_STR(p->client_id, "app-1");
		CHECK_STR(p->org_id, "org-9");
	}
	principal_free(p);
	/* The RFC 9068 / own names win when both are present. */
	p = principal_of(CLAIMS_WITH(
	    "\"azp\":\"app-1\",\"client_id\":\"cli-2\",\"oid\":\"o\",\"org_id\":\"org\""));
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_STR(p->client_id, "cli-2");
		CHECK_STR(p->org_id, "org");
	}
	principal_free(p);
	p = principal_of(CLAIMS_OK);
	CHECK(p != NULL && p->client_id == NULL && p->org_id == NULL && p->jti == NULL);
	principal_free(p);
}

/* ---- good tokens ---------------------------------------------------------- */

/* Checks a minted token's principal against opts(). */
static void
principal_check_minted(const struct devissuer_key *k, const char *alg)
{
	struct devissuer_token_opts o = opts();
	struct token_policy pol = policy();
	struct principal *p = NULL;
	char *t;

	o.alg = alg;
	o.client_id = "client-7";
	o.org_id = "org-3";
	o.jti = "jti-1";
	t = mint(k, &o);
	CHECK_INT(verify_full(t, keys, &pol, NOW, &p), TOKEN_OK);
	free(t);
	if (p == NULL)
		return;
	CHECK_STR(p->subject, "user-1");
	CHECK_STR(p->client_id, "client-7");
	CHECK_STR(p->org_id, "org-3");
	CHECK_STR(p->issuer, ISS);
	CHECK_STR(p->jti, "jti-1");
	CHECK_INT(p->exp, NOW + 300);
	CHECK_INT(p->iat, NOW);
	CHECK_INT(p->n_scopes, 2);
	CHECK(principal_has_scope(p, "todo:read") && principal_has_scope(p, "todo:write"));
	principal_free(p);
}

TEST(rs256_good)
{
	FIXTURES();
	principal_check_minted(k_rsa, NULL);
	principal_check_minted(k_rsa, "RS256");
}

TEST(ps256_good)
{
	FIXTURES();
	principal_check_minted(k_rsa_ps, "PS256");
}

TEST(es256_good)
{
	FIXTURES();
	principal_check_minted(k_ec, "ES256");
}

TEST(second_issuer_and_audience_accepted)
{
	FIXTURES();
	struct devissuer_token_opts o = opts();

	o.iss = "https://other-issuer.example";
	o.aud = "urn:mcp:other";
	CHECK_INT(vrf_free(mint(k_ec, &o)), TOKEN_OK);
}

TEST(es384_good)
{
	FIXTURES();
	EVP_PKEY *pk = EVP_EC_gen("P-384");
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL, *t = NULL, *jwks = NULL;
	long len = 0;
	struct devissuer_key *k = NULL;
	struct jwk_set *set = NULL;
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();
	unsigned char sig[128];

	CHECK(pk != NULL && bio != NULL &&
	      PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) == 1);
	len = BIO_get_mem_data(bio, &pem);
	CHECK_INT(devissuer_key_from_pem(pem, (size_t)len, &k), DEVISSUER_OK);
	if (k != NULL) {
		const struct devissuer_key *l[] = {k};
		CHECK_INT(devissuer_key_alg(k), JWK_ALG_ES384);
		CHECK_INT(devissuer_jwks_export(l, 1, &jwks), DEVISSUER_OK);
		CHECK_CONTAINS(jwks, "\"crv\":\"P-384\"");
		CHECK_INT(jwk_set_parse(jwks, strlen(jwks), &set), JWK_OK);
		t = mint(k, &o);
		CHECK_INT(sig_get(t, sig, sizeof(sig)), 96);
		CHECK_INT(verify_full(t, set, &pol, NOW, NULL), TOKEN_OK);
		pol.alg_mask = JWK_ALG_BIT(JWK_ALG_ES256);
		CHECK_INT(verify_full(t, set, &pol, NOW, NULL), TOKEN_ERR_ALG);
	}
	free(t);
	free(jwks);
	jwk_set_free(set);
	devissuer_key_free(k);
	BIO_free(bio);
	EVP_PKEY_free(pk);
}

TEST(libjwt_rs256_verifies)
{
	FIXTURES();
	char *pem = NULL, *t;
	size_t len = 0;
	struct principal *p = NULL;
	struct token_policy pol = policy();

	CHECK_INT(devissuer_key_private_pem(k_rsa, &pem, &len), DEVISSUER_OK);
	t = libjwt_mint(JWT_ALG_RS256, (const unsigned char *)pem, len, devissuer_key_kid(k_rsa));
	CHECK(t != NULL);
	CHECK_INT(verify_full(t, keys, &pol, NOW, &p), TOKEN_OK);
	if (p != NULL) {
		CHECK_STR(p->subject, "libjwt-user");
		CHECK(principal_has_scope(p, "todo:read"));
	}
	principal_free(p);
	free(t);
	explicit_bzero(pem, len);
	free(pem);
}

TEST(libjwt_es256_verifies)
{
	FIXTURES();
	char *pem = NULL, *t;
	size_t len = 0;
	unsigned char sig[128];

	CHECK_INT(devissuer_key_private_pem(k_ec, &pem, &len), DEVISSUER_OK);
	t = libjwt_mint(JWT_ALG_ES256, (const unsigned char *)pem, len, devissuer_key_kid(k_ec));
	CHECK(t != NULL);
	if (t != NULL)
		CHECK_INT(sig_get(t, sig, sizeof(sig)), 64);
	CHECK_INT(vrf_free(t), TOKEN_OK);
	/* Without kid: the one ES256 key of the set is taken. */
	t = libjwt_mint(JWT_ALG_ES256, (const unsigned char *)pem, len, NULL);
	CHECK_INT(vrf_free(t), TOKEN_OK);
	explicit_bzero(pem, len);
	free(pem);
}

TEST(our_tokens_decode_in_libjwt)
{
	FIXTURES();
	char *pub = NULL, *t;
	jwt_t *jwt = NULL;
	struct devissuer_token_opts o = opts();

	/* libjwt 1.10 refuses typ at+jwt, so the cross-check uses typ JWT. */
	o.typ = "JWT";
	t = mint(k_rsa, &o);
	CHECK_INT(devissuer_key_public_pem(k_rsa, &pub), DEVISSUER_OK);
	CHECK_INT(jwt_decode(&jwt, t, (const unsigned char *)pub, (int)strlen(pub)), 0);
	if (jwt != NULL)
		CHECK_STR(jwt_get_grant(jwt, "sub"), "user-1");
	jwt_free(jwt);
	free(pub);
	free(t);
}

/* ---- development issuer --------------------------------------------------- */

TEST(devissuer_key_file_private_and_exclusive)
{
	FIXTURES();
	char dir[] = "/tmp/test_token.XXXXXX", path[256], link[256];
	struct devissuer_key *back = NULL;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	snprintf(link, sizeof(link), "%s/link.pem", dir);
	CHECK_INT(devissuer_key_save(k_ec, path), DEVISSUER_OK);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* Never overwritten, never through a symbolic link. */
	CHECK_INT(devissuer_key_save(k_ec, path), DEVISSUER_ERR_EXISTS);
	CHECK(symlink(path, link) == 0);
	CHECK_INT(devissuer_key_save(k_ec, link), DEVISSUER_ERR_EXISTS);
	CHECK_INT(devissuer_key_load(link, &back), DEVISSUER_ERR_IO);
	CHECK(back == NULL);
	CHECK_INT(devissuer_key_load(path, &back), DEVISSUER_OK);
	if (back != NULL)
		CHECK_STR(devissuer_key_kid(back), devissuer_key_kid(k_ec));
	devissuer_key_free(back);
	back = NULL;
	/* A key others may read is refused. */
	CHECK(chmod(path, 0644) == 0);
	CHECK_INT(devissuer_key_load(path, &back), DEVISSUER_ERR_PERM);
	CHECK_INT(devissuer_key_load(dir, &back), DEVISSUER_ERR_PERM);
	CHECK_INT(devissuer_key_load("/nonexistent/key.pem", &back), DEVISSUER_ERR_IO);
	CHECK(back == NULL);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

TEST(devissuer_rejects_bad_input)
{
	FIXTURES();
	struct devissuer_key *k = NULL;
	struct devissuer_token_opts o = opts();
	char *t = NULL;

	CHECK_INT(devissuer_key_from_pem("not a key", 9, &k), DEVISSUER_ERR_KEY);
	CHECK(k == NULL);
	o.alg = "ES256";
	CHECK_INT(devissuer_token_mint(k_rsa, &o, &t), DEVISSUER_ERR_ARG);
	o.alg = "HS256";
	CHECK_INT(devissuer_token_mint(k_rsa, &o, &t), DEVISSUER_ERR_ARG);
	o.alg = NULL;
	o.extra_json = "[1]";
	CHECK_INT(devissuer_token_mint(k_rsa, &o, &t), DEVISSUER_ERR_JSON);
	CHECK(t == NULL);
	CHECK_INT(devissuer_sign_raw(k_ec, JWK_ALG_RS256, "{}", "{}", &t), DEVISSUER_ERR_ARG);
	CHECK_INT(devissuer_key_alg_set(k_evil_ec, JWK_ALG_PS256), -1);
	CHECK(devissuer_strerror(DEVISSUER_ERR__MAX) != NULL);
}

TEST(devissuer_jwks_and_claims)
{
	FIXTURES();
	const struct devissuer_key *l[] = {k_rsa, k_ec};
	char *jwks = NULL, *t;
	struct jwk_set *set = NULL;
	struct principal *p = NULL;
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();

	CHECK_INT(devissuer_jwks_export(l, 2, &jwks), DEVISSUER_OK);
	CHECK_CONTAINS(jwks, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"");
	CHECK_CONTAINS(jwks, "\"use\":\"sig\",\"alg\":\"RS256\"");
	CHECK_CONTAINS(jwks, "\"alg\":\"ES256\",\"crv\":\"P-256\"");
	CHECK(strstr(jwks, "\"d\"") == NULL);
	CHECK_INT(jwk_set_parse(jwks, strlen(jwks), &set), JWK_OK);
	CHECK_INT(jwk_set_count(set), 2);
	/* kid is the RFC 7638 thumbprint of each key. */
	CHECK_STR(jwk_kid(jwk_set_get(set, 0)), jwk_thumbprint(jwk_set_get(set, 0)));
	CHECK_STR(jwk_kid(jwk_set_get(set, 1)), devissuer_key_kid(k_ec));
	/* extra_json replaces our claims and adds its own. */
	o.extra_json = "{\"sub\":\"replaced\",\"scp\":[\"extra\"]}";
	o.jti = NULL;
	t = mint(k_ec, &o);
	CHECK_INT(verify_full(t, set, &pol, NOW, &p), TOKEN_OK);
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

TEST(strerror_is_fixed_text)
{
	for (int e = 0; e <= TOKEN_ERR__MAX; e++) {
		const char *s = token_strerror((enum token_err)e);
		/* Safe inside an RFC 6750 quoted-string: no quote, no backslash. */
		CHECK(s != NULL && *s != '\0' && strpbrk(s, "\"\\") == NULL);
	}
	principal_free(NULL);
}

int
main(int argc, char **argv)
{
	static const struct test_case cases[] = {
	    TEST_CASE(alg_none_rejected),
	    TEST_CASE(hs256_with_rsa_public_pem_rejected),
	    TEST_CASE(hs256_with_rsa_public_der_rejected),
	    TEST_CASE(es256_header_with_rsa_kid_rejected),
	    TEST_CASE(rs256_header_with_ec_kid_rejected),
	    TEST_CASE(alg_differs_from_key_alg_rejected),
	    TEST_CASE(alg_not_in_allow_list_rejected),
	    TEST_CASE(alg_malformed_rejected),
	    TEST_CASE(unknown_kid_rejected),
	    TEST_CASE(kid_wrong_type_rejected),
	    TEST_CASE(missing_kid_with_several_keys_ambiguous),
	    TEST_CASE(missing_kid_with_one_fitting_key_accepted),
	    TEST_CASE(duplicate_kid_same_type_ambiguous),
	    TEST_CASE(expired_rejected),
	    TEST_CASE(missing_exp_rejected),
	    TEST_CASE(exp_as_string_rejected),
	    TEST_CASE(nbf_in_future_rejected),
	    TEST_CASE(iat_in_future_rejected),
	    TEST_CASE(leeway_honoured_both_sides),
	    TEST_CASE(wrong_issuer_rejected),
	    TEST_CASE(issuer_prefix_suffix_tricks_rejected),
	    TEST_CASE(wrong_audience_rejected),
	    TEST_CASE(wrong_audience_in_array_rejected),
	    TEST_CASE(audience_wrong_type_rejected),
	    TEST_CASE(bad_base64url_in_each_part_rejected),
	    TEST_CASE(padding_rejected),
	    TEST_CASE(non_json_header_rejected),
	    TEST_CASE(header_json_array_rejected),
	    TEST_CASE(header_duplicate_member_rejected),
	    TEST_CASE(wrong_part_count_rejected),
	    TEST_CASE(oversized_token_rejected),
	    TEST_CASE(bad_signature_rejected),
	    TEST_CASE(payload_changed_rejected),
	    TEST_CASE(truncated_signature_rejected),
	    TEST_CASE(es256_signature_length_and_form_rejected),
	    TEST_CASE(unknown_crit_rejected),
	    TEST_CASE(typ_other_than_access_token_rejected),
	    TEST_CASE(typ_access_token_forms_accepted),
	    TEST_CASE(key_url_headers_ignored),
	    TEST_CASE(embedded_jwk_of_attacker_rejected),
	    TEST_CASE(payload_not_object_rejected),
	    TEST_CASE(claim_wrong_type_rejected),
	    TEST_CASE(scope_claim_wrong_type_rejected),
	    TEST_CASE(too_many_scopes_rejected),
	    TEST_CASE(scope_forms),
	    TEST_CASE(scope_union_and_duplicates),
	    TEST_CASE(client_id_and_org_aliases),
	    TEST_CASE(rs256_good),
	    TEST_CASE(ps256_good),
	    TEST_CASE(es256_good),
	    TEST_CASE(second_issuer_and_audience_accepted),
	    TEST_CASE(es384_good),
	    TEST_CASE(libjwt_rs256_verifies),
	    TEST_CASE(libjwt_es256_verifies),
	    TEST_CASE(our_tokens_decode_in_libjwt),
	    TEST_CASE(devissuer_key_file_private_and_exclusive),
	    TEST_CASE(devissuer_rejects_bad_input),
	    TEST_CASE(devissuer_jwks_and_claims),
	    TEST_CASE(strerror_is_fixed_text),
	};

	log_open("/dev/null");
	return test_run(argc, argv, __FILE__, NULL, NULL, cases, sizeof(cases) / sizeof(cases[0]));
}
