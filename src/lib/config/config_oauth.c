/*
 * config_oauth.c - the resource server's OAuth configuration: which issuers,
 * audiences and keys a token must match, and the Scalekit profile.
 */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/config/config.h"
#include "lib/jose/jwk.h"
#include "lib/core/num.h"

#define CONFIG_URL_MAX 1024

/* The PRM document path (RFC 9728 §3). */
#define PRM_WELL_KNOWN "/.well-known/oauth-protected-resource"

const char *
config_resource_url(char *buf, size_t len)
{
	const char *v;
	cJSON *doc, *res;

	if ((v = config_get(CONFIG_RESOURCE)) != NULL ||
	    (v = config_get(CONFIG_SK_MCP_URL)) != NULL)
		return v;
	if ((v = config_get(CONFIG_SK_PRM)) == NULL)
		return NULL;
	doc = cJSON_Parse(v);
	res = cJSON_GetObjectItemCaseSensitive(doc, "resource");
	v = NULL;
	if (cJSON_IsString(res) && strlen(res->valuestring) < len) {
		snprintf(buf, len, "%s", res->valuestring);
		v = buf;
	}
	cJSON_Delete(doc);
	return v;
}

/*
 * Checks that url is an absolute http(s) URL without a fragment, quotes or
 * control characters, and https unless plain http is allowed.
 */
static enum config_err
check_url(const char *var, const char *url, bool allow_http, char *err, size_t errlen)
{
	bool http = strncmp(url, "http://", 7) == 0;

	if (!http && strncmp(url, "https://", 8) != 0)
		return config_fail(CONFIG_ERR_INVALID, err, errlen, "%s: %s is not an https:// URL",
		                   var, url);
	if (http && !allow_http)
		return config_fail(
		    CONFIG_ERR_INVALID, err, errlen,
		    "%s: %s uses plain http; set " CONFIG_ALLOW_HTTP "=1 to allow it", var, url);
	if (strlen(url) >= CONFIG_URL_MAX || url[http ? 7 : 8] == '\0' || url[http ? 7 : 8] == '/')
		return config_fail(CONFIG_ERR_INVALID, err, errlen, "%s: %s has no host", var, url);
	for (const char *c = url; *c != '\0'; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '"' || *c == '\\' || *c == '#')
			return config_fail(
			    CONFIG_ERR_INVALID, err, errlen,
			    "%s: %s contains a space, quote, '#' or control character", var, url);
	return CONFIG_OK;
}

/* Checks every URL of a list. */
static enum config_err
check_urls(const char *var, const struct strlist *l, bool allow_http, char *err, size_t errlen)
{
	enum config_err rc = CONFIG_OK;

	for (size_t i = 0; i < l->n && rc == CONFIG_OK; i++)
		rc = check_url(var, l->v[i], allow_http, err, errlen);
	return rc;
}

/* Adds base + suffix (base without its trailing slashes) to l. */
static int
add_url(struct strlist *l, const char *base, const char *suffix)
{
	char buf[CONFIG_URL_MAX];
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	if ((size_t)snprintf(buf, sizeof(buf), "%.*s%s", (int)n, base, suffix) >= sizeof(buf))
		return -1;
	strlist_add(l, buf);
	return 0;
}

/*
 * Reads an integer variable in [min, max] into *out, default def.
 */
static enum config_err
get_seconds(const char *var, int64_t def, int64_t min, int64_t max, int64_t *out, char *err,
            size_t errlen)
{
	const char *v = config_get(var);

	*out = def;
	if (v != NULL && num_parse_i64(v, min, max, out) != 0)
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   "%s: must be a number of seconds from %lld to %lld", var,
		                   (long long)min, (long long)max);
	return CONFIG_OK;
}

/* OAUTH_ALGORITHMS: names from the asymmetric allow-list only. */
static enum config_err
load_algorithms(struct config *cfg, char *err, size_t errlen)
{
	const char *v = config_get(CONFIG_ALGORITHMS);
	struct strlist names = {0};
	enum config_err rc = CONFIG_OK;

	if ((strlist_split(&names, v != NULL ? v : CONFIG_ALGORITHMS_DEFAULT), 0))
		return CONFIG_ERR_NOMEM;
	for (size_t i = 0; i < names.n && rc == CONFIG_OK; i++) {
		enum jwa_alg alg;
		/* "none" and HS* are not algorithms jwa_parse knows: never configurable. */
		if (jwa_parse(names.v[i], &alg) != 0)
			rc = config_fail(CONFIG_ERR_INVALID, err, errlen,
			                 CONFIG_ALGORITHMS
			                 ": %s is not an allowed algorithm (RS256, "
			                 "RS384, RS512, PS256, PS384, PS512, ES256, ES384)",
			                 names.v[i]);
		else
			cfg->alg_mask |= JWA_BIT(alg);
	}
	if (rc == CONFIG_OK && cfg->alg_mask == 0)
		rc = config_fail(CONFIG_ERR_INVALID, err, errlen, CONFIG_ALGORITHMS ": empty");
	strlist_free(&names);
	return rc;
}

