/* Unit tests for src/mcp/outcome.h: the refusals and their bodies. */
#include "test.h"

#include "mcp/outcome.h"

TEST(refusal_body)
{
	struct outcome o = {0};

	outcome_refuse(&o, 415, "Content-Type must be application/json");
	CHECK_INT(o.kind, OUTCOME_REFUSED);
	CHECK_INT(o.status, 415);
	CHECK_INT(o.auth, OUTCOME_AUTH_NONE);
	CHECK_STR(o.reason, "Content-Type must be application/json");
	CHECK_STR(o.body, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
	                  "\"message\":\"Content-Type must be application/json\"}}");
	CHECK_INT(o.body_len, strlen(o.body));
	/* A new decision replaces the old one whole. */
	outcome_refuse(&o, 403, "Host not allowed");
	CHECK_INT(o.status, 403);
	CHECK_CONTAINS(o.body, "\"message\":\"Host not allowed\"");
	outcome_clear(&o);
	CHECK(o.body == NULL);
	CHECK_INT(o.status, 0);
}

TEST(unauthorized_bodies)
{
	struct outcome o = {0};

	outcome_unauthorized(&o, OUTCOME_AUTH_MISSING, "no bearer token");
	CHECK_INT(o.status, 401);
	CHECK_INT(o.kind, OUTCOME_UNAUTHORIZED);
	CHECK_STR(o.body, "{\"error\":\"unauthorized\","
	                  "\"error_description\":\"a Bearer access token is required\"}");
	CHECK_STR(o.reason, "no bearer token");
	outcome_unauthorized(&o, OUTCOME_AUTH_INVALID, "token expired");
	CHECK_INT(o.status, 401);
	CHECK_STR(o.body, "{\"error\":\"invalid_token\",\"error_description\":\"token expired\"}");
	outcome_unauthorized(&o, OUTCOME_AUTH_MALFORMED, "malformed Authorization header");
	CHECK_INT(o.status, 400);
	CHECK_STR(o.body, "{\"error\":\"invalid_request\","
	                  "\"error_description\":\"malformed Authorization header\"}");
	outcome_unauthorized(&o, OUTCOME_AUTH_UNAVAILABLE, "signing keys unavailable");
	CHECK_INT(o.status, 503);
	CHECK_STR(o.body, "{\"error\":\"temporarily_unavailable\","
	                  "\"error_description\":\"signing keys unavailable\"}");
	outcome_clear(&o);
}

TEST(preflight)
{
	struct outcome o = {0};

	outcome_refuse(&o, 403, "x");
	outcome_preflight(&o);
	CHECK_INT(o.kind, OUTCOME_PREFLIGHT);
	CHECK_INT(o.status, 204);
	CHECK(o.body == NULL);
}

/* A cleared outcome records no message, and the next one it hands out holds nothing stale. */
TEST(messages_after_clear_start_empty)
{
	struct outcome o = {0};
	struct outcome_msg *m;

	for (int i = 0; i < 3; i++) {
		m = outcome_next_msg(&o);
		snprintf(m->method, sizeof(m->method), "tools/call");
		snprintf(m->tool, sizeof(m->tool), "greet_user");
		snprintf(m->needs, sizeof(m->needs), "todo:write");
		m->rpc_error = -32602;
	}
	o.batch = true;
	CHECK_INT((int)o.n_msgs, 3);
	outcome_refuse(&o, 400, "bad");
	CHECK_INT((int)o.n_msgs, 0);
	CHECK(!o.batch);
	CHECK_INT(o.status, 400);
	outcome_clear(&o);
	CHECK_INT(o.status, 0);
	CHECK(o.body == NULL);
	for (int i = 0; i < 3; i++) {
		m = outcome_next_msg(&o);
		CHECK_STR(m->method, "");
		CHECK_STR(m->tool, "");
		CHECK_STR(m->needs, "");
		CHECK_INT(m->rpc_error, 0);
	}
	/* Past the table's end the last entry is reused, zeroed. */
	for (int i = 3; i < JSONRPC_BATCH_MAX + 2; i++)
		outcome_next_msg(&o)->rpc_error = i;
	CHECK_INT((int)o.n_msgs, JSONRPC_BATCH_MAX);
	CHECK_INT(o.msgs[JSONRPC_BATCH_MAX - 1].rpc_error, JSONRPC_BATCH_MAX + 1);
	outcome_clear(&o);
}

TEST_MAIN(TEST_CASE(refusal_body), TEST_CASE(unauthorized_bodies), TEST_CASE(preflight),
          TEST_CASE(messages_after_clear_start_empty))
