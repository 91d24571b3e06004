/*
 * verify.c - checks tokens minted by an independent JOSE implementation (the
 * npm "jose" package, see mint.mjs) with our verifier.
 *
 * Usage: verify JWKS_FILE TOKENS_FILE
 *
 * TOKENS_FILE holds lines "NAME EXPECT TOKEN"; EXPECT is "ok" or the name of
 * the refusal (see expect_names), which must come with exactly its
 * TOKEN_MSG_* text and its code (ERR_NOT_FOUND for an unknown kid, else
 * ERR_INVALID).  Prints one line per check and, last,
 * exactly "N passed, N failed"; exits non-zero when any check failed.
 */
#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/jwk.h"
#include "lib/jose/token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Must match mint.mjs. */
#define ISS "https://issuer.example"
#define AUD "https://mcp.example/mcp"
#define SUB "jose-user"

/* What a good token gets instead of a refusal message. */
#define OK "ok"

static const struct {
	const char *name;
	const char *msg;
} expect_names[] = {
    {"ok", OK},
    {"expired", TOKEN_MSG_EXPIRED},
    {"no_exp", TOKEN_MSG_NO_EXP},
    {"not_yet_valid", TOKEN_MSG_NOT_YET_VALID},
    {"audience", TOKEN_MSG_AUDIENCE},
    {"issuer", TOKEN_MSG_ISSUER},
    {"signature", TOKEN_MSG_SIGNATURE},
    {"kid_unknown", TOKEN_MSG_KID_UNKNOWN},
    {"typ", TOKEN_MSG_TYP},
    {"crit", TOKEN_MSG_CRIT},
    {"alg", TOKEN_MSG_ALG},
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
	char *save = NULL, why[ERR_MSG_MAX + 128];
	const char *name = strtok_r(line, " \n", &save);
	const char *expect = strtok_r(NULL, " \n", &save);
	const char *tok = strtok_r(NULL, " \n", &save);
	struct principal *p = NULL;
	const char *want = NULL, *got;
	struct err e;
	enum err_code code;
	int ok;

	if (name == NULL)
		return;
	for (size_t i = 0; expect != NULL && i < sizeof(expect_names) / sizeof(expect_names[0]);
	     i++) {
		if (strcmp(expect, expect_names[i].name) == 0)
			want = expect_names[i].msg;
	}
	if (tok == NULL || want == NULL) {
		result(name, 0, "malformed line in the tokens file");
		return;
	}
	err_clear(&e);
	got =
	    token_verify(tok, strlen(tok), set, pol, (int64_t)time(NULL), &p, &e) == 0 ? OK : e.msg;
	code = strcmp(want, OK) == 0                      ? ERR_OK
	       : strcmp(want, TOKEN_MSG_KID_UNKNOWN) == 0 ? ERR_NOT_FOUND
	                                                  : ERR_INVALID;
	snprintf(why, sizeof(why), "got \"%s\" (code %d), wanted \"%s\" (code %d)", got,
	         (int)e.code, want, (int)code);
	ok = strcmp(got, want) == 0 && e.code == code;
	/* A good token must also yield the principal jose put in it. */
	if (ok && p != NULL &&
	    (p->subject == NULL || strcmp(p->subject, SUB) != 0 ||
	     !principal_has_scope(p, "todo:write") || p->client_id == NULL)) {
		snprintf(why, sizeof(why), "verified, but the principal's claims are wrong");
		ok = 0;
	}
	result(name, ok, why);
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
	    .alg_mask = JWA_BIT(JWA_RS256) | JWA_BIT(JWA_PS256) | JWA_BIT(JWA_ES256),
	    .leeway = 30,
	};
	struct jwk_set *set = NULL;
	char *jwks = NULL, *line = NULL;
	size_t len = 0, cap = 0;
	FILE *tokens = NULL;
	struct err e;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s JWKS_FILE TOKENS_FILE\n", argv[0]);
		return 2;
	}
	util_init();
	log_set_prog("jose-verify");
	jwks = file_read(argv[1], JWK_SET_MAX_BYTES, &len);
	err_set(&e, ERR_INVALID, "cannot read %s", argv[1]);
	rc = jwks == NULL ? -1 : jwk_set_parse(jwks, len, &set, &e);
	result("jwks_parse", rc == 0, e.msg);
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
