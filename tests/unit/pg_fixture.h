/*
 * pg_fixture.h - a real PostgreSQL 15 server for a C unit test program:
 * pg_fixture_start() starts one (tests/pg/pgserver.sh: initdb into a
 * temporary directory, 127.0.0.1 and a free port) and fills pg_url (with
 * ?connect_timeout=10: valgrind and sanitizer builds on a loaded machine
 * connect slowly) and pg_password; pg_fixture_stop() stops it by its pid
 * and removes the directory.  Without PostgreSQL installed the start
 * fails with the reason: the program's cases fail, none is skipped.
 *
 * Header-only (static), after test.h.
 */
#ifndef PG_FIXTURE_H
#define PG_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PGSERVER "tests/pg/pgserver.sh"

static char pg_dir[] = "/tmp/mcp-pgunit-XXXXXX";
static char pg_url[256];
static char pg_password[64];

/* The first line a shell command prints, into out; 0 when it exited 0. */
__attribute__((format(printf, 3, 4))) static int
sh(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024], line[512] = "";
	va_list ap;
	FILE *f;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) != NULL)
		line[strcspn(line, "\n")] = '\0';
	while (fgetc(f) != EOF)
		;
	status = pclose(f);
	if (out != NULL)
		snprintf(out, len, "%s", line);
	return status == 0 ? 0 : -1;
}

/* An integer a query in database mcp answers, or -1. */
static long
query_long(const char *sql)
{
	char out[64];

	if (sh(out, sizeof(out), PGSERVER " psql %s \"%s\"", pg_dir, sql) != 0 || out[0] == '\0')
		return -1;
	return strtol(out, NULL, 10);
}

/* 0, or -1 with the reason on stderr. */
static int
pg_fixture_start(void)
{
	const char *at;

	if (mkdtemp(pg_dir) == NULL ||
	    sh(pg_url, sizeof(pg_url), PGSERVER " start %s", pg_dir) != 0) {
		fprintf(stderr, "PostgreSQL did not start (see %s/log)\n", pg_dir);
		return -1;
	}
	/* postgresql://mcp:<password>@... */
	at = strchr(pg_url + strlen("postgresql://mcp:"), '@');
	if (at == NULL)
		return -1;
	snprintf(pg_password, sizeof(pg_password), "%.*s", (int)(at - pg_url) - 17, pg_url + 17);
	strncat(pg_url, "?connect_timeout=10", sizeof(pg_url) - strlen(pg_url) - 1);
	return 0;
}

/*
 * Runs fn(i) in procs child processes at once (i from 0), each on its own
 * connections; the sum of what they return.  procs <= 16.
 */
static int
forked_sum(int procs, int (*fn)(int))
{
	int fds[16][2], status, sum = 0;

	for (int p = 0; p < procs && p < 16; p++) {
		if (pipe(fds[p]) != 0)
			return -1;
		if (fork() == 0) {
			int n = fn(p);
			(void)!write(fds[p][1], &n, sizeof(n));
			_exit(0);
		}
		close(fds[p][1]);
	}
	for (int p = 0; p < procs && p < 16; p++) {
		int n = 0;
		if (read(fds[p][0], &n, sizeof(n)) == (ssize_t)sizeof(n))
			sum += n;
		close(fds[p][0]);
		wait(&status);
	}
	return sum;
}

static void
pg_fixture_stop(void)
{
	sh(NULL, 0, PGSERVER " stop %s", pg_dir);
	sh(NULL, 0, "rm -rf %s", pg_dir);
}

#endif /* PG_FIXTURE_H */
