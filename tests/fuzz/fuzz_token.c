/*
 * fuzz_token.c - the token check (src/lib/jose/token.h): structure, JOSE
 * header, key lookup, signature, then the claims, against a fixed key set
 * held in memory (one RSA-2048 and one EC P-256 key, whose private halves
 * below exist for this harness only and sign nothing else).
 *
 * The first byte picks a mode:
 *   % 3 == 0  the rest is a compact token, checked as it came: the header
 *             and structure checks, and the signature path (the seeds are
 *             tokens these keys signed, so mutations of their claims reach
 *             the signature check and stop there);
 *   % 3 == 1  the rest is a JOSE header, a NUL byte and a claims set (or
 *             only a claims set, for the header {"alg":"ES256",
 *             "typ":"at+jwt","kid":<the EC key's kid>}), signed here with
 *             the EC key as ES256 before the check, so that every claim
 *             check after the signature meets fuzzed claims;
 *   % 3 == 2  the same, signed with the RSA key as RS256.
 * (byte / 3) & 1 adds a signature memo in memory (token_sig_memo), so a
 * token seen before skips the arithmetic as it does in the programs.
 *
 * Time is fixed (NOW below): a crash replays exactly.  A refusal must be
 * one of TOKEN_MSG_* with ERR_INVALID or ERR_NOT_FOUND; an acceptance a
 * principal within the policy's bounds.
 */
#include "fuzz.h"

#include "cli/devissuer.h"
#include "lib/jose/jwk.h"
#include "lib/jose/principal.h"
#include "lib/jose/token.h"

#define ISS "https://issuer.example"
#define AUD "https://mcp.example/mcp"
#define NOW INT64_C(1700000000)

/* Test keys of this harness (generated with openssl genpkey); never used elsewhere. */
static const char rsa_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC0GaHQotM7qkvC\n"
                              "OAdul0hanNrZF0PcCCpJgXHmeKEQok67PsrDyRU09kOu4guz2DX0b2GLekQhkj36\n"
                              "1c0glNyGG2YHtV91H0Q8j8VoacEfkvCTz6IZ0VUUP0OJw5HnSamF4PW8pKIQPoAa\n"
                              "LQ8n1iBNH/6eqgWy976Q8ykE//X4l+M0w5P0SCFnN47S6SKTs4+Kn4NCfdmFPhTx\n"
                              "MzZRgzVkU4IvRi7ZYtBCDtgjG5Kw41HkovpZadLnuQpr8HjzfZXMnip86nsYDRCW\n"
                              "T94/qd0XIhk94bsWqh3oa0PnSqj1p3bZhC6iP0vec+FIkZ8vANKrcPmtTKRK5QNE\n"
                              "CEaoFrjDAgMBAAECggEAUMpay3PvXAmVuIdX1iVpILTSe6YzG8ZR6e12gdPFNOgK\n"
                              "d3bAkLlomPyL+iyO4VtxQLiiQmZTn9exlA9K2H3Oux4ZVAXpz2l6O8ym2qLuLlLF\n"
                              "Nxlid0BvcQi8LFWd4uopcNQsiDY2OSFAZ/2kmdM1ZEOg/d35doIqa22ZDhQgbCY8\n"
                              "wWvF3zLPoB4OKR+YVxVlM/WmNgEcKVKFbbVGY5MK9eik1lqqEpqU2IcwLbLNXAFC\n"
                              "EFF6c5xm/jQVGvKA6uNVKScsDx0Gm65h9Sp1Mi08InjtXCYBWG//YtKTEJHIr/TL\n"
                              "WpccWJa6I4c2y3t3CRKv0Inxq1B3hbU3tbDw8nil6QKBgQDv8Bo0I4n7UK9rzm24\n"
                              "ciiRROZbE8+T8Y1kd1KX5ZPbA3z31LEqnTczmBnK4YhtDSuX2OuU47umxeX25ajf\n"
                              "BJ0Hy3hOm/M3RC7Svga6KPXXtrxrq+7w15OWwtnFISLu2cxJ7dJUduK2FHGxwbYc\n"
                              "7/d4pCFNaiZIXBg8+Llm5Z7BZQKBgQDAKBHCtbvnWV3klwKQYN5DZEEIGxyQJYWq\n"
                              "mKl4vFSD7qXOIpzieP9JE7RG9HM9wMdkNUqTxFJTgODDIBauowWClZhfgMmn8Yke\n"
                              "Evj3Hb558QG5DhVUWRPmUwgxIlz5Cs1YRftNipbcJU54wM4y4zclmNiwIFW/jpcE\n"
                              "kHWpYnpDBwKBgQCavJSZlWXSDrni47D855pj/TQ1/nO7LGeMKCu6zBLrhrdcOO28\n"
                              "1sEX4/qWTZanBXxcpEdhsPB+4FerP3cFxLrkoQLIZ2iV9sHfpS8/dVT+tdmT8sDY\n"
                              "z55d9vFsYS9fLFTERLyFPlp9JHgiNBQXW2aUhfz4KQHhXos/HwSqaGFWxQKBgC5z\n"
                              "ASgSCiP4ZEv3fPUtlUyxFU9CTntBtrfwQzceP0fNDmNv1oCgQwWFL9TfDmRlD03X\n"
                              "2/kwQb5RrwM75H++hHx2cOjVFunz5vNQHsKNfBe5/HKhRuKmzbqlY5uM9PB2fgDS\n"
                              "mda6o5D/q6Jg6PdAGXqLIgYhKtktPLArw2V4mplNAoGBAJcP/Ymp4r5bJtLyFntT\n"
                              "fuEMA01oDdfsAUwWzKYoPR86A6gXgN+lU+N7LVDFoXvXG2Hzjy1sIYKd6LDbE72Q\n"
                              "X0b2qClzx4YUry/W+7Xe99h+UFTAGLKtc279P7KImXI5s4CFoX2zyGdzcPvT1NGF\n"
                              "fGAGuNJb2NiP01QZH8ECp8Up\n"
                              "-----END PRIVATE KEY-----\n";