/* Issuers, JWKS URI and authorization servers, from OAUTH_* or Scalekit's variables. */
static enum config_err
load_issuers(struct config *cfg, const cJSON *prm, char *err, size_t errlen)
{
	const char *env = config_get(CONFIG_SK_ENV), *res_id = config_get(CONFIG_SK_RESOURCE_ID);
	const char *v;
	char suffix[300];
	const cJSON *as, *it;

	if (env == NULL)
		env = config_get(CONFIG_SK_ENV_SHORT);
	if (res_id != NULL)
		snprintf(suffix, sizeof(suffix), "/resources/%s", res_id);
	if ((v = config_get(CONFIG_ISSUER)) != NULL) {
		if ((strlist_split(&cfg->issuers, v), 0))
			return CONFIG_ERR_NOMEM;
	} else if (env != NULL) {
		/* Scalekit issues with the environment URL, or per resource (both seen). */
		if (add_url(&cfg->issuers, env, "") != 0 ||
		    (res_id != NULL && add_url(&cfg->issuers, env, suffix) != 0))
			return CONFIG_ERR_NOMEM;
	}
	if (cfg->issuers.n == 0)
		return config_fail(CONFIG_ERR_MISSING, err, errlen,
		                   CONFIG_ISSUER
		                   ": not set (the authorization server's issuer URL, "
		                   "or " CONFIG_SK_ENV " for Scalekit)");
	if ((v = config_get(CONFIG_JWKS_URI)) != NULL) {
		if ((cfg->jwks_uri = strdup(v)) == NULL)
			return CONFIG_ERR_NOMEM;
	} else if (env != NULL) {
		struct strlist one = {0};
		if (add_url(&one, env, "/keys") != 0)
			return CONFIG_ERR_NOMEM;
		cfg->jwks_uri = one.v[0];
		free(one.v);
	}
	if ((v = config_get(CONFIG_AS)) != NULL) {
		if ((strlist_split(&cfg->authorization_servers, v), 0))
			return CONFIG_ERR_NOMEM;
	} else if (cJSON_IsArray(
	               as = cJSON_GetObjectItemCaseSensitive(prm, "authorization_servers"))) {
		cJSON_ArrayForEach (it, as)
			if (cJSON_IsString(it) &&
			    (strlist_add(&cfg->authorization_servers, it->valuestring), 0))
				return CONFIG_ERR_NOMEM;
	} else if (env != NULL && res_id != NULL) {
		if (add_url(&cfg->authorization_servers, env, suffix) != 0)
			return CONFIG_ERR_NOMEM;
	} else if ((strlist_add(&cfg->authorization_servers, cfg->issuers.v[0]), 0)) {
		return CONFIG_ERR_NOMEM;
	}
	enum config_err rc = check_urls(CONFIG_ISSUER, &cfg->issuers, cfg->allow_http, err, errlen);
	if (rc == CONFIG_OK && cfg->jwks_uri != NULL)
		rc = check_url(CONFIG_JWKS_URI, cfg->jwks_uri, cfg->allow_http, err, errlen);
	if (rc == CONFIG_OK)
		rc = check_urls(CONFIG_AS, &cfg->authorization_servers, cfg->allow_http, err,
		                errlen);
	return rc;
}

/*
 * Audiences: OAUTH_AUDIENCE, else Scalekit's EXPECTED_AUDIENCE, else the
 * resource id and the resource URL (Scalekit puts res_… in aud), else the
 * resource URL (RFC 8707 resource indicator).  A URL audience of another
 * origin could never name this server: refused.
 */
