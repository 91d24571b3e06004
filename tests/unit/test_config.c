/* Unit tests for src/lib/config.h and src/lib/num.h: parsing, defaults, refusals. */
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/num.h"

static struct config cfg;
static char err[512];

/* Clears every variable the tests touch. */
static void
reset(void)
{
	static const char *const vars[] = {CONFIG_FILE_VAR, CONFIG_RESOURCE, CONFIG_ORIGINS, CONFIG_HOSTS,
					   CONFIG_MAX_BODY, CONFIG_LOG_LEVEL, CONFIG_LOG_FILE,
					   "DOCUMENT_ROOT"};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	config_free(&cfg);
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
	static const char *const bad[] = {"ftp://x/mcp", "mcp.example.com/mcp", "https:///mcp",
					  "https://a.b/mcp#frag", "https://user@a.b/mcp",
					  "https://a.b:0/mcp", "https://a.b:99999/mcp", "https://a.b:x/mcp",
					  "https://a b/mcp", "https://[::1/mcp", "https://a.b/m\"cp"};
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

	CHECK_INT(strlist_split(&l, "  a\tb\n c  "), 0);
	CHECK_INT(l.n, 3);
	CHECK(strlist_contains(&l, "c"));
	CHECK(!strlist_contains(&l, "A"));
	CHECK(strlist_contains_ci(&l, "A"));
	CHECK_INT(strlist_split(&l, NULL), 0);
	CHECK_INT(strlist_split(&l, ""), 0);
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
	CHECK_INT(num_parse_bool("Yes", &b), 0);
	CHECK(b);
	CHECK_INT(num_parse_bool("off", &b), 0);
	CHECK(!b);
	CHECK_INT(num_parse_bool("2", &b), -1);
}

TEST_MAIN(TEST_CASE(missing_resource_names_the_variable), TEST_CASE(bad_resources),
	  TEST_CASE(derived_lists_public), TEST_CASE(derived_lists_loopback_and_additions),
	  TEST_CASE(optional_values), TEST_CASE(env_file), TEST_CASE(strlists), TEST_CASE(numbers))
