/*
 * jwks_remote.c - discovery (RFC 8414, OpenID Connect Discovery 1.0) and
 * download of the JWKS for the cache.
 *
 * Only the metadata's "issuer" and "jwks_uri" are read.  The issuer check
 * (RFC 8414 §3.3) is exact, byte for byte: metadata for a look-alike issuer
 * (another host, a trailing slash) must not pick where our keys come from.
 * A downloaded document is parsed in full before it is returned, so a bad
 * one never reaches the cache file.
 */
#include "lib/keycache/internal/jwks_remote.h"

#include "lib/core/log.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 8414 §3 and OpenID Connect Discovery 1.0 §4 well-known suffixes. */
#define WK_OAUTH "/.well-known/oauth-authorization-server"
#define WK_OIDC  "/.well-known/openid-configuration"
/* Authorization server metadata members (RFC 8414 §2). */
#define MD_ISSUER   "issuer"
#define MD_JWKS_URI "jwks_uri"

bool
jwks_remote_url_valid(const char *url, bool allow_http)
{
	size_t len = url != NULL ? strnlen(url, FETCH_URL_MAX + 1) : 0;

	if (len == 0 || len > FETCH_URL_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
			return false;
	return strncasecmp(url, "https://", 8) == 0 ||
	       (allow_http && strncasecmp(url, "http://", 7) == 0);
}

bool
jwks_remote_issuer_valid(const char *issuer, bool allow_http)
{
	return jwks_remote_url_valid(issuer, allow_http) && strpbrk(issuer, "?#") == NULL &&
	       strlen(issuer) + strlen(WK_OAUTH) <= FETCH_URL_MAX;
}

/*
 * Builds the metadata URLs for issuer: oauth in the RFC 8414 §3 form (the
 * well-known path inserted between the authority and the issuer's path,
 * whose terminating "/" is removed) and oidc in the OpenID Connect
 * Discovery 1.0 §4 form (appended).  Returns 0, or -1 when too long.
 */
static int
discovery_urls(const char *issuer, char *oauth, char *oidc, size_t cap)
{
	const char *auth = strstr(issuer, "://") + 3, *path = auth + strcspn(auth, "/");
	int origin_len = (int)(path - issuer), plen = (int)strlen(path), w1, w2;

	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	w1 = snprintf(oauth, cap, "%.*s%s%.*s", origin_len, issuer, WK_OAUTH, plen, path);
	w2 = snprintf(oidc, cap, "%.*s%s", origin_len + plen, issuer, WK_OIDC);
	return w1 < 0 || w2 < 0 || (size_t)w1 >= cap || (size_t)w2 >= cap ? -1 : 0;
}

/*
 * Fetches one metadata document and copies its jwks_uri into
 * jwks_uri[FETCH_URL_MAX + 1] when its "issuer" is exactly ours (RFC 8414
 * §3.3: otherwise the metadata must not be used).  Returns JWKS_OK,
 * JWKS_ERR_NOMEM, or JWKS_ERR_DISCOVERY with the reason in why (logged) and
 * *got telling whether a document came at all.
 */
static enum jwks_err
metadata_fetch(const char *issuer, const struct fetch_opts *fetch, const char *url, char *jwks_uri,
               char *why, size_t why_len, bool *got)
{
	struct fetch_result r;
	enum fetch_err ferr = fetch_get(url, fetch, &r);
	enum jwks_err err = JWKS_ERR_DISCOVERY;
	const cJSON *iss, *uri;
	cJSON *root = NULL;

	*got = ferr == FETCH_OK;
	if (ferr != FETCH_OK) {
		/* fetch_get logged the details. */
		snprintf(why, why_len, "discovery: metadata: %s", fetch_strerror(ferr));
		return ferr == FETCH_ERR_NOMEM ? JWKS_ERR_NOMEM : JWKS_ERR_DISCOVERY;
	}
	root = cJSON_ParseWithLength(r.body, r.len);
	iss = cJSON_GetObjectItemCaseSensitive(root, MD_ISSUER);
	uri = cJSON_GetObjectItemCaseSensitive(root, MD_JWKS_URI);
	if (!cJSON_IsObject(root))
		snprintf(why, why_len, "discovery: metadata is not a JSON object");
	else if (!cJSON_IsString(iss) || strcmp(iss->valuestring, issuer) != 0)
		snprintf(why, why_len, "discovery: metadata names another issuer");
	else if (!cJSON_IsString(uri) ||
	         !jwks_remote_url_valid(uri->valuestring, fetch->allow_http))
		snprintf(why, why_len, "discovery: jwks_uri missing or not %s",
		         fetch->allow_http ? "http(s)" : "https");
	else {
		snprintf(jwks_uri, FETCH_URL_MAX + 1, "%s", uri->valuestring);
		err = JWKS_OK;
	}
	if (err != JWKS_OK)
		log_msg(LOGL_WARN, "jwks: %s: %s", url, why);
	cJSON_Delete(root);
	fetch_result_free(&r);
	return err;
}

/*
 * Finds issuer's jwks_uri: RFC 8414 metadata first, then OpenID Connect
 * Discovery.  Returns JWKS_OK, JWKS_ERR_NOMEM or JWKS_ERR_DISCOVERY with the
 * reason in why: the first document that came but was refused says more
 * than a later 404, so its reason is kept.
 */
static enum jwks_err
discover(const char *issuer, const struct fetch_opts *fetch, char *jwks_uri, char *why,
         size_t why_len)
{
	char urls[2][FETCH_URL_MAX + 1], reason[JWKS_META_ERROR_MAX];
	enum jwks_err err = JWKS_ERR_DISCOVERY;
	bool got, kept = false;

	if (discovery_urls(issuer, urls[0], urls[1], sizeof(urls[0])) != 0) {
		snprintf(why, why_len, "discovery: issuer URL too long");
		return JWKS_ERR_DISCOVERY;
	}
	/* RFC 8414 first; OpenID Connect Discovery only when that gave nothing usable. */
	for (size_t i = 0; i < 2 && err == JWKS_ERR_DISCOVERY; i++) {
		err =
		    metadata_fetch(issuer, fetch, urls[i], jwks_uri, reason, sizeof(reason), &got);
		if (err != JWKS_OK && !kept) {
			snprintf(why, why_len, "%s", reason);
			kept = got;
		}
	}
	return err;
}

/* True when t happened within the last span seconds before now. */
static bool
within(int64_t now, int64_t t, int64_t span)
{
	return t > 0 && now >= t && now - t < span;
}

/*
 * Sets m->jwks_uri for a download: the configured URL, the discovered one
 * while younger than discovery_ttl, or a new discovery.  Returns JWKS_OK,
 * JWKS_ERR_NOMEM or JWKS_ERR_DISCOVERY (reason in why).
 */
static enum jwks_err
uri_resolve(const struct jwks_remote *src, int64_t now, struct jwks_meta *m, char *why,
            size_t why_len)
{
	char uri[FETCH_URL_MAX + 1];
	enum jwks_err err;

	if (src->jwks_uri != NULL) {
		snprintf(m->jwks_uri, sizeof(m->jwks_uri), "%s", src->jwks_uri);
		m->discovered_at = 0;
		return JWKS_OK;
	}
	if (m->jwks_uri[0] != '\0' && within(now, m->discovered_at, src->discovery_ttl))
		return JWKS_OK;
	if ((err = discover(src->issuer, &src->fetch, uri, why, why_len)) != JWKS_OK)
		return err;
	snprintf(m->jwks_uri, sizeof(m->jwks_uri), "%s", uri);
	m->discovered_at = now;
	return JWKS_OK;
}

enum jwks_err
jwks_remote_get(const struct jwks_remote *src, int64_t now, struct jwks_meta *m,
                struct fetch_result *r, struct jwk_set **set, char *why, size_t why_len)
{
	enum jwks_err err;
	enum fetch_err ferr;
	struct err jerr;

	*r = (struct fetch_result){.body = NULL};
	*set = NULL;
	if ((err = uri_resolve(src, now, m, why, why_len)) != JWKS_OK)
		return err;
	if ((ferr = fetch_get(m->jwks_uri, &src->fetch, r)) != FETCH_OK) {
		if (ferr == FETCH_ERR_STATUS)
			snprintf(why, why_len, "fetch: HTTP status %ld", r->status);
		else
			snprintf(why, why_len, "fetch: %s", fetch_strerror(ferr));
		return ferr == FETCH_ERR_NOMEM ? JWKS_ERR_NOMEM : JWKS_ERR_FETCH;
	}
	/* Validate before anything is replaced: a bad document never evicts good keys. */
	if (jwk_set_parse(r->body, r->len, set, &jerr) != 0) {
		snprintf(why, why_len, "document: %s", jerr.msg);
		/* Without its query: a JWKS URL may carry a credential there. */
		log_msg(LOGL_WARN, "jwks: %.*s: %s; previous keys kept",
		        (int)strcspn(m->jwks_uri, "?#"), m->jwks_uri, why);
		fetch_result_free(r);
		return JWKS_ERR_DOCUMENT;
	}
	return JWKS_OK;
}
