/*
 * test_token.c - access token verification (RFC 7515, RFC 7519, RFC 9068,
 * RFC 8725): hostile tokens first, then good ones from our development
 * issuer and from libjwt 1.10 as an independent signer.
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

#include <errno.h>
#include <fcntl.h>
#include <jwt.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

/* Claims that pass every check at NOW; exp is NOW + 300. */
#define CLAIMS_OK                                                                                  \
	"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"user-1\",\"exp\":1700000300,"          \
	"\"iat\":1700000000}"
/* CLAIMS_OK with extra members inserted after the first brace. */
#define CLAIMS_WITH(members)                                                                       \
	"{" members ",\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"user-1\","                 \
	"\"exp\":1700000300,\"iat\":1700000000}"
#define ALL_ALGS ((1u << JWA__MAX) - 1)

static const char *const issuers[] = {ISS, "https://other-issuer.example"};
static const char *const audiences[] = {AUD, "urn:mcp:other"};

/* What verify_len returns for a token that passes. */
#define ACCEPTED NULL

/* Every refusal text token_verify may give; nothing else is acceptable. */
static const char *const token_msgs[] = {
    TOKEN_MSG_TOO_LONG,      TOKEN_MSG_MALFORMED,  TOKEN_MSG_HEADER,      TOKEN_MSG_ALG,
    TOKEN_MSG_CRIT,          TOKEN_MSG_TYP,        TOKEN_MSG_KID_UNKNOWN, TOKEN_MSG_KID_AMBIGUOUS,
    TOKEN_MSG_SIGNATURE,     TOKEN_MSG_CLAIMS,     TOKEN_MSG_NO_EXP,      TOKEN_MSG_EXPIRED,
    TOKEN_MSG_NOT_YET_VALID, TOKEN_MSG_IAT_FUTURE, TOKEN_MSG_ISSUER,      TOKEN_MSG_AUDIENCE,
};
#define N_TOKEN_MSGS (sizeof(token_msgs) / sizeof(token_msgs[0]))

/* Keys: rsa (RS256), rsa_ps (PS256), ec (ES256) are published in keys. */
static struct devissuer_key *k_rsa, *k_rsa_ps, *k_ec, *k_evil_rsa, *k_evil_ec;
static struct jwk_set *keys;

/* Builds a jwk_set from n keys through the development issuer's export. */
static struct jwk_set *
set_of(const struct devissuer_key *const *list, size_t n)
{
	char *json = devissuer_jwks_export(list, n);
	struct jwk_set *set = NULL;

	jwk_set_parse(json, strlen(json), &set, NULL);
	free(json);
	return set;
}

/* Not a test: the keys every test uses, generated once per run. */
static int
setup(void)
{
	util_init();
	/* The warnings about keys left out are the point of some tests; keep them quiet. */
	log_open("/dev/null");
	if (devissuer_key_generate(DEVISSUER_KEY_RSA, &k_rsa, NULL) != 0 ||
	    devissuer_key_generate(DEVISSUER_KEY_RSA, &k_rsa_ps, NULL) != 0 ||
	    devissuer_key_generate(DEVISSUER_KEY_EC, &k_ec, NULL) != 0 ||
	    devissuer_key_generate(DEVISSUER_KEY_RSA, &k_evil_rsa, NULL) != 0 ||
	    devissuer_key_generate(DEVISSUER_KEY_EC, &k_evil_ec, NULL) != 0 ||
	    devissuer_key_alg_set(k_rsa_ps, JWA_PS256, NULL) != 0)
		return -1;
	const struct devissuer_key *pub[] = {k_rsa, k_rsa_ps, k_ec};
	keys = set_of(pub, 3);
	return keys != NULL && jwk_set_count(keys) == 3 ? 0 : -1;
}

static void
cleanup(void)
{
	devissuer_key_free(k_rsa);
	devissuer_key_free(k_rsa_ps);
	devissuer_key_free(k_ec);
	devissuer_key_free(k_evil_rsa);
	devissuer_key_free(k_evil_ec);
	jwk_set_free(keys);
}

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

/* The last refusal of verify_len; its message is what the helpers return. */
static struct err last;

/*
 * Verifies len bytes of tok with set, pol and now.  Returns ACCEPTED (NULL),
 * or the refusal's message, after checking the contract: a principal
 * exactly on success, and on failure one of the TOKEN_MSG_* texts exactly,
 * with ERR_NOT_FOUND for an unknown kid and ERR_INVALID for the rest.
 */
static const char *
verify_len(const char *tok, size_t len, const struct jwk_set *set, const struct token_policy *pol,
           int64_t now, struct principal **out)
{
	struct principal *p = (struct principal *)&p;
	bool known = false;
	int rc;

	err_clear(&last);
	rc = token_verify(tok, len, set, pol, now, &p, &last);
	CHECK(rc == 0 ? p != NULL && last.code == ERR_OK : rc == -1 && p == NULL);
	if (out != NULL)
		*out = p;
	else
		principal_free(p);
	if (rc == 0)
		return ACCEPTED;
	for (size_t i = 0; i < N_TOKEN_MSGS; i++)
		known |= strcmp(last.msg, token_msgs[i]) == 0;
	CHECK(known);
	CHECK_INT(last.code,
	          strcmp(last.msg, TOKEN_MSG_KID_UNKNOWN) == 0 ? ERR_NOT_FOUND : ERR_INVALID);
	return last.msg;
}

/* Failed mints (NULL) are reported as such rather than verified. */
#define MINT_FAILED "mint failed"

/* verify_len for the NUL-terminated tok (NULL counts as a failed mint). */
static const char *
verify_full(const char *tok, const struct jwk_set *set, const struct token_policy *pol, int64_t now,
            struct principal **out)
{
	if (tok == NULL)
		return MINT_FAILED;
	return verify_len(tok, strlen(tok), set, pol, now, out);
}

/* Verifies tok with the fixture set and the default policy at NOW. */
static const char *
vrf(const char *tok)
{
	struct token_policy pol = policy();

	return verify_full(tok, keys, &pol, NOW, NULL);
}

/* Like vrf, then frees tok.  The message is a TOKEN_MSG_* literal or MINT_FAILED. */
static const char *
vrf_free(char *tok)
{
	const char *msg = vrf(tok);
	const char *lit = msg;

	/* last.msg may be reused by the next call: hand back the literal itself. */
	for (size_t i = 0; msg != NULL && i < N_TOKEN_MSGS; i++) {
		if (strcmp(msg, token_msgs[i]) == 0)
			lit = token_msgs[i];
	}
	free(tok);
	return lit;
}

/* True when got is want1 or want2 (texts compared). */
static bool
one_of(const char *got, const char *want1, const char *want2)
{
	return got != NULL && (strcmp(got, want1) == 0 || strcmp(got, want2) == 0);
}

