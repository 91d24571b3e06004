/* Unit tests for src/mcp/jsonrpc.h: envelopes, ids, error objects. */
#include "test.h"

#include <stdlib.h>

#include "mcp/jsonrpc.h"

static enum jsonrpc_kind
classify(const char *json, struct jsonrpc_msg *m)
{
	static cJSON *doc;

	cJSON_Delete(doc);
	doc = cJSON_Parse(json);
	return jsonrpc_classify(doc, m);
}

/* The text t holds, kept until the next call; t is left empty. */
static const char *
taken(struct jsontext *t)
{
	static char *last;

	free(last);
	last = jsontext_take(t);
	return last;
}

/* A whole result response for id with the result {}. */
static const char *
result_of(const cJSON *id)
{
	struct jsontext t;

	jsontext_init(&t, 8);
	jsonrpc_result_open(&t, id);
	jsontext_raw(&t, "{}", 2);
	jsontext_close(&t, '}');
	return taken(&t);
}

/* id as a response echoes it. */
static const char *
id_of(const cJSON *id)
{
	struct jsontext t;

	jsontext_init(&t, 8);
	jsonrpc_write_id(&t, id);
	return taken(&t);
}

/* An error response. */
static const char *
error_of(const cJSON *id, int code, const char *message, int retry_after)
{
	struct jsontext t;

	jsontext_init(&t, 8);
	jsonrpc_write_error(&t, id, code, message, retry_after);
	return taken(&t);
}

TEST(invalid_envelopes)
{
	struct jsonrpc_msg m;

	CHECK_INT(classify("[]", &m), JSONRPC_INVALID);
	CHECK_INT(classify("5", &m), JSONRPC_INVALID);
	CHECK_INT(classify("{\"id\":1,\"method\":\"ping\"}", &m), JSONRPC_INVALID);
	CHECK_INT(classify("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", &m),
	          JSONRPC_INVALID);
	CHECK_INT(classify("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"ping\"}", &m), JSONRPC_INVALID);
	CHECK_INT(classify("{\"jsonrpc\":\"2.0\",\"id\":1}", &m), JSONRPC_INVALID);
	CHECK_INT(classify("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", &m), JSONRPC_INVALID);
	CHECK_INT(classify("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}", &m), JSONRPC_INVALID);
	CHECK_INT(classify("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":[1]}", &m),
	          JSONRPC_INVALID);
	/* An invalid message with a valid id keeps its id for the error response. */
	CHECK(m.id != NULL && m.id->valuedouble == 1);
}

TEST(invalid_ids)
{
	static const char *const bad[] = {
	    "null", "true", "1.5", "{}", "[]", "1e300", "9007199254740993", "-9007199254740994"};
	struct jsonrpc_msg m;
	char buf[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\"}",
		         bad[i]);
		CHECK_INT(classify(buf, &m), JSONRPC_INVALID);
		CHECK(m.id == NULL);
	}
}

TEST(kinds)
{
	struct jsonrpc_msg m;

	CHECK_INT(classify("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"ping\"}", &m),
	          JSONRPC_REQUEST);
	CHECK_STR(m.method, "ping");
	CHECK_INT(
	    classify("{\"jsonrpc\":\"2.0\",\"id\":\"\",\"method\":\"ping\",\"params\":{}}", &m),
	    JSONRPC_REQUEST);
	CHECK(m.params != NULL);
	CHECK_INT(classify("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", &m),
	          JSONRPC_NOTIFICATION);
	CHECK_INT(classify("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}", &m), JSONRPC_RESPONSE);
	CHECK_INT(classify("{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":1}}", &m),
	          JSONRPC_RESPONSE);
	CHECK_INT(classify("{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{},\"error\":{}}", &m),
	          JSONRPC_INVALID);
}

TEST(ids_echoed_exactly)
{
	cJSON *id;

	id = cJSON_Parse("1000000000000000");
	CHECK_STR(result_of(id), "{\"jsonrpc\":\"2.0\",\"id\":1000000000000000,\"result\":{}}");
	cJSON_Delete(id);
	id = cJSON_Parse("-9007199254740991");
	CHECK_STR(id_of(id), "-9007199254740991");
	cJSON_Delete(id);
	id = cJSON_Parse("\"a\\u0000b\"");
	CHECK_STR(id_of(id), "\"a\"");
	cJSON_Delete(id);
	id = cJSON_Parse("\"q\\\"\\n\\u00e9\"");
	CHECK_STR(id_of(id), "\"q\\\"\\n\u00e9\"");
	CHECK_STR(result_of(id), "{\"jsonrpc\":\"2.0\",\"id\":\"q\\\"\\n\u00e9\",\"result\":{}}");
	cJSON_Delete(id);
	CHECK_STR(id_of(NULL), "null");
	CHECK_STR(result_of(NULL), "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{}}");
}

