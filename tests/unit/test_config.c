/* Unit tests for src/lib/config.h and src/lib/num.h: parsing, defaults, refusals. */
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config/config.h"
#include "lib/jose/jwk.h"
#include "lib/core/num.h"

static struct config cfg;
static char err[512];

/* Clears every variable the tests touch. */
static void
reset(void)
{
	static const char *const vars[] = {
	    CONFIG_FILE_VAR,   CONFIG_RESOURCE,    CONFIG_ORIGINS,      CONFIG_HOSTS,
	    CONFIG_MAX_BODY,   CONFIG_LOG_LEVEL,   CONFIG_LOG_FILE,     "DOCUMENT_ROOT",
	    CONFIG_ISSUER,     CONFIG_JWKS_URI,    CONFIG_AUDIENCE,     CONFIG_AS,
	    CONFIG_ALLOW_HTTP, CONFIG_ALGORITHMS,  CONFIG_LEEWAY,       CONFIG_TTL_MIN,
	    CONFIG_TTL_MAX,    CONFIG_THROTTLE,    CONFIG_MAX_STALE,    CONFIG_SCOPES,
	    CONFIG_STATE_DIR,  CONFIG_SK_ENV,      CONFIG_SK_ENV_SHORT, CONFIG_SK_RESOURCE_ID,
	    CONFIG_SK_MCP_URL, CONFIG_SK_AUDIENCE, CONFIG_SK_PRM};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	config_free(&cfg);
	/* Every test below needs an issuer; the OAuth tests unset it where they mean to. */
	setenv(CONFIG_ISSUER, "https://auth.example.com", 1);
}

/* Frees the previous configuration, loads anew. */
static enum config_err
load(void)
{
	config_free(&cfg);
	return config_load(&cfg, err, sizeof(err));
}

TEST(missing_resource_names_the_variable)
{
	reset();
	CHECK_INT(load(), CONFIG_ERR_MISSING);
	CHECK_CONTAINS(err, "MCP_RESOURCE: not set");
	setenv(CONFIG_RESOURCE, "", 1);
	CHECK_INT(load(), CONFIG_ERR_MISSING);
}

TEST(bad_resources)
{
	static const char *const bad[] = {
	    "ftp://x/mcp",           "mcp.example.com/mcp",  "https:///mcp",
	    "https://a.b/mcp#frag",  "https://user@a.b/mcp", "https://a.b:0/mcp",
	    "https://a.b:99999/mcp", "https://a.b:x/mcp",    "https://a b/mcp",
	    "https://[::1/mcp",      "https://a.b/m\"cp"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset();
		setenv(CONFIG_RESOURCE, bad[i], 1);
		CHECK_INT(load(), CONFIG_ERR_INVALID);
		CHECK_CONTAINS(err, "MCP_RESOURCE:");
	}
}

TEST(derived_lists_public)
{
	reset();
	setenv(CONFIG_RESOURCE, "https://mcp.example.com/mcp", 1);
	CHECK_INT(load(), CONFIG_OK);
	CHECK_STR(cfg.resource_origin, "https://mcp.example.com");
	CHECK_STR(cfg.resource_host, "mcp.example.com");
	CHECK_STR(cfg.resource_path, "/mcp");
	CHECK(cfg.resource_https);
	CHECK(!cfg.resource_loopback);
	CHECK(strlist_contains(&cfg.allowed_hosts, "mcp.example.com"));
	CHECK(strlist_contains(&cfg.allowed_hosts, "mcp.example.com:443"));
	CHECK(!strlist_contains(&cfg.allowed_hosts, "localhost"));
	CHECK(strlist_contains(&cfg.allowed_origins, "https://mcp.example.com"));
	CHECK(!strlist_contains(&cfg.allowed_origins, "http://mcp.example.com"));
	CHECK_INT(cfg.max_body, CONFIG_MAX_BODY_DEFAULT);
	CHECK(!cfg.any_origin);
}

TEST(derived_lists_loopback_and_additions)
{
	reset();
	setenv(CONFIG_RESOURCE, "http://127.0.0.1:3002/mcp", 1);
	setenv(CONFIG_ORIGINS, " http://localhost:6274  https://app.example ", 1);
	setenv(CONFIG_HOSTS, "proxy.internal:8080", 1);
	CHECK_INT(load(), CONFIG_OK);
	CHECK(cfg.resource_loopback);
	CHECK(strlist_contains(&cfg.allowed_hosts, "127.0.0.1:3002"));
	CHECK(strlist_contains(&cfg.allowed_hosts, "localhost:3002"));
	CHECK(strlist_contains(&cfg.allowed_hosts, "[::1]:3002"));
	CHECK(strlist_contains(&cfg.allowed_hosts, "proxy.internal:8080"));
	CHECK(!strlist_contains(&cfg.allowed_hosts, "localhost"));
	CHECK(strlist_contains(&cfg.allowed_origins, "http://localhost:3002"));
	CHECK(strlist_contains(&cfg.allowed_origins, "http://localhost:6274"));
	CHECK(strlist_contains(&cfg.allowed_origins, "https://app.example"));
	CHECK_STR(cfg.resource_path, "/mcp");
}

