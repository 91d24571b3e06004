/*
 * Unit tests for src/mcp/reply.h: each outcome rendered as a CGI response
 * by a forked child whose stdout the parent reads back.
 */
#include "test.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/config/config.h"
#include "lib/http/request.h"
#include "mcp/outcome.h"
#include "mcp/reply.h"

#define PRM "resource_metadata=\"http://127.0.0.1:3002/.well-known/oauth-protected-resource/mcp\""

static struct config cfg;
static char out[8192];

static int
setup(void)
{
	struct err e;

	setenv(CONFIG_RESOURCE, "http://127.0.0.1:3002/mcp", 1);
	setenv(CONFIG_ISSUER, "https://auth.example.com", 1);
	setenv(CONFIG_ORIGINS, "http://localhost:6274", 1);
	setenv(CONFIG_SCOPES, "todo:read todo:write", 1);
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
}

/* Renders o for a CGI request with the given Origin (NULL: none); returns the response text. */
static const char *
render(const struct outcome *o, const char *origin)
{
	char origin_env[256];
	int res[2];
	pid_t pid;

	if (pipe(res) != 0)
		return "";
	if ((pid = fork()) == 0) {
		struct request req;

		setenv("REQUEST_METHOD", "POST", 1);
		unsetenv("HTTP_ORIGIN");
		if (origin != NULL) {
			snprintf(origin_env, sizeof(origin_env), "HTTP_ORIGIN=%s", origin);
			putenv(origin_env);
		}
		dup2(res[1], STDOUT_FILENO);
		if (request_accept(&req) != 1)
			_exit(2);
		reply_send(&cfg, &req, o);
		request_finish(&req);
		_exit(0);
	}
	close(res[1]);
	return test_child_output(res[0], pid, out, sizeof(out));
}

TEST(refusals)
{
	struct outcome o = {0};
	const char *r;

	outcome_refuse(&o, 405, "Method not allowed: send JSON-RPC messages with POST");
	r = render(&o, NULL);
	CHECK_CONTAINS(r, "Status: 405 Method Not Allowed\r\nAllow: POST, OPTIONS\r\n");
	CHECK_CONTAINS(r, "Content-Type: application/json\r\n");
	CHECK_CONTAINS(r, "\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,");
	CHECK(strstr(r, "WWW-Authenticate") == NULL);
	/* A foreign Origin is refused without any CORS grant. */
	outcome_refuse(&o, 403, "Origin not allowed");
	r = render(&o, "https://evil.example");
	CHECK_CONTAINS(r, "Status: 403 Forbidden\r\n");
	CHECK(strstr(r, "Access-Control") == NULL);
	CHECK(strstr(r, "Allow:") == NULL);
	outcome_clear(&o);
}

TEST(challenges)
{
	struct outcome o = {0};
	const char *r;

	outcome_unauthorized(&o, OUTCOME_AUTH_MISSING, "no bearer token");
	r = render(&o, NULL);
	CHECK_CONTAINS(r, "Status: 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"mcp\", "
	                  "scope=\"todo:read todo:write\", " PRM "\r\nCache-Control: no-store\r\n");
	outcome_unauthorized(&o, OUTCOME_AUTH_INVALID, "token expired");
	r = render(&o, NULL);
	CHECK_CONTAINS(
	    r, "WWW-Authenticate: Bearer realm=\"mcp\", error=\"invalid_token\", "
	       "error_description=\"token expired\", scope=\"todo:read todo:write\", " PRM "\r\n");
	/* RFC 6750 §3.1: malformed or doubled credentials are a bad request. */
	outcome_unauthorized(&o, OUTCOME_AUTH_MALFORMED, "malformed Authorization header");
	r = render(&o, NULL);
	CHECK_CONTAINS(r, "Status: 400 Bad Request\r\nWWW-Authenticate: Bearer realm=\"mcp\", "
	                  "error=\"invalid_request\", error_description=\"malformed Authorization "
	                  "header\", scope=\"todo:read todo:write\", " PRM
	                  "\r\nCache-Control: no-store\r\n");
	outcome_unauthorized(&o, OUTCOME_AUTH_UNAVAILABLE, "signing keys unavailable");
	r = render(&o, NULL);
	CHECK_CONTAINS(r, "Status: 503 Service Unavailable\r\nRetry-After: 30\r\n"
	                  "Cache-Control: no-store\r\n");
	CHECK(strstr(r, "WWW-Authenticate") == NULL);
	outcome_clear(&o);
	o = (struct outcome){.kind = OUTCOME_ANSWERED,
	                     .auth = OUTCOME_AUTH_SCOPE,
	                     .status = 403,
	                     .needs = "mcp:access todo:write",
	                     .scope = "mcp:access todo:write todo:read"};
	r = render(&o, "http://localhost:6274");
	CHECK_CONTAINS(r, "Status: 403 Forbidden\r\nWWW-Authenticate: Bearer realm=\"mcp\", "
	                  "error=\"insufficient_scope\", error_description=\"the request needs "
	                  "mcp:access todo:write\", scope=\"mcp:access todo:write todo:read\", " PRM
	                  "\r\n");
	/* The browser client of an allowed origin may read the challenge. */
	CHECK_CONTAINS(r, "Access-Control-Allow-Origin: http://localhost:6274\r\n"
	                  "Access-Control-Expose-Headers: WWW-Authenticate, Mcp-Session-Id, "
	                  "MCP-Protocol-Version, Retry-After, RateLimit-Policy, RateLimit\r\n"
	                  "Vary: Origin\r\n");
	CHECK_CONTAINS(r, "Content-Length: 0\r\n\r\n");
	/* A batch answered 200 with a refused element carries the same challenge. */
	o.status = 200;
	r = render(&o, NULL);
	CHECK_CONTAINS(r, "Status: 200 OK\r\nWWW-Authenticate: Bearer realm=\"mcp\", "
	                  "error=\"insufficient_scope\"");
}

