/*
 * verify_bench.c - make bench-verify: what our whole token check costs next
 * to the signature check alone.
 *
 * For RS256, ES256 and PS256 it makes a key pair with OpenSSL, publishes
 * the public keys in a JWK Set file (OAUTH_JWKS_FILE) and signs
 * VB_TOKENS distinct access tokens (random jti) in the program.  Then, in
 * VB_ROUNDS rounds taken in turn, it times per token:
 *   ours   auth_check(), the endpoint's own entry point: the bearer value,
 *          the key set from the cache, the per-process memo (which never
 *          holds the token: VB_TOKENS is far past its 64 entries), the
 *          shared signature memo of the state directory (emptied before
 *          each round, so every token misses it as a new token does),
 *          parsing, key lookup, signature, claims, the principal;
 *   verify token_verify() alone with the same key set, no memo (for the
 *          breakdown: auth_check's share is ours - verify);
 *   bare   EVP_DigestVerifyInit() and EVP_DigestVerify() of the token's
 *          signing input and its decoded signature (DER for ECDSA, as EVP
 *          takes it), with the same key as an EVP_PKEY built once.
 * Prints the median of the rounds in microseconds per token, the ratio
 * ours / bare and whether it meets the target (issue 12: at most 1.2).
 * Exit status 1 when a token is refused or a target is missed.
 *
 * VB_TOKENS (1000) and VB_ROUNDS (7) from the environment.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/auth/auth.h"
#include "lib/config/config.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/b64url.h"
#include "lib/jose/jwk.h"
#include "lib/jose/principal.h"
#include "lib/jose/token.h"

#define ISS    "https://auth.example.com"
#define AUD    "https://mcp.example.com/mcp"
#define TARGET 1.2

enum { RS, ES, PS, N_ALG };
static const char *const alg_names[N_ALG] = {"RS256", "ES256", "PS256"};
static const char *const kids[N_ALG] = {"rs", "ec", "ps"};

struct token {
	char *text;         /* the compact token */
	char *auth;         /* "Bearer " + text */
	size_t input_len;   /* bytes of the signing input (header.payload) */
	unsigned char *sig; /* the signature as EVP_DigestVerify takes it */
	size_t sig_len;
};