TEST(optional_values)
{
	reset();
	setenv(CONFIG_RESOURCE, "http://localhost:8080", 1);
	setenv(CONFIG_MAX_BODY, "2048", 1);
	setenv(CONFIG_LOG_LEVEL, "debug", 1);
	CHECK_INT(load(), CONFIG_OK);
	CHECK_STR(cfg.resource_path, "/");
	CHECK_INT(cfg.max_body, 2048);
	CHECK_INT(cfg.log_level, LOGL_DEBUG);
	setenv(CONFIG_MAX_BODY, "12abc", 1);
	CHECK_INT(load(), CONFIG_ERR_INVALID);
	CHECK_CONTAINS(err, "MCP_MAX_BODY:");
	setenv(CONFIG_MAX_BODY, "99999999999999999999999", 1);
	CHECK_INT(load(), CONFIG_ERR_INVALID);
	setenv(CONFIG_MAX_BODY, "2048", 1);
	setenv(CONFIG_LOG_LEVEL, "chatty", 1);
	CHECK_INT(load(), CONFIG_ERR_INVALID);
	CHECK_CONTAINS(err, "MCP_LOG_LEVEL:");
}

/* Writes text to a new file in a temporary directory; returns its path (static). */
static const char *
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

TEST(env_file)
{
	char dir[] = "/tmp/mcp-config-XXXXXX";
	const char *path;

	reset();
	CHECK(mkdtemp(dir) != NULL);
	path = write_file(dir, "mcp.env",
	                  "# comment\n\nexport MCP_RESOURCE=\"https://a.example/mcp\"\r\n"
	                  "MCP_MAX_BODY = 4096\nMCP_ALLOWED_HOSTS='h1 h2'\nMCP_LOG_LEVEL=\n",
	                  0600);
	setenv(CONFIG_FILE_VAR, path, 1);
	/* "MCP_MAX_BODY = 4096": a space before '=' makes the name invalid. */
	CHECK_INT(load(), CONFIG_ERR_FILE);
	CHECK_CONTAINS(err, ":4: not NAME=value");
	path = write_file(dir, "mcp.env",
	                  "# comment\n\nexport MCP_RESOURCE=\"https://a.example/mcp\"\r\n"
	                  "MCP_MAX_BODY=4096\nMCP_ALLOWED_HOSTS='h1 h2'\nMCP_LOG_LEVEL=\n",
	                  0600);
	CHECK_INT(load(), CONFIG_OK);
	CHECK_STR(cfg.resource, "https://a.example/mcp");
	CHECK_INT(cfg.max_body, 4096);
	CHECK(strlist_contains(&cfg.allowed_hosts, "h2"));
	CHECK_STR(config_get("MCP_ALLOWED_HOSTS"), "h1 h2");
	CHECK(config_get("MCP_LOG_LEVEL") == NULL);
	/* The environment wins over the file. */
	setenv(CONFIG_MAX_BODY, "8192", 1);
	CHECK_INT(load(), CONFIG_OK);
	CHECK_INT(cfg.max_body, 8192);
	unsetenv(CONFIG_MAX_BODY);
	/* Refused inside the document root, world-writable, or missing. */
	setenv("DOCUMENT_ROOT", dir, 1);
	CHECK_INT(load(), CONFIG_ERR_FILE);
	CHECK_CONTAINS(err, "inside the document root");
	unsetenv("DOCUMENT_ROOT");
	chmod(path, 0666);
	CHECK_INT(load(), CONFIG_ERR_FILE);
	unlink(path);
	CHECK_INT(load(), CONFIG_ERR_FILE);
	CHECK_CONTAINS(err, "MCP_CONFIG_FILE:");
	rmdir(dir);
	reset();
}

TEST(strlists)
{
	struct strlist l = {0};

	strlist_split(&l, "  a\tb\n c  ");
	CHECK_INT(l.n, 3);
	CHECK(strlist_contains(&l, "c"));
	CHECK(!strlist_contains(&l, "A"));
	CHECK(strlist_contains_ci(&l, "A"));
	strlist_split(&l, NULL);
	strlist_split(&l, "");
	CHECK_INT(l.n, 3);
	strlist_free(&l);
	strlist_free(NULL);
}