static enum config_err
load_audiences(struct config *cfg, char *err, size_t errlen)
{
	const char *v = config_get(CONFIG_AUDIENCE), *var = CONFIG_AUDIENCE;
	const char *res_id = config_get(CONFIG_SK_RESOURCE_ID);
	size_t olen = strlen(cfg->resource_origin);

	if (v == NULL && (v = config_get(CONFIG_SK_AUDIENCE)) != NULL)
		var = CONFIG_SK_AUDIENCE;
	if (v != NULL) {
		if ((strlist_split(&cfg->audiences, v), 0))
			return CONFIG_ERR_NOMEM;
	} else if ((res_id != NULL && (strlist_add(&cfg->audiences, res_id), 0)) ||
	           (strlist_add(&cfg->audiences, cfg->resource), 0)) {
		return CONFIG_ERR_NOMEM;
	}
	if (cfg->audiences.n == 0)
		return config_fail(CONFIG_ERR_INVALID, err, errlen, "%s: empty", var);
	for (size_t i = 0; i < cfg->audiences.n; i++) {
		const char *a = cfg->audiences.v[i];
		if (strstr(a, "://") != NULL && (strncasecmp(a, cfg->resource_origin, olen) != 0 ||
		                                 (a[olen] != '/' && a[olen] != '\0')))
			return config_fail(
			    CONFIG_ERR_INVALID, err, errlen,
			    "%s: %s is not a URL of %s, so it cannot name this resource", var, a,
			    cfg->resource_origin);
	}
	return CONFIG_OK;
}

/*
 * PROTECTED_RESOURCE_METADATA (Scalekit's Node quickstart): a whole RFC 9728
 * document served as given, once it is a JSON object whose resource is ours.
 */
static enum config_err
load_prm_document(struct config *cfg, cJSON **prm, char *err, size_t errlen)
{
	const char *v = config_get(CONFIG_SK_PRM);
	const cJSON *res;

	*prm = NULL;
	if (v == NULL)
		return CONFIG_OK;
	*prm = cJSON_Parse(v);
	res = cJSON_GetObjectItemCaseSensitive(*prm, "resource");
	if (!cJSON_IsObject(*prm))
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_SK_PRM ": not a JSON object");
	if (!cJSON_IsString(res) || strcmp(res->valuestring, cfg->resource) != 0)
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_SK_PRM ": \"resource\" must be %s (RFC 9728 §3.3)",
		                   cfg->resource);
	if ((cfg->prm_document = cJSON_PrintUnformatted(*prm)) == NULL)
		return CONFIG_ERR_NOMEM;
	return CONFIG_OK;
}

/* Everything derived from the resource URL, and the plain strings. */
static enum config_err
load_strings(struct config *cfg, const cJSON *prm, char *err, size_t errlen)
{
	const char *v;
	char buf[CONFIG_URL_MAX * 2];
	const cJSON *scopes, *it;

	v = config_get(CONFIG_STATE_DIR);
	if ((cfg->state_dir = strdup(v != NULL ? v : CONFIG_STATE_DIR_DEFAULT)) == NULL)
		return CONFIG_ERR_NOMEM;
	if (cfg->state_dir[0] != '/')
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_STATE_DIR ": must be an absolute path");
	if (((v = config_get(CONFIG_PROXY)) != NULL && (cfg->proxy = strdup(v)) == NULL) ||
	    ((v = config_get(CONFIG_CA_FILE)) != NULL && (cfg->ca_file = strdup(v)) == NULL))
		return CONFIG_ERR_NOMEM;
	if ((v = config_get(CONFIG_SCOPES)) != NULL) {
		if ((strlist_split(&cfg->scopes_supported, v), 0))
			return CONFIG_ERR_NOMEM;
	} else if (cJSON_IsArray(scopes =
	                             cJSON_GetObjectItemCaseSensitive(prm, "scopes_supported"))) {
		cJSON_ArrayForEach (it, scopes)
			if (cJSON_IsString(it) &&
			    (strlist_add(&cfg->scopes_supported, it->valuestring), 0))
				return CONFIG_ERR_NOMEM;
	}
	for (size_t i = 0; i < cfg->scopes_supported.n; i++)
		if (strpbrk(cfg->scopes_supported.v[i], "\"\\") != NULL)
			return config_fail(CONFIG_ERR_INVALID, err, errlen,
			                   CONFIG_SCOPES ": a scope must not contain quotes or "
			                                 "backslashes (RFC 6749 §3.3)");
	/* RFC 9728 §3.1: the well-known suffix goes between the host and the resource's path. */
	snprintf(buf, sizeof(buf), "%s" PRM_WELL_KNOWN "%s", cfg->resource_origin,
	         strcmp(cfg->resource_path, "/") == 0 ? "" : cfg->resource_path);
	if ((cfg->prm_url = strdup(buf)) == NULL)
		return CONFIG_ERR_NOMEM;
	if ((v = config_get(CONFIG_TOOL_SCOPES)) != NULL && (cfg->tool_scopes = strdup(v)) == NULL)
		return CONFIG_ERR_NOMEM;
	if ((strlist_split(&cfg->required_scopes, config_get(CONFIG_REQUIRED_SCOPES)), 0))
		return CONFIG_ERR_NOMEM;
	v = config_get(CONFIG_TODO_DB);
	snprintf(buf, sizeof(buf), "%s/todos.sqlite", cfg->state_dir);
	if ((cfg->todo_db = strdup(v != NULL ? v : buf)) == NULL)
		return CONFIG_ERR_NOMEM;
	if (cfg->todo_db[0] != '/')
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_TODO_DB ": must be an absolute path");
	v = config_get(CONFIG_RESOURCE_DOC);
	snprintf(buf, sizeof(buf), "%s/", cfg->resource_origin);
	if ((cfg->resource_documentation = strdup(v != NULL ? v : buf)) == NULL)
		return CONFIG_ERR_NOMEM;
	return CONFIG_OK;
}