static void
die(const char *what)
{
	fprintf(stderr, "verify_bench: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The big-endian bytes of key parameter name, left-padded to width (0: as is), base64url. */
static char *
param_b64(EVP_PKEY *k, const char *name, int width)
{
	BIGNUM *bn = NULL;
	unsigned char buf[512];
	int n;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
		die("cannot read a key parameter");
	n = width > 0 ? width : BN_num_bytes(bn);
	if (n > (int)sizeof(buf) || BN_bn2binpad(bn, buf, n) != n)
		die("key parameter too large");
	BN_free(bn);
	return b64url_encode_alloc(buf, (size_t)n);
}

/* One JWK of the set for key k under kid. */
static void
jwk_print(FILE *f, EVP_PKEY *k, int alg)
{
	char *a, *b;

	if (alg == ES) {
		a = param_b64(k, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = param_b64(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
		fprintf(
		    f,
		    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}",
		    kids[alg], a, b);
	} else {
		a = param_b64(k, OSSL_PKEY_PARAM_RSA_N, 0);
		b = param_b64(k, OSSL_PKEY_PARAM_RSA_E, 0);
		fprintf(f,
		        "{\"kty\":\"RSA\",\"kid\":\"%s\",\"alg\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}",
		        kids[alg], alg_names[alg], a, b);
	}
	free(a);
	free(b);
}

/* A digest-verify or digest-sign context of alg over key k (PSS: MGF1 SHA-256, salt 32). */
static int
md_init(EVP_MD_CTX *c, EVP_PKEY *k, int alg, int sign)
{
	EVP_PKEY_CTX *pc = NULL;
	int ok;

	/* What a caller of EVP does between tokens: a new operation on a clean context. */
	EVP_MD_CTX_reset(c);
	ok = sign ? EVP_DigestSignInit(c, &pc, EVP_sha256(), NULL, k)
	          : EVP_DigestVerifyInit(c, &pc, EVP_sha256(), NULL, k);

	if (ok == 1 && alg == PS)
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1;
	return ok == 1 ? 0 : -1;
}

/* Signs token i of alg with k into t. */
static void
token_make(EVP_PKEY *k, int alg, int i, time_t now, struct token *t)
{
	char hdr[128], claims[512], *h64, *c64, *s64, *input;
	unsigned char der[512], raw[64];
	size_t der_len = sizeof(der), n;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
	         alg_names[alg], kids[alg]);
	snprintf(claims, sizeof(claims),
	         "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"bench-user\","
	         "\"client_id\":\"bench-client\",\"scope\":\"todo:read todo:write\","
	         "\"iat\":%lld,\"exp\":%lld,\"jti\":\"%s-%06d\"}",
	         (long long)now, (long long)now + 3600, alg_names[alg], i);
	h64 = b64url_encode_alloc(hdr, strlen(hdr));
	c64 = b64url_encode_alloc(claims, strlen(claims));
	n = strlen(h64) + 1 + strlen(c64);
	input = xmalloc(n + 1);
	snprintf(input, n + 1, "%s.%s", h64, c64);
	if (c == NULL || md_init(c, k, alg, 1) != 0 ||
	    EVP_DigestSign(c, der, &der_len, (const unsigned char *)input, n) != 1)
		die("cannot sign a token");
	t->input_len = n;
	t->sig = xmalloc(der_len);
	memcpy(t->sig, der, der_len);
	t->sig_len = der_len;
	if (alg == ES) {
		/* JWS carries ECDSA's r and s as 32 bytes each (RFC 7518 §3.4), EVP takes DER. */
		const unsigned char *p = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);

		if (es == NULL || BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32) != 32 ||
		    BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32) != 32)
			die("cannot convert an ECDSA signature");
		ECDSA_SIG_free(es);
		s64 = b64url_encode_alloc(raw, sizeof(raw));
	} else {
		s64 = b64url_encode_alloc(der, der_len);
	}
	n = strlen(input) + 1 + strlen(s64);
	t->text = xmalloc(n + 1);
	snprintf(t->text, n + 1, "%s.%s", input, s64);
	t->auth = xmalloc(n + sizeof("Bearer "));
	snprintf(t->auth, n + sizeof("Bearer "), "Bearer %s", t->text);
	EVP_MD_CTX_free(c);
	free(h64);
	free(c64);
	free(s64);
	free(input);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* What one run holds: the keys, their tokens, the gate and the set. */
struct bench {
	EVP_PKEY *keys[N_ALG];
	struct token *toks[N_ALG];
	int n_tok, rounds;
	time_t now;
	char dir[32], jwks[48], memo[48], dir_off[40], memo_off[56];
	struct config cfg, cfg_off;
	struct auth *auth, *auth_off; /* the shared signature memo on, off */
	struct jwk_set *set;
	char *doc;
	size_t doc_len;
};

