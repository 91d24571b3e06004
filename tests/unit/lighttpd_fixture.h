/*
 * lighttpd_fixture.h - a real lighttpd on 127.0.0.1 for unit tests that
 * fetch over HTTP (fetch, jwks_cache).
 *
 * Everything lives under one mkdtemp directory: the document root, the
 * configuration, the access log (so tests can count requests) and the error
 * log.  The server runs in the foreground (-D) as our child, is waited for
 * on its port while its pid lives, dies with us (PR_SET_PDEATHSIG) and is
 * stopped by pid.  Header-only: every function is static inline so a test
 * program uses what it needs.  LIGHTTPD in the environment overrides
 * /usr/sbin/lighttpd.
 */
#ifndef LIGHTTPD_FIXTURE_H
#define LIGHTTPD_FIXTURE_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FIXTURE_PATH_MAX 512
#define FIXTURE_LIGHTTPD "/usr/sbin/lighttpd"

struct lighttpd_fixture {
	char dir[64];                   /* the mkdtemp root */
	char docroot[FIXTURE_PATH_MAX]; /* <dir>/www */
	char conf[FIXTURE_PATH_MAX];
	char access_log[FIXTURE_PATH_MAX];
	char error_log[FIXTURE_PATH_MAX];
	char base[64]; /* "http://127.0.0.1:<port>" */
	pid_t pid;     /* -1 when not running */
	int port;      /* kept across stop/start */
	unsigned sync_seq;
};

/* Sleeps ms milliseconds. */
static inline void
fixture_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Removes path and everything under it (no symbolic link is followed). */
static inline void
fixture_rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char sub[FIXTURE_PATH_MAX * 2 + 256];

			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >=
			    (int)sizeof(sub))
				continue;
			fixture_rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
		return;
	}
	unlink(path);
}

/* Creates every missing directory of path's parent (mkdir -p of dirname). */
static inline void
fixture_mkdir_parents(const char *path)
{
	char buf[FIXTURE_PATH_MAX * 2];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
}

/* Writes data to path through a temporary file and rename.  Returns 0 or -1. */
static inline int
fixture_write(const char *path, const void *data, size_t len)
{
	char tmp[FIXTURE_PATH_MAX * 2 + 8];
	FILE *f;
	int rc = 0;

	fixture_mkdir_parents(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "wb")) == NULL)
		return -1;
	if (len > 0 && fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/*
 * Reads the whole file at path into a new NUL-terminated buffer (free it).
 * Returns NULL on error.
 */
static inline char *
fixture_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			if (len != NULL)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/*
 * Reads a committed JWKS fixture (tests/unit/fixtures/jwks/<name>, relative
 * to the repository root the tests run from, or MCP_FIXTURE_DIR).  Returns a
 * new buffer (free it) or NULL.
 */
static inline char *
fixture_jwks(const char *name, size_t *len)
{
	const char *dir = getenv("MCP_FIXTURE_DIR");
	char path[FIXTURE_PATH_MAX * 2];
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : "tests/unit/fixtures/jwks", name);
	if ((buf = fixture_read(path, len)) == NULL)
		fprintf(stderr, "  fixture %s: %s (run from the repository root)\n", path,
		        strerror(errno));
	return buf;
}

/* Creates the temporary tree.  Returns 0 or -1. */
static inline int
lighttpd_fixture_init(struct lighttpd_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->pid = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/mcp-fcgi-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->docroot, sizeof(f->docroot), "%s/www", f->dir);
	snprintf(f->conf, sizeof(f->conf), "%s/lighttpd.conf", f->dir);
	snprintf(f->access_log, sizeof(f->access_log), "%s/access.log", f->dir);
	snprintf(f->error_log, sizeof(f->error_log), "%s/error.log", f->dir);
	return mkdir(f->docroot, 0755);
}

