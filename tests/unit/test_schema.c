/* Unit tests for src/mcp/schema.h: argument validation against tool input schemas. */
#include "test.h"

#include "mcp/schema.h"

static struct err e;

/* Validates the JSON text value against the JSON text schema. */
static bool
valid(const char *schema, const char *value)
{
	cJSON *s = cJSON_Parse(schema), *v = cJSON_Parse(value);
	bool ok = schema_validate(s, v, &e);

	CHECK(ok ? e.code == ERR_OK && e.msg[0] == '\0' : e.code == ERR_INVALID);

	cJSON_Delete(s);
	cJSON_Delete(v);
	return ok;
}

static const char todo[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"title\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":5},"
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100},"
    "\"done\":{\"type\":\"boolean\"},"
    "\"tags\":{\"type\":\"array\",\"maxItems\":2,\"items\":{\"type\":\"string\"}},"
    "\"mode\":{\"enum\":[\"a\",\"b\"]},"
    "\"either\":{\"type\":[\"string\",\"null\"]}},"
    "\"required\":[\"title\"],\"additionalProperties\":false}";

TEST(rejects_wrong_shapes)
{
	CHECK(!valid(todo, "[]"));
	CHECK_STR(e.msg, "arguments: must be of type object");
	CHECK(!valid(todo, "{}"));
	CHECK_STR(e.msg, "title: is required");
	CHECK(!valid(todo, "{\"title\":1}"));
	CHECK_STR(e.msg, "title: must be of type string");
	CHECK(!valid(todo, "{\"title\":\"\"}"));
	CHECK(!valid(todo, "{\"title\":\"toolong\"}"));
	CHECK_STR(e.msg, "title: must be at most 5 characters");
	CHECK(!valid(todo, "{\"title\":\"x\",\"limit\":1.5}"));
	CHECK(!valid(todo, "{\"title\":\"x\",\"limit\":0}"));
	CHECK(!valid(todo, "{\"title\":\"x\",\"limit\":101}"));
	CHECK(!valid(todo, "{\"title\":\"x\",\"done\":\"yes\"}"));
	CHECK(!valid(todo, "{\"title\":\"x\",\"tags\":[\"a\",\"b\",\"c\"]}"));
	CHECK(!valid(todo, "{\"title\":\"x\",\"tags\":[1]}"));
	CHECK(!valid(todo, "{\"title\":\"x\",\"mode\":\"c\"}"));
	CHECK(!valid(todo, "{\"title\":\"x\",\"either\":1}"));
	CHECK(!valid(todo, "{\"title\":\"x\",\"evil\\u0001\":1}"));
	/* A client's member name is not echoed into the message. */
	CHECK(strstr(e.msg, "evil") == NULL);
}

TEST(accepts_conforming)
{
	CHECK(valid(todo, "{\"title\":\"x\"}"));
	/* Lengths count characters, not bytes: five two-byte letters fit maxLength 5. */
	CHECK(valid(todo, "{\"title\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}"));
	CHECK(valid(todo, "{\"title\":\"x\",\"limit\":100,\"done\":false,\"tags\":[\"a\"],"
	                  "\"mode\":\"b\",\"either\":null}"));
	CHECK(valid("{\"type\":\"object\"}", "{\"anything\":[1,2,{}]}"));
}

TEST(depth_is_bounded)
{
	char schema[4096] = "", value[4096] = "";

	for (int i = 0; i < 40; i++) {
		strcat(schema, "{\"type\":\"object\",\"properties\":{\"a\":");
		strcat(value, "{\"a\":");
	}
	strcat(schema, "{}");
	strcat(value, "1");
	for (int i = 0; i < 40; i++) {
		strcat(schema, "}}");
		strcat(value, "}");
	}
	CHECK(!valid(schema, value));
	CHECK_CONTAINS(e.msg, "nested too deeply");
}

TEST(object_schema_check)
{
	cJSON *s = cJSON_Parse("{\"type\":\"object\"}"), *t = cJSON_Parse("{\"type\":\"string\"}");

	CHECK(schema_is_object_schema(s));
	CHECK(!schema_is_object_schema(t));
	CHECK(!schema_is_object_schema(NULL));
	cJSON_Delete(s);
	cJSON_Delete(t);
}

TEST_MAIN(TEST_CASE(rejects_wrong_shapes), TEST_CASE(accepts_conforming),
          TEST_CASE(depth_is_bounded), TEST_CASE(object_schema_check))
