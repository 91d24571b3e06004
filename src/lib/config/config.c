/*
 * config.c - configuration from the environment and an optional env file.
 */
#include "lib/config/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/num.h"

#define CONFIG_FILE_MAX_VARS 256

/* The variables read from MCP_CONFIG_FILE, kept for config_get(). */
static struct strlist file_names, file_values;

static const char *const config_errors[CONFIG_ERR__MAX] = {
    [CONFIG_OK] = "ok",
    [CONFIG_ERR_MISSING] = "required variable not set",
    [CONFIG_ERR_INVALID] = "invalid value",
    [CONFIG_ERR_FILE] = "configuration file unusable",
    [CONFIG_ERR_NOMEM] = "out of memory",
};

const char *
config_strerror(enum config_err err)
{
	return err < CONFIG_ERR__MAX ? config_errors[err] : "unknown error";
}

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

enum config_err
config_fail(enum config_err code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
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
 * Refuses a configuration file that lies inside the web server's document
 * root (it would be downloadable) when DOCUMENT_ROOT is known.
 */
static bool
path_inside_docroot(const char *real)
{
	const char *docroot = getenv("DOCUMENT_ROOT");
	char rdoc[PATH_MAX];
	size_t n;

	if (docroot == NULL || *docroot == '\0' || realpath(docroot, rdoc) == NULL)
		return false;
	n = strlen(rdoc);
	return strncmp(real, rdoc, n) == 0 && (real[n] == '/' || real[n] == '\0' || n == 1);
}

/* Reads the file named by MCP_CONFIG_FILE into file_names/file_values. */
static enum config_err
load_file(const char *path, char *err, size_t errlen)
{
	char real[PATH_MAX], *buf = NULL, *line, *next;
	enum config_err rc = CONFIG_ERR_FILE;
	struct stat st;
	ssize_t got;
	size_t lineno = 0;
	int fd = -1;

	if (realpath(path, real) == NULL) {
		rc =
		    config_fail(rc, err, errlen, CONFIG_FILE_VAR ": %s: %s", path, strerror(errno));
		goto out;
	}
	if (path_inside_docroot(real)) {
		rc = config_fail(rc, err, errlen,
		                 CONFIG_FILE_VAR ": %s lies inside the document root", path);
		goto out;
	}
	if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fstat(fd, &st) != 0) {
		rc =
		    config_fail(rc, err, errlen, CONFIG_FILE_VAR ": %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX || (st.st_mode & S_IWOTH)) {
		rc = config_fail(rc, err, errlen,
		                 CONFIG_FILE_VAR
		                 ": %s must be a regular file under %d bytes, not world-writable",
		                 path, CONFIG_FILE_MAX);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = CONFIG_ERR_NOMEM;
		goto out;
	}
	got = read(fd, buf, (size_t)st.st_size);
	if (got != st.st_size) {
		rc = config_fail(rc, err, errlen, CONFIG_FILE_VAR ": %s: short read", path);
		goto out;
	}
	buf[got] = '\0';
	for (line = buf; line != NULL; line = next) {
		char *name, *value;
		int r;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		if ((r = parse_env_line(line, &name, &value)) < 0) {
			rc = config_fail(rc, err, errlen,
			                 CONFIG_FILE_VAR ": %s:%zu: not NAME=value", path, lineno);
			goto out;
		}
		if (r == 0)
			continue;
		if (file_names.n >= CONFIG_FILE_MAX_VARS) {
			rc = config_fail(rc, err, errlen,
			                 CONFIG_FILE_VAR ": %s: too many variables", path);
			goto out;
		}
		strlist_add(&file_names, name);
		strlist_add(&file_values, value);
	}
	rc = CONFIG_OK;
out:
	if (buf != NULL) {
		/* The file may hold secrets (client secrets): do not leave them in freed memory. */
		explicit_bzero(buf, (size_t)st.st_size);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* True for localhost, 127.0.0.0/8 and [::1]. */
static bool
host_is_loopback(const char *host, size_t len)
{
	if ((len == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	    (len == 5 && strncmp(host, "[::1]", 5) == 0))
		return true;
	if (len < 7 || strncmp(host, "127.", 4) != 0)
		return false;
	for (size_t i = 4; i < len; i++)
		if (!isdigit((unsigned char)host[i]) && host[i] != '.')
			return false;
	return true;
}

/*
 * Splits MCP_RESOURCE into origin, host and path.  Only absolute http(s)
 * URLs without user information or a fragment are accepted (RFC 9728 §1.2:
 * a resource identifier has no fragment).
 */
static enum config_err
parse_resource(struct config *cfg, char *err, size_t errlen)
{
	const char *url = cfg->resource, *p, *host, *hend, *port = NULL;
	size_t hostlen, portlen = 0;
	int64_t portnum = 0;
	char portbuf[8];

	if (strncmp(url, "https://", 8) == 0) {
		cfg->resource_https = true;
		host = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		host = url + 7;
	} else {
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_RESOURCE ": must be an absolute http:// or https:// URL");
	}
	if (strchr(url, '#') != NULL)
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_RESOURCE ": must not contain a fragment (RFC 9728 §1.2)");
	for (const char *c = url; *c != '\0'; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '"' || *c == '\\')
			return config_fail(CONFIG_ERR_INVALID, err, errlen,
			                   CONFIG_RESOURCE
			                   ": contains a space, quote or control character");
	p = host + strcspn(host, "/?");
	if (memchr(host, '@', (size_t)(p - host)) != NULL)
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_RESOURCE ": must not contain user information");
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(p - host));
		if (hend == NULL)
			return config_fail(CONFIG_ERR_INVALID, err, errlen,
			                   CONFIG_RESOURCE ": bad IPv6 host");
		hend++;
	} else {
		hend = memchr(host, ':', (size_t)(p - host));
		if (hend == NULL)
			hend = p;
	}
	hostlen = (size_t)(hend - host);
	if (hostlen == 0)
		return config_fail(CONFIG_ERR_INVALID, err, errlen, CONFIG_RESOURCE ": no host");
	if (hend < p) {
		if (*hend != ':')
			return config_fail(CONFIG_ERR_INVALID, err, errlen,
			                   CONFIG_RESOURCE ": bad host");
		port = hend + 1;
		portlen = (size_t)(p - port);
		if (portlen == 0 || portlen >= sizeof(portbuf))
			return config_fail(CONFIG_ERR_INVALID, err, errlen,
			                   CONFIG_RESOURCE ": bad port");
		memcpy(portbuf, port, portlen);
		portbuf[portlen] = '\0';
		if (num_parse_i64(portbuf, 1, 65535, &portnum) != 0)
			return config_fail(CONFIG_ERR_INVALID, err, errlen,
			                   CONFIG_RESOURCE ": bad port");
	}
	cfg->resource_loopback = host_is_loopback(host, hostlen);
	cfg->resource_origin = strndup(url, (size_t)(p - url));
	cfg->resource_host = strndup(host, (size_t)(p - host));
	cfg->resource_path = strdup(*p == '/' ? p : "/");
	if (!cfg->resource_origin || !cfg->resource_host || !cfg->resource_path)
		return CONFIG_ERR_NOMEM;
	cfg->resource_path[strcspn(cfg->resource_path, "?")] = '\0';
	return CONFIG_OK;
}

