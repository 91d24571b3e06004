/*
 * num.c - bounded number parsing.
 */
#include "lib/core/num.h"

#include <stddef.h>
#include <strings.h>

/*
 * Accumulates decimal digits of s into *out without overflowing limit.
 * Returns 0, or -1 on a non-digit, an empty string or a value above limit.
 */
static int
parse_digits(const char *s, uint64_t limit, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (d > limit || v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
num_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	uint64_t mag;
	int64_t v;

	if (s == NULL || min > max)
		return -1;
	if (*s == '-') {
		/* The magnitude of INT64_MIN is INT64_MAX + 1. */
		if (parse_digits(s + 1, (uint64_t)INT64_MAX + 1, &mag) != 0)
			return -1;
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (parse_digits(s, (uint64_t)INT64_MAX, &mag) != 0)
			return -1;
		v = (int64_t)mag;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
num_parse_size(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (s == NULL || parse_digits(s, max, &v) != 0)
		return -1;
	*out = v;
	return 0;
}

int
num_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}
