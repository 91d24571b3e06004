/* Unit tests for src/lib/config/config.h: parsing, defaults, refusals. */
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config/config.h"
#include "lib/jose/token.h"
#include "lib/jose/jwk.h"

static struct config cfg;
static struct err e;

/* Clears every variable the tests touch. */
static void
reset(void)
{
	static const char *const vars[] = {
	    CONFIG_FILE_VAR,   CONFIG_RESOURCE,     CONFIG_ORIGINS,      CONFIG_HOSTS,
	    CONFIG_MAX_BODY,   CONFIG_LOG_LEVEL,    CONFIG_LOG_FILE,     "DOCUMENT_ROOT",
	    CONFIG_ISSUER,     CONFIG_JWKS_URI,     CONFIG_AUDIENCE,     CONFIG_AS,
	    CONFIG_ALLOW_HTTP, CONFIG_ALGORITHMS,   CONFIG_LEEWAY,       CONFIG_TTL_MIN,
	    CONFIG_TTL_MAX,    CONFIG_THROTTLE,     CONFIG_MAX_STALE,    CONFIG_SCOPES,
	    CONFIG_STATE_DIR,  CONFIG_SK_ENV,       CONFIG_SK_ENV_SHORT, CONFIG_SK_RESOURCE_ID,
	    CONFIG_SK_MCP_URL, CONFIG_SK_AUDIENCE,  CONFIG_SK_PRM,       CONFIG_TODO_DB,
	    CONFIG_TODO_MAX,   CONFIG_TODO_MAX_OLD, CONFIG_TOKEN_TYPES,  CONFIG_DATABASE_URL};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	config_free(&cfg);
	/* Every test below needs an issuer; the OAuth tests unset it where they mean to. */
	setenv(CONFIG_ISSUER, "https://auth.example.com", 1);
}

/* Frees the previous configuration, loads anew: 0, or -1 with e (always ERR_CONFIG). */
static int
load(void)
{
	int rc;

	config_free(&cfg);
	rc = config_load(&cfg, &e);
	CHECK(rc == 0 ? e.code == ERR_OK && e.msg[0] == '\0' : e.code == ERR_CONFIG);
	return rc;
}

TEST(missing_resource_names_the_variable)
{
	reset();
	CHECK_INT(load(), -1);
	CHECK_CONTAINS(e.msg, "MCP_RESOURCE: not set");
	setenv(CONFIG_RESOURCE, "", 1);
	CHECK_INT(load(), -1);
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
		CHECK_INT(load(), -1);
		CHECK_CONTAINS(e.msg, "MCP_RESOURCE:");
	}
}

TEST(derived_lists_public)
{
	reset();
	setenv(CONFIG_RESOURCE, "https://mcp.example.com/mcp", 1);
	CHECK_INT(load(), 0);
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
	CHECK_INT(load(), 0);
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
	CHECK_INT(load(), 0);
	CHECK_STR(cfg.resource_path, "/");
	CHECK_INT(cfg.max_body, 2048);
	CHECK_INT(cfg.log_level, LOGL_DEBUG);
	setenv(CONFIG_MAX_BODY, "12abc", 1);
	CHECK_INT(load(), -1);
	CHECK_CONTAINS(e.msg, "MCP_MAX_BODY:");
	setenv(CONFIG_MAX_BODY, "99999999999999999999999", 1);
	CHECK_INT(load(), -1);
	setenv(CONFIG_MAX_BODY, "2048", 1);
	setenv(CONFIG_LOG_LEVEL, "chatty", 1);
	CHECK_INT(load(), -1);
	CHECK_CONTAINS(e.msg, "MCP_LOG_LEVEL:");
}