/* Adds "<prefix>name<suffix>" to l. */
static int
add_joined(struct strlist *l, const char *prefix, const char *name, const char *suffix)
{
	char buf[512];

	if ((size_t)snprintf(buf, sizeof(buf), "%s%s%s", prefix, name, suffix) >= sizeof(buf))
		return -1;
	strlist_add(l, buf);
	return 0;
}

/*
 * The default allowed Host values and Origins: those of MCP_RESOURCE, and
 * the other loopback spellings when it names a loopback address (DNS
 * rebinding protection, MCP transport "Security Warning").
 */
static enum config_err
derive_allow_lists(struct config *cfg)
{
	static const char *const loopbacks[] = {"localhost", "127.0.0.1", "[::1]"};
	const char *scheme = cfg->resource_https ? "https://" : "http://";
	const char *colon = strrchr(cfg->resource_host, ':');
	char port[16] = "";
	int rc = 0;

	if (colon != NULL && strchr(colon, ']') == NULL)
		snprintf(port, sizeof(port), "%s", colon);
	strlist_add(&cfg->allowed_hosts, cfg->resource_host);
	strlist_add(&cfg->allowed_origins, cfg->resource_origin);
	if (port[0] == '\0') {
		/* A client may spell the default port out. */
		rc |= add_joined(&cfg->allowed_hosts, "", cfg->resource_host,
		                 cfg->resource_https ? ":443" : ":80");
	}
	for (size_t i = 0; cfg->resource_loopback && i < 3; i++) {
		rc |= add_joined(&cfg->allowed_hosts, "", loopbacks[i], port);
		char host[64];
		snprintf(host, sizeof(host), "%s%s", loopbacks[i], port);
		rc |= add_joined(&cfg->allowed_origins, scheme, host, "");
	}
	return rc == 0 ? CONFIG_OK : CONFIG_ERR_NOMEM;
}

