/* Unit tests for src/lib/core/util.h and err.h: the helpers written once. */
#include "test.h"

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "lib/core/err.h"
#include "lib/core/util.h"

#include <cJSON.h>

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

TEST(strings_and_memory)
{
	char *s = xstrndup("abcdef", 3);

	CHECK_STR(s, "abc");
	free(s);
	CHECK(xstrdup_opt(NULL) == NULL);
	s = xstrdup_opt("x");
	CHECK_STR(s, "x");
	free(s);
	/* Zero sizes still give a pointer the caller may free. */
	s = xmalloc(0);
	CHECK(s != NULL);
	s = xrealloc(s, 0);
	CHECK(s != NULL);
	free(s);
	s = xcalloc(0, 8);
	CHECK(s != NULL);
	free(s);
}

TEST(write_all_and_random_hex)
{
	char path[] = "/tmp/mcp-util-XXXXXX", buf[64] = "", a[33], b[33], big[200];
	int fd = mkstemp(path);
	ssize_t n;

	CHECK(fd >= 0);
	CHECK_INT(util_write_all(fd, "hello", 5), 0);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK_INT(n, 5);
	close(fd);
	unlink(path);
	CHECK_INT(util_write_all(-1, "x", 1), -1);
	CHECK_INT(util_random_hex(a, 16), 0);
	CHECK_INT(util_random_hex(b, 16), 0);
	CHECK_INT(strlen(a), 32);
	CHECK_INT(strspn(a, "0123456789abcdef"), 32);
	CHECK(strcmp(a, b) != 0);
	/* More than the helper draws at once is refused, leaving an empty string. */
	CHECK_INT(util_random_hex(big, 99), -1);
	CHECK_STR(big, "");
}

TEST(utf8)
{
	CHECK_INT(utf8_chars("abc"), 3);
	CHECK_INT(utf8_chars("\xc3\xa9t\xc3\xa9"), 3); /* été */
	CHECK_INT(utf8_chars("\xf0\x9f\x98\x80"), 1);  /* one emoji, four bytes */
	CHECK_INT(utf8_chars(""), 0);
	CHECK_INT(utf8_chars(NULL), 0);
	/* Cutting "aé" (3 bytes) at 2 would split é: the cut moves back to 1. */
	CHECK_INT(utf8_cut("a\xc3\xa9", 3, 2), 1);
	CHECK_INT(utf8_cut("a\xc3\xa9", 3, 3), 3);
	CHECK_INT(utf8_cut("abc", 3, 2), 2);
	CHECK_INT(utf8_cut("\xc3\xa9", 2, 1), 0);
	/* Well-formed sequences only (RFC 3629): no overlong, surrogate or > U+10FFFF. */
	CHECK_INT(utf8_seq("a", 1), 1);
	CHECK_INT(utf8_seq("\xc3\xa9", 2), 2);
	CHECK_INT(utf8_seq("\xc3\xa9", 1), 0);
	CHECK_INT(utf8_seq("\xe2\x82\xac", 3), 3);
	CHECK_INT(utf8_seq("\xf0\x9f\x98\x80", 4), 4);
	CHECK_INT(utf8_seq("\xc0\xaf", 2), 0);
	CHECK_INT(utf8_seq("\xe0\x80\xaf", 3), 0);
	CHECK_INT(utf8_seq("\xed\xa0\x80", 3), 0);
	CHECK_INT(utf8_seq("\xf4\x90\x80\x80", 4), 0);
	CHECK_INT(utf8_seq("\x80", 1), 0);
}

TEST(utf8_cleaning)
{
	char out[16], *d;

	utf8_copy(out, sizeof(out), "caf\xc3\xa9");
	CHECK_STR(out, "caf\xc3\xa9");
	utf8_copy(out, sizeof(out),
	          "a\xff"
	          "b");
	CHECK_STR(out, "a\xef\xbf\xbd"
	               "b");
	/* Cut to fit at a character boundary: "ab" and not half of é. */
	utf8_copy(out, 4, "ab\xc3\xa9");
	CHECK_STR(out, "ab");
	utf8_copy(out, sizeof(out), NULL);
	CHECK_STR(out, "");
	d = utf8_dup("\xff\xfe");
	CHECK_STR(d, "\xef\xbf\xbd\xef\xbf\xbd");
	free(d);
}