/* The bounds of token checks and of the key cache. */
static enum config_err
load_bounds(struct config *cfg, char *err, size_t errlen)
{
	enum config_err rc;

	if ((rc = get_seconds(CONFIG_LEEWAY, CONFIG_LEEWAY_DEFAULT, 0, CONFIG_LEEWAY_MAX,
	                      &cfg->leeway, err, errlen)) != CONFIG_OK ||
	    (rc = get_seconds(CONFIG_TTL_MIN, 60, 1, 7 * 86400, &cfg->jwks_ttl_min, err, errlen)) !=
	        CONFIG_OK ||
	    (rc = get_seconds(CONFIG_TTL_MAX, 86400, 1, 30 * 86400, &cfg->jwks_ttl_max, err,
	                      errlen)) != CONFIG_OK ||
	    (rc = get_seconds(CONFIG_THROTTLE, 60, 1, 86400, &cfg->jwks_throttle, err, errlen)) !=
	        CONFIG_OK ||
	    (rc = get_seconds(CONFIG_MAX_STALE, 86400, 0, 30 * 86400, &cfg->jwks_max_stale, err,
	                      errlen)) != CONFIG_OK)
		return rc;
	if (config_get(CONFIG_TODO_MAX) != NULL &&
	    num_parse_i64(config_get(CONFIG_TODO_MAX), 1, 1000000, &cfg->todo_max) != 0)
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_TODO_MAX ": must be a count from 1 to 1000000");
	if (config_get(CONFIG_TODO_MAX) == NULL)
		cfg->todo_max = 1000;
	if (cfg->jwks_ttl_min > cfg->jwks_ttl_max)
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_TTL_MIN ": must not exceed " CONFIG_TTL_MAX);
	return CONFIG_OK;
}

enum config_err
config_load_oauth(struct config *cfg, char *err, size_t errlen)
{
	const char *v = config_get(CONFIG_ALLOW_HTTP);
	enum config_err rc;
	cJSON *prm = NULL;

	if (v != NULL && num_parse_bool(v, &cfg->allow_http) != 0)
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_ALLOW_HTTP ": must be 0 or 1");
	/* Plain http is for loopback development, or where the operator says so. */
	if (!cfg->resource_https && !cfg->resource_loopback && !cfg->allow_http)
		return config_fail(CONFIG_ERR_INVALID, err, errlen,
		                   CONFIG_RESOURCE
		                   ": %s uses plain http; use https or set " CONFIG_ALLOW_HTTP "=1",
		                   cfg->resource);
	if ((rc = load_prm_document(cfg, &prm, err, errlen)) == CONFIG_OK &&
	    (rc = load_issuers(cfg, prm, err, errlen)) == CONFIG_OK &&
	    (rc = load_audiences(cfg, err, errlen)) == CONFIG_OK &&
	    (rc = load_algorithms(cfg, err, errlen)) == CONFIG_OK &&
	    (rc = load_strings(cfg, prm, err, errlen)) == CONFIG_OK)
		rc = load_bounds(cfg, err, errlen);
	cJSON_Delete(prm);
	return rc;
}
