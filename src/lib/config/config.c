/*
 * config.c - config_load(): the endpoint's own settings (its URL, the
 * allowed hosts and origins, body and log settings, the state directory),
 * then the token settings (config_oauth.c) and the tools' (config_tools.c).
 */
#include "lib/config/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "lib/config/internal/config_load.h"
#include "lib/core/num.h"

/* The PRM document's "resource" member (RFC 9728 §2). */
#define PRM_RESOURCE "resource"

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

/* True when the len bytes at port are a port number, 1 to 65535. */
static bool
port_valid(const char *port, size_t len)
{
	char buf[8];
	int64_t n;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, port, len);
	buf[len] = '\0';
	return num_parse_i64(buf, 1, 65535, &n) == 0;
}

/*
 * Splits MCP_RESOURCE into origin, host and path.  Only absolute http(s)
 * URLs without user information or a fragment are accepted (RFC 9728 §1.2:
 * a resource identifier has no fragment).
 */
static int
parse_resource(struct config *cfg, struct err *e)
{
	const char *url = cfg->resource, *p, *host, *hend;
	struct err why;

	if (url_check(url, URL_HTTP_OK, &why) != 0)
		return err_set(e, ERR_CONFIG, CONFIG_RESOURCE ": %.256s: %.200s", url, why.msg);
	cfg->resource_https = strncasecmp(url, "https://", 8) == 0;
	host = url + (cfg->resource_https ? 8 : 7);
	p = host + strcspn(host, "/?");
	if (memchr(host, '@', (size_t)(p - host)) != NULL)
		return err_set(e, ERR_CONFIG,
		               CONFIG_RESOURCE ": must not contain user information");
	if (*host == '[') {
		if ((hend = memchr(host, ']', (size_t)(p - host))) == NULL)
			return err_set(e, ERR_CONFIG, CONFIG_RESOURCE ": bad IPv6 host");
		hend++;
	} else if ((hend = memchr(host, ':', (size_t)(p - host))) == NULL) {
		hend = p;
	}
	if (hend == host)
		return err_set(e, ERR_CONFIG, CONFIG_RESOURCE ": no host");
	if (hend < p && (*hend != ':' || !port_valid(hend + 1, (size_t)(p - hend - 1))))
		return err_set(e, ERR_CONFIG, CONFIG_RESOURCE ": bad port");
	cfg->resource_loopback = host_is_loopback(host, (size_t)(hend - host));
	cfg->resource_origin = xstrndup(url, (size_t)(p - url));
	cfg->resource_host = xstrndup(host, (size_t)(p - host));
	cfg->resource_path = xstrdup(*p == '/' ? p : "/");
	cfg->resource_path[strcspn(cfg->resource_path, "?")] = '\0';
	return 0;
}

/* Adds "<prefix>name<suffix>" to l. */
static void
add_joined(struct strlist *l, const char *prefix, const char *name, const char *suffix)
{
	char buf[URL_MAX + 16];

	snprintf(buf, sizeof(buf), "%s%s%s", prefix, name, suffix);
	strlist_add(l, buf);
}

/*
 * The default allowed Host values and Origins: those of MCP_RESOURCE, and
 * the other loopback spellings when it names a loopback address (DNS
 * rebinding protection, MCP transport "Security Warning").
 */
static void
derive_allow_lists(struct config *cfg)
{
	static const char *const loopbacks[] = {"localhost", "127.0.0.1", "[::1]"};
	const char *scheme = cfg->resource_https ? "https://" : "http://";
	const char *colon = strrchr(cfg->resource_host, ':');
	char port[16] = "", host[64];

	if (colon != NULL && strchr(colon, ']') == NULL)
		snprintf(port, sizeof(port), "%s", colon);
	strlist_add(&cfg->allowed_hosts, cfg->resource_host);
	strlist_add(&cfg->allowed_origins, cfg->resource_origin);
	/* A client may spell the default port out. */
	if (port[0] == '\0')
		add_joined(&cfg->allowed_hosts, "", cfg->resource_host,
		           cfg->resource_https ? ":443" : ":80");
	for (size_t i = 0; cfg->resource_loopback && i < 3; i++) {
		add_joined(&cfg->allowed_hosts, "", loopbacks[i], port);
		snprintf(host, sizeof(host), "%s%s", loopbacks[i], port);
		add_joined(&cfg->allowed_origins, scheme, host, "");
	}
}

