/* Unit tests for src/lib/log.h: escaping and line format. */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "lib/core/log.h"

#include "json_lines.h"

TEST(escape)
{
	char out[64];

	log_escape(out, sizeof(out), "a\"b\\c\n\x01\x7f");
	CHECK_STR(out, "a\\\"b\\\\c\\u000a\\u0001\\u007f");
	/* Truncation never splits an escape sequence. */
	log_escape(out, 8, "abcde\n");
	CHECK_STR(out, "abcde");
	CHECK_INT(log_escape(out, sizeof(out), NULL), 0);
	CHECK_STR(out, "");
	/* UTF-8 passes; bytes that are not UTF-8 become \ufffd; a cut never splits é. */
	log_escape(out, sizeof(out), "\xc3\xa9t\xc3\xa9");
	CHECK_STR(out, "\xc3\xa9t\xc3\xa9");
	log_escape(out, sizeof(out),
	           "a\xc3(\x80\xff\xed\xa0\x80"
	           "b");
	CHECK_STR(out, "a\\ufffd(\\ufffd\\ufffd\\ufffd\\ufffd\\ufffdb");
	log_escape(out, 3, "a\xc3\xa9");
	CHECK_STR(out, "a");
}

TEST(levels)
{
	enum log_level l;

	CHECK_INT(log_level_parse("WARNING", &l), 0);
	CHECK_INT(l, LOGL_WARN);
	CHECK_INT(log_level_parse("emergency", &l), 0);
	CHECK_INT(l, LOGL_ERROR);
	CHECK_INT(log_level_parse("verbose", &l), -1);
	CHECK_INT(log_level_parse(NULL, &l), -1);
}

TEST(lines_go_to_the_file_escaped)
{
	char path[] = "/tmp/mcp-log-XXXXXX", buf[4096] = "";
	int fd = mkstemp(path);
	ssize_t n;

	close(fd);
	CHECK_INT(log_open(path), 0);
	log_set_level(LOGL_INFO);
	log_msg(LOGL_DEBUG, "hidden");
	log_msg(LOGL_WARN, "kid %s left out", "evil\n{\"forged\":1}");
	log_json_line("{\"a\":1}");
	/* Bytes from outside that are not UTF-8, and a message cut inside a character. */
	{
		char longmsg[1100];
		memset(longmsg, 'x', sizeof(longmsg));
		memcpy(longmsg + 1010, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		       14);
		longmsg[sizeof(longmsg) - 1] = '\0';
		log_msg(LOGL_WARN, "method %s", "caf\xe9 \xc3\x28");
		log_msg(LOGL_WARN, "%s", longmsg + 3);
	}
	CHECK_INT(log_open(NULL), 0);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(path);
	CHECK(n > 0);
	CHECK(strstr(buf, "hidden") == NULL);
	CHECK_CONTAINS(buf, "\"level\":\"warn\"");
	CHECK_CONTAINS(buf, "kid evil\\u000a{\\\"forged\\\":1} left out");
	CHECK_CONTAINS(buf, "}\n{\"a\":1}\n");
	CHECK_CONTAINS(buf, "method caf\\ufffd \\ufffd(");
	/* Four lines: the forged newline did not start a fifth; each is UTF-8 JSON. */
	int lines = 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	CHECK_INT(lines, 4);
	CHECK_INT(json_lines_bad(buf), 0);
}

/* The date arithmetic agrees with the C library's gmtime_r, leap days and centuries included. */
TEST(time_format_matches_gmtime)
{
	static const int64_t fixed[] = {0,          59,          86399,      86400,
	                                951782400,  951868800,   4107456000, 4102444799,
	                                1798676516, 253402300799};
	char got[LOG_TIME_LEN], want[96];
	struct tm tm;
	time_t t;

	log_time_format(got, 1798676516, 851);
	CHECK_STR(got, "2026-12-31T00:21:56.851Z");
	log_time_format(got, 951782400, 0); /* 2000-02-29: a leap day of a 400-year century */
	CHECK_STR(got, "2000-02-29T00:00:00.000Z");
	for (int i = 0; i < 2000 + (int)(sizeof(fixed) / sizeof(fixed[0])); i++) {
		/* The fixed edges, then a day and a bit apart over 2.5 centuries from 1970. */
		t = i < (int)(sizeof(fixed) / sizeof(fixed[0]))
		        ? (time_t)fixed[i]
		        : (time_t)(i - 10) * (86400 * 45 + 3601);
		gmtime_r(&t, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.007Z",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		         tm.tm_sec);
		log_time_format(got, (int64_t)t, 7);
		CHECK_STR(got, want);
	}
	log_time(got);
	CHECK_INT((int)strlen(got), 24);
	CHECK(got[23] == 'Z' && got[10] == 'T');
}

TEST_MAIN(TEST_CASE(escape), TEST_CASE(levels), TEST_CASE(lines_go_to_the_file_escaped),
          TEST_CASE(time_format_matches_gmtime))
