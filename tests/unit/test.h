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
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int test_failed_checks;
static int test_checks; /* every check made, passed or not */

#define TEST(name) static void name(void)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		test_checks++;                                                                     \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			test_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_INT(got, want)                                                                       \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		test_checks++;                                                                     \
		if (g_ != w_) {                                                                    \
			fprintf(stderr, "  %s:%d: %s == %lld, wanted %lld\n", __FILE__, __LINE__,  \
			        #got, g_, w_);                                                     \
			test_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_STR(got, want)                                                                       \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		test_checks++;                                                                     \
		if (g_ == NULL || w_ == NULL ? g_ != w_ : strcmp(g_, w_) != 0) {                   \
			fprintf(stderr, "  %s:%d: %s == \"%s\", wanted \"%s\"\n", __FILE__,        \
			        __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");           \
			test_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
	do {                                                                                       \
		const char *h_ = (hay), *n_ = (needle);                                            \
		test_checks++;                                                                     \
		if (h_ == NULL || strstr(h_, n_) == NULL) {                                        \
			fprintf(stderr, "  %s:%d: %s == \"%s\", wanted it to contain \"%s\"\n",    \
			        __FILE__, __LINE__, #hay, h_ ? h_ : "(null)", n_);                 \
			test_failed_checks++;                                                      \
		}                                                                                  \
	} while (0)

/*
 * The struct err e has code want_code and, unless text is NULL, a message
 * that contains text.
 */
#define CHECK_ERR(e, want_code, text)                                                              \
	do {                                                                                       \
		const char *t_ = (text);                                                           \
		test_checks++;                                                                     \
		if ((e).code != (want_code) || (t_ != NULL && strstr((e).msg, t_) == NULL)) {      \
			fprintf(stderr,                                                            \
			        "  %s:%d: %s is code %d \"%s\", wanted code %d with \"%s\"\n",     \
			        __FILE__, __LINE__, #e, (int)(e).code, (e).msg, (int)(want_code),  \
			        t_ ? t_ : "");                                                     \
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

/*
 * Reads what a forked child writes to fd into out (size bytes with the
 * terminating NUL), closes fd, waits for pid and checks it exited with 0.
 * Returns out.
 */
static inline const char *
test_child_output(int fd, pid_t pid, char *out, size_t size)
{
	size_t got = 0;
	ssize_t n;
	int status;

	while (got + 1 < size && (n = read(fd, out + got, size - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return out;
}

/* True when name was asked for with -t (or nothing was: every test runs). */
static inline int
test_selected(int argc, char **argv, const char *name)
{
	int any = 0;

	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "-t") == 0) {
			any = 1;
			if (strcmp(argv[++i], name) == 0)
				return 1;
		}
	}
	return !any;
}

/*
 * Runs the selected cases.  setup (may be NULL) runs once before them and
 * cleanup (may be NULL) once after; neither is a test and neither counts.
 * A setup that returns non-zero fails every selected case.  A case that
 * made no check at all fails: a test that asserts nothing is not a test.
 * "-t NAME" (repeatable) runs only the named cases, so any one can be run
 * alone; an unknown name is an error.
 */
static inline int
test_run(int argc, char **argv, const char *prog, int (*setup)(void), void (*cleanup)(void),
         const struct test_case *cases, size_t n)
{
	int passed = 0, failed = 0, selected = 0, ready;

	for (int i = 1; i < argc; i++) {
		int known = 0;
		if (strcmp(argv[i], "-t") != 0 || i + 1 == argc) {
			fprintf(stderr, "usage: %s [-t NAME]...\n", argv[0]);
			return 2;
		}
		for (size_t j = 0; j < n; j++)
			known |= strcmp(cases[j].name, argv[i + 1]) == 0;
		if (!known) {
			fprintf(stderr, "%s: no test named %s\n", argv[0], argv[i + 1]);
			return 2;
		}
		i++;
	}
	ready = setup == NULL || setup() == 0;
	if (!ready)
		printf("setup failed: every selected test fails\n");
	for (size_t i = 0; i < n; i++) {
		int before = test_failed_checks, checks = test_checks;
		if (!test_selected(argc, argv, cases[i].name))
			continue;
		selected++;
		if (ready)
			cases[i].fn();
		if (ready && test_checks == checks) {
			fprintf(stderr, "  %s made no check\n", cases[i].name);
			test_failed_checks++;
		}
		if (ready && test_failed_checks == before) {
			passed++;
			printf("ok   %s\n", cases[i].name);
		} else {
			failed++;
			printf("FAIL %s\n", cases[i].name);
		}
		fflush(stdout);
	}
	if (cleanup != NULL)
		cleanup();
	printf("%s: %d passed, %d failed\n", prog, passed, failed);
	return failed || selected == 0 ? 1 : 0;
}

/* main() running every TEST_CASE listed. */
#define TEST_MAIN(...) TEST_MAIN_FIXTURE(NULL, NULL, __VA_ARGS__)

/* main() with a set-up run once before the cases and a clean-up after them. */
#define TEST_MAIN_FIXTURE(setup, cleanup, ...)                                                     \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		static const struct test_case cases_[] = {__VA_ARGS__};                            \
		return test_run(argc, argv, __FILE__, setup, cleanup, cases_,                      \
		                sizeof(cases_) / sizeof(cases_[0]));                               \
	}

#endif /* TEST_H */