static const char ec_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                             "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzLtKgxYTWYM4e2Cd\n"
                             "f/zExQz7Dk0BhJ2OKbqnuxinGf2hRANCAATirWOaL9Z7pzyRBRzHGZn0zpeclwWw\n"
                             "dtk32GY7bVchnswR2RFFpJ+zs/1t8tziZy3P400xF7rEx2IElGIIyKdH\n"
                             "-----END PRIVATE KEY-----\n";

static struct devissuer_key *rsa_key, *ec_key;
static struct jwk_set *keys;
static const char *const issuers[] = {ISS};
static const char *const audiences[] = {AUD, "https://other.example"};

/* A signature memo in memory: the last few digests, as sigs.memo would hold them. */
#define MEMO_SLOTS 16
static unsigned char memo[MEMO_SLOTS][TOKEN_SIG_DIGEST];

static bool
memo_seen(void *ctx, const unsigned char d[TOKEN_SIG_DIGEST])
{
	(void)ctx;
	return memcmp(memo[d[0] % MEMO_SLOTS], d, TOKEN_SIG_DIGEST) == 0;
}

static void
memo_remember(void *ctx, const unsigned char d[TOKEN_SIG_DIGEST])
{
	(void)ctx;
	memcpy(memo[d[0] % MEMO_SLOTS], d, TOKEN_SIG_DIGEST);
}

static const struct token_sig_memo sig_memo = {memo_seen, memo_remember, NULL};

