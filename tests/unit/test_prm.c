/* Unit tests for src/wellknown/prm.h: the RFC 9728 document, its paths, the health report. */
#include "test.h"

#include <stdlib.h>

#include "lib/config/config.h"
#include "lib/keycache/jwks_cache.h"
#include "wellknown/prm.h"

static struct config cfg;

/* Loads a configuration for resource from the environment. */
static void
load(const char *resource)
{
	struct err e;

	config_free(&cfg);
	setenv(CONFIG_RESOURCE, resource, 1);
	setenv(CONFIG_ISSUER, "https://auth.example.com", 1);
	setenv(CONFIG_SCOPES, "todo:read todo:write", 1);
	CHECK_INT(config_load(&cfg, &e), 0);
}

TEST(document)
{
	char *doc;

	load("https://mcp.example.com/mcp");
	doc = prm_document_new(&cfg);
	CHECK_STR(doc, "{\"resource\":\"https://mcp.example.com/mcp\","
	               "\"authorization_servers\":[\"https://auth.example.com\"],"
	               "\"scopes_supported\":[\"todo:read\",\"todo:write\"],"
	               "\"bearer_methods_supported\":[\"header\"],"
	               "\"resource_name\":\"mcp-fcgi MCP server\","
	               "\"resource_documentation\":\"https://mcp.example.com/\"}");
	free(doc);
}

TEST(configured_document_served_as_given)
{
	char *doc;

	setenv(CONFIG_SK_PRM, "{\"resource\":\"https://mcp.example.com/mcp\",\"x\":[1]}", 1);
	load("https://mcp.example.com/mcp");
	doc = prm_document_new(&cfg);
	CHECK_STR(doc, "{\"resource\":\"https://mcp.example.com/mcp\",\"x\":[1]}");
	free(doc);
	unsetenv(CONFIG_SK_PRM);
}

TEST(paths)
{
	load("https://mcp.example.com/mcp");
	CHECK(prm_path_matches(&cfg, "/.well-known/oauth-protected-resource"));
	CHECK(prm_path_matches(&cfg, "/.well-known/oauth-protected-resource/mcp"));
	CHECK(!prm_path_matches(&cfg, "/.well-known/oauth-protected-resource/mcpx"));
	CHECK(!prm_path_matches(&cfg, "/.well-known/oauth-protected-resource/"));
	CHECK(!prm_path_matches(&cfg, "/.well-known/oauth-protected-resource/other"));
	CHECK(!prm_path_matches(&cfg, "/.well-known/oauth-protected-resourcex"));
	CHECK(!prm_path_matches(&cfg, "/health"));
	load("https://mcp.example.com");
	CHECK(prm_path_matches(&cfg, "/.well-known/oauth-protected-resource"));
	CHECK(!prm_path_matches(&cfg, "/.well-known/oauth-protected-resource/"));
}

TEST(folder_paths)
{
	load("https://host.example/~me/app/mcp");
	CHECK_STR(prm_folder_path(&cfg, "/~me/app/health"), "/health");
	CHECK_STR(prm_folder_path(&cfg, "/~me/app/.well-known/oauth-protected-resource"),
	          "/.well-known/oauth-protected-resource");
	/* Outside the folder, or a folder that only starts alike: unchanged. */
	CHECK_STR(prm_folder_path(&cfg, "/health"), "/health");
	CHECK_STR(prm_folder_path(&cfg, "/~me/apps/health"), "/~me/apps/health");
	CHECK_STR(prm_folder_path(&cfg, "/~me/app"), "/~me/app");
	/* A resource in the root folder changes nothing. */
	load("https://mcp.example.com/mcp");
	CHECK_STR(prm_folder_path(&cfg, "/x/health"), "/x/health");
	CHECK_STR(prm_folder_path(&cfg, "/health"), "/health");
}

TEST(health)
{
	struct jwks_cache_status st = {.have_keys = true,
	                               .fresh = true,
	                               .n_keys = 2,
	                               .fetched_at = 1000,
	                               .expires_at = 4600,
	                               .last_ok = true,
	                               .last_attempt = 1000};
	char *h = prm_health_new(&st, 1060);

	CHECK_STR(h, "{\"status\":\"ok\",\"live\":true,\"ready\":true,\"keys\":{\"count\":2,"
	             "\"age_seconds\":60,\"fresh\":true,\"last_refresh_ok\":true,"
	             "\"last_attempt_age_seconds\":60},\"issuer_reachable\":true}");
	free(h);
	st = (struct jwks_cache_status){.last_attempt = 1000, .last_error = "fetch: 404\"x"};
	h = prm_health_new(&st, 1010);
	CHECK_CONTAINS(h, "\"status\":\"unavailable\",\"live\":true,\"ready\":false");
	CHECK_CONTAINS(h, "\"last_error\":\"fetch: 404\\\"x\"");
	CHECK_CONTAINS(h, "\"issuer_reachable\":false");
	free(h);
	config_free(&cfg);
}

TEST_MAIN(TEST_CASE(document), TEST_CASE(configured_document_served_as_given), TEST_CASE(paths),
          TEST_CASE(folder_paths), TEST_CASE(health))
