/* Unit tests for src/mcp/jsontext.h: the text is what cJSON prints, byte for byte. */
#include "test.h"

#include <cJSON.h>
#include <stdint.h>

#include "lib/core/util.h"
#include "mcp/jsontext.h"

/* Every byte value, well-formed sequences of two to four bytes, and broken ones. */
static void
hostile(char *buf, size_t cap)
{
	static const char tail[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x82\xc3\xed\xa0\x80"
	                           "\xf4\x90\xc0\xaf\xf8";
	size_t n = 0;

	for (int c = 1; c < 256 && n + 1 < cap; c++)
		buf[n++] = (char)c;
	snprintf(buf + n, cap - n, "%s", tail);
}

/* Compares t's text with what cJSON prints for want, then frees both. */
static void
check_same(struct jsontext *t, cJSON *want)
{
	char *got = jsontext_take(t), *printed = cJSON_PrintUnformatted(want);

	CHECK_STR(got, printed);
	free(got);
	free(printed);
	cJSON_Delete(want);
}

TEST(strings_as_cjson_prints_them_cleaned)
{
	char raw[512], *clean;
	struct jsontext t;
	cJSON *want = cJSON_CreateObject();

	hostile(raw, sizeof(raw));
	clean = utf8_dup(raw);
	cJSON_AddStringToObject(want, "s", clean);
	cJSON_AddStringToObject(want, "empty", "");
	jsontext_init(&t, 1);
	jsontext_open(&t, '{');
	jsontext_member_string(&t, "s", raw);
	jsontext_member_string(&t, "empty", NULL);
	jsontext_close(&t, '}');
	check_same(&t, want);
	free(clean);
}

/*
 * Strings are copied eight plain bytes at a time: special bytes at every
 * offset of a word, and in every length, come out as cJSON prints them.
 */
TEST(special_bytes_at_every_offset)
{
	static const char pieces[][4] = {"a",    "~", "\"",   "\\",       "\n",           "\x01",
	                                 "\x1f", " ", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xc3",
	                                 "\xff"};
	const size_t n_pieces = sizeof(pieces) / sizeof(pieces[0]);
	uint32_t seed = 12345;

	for (int round = 0; round < 300; round++) {
		char raw[160] = "", *clean;
		size_t len = 0, want_len = (size_t)(round % 40) * 3;
		struct jsontext t;
		cJSON *want = cJSON_CreateObject();

		while (len < want_len) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly plain runs, so that whole words are copied in between. */
			const char *p =
			    (seed >> 16) % 3 != 0 ? "plain_ab" : pieces[(seed >> 8) % n_pieces];
			len += (size_t)snprintf(raw + len, sizeof(raw) - len, "%s", p);
		}
		clean = utf8_dup(raw);
		cJSON_AddStringToObject(want, "s", clean);
		jsontext_init(&t, 1);
		jsontext_open(&t, '{');
		jsontext_member_string(&t, "s", raw);
		jsontext_close(&t, '}');
		check_same(&t, want);
		free(clean);
	}
}

TEST(nesting_numbers_and_literals)
{
	static const int64_t nums[] = {0, 1, -1, 9, 10, 1700000000, INT32_MIN, 4294967296LL};
	struct jsontext t;
	cJSON *want = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(want, "a"), *o;

	jsontext_init(&t, 8);
	jsontext_open(&t, '{');
	jsontext_name(&t, "a");
	jsontext_open(&t, '[');
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)nums[i]));
		jsontext_elem(&t);
		jsontext_int(&t, nums[i]);
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToArray(arr, o);
	cJSON_AddTrueToObject(o, "t");
	cJSON_AddFalseToObject(o, "f");
	cJSON_AddItemToObject(o, "e", cJSON_CreateArray());
	jsontext_elem(&t);
	jsontext_open(&t, '{');
	jsontext_member_bool(&t, "t", true);
	jsontext_member_bool(&t, "f", false);
	jsontext_name(&t, "e");
	jsontext_open(&t, '[');
	jsontext_close(&t, ']');
	jsontext_close(&t, '}');
	jsontext_close(&t, ']');
	cJSON_AddNullToObject(want, "n");
	jsontext_name(&t, "n");
	jsontext_raw(&t, "null", 4);
	jsontext_close(&t, '}');
	check_same(&t, want);
}

/* The extremes cJSON cannot print exactly as a double: checked as text. */
TEST(int64_extremes)
{
	struct jsontext t;
	char *got;

	jsontext_init(&t, 4);
	jsontext_int(&t, INT64_MIN);
	jsontext_raw(&t, " ", 1);
	jsontext_int(&t, INT64_MAX);
	got = jsontext_take(&t);
	CHECK_STR(got, "-9223372036854775808 9223372036854775807");
	free(got);
}