/*
 * Signs header text hdr (where the first "%s" stands for k's kid) and
 * payload with k and alg.
 */
static char *
raw(const struct devissuer_key *k, enum jwa_alg alg, const char *hdr, const char *payload)
{
	char buf[4096], *tok = NULL;
	const char *at = strstr(hdr, "%s");

	if (at == NULL)
		snprintf(buf, sizeof(buf), "%s", hdr);
	else
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - hdr), hdr, devissuer_key_kid(k),
		         at + 2);
	CHECK_INT(devissuer_sign_raw(k, alg, buf, payload, &tok, NULL), 0);
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
	char *t = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", CLAIMS_OK, "AAAA");
	CHECK_STR(vrf_free(t), TOKEN_MSG_ALG);
	t = forge("{\"alg\":\"None\"}", CLAIMS_OK, "AAAA");
	CHECK_STR(vrf_free(t), TOKEN_MSG_ALG);
	/* The unsecured form has an empty signature: not even a JWS for us. */
	t = forge("{\"alg\":\"none\"}", CLAIMS_OK, "");
	CHECK_STR(vrf_free(t), TOKEN_MSG_MALFORMED);
}

TEST(hs256_with_rsa_public_pem_rejected)
{
	char *pem = NULL, *t;

	/* The classic confusion: the public key PEM used as an HMAC secret. */
	CHECK_INT(devissuer_key_public_pem(k_rsa, &pem, NULL), 0);
	t = libjwt_mint(JWT_ALG_HS256, (const unsigned char *)pem, strlen(pem),
	                devissuer_key_kid(k_rsa));
	CHECK(t != NULL);
	CHECK_STR(vrf(t), TOKEN_MSG_ALG);
	free(t);
	t = libjwt_mint(JWT_ALG_HS256, (const unsigned char *)pem, strlen(pem), NULL);
	CHECK_STR(vrf_free(t), TOKEN_MSG_ALG);
	free(pem);
}

TEST(hs256_with_rsa_public_der_rejected)
{
	unsigned char *der = NULL;
	size_t len = 0;
	char *t;

	CHECK_INT(devissuer_key_public_der(k_rsa, &der, &len, NULL), 0);
	t = libjwt_mint(JWT_ALG_HS256, der, len, devissuer_key_kid(k_rsa));
	CHECK(t != NULL);
	CHECK_STR(vrf_free(t), TOKEN_MSG_ALG);
	t = libjwt_mint(JWT_ALG_HS512, der, len, devissuer_key_kid(k_rsa));
	CHECK_STR(vrf_free(t), TOKEN_MSG_ALG);
	free(der);
}

TEST(es256_header_with_rsa_kid_rejected)
{
	char hdr[256];

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"}", devissuer_key_kid(k_rsa));
	char *t = raw(k_ec, JWA_ES256, hdr, CLAIMS_OK);
	CHECK_STR(vrf_free(t), TOKEN_MSG_ALG);
}

TEST(rs256_header_with_ec_kid_rejected)
{
	char hdr[256];

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", devissuer_key_kid(k_ec));
	char *t = raw(k_rsa, JWA_RS256, hdr, CLAIMS_OK);
	CHECK_STR(vrf_free(t), TOKEN_MSG_ALG);
}

TEST(alg_differs_from_key_alg_rejected)
{
	/* k_rsa_ps publishes alg PS256: an RS256 token under its kid is refused. */
	char *t = raw(k_rsa_ps, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", CLAIMS_OK);
	CHECK_STR(vrf_free(t), TOKEN_MSG_ALG);
	t = raw(k_rsa, JWA_PS256, "{\"alg\":\"PS256\",\"kid\":\"%s\"}", CLAIMS_OK);
	CHECK_STR(vrf_free(t), TOKEN_MSG_ALG);
}

TEST(alg_not_in_allow_list_rejected)
{
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();
	char *t = mint(k_rsa, &o);

	pol.alg_mask = JWA_BIT(JWA_ES256);
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), TOKEN_MSG_ALG);
	/* An empty allow-list accepts nothing. */
	pol.alg_mask = 0;
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), TOKEN_MSG_ALG);
	pol.alg_mask = JWA_BIT(JWA_RS256);
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), ACCEPTED);
	free(t);
}

TEST(alg_malformed_rejected)
{
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"rs256\",\"kid\":\"%s\"}", CLAIMS_OK)),
	          TOKEN_MSG_ALG);
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":256,\"kid\":\"%s\"}", CLAIMS_OK)),
	          TOKEN_MSG_ALG);
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"kid\":\"%s\"}", CLAIMS_OK)), TOKEN_MSG_ALG);
	/* Member names are case-sensitive (RFC 7515 §4): "ALG" is not "alg". */
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"ALG\":\"RS256\",\"kid\":\"%s\"}", CLAIMS_OK)),
	          TOKEN_MSG_ALG);
}

TEST(unknown_kid_rejected)
{
	struct devissuer_token_opts o = opts();

	o.kid = "rotated-away";
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_KID_UNKNOWN);
	/* The attacker's own key is simply not in the set. */
	o.kid = NULL;
	CHECK_STR(vrf_free(mint(k_evil_rsa, &o)), TOKEN_MSG_KID_UNKNOWN);
	/* No set at all is an empty set. */
	char *t = mint(k_rsa, &o);
	struct token_policy pol = policy();
	CHECK_STR(verify_full(t, NULL, &pol, NOW, NULL), TOKEN_MSG_KID_UNKNOWN);
	free(t);
}

TEST(kid_wrong_type_rejected)
{
	char hdr[512], kid[JWK_KID_MAX + 2];

	CHECK_STR(
	    vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":[\"%s\"]}", CLAIMS_OK)),
	    TOKEN_MSG_HEADER);
	memset(kid, 'k', sizeof(kid) - 1);
	kid[sizeof(kid) - 1] = '\0';
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, hdr, CLAIMS_OK)), TOKEN_MSG_HEADER);
}

TEST(missing_kid_with_several_keys_ambiguous)
{
	const struct devissuer_key *two[] = {k_rsa, k_evil_rsa};
	struct jwk_set *set = set_of(two, 2);
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();
	char *t;

	o.kid = "";
	t = mint(k_rsa, &o);
	CHECK_STR(verify_full(t, set, &pol, NOW, NULL), TOKEN_MSG_KID_AMBIGUOUS);
	/* No key at all for the alg is no better. */
	free(t);
	t = mint(k_ec, &o);
	CHECK_STR(verify_full(t, set, &pol, NOW, NULL), TOKEN_MSG_KID_AMBIGUOUS);
	free(t);
	jwk_set_free(set);
}

