/*
 * test.h - a tiny unit test runner.
 *
 * Each test file defines test functions with TEST(name), lists them in
 * TEST_MAIN(...) and is linked into its own program.  Every CHECK that fails
 * prints what was wanted and where; the last line of output is exactly
 * "N passed, N failed" (one test counts once, however many checks it makes),
 * and the exit status is non-zero when any test failed.
 */
#ifndef TEST_H
#define TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_checks;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			test_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_INT(got, want)                                                                       \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		if (g_ != w_) {                                                                    \
			fprintf(stderr, "  %s:%d: %s == %lld, wanted %lld\n", __FILE__, __LINE__,  \
			        #got, g_, w_);                                                     \
			test_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_STR(got, want)                                                                       \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		if (g_ == NULL || w_ == NULL ? g_ != w_ : strcmp(g_, w_) != 0) {                   \
			fprintf(stderr, "  %s:%d: %s == \"%s\", wanted \"%s\"\n", __FILE__,        \
			        __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");           \
			test_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
	do {                                                                                       \
		const char *h_ = (hay), *n_ = (needle);                                            \
		if (h_ == NULL || strstr(h_, n_) == NULL) {                                        \
			fprintf(stderr, "  %s:%d: %s == \"%s\", wanted it to contain \"%s\"\n",    \
			        __FILE__, __LINE__, #hay, h_ ? h_ : "(null)", n_);                 \
			test_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

typedef void (*test_fn)(void);
struct test_case {
	const char *name;
	test_fn fn;
};

#define TEST_CASE(fn)                                                                              \
	{                                                                                          \
#fn, fn                                                                            \
	}

static inline int
test_run(const char *prog, const struct test_case *cases, size_t n)
{
	int passed = 0, failed = 0;

	for (size_t i = 0; i < n; i++) {
		int before = test_failed_checks;
		cases[i].fn();
		if (test_failed_checks == before) {
			passed++;
			printf("ok   %s\n", cases[i].name);
		} else {
			failed++;
			printf("FAIL %s\n", cases[i].name);
		}
		fflush(stdout);
	}
	printf("%s: %d passed, %d failed\n", prog, passed, failed);
	return failed ? 1 : 0;
}

#define TEST_MAIN(...)                                                                             \
	int main(void)                                                                             \
	{                                                                                          \
		static const struct test_case cases_[] = {__VA_ARGS__};                            \
		return test_run(__FILE__, cases_, sizeof(cases_) / sizeof(cases_[0]));             \
	}

#endif /* TEST_H */
