/*
 * verify.c - checks tokens minted by an independent JOSE implementation (the
 * npm "jose" package, see mint.mjs) with our verifier.
 *
 * Usage: verify JWKS_FILE TOKENS_FILE
 *
 * TOKENS_FILE holds lines "NAME EXPECT TOKEN"; EXPECT is "ok" or the name of
 * the refusal (see expect_names).  Prints one line per check and, last,
 * exactly "N passed, N failed"; exits non-zero when any check failed.
 */
#include "lib/jose/jwk.h"
#include "lib/core/log.h"
#include "lib/jose/token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Must match mint.mjs. */
#define ISS "https://issuer.example"
#define AUD "https://mcp.example/mcp"
#define SUB "jose-user"

static const struct {
	const char *name;
	enum token_err err;
} expect_names[] = {
    {"ok", TOKEN_OK},
    {"expired", TOKEN_ERR_EXPIRED},
    {"no_exp", TOKEN_ERR_NO_EXP},
    {"not_yet_valid", TOKEN_ERR_NOT_YET_VALID},
    {"audience", TOKEN_ERR_AUDIENCE},
    {"issuer", TOKEN_ERR_ISSUER},
    {"signature", TOKEN_ERR_SIGNATURE},
    {"kid_unknown", TOKEN_ERR_KID_UNKNOWN},
    {"typ", TOKEN_ERR_TYP},
    {"crit", TOKEN_ERR_CRIT},
    {"alg", TOKEN_ERR_ALG},
};

static int passed, failed;

/* Records one check's outcome; why is printed on failure. */
static void
result(const char *name, int ok, const char *why)
{
	if (ok) {
		passed++;
		printf("ok   %s\n", name);
	} else {
		failed++;
		printf("FAIL %s: %s\n", name, why);
	}
}

/* Reads at most max bytes of path into a new NUL-terminated buffer, or NULL. */
static char *
file_read(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;

	if (f == NULL || (buf = malloc(max + 1)) == NULL)
		goto out;
	*len = fread(buf, 1, max + 1, f);
	if (ferror(f) || *len > max) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[*len] = '\0';
out:
	if (f != NULL)
		fclose(f);
	return buf;
}

/* Checks that the jose-computed kid of every key is our RFC 7638 thumbprint. */
static void
jwks_check(const struct jwk_set *set)
{
	int same = jwk_set_count(set) == 3;

	for (size_t i = 0; same && i < jwk_set_count(set); i++) {
		const struct jwk *k = jwk_set_get(set, i);
		same = jwk_kid(k) != NULL && strcmp(jwk_kid(k), jwk_thumbprint(k)) == 0;
	}
	result("jwks_three_keys_kid_is_rfc7638_thumbprint", same,
	       "jose's kid differs from our thumbprint, or a key was left out");
}

/* Verifies one "NAME EXPECT TOKEN" line. */
static void
line_check(char *line, const struct jwk_set *set, const struct token_policy *pol)
{
	char *save = NULL, why[256];
	const char *name = strtok_r(line, " \n", &save);
	const char *expect = strtok_r(NULL, " \n", &save);
	const char *tok = strtok_r(NULL, " \n", &save);
	struct principal *p = NULL;
	enum token_err want = TOKEN_ERR__MAX, got;

	if (name == NULL)
		return;
	for (size_t i = 0; expect != NULL && i < sizeof(expect_names) / sizeof(expect_names[0]);
	     i++) {
		if (strcmp(expect, expect_names[i].name) == 0)
			want = expect_names[i].err;
	}
	if (tok == NULL || want == TOKEN_ERR__MAX) {
		result(name, 0, "malformed line in the tokens file");
		return;
	}
	got = token_verify(tok, strlen(tok), set, pol, (int64_t)time(NULL), &p);
	snprintf(why, sizeof(why), "got \"%s\", wanted \"%s\"", token_strerror(got),
	         token_strerror(want));
	/* A good token must also yield the principal jose put in it. */
	if (got == TOKEN_OK && (p->subject == NULL || strcmp(p->subject, SUB) != 0 ||
	                        !principal_has_scope(p, "todo:write") || p->client_id == NULL)) {
		snprintf(why, sizeof(why), "verified, but the principal's claims are wrong");
		got = TOKEN_ERR__MAX;
	}
	result(name, got == want, why);
	principal_free(p);
}

int
main(int argc, char **argv)
{
	static const char *const issuers[] = {ISS}, *const audiences[] = {AUD};
	struct token_policy pol = {
	    .issuers = issuers,
	    .n_issuers = 1,
	    .audiences = audiences,
	    .n_audiences = 1,
	    .alg_mask = JWK_ALG_BIT(JWK_ALG_RS256) | JWK_ALG_BIT(JWK_ALG_PS256) |
	                JWK_ALG_BIT(JWK_ALG_ES256),
	    .leeway = 30,
	};
	struct jwk_set *set = NULL;
	char *jwks = NULL, *line = NULL;
	size_t len = 0, cap = 0;
	FILE *tokens = NULL;
	enum jwk_err jerr;

	if (argc != 3) {
		fprintf(stderr, "usage: %s JWKS_FILE TOKENS_FILE\n", argv[0]);
		return 2;
	}
	log_set_prog("jose-verify");
	jwks = file_read(argv[1], JWK_SET_MAX_BYTES, &len);
	jerr = jwks == NULL ? JWK_ERR_JSON : jwk_set_parse(jwks, len, &set);
	result("jwks_parse", jerr == JWK_OK, jwk_strerror(jerr));
	if (set != NULL)
		jwks_check(set);
	if ((tokens = fopen(argv[2], "r")) == NULL)
		result("tokens_file", 0, "cannot open the tokens file");
	while (tokens != NULL && getline(&line, &cap, tokens) > 0)
		line_check(line, set, &pol);
	if (tokens != NULL)
		fclose(tokens);
	free(line);
	free(jwks);
	jwk_set_free(set);
	printf("%d passed, %d failed\n", passed, failed);
	return failed > 0 || passed == 0 ? 1 : 0;
}
