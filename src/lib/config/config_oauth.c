/*
 * config_oauth.c - which tokens the resource server accepts (issuers,
 * audiences, algorithms, clock leeway), where and how long their keys are
 * cached, and what its RFC 9728 metadata says; from the OAUTH_* variables
 * or those of Scalekit's quickstarts.
 */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/config/internal/config_load.h"
#include "lib/core/num.h"
#include "lib/jose/jwk.h"
#include "lib/jose/token.h"

/* The PRM document path (RFC 9728 §3) and the members read from a configured one (§2). */
#define PRM_WELL_KNOWN "/.well-known/oauth-protected-resource"
#define PRM_RESOURCE   "resource"
#define PRM_AS         "authorization_servers"
#define PRM_SCOPES     "scopes_supported"

/* Adds base + suffix (base without its trailing slashes) to l. */
static void
add_url(struct strlist *l, const char *base, const char *suffix)
{
	char buf[URL_MAX + 64];
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	snprintf(buf, sizeof(buf), "%.*s%s", (int)n, base, suffix);
	strlist_add(l, buf);
}

/* Adds every string of the JSON array a to l. */
static void
add_strings(struct strlist *l, const cJSON *a)
{
	const cJSON *it;

	cJSON_ArrayForEach (it, a) {
		if (cJSON_IsString(it))
			strlist_add(l, it->valuestring);
	}
}

/* Checks every URL of a list. */
static int
check_urls(const char *var, const struct strlist *l, bool allow_http, struct err *e)
{
	for (size_t i = 0; i < l->n; i++)
		if (config_url(var, l->v[i], allow_http, e) != 0)
			return -1;
	return 0;
}

/* OAUTH_ALGORITHMS: names from the asymmetric allow-list only. */
static int
load_algorithms(struct config *cfg, struct err *e)
{
	const char *v = config_get(CONFIG_ALGORITHMS);
	struct strlist names = {0};
	int rc = 0;

	strlist_split(&names, v != NULL ? v : CONFIG_ALGORITHMS_DEFAULT);
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		enum jwa_alg alg;
		/* "none" and HS* are not algorithms jwa_parse knows: never configurable. */
		if (jwa_parse(names.v[i], &alg) != 0)
			rc = err_set(e, ERR_CONFIG,
			             CONFIG_ALGORITHMS
			             ": %s is not an allowed algorithm (RS256, "
			             "RS384, RS512, PS256, PS384, PS512, ES256, ES384)",
			             names.v[i]);
		else
			cfg->alg_mask |= JWA_BIT(alg);
	}
	if (rc == 0 && cfg->alg_mask == 0)
		rc = err_set(e, ERR_CONFIG, CONFIG_ALGORITHMS ": empty");
	strlist_free(&names);
	return rc;
}

/* OAUTH_TOKEN_TYPES: which JOSE typ an access token may carry (RFC 9068 §4 asks at+jwt). */
static int
load_token_types(struct config *cfg, struct err *e)
{
	const char *v = config_get(CONFIG_TOKEN_TYPES);
	struct strlist names = {0};
	int rc = 0;

	strlist_split(&names, v != NULL ? v : CONFIG_TOKEN_TYPES_DEFAULT);
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		unsigned t;
		if (token_type_parse(names.v[i], &t) != 0)
			rc = err_set(e, ERR_CONFIG,
			             CONFIG_TOKEN_TYPES ": %s is not a token type (at+jwt, JWT)",
			             names.v[i]);
		else
			cfg->token_types |= t;
	}
	if (rc == 0 && cfg->token_types == 0)
		rc = err_set(e, ERR_CONFIG, CONFIG_TOKEN_TYPES ": empty");
	strlist_free(&names);
	return rc;
}

/* Scalekit's environment URL (SCALEKIT_ENVIRONMENT_URL or SK_ENV_URL), or NULL. */
static const char *
scalekit_env(void)
{
	const char *env = config_get(CONFIG_SK_ENV);

	return env != NULL ? env : config_get(CONFIG_SK_ENV_SHORT);
}

