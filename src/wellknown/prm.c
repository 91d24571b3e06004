/*
 * prm.c - protected resource metadata and health documents.
 */
#include "wellknown/prm.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config.h"
#include "lib/core/util.h"
#include "lib/keycache/jwks_cache.h"

/* Adds a JSON array of the strings of l to o under name. */
static void
add_list(cJSON *o, const char *name, const struct strlist *l)
{
	cJSON *a = cJSON_AddArrayToObject(o, name);

	for (size_t i = 0; i < l->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
}

char *
prm_document_new(const struct config *cfg)
{
	cJSON *o;
	char *s;

	if (cfg->prm_document != NULL)
		return xstrdup(cfg->prm_document);
	o = cJSON_CreateObject();
	/* RFC 9728 §3.3: resource is exactly the identifier clients used. */
	cJSON_AddStringToObject(o, "resource", cfg->resource);
	add_list(o, "authorization_servers", &cfg->authorization_servers);
	if (cfg->scopes_supported.n > 0)
		add_list(o, "scopes_supported", &cfg->scopes_supported);
	/* RFC 6750 §2.1 only: tokens in forms or query strings are refused. */
	cJSON_AddItemToObject(o, "bearer_methods_supported",
	                      cJSON_CreateStringArray((const char *[]){"header"}, 1));
	cJSON_AddStringToObject(o, "resource_name", cfg->resource_name);
	cJSON_AddStringToObject(o, "resource_documentation", cfg->resource_documentation);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

bool
prm_path_matches(const struct config *cfg, const char *path)
{
	size_t n = strlen(PRM_PATH);

	if (strncmp(path, PRM_PATH, n) != 0)
		return false;
	if (path[n] == '\0')
		return true;
	return strcmp(cfg->resource_path, "/") != 0 && strcmp(path + n, cfg->resource_path) == 0;
}

const char *
prm_folder_path(const struct config *cfg, const char *path)
{
	const char *slash = strrchr(cfg->resource_path, '/');
	size_t base = slash != NULL ? (size_t)(slash - cfg->resource_path) : 0;

	/* base: the folder's length without its last slash; 0 for the root folder. */
	if (base == 0 || strncmp(path, cfg->resource_path, base) != 0 || path[base] != '/')
		return path;
	return path + base;
}

char *
prm_health_new(const struct jwks_cache_status *st, int64_t now)
{
	cJSON *o = cJSON_CreateObject(), *keys;
	char *s;

	cJSON_AddStringToObject(o, "status", st->have_keys ? "ok" : "unavailable");
	cJSON_AddBoolToObject(o, "live", true);
	cJSON_AddBoolToObject(o, "ready", st->have_keys);
	keys = cJSON_AddObjectToObject(o, "keys");
	cJSON_AddNumberToObject(keys, "count", (double)st->n_keys);
	if (st->fetched_at > 0) {
		cJSON_AddNumberToObject(keys, "age_seconds", (double)(now - st->fetched_at));
		/* The cache's own judgement: its expiry is capped at ttl_max after the fetch. */
		cJSON_AddBoolToObject(keys, "fresh", st->fresh);
	}
	cJSON_AddBoolToObject(keys, "last_refresh_ok", st->last_ok);
	if (st->last_attempt > 0)
		cJSON_AddNumberToObject(keys, "last_attempt_age_seconds",
		                        (double)(now - st->last_attempt));
	if (st->last_error[0] != '\0') {
		/* Words of ours about a remote's answer: made valid UTF-8 for the JSON document. */
		char clean[sizeof(st->last_error) * 3];
		utf8_copy(clean, sizeof(clean), st->last_error);
		cJSON_AddStringToObject(keys, "last_error", clean);
	}
	/* Reachable as far as we know: the last attempt to reach the issuer worked. */
	cJSON_AddBoolToObject(o, "issuer_reachable", st->last_ok);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}
