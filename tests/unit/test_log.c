/* Unit tests for src/lib/log.h: escaping and line format. */
#include "test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/core/log.h"

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
	/* Exactly two lines: the forged newline did not start a third. */
	int lines = 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	CHECK_INT(lines, 2);
}

TEST_MAIN(TEST_CASE(escape), TEST_CASE(levels), TEST_CASE(lines_go_to_the_file_escaped))