/* Issuers and the JWKS URI, from OAUTH_* or Scalekit's variables. */
static int
load_issuers(struct config *cfg, struct err *e)
{
	const char *env = scalekit_env(), *res_id = config_get(CONFIG_SK_RESOURCE_ID);
	char suffix[300];

	snprintf(suffix, sizeof(suffix), "/resources/%s", res_id != NULL ? res_id : "");
	if (config_get(CONFIG_ISSUER) != NULL) {
		strlist_split(&cfg->issuers, config_get(CONFIG_ISSUER));
	} else if (env != NULL) {
		/* Scalekit issues with the environment URL, or per resource (both seen). */
		add_url(&cfg->issuers, env, "");
		if (res_id != NULL)
			add_url(&cfg->issuers, env, suffix);
	}
	if (cfg->issuers.n == 0)
		return err_set(e, ERR_CONFIG,
		               CONFIG_ISSUER ": not set (the authorization server's issuer URL, "
		                             "or " CONFIG_SK_ENV " for Scalekit)");
	config_string(CONFIG_JWKS_URI, NULL, &cfg->jwks_uri);
	if (cfg->jwks_uri == NULL && env != NULL) {
		struct strlist one = {0};
		add_url(&one, env, "/keys");
		cfg->jwks_uri = one.v[0];
		free(one.v);
	}
	/* Keys the operator keeps in a file: no fetch, no libcurl (jwks_cache.h). */
	config_string(CONFIG_JWKS_FILE, NULL, &cfg->jwks_file);
	if (cfg->jwks_file != NULL && cfg->jwks_file[0] != '/')
		return err_set(e, ERR_CONFIG, CONFIG_JWKS_FILE ": not an absolute path");
	if (check_urls(CONFIG_ISSUER, &cfg->issuers, cfg->allow_http, e) != 0 ||
	    (cfg->jwks_uri != NULL &&
	     config_url(CONFIG_JWKS_URI, cfg->jwks_uri, cfg->allow_http, e) != 0))
		return -1;
	return 0;
}

/*
 * The authorization servers the metadata names: OAUTH_AUTHORIZATION_SERVERS,
 * else those of PROTECTED_RESOURCE_METADATA, else Scalekit's per-resource
 * server, else the first issuer.
 */
static int
load_authorization_servers(struct config *cfg, const cJSON *prm, struct err *e)
{
	const char *env = scalekit_env(), *res_id = config_get(CONFIG_SK_RESOURCE_ID);
	const cJSON *as = cJSON_GetObjectItemCaseSensitive(prm, PRM_AS);
	char suffix[300];

	if (config_get(CONFIG_AS) != NULL) {
		strlist_split(&cfg->authorization_servers, config_get(CONFIG_AS));
	} else if (cJSON_IsArray(as)) {
		add_strings(&cfg->authorization_servers, as);
	} else if (env != NULL && res_id != NULL) {
		snprintf(suffix, sizeof(suffix), "/resources/%s", res_id);
		add_url(&cfg->authorization_servers, env, suffix);
	} else {
		strlist_add(&cfg->authorization_servers, cfg->issuers.v[0]);
	}
	return check_urls(CONFIG_AS, &cfg->authorization_servers, cfg->allow_http, e);
}

/*
 * Audiences: OAUTH_AUDIENCE, else Scalekit's EXPECTED_AUDIENCE, else the
 * resource id and the resource URL (Scalekit puts res_… in aud), else the
 * resource URL (RFC 8707 resource indicator).  A URL audience of another
 * origin could never name this server: refused.
 */
static int
load_audiences(struct config *cfg, struct err *e)
{
	const char *v = config_get(CONFIG_AUDIENCE), *var = CONFIG_AUDIENCE;
	const char *res_id = config_get(CONFIG_SK_RESOURCE_ID);
	size_t olen = strlen(cfg->resource_origin);

	if (v == NULL && (v = config_get(CONFIG_SK_AUDIENCE)) != NULL)
		var = CONFIG_SK_AUDIENCE;
	if (v != NULL) {
		strlist_split(&cfg->audiences, v);
	} else {
		if (res_id != NULL)
			strlist_add(&cfg->audiences, res_id);
		strlist_add(&cfg->audiences, cfg->resource);
	}
	if (cfg->audiences.n == 0)
		return err_set(e, ERR_CONFIG, "%s: empty", var);
	for (size_t i = 0; i < cfg->audiences.n; i++) {
		const char *a = cfg->audiences.v[i];
		if (strstr(a, "://") != NULL && (strncasecmp(a, cfg->resource_origin, olen) != 0 ||
		                                 (a[olen] != '/' && a[olen] != '\0')))
			return err_set(e, ERR_CONFIG,
			               "%s: %s is not a URL of %s, so it cannot name this resource",
			               var, a, cfg->resource_origin);
	}
	return 0;
}

/*
 * PROTECTED_RESOURCE_METADATA (Scalekit's Node quickstart): a whole RFC 9728
 * document served as given, once it is a JSON object whose resource is ours.
 * *prm is the parsed document (or NULL when not configured) for the caller
 * to free.
 */