TEST(missing_kid_with_one_fitting_key_accepted)
{
	const struct devissuer_key *one[] = {k_ec};
	struct jwk_set *set = set_of(one, 1);
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();
	char *t;

	o.kid = "";
	t = mint(k_ec, &o);
	CHECK_STR(verify_full(t, set, &pol, NOW, NULL), ACCEPTED);
	/* In the fixture set only one key can do each alg, so each picks it. */
	CHECK_STR(vrf(t), ACCEPTED);
	free(t);
	CHECK_STR(vrf_free(mint(k_rsa, &o)), ACCEPTED);
	CHECK_STR(vrf_free(mint(k_rsa_ps, &o)), ACCEPTED);
	/* ... and the attacker's key still fails, on the signature. */
	CHECK_STR(vrf_free(mint(k_evil_ec, &o)), TOKEN_MSG_SIGNATURE);
	jwk_set_free(set);
}

TEST(duplicate_kid_same_type_ambiguous)
{
	char *a = NULL, *b = NULL, *doc = NULL, *t;
	const struct devissuer_key *l1[] = {k_rsa}, *l2[] = {k_evil_rsa};
	struct jwk_set *set = NULL;
	struct token_policy pol = policy();

	/* Publish the attacker's key under our kid next to ours. */
	a = devissuer_jwks_export(l1, 1);
	b = devissuer_jwks_export(l2, 1);
	CHECK(strncmp(a, "{\"keys\":[", 9) == 0 && strncmp(b, "{\"keys\":[", 9) == 0);
	size_t len = strlen(a) + strlen(b) + 8;
	doc = malloc(len);
	snprintf(doc, len, "%.*s,%s", (int)strlen(a) - 2, a, strchr(b, '[') + 1);
	char *kid2 = strstr(doc, devissuer_key_kid(k_evil_rsa));
	CHECK(kid2 != NULL);
	if (kid2 != NULL)
		memcpy(kid2, devissuer_key_kid(k_rsa), JWK_THUMBPRINT_LEN);
	CHECK_INT(jwk_set_parse(doc, strlen(doc), &set, NULL), 0);
	CHECK_INT(jwk_set_count(set), 2);
	struct devissuer_token_opts o = opts();
	t = mint(k_rsa, &o);
	CHECK_STR(verify_full(t, set, &pol, NOW, NULL), TOKEN_MSG_KID_AMBIGUOUS);
	free(t);
	jwk_set_free(set);
	free(a);
	free(b);
	free(doc);
}

/* ---- time --------------------------------------------------------------- */

TEST(expired_rejected)
{
	struct devissuer_token_opts o = opts();

	o.iat = NOW - 600;
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_EXPIRED);
	/* RFC 7519 §4.1.4: at exp the token is already expired. */
	o.iat = NOW - 300;
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_EXPIRED);
	o.iat = NOW - 299;
	CHECK_STR(vrf_free(mint(k_rsa, &o)), ACCEPTED);
}

TEST(missing_exp_rejected)
{
	char *t = raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	              "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\"}");
	CHECK_STR(vrf_free(t), TOKEN_MSG_NO_EXP);
}

TEST(exp_as_string_rejected)
{
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
		CHECK_STR(
		    vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", bad[i])),
		    TOKEN_MSG_CLAIMS);
	/* A fractional NumericDate (RFC 7519 §2) is fine. */
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       "{\"exp\":1700000300.5,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}")),
	          ACCEPTED);
}

TEST(nbf_in_future_rejected)
{
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       CLAIMS_WITH("\"nbf\":1700000001"))),
	          TOKEN_MSG_NOT_YET_VALID);
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       CLAIMS_WITH("\"nbf\":1700000000"))),
	          ACCEPTED);
	/* A fraction rounds towards refusal: nbf up, exp down. */
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       CLAIMS_WITH("\"nbf\":1700000000.25"))),
	          TOKEN_MSG_NOT_YET_VALID);
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       "{\"exp\":1700000000.75,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}")),
	          TOKEN_MSG_EXPIRED);
}

TEST(iat_in_future_rejected)
{
	struct devissuer_token_opts o = opts();

	o.iat = NOW + 120;
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_IAT_FUTURE);
	o.iat = NOW + 1;
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_IAT_FUTURE);
}

TEST(leeway_honoured_both_sides)
{
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();
	char *t;

	pol.leeway = 60;
	/* exp 30 s ago: inside the leeway. */
	o.iat = NOW - 330;
	t = mint(k_ec, &o);
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), ACCEPTED);
	CHECK_STR(vrf(t), TOKEN_MSG_EXPIRED);
	free(t);
	/* exp 60 s ago: exp + leeway <= now. */
	o.iat = NOW - 360;
	t = mint(k_ec, &o);
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), TOKEN_MSG_EXPIRED);
	free(t);
	/* iat 60 s ahead passes, 61 s does not. */
	o.iat = NOW + 60;
	t = mint(k_ec, &o);
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), ACCEPTED);
	free(t);
	o.iat = NOW + 61;
	t = mint(k_ec, &o);
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), TOKEN_MSG_IAT_FUTURE);
	free(t);
	/* nbf likewise. */
	t = raw(k_ec, JWA_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	        CLAIMS_WITH("\"nbf\":1700000060"));
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), ACCEPTED);
	CHECK_STR(vrf(t), TOKEN_MSG_NOT_YET_VALID);
	free(t);
	t = raw(k_ec, JWA_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\"}",
	        CLAIMS_WITH("\"nbf\":1700000061"));
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), TOKEN_MSG_NOT_YET_VALID);
	free(t);
	/* A negative leeway is none; a huge one is clamped, not overflowed. */
	o.iat = NOW - 301;
	t = mint(k_ec, &o);
	pol.leeway = -100;
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), TOKEN_MSG_EXPIRED);
	pol.leeway = INT64_MAX;
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), ACCEPTED);
	CHECK_STR(verify_full(t, keys, &pol, NOW + TOKEN_LEEWAY_MAX, NULL), TOKEN_MSG_EXPIRED);
	CHECK_STR(verify_full(t, keys, &pol, INT64_MAX, NULL), TOKEN_MSG_EXPIRED);
	CHECK_STR(verify_full(t, keys, &pol, INT64_MIN, NULL), TOKEN_MSG_IAT_FUTURE);
	free(t);
}

/* ---- issuer and audience ------------------------------------------------ */

TEST(wrong_issuer_rejected)
{
	struct devissuer_token_opts o = opts();
	struct token_policy pol = policy();
	char *t;

	o.iss = "https://evil.example";
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_ISSUER);
	o.iss = NULL;
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_ISSUER);
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       "{\"iss\":[\"" ISS "\"],\"aud\":\"" AUD "\",\"exp\":1700000300}")),
	          TOKEN_MSG_ISSUER);
	/* No accepted issuer configured: nothing passes. */
	o = opts();
	t = mint(k_rsa, &o);
	pol.n_issuers = 0;
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), TOKEN_MSG_ISSUER);
	free(t);
}