/* Reads the optional settings of the transport and the log. */
static enum config_err
load_optional(struct config *cfg, char *err, size_t errlen)
{
	const char *v;
	uint64_t size;

	cfg->max_body = CONFIG_MAX_BODY_DEFAULT;
	if ((v = config_get(CONFIG_MAX_BODY)) != NULL) {
		if (num_parse_size(v, CONFIG_MAX_BODY_LIMIT, &size) != 0 || size < 1024)
			return config_fail(CONFIG_ERR_INVALID, err, errlen,
			                   CONFIG_MAX_BODY ": must be a byte count from 1024 to %d",
			                   CONFIG_MAX_BODY_LIMIT);
		cfg->max_body = (size_t)size;
	}
	cfg->log_level = LOGL_INFO;
	if ((v = config_get(CONFIG_LOG_LEVEL)) != NULL && log_level_parse(v, &cfg->log_level) != 0)
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_LOG_LEVEL ": must be error, warn, info or debug");
	if ((v = config_get(CONFIG_LOG_FILE)) != NULL && (cfg->log_file = strdup(v)) == NULL)
		return CONFIG_ERR_NOMEM;
	v = config_get(CONFIG_RESOURCE_NAME);
	if ((cfg->resource_name = strdup(v != NULL ? v : "mcp-fcgi MCP server")) == NULL)
		return CONFIG_ERR_NOMEM;
	strlist_split(&cfg->allowed_origins, config_get(CONFIG_ORIGINS));
	strlist_split(&cfg->allowed_hosts, config_get(CONFIG_HOSTS));
	cfg->any_origin = strlist_contains(&cfg->allowed_origins, "*");
	return CONFIG_OK;
}

enum config_err
config_load(struct config *cfg, char *err, size_t errlen)
{
	char resource[1024];
	enum config_err rc;
	const char *v;

	memset(cfg, 0, sizeof(*cfg));
	strlist_free(&file_names);
	strlist_free(&file_values);
	if (errlen > 0)
		err[0] = '\0';
	if ((v = getenv(CONFIG_FILE_VAR)) != NULL && *v != '\0' &&
	    (rc = load_file(v, err, errlen)) != CONFIG_OK)
		goto out;
	if ((v = config_resource_url(resource, sizeof(resource))) == NULL) {
		rc = config_fail(CONFIG_ERR_MISSING, err, errlen,
		                 CONFIG_RESOURCE ": not set (the endpoint's public URL, e.g. "
		                                 "https://mcp.example.com/mcp)");
		goto out;
	}
	if ((cfg->resource = strdup(v)) == NULL) {
		rc = CONFIG_ERR_NOMEM;
		goto out;
	}
	if ((rc = parse_resource(cfg, err, errlen)) != CONFIG_OK ||
	    (rc = derive_allow_lists(cfg)) != CONFIG_OK ||
	    (rc = load_optional(cfg, err, errlen)) != CONFIG_OK ||
	    (rc = config_load_oauth(cfg, err, errlen)) != CONFIG_OK)
		goto out;
out:
	if (rc != CONFIG_OK) {
		if (rc == CONFIG_ERR_NOMEM && errlen > 0)
			snprintf(err, errlen, "configuration: out of memory");
		config_free(cfg);
	}
	return rc;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->resource);
	free(cfg->resource_origin);
	free(cfg->resource_host);
	free(cfg->resource_path);
	free(cfg->log_file);
	free(cfg->resource_name);
	strlist_free(&cfg->allowed_origins);
	strlist_free(&cfg->allowed_hosts);
	strlist_free(&cfg->issuers);
	strlist_free(&cfg->audiences);
	strlist_free(&cfg->authorization_servers);
	strlist_free(&cfg->scopes_supported);
	free(cfg->jwks_uri);
	free(cfg->state_dir);
	free(cfg->proxy);
	free(cfg->ca_file);
	free(cfg->prm_url);
	free(cfg->prm_document);
	free(cfg->resource_documentation);
	free(cfg->tool_scopes);
	strlist_free(&cfg->required_scopes);
	free(cfg->todo_db);
	memset(cfg, 0, sizeof(*cfg));
	strlist_free(&file_names);
	strlist_free(&file_values);
}