TEST(url_checks)
{
	struct err e;

	CHECK_INT(url_check("https://as.example/keys", 0, &e), 0);
	CHECK_INT(url_check("HTTPS://as.example", 0, &e), 0);
	CHECK_INT(url_check("http://127.0.0.1:8080/x", URL_HTTP_OK, &e), 0);
	CHECK_INT(url_check("http://127.0.0.1:8080/x", 0, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "plain http is not allowed");
	CHECK_INT(url_check("ftp://as.example", URL_HTTP_OK, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "not an absolute https:// URL");
	CHECK_INT(url_check("https://", 0, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "no host");
	CHECK_INT(url_check("https:///path", 0, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "no host");
	CHECK_INT(url_check("https://a b", 0, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "contains a space");
	CHECK_INT(url_check("https://a/\"x", 0, &e), -1);
	CHECK_INT(url_check("https://a/\\x", 0, &e), -1);
	CHECK_INT(url_check("https://a/x#frag", 0, &e), -1);
	CHECK_INT(url_check("https://a/\x7f", 0, &e), -1);
	CHECK_INT(url_check("https://a/x\n", 0, &e), -1);
	CHECK_INT(url_check("https://a/?q=1", 0, &e), 0);
	CHECK_INT(url_check("https://a/?q=1", URL_NO_QUERY, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "has a query");
	CHECK_INT(url_check("", 0, &e), -1);
	CHECK_INT(url_check(NULL, 0, NULL), -1);
	{
		char long_url[URL_MAX + 2];
		memset(long_url, 'a', sizeof(long_url) - 1);
		long_url[sizeof(long_url) - 1] = '\0';
		memcpy(long_url, "https://", 8);
		CHECK_INT(url_check(long_url, 0, &e), -1);
		CHECK_ERR(e, ERR_INVALID, "longer than 2048 bytes");
		long_url[URL_MAX] = '\0';
		CHECK_INT(url_check(long_url, 0, &e), 0);
	}
}

TEST(time_windows)
{
	CHECK(time_within(100, 95, 10));
	CHECK(!time_within(100, 90, 10));  /* exactly span ago: outside */
	CHECK(!time_within(100, 0, 10));   /* never happened */
	CHECK(!time_within(100, 101, 10)); /* in the future: not "recent" */
}

TEST(errors)
{
	struct err e;
	char long_text[ERR_MSG_MAX * 2];

	CHECK_INT(err_set(&e, ERR_LIMIT, "%d left", 0), -1);
	CHECK_ERR(e, ERR_LIMIT, "0 left");
	CHECK_INT(err_prefix(&e, "VAR"), -1);
	CHECK_STR(e.msg, "VAR: 0 left");
	CHECK_INT(e.code, ERR_LIMIT);
	err_clear(&e);
	CHECK_ERR(e, ERR_OK, NULL);
	CHECK_STR(e.msg, "");
	/* NULL is accepted everywhere: a caller that does not care passes none. */
	CHECK_INT(err_set(NULL, ERR_SYSTEM, "x"), -1);
	CHECK_INT(err_prefix(NULL, "x"), -1);
	err_clear(NULL);
	/* Over-long texts are cut, the context kept, the buffer never overrun. */
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	err_set(&e, ERR_INVALID, "%s", long_text);
	CHECK_INT(strlen(e.msg), ERR_MSG_MAX - 1);
	err_prefix(&e, "CONTEXT");
	CHECK_INT(strncmp(e.msg, "CONTEXT: xxx", 12), 0);
	CHECK_INT(strlen(e.msg), ERR_MSG_MAX - 1);
}

/*
 * cJSON documents parsed in the arena read back whole and are deleted
 * without a free of their blocks; one that outgrows it continues on the
 * heap; outside begin/end cJSON allocates from the heap as before.
 */
TEST(json_arena)
{
	static char big[100000];
	cJSON *a, *b, *heap;
	size_t n = 0;

	util_init();
	json_arena_begin();
	a = cJSON_Parse("{\"name\":\"Ada\",\"list\":[1,2,3]}");
	json_arena_end();
	heap = cJSON_Parse("{\"kept\":true}");
	CHECK_STR(cJSON_GetObjectItem(a, "name")->valuestring, "Ada");
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(a, "list")), 3);
	cJSON_Delete(a);

	n += (size_t)snprintf(big + n, sizeof(big) - n, "[");
	for (int i = 0; i < 5000; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"s%d\"", i > 0 ? "," : "", i);
	snprintf(big + n, sizeof(big) - n, "]");
	json_arena_begin();
	b = cJSON_Parse(big);
	json_arena_end();
	CHECK_INT(cJSON_GetArraySize(b), 5000);
	CHECK_STR(cJSON_GetArrayItem(b, 4999)->valuestring, "s4999");
	cJSON_Delete(b);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(heap, "kept")));
	cJSON_Delete(heap);
}

TEST_MAIN(TEST_CASE(strlists), TEST_CASE(strings_and_memory), TEST_CASE(write_all_and_random_hex),
          TEST_CASE(utf8), TEST_CASE(utf8_cleaning), TEST_CASE(url_checks), TEST_CASE(time_windows),
          TEST_CASE(errors), TEST_CASE(json_arena))