static const char *const refusals[] = {
    TOKEN_MSG_TOO_LONG,      TOKEN_MSG_MALFORMED,  TOKEN_MSG_HEADER,      TOKEN_MSG_ALG,
    TOKEN_MSG_CRIT,          TOKEN_MSG_TYP,        TOKEN_MSG_KID_UNKNOWN, TOKEN_MSG_KID_AMBIGUOUS,
    TOKEN_MSG_SIGNATURE,     TOKEN_MSG_CLAIMS,     TOKEN_MSG_NO_EXP,      TOKEN_MSG_EXPIRED,
    TOKEN_MSG_NOT_YET_VALID, TOKEN_MSG_IAT_FUTURE, TOKEN_MSG_ISSUER,      TOKEN_MSG_AUDIENCE,
};

static void
harness_init(void)
{
	const struct devissuer_key *both[2];
	struct err e;
	char *jwks;

	if (devissuer_key_from_pem(rsa_pem, strlen(rsa_pem), &rsa_key, &e) != 0 ||
	    devissuer_key_from_pem(ec_pem, strlen(ec_pem), &ec_key, &e) != 0) {
		fprintf(stderr, "fuzz_token: test key: %s\n", e.msg);
		abort();
	}
	both[0] = rsa_key;
	both[1] = ec_key;
	jwks = devissuer_jwks_export(both, 2);
	if (jwk_set_parse(jwks, strlen(jwks), &keys, &e) != 0 || jwk_set_count(keys) != 2) {
		fprintf(stderr, "fuzz_token: key set: %s\n", e.msg);
		abort();
	}
	free(jwks);
}

/* The rest of the input (size bytes at data) signed with key and alg; NULL when it cannot be. */
static char *
sign(const struct devissuer_key *key, enum jwa_alg alg, const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size), *payload = in, *tok = NULL, dflt[200];
	const char *header = dflt;
	struct err e;

	snprintf(dflt, sizeof(dflt), "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
	         jwa_name(alg), devissuer_key_kid(key));
	if (strlen(in) < size) {
		header = in;
		payload = in + strlen(in) + 1;
	}
	if (devissuer_sign_raw(key, alg, header, payload, &tok, &e) != 0)
		tok = NULL;
	free(in);
	return tok;
}

static void
check_result(int rc, const struct principal *p, const struct err *e)
{
	size_t i;

	if (rc == 0) {
		if (p == NULL || p->issuer == NULL || strcmp(p->issuer, ISS) != 0 ||
		    token_expired(p->exp, 60, NOW) || p->n_scopes > TOKEN_SCOPES_MAX)
			abort();
		for (i = 0; i < p->n_scopes; i++)
			if (strlen(p->scopes[i]) > TOKEN_SCOPE_MAX || p->scopes[i][0] == '\0')
				abort();
		return;
	}
	if (p != NULL || (e->code != ERR_INVALID && e->code != ERR_NOT_FOUND))
		abort();
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strcmp(e->msg, refusals[i]) == 0)
			return;
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_policy pol = {
	    .issuers = issuers,
	    .n_issuers = 1,
	    .audiences = audiences,
	    .n_audiences = 2,
	    .alg_mask = JWA_BIT(JWA_RS256) | JWA_BIT(JWA_PS256) | JWA_BIT(JWA_ES256) |
	                JWA_BIT(JWA_RS384) | JWA_BIT(JWA_ES384),
	    .leeway = 60,
	};
	struct principal *p = NULL;
	struct err e = {0};
	char *tok = NULL;
	int rc;

	if (size == 0 || size > 2 * TOKEN_MAX_LEN)
		return -1;
	if ((data[0] / 3) & 1)
		pol.sig_memo = &sig_memo;
	switch (data[0] % 3) {
	case 0:
		tok = fuzz_cstr(data + 1, size - 1);
		break;
	case 1:
		tok = sign(ec_key, JWA_ES256, data + 1, size - 1);
		break;
	default:
		tok = sign(rsa_key, JWA_RS256, data + 1, size - 1);
		break;
	}
	if (tok == NULL)
		return 0;
	rc = token_verify(tok, data[0] % 3 == 0 ? size - 1 : strlen(tok), keys, &pol, NOW, &p, &e);
	check_result(rc, p, &e);
	principal_free(p);
	free(tok);
	return 0;
}