/* Writes a file under the document root (name like "jwks.json" or "a/b"). */
static inline int
lighttpd_fixture_put(struct lighttpd_fixture *f, const char *name, const char *data, size_t len)
{
	char path[FIXTURE_PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", f->docroot, name);
	return fixture_write(path, data, len);
}

/* A port that was free a moment ago on 127.0.0.1, or -1. */
static inline int
fixture_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &slen) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Opens a TCP connection to 127.0.0.1:port.  Returns the socket or -1. */
static inline int
fixture_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons((unsigned short)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Prints the server's error log to stderr (for a failing test). */
static inline void
lighttpd_fixture_dump(const struct lighttpd_fixture *f)
{
	char *log = fixture_read(f->error_log, NULL);

	fprintf(stderr, "---- %s ----\n%s\n----\n", f->error_log, log != NULL ? log : "(none)");
	free(log);
}

/* Stops the server (SIGTERM, then SIGKILL after 3 s) and reaps it. */
static inline void
lighttpd_fixture_stop(struct lighttpd_fixture *f)
{
	int st;

	if (f->pid <= 0)
		return;
	kill(f->pid, SIGTERM);
	for (int i = 0; waitpid(f->pid, &st, WNOHANG) == 0; i++) {
		if (i == 300) {
			kill(f->pid, SIGKILL);
			waitpid(f->pid, &st, 0);
			break;
		}
		fixture_sleep_ms(10);
	}
	f->pid = -1;
}

/*
 * Writes the configuration (extra_conf appended; may be NULL) and starts
 * lighttpd, on f->port when set, else on a free port (retried if another
 * process takes it first).  Waits up to 5 s for the port while the server
 * lives.  Returns 0, or -1 (error log dumped).
 */
static inline int
lighttpd_fixture_start(struct lighttpd_fixture *f, const char *extra_conf)
{
	const char *bin = getenv("LIGHTTPD") != NULL ? getenv("LIGHTTPD") : FIXTURE_LIGHTTPD;
	bool fixed = f->port > 0;

	for (int attempt = 0; attempt < (fixed ? 1 : 5); attempt++) {
		char conf[8192];
		int st, n;

		if (!fixed && (f->port = fixture_free_port()) < 0)
			return -1;
		n = snprintf(
		    conf, sizeof(conf),
		    "server.document-root = \"%s\"\n"
		    "server.bind = \"127.0.0.1\"\n"
		    "server.port = %d\n"
		    "server.errorlog = \"%s\"\n"
		    "server.stat-cache-engine = \"disable\"\n"
		    "server.modules = (\"mod_setenv\", \"mod_accesslog\", \"mod_redirect\","
		    " \"mod_cgi\")\n"
		    "accesslog.filename = \"%s\"\n"
		    "mimetype.assign = (\".json\" => \"application/json\")\n"
		    "%s\n",
		    f->docroot, f->port, f->error_log, f->access_log,
		    extra_conf != NULL ? extra_conf : "");
		if (n < 0 || (size_t)n >= sizeof(conf) || fixture_write(f->conf, conf, (size_t)n))
			return -1;
		snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d", f->port);
		if ((f->pid = fork()) < 0)
			return -1;
		if (f->pid == 0) {
			int fd = open(f->error_log, O_WRONLY | O_CREAT | O_APPEND, 0600);
			int null = open("/dev/null", O_RDONLY);

			/* The server must not outlive a test that crashes. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (fd >= 0) {
				dup2(fd, STDOUT_FILENO);
				dup2(fd, STDERR_FILENO);
			}
			if (null >= 0)
				dup2(null, STDIN_FILENO);
			execl(bin, "lighttpd", "-D", "-f", f->conf, (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 500; i++) {
			int fd;

			if (waitpid(f->pid, &st, WNOHANG) != 0) {
				f->pid = -1;
				break;
			}
			if ((fd = fixture_connect(f->port)) >= 0) {
				close(fd);
				return 0;
			}
			fixture_sleep_ms(10);
		}
		lighttpd_fixture_stop(f);
	}
	lighttpd_fixture_dump(f);
	return -1;
}

/* Stops the server and removes the whole temporary tree. */
static inline void
lighttpd_fixture_cleanup(struct lighttpd_fixture *f)
{
	lighttpd_fixture_stop(f);
	if (f->dir[0] != '\0')
		fixture_rm_rf(f->dir);
	f->dir[0] = '\0';
}

/* Counts the lines of file that contain needle. */
static inline int
fixture_count_lines(const char *path, const char *needle)
{
	char *buf = fixture_read(path, NULL), *p;
	int n = 0;

	for (p = buf; p != NULL && (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(buf);
	return n;
}

/*
 * Counts requests whose access log line contains needle (e.g.
 * "GET /jwks.json ").  lighttpd buffers access log lines and writes them
 * out every few seconds or when SIGHUP cycles the logs.  So a marker request
 * is sent after everything to be counted, and SIGHUP repeated until the
 * marker's line is in the file: every earlier request is there by then.
 * Returns the count, or -1 when the marker never shows.
 */
static inline int
lighttpd_fixture_count(struct lighttpd_fixture *f, const char *needle)
{
	char req[128], marker[64], buf[512];
	int fd, i;

	snprintf(marker, sizeof(marker), "GET /__sync/%u ", ++f->sync_seq);
	snprintf(req, sizeof(req), "GET /__sync/%u HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
	         f->sync_seq);
	if (f->pid > 0 && (fd = fixture_connect(f->port)) >= 0) {
		if (write(fd, req, strlen(req)) == (ssize_t)strlen(req))
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		close(fd);
		for (i = 0; i < 100 && fixture_count_lines(f->access_log, marker) == 0; i++) {
			kill(f->pid, SIGHUP);
			fixture_sleep_ms(20);
		}
		if (i == 100) {
			fprintf(stderr, "  access log marker %s never appeared\n", marker);
			return -1;
		}
	}
	return fixture_count_lines(f->access_log, needle);
}

#endif /* LIGHTTPD_FIXTURE_H */