TEST(preflight)
{
	struct outcome o = {0};
	const char *r;

	outcome_preflight(&o);
	r = render(&o, "http://localhost:6274");
	CHECK_CONTAINS(r, "Status: 204 No Content\r\nAllow: POST, OPTIONS\r\n");
	CHECK_CONTAINS(r, "Access-Control-Allow-Origin: http://localhost:6274\r\n");
	CHECK_CONTAINS(r, "Access-Control-Allow-Methods: POST, OPTIONS\r\n");
	CHECK_CONTAINS(r, "Access-Control-Allow-Headers: Authorization, Content-Type, "
	                  "MCP-Protocol-Version, Mcp-Session-Id, Last-Event-ID\r\n");
	CHECK_CONTAINS(r, "Access-Control-Expose-Headers: WWW-Authenticate, Mcp-Session-Id, "
	                  "MCP-Protocol-Version, Retry-After, RateLimit-Policy, RateLimit\r\n");
	CHECK_CONTAINS(r, "Vary: Origin\r\n");
	CHECK_CONTAINS(r, "Access-Control-Max-Age: 86400\r\n");
	CHECK(strstr(r, "\r\nContent-Type:") == NULL);
	/* Without an Origin: what the preflight asks about, but no origin's grant. */
	r = render(&o, NULL);
	CHECK_CONTAINS(r, "Access-Control-Allow-Methods: POST, OPTIONS\r\n");
	CHECK(strstr(r, "Access-Control-Allow-Origin") == NULL);
	CHECK(strstr(r, "Vary") == NULL);
}

TEST(answers)
{
	struct outcome o = {.kind = OUTCOME_ANSWERED, .status = 202};
	const char *r = render(&o, NULL);

	CHECK_CONTAINS(r, "Status: 202 Accepted\r\nContent-Length: 0\r\n\r\n");
	o.status = 200;
	o.body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";
	o.body_len = strlen(o.body);
	r = render(&o, NULL);
	CHECK_CONTAINS(r, "Status: 200 OK\r\nContent-Type: application/json\r\n"
	                  "Content-Length: 36\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
}

/* A rate limit's refusal: Retry-After and the draft's RateLimit-Policy and RateLimit. */
TEST(rate_limited)
{
	struct outcome o = {0};
	struct outcome_limit lim = {
	    .policy = "anonymous", .quota = 300, .window = 60, .retry_after = 2};
	const char *r;

	outcome_rate_limited(&o, &lim);
	r = render(&o, NULL);
	CHECK_CONTAINS(r, "Status: 429 Too Many Requests\r\nRetry-After: 2\r\n"
	                  "RateLimit-Policy: \"anonymous\";q=300;w=60\r\n"
	                  "RateLimit: \"anonymous\";r=0;t=2\r\n");
	CHECK_CONTAINS(r, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32029,");
	CHECK(strstr(r, "WWW-Authenticate") == NULL);
	outcome_clear(&o);
	/* No refusal, no fields. */
	o.status = 200;
	r = render(&o, NULL);
	CHECK(strstr(r, "RateLimit") == NULL && strstr(r, "Retry-After") == NULL);
}

/* A tool whose service is down: 503 (or a batch's 200) with Retry-After, no challenge. */
TEST(service_unavailable)
{
	struct outcome o = {.kind = OUTCOME_ANSWERED, .status = 503, .retry_after = 5};
	const char *r;

	o.body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{}}";
	o.body_len = strlen(o.body);
	r = render(&o, NULL);
	CHECK_CONTAINS(r, "Status: 503 Service Unavailable\r\nRetry-After: 5\r\n");
	CHECK(strstr(r, "WWW-Authenticate") == NULL);
	o.status = 200;
	r = render(&o, NULL);
	CHECK_CONTAINS(r, "Status: 200 OK\r\nRetry-After: 5\r\n");
	o.retry_after = 0;
	r = render(&o, NULL);
	CHECK(strstr(r, "Retry-After") == NULL);
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(refusals), TEST_CASE(challenges), TEST_CASE(preflight),
                  TEST_CASE(answers), TEST_CASE(rate_limited), TEST_CASE(service_unavailable))