TEST(issuer_prefix_suffix_tricks_rejected)
{
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
		CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_ISSUER);
	}
	/* cJSON would cut at \u0000 and see the right issuer: refused earlier. */
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	                       "{\"iss\":\"" ISS "\\u0000.evil\",\"aud\":\"" AUD
	                       "\",\"exp\":1700000300}")),
	          TOKEN_MSG_CLAIMS);
}

TEST(wrong_audience_rejected)
{
	struct devissuer_token_opts o = opts();
	struct token_policy pol = policy();
	char *t;

	o.aud = "https://mcp.example/other";
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_AUDIENCE);
	o.aud = "https://mcp.example/mcp/";
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_AUDIENCE);
	o.aud = NULL;
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_AUDIENCE);
	o = opts();
	t = mint(k_rsa, &o);
	pol.n_audiences = 0;
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), TOKEN_MSG_AUDIENCE);
	free(t);
}

TEST(wrong_audience_in_array_rejected)
{
	struct devissuer_token_opts o = opts();

	o.aud = "https://a.example https://b.example";
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_AUDIENCE);
	o.aud = "";
	CHECK_STR(vrf_free(mint(k_rsa, &o)), TOKEN_MSG_AUDIENCE);
	o.aud = "https://a.example " AUD;
	CHECK_STR(vrf_free(mint(k_rsa, &o)), ACCEPTED);
}

TEST(audience_wrong_type_rejected)
{
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
		CHECK_STR(
		    vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", bad[i])),
		    TOKEN_MSG_AUDIENCE);
}

/* ---- encoding and structure --------------------------------------------- */

TEST(bad_base64url_in_each_part_rejected)
{
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
			CHECK_STR(verify_len(t, len, keys,
			                     &(struct token_policy){.issuers = issuers,
			                                            .n_issuers = 1,
			                                            .audiences = audiences,
			                                            .n_audiences = 1,
			                                            .alg_mask = ALL_ALGS},
			                     NOW, NULL),
			          TOKEN_MSG_MALFORMED);
			free(t);
		}
	}
	/* Non-canonical trailing bits in the header part (RFC 4648 §3.5). */
	char *t = forge("{\"alg\":\"RS256\" }", CLAIMS_OK, "AAAA");
	size_t hl = (size_t)(strchr(t, '.') - t);
	/* 16 bytes: 22 characters, the last carrying 4 unused bits (A, Q, g or w). */
	CHECK_INT(hl, 22);
	t[hl - 1]++;
	CHECK_STR(vrf_free(t), TOKEN_MSG_MALFORMED);
	free(good);
}

TEST(padding_rejected)
{
	struct devissuer_token_opts o = opts();
	char *good = mint(k_rsa, &o), *t;
	size_t len = strlen(good);

	t = malloc(len + 3);
	snprintf(t, len + 3, "%s==", good);
	CHECK_STR(vrf_free(t), TOKEN_MSG_MALFORMED);
	/* '=' after the header part. */
	t = malloc(len + 2);
	size_t hl = (size_t)(strchr(good, '.') - good);
	memcpy(t, good, hl);
	t[hl] = '=';
	memcpy(t + hl + 1, good + hl, len - hl + 1);
	CHECK_STR(vrf_free(t), TOKEN_MSG_MALFORMED);
	free(good);
}

TEST(non_json_header_rejected)
{
	CHECK_STR(vrf_free(forge("not json", CLAIMS_OK, "AAAA")), TOKEN_MSG_HEADER);
	CHECK_STR(vrf_free(forge("{\"alg\":\"RS256\"", CLAIMS_OK, "AAAA")), TOKEN_MSG_HEADER);
	CHECK_STR(vrf_free(forge("{\"alg\":\"RS256\"} x", CLAIMS_OK, "AAAA")), TOKEN_MSG_HEADER);
	CHECK_STR(vrf_free(forge("\"RS256\"", CLAIMS_OK, "AAAA")), TOKEN_MSG_HEADER);
}

TEST(header_json_array_rejected)
{
	CHECK_STR(vrf_free(forge("[{\"alg\":\"RS256\"}]", CLAIMS_OK, "AAAA")), TOKEN_MSG_HEADER);
}

TEST(header_duplicate_member_rejected)
{
	/* Which "alg" wins differs between parsers (RFC 7515 §4 lets us refuse). */
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256,
	                       "{\"alg\":\"RS256\",\"alg\":\"none\",\"kid\":\"%s\"}", CLAIMS_OK)),
	          TOKEN_MSG_HEADER);
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256,
	                       "{\"alg\":\"RS256\",\"kid\":\"%s\",\"kid\":\"other\"}", CLAIMS_OK)),
	          TOKEN_MSG_HEADER);
}

TEST(wrong_part_count_rejected)
{
	struct devissuer_token_opts o = opts();
	char *good = mint(k_rsa, &o), *t;
	size_t len = strlen(good);

	/* Two parts (one dot). */
	t = strdup(good);
	*strrchr(t, '.') = '\0';
	CHECK_STR(vrf(t), TOKEN_MSG_MALFORMED);
	free(t);
	/* Four and five parts (the JWE compact form has five). */
	t = malloc(len + 16);
	snprintf(t, len + 16, "%s.AAAA", good);
	CHECK_STR(vrf(t), TOKEN_MSG_MALFORMED);
	snprintf(t, len + 16, "%s.AAAA.AAAA", good);
	CHECK_STR(vrf_free(t), TOKEN_MSG_MALFORMED);
	/* Empty parts and stray dots. */
	static const char *const shapes[] = {"", ".", "..", "...", "a..b", ".a.b", "a.b.", "a.b"};
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		CHECK_STR(vrf(shapes[i]), TOKEN_MSG_MALFORMED);
	/* An embedded NUL inside the counted length. */
	t = strdup(good);
	t[5] = '\0';
	CHECK_STR(verify_len(t, len, keys, &(struct token_policy){.alg_mask = ALL_ALGS}, NOW, NULL),
	          TOKEN_MSG_MALFORMED);
	free(t);
	CHECK_STR(
	    verify_len(NULL, 0, keys, &(struct token_policy){.alg_mask = ALL_ALGS}, NOW, NULL),
	    TOKEN_MSG_MALFORMED);
	free(good);
}