/* Keys, the JWK Set file, the gate over it (auth_new) and the signed tokens. */
static void
bench_setup(struct bench *b)
{
	struct err e;
	FILE *f;

	snprintf(b->dir, sizeof(b->dir), "/tmp/verify-bench.XXXXXX");
	if (mkdtemp(b->dir) == NULL)
		die("no temporary directory");
	b->keys[RS] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	b->keys[ES] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	b->keys[PS] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (b->keys[RS] == NULL || b->keys[ES] == NULL || b->keys[PS] == NULL)
		die("cannot make keys");
	if ((f = open_memstream(&b->doc, &b->doc_len)) == NULL)
		die("open_memstream");
	fputs("{\"keys\":[", f);
	for (int k = 0; k < N_ALG; k++) {
		jwk_print(f, b->keys[k], k);
		fputs(k + 1 < N_ALG ? "," : "]}", f);
	}
	fclose(f);
	snprintf(b->jwks, sizeof(b->jwks), "%s/jwks.json", b->dir);
	snprintf(b->memo, sizeof(b->memo), "%s/sigs.memo", b->dir);
	if ((f = fopen(b->jwks, "w")) == NULL || fwrite(b->doc, 1, b->doc_len, f) != b->doc_len ||
	    fclose(f) != 0)
		die("cannot write the JWK Set");
	if (jwk_set_parse(b->doc, b->doc_len, &b->set, &e) != 0)
		die(e.msg);
	setenv(CONFIG_RESOURCE, AUD, 1);
	setenv(CONFIG_ISSUER, ISS, 1);
	setenv(CONFIG_JWKS_FILE, b->jwks, 1);
	setenv(CONFIG_STATE_DIR, b->dir, 1);
	setenv(CONFIG_ALGORITHMS, "RS256 ES256 PS256", 1);
	if (config_load(&b->cfg, &e) != 0 || (b->auth = auth_new(&b->cfg, &e)) == NULL)
		die(e.msg);
	/*
	 * The second gate's memo file is one sig_memo.c refuses (readable by
	 * others): its memo is off, so it times the check alone.
	 */
	snprintf(b->dir_off, sizeof(b->dir_off), "%s/off", b->dir);
	snprintf(b->memo_off, sizeof(b->memo_off), "%s/sigs.memo", b->dir_off);
	if (mkdir(b->dir_off, 0700) != 0 || (f = fopen(b->memo_off, "w")) == NULL ||
	    fclose(f) != 0 || chmod(b->memo_off, 0644) != 0)
		die("cannot make the memo-less state directory");
	setenv(CONFIG_STATE_DIR, b->dir_off, 1);
	if (config_load(&b->cfg_off, &e) != 0 || (b->auth_off = auth_new(&b->cfg_off, &e)) == NULL)
		die(e.msg);
	fprintf(stderr, "verify_bench: signing %d tokens for each of RS256, ES256, PS256...\n",
	        b->n_tok);
	for (int k = 0; k < N_ALG; k++) {
		b->toks[k] = xcalloc((size_t)b->n_tok, sizeof(struct token));
		for (int i = 0; i < b->n_tok; i++)
			token_make(b->keys[k], k, i, b->now, &b->toks[k][i]);
	}
}

static void
bench_free(struct bench *b)
{
	for (int k = 0; k < N_ALG; k++) {
		for (int i = 0; i < b->n_tok; i++) {
			free(b->toks[k][i].text);
			free(b->toks[k][i].auth);
			free(b->toks[k][i].sig);
		}
		free(b->toks[k]);
		EVP_PKEY_free(b->keys[k]);
	}
	auth_free(b->auth);
	auth_free(b->auth_off);
	config_free(&b->cfg);
	config_free(&b->cfg_off);
	jwk_set_free(b->set);
	free(b->doc);
	unlink(b->memo);
	unlink(b->memo_off);
	rmdir(b->dir_off);
	unlink(b->jwks);
	rmdir(b->dir);
}

/*
 * One check of token tk of algorithm k: 0 ours (the gate without the shared
 * memo), 1 ours with it, 2 token_verify alone, 3 bare EVP.  A refusal ends
 * the program.
 */
static void
check_one(struct bench *b, int k, const struct token *tk, int op, const struct token_policy *policy,
          EVP_MD_CTX *c)
{
	struct principal *p = NULL;
	struct err e;

	if (op == 3) {
		if (md_init(c, b->keys[k], k, 0) != 0 ||
		    EVP_DigestVerify(c, tk->sig, tk->sig_len, (const unsigned char *)tk->text,
		                     tk->input_len) != 1)
			die("EVP_DigestVerify refused a token");
		return;
	}
	if (op == 2
	        ? token_verify(tk->text, strlen(tk->text), b->set, policy, (int64_t)b->now, &p, &e)
	        : auth_check(op ? b->auth : b->auth_off, tk->auth, NULL, (int64_t)b->now, &p, &e))
		die(e.msg);
	principal_free(p);
}