TEST(numbers)
{
	int64_t v;
	uint64_t u;
	bool b;

	CHECK_INT(num_parse_i64("42", 0, 100, &v), 0);
	CHECK_INT(v, 42);
	CHECK_INT(num_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0);
	CHECK(v == INT64_MIN);
	CHECK_INT(num_parse_i64("9223372036854775808", INT64_MIN, INT64_MAX, &v), -1);
	CHECK_INT(num_parse_i64("101", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64(" 1", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64("1 ", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64("", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64("-", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64("+1", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64("0x10", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64(NULL, 0, 100, &v), -1);
	CHECK_INT(num_parse_size("18446744073709551615", UINT64_MAX, &u), 0);
	CHECK_INT(num_parse_size("18446744073709551616", UINT64_MAX, &u), -1);
	CHECK_INT(num_parse_size("-1", UINT64_MAX, &u), -1);
	/* Limits below 9 must not wrap around. */
	CHECK_INT(num_parse_size("5", 0, &u), -1);
	CHECK_INT(num_parse_size("5", 4, &u), -1);
	CHECK_INT(num_parse_size("4", 4, &u), 0);
	CHECK_INT(num_parse_size("0", 0, &u), 0);
	CHECK_INT(num_parse_bool("Yes", &b), 0);
	CHECK(b);
	CHECK_INT(num_parse_bool("off", &b), 0);
	CHECK(!b);
	CHECK_INT(num_parse_bool("2", &b), -1);
}

TEST(oauth_defaults)
{
	reset();
	setenv(CONFIG_RESOURCE, "https://mcp.example.com/mcp", 1);
	CHECK_INT(load(), CONFIG_OK);
	CHECK_INT(cfg.issuers.n, 1);
	CHECK_STR(cfg.audiences.v[0], "https://mcp.example.com/mcp");
	CHECK_STR(cfg.authorization_servers.v[0], "https://auth.example.com");
	CHECK(cfg.jwks_uri == NULL); /* discovered from the issuer's metadata */
	CHECK_STR(cfg.state_dir, CONFIG_STATE_DIR_DEFAULT);
	CHECK_STR(cfg.prm_url, "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
	CHECK_STR(cfg.resource_documentation, "https://mcp.example.com/");
	CHECK_INT(cfg.leeway, 60);
	CHECK_INT(cfg.jwks_throttle, 60);
	CHECK(cfg.alg_mask == (JWA_BIT(JWA_RS256) | JWA_BIT(JWA_ES256) | JWA_BIT(JWA_PS256)));
	CHECK(!cfg.allow_http);
	setenv(CONFIG_RESOURCE, "https://mcp.example.com", 1);
	CHECK_INT(load(), CONFIG_OK);
	CHECK_STR(cfg.prm_url, "https://mcp.example.com/.well-known/oauth-protected-resource");
}

TEST(oauth_misconfigurations)
{
	static const struct {
		const char *var, *value, *want;
	} bad[] = {
	    {CONFIG_ISSUER, "http://auth.example.com",
	     "OAUTH_ISSUER: http://auth.example.com uses plain http"},
	    {CONFIG_ISSUER, "auth.example.com",
	     "OAUTH_ISSUER: auth.example.com is not an https:// URL"},
	    {CONFIG_ISSUER, "https://a.example/#x", "OAUTH_ISSUER:"},
	    {CONFIG_JWKS_URI, "http://auth.example.com/keys", "OAUTH_JWKS_URI:"},
	    {CONFIG_AS, "ftp://auth.example.com", "OAUTH_AUTHORIZATION_SERVERS:"},
	    {CONFIG_AUDIENCE, "https://other.example/mcp",
	     "OAUTH_AUDIENCE: https://other.example/mcp is not a URL of https://mcp.example.com"},
	    {CONFIG_AUDIENCE, "https://mcp.example.com.evil/mcp", "OAUTH_AUDIENCE:"},
	    {CONFIG_ALGORITHMS, "RS256 HS256",
	     "OAUTH_ALGORITHMS: HS256 is not an allowed algorithm"},
	    {CONFIG_ALGORITHMS, "none", "OAUTH_ALGORITHMS: none"},
	    {CONFIG_LEEWAY, "301", "OAUTH_LEEWAY:"},
	    {CONFIG_LEEWAY, "-1", "OAUTH_LEEWAY:"},
	    {CONFIG_TTL_MIN, "100000", "OAUTH_JWKS_TTL_MIN: must not exceed"},
	    {CONFIG_STATE_DIR, "relative/dir", "MCP_STATE_DIR: must be an absolute path"},
	    {CONFIG_ALLOW_HTTP, "maybe", "OAUTH_ALLOW_HTTP:"},
	    {CONFIG_SCOPES, "a\"b", "MCP_SCOPES_SUPPORTED:"},
	    {CONFIG_SK_PRM, "{\"resource\":\"https://other.example/mcp\"}",
	     "PROTECTED_RESOURCE_METADATA: \"resource\" must be"},
	    {CONFIG_SK_PRM, "[1]", "PROTECTED_RESOURCE_METADATA: not a JSON object"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset();
		setenv(CONFIG_RESOURCE, "https://mcp.example.com/mcp", 1);
		setenv(bad[i].var, bad[i].value, 1);
		CHECK(load() != CONFIG_OK);
		CHECK_CONTAINS(err, bad[i].want);
	}
	reset();
	unsetenv(CONFIG_ISSUER);
	setenv(CONFIG_RESOURCE, "https://mcp.example.com/mcp", 1);
	CHECK_INT(load(), CONFIG_ERR_MISSING);
	CHECK_CONTAINS(err, "OAUTH_ISSUER: not set");
	/* Plain http for a public resource needs the operator's word. */
	reset();
	setenv(CONFIG_RESOURCE, "http://mcp.example.com/mcp", 1);
	CHECK_INT(load(), CONFIG_ERR_INVALID);
	CHECK_CONTAINS(err, "MCP_RESOURCE: http://mcp.example.com/mcp uses plain http");
	setenv(CONFIG_ALLOW_HTTP, "1", 1);
	CHECK_INT(load(), CONFIG_OK);
}

TEST(scalekit_fastmcp_profile)
{
	reset();
	unsetenv(CONFIG_ISSUER);
	setenv(CONFIG_SK_ENV, "https://acme.scalekit.dev/", 1);
	setenv(CONFIG_SK_RESOURCE_ID, "res_123", 1);
	setenv(CONFIG_SK_MCP_URL, "https://mcp.acme.com/mcp", 1);
	CHECK_INT(load(), CONFIG_OK);
	CHECK_STR(cfg.resource, "https://mcp.acme.com/mcp");
	CHECK_INT(cfg.issuers.n, 2);
	CHECK_STR(cfg.issuers.v[0], "https://acme.scalekit.dev");
	CHECK_STR(cfg.issuers.v[1], "https://acme.scalekit.dev/resources/res_123");
	CHECK_STR(cfg.jwks_uri, "https://acme.scalekit.dev/keys");
	CHECK(strlist_contains(&cfg.audiences, "res_123"));
	CHECK(strlist_contains(&cfg.audiences, "https://mcp.acme.com/mcp"));
	CHECK_INT(cfg.authorization_servers.n, 1);
	CHECK_STR(cfg.authorization_servers.v[0], "https://acme.scalekit.dev/resources/res_123");
}

TEST(scalekit_node_profile)
{
	reset();
	unsetenv(CONFIG_ISSUER);
	setenv(CONFIG_SK_ENV_SHORT, "https://acme.scalekit.dev", 1);
	setenv(CONFIG_SK_AUDIENCE, "https://mcp.acme.com/", 1);
	setenv(CONFIG_SK_PRM,
	       "{\"resource\":\"https://mcp.acme.com/\",\"authorization_servers\":"
	       "[\"https://acme.scalekit.dev/resources/res_9\"],\"bearer_methods_supported\":"
	       "[\"header\"],\"scopes_supported\":[\"todo:read\"]}",
	       1);
	CHECK_INT(load(), CONFIG_OK);
	CHECK_STR(cfg.resource, "https://mcp.acme.com/");
	CHECK_STR(cfg.audiences.v[0], "https://mcp.acme.com/");
	CHECK_STR(cfg.authorization_servers.v[0], "https://acme.scalekit.dev/resources/res_9");
	CHECK_STR(cfg.scopes_supported.v[0], "todo:read");
	CHECK_CONTAINS(cfg.prm_document, "\"resource\":\"https://mcp.acme.com/\"");
	CHECK_STR(cfg.prm_url, "https://mcp.acme.com/.well-known/oauth-protected-resource");
	reset();
}

TEST_MAIN(TEST_CASE(oauth_defaults), TEST_CASE(oauth_misconfigurations),
          TEST_CASE(scalekit_fastmcp_profile), TEST_CASE(scalekit_node_profile),
          TEST_CASE(missing_resource_names_the_variable), TEST_CASE(bad_resources),
          TEST_CASE(derived_lists_public), TEST_CASE(derived_lists_loopback_and_additions),
          TEST_CASE(optional_values), TEST_CASE(env_file), TEST_CASE(strlists), TEST_CASE(numbers))
