/* Unit tests for src/mcp/transport.h: the Streamable HTTP request rules. */
#include "test.h"

#include <stdlib.h>

#include "lib/config/config.h"
#include "lib/http/request.h"
#include "mcp/outcome.h"
#include "mcp/transport.h"

static struct config cfg;

static int
setup(void)
{
	struct err e;

	setenv(CONFIG_RESOURCE, "http://127.0.0.1:3002/mcp", 1);
	setenv(CONFIG_ISSUER, "https://auth.example.com", 1);
	setenv(CONFIG_ORIGINS, "http://localhost:6274", 1);
	return config_load(&cfg, &e);
}

static void
cleanup(void)
{
	config_free(&cfg);
}

/* The status transport_peer_ok() refuses req with (0: allowed); its reason in why. */
static int
peer(const struct request *req, const char **why)
{
	static struct outcome o;

	outcome_clear(&o);
	*why = "";
	if (transport_peer_ok(&cfg, req, &o))
		return o.status == 0 && o.body == NULL ? 0 : -1;
	*why = o.reason;
	return o.kind == OUTCOME_REFUSED ? o.status : -1;
}

/* The status transport_post_ok() refuses req with (0: allowed). */
static int
post(const struct request *req, const char **version)
{
	struct outcome o = {0};
	int status;

	if (transport_post_ok(req, version, &o))
		return o.status == 0 && o.body == NULL ? 0 : -1;
	status = o.kind == OUTCOME_REFUSED && o.body != NULL && o.reason[0] != '\0' ? o.status : -1;
	outcome_clear(&o);
	return status;
}

TEST(content_type)
{
	CHECK(transport_content_type_json("application/json"));
	CHECK(transport_content_type_json("Application/JSON; charset=utf-8"));
	CHECK(transport_content_type_json(" application/json ;charset=UTF-8"));
	CHECK(!transport_content_type_json(NULL));
	CHECK(!transport_content_type_json(""));
	CHECK(!transport_content_type_json("text/plain"));
	CHECK(!transport_content_type_json("application/jsonx"));
	CHECK(!transport_content_type_json("application/json-patch+json"));
	CHECK(!transport_content_type_json("application/x-www-form-urlencoded"));
}

TEST(accept)
{
	CHECK(transport_accepts_json(NULL));
	CHECK(transport_accepts_json("application/json, text/event-stream"));
	CHECK(transport_accepts_json("text/event-stream, application/json"));
	CHECK(transport_accepts_json("*/*"));
	CHECK(transport_accepts_json("application/*;q=0.5"));
	CHECK(transport_accepts_json("text/html,APPLICATION/JSON;q=0.9"));
	CHECK(!transport_accepts_json("text/event-stream"));
	CHECK(!transport_accepts_json("text/html"));
	CHECK(!transport_accepts_json(""));
	CHECK(!transport_accepts_json("application/json;q=0"));
	CHECK(!transport_accepts_json("application/json; q=0.000, text/html"));
	CHECK(transport_accepts_json("application/json;q=0.01"));
	CHECK(!transport_accepts_json("application/jsonl"));
}

TEST(peer_checks)
{
	struct request req = {.method = "POST", .host = "127.0.0.1:3002"};
	const char *why = NULL;

	CHECK_INT(peer(&req, &why), 0);
	req.host = "LOCALHOST:3002";
	CHECK_INT(peer(&req, &why), 0);
	req.host = "evil.example:3002";
	CHECK_INT(peer(&req, &why), 403);
	CHECK_STR(why, "Host not allowed");
	req.host = NULL;
	CHECK_INT(peer(&req, &why), 403);
	req.host = "127.0.0.1:3002";
	req.origin = "http://localhost:6274";
	CHECK_INT(peer(&req, &why), 0);
	req.origin = "http://127.0.0.1:3002";
	CHECK_INT(peer(&req, &why), 0);
	req.origin = "https://evil.example";
	CHECK_INT(peer(&req, &why), 403);
	CHECK_STR(why, "Origin not allowed");
	req.origin = "null";
	CHECK_INT(peer(&req, &why), 403);
}

TEST(post_checks)
{
	struct request req = {.method = "POST", .content_type = "application/json"};
	const char *version = NULL;

	CHECK_INT(post(&req, &version), 0);
	CHECK_STR(version, "2025-03-26");
	req.protocol_version = "2025-06-18";
	CHECK_INT(post(&req, &version), 0);
	CHECK_STR(version, "2025-06-18");
	req.protocol_version = "2099-01-01";
	CHECK_INT(post(&req, &version), 400);
	req.protocol_version = NULL;
	req.accept = "text/event-stream";
	CHECK_INT(post(&req, &version), 406);
	req.content_type = "text/plain";
	CHECK_INT(post(&req, &version), 415);
	req.method = "GET";
	CHECK_INT(post(&req, &version), 405);
	req.method = "DELETE";
	CHECK_INT(post(&req, &version), 405);
}

TEST(preflight_and_cors)
{
	struct request req = {
	    .method = "OPTIONS", .host = "127.0.0.1:3002", .origin = "http://localhost:6274"};

	CHECK(transport_is_preflight(&req));
	req.method = "POST";
	CHECK(!transport_is_preflight(&req));
	CHECK(transport_origin_allowed(&cfg, "http://localhost:6274"));
	CHECK(transport_origin_allowed(&cfg, "http://127.0.0.1:3002"));
	/* No Origin, or a refused one, never gets CORS headers, even on the refusal itself. */
	CHECK(!transport_origin_allowed(&cfg, NULL));
	CHECK(!transport_origin_allowed(&cfg, "https://evil.example"));
	CHECK(!transport_origin_allowed(&cfg, "HTTP://LOCALHOST:6274x"));
}

TEST(response_headers_refuse_injection)
{
	struct response res;

	response_init(&res, 200);
	CHECK_INT(response_header(&res, "X-A", "%s", "fine"), 0);
	CHECK_INT(response_header(&res, "X-B", "%s", "evil\r\nSet-Cookie: x=1"), -1);
	CHECK(res.overflow);
	CHECK(strstr(res.headers, "Set-Cookie") == NULL);
	response_init(&res, 200);
	for (int i = 0; i < 100; i++)
		response_header(&res, "X-Long", "%0100d", i);
	CHECK(res.overflow);
	CHECK_STR(response_reason(413), "Content Too Large");
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(content_type), TEST_CASE(accept),
                  TEST_CASE(peer_checks), TEST_CASE(post_checks), TEST_CASE(preflight_and_cors),
                  TEST_CASE(response_headers_refuse_injection))