/* MCP_DATABASE_URL: a PostgreSQL URL or nothing; a refusal never echoes the value. */
TEST(database_url)
{
	reset();
	setenv(CONFIG_RESOURCE, "https://mcp.example.com/mcp", 1);
	CHECK_INT(load(), 0);
	CHECK(cfg.database_url == NULL);
	setenv(CONFIG_DATABASE_URL, "postgresql://mcp:s3cret@db.internal/mcp", 1);
	CHECK_INT(load(), 0);
	CHECK_STR(cfg.database_url, "postgresql://mcp:s3cret@db.internal/mcp");
	setenv(CONFIG_DATABASE_URL, "postgres://db.internal/mcp", 1);
	CHECK_INT(load(), 0);
	setenv(CONFIG_DATABASE_URL, "mysql://root:s3cret@db/mcp", 1);
	CHECK_INT(load(), -1);
	CHECK_CONTAINS(e.msg, "MCP_DATABASE_URL:");
	CHECK(strstr(e.msg, "s3cret") == NULL);
	reset();
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
	CHECK_INT(load(), -1);
	CHECK_CONTAINS(e.msg, ":4: not NAME=value");
	path = write_file(dir, "mcp.env",
	                  "# comment\n\nexport MCP_RESOURCE=\"https://a.example/mcp\"\r\n"
	                  "MCP_MAX_BODY=4096\nMCP_ALLOWED_HOSTS='h1 h2'\nMCP_LOG_LEVEL=\n",
	                  0600);
	CHECK_INT(load(), 0);
	CHECK_STR(cfg.resource, "https://a.example/mcp");
	CHECK_INT(cfg.max_body, 4096);
	CHECK(strlist_contains(&cfg.allowed_hosts, "h2"));
	CHECK_STR(config_get("MCP_ALLOWED_HOSTS"), "h1 h2");
	CHECK(config_get("MCP_LOG_LEVEL") == NULL);
	/* The environment wins over the file. */
	setenv(CONFIG_MAX_BODY, "8192", 1);
	CHECK_INT(load(), 0);
	CHECK_INT(cfg.max_body, 8192);
	unsetenv(CONFIG_MAX_BODY);
	/* Refused inside the document root, world-writable, or missing. */
	setenv("DOCUMENT_ROOT", dir, 1);
	CHECK_INT(load(), -1);
	CHECK_CONTAINS(e.msg, "inside the document root");
	unsetenv("DOCUMENT_ROOT");
	chmod(path, 0666);
	CHECK_INT(load(), -1);
	unlink(path);
	CHECK_INT(load(), -1);
	CHECK_CONTAINS(e.msg, "MCP_CONFIG_FILE:");
	rmdir(dir);
	reset();
}

TEST(oauth_defaults)
{
	reset();
	setenv(CONFIG_RESOURCE, "https://mcp.example.com/mcp", 1);
	CHECK_INT(load(), 0);
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
	CHECK_INT(cfg.todo_max_per_owner, 1000);
	CHECK(cfg.token_types == (TOKEN_TYPE_AT_JWT | TOKEN_TYPE_JWT));
	CHECK_INT(cfg.jwks_max_stale, 86400);
	CHECK_STR(cfg.todo_db, CONFIG_STATE_DIR_DEFAULT "/todos.sqlite");
	setenv(CONFIG_RESOURCE, "https://mcp.example.com", 1);
	CHECK_INT(load(), 0);
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
	     "OAUTH_ISSUER: auth.example.com: not an absolute https:// URL"},
	    {CONFIG_ISSUER, "https://a.example/#x",
	     "OAUTH_ISSUER: https://a.example/#x: contains a space, quote, '#'"},
	    {CONFIG_ISSUER, "https:///x", "OAUTH_ISSUER: https:///x: no host"},
	    {CONFIG_JWKS_URI, "http://auth.example.com/keys", "OAUTH_JWKS_URI:"},
	    {CONFIG_AS, "ftp://auth.example.com", "OAUTH_AUTHORIZATION_SERVERS:"},
	    {CONFIG_AUDIENCE, "https://other.example/mcp",
	     "OAUTH_AUDIENCE: https://other.example/mcp is not a URL of https://mcp.example.com"},
	    {CONFIG_AUDIENCE, "https://mcp.example.com.evil/mcp", "OAUTH_AUDIENCE:"},
	    {CONFIG_ALGORITHMS, "RS256 HS256",
	     "OAUTH_ALGORITHMS: HS256 is not an allowed algorithm"},
	    {CONFIG_ALGORITHMS, "none", "OAUTH_ALGORITHMS: none"},
	    {CONFIG_TOKEN_TYPES, "at+jwt dpop+jwt",
	     "OAUTH_TOKEN_TYPES: dpop+jwt is not a token type (at+jwt, JWT)"},
	    {CONFIG_LEEWAY, "301", "OAUTH_LEEWAY:"},
	    {CONFIG_LEEWAY, "-1", "OAUTH_LEEWAY:"},
	    {CONFIG_TTL_MIN, "100000", "OAUTH_JWKS_TTL_MIN: must not exceed"},
	    {CONFIG_STATE_DIR, "relative/dir", "MCP_STATE_DIR: must be an absolute path"},
	    {CONFIG_TODO_DB, "todos.sqlite", "MCP_TODO_DB: must be an absolute path"},
	    {CONFIG_TODO_MAX, "0", "MCP_TODO_MAX_PER_OWNER: must be a count from 1 to 1000000"},
	    {CONFIG_TODO_MAX_OLD, "x", "MCP_TODO_MAX_PER_SUBJECT: must be a count from 1"},
	    {CONFIG_THROTTLE, "0", "OAUTH_JWKS_REFRESH_THROTTLE: must be a number of seconds"},
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
		CHECK_INT(load(), -1);
		CHECK_CONTAINS(e.msg, bad[i].want);
	}
	reset();
	unsetenv(CONFIG_ISSUER);
	setenv(CONFIG_RESOURCE, "https://mcp.example.com/mcp", 1);
	CHECK_INT(load(), -1);
	CHECK_CONTAINS(e.msg, "OAUTH_ISSUER: not set");
	/* Plain http for a public resource needs the operator's word. */
	reset();
	setenv(CONFIG_RESOURCE, "http://mcp.example.com/mcp", 1);
	CHECK_INT(load(), -1);
	CHECK_CONTAINS(e.msg, "MCP_RESOURCE: http://mcp.example.com/mcp uses plain http");
	setenv(CONFIG_ALLOW_HTTP, "1", 1);
	CHECK_INT(load(), 0);
}