/* Every digit count, both signs, at each power of ten and beside it: as printf writes them. */
TEST(ints_as_printf_writes_them)
{
	struct jsontext t;
	char want[32];
	int64_t p = 1;

	for (int k = 0; k < 19; k++) {
		const int64_t around[] = {p - 1, p, p + 1, 7 * p, -p, -(p - 1), -(9 * p + 1)};
		for (size_t i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
			char *got;

			jsontext_init(&t, 2);
			jsontext_int(&t, around[i]);
			got = jsontext_take(&t);
			snprintf(want, sizeof(want), "%lld", (long long)around[i]);
			CHECK_STR(got, want);
			free(got);
		}
		if (k < 18) /* 10^18 is the last power of ten an int64_t holds */
			p *= 10;
	}
}

/* Checks that a pair's escaped text is its document's text escaped as a string's body. */
static void
check_pair(struct jsontext_pair *p)
{
	struct jsontext want;

	jsontext_init(&want, 16);
	jsontext_string(&want, p->doc.p);
	/* jsontext_string() wrote the quotes around the body. */
	CHECK_INT(p->str.n, want.n - 2);
	CHECK(strncmp(p->str.p, want.p + 1, want.n - 2) == 0);
	free(jsontext_take(&want));
}

/*
 * A pair's document is what jsontext writes alone, and its escaped text is
 * that document escaped once more: for values with nothing to escape (the
 * copied path), with quotes, backslashes and controls, and with bytes that
 * are not UTF-8; a name; an integer; a literal given with its escape.
 */
TEST(pairs_write_the_document_and_its_escape)
{
	char raw[512];
	static const char *const values[] = {"",
	                                     "plain",
	                                     "9bb3abf28f4e508d06d347c48c77e30d",
	                                     "a\"b",
	                                     "back\\slash",
	                                     "\"",
	                                     "line\nbreak\x01",
	                                     "caf\xc3\xa9",
	                                     "broken\xc3",
	                                     "\xff",
	                                     "\\\"\\\"",
	                                     NULL};
	struct jsontext_pair p;
	struct jsontext alone;

	hostile(raw, sizeof(raw));
	jsontext_pair_init(&p, 1);
	jsontext_init(&alone, 1);
	jsontext_pair_open(&p, '{');
	jsontext_open(&alone, '{');
	jsontext_pair_name(&p, "todos");
	jsontext_name(&alone, "todos");
	jsontext_pair_open(&p, '[');
	jsontext_open(&alone, '[');
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		jsontext_pair_elem(&p);
		jsontext_elem(&alone);
		jsontext_pair_string(&p, values[i]);
		jsontext_string(&alone, values[i]);
	}
	jsontext_pair_elem(&p);
	jsontext_elem(&alone);
	jsontext_pair_string(&p, raw);
	jsontext_string(&alone, raw);
	jsontext_pair_elem(&p);
	jsontext_elem(&alone);
	jsontext_pair_int(&p, INT64_MIN);
	jsontext_int(&alone, INT64_MIN);
	jsontext_pair_close(&p, ']');
	jsontext_close(&alone, ']');
	JSONTEXT_PAIR_LIT(&p, ",\"k\":{\"v\":\"\\\\\"}", ",\\\"k\\\":{\\\"v\\\":\\\"\\\\\\\\\\\"}");
	jsontext_raw(&alone, ",\"k\":{\"v\":\"\\\\\"}", sizeof(",\"k\":{\"v\":\"\\\\\"}") - 1);
	jsontext_pair_close(&p, '}');
	jsontext_close(&alone, '}');
	CHECK_STR(p.doc.p, alone.p);
	check_pair(&p);
	/* The document is JSON, and the escaped text a string's body that reads back as it. */
	{
		cJSON *doc = cJSON_Parse(p.doc.p), *str;
		char *quoted = xmalloc(p.str.n + 3);

		CHECK(doc != NULL);
		snprintf(quoted, p.str.n + 3, "\"%s\"", p.str.p);
		str = cJSON_Parse(quoted);
		CHECK(cJSON_IsString(str));
		CHECK(cJSON_IsString(str) && strcmp(str->valuestring, p.doc.p) == 0);
		cJSON_Delete(doc);
		cJSON_Delete(str);
		free(quoted);
	}
	jsontext_pair_free(&p);
	CHECK(p.doc.p == NULL && p.str.p == NULL);
	free(jsontext_take(&alone));
}

TEST_MAIN(TEST_CASE(strings_as_cjson_prints_them_cleaned), TEST_CASE(special_bytes_at_every_offset),
          TEST_CASE(nesting_numbers_and_literals), TEST_CASE(int64_extremes),
          TEST_CASE(ints_as_printf_writes_them), TEST_CASE(pairs_write_the_document_and_its_escape))