TEST(error_objects)
{
	cJSON *id = cJSON_CreateString("x");

	CHECK_STR(error_of(id, JSONRPC_METHOD_NOT_FOUND, "method not found", 0),
	          "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"error\":{\"code\":-32601,"
	          "\"message\":\"method not found\"}}");
	CHECK_STR(error_of(NULL, JSONRPC_PARSE_ERROR, "p \"q\"", 7),
	          "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
	          "\"message\":\"p \\\"q\\\"\",\"data\":{\"retryAfter\":7}}}");
	cJSON_Delete(id);
	taken(&(struct jsontext){0});
	classify("0", &(struct jsonrpc_msg){0});
}

/* Checks text (a C literal; its length excludes the final NUL unless n says otherwise). */
static bool
ok_text(const char *text, size_t n)
{
	return jsonrpc_text_acceptable(text, n);
}

TEST(text_acceptable)
{
#define OK(t)  CHECK(ok_text(t, sizeof(t) - 1))
#define BAD(t) CHECK(!ok_text(t, sizeof(t) - 1))
	OK("{\"a\":\"plain\"}");
	OK("{\n\t\"a\" : [1, 2]\r\n}");
	OK("{\"a\":\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}"); /* é € 😀 */
	OK("{\"a\":\"\\u0041 \\n \\\" q\"}");
	OK("{\"a\":\"\\\\u0000\"}"); /* an escaped backslash, then the text u0000 */
	BAD("{\"a\":\"\\u0000\"}");
	BAD("{\"a\":\"x\\u0000y\"}");
	BAD("{\"a\":\"tab\tinside\"}");
	BAD("{\"a\":\"line\nbreak\"}");
	BAD("{\"a\":\"ctl\x01\"}");
	BAD("{\"a\":\"\xc0\x80\"}");         /* overlong NUL */
	BAD("{\"a\":\"\xe0\x80\xaf\"}");     /* overlong '/' */
	BAD("{\"a\":\"\xed\xa0\x80\"}");     /* a surrogate */
	BAD("{\"a\":\"\xf4\x90\x80\x80\"}"); /* above U+10FFFF */
	BAD("{\"a\":\"\x80\x80\x80\"}");     /* lone continuation bytes */
	BAD("{\"a\":\"\xe2\x82\"}");         /* truncated sequence */
	BAD("{\"a\":\"\xff\"}");
	CHECK(!ok_text("{\"a\":\"x\0y\"}", 10)); /* a raw NUL */
	CHECK(!ok_text("{}\0", 3));
#undef OK
#undef BAD
}

/* Which messages of body have an id number that would not echo exactly ("01" = 2nd bad). */
static const char *
bad_ids(const char *body)
{
	static char flags[8];
	bool bad[6];

	jsonrpc_ids_check(body, strlen(body), bad, 6);
	for (size_t i = 0; i < 6; i++)
		flags[i] = bad[i] ? '1' : '0';
	flags[6] = '\0';
	return flags;
}

/* An id is echoed as written or refused: 1e2 would come back as 100, -0 as 0. */
TEST(id_texts)
{
	CHECK_STR(bad_ids("{\"jsonrpc\":\"2.0\",\"id\":100,\"method\":\"ping\"}"), "000000");
	CHECK_STR(bad_ids("{\"jsonrpc\":\"2.0\",\"id\":1e2,\"method\":\"ping\"}"), "100000");
	CHECK_STR(bad_ids("{\"id\" : -0 , \"method\":\"ping\"}"), "100000");
	CHECK_STR(bad_ids("{\"id\":1.0}"), "100000");
	CHECK_STR(bad_ids("{\"id\":-7}"), "000000");
	CHECK_STR(bad_ids("{\"id\":0}"), "000000");
	CHECK_STR(bad_ids("{\"id\":007}"), "100000");
	CHECK_STR(bad_ids("{\"id\":\"1e2\"}"), "000000"); /* a string is echoed as it is */
	/* Numbers elsewhere are the tools' business, "id" members of params too. */
	CHECK_STR(bad_ids("{\"id\":5,\"params\":{\"id\":1e2,\"limit\":1.5},\"x\":2e3}"), "000000");
	CHECK_STR(bad_ids("{\"method\":\"a\\\"id\",\"n\":1e2,\"id\":3}"), "000000");
	/* A member name spelt with escapes may mean "id": checked as one. */
	CHECK_STR(bad_ids("{\"\\u0069d\":1e2}"), "100000");
	/* In a batch, per element, whatever the elements are. */
	CHECK_STR(bad_ids("[{\"id\":1},true,{\"id\":1E2},\"x\",null,{\"id\":-0}]"), "001001");
	CHECK_STR(bad_ids("[ {\"id\":[1e2]}, {\"id\":{\"a\":1e2}}, 12.5, {\"id\":2} ]"), "000000");
}

TEST_MAIN(TEST_CASE(text_acceptable), TEST_CASE(invalid_envelopes), TEST_CASE(invalid_ids),
          TEST_CASE(kinds), TEST_CASE(ids_echoed_exactly), TEST_CASE(error_objects),
          TEST_CASE(id_texts))