TEST(oversized_token_rejected)
{
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
	CHECK_STR(vrf(t), TOKEN_MSG_TOO_LONG);
	pol.max_len = strlen(t);
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), ACCEPTED);
	free(t);
	/* A smaller cap from the policy. */
	o = opts();
	t = mint(k_ec, &o);
	pol.max_len = strlen(t) - 1;
	CHECK_STR(verify_full(t, keys, &pol, NOW, NULL), TOKEN_MSG_TOO_LONG);
	free(t);
}

/* ---- signature ---------------------------------------------------------- */

TEST(bad_signature_rejected)
{
	const struct devissuer_key *signers[] = {k_rsa, k_rsa_ps, k_ec};
	struct devissuer_token_opts o = opts();

	for (size_t i = 0; i < 3; i++) {
		unsigned char sig[1024];
		char *t = mint(signers[i], &o), *bad;
		size_t n = sig_get(t, sig, sizeof(sig));

		CHECK(n > 0);
		CHECK_STR(vrf(t), ACCEPTED);
		sig[n / 2] ^= 0x01;
		bad = sig_set(t, sig, n);
		CHECK_STR(vrf_free(bad), TOKEN_MSG_SIGNATURE);
		free(t);
	}
}

TEST(payload_changed_rejected)
{
	struct devissuer_token_opts o = opts();
	char *t = mint(k_rsa, &o), *evil, *mixed;
	const char *sig = strrchr(t, '.');
	size_t keep;

	/* Other claims, under our kid, signed by the attacker... */
	o.sub = "admin";
	o.kid = devissuer_key_kid(k_rsa);
	evil = mint(k_evil_rsa, &o);
	CHECK_STR(vrf(evil), TOKEN_MSG_SIGNATURE);
	/* ... or carrying the genuine signature of another token. */
	keep = (size_t)(strrchr(evil, '.') - evil);
	mixed = malloc(keep + strlen(sig) + 1);
	memcpy(mixed, evil, keep);
	strcpy(mixed + keep, sig);
	CHECK_STR(vrf_free(mixed), TOKEN_MSG_SIGNATURE);
	free(evil);
	free(t);
}

TEST(truncated_signature_rejected)
{
	const struct devissuer_key *signers[] = {k_rsa, k_ec};
	struct devissuer_token_opts o = opts();

	for (size_t i = 0; i < 2; i++) {
		unsigned char sig[1024];
		char *t = mint(signers[i], &o), *bad;
		size_t n = sig_get(t, sig, sizeof(sig));

		bad = sig_set(t, sig, n - 1);
		CHECK_STR(vrf_free(bad), TOKEN_MSG_SIGNATURE);
		bad = sig_set(t, sig, n / 2);
		CHECK_STR(vrf_free(bad), TOKEN_MSG_SIGNATURE);
		bad = sig_set(t, sig, 1);
		CHECK_STR(vrf_free(bad), TOKEN_MSG_SIGNATURE);
		/* Cut in the text: one character less is an impossible length. */
		bad = strdup(t);
		bad[strlen(bad) - 3] = '\0';
		CHECK(one_of(vrf(bad), TOKEN_MSG_SIGNATURE, TOKEN_MSG_MALFORMED));
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
	struct devissuer_token_opts o = opts();
	char *t = mint(k_ec, &o);
	unsigned char sig[128], alt[160], der[160];
	size_t n = sig_get(t, sig, sizeof(sig)), dl;

	CHECK_INT(n, 64);
	CHECK_STR(vrf(t), ACCEPTED);
	/* 63 bytes: R || S with a byte dropped. */
	CHECK_STR(vrf_free(sig_set(t, sig, 63)), TOKEN_MSG_SIGNATURE);
	/* 65 bytes: a leading zero prepended, or a trailing byte appended. */
	alt[0] = 0;
	memcpy(alt + 1, sig, 64);
	CHECK_STR(vrf_free(sig_set(t, alt, 65)), TOKEN_MSG_SIGNATURE);
	memcpy(alt, sig, 64);
	alt[64] = 0;
	CHECK_STR(vrf_free(sig_set(t, alt, 65)), TOKEN_MSG_SIGNATURE);
	/* The very same signature in DER form, as OpenSSL makes it. */
	dl = der_int(sig, 32, der + 2);
	dl += der_int(sig + 32, 32, der + 2 + dl);
	der[0] = 0x30;
	der[1] = (unsigned char)dl;
	CHECK_STR(vrf_free(sig_set(t, der, dl + 2)), TOKEN_MSG_SIGNATURE);
	/* 96 bytes is ES384's length, not ES256's. */
	memset(alt, 0, 96);
	memcpy(alt + 16, sig, 64);
	CHECK_STR(vrf_free(sig_set(t, alt, 96)), TOKEN_MSG_SIGNATURE);
	/* All zero: r = s = 0 is never valid. */
	memset(alt, 0, 64);
	CHECK_STR(vrf_free(sig_set(t, alt, 64)), TOKEN_MSG_SIGNATURE);
	free(t);
}

/* ---- header parameters --------------------------------------------------- */

TEST(unknown_crit_rejected)
{
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256,
	                       "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":[\"exp\"],\"exp\":1}",
	                       CLAIMS_OK)),
	          TOKEN_MSG_CRIT);
	/* RFC 7797: an unencoded payload we would misread. */
	CHECK_STR(
	    vrf_free(raw(k_rsa, JWA_RS256,
	                 "{\"alg\":\"RS256\",\"kid\":\"%s\",\"b64\":false,\"crit\":[\"b64\"]}",
	                 CLAIMS_OK)),
	    TOKEN_MSG_CRIT);
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":[]}",
	                       CLAIMS_OK)),
	          TOKEN_MSG_CRIT);
}

TEST(typ_other_than_access_token_rejected)
{
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
			t = raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":\"\"}",
			        CLAIMS_OK);
		}
		CHECK_STR(vrf_free(t), TOKEN_MSG_TYP);
	}
	CHECK_STR(vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":1}",
	                       CLAIMS_OK)),
	          TOKEN_MSG_TYP);
}

TEST(typ_access_token_forms_accepted)
{
	static const char *const ok[] = {
	    "JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"};
	struct devissuer_token_opts o = opts();

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		o.typ = ok[i];
		CHECK_STR(vrf_free(mint(k_rsa, &o)), ACCEPTED);
	}
	o.typ = "";
	CHECK_STR(vrf_free(mint(k_rsa, &o)), ACCEPTED);
}

