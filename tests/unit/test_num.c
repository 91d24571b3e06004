/* Unit tests for src/lib/core/num.h: the one bounded number parser. */
#include "test.h"

#include <stdint.h>

#include "lib/core/num.h"

TEST(numbers)
{
	int64_t v;
	uint64_t u;
	bool b;

	CHECK_INT(num_parse_i64("42", 0, 100, &v), 0);
	CHECK_INT(v, 42);
	CHECK_INT(num_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0);
	CHECK(v == INT64_MIN);
	CHECK_INT(num_parse_i64("9223372036854775808", INT64_MIN, INT64_MAX, &v), -1);
	CHECK_INT(num_parse_i64("101", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64(" 1", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64("1 ", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64("", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64("-", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64("+1", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64("0x10", 0, 100, &v), -1);
	CHECK_INT(num_parse_i64(NULL, 0, 100, &v), -1);
	CHECK_INT(num_parse_size("18446744073709551615", UINT64_MAX, &u), 0);
	CHECK_INT(num_parse_size("18446744073709551616", UINT64_MAX, &u), -1);
	CHECK_INT(num_parse_size("-1", UINT64_MAX, &u), -1);
	/* Limits below 9 must not wrap around. */
	CHECK_INT(num_parse_size("5", 0, &u), -1);
	CHECK_INT(num_parse_size("5", 4, &u), -1);
	CHECK_INT(num_parse_size("4", 4, &u), 0);
	CHECK_INT(num_parse_size("0", 0, &u), 0);
	CHECK_INT(num_parse_bool("Yes", &b), 0);
	CHECK(b);
	CHECK_INT(num_parse_bool("off", &b), 0);
	CHECK(!b);
	CHECK_INT(num_parse_bool("2", &b), -1);
}

TEST_MAIN(TEST_CASE(numbers))
