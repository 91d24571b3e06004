/* Unit tests for src/lib/auth.h: bearer extraction, challenges, refusals before any key. */
#include "test.h"
#include "tmpdir.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli/devissuer.h"
#include "lib/auth/auth.h"
#include "lib/config/config.h"
#include "lib/jose/token.h"

#include "lighttpd_fixture.h"

static struct config cfg;
static char state[] = "/tmp/mcp-auth-XXXXXX";

static int
setup(void)
{
	struct err e;

	if (mkdtemp(state) == NULL)
		return -1;
	setenv(CONFIG_RESOURCE, "https://mcp.example.com/mcp", 1);
	setenv(CONFIG_ISSUER, "https://auth.example.com", 1);
	setenv(CONFIG_JWKS_URI, "https://auth.example.com/keys", 1);
	setenv(CONFIG_SCOPES, "todo:read todo:write", 1);
	setenv(CONFIG_STATE_DIR, state, 1);
	if (config_load(&cfg, &e) != 0) {
		fprintf(stderr, "config_load: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static void
cleanup(void)
{
	config_free(&cfg);
	tmpdir_remove(state);
}

TEST(bearer_syntax)
{
	size_t len = 0;
	const char *t;

	t = auth_bearer_token("Bearer abc.def-_~+/==", &len);
	CHECK(t != NULL && strncmp(t, "abc.def-_~+/==", len) == 0);
	CHECK_INT(len, strlen("abc.def-_~+/=="));
	t = auth_bearer_token("bEaReR   x.y.z  ", &len);
	CHECK(t != NULL);
	CHECK_INT(len, 5);
	CHECK(auth_bearer_token("Bearer", &len) == NULL);
	CHECK(auth_bearer_token("Bearer ", &len) == NULL);
	CHECK(auth_bearer_token("Bearerx.y.z", &len) == NULL);
	CHECK(auth_bearer_token("Bearer a b", &len) == NULL);
	CHECK(auth_bearer_token("Bearer a\"b", &len) == NULL);
	CHECK(auth_bearer_token("Bearer =abc", &len) == NULL);
	CHECK(auth_bearer_token("Bearer a=b", &len) == NULL);
	CHECK(auth_bearer_token("Basic dXNlcjpwYXNz", &len) == NULL);
	CHECK(auth_bearer_token(NULL, &len) == NULL);
}

TEST(challenges)
{
	char buf[1024];

	CHECK_STR(auth_challenge(&cfg, NULL, NULL, NULL, buf, sizeof(buf)),
	          "Bearer realm=\"mcp\", scope=\"todo:read todo:write\", resource_metadata="
	          "\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\"");
	CHECK_STR(
	    auth_challenge(&cfg, "invalid_token", "token expired", NULL, buf, sizeof(buf)),
	    "Bearer realm=\"mcp\", error=\"invalid_token\", error_description=\"token expired\", "
	    "scope=\"todo:read todo:write\", resource_metadata="
	    "\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\"");
	CHECK_STR(auth_challenge(&cfg, "insufficient_scope", NULL, "todo:write", buf, sizeof(buf)),
	          "Bearer realm=\"mcp\", error=\"insufficient_scope\", scope=\"todo:write\", "
	          "resource_metadata=\"https://mcp.example.com/.well-known/"
	          "oauth-protected-resource/mcp\"");
	/* A short buffer is truncated, never overrun. */
	CHECK_INT(strlen(auth_challenge(&cfg, NULL, NULL, NULL, buf, 20)), 19);
}

TEST(refusals_before_keys)
{
	struct err e;
	struct auth *a = auth_new(&cfg, &e);
	struct principal *p = (struct principal *)&p;

	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK_INT(auth_check(a, NULL, NULL, 0, &p, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, "no bearer token");
	CHECK(p == NULL);
	CHECK_INT(auth_check(a, "Basic dXNlcjpwYXNz", NULL, 0, &p, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, NULL);
	/* RFC 6750 §3.1: no Bearer credentials is not an invalid token. */
	CHECK_INT(auth_check(a, "Bearer", NULL, 0, &p, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, NULL);
	CHECK_INT(auth_check(a, "Bearer   ", NULL, 0, &p, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, NULL);
	CHECK_INT(auth_check(a, "Bearerxyz", NULL, 0, &p, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, NULL);
	/* RFC 6750 §3.1: a malformed value is a bad request, not an invalid token. */
	CHECK_INT(auth_check(a, "Bearer a b c", NULL, 0, &p, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "malformed Authorization header");
	CHECK_INT(auth_check(a, "Bearer a.b.c, Bearer d.e.f", NULL, 0, &p, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "malformed Authorization header");
	CHECK_INT(auth_check(a, "Bearer a\"b", NULL, 0, &p, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "malformed Authorization header");
	/* Credentials in the header and in the query: more than one method (RFC 6750 §2). */
	CHECK_INT(auth_check(a, "Bearer a.b.c", "x=1&access_token=t", 0, &p, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "access token sent in more than one place");
	/* A token only in the query is never read: no credentials. */
	CHECK_INT(auth_check(a, NULL, "access_token=a.b.c", 0, &p, &e), -1);
	CHECK_ERR(e, ERR_NOT_FOUND, "no bearer token");
	CHECK(auth_query_has_token("access_token"));
	CHECK(auth_query_has_token("a=1;access_token=x"));
	CHECK(!auth_query_has_token("my_access_token=x"));
	CHECK(!auth_query_has_token("x=access_token"));
	CHECK(!auth_query_has_token(NULL));
	auth_free(a);
	auth_free(NULL);
}

TEST(state_dir_unusable)
{
	struct err e;
	struct config bad = cfg;

	bad.state_dir = "/proc/definitely/not/here";
	CHECK(auth_new(&bad, &e) == NULL);
	CHECK_ERR(e, ERR_CONFIG,
	          "MCP_STATE_DIR: state directory /proc/definitely/not/here: No such file");
}

/* Mints a token for the test resource with key, issued at iat, living ttl seconds. */
static char *
mint(const struct devissuer_key *key, const char *sub, int64_t iat, int64_t ttl)
{
	struct devissuer_token_opts o = {.iss = "https://auth.example.com",
	                                 .aud = "https://mcp.example.com/mcp",
	                                 .sub = sub,
	                                 .scope = "todo:read",
	                                 .iat = iat,
	                                 .lifetime = ttl};
	char *tok = NULL;

	return devissuer_token_mint(key, &o, &tok, NULL) == 0 ? tok : NULL;
}

/* Checks "Bearer tok" at now and frees the principal; the error code (ERR_OK when accepted). */
static enum err_code
check(struct auth *a, const char *tok, int64_t now)
{
	char header[8192];
	struct principal *p = NULL;
	struct err e = {0};
	int r;

	snprintf(header, sizeof(header), "Bearer %s", tok != NULL ? tok : "");
	r = auth_check(a, header, NULL, now, &p, &e);
	CHECK(r == 0 ? p != NULL && p->subject != NULL : p == NULL);
	principal_free(p);
	return r == 0 ? ERR_OK : e.code;
}

/*
 * The verified-token memo: a repeated token needs no signature check; a
 * different, altered or expired token does not; a new key set voids it.
 */
TEST(verified_token_memo)
{
	struct devissuer_key *k1 = NULL, *k2 = NULL;
	struct lighttpd_fixture srv;
	struct auth_stats st;
	struct config c = cfg;
	struct auth *a = NULL;
	char uri[256], *jwks = NULL, *t1 = NULL, *t2 = NULL, *tx = NULL;
	struct err e;
	int64_t now = (int64_t)time(NULL);

	CHECK_INT(devissuer_key_generate(DEVISSUER_KEY_EC, &k1, NULL), 0);
	CHECK_INT(devissuer_key_generate(DEVISSUER_KEY_EC, &k2, NULL), 0);
	jwks = devissuer_jwks_export((const struct devissuer_key *const *)&k1, 1);
	CHECK(strncmp(jwks, "{\"keys\":[", 9) == 0);
	CHECK_INT(lighttpd_fixture_init(&srv), 0);
	CHECK_INT(lighttpd_fixture_put(&srv, "keys", jwks, strlen(jwks)), 0);
	CHECK_INT(lighttpd_fixture_start(&srv, ""), 0);
	snprintf(uri, sizeof(uri), "%s/keys", srv.base);
	c.jwks_uri = uri;
	c.allow_http = true;
	c.jwks_ttl_min = c.jwks_ttl_max = 3600;
	if ((a = auth_new(&c, &e)) == NULL || (t1 = mint(k1, "alice", now, 600)) == NULL ||
	    (t2 = mint(k1, "bob", now, 20000)) == NULL)
		goto out;
	CHECK_INT(check(a, t1, now), ERR_OK);
	CHECK_INT(check(a, t1, now + 1), ERR_OK);
	CHECK_INT(check(a, t1, now + 2), ERR_OK);
	auth_stats_get(a, &st);
	CHECK_INT(st.verifications, 1);
	CHECK_INT(st.memo_hits, 2);
	CHECK_INT(check(a, t2, now), ERR_OK);
	auth_stats_get(a, &st);
	CHECK_INT(st.verifications, 2);
	/* One changed byte of the signature is another token: verified, and refused. */
	tx = strdup(t1);
	tx[strlen(tx) - 2] = tx[strlen(tx) - 2] == 'A' ? 'B' : 'A';
	CHECK_INT(check(a, tx, now), ERR_DENIED);
	/* exp is checked on every use, leeway (60 s) included. */
	CHECK_INT(check(a, t1, now + 600 + 59), ERR_OK);
	CHECK_INT(check(a, t1, now + 600 + 60), ERR_DENIED);
	/* A new key set (another key, published and fetched) voids what was remembered. */
	free(jwks);
	jwks = NULL;
	jwks = devissuer_jwks_export((const struct devissuer_key *const *)&k2, 1);
	CHECK(strncmp(jwks, "{\"keys\":[", 9) == 0);
	CHECK_INT(lighttpd_fixture_put(&srv, "keys", jwks, strlen(jwks)), 0);
	CHECK_INT(check(a, t2, now + 3000), ERR_OK); /* remembered, keys still fresh */
	auth_stats_get(a, &st);
	CHECK_INT(st.verifications, 3);
	/* Past the keys' freshness the new set is fetched: t2 is alive but its key is gone. */
	CHECK_INT(check(a, t2, now + 4000), ERR_DENIED);
	CHECK_INT(check(a, t2, now + 4001), ERR_DENIED);
out:
	CHECK(a != NULL && t1 != NULL && t2 != NULL);
	free(t1);
	free(t2);
	free(tx);
	free(jwks);
	auth_free(a);
	devissuer_key_free(k1);
	devissuer_key_free(k2);
	lighttpd_fixture_cleanup(&srv);
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(bearer_syntax), TEST_CASE(challenges),
                  TEST_CASE(refusals_before_keys), TEST_CASE(state_dir_unusable),
                  TEST_CASE(verified_token_memo))