/* OAUTH_TOKEN_TYPES=at+jwt: an operator may require RFC 9068 access tokens only (§4). */
TEST(typ_at_jwt_only_policy)
{
	struct token_policy pol = policy();
	struct devissuer_token_opts o = opts();
	unsigned t = 0;
	char *tok;

	pol.types = TOKEN_TYPE_AT_JWT;
	o.typ = "at+jwt";
	tok = mint(k_rsa, &o);
	CHECK_STR(verify_full(tok, keys, &pol, NOW, NULL), ACCEPTED);
	free(tok);
	o.typ = "application/AT+JWT";
	tok = mint(k_rsa, &o);
	CHECK_STR(verify_full(tok, keys, &pol, NOW, NULL), ACCEPTED);
	free(tok);
	o.typ = "JWT";
	tok = mint(k_rsa, &o);
	CHECK_STR(verify_full(tok, keys, &pol, NOW, NULL), TOKEN_MSG_TYP);
	free(tok);
	/* No typ at all is a plain JWT (RFC 7519 §5.1): refused here too. */
	o.typ = "";
	tok = mint(k_rsa, &o);
	CHECK_STR(verify_full(tok, keys, &pol, NOW, NULL), TOKEN_MSG_TYP);
	free(tok);
	/* And a JWT-only policy refuses at+jwt. */
	pol.types = TOKEN_TYPE_JWT;
	o.typ = "at+jwt";
	tok = mint(k_rsa, &o);
	CHECK_STR(verify_full(tok, keys, &pol, NOW, NULL), TOKEN_MSG_TYP);
	free(tok);
	CHECK_INT(token_type_parse("Application/JWT", &t), 0);
	CHECK_INT(t, TOKEN_TYPE_JWT);
	CHECK_INT(token_type_parse("dpop+jwt", &t), -1);
	CHECK_INT(token_type_parse(NULL, &t), -1);
}

TEST(key_url_headers_ignored)
{
	/* jku / x5u / x5c point elsewhere: never fetched, never used. */
	CHECK_STR(vrf_free(raw(
	              k_rsa, JWA_RS256,
	              "{\"alg\":\"RS256\",\"kid\":\"%s\",\"jku\":\"https://evil.example/"
	              "jwks.json\",\"x5u\":\"https://evil.example/cert.pem\",\"x5c\":[\"MIIB\"]}",
	              CLAIMS_OK)),
	          ACCEPTED);
}