/* Reads the optional settings of the transport and the log. */
static int
load_optional(struct config *cfg, struct err *e)
{
	const char *v = config_get(CONFIG_MAX_BODY);
	uint64_t size;

	cfg->max_body = CONFIG_MAX_BODY_DEFAULT;
	if (v != NULL) {
		if (num_parse_size(v, CONFIG_MAX_BODY_LIMIT, &size) != 0 || size < 1024)
			return err_set(e, ERR_CONFIG,
			               CONFIG_MAX_BODY ": must be a byte count from 1024 to %d",
			               CONFIG_MAX_BODY_LIMIT);
		cfg->max_body = (size_t)size;
	}
	cfg->log_level = LOGL_INFO;
	if ((v = config_get(CONFIG_LOG_LEVEL)) != NULL && log_level_parse(v, &cfg->log_level) != 0)
		return err_set(e, ERR_CONFIG,
		               CONFIG_LOG_LEVEL ": must be error, warn, info or debug");
	config_string(CONFIG_LOG_FILE, NULL, &cfg->log_file);
	config_string(CONFIG_RESOURCE_NAME, "mcp-fcgi MCP server", &cfg->resource_name);
	strlist_split(&cfg->allowed_origins, config_get(CONFIG_ORIGINS));
	strlist_split(&cfg->allowed_hosts, config_get(CONFIG_HOSTS));
	cfg->any_origin = strlist_contains(&cfg->allowed_origins, "*");
	return 0;
}

/*
 * The resource URL the configuration names: MCP_RESOURCE, else Scalekit's
 * MCP_URL, else the "resource" of PROTECTED_RESOURCE_METADATA.  A copy, or
 * NULL when none.
 */
static char *
resource_url(void)
{
	const char *v;
	cJSON *doc, *res;
	char *url = NULL;

	if ((v = config_get(CONFIG_RESOURCE)) != NULL ||
	    (v = config_get(CONFIG_SK_MCP_URL)) != NULL)
		return xstrdup(v);
	if ((v = config_get(CONFIG_SK_PRM)) == NULL)
		return NULL;
	doc = cJSON_Parse(v);
	res = cJSON_GetObjectItemCaseSensitive(doc, PRM_RESOURCE);
	if (cJSON_IsString(res))
		url = xstrdup(res->valuestring);
	cJSON_Delete(doc);
	return url;
}

/* MCP_STATE_DIR: where the key cache and the todo database live. */
static int
load_state_dir(struct config *cfg, struct err *e)
{
	config_string(CONFIG_STATE_DIR, CONFIG_STATE_DIR_DEFAULT, &cfg->state_dir);
	if (cfg->state_dir[0] != '/')
		return err_set(e, ERR_CONFIG, CONFIG_STATE_DIR ": must be an absolute path");
	return 0;
}

int
config_load(struct config *cfg, struct err *e)
{
	memset(cfg, 0, sizeof(*cfg));
	err_clear(e);
	if (config_env_load(&cfg->config_file, e) != 0)
		goto fail;
	if ((cfg->resource = resource_url()) == NULL) {
		err_set(e, ERR_CONFIG,
		        CONFIG_RESOURCE ": not set (the endpoint's public URL, e.g. "
		                        "https://mcp.example.com/mcp)");
		goto fail;
	}
	if (parse_resource(cfg, e) != 0)
		goto fail;
	derive_allow_lists(cfg);
	if (load_optional(cfg, e) != 0 || load_state_dir(cfg, e) != 0 ||
	    config_oauth_load(cfg, e) != 0 || config_tools_load(cfg, e) != 0)
		goto fail;
	return 0;
fail:
	config_free(cfg);
	return -1;
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
	free(cfg->jwks_file);
	free(cfg->state_dir);
	free(cfg->proxy);
	free(cfg->ca_file);
	free(cfg->prm_url);
	free(cfg->prm_document);
	free(cfg->resource_documentation);
	free(cfg->tool_scopes);
	strlist_free(&cfg->required_scopes);
	free(cfg->todo_db);
	if (cfg->database_url != NULL)
		explicit_bzero(cfg->database_url, strlen(cfg->database_url));
	free(cfg->database_url);
	free(cfg->config_file);
	memset(cfg, 0, sizeof(*cfg));
	config_env_free();
}
