/*
 * config_env.c - where configuration values come from: the environment,
 * then the ".env"-style file MCP_CONFIG_FILE names; and the readers every
 * part of config_load() uses for numbers, URLs and strings.
 */
#include "lib/config/internal/config_load.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/core/num.h"

#define CONFIG_FILE_MAX_VARS 256

/* The variables read from MCP_CONFIG_FILE, kept for config_get(). */
static struct strlist file_names, file_values;

const char *
config_get(const char *name)
{
	const char *v = getenv(name);

	if (v != NULL && *v != '\0')
		return v;
	for (size_t i = 0; i < file_names.n; i++)
		if (strcmp(file_names.v[i], name) == 0)
			return *file_values.v[i] != '\0' ? file_values.v[i] : NULL;
	return NULL;
}

void
config_env_free(void)
{
	/* Values may be client secrets: leave no copy in freed memory. */
	for (size_t i = 0; i < file_values.n; i++)
		explicit_bzero(file_values.v[i], strlen(file_values.v[i]));
	strlist_free(&file_names);
	strlist_free(&file_values);
}

/*
 * Parses one "NAME=value" line of an env file ("export " prefix, '#'
 * comments, single or double quotes around the value allowed).  Returns 1
 * for a variable, 0 for a blank or comment line, -1 for a malformed line.
 */
static int
parse_env_line(char *line, char **name, char **value)
{
	char *eq, *end;
	size_t vlen;

	while (isspace((unsigned char)*line))
		line++;
	if (*line == '\0' || *line == '#')
		return 0;
	if (strncmp(line, "export ", 7) == 0)
		line += 7;
	if ((eq = strchr(line, '=')) == NULL || eq == line)
		return -1;
	*eq = '\0';
	for (char *p = line; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return -1;
	*name = line;
	*value = eq + 1;
	end = *value + strlen(*value);
	while (end > *value && isspace((unsigned char)end[-1]))
		*--end = '\0';
	vlen = (size_t)(end - *value);
	if (vlen >= 2 && (**value == '"' || **value == '\'') && end[-1] == **value) {
		end[-1] = '\0';
		(*value)++;
	}
	return 1;
}

/*
 * True when the file (real path) lies inside the document root docroot
 * (NULL or "": unknown): the web server would hand it to anyone who asks.
 */
static bool
path_inside_docroot(const char *real, const char *docroot)
{
	char rdoc[PATH_MAX];
	size_t n;

	if (real == NULL || docroot == NULL || *docroot == '\0' || realpath(docroot, rdoc) == NULL)
		return false;
	n = strlen(rdoc);
	return strncmp(real, rdoc, n) == 0 && (real[n] == '/' || real[n] == '\0' || n == 1);
}

bool
config_file_exposed(const struct config *cfg, const char *docroot)
{
	return path_inside_docroot(cfg->config_file, docroot);
}

bool
config_serving_allowed(const struct config *cfg, const char *docroot)
{
	static int decided; /* 0: no document root seen yet; 1: allowed; -1: refused */

	if (decided != 0 || cfg->config_file == NULL || docroot == NULL || *docroot == '\0')
		return decided >= 0;
	decided = config_file_exposed(cfg, docroot) ? -1 : 1;
	if (decided < 0)
		log_msg(LOGL_ERROR,
		        CONFIG_FILE_VAR ": %s lies inside the document root %s: refusing to serve",
		        cfg->config_file, docroot);
	return decided > 0;
}

/* Splits the file's text (NUL-terminated, modified) into the variable lists. */
static int
parse_env_text(char *buf, const char *path, struct err *e)
{
	size_t lineno = 0;
	char *line, *next;

	for (line = buf; line != NULL; line = next) {
		char *name, *value;
		int r;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		if ((r = parse_env_line(line, &name, &value)) < 0)
			return err_set(e, ERR_CONFIG, CONFIG_FILE_VAR ": %s:%zu: not NAME=value",
			               path, lineno);
		if (r == 0)
			continue;
		if (file_names.n >= CONFIG_FILE_MAX_VARS)
			return err_set(e, ERR_CONFIG, CONFIG_FILE_VAR ": %s: too many variables",
			               path);
		strlist_add(&file_names, name);
		strlist_add(&file_values, value);
	}
	return 0;
}

/* Opens path (its real path into real) after the checks; returns the descriptor or -1. */
static int
env_file_open(const char *path, char real[PATH_MAX], struct stat *st, struct err *e)
{
	int fd;

	if (realpath(path, real) == NULL)
		return err_set(e, ERR_CONFIG, CONFIG_FILE_VAR ": %s: %s", path, strerror(errno));
	/* A CGI run knows the document root from its environment; FastCGI: main.c. */
	if (path_inside_docroot(real, getenv("DOCUMENT_ROOT")))
		return err_set(e, ERR_CONFIG, CONFIG_FILE_VAR ": %s lies inside the document root",
		               path);
	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fstat(fd, st) != 0) {
		err_set(e, ERR_CONFIG, CONFIG_FILE_VAR ": %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode) || st->st_size > CONFIG_FILE_MAX || (st->st_mode & S_IWOTH)) {
		close(fd);
		return err_set(e, ERR_CONFIG,
		               CONFIG_FILE_VAR
		               ": %s must be a regular file under %d bytes, not world-writable",
		               path, CONFIG_FILE_MAX);
	}
	return fd;
}

int
config_env_load(char **real_path, struct err *e)
{
	const char *path = getenv(CONFIG_FILE_VAR);
	char real[PATH_MAX];
	struct stat st;
	char *buf;
	ssize_t got;
	int fd, rc = -1;

	config_env_free();
	if (path == NULL || *path == '\0')
		return 0;
	if ((fd = env_file_open(path, real, &st, e)) < 0)
		return -1;
	buf = xmalloc((size_t)st.st_size + 1);
	got = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (got != st.st_size) {
		err_set(e, ERR_CONFIG, CONFIG_FILE_VAR ": %s: short read", path);
	} else {
		buf[got] = '\0';
		rc = parse_env_text(buf, path, e);
	}
	/* The file may hold secrets (client secrets): do not leave them in freed memory. */
	explicit_bzero(buf, (size_t)st.st_size);
	free(buf);
	if (rc != 0)
		config_env_free();
	else
		*real_path = xstrdup(real);
	return rc;
}

int
config_number(const char *var, const char *what, int64_t def, int64_t min, int64_t max,
              int64_t *out, struct err *e)
{
	const char *v = config_get(var);

	*out = def;
	if (v != NULL && num_parse_i64(v, min, max, out) != 0)
		return err_set(e, ERR_CONFIG, "%s: must be %s from %lld to %lld", var, what,
		               (long long)min, (long long)max);
	return 0;
}

int
config_url(const char *var, const char *url, bool allow_http, struct err *e)
{
	struct err why;

	if (!allow_http && strncasecmp(url, "http://", 7) == 0)
		return err_set(e, ERR_CONFIG,
		               "%s: %s uses plain http; use https or set " CONFIG_ALLOW_HTTP "=1",
		               var, url);
	if (url_check(url, allow_http ? URL_HTTP_OK : 0, &why) == 0)
		return 0;
	return err_wrap(e, &why, ERR_CONFIG, "%s: %s", var, url);
}

void
config_string(const char *var, const char *def, char **out)
{
	const char *v = config_get(var);

	*out = xstrdup_opt(v != NULL ? v : def);
}