TEST(embedded_jwk_of_attacker_rejected)
{
	const struct devissuer_key *evil[] = {k_evil_rsa}, *evil_ec[] = {k_evil_ec};
	char *jwks = NULL, *jwks_ec = NULL, hdr[4096];

	jwks = devissuer_jwks_export(evil, 1);
	jwks_ec = devissuer_jwks_export(evil_ec, 1);
	CHECK(strncmp(jwks, "{\"keys\":[", 9) == 0 && strncmp(jwks_ec, "{\"keys\":[", 9) == 0);
	/* The attacker's public JWK in the header, our kid, the attacker's signature. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%s\",\"jwk\":%.*s}",
	         devissuer_key_kid(k_rsa), (int)strlen(strchr(jwks, '[') + 1) - 2,
	         strchr(jwks, '[') + 1);
	CHECK_STR(vrf_free(raw(k_evil_rsa, JWA_RS256, hdr, CLAIMS_OK)), TOKEN_MSG_SIGNATURE);
	/* ... with the attacker's own kid. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%%s\",\"jwk\":%.*s}",
	         (int)strlen(strchr(jwks, '[') + 1) - 2, strchr(jwks, '[') + 1);
	CHECK_STR(vrf_free(raw(k_evil_rsa, JWA_RS256, hdr, CLAIMS_OK)), TOKEN_MSG_KID_UNKNOWN);
	/* ... and with no kid, so only the embedded key could match it. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"jwk\":%.*s}",
	         (int)strlen(strchr(jwks_ec, '[') + 1) - 2, strchr(jwks_ec, '[') + 1);
	CHECK_STR(vrf_free(raw(k_evil_ec, JWA_ES256, hdr, CLAIMS_OK)), TOKEN_MSG_SIGNATURE);
	free(jwks);
	free(jwks_ec);
}

/* ---- claims --------------------------------------------------------------- */

TEST(payload_not_object_rejected)
{
	static const char *const bad[] = {"not json", "[" CLAIMS_OK "]", "\"x\"", "42",
	                                  CLAIMS_OK " trailing",
	                                  /* RFC 7519 §4: duplicate claim names. */
	                                  CLAIMS_WITH("\"aud\":\"urn:evil\"")};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_STR(
		    vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", bad[i])),
		    TOKEN_MSG_CLAIMS);
}

TEST(claim_wrong_type_rejected)
{
	char claims[4096], big[TOKEN_CLAIM_MAX + 2];
	static const char *const bad[] = {
	    CLAIMS_WITH("\"client_id\":5"),
	    CLAIMS_WITH("\"azp\":[\"a\"]"),
	    CLAIMS_WITH("\"org_id\":{}"),
	    CLAIMS_WITH("\"jti\":1"),
	    "{\"sub\":7,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1700000300}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_STR(
		    vrf_free(raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", bad[i])),
		    TOKEN_MSG_CLAIMS);
	memset(big, 's', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(claims, sizeof(claims), CLAIMS_WITH("\"client_id\":\"%s\""), big);
	CHECK_STR(vrf_free(raw(k_ec, JWA_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", claims)),
	          TOKEN_MSG_CLAIMS);
}

/* Verifies claims signed by k_ec and returns the principal (NULL on failure). */
static struct principal *
principal_of(const char *claims)
{
	struct principal *p = NULL;
	struct token_policy pol = policy();
	char *t =
	    raw(k_ec, JWA_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}", claims);

	CHECK_STR(verify_full(t, keys, &pol, NOW, &p), ACCEPTED);
	free(t);
	return p;
}

TEST(scope_claim_wrong_type_rejected)
{
	static const char *const bad[] = {
	    CLAIMS_WITH("\"scope\":[\"a\"]"),         CLAIMS_WITH("\"scope\":1"),
	    CLAIMS_WITH("\"scp\":{\"a\":1}"),         CLAIMS_WITH("\"scp\":[\"a\",1]"),
	    CLAIMS_WITH("\"scopes\":\"a b\""),        CLAIMS_WITH("\"scopes\":[null]"),
	    CLAIMS_WITH("\"scopes\":[\"a b\"]"),      CLAIMS_WITH("\"scopes\":[\"\"]"),
	    CLAIMS_WITH("\"scope\":\"a \\\"b\\\"\""), CLAIMS_WITH("\"scope\":\"a\\tb\""),
	    CLAIMS_WITH("\"scope\":\"caf\xc3\xa9\""),
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_STR(
		    vrf_free(raw(k_ec, JWA_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", bad[i])),
		    TOKEN_MSG_CLAIMS);
}

TEST(too_many_scopes_rejected)
{
	char scope[4096], claims[5000];
	size_t o = 0;

	for (int i = 0; i <= TOKEN_SCOPES_MAX; i++)
		o += (size_t)snprintf(scope + o, sizeof(scope) - o, "%ss%d", i ? " " : "", i);
	snprintf(claims, sizeof(claims), CLAIMS_WITH("\"scope\":\"%s\""), scope);
	CHECK_STR(vrf_free(raw(k_ec, JWA_ES256, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", claims)),
	          TOKEN_MSG_CLAIMS);
}

TEST(scope_forms)
{
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
	CHECK_STR(verify_full(t, keys, &pol, NOW, &p), ACCEPTED);
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
	principal_check_minted(k_rsa, NULL);
	principal_check_minted(k_rsa, "RS256");
}

TEST(ps256_good)
{
	principal_check_minted(k_rsa_ps, "PS256");
}

TEST(es256_good)
{
	principal_check_minted(k_ec, "ES256");
}

TEST(second_issuer_and_audience_accepted)
{
	struct devissuer_token_opts o = opts();

	o.iss = "https://other-issuer.example";
	o.aud = "urn:mcp:other";
	CHECK_STR(vrf_free(mint(k_ec, &o)), ACCEPTED);
}

TEST(es384_good)
{
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
	CHECK_INT(devissuer_key_from_pem(pem, (size_t)len, &k, NULL), 0);
	if (k != NULL) {
		const struct devissuer_key *l[] = {k};
		CHECK_INT(devissuer_key_alg(k), JWA_ES384);
		jwks = devissuer_jwks_export(l, 1);
		CHECK(strncmp(jwks, "{\"keys\":[", 9) == 0);
		CHECK_CONTAINS(jwks, "\"crv\":\"P-384\"");
		CHECK_INT(jwk_set_parse(jwks, strlen(jwks), &set, NULL), 0);
		t = mint(k, &o);
		CHECK_INT(sig_get(t, sig, sizeof(sig)), 96);
		CHECK_STR(verify_full(t, set, &pol, NOW, NULL), ACCEPTED);
		pol.alg_mask = JWA_BIT(JWA_ES256);
		CHECK_STR(verify_full(t, set, &pol, NOW, NULL), TOKEN_MSG_ALG);
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
	char *pem = NULL, *t;
	size_t len = 0;
	struct principal *p = NULL;
	struct token_policy pol = policy();

	CHECK_INT(devissuer_key_private_pem(k_rsa, &pem, &len, NULL), 0);
	t = libjwt_mint(JWT_ALG_RS256, (const unsigned char *)pem, len, devissuer_key_kid(k_rsa));
	CHECK(t != NULL);
	CHECK_STR(verify_full(t, keys, &pol, NOW, &p), ACCEPTED);
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
	char *pem = NULL, *t;
	size_t len = 0;
	unsigned char sig[128];

	CHECK_INT(devissuer_key_private_pem(k_ec, &pem, &len, NULL), 0);
	t = libjwt_mint(JWT_ALG_ES256, (const unsigned char *)pem, len, devissuer_key_kid(k_ec));
	CHECK(t != NULL);
	if (t != NULL)
		CHECK_INT(sig_get(t, sig, sizeof(sig)), 64);
	CHECK_STR(vrf_free(t), ACCEPTED);
	/* Without kid: the one ES256 key of the set is taken. */
	t = libjwt_mint(JWT_ALG_ES256, (const unsigned char *)pem, len, NULL);
	CHECK_STR(vrf_free(t), ACCEPTED);
	explicit_bzero(pem, len);
	free(pem);
}

/* ---- messages, the expiry rule, the principal ----------------------------- */

/* Checks that tok (freed here) is refused with exactly msg and its code. */
static void
refused_with(char *tok, const struct jwk_set *set, const struct token_policy *pol, const char *msg)
{
	struct principal *p = (struct principal *)&p;
	struct err e;

	CHECK(tok != NULL);
	if (tok == NULL)
		return;
	CHECK_INT(token_verify(tok, strlen(tok), set, pol, NOW, &p, &e), -1);
	CHECK(p == NULL);
	CHECK_ERR(e, strcmp(msg, TOKEN_MSG_KID_UNKNOWN) == 0 ? ERR_NOT_FOUND : ERR_INVALID, NULL);
	CHECK_STR(e.msg, msg);
	free(tok);
}

TEST(messages_safe_and_carried)
{
	const struct devissuer_key *two[] = {k_rsa, k_evil_rsa};
	struct jwk_set *set2 = set_of(two, 2);
	struct token_policy pol = policy(), tiny = policy();
	struct devissuer_token_opts o = opts(), nokid = opts(), evil = opts();
	const char *h = "{\"alg\":\"RS256\",\"kid\":\"%s\"}";

	/* Safe inside an RFC 6750 quoted-string: no quote, no backslash. */
	for (size_t i = 0; i < N_TOKEN_MSGS; i++)
		CHECK(*token_msgs[i] != '\0' && strpbrk(token_msgs[i], "\"\\") == NULL);
	/* ... and each one is what a token refused for that reason carries. */
	tiny.max_len = 10;
	refused_with(mint(k_rsa, &o), keys, &tiny, TOKEN_MSG_TOO_LONG);
	refused_with(strdup("a.b"), keys, &pol, TOKEN_MSG_MALFORMED);
	refused_with(forge("not json", CLAIMS_OK, "AAAA"), keys, &pol, TOKEN_MSG_HEADER);
	refused_with(forge("{\"alg\":\"none\"}", CLAIMS_OK, "AAAA"), keys, &pol, TOKEN_MSG_ALG);
	refused_with(
	    raw(k_rsa, JWA_RS256, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"crit\":[\"x\"]}", CLAIMS_OK),
	    keys, &pol, TOKEN_MSG_CRIT);
	o.typ = "dpop+jwt";
	refused_with(mint(k_rsa, &o), keys, &pol, TOKEN_MSG_TYP);
	o.typ = NULL;
	o.kid = "rotated-away";
	refused_with(mint(k_rsa, &o), keys, &pol, TOKEN_MSG_KID_UNKNOWN);
	nokid.kid = "";
	refused_with(mint(k_rsa, &nokid), set2, &pol, TOKEN_MSG_KID_AMBIGUOUS);
	evil.kid = devissuer_key_kid(k_rsa);
	refused_with(mint(k_evil_rsa, &evil), keys, &pol, TOKEN_MSG_SIGNATURE);
	refused_with(raw(k_rsa, JWA_RS256, h, "[1]"), keys, &pol, TOKEN_MSG_CLAIMS);
	refused_with(raw(k_rsa, JWA_RS256, h, "{\"iss\":\"" ISS "\"}"), keys, &pol,
	             TOKEN_MSG_NO_EXP);
	refused_with(raw(k_rsa, JWA_RS256, h, "{\"exp\":1}"), keys, &pol, TOKEN_MSG_EXPIRED);
	refused_with(raw(k_rsa, JWA_RS256, h, CLAIMS_WITH("\"nbf\":1800000000")), keys, &pol,
	             TOKEN_MSG_NOT_YET_VALID);
	refused_with(raw(k_rsa, JWA_RS256, h, "{\"exp\":1800000000,\"iat\":1800000000}"), keys,
	             &pol, TOKEN_MSG_IAT_FUTURE);
	refused_with(raw(k_rsa, JWA_RS256, h, "{\"exp\":1800000000,\"iss\":\"x\"}"), keys, &pol,
	             TOKEN_MSG_ISSUER);
	refused_with(raw(k_rsa, JWA_RS256, h, "{\"exp\":1800000000,\"iss\":\"" ISS "\"}"), keys,
	             &pol, TOKEN_MSG_AUDIENCE);
	jwk_set_free(set2);
}

TEST(token_expired_rule)
{
	/* RFC 7519 §4.1.4: at exp the token is already expired. */
	CHECK(token_expired(NOW, 0, NOW));
	CHECK(!token_expired(NOW + 1, 0, NOW));
	CHECK(token_expired(NOW - 1, 0, NOW));
	/* Leeway extends validity: expired only once exp + leeway <= now. */
	CHECK(!token_expired(NOW - 59, 60, NOW));
	CHECK(token_expired(NOW - 60, 60, NOW));
	/* A negative leeway is none; a huge one is TOKEN_LEEWAY_MAX. */
	CHECK(token_expired(NOW, -100, NOW));
	CHECK(!token_expired(NOW - TOKEN_LEEWAY_MAX + 1, INT64_MAX, NOW));
	CHECK(token_expired(NOW - TOKEN_LEEWAY_MAX, INT64_MAX, NOW));
	/* No overflow at the edges of int64_t. */
	CHECK(!token_expired(INT64_MAX, TOKEN_LEEWAY_MAX, INT64_MAX));
	CHECK(token_expired(INT64_MIN, TOKEN_LEEWAY_MAX, INT64_MAX));
	CHECK(!token_expired(NOW, 0, INT64_MIN));
	CHECK(token_expired(INT64_MAX - TOKEN_LEEWAY_MAX, TOKEN_LEEWAY_MAX, INT64_MAX));
}

TEST(principal_dup_is_deep)
{
	struct principal *p = principal_of(
	    CLAIMS_WITH("\"scope\":\"a b\",\"client_id\":\"c\",\"jti\":\"j\",\"org_id\":\"o\""));
	struct principal *d = principal_dup(p);

	CHECK(p != NULL && d != NULL && d != p);
	if (p != NULL && d != NULL) {
		CHECK(d->subject != p->subject && d->scopes != p->scopes);
		CHECK_STR(d->subject, "user-1");
		CHECK_STR(d->client_id, "c");
		CHECK_STR(d->org_id, "o");
		CHECK_STR(d->issuer, ISS);
		CHECK_STR(d->jti, "j");
		CHECK_INT(d->exp, NOW + 300);
		CHECK_INT(d->iat, NOW);
		CHECK_INT(d->n_scopes, 2);
		/* The copy outlives the original. */
		principal_free(p);
		p = NULL;
		CHECK(principal_has_scope(d, "a") && principal_has_scope(d, "b"));
	}
	principal_free(p);
	principal_free(d);
	CHECK(principal_dup(NULL) == NULL);
	CHECK(!principal_has_scope(NULL, "a"));
	principal_free(NULL);
}

TEST_MAIN_FIXTURE(
    setup, cleanup, TEST_CASE(alg_none_rejected), TEST_CASE(hs256_with_rsa_public_pem_rejected),
    TEST_CASE(hs256_with_rsa_public_der_rejected), TEST_CASE(es256_header_with_rsa_kid_rejected),
    TEST_CASE(rs256_header_with_ec_kid_rejected), TEST_CASE(alg_differs_from_key_alg_rejected),
    TEST_CASE(alg_not_in_allow_list_rejected), TEST_CASE(alg_malformed_rejected),
    TEST_CASE(unknown_kid_rejected), TEST_CASE(kid_wrong_type_rejected),
    TEST_CASE(missing_kid_with_several_keys_ambiguous),
    TEST_CASE(missing_kid_with_one_fitting_key_accepted),
    TEST_CASE(duplicate_kid_same_type_ambiguous), TEST_CASE(expired_rejected),
    TEST_CASE(missing_exp_rejected), TEST_CASE(exp_as_string_rejected),
    TEST_CASE(nbf_in_future_rejected), TEST_CASE(iat_in_future_rejected),
    TEST_CASE(leeway_honoured_both_sides), TEST_CASE(wrong_issuer_rejected),
    TEST_CASE(issuer_prefix_suffix_tricks_rejected), TEST_CASE(wrong_audience_rejected),
    TEST_CASE(wrong_audience_in_array_rejected), TEST_CASE(audience_wrong_type_rejected),
    TEST_CASE(bad_base64url_in_each_part_rejected), TEST_CASE(padding_rejected),
    TEST_CASE(non_json_header_rejected), TEST_CASE(header_json_array_rejected),
    TEST_CASE(header_duplicate_member_rejected), TEST_CASE(wrong_part_count_rejected),
    TEST_CASE(oversized_token_rejected), TEST_CASE(bad_signature_rejected),
    TEST_CASE(payload_changed_rejected), TEST_CASE(truncated_signature_rejected),
    TEST_CASE(es256_signature_length_and_form_rejected), TEST_CASE(unknown_crit_rejected),
    TEST_CASE(typ_other_than_access_token_rejected), TEST_CASE(typ_access_token_forms_accepted),
    TEST_CASE(typ_at_jwt_only_policy), TEST_CASE(key_url_headers_ignored),
    TEST_CASE(embedded_jwk_of_attacker_rejected), TEST_CASE(payload_not_object_rejected),
    TEST_CASE(claim_wrong_type_rejected), TEST_CASE(scope_claim_wrong_type_rejected),
    TEST_CASE(too_many_scopes_rejected), TEST_CASE(scope_forms),
    TEST_CASE(scope_union_and_duplicates), TEST_CASE(client_id_and_org_aliases),
    TEST_CASE(rs256_good), TEST_CASE(ps256_good), TEST_CASE(es256_good),
    TEST_CASE(second_issuer_and_audience_accepted), TEST_CASE(es384_good),
    TEST_CASE(libjwt_rs256_verifies), TEST_CASE(libjwt_es256_verifies),
    TEST_CASE(messages_safe_and_carried), TEST_CASE(token_expired_rule),
    TEST_CASE(principal_dup_is_deep))