static int
load_prm_document(struct config *cfg, cJSON **prm, struct err *e)
{
	const char *v = config_get(CONFIG_SK_PRM);
	const cJSON *res;

	*prm = NULL;
	if (v == NULL)
		return 0;
	*prm = cJSON_Parse(v);
	res = cJSON_GetObjectItemCaseSensitive(*prm, PRM_RESOURCE);
	if (!cJSON_IsObject(*prm))
		return err_set(e, ERR_CONFIG, CONFIG_SK_PRM ": not a JSON object");
	if (!cJSON_IsString(res) || strcmp(res->valuestring, cfg->resource) != 0)
		return err_set(e, ERR_CONFIG,
		               CONFIG_SK_PRM ": \"resource\" must be %s (RFC 9728 §3.3)",
		               cfg->resource);
	cfg->prm_document = cJSON_PrintUnformatted(*prm);
	return 0;
}

/* What the metadata document and the challenges say, and where keys come from. */
static int
load_metadata(struct config *cfg, const cJSON *prm, struct err *e)
{
	const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(prm, PRM_SCOPES);
	char buf[URL_MAX * 2];

	config_string(CONFIG_PROXY, NULL, &cfg->proxy);
	config_string(CONFIG_CA_FILE, NULL, &cfg->ca_file);
	if (config_get(CONFIG_SCOPES) != NULL)
		strlist_split(&cfg->scopes_supported, config_get(CONFIG_SCOPES));
	else if (cJSON_IsArray(scopes))
		add_strings(&cfg->scopes_supported, scopes);
	for (size_t i = 0; i < cfg->scopes_supported.n; i++)
		if (strpbrk(cfg->scopes_supported.v[i], "\"\\") != NULL)
			return err_set(e, ERR_CONFIG,
			               CONFIG_SCOPES ": a scope must not contain quotes or "
			                             "backslashes (RFC 6749 §3.3)");
	/* RFC 9728 §3.1: the well-known suffix goes between the host and the resource's path. */
	snprintf(buf, sizeof(buf), "%s" PRM_WELL_KNOWN "%s", cfg->resource_origin,
	         strcmp(cfg->resource_path, "/") == 0 ? "" : cfg->resource_path);
	cfg->prm_url = xstrdup(buf);
	snprintf(buf, sizeof(buf), "%s/", cfg->resource_origin);
	config_string(CONFIG_RESOURCE_DOC, buf, &cfg->resource_documentation);
	return 0;
}

/* The bounds of token checks and of the key cache. */
static int
load_bounds(struct config *cfg, struct err *e)
{
	static const char *const secs = "a number of seconds";

	if (config_number(CONFIG_LEEWAY, secs, CONFIG_LEEWAY_DEFAULT, 0, CONFIG_LEEWAY_MAX,
	                  &cfg->leeway, e) != 0 ||
	    config_number(CONFIG_TTL_MIN, secs, 60, 1, 7 * 86400, &cfg->jwks_ttl_min, e) != 0 ||
	    config_number(CONFIG_TTL_MAX, secs, 86400, 1, 30 * 86400, &cfg->jwks_ttl_max, e) != 0 ||
	    config_number(CONFIG_THROTTLE, secs, 60, 1, 86400, &cfg->jwks_throttle, e) != 0 ||
	    config_number(CONFIG_MAX_STALE, secs, 86400, 0, 30 * 86400, &cfg->jwks_max_stale, e) !=
	        0)
		return -1;
	if (cfg->jwks_ttl_min > cfg->jwks_ttl_max)
		return err_set(e, ERR_CONFIG, CONFIG_TTL_MIN ": must not exceed " CONFIG_TTL_MAX);
	return 0;
}

int
config_oauth_load(struct config *cfg, struct err *e)
{
	const char *v = config_get(CONFIG_ALLOW_HTTP);
	cJSON *prm = NULL;
	int rc = -1;

	if (v != NULL && num_parse_bool(v, &cfg->allow_http) != 0)
		return err_set(e, ERR_CONFIG, CONFIG_ALLOW_HTTP ": must be 0 or 1");
	/* Plain http is for loopback development, or where the operator says so. */
	if (!cfg->resource_https && !cfg->resource_loopback && !cfg->allow_http)
		return err_set(e, ERR_CONFIG,
		               CONFIG_RESOURCE
		               ": %s uses plain http; use https or set " CONFIG_ALLOW_HTTP "=1",
		               cfg->resource);
	if (load_prm_document(cfg, &prm, e) == 0 && load_issuers(cfg, e) == 0 &&
	    load_authorization_servers(cfg, prm, e) == 0 && load_audiences(cfg, e) == 0 &&
	    load_algorithms(cfg, e) == 0 && load_token_types(cfg, e) == 0 &&
	    load_metadata(cfg, prm, e) == 0 && load_bounds(cfg, e) == 0)
		rc = 0;
	cJSON_Delete(prm);
	return rc;
}
