/*
 * fuzz.h - what every libFuzzer harness of tests/fuzz shares: the entry
 * points, the one-time set-up (cJSON's allocator, libcrypto, logs
 * silenced) followed by the harness's own harness_init(), a private
 * temporary directory removed at exit, and a NUL-terminated copy of the
 * input.
 *
 * Header-only (static inline: a harness uses what it needs of it).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The harness's own set-up, once, after fuzz_setup(); defined by each harness. */
static void harness_init(void);

static char fuzz_dir[256];

/* Removes the temporary directory at exit (a crash leaves it: its name says whose). */
static inline void
fuzz_dir_remove(void)
{
	char cmd[300];

	if (fuzz_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", fuzz_dir);
}

/*
 * What the programs do at start-up, and logs to /dev/null: a parser's
 * refusals are logged at warn level, and a million of them would bury the
 * fuzzer's own report.
 */
static inline void
fuzz_setup(void)
{
	util_init();
	token_lib_init();
	if (log_open("/dev/null") != 0)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	harness_init();
	return 0;
}

/*
 * A private directory for state files, made once: on /dev/shm when there is
 * one (the harnesses write a file per input; a disk would make that the
 * cost of every execution), else under TMPDIR.  Aborts when it cannot.
 */
static inline const char *
fuzz_tmpdir(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

	if (fuzz_dir[0] != '\0')
		return fuzz_dir;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/mcp-fuzz.XXXXXX", base != NULL ? base : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL) {
		perror(fuzz_dir);
		abort();
	}
	atexit(fuzz_dir_remove);
	return fuzz_dir;
}

/* A NUL-terminated copy of size bytes of data (free()). */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Replaces the file at path with size bytes of data; aborts when it cannot. */
static inline void
fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0 || util_write_all(fd, data, size) != 0 || close(fd) != 0) {
		perror(path);
		abort();
	}
}

#endif /* FUZZ_H */
