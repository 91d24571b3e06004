/*
 * spawn_loop.c - runs a CGI program N times as a web server would (a fresh
 * process, the request in its environment, the body on stdin) and prints
 * the wall time per request in microseconds.  Every run must exit 0 and
 * print a "Status: 200" or no Status line at all; the first failure stops
 * the loop with exit status 1.
 *
 *   spawn_loop N ENVFILE BODYFILE PROGRAM
 *
 * ENVFILE holds one NAME=VALUE a line: the whole environment of the program.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ENV_MAX 128

static char *envv[ENV_MAX + 1];

static int
load_env(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	int n = 0;

	if (f == NULL)
		return -1;
	while (n < ENV_MAX && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strchr(line, '=') != NULL)
			envv[n++] = strdup(line);
	}
	fclose(f);
	envv[n] = NULL;
	return 0;
}

/* One run: 0 when the program exited 0 with a 200 answer. */
static int
run_once(const char *prog, const char *body, char *out, size_t cap)
{
	posix_spawn_file_actions_t fa;
	int res[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	char *argv[] = {(char *)prog, NULL};

	if (pipe(res) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, body, O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, res[1], STDOUT_FILENO);
	/* The audit and log lines: what a web server's error log would get. */
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclose(&fa, res[0]);
	if (posix_spawn(&pid, prog, &fa, NULL, argv, envv) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(res[1]);
	while (got + 1 < cap && (n = read(res[0], out + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(res[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return strncmp(out, "Status:", 7) != 0 || strncmp(out, "Status: 200", 11) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	static char out[65536];
	long n;

	if (argc != 5 || (n = strtol(argv[1], NULL, 10)) <= 0 || n > 100000) {
		fprintf(stderr, "usage: spawn_loop N ENVFILE BODYFILE PROGRAM\n");
		return 2;
	}
	if (load_env(argv[2]) != 0) {
		perror(argv[2]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		if (run_once(argv[4], argv[3], out, sizeof(out)) != 0) {
			fprintf(stderr, "spawn_loop: run %ld of %s failed:\n%.2000s\n", i + 1,
			        argv[4], out);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.1f\n",
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) /
	           (double)n);
	return 0;
}