/* The todo limit per owner (subject and organisation), under its old name too. */
TEST(todo_limit_names)
{
	reset();
	setenv(CONFIG_RESOURCE, "https://mcp.example.com/mcp", 1);
	setenv(CONFIG_TODO_MAX_OLD, "7", 1);
	CHECK_INT(load(), 0);
	CHECK_INT(cfg.todo_max_per_owner, 7);
	/* The new name wins when both are set. */
	setenv(CONFIG_TODO_MAX, "9", 1);
	CHECK_INT(load(), 0);
	CHECK_INT(cfg.todo_max_per_owner, 9);
	unsetenv(CONFIG_TODO_MAX);
	unsetenv(CONFIG_TODO_MAX_OLD);
	setenv(CONFIG_TOKEN_TYPES, "at+jwt", 1);
	CHECK_INT(load(), 0);
	CHECK(cfg.token_types == TOKEN_TYPE_AT_JWT);
	unsetenv(CONFIG_TOKEN_TYPES);
	/* OAUTH_JWKS_MAX_STALE=0 is kept as 0: no stale keys at all. */
	setenv(CONFIG_MAX_STALE, "0", 1);
	CHECK_INT(load(), 0);
	CHECK_INT(cfg.jwks_max_stale, 0);
	unsetenv(CONFIG_MAX_STALE);
}

TEST(scalekit_fastmcp_profile)
{
	reset();
	unsetenv(CONFIG_ISSUER);
	setenv(CONFIG_SK_ENV, "https://acme.scalekit.dev/", 1);
	setenv(CONFIG_SK_RESOURCE_ID, "res_123", 1);
	setenv(CONFIG_SK_MCP_URL, "https://mcp.acme.com/mcp", 1);
	CHECK_INT(load(), 0);
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
	CHECK_INT(load(), 0);
	CHECK_STR(cfg.resource, "https://mcp.acme.com/");
	CHECK_STR(cfg.audiences.v[0], "https://mcp.acme.com/");
	CHECK_STR(cfg.authorization_servers.v[0], "https://acme.scalekit.dev/resources/res_9");
	CHECK_STR(cfg.scopes_supported.v[0], "todo:read");
	CHECK_CONTAINS(cfg.prm_document, "\"resource\":\"https://mcp.acme.com/\"");
	CHECK_STR(cfg.prm_url, "https://mcp.acme.com/.well-known/oauth-protected-resource");
	reset();
}

TEST_MAIN_FIXTURE(NULL, reset, TEST_CASE(oauth_defaults), TEST_CASE(oauth_misconfigurations),
                  TEST_CASE(todo_limit_names), TEST_CASE(scalekit_fastmcp_profile),
                  TEST_CASE(scalekit_node_profile), TEST_CASE(missing_resource_names_the_variable),
                  TEST_CASE(bad_resources), TEST_CASE(derived_lists_public),
                  TEST_CASE(derived_lists_loopback_and_additions), TEST_CASE(optional_values),
                  TEST_CASE(env_file), TEST_CASE(database_url))
