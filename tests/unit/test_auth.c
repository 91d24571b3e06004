/* Unit tests for src/lib/auth.h: bearer extraction, challenges, refusals before any key. */
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#include "lib/auth.h"
#include "lib/config.h"
#include "lib/token.h"

static struct config cfg;
static char state[] = "/tmp/mcp-auth-XXXXXX";

TEST(setup)
{
	char err[256];

	CHECK(mkdtemp(state) != NULL);
	setenv(CONFIG_RESOURCE, "https://mcp.example.com/mcp", 1);
	setenv(CONFIG_ISSUER, "https://auth.example.com", 1);
	setenv(CONFIG_JWKS_URI, "https://auth.example.com/keys", 1);
	setenv(CONFIG_SCOPES, "todo:read todo:write", 1);
	setenv(CONFIG_STATE_DIR, state, 1);
	CHECK_INT(config_load(&cfg, err, sizeof(err)), CONFIG_OK);
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
	char err[256] = "";
	struct auth *a = auth_new(&cfg, err, sizeof(err));
	struct principal *p = (struct principal *)&p;
	const char *reason = NULL;

	CHECK(a != NULL);
	if (a == NULL)
		return;
	CHECK_INT(auth_check(a, NULL, 0, &p, &reason), AUTH_NO_TOKEN);
	CHECK(p == NULL);
	CHECK_INT(auth_check(a, "Basic dXNlcjpwYXNz", 0, &p, &reason), AUTH_NO_TOKEN);
	/* RFC 6750 §3.1: no Bearer credentials is not an invalid token. */
	CHECK_INT(auth_check(a, "Bearer", 0, &p, &reason), AUTH_NO_TOKEN);
	CHECK_INT(auth_check(a, "Bearer   ", 0, &p, &reason), AUTH_NO_TOKEN);
	CHECK_INT(auth_check(a, "Bearerxyz", 0, &p, &reason), AUTH_NO_TOKEN);
	CHECK_INT(auth_check(a, "Bearer a b c", 0, &p, &reason), AUTH_INVALID);
	CHECK_STR(reason, "malformed Authorization header");
	auth_free(a);
	auth_free(NULL);
}

TEST(state_dir_unusable)
{
	char err[256] = "";
	struct config bad = cfg;

	bad.state_dir = "/proc/definitely/not/here";
	CHECK(auth_new(&bad, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err,
	               "MCP_STATE_DIR: state directory /proc/definitely/not/here: No such file");
}

TEST(cleanup)
{
	char cmd[128];

	config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
	CHECK_INT(system(cmd), 0);
}

TEST_MAIN(TEST_CASE(setup), TEST_CASE(bearer_syntax), TEST_CASE(challenges),
          TEST_CASE(refusals_before_keys), TEST_CASE(state_dir_unusable), TEST_CASE(cleanup))
