/*
 * num.h - the one bounded parser for numbers that come from outside
 * (Content-Length, configuration, claims given as text).
 */
#ifndef NUM_H
#define NUM_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Parses s as a decimal integer in [min, max]: optional leading '-', digits
 * only, no spaces, no trailing characters, no overflow.  Returns 0 and sets
 * *out, or -1 (out untouched) when s is NULL, empty or not such a number.
 */
int num_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Like num_parse_i64 for sizes: digits only, in [0, max]. */
int num_parse_size(const char *s, uint64_t max, uint64_t *out);

/* Parses "1"/"true"/"yes"/"on" and "0"/"false"/"no"/"off" (any case). */
int num_parse_bool(const char *s, bool *out);

#endif /* NUM_H */