/*
 * Times algorithm k: each token in turn through the three checks, each
 * timed on its own, so that a pre-emption by another process spoils one
 * sample, not a whole batch; the figures are the medians of all samples.
 * Returns 0 when ours / bare meets the target.
 */
static int
bench_alg(struct bench *b, int k)
{
	const struct token_policy policy = {
	    .issuers = (const char *const[]){ISS},
	    .n_issuers = 1,
	    .audiences = (const char *const[]){AUD},
	    .n_audiences = 1,
	    .alg_mask = JWA_BIT(JWA_RS256) | JWA_BIT(JWA_ES256) | JWA_BIT(JWA_PS256),
	};
	size_t n = (size_t)b->n_tok * (size_t)b->rounds, j = 0;
	double *t[4], m[4];
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	for (int i = 0; i < 4; i++)
		t[i] = xcalloc(n, sizeof(double));
	for (int r = 0; r < b->rounds; r++) {
		/* Every token new to the shared memo, as a token never seen before is. */
		if (truncate(b->memo, 0) != 0 && r > 0)
			die("cannot empty the signature memo");
		for (int i = 0; i < b->n_tok; i++, j++)
			for (int s = 0; s < 4; s++) {
				/* Each check goes first in turn: none is always the one with cold
				 * caches. */
				int op = (int)((j + (size_t)s) % 4);
				double t0 = now_us();

				check_one(b, k, &b->toks[k][i], op, &policy, c);
				t[op][j] = now_us() - t0;
			}
	}
	for (int i = 0; i < 4; i++) {
		m[i] = median(t[i], (int)n);
		free(t[i]);
	}
	printf("%-6s %8.1f %10.1f %12.1f %9.1f %6.2f %7s  %s\n", alg_names[k], m[0], m[1], m[2],
	       m[3], m[0] / m[3], "<= 1.2", m[0] / m[3] <= TARGET ? "met" : "not met");
	EVP_MD_CTX_free(c);
	return m[0] / m[3] <= TARGET ? 0 : -1;
}

int
main(void)
{
	struct bench b = {.now = time(NULL)};
	/* VB_ALG: one algorithm only (for a profiler). */
	const char *only = getenv("VB_ALG");
	struct auth_stats st;
	int fail = 0;

	b.n_tok = getenv("VB_TOKENS") ? atoi(getenv("VB_TOKENS")) : 1000;
	b.rounds = getenv("VB_ROUNDS") ? atoi(getenv("VB_ROUNDS")) : 5;
	if (b.n_tok < 500 || b.n_tok > 100000 || b.rounds < 1 || b.rounds > 100)
		die("VB_TOKENS must be 500..100000 and VB_ROUNDS 1..100");
	util_init();
	token_lib_init();
	/* The memo-less gate's refused file is expected: its warning would be noise. */
	log_set_level(LOGL_ERROR);
	bench_setup(&b);
	printf("median microseconds per token of %d tokens x %d rounds, each token timed alone\n",
	       b.n_tok, b.rounds);
	printf("%-6s %8s %10s %12s %9s %6s %7s  %s\n", "alg", "ours", "ours+memo", "token_verify",
	       "bare EVP", "ratio", "target", "met");
	for (int k = 0; k < N_ALG; k++)
		if (only == NULL || strcmp(only, alg_names[k]) == 0)
			fail |= bench_alg(&b, k) != 0;
	/* The memos must not have answered: every check above was a whole one. */
	for (int g = 0; g < 2; g++) {
		auth_stats_get(g ? b.auth : b.auth_off, &st);
		printf("auth_check (%s): %llu signature verifications, %llu memo hits\n",
		       g ? "ours+memo" : "ours", (unsigned long long)st.verifications,
		       (unsigned long long)st.memo_hits);
		if (st.memo_hits != 0 || st.verifications == 0)
			fail = 1;
	}
	bench_free(&b);
	return fail;
}
