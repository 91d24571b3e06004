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

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

/* RFC 8414 §3 and OpenID Connect Discovery 1.0 §4 well-known suffixes. */
#define WK_OAUTH "/.well-known/oauth-authorization-server"
#define WK_OIDC  "/.well-known/openid-configuration"
/* Authorization server metadata members (RFC 8414 §2). */
#define MD_ISSUER   "issuer"
#define MD_JWKS_URI "jwks_uri"

/* url_check()'s flags for a URL of src: plain http only when allowed. */
static unsigned
url_flags(const struct fetch_opts *fetch)
{
	return fetch->allow_http ? URL_HTTP_OK : 0;
}

int
jwks_remote_check(const struct jwks_remote *src, struct err *e)
{
	unsigned flags = url_flags(&src->fetch);
	struct err why;

	if (src->jwks_uri != NULL) {
		if (url_check(src->jwks_uri, flags, &why) != 0)
			return err_set(e, ERR_INVALID, "jwks_uri: %s", why.msg);
		return 0;
	}
	if (src->issuer == NULL)
		return err_set(e, ERR_INVALID, "neither jwks_uri nor issuer given");
	/* RFC 8414 §2: an issuer identifier has no query and no fragment. */
	if (url_check(src->issuer, flags | URL_NO_QUERY, &why) != 0)
		return err_set(e, ERR_INVALID, "issuer: %s", why.msg);
	if (strlen(src->issuer) + strlen(WK_OAUTH) > URL_MAX)
		return err_set(e, ERR_INVALID,
		               "issuer: longer than %zu bytes (its metadata URL "
		               "must fit %d)",
		               URL_MAX - strlen(WK_OAUTH), URL_MAX);
	return 0;
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
 * jwks_uri[URL_MAX + 1] when its "issuer" is exactly ours (RFC 8414 §3.3:
 * otherwise the metadata must not be used).  Returns 0, or -1 with the
 * reason in e ("discovery: ...", logged when a document came but was
 * refused) and *got telling whether a document came at all.
 */
static int
metadata_fetch(const char *issuer, const struct fetch_opts *fetch, const char *url, char *jwks_uri,
               struct err *e, bool *got)
{
	struct fetch_result r;
	const cJSON *iss, *uri;
	cJSON *root = NULL;
	struct err why;
	int rc = -1;

	*got = fetch_get(url, fetch, &r, e) == 0;
	if (!*got)
		return err_prefix(e, "discovery: metadata");
	root = cJSON_ParseWithLength(r.body, r.len);
	iss = cJSON_GetObjectItemCaseSensitive(root, MD_ISSUER);
	uri = cJSON_GetObjectItemCaseSensitive(root, MD_JWKS_URI);
	if (!cJSON_IsObject(root))
		err_set(e, ERR_UNAVAILABLE, "discovery: metadata is not a JSON object");
	else if (!cJSON_IsString(iss) || strcmp(iss->valuestring, issuer) != 0)
		err_set(e, ERR_UNAVAILABLE, "discovery: metadata names another issuer");
	else if (!cJSON_IsString(uri))
		err_set(e, ERR_UNAVAILABLE, "discovery: jwks_uri missing");
	else if (url_check(uri->valuestring, url_flags(fetch), &why) != 0)
		err_set(e, ERR_UNAVAILABLE, "discovery: jwks_uri refused: %s", why.msg);
	else {
		snprintf(jwks_uri, URL_MAX + 1, "%s", uri->valuestring);
		rc = 0;
	}
	if (rc != 0 && e != NULL)
		log_msg(LOGL_WARN, "jwks: %s: %s", url, e->msg);
	cJSON_Delete(root);
	fetch_result_free(&r);
	return rc;
}

/*
 * Finds issuer's jwks_uri: RFC 8414 metadata first, then OpenID Connect
 * Discovery.  Returns 0, or -1 with the reason in e: the first document
 * that came but was refused says more than a later 404, so its reason is
 * kept.
 */
static int
discover(const char *issuer, const struct fetch_opts *fetch, char *jwks_uri, struct err *e)
{
	char urls[2][URL_MAX + 1];
	struct err why;
	bool got, kept = false;
	int rc = -1;

	if (discovery_urls(issuer, urls[0], urls[1], sizeof(urls[0])) != 0)
		return err_set(e, ERR_UNAVAILABLE, "discovery: issuer URL too long");
	/* RFC 8414 first; OpenID Connect Discovery only when that gave nothing usable. */
	for (size_t i = 0; i < 2 && rc != 0; i++) {
		rc = metadata_fetch(issuer, fetch, urls[i], jwks_uri, &why, &got);
		if (rc != 0 && !kept) {
			if (e != NULL)
				*e = why;
			kept = got;
		}
	}
	return rc;
}

/*
 * Sets m->jwks_uri for a download: the configured URL, the discovered one
 * while younger than discovery_ttl, or a new discovery.  Returns 0, or -1
 * with the reason in e.
 */
static int
uri_resolve(const struct jwks_remote *src, int64_t now, struct jwks_meta *m, struct err *e)
{
	char uri[URL_MAX + 1];

	if (src->jwks_uri != NULL) {
		snprintf(m->jwks_uri, sizeof(m->jwks_uri), "%s", src->jwks_uri);
		m->discovered_at = 0;
		return 0;
	}
	if (m->jwks_uri[0] != '\0' && time_within(now, m->discovered_at, src->discovery_ttl))
		return 0;
	if (discover(src->issuer, &src->fetch, uri, e) != 0)
		return -1;
	snprintf(m->jwks_uri, sizeof(m->jwks_uri), "%s", uri);
	m->discovered_at = now;
	return 0;
}

int
jwks_remote_get(const struct jwks_remote *src, int64_t now, struct jwks_meta *m,
                struct fetch_result *r, struct jwk_set **set, struct err *e)
{
	struct err jerr;

	*r = (struct fetch_result){.body = NULL};
	*set = NULL;
	if (uri_resolve(src, now, m, e) != 0)
		return -1;
	if (fetch_get(m->jwks_uri, &src->fetch, r, e) != 0)
		return err_prefix(e, "fetch");
	/* Validate before anything is replaced: a bad document never evicts good keys. */
	if (jwk_set_parse(r->body, r->len, set, &jerr) != 0) {
		err_wrap(e, &jerr, ERR_UNAVAILABLE, "document");
		/* Without its query: a JWKS URL may carry a credential there. */
		log_msg(LOGL_WARN, "jwks: %.*s: document: %s; previous keys kept",
		        (int)strcspn(m->jwks_uri, "?#"), m->jwks_uri, jerr.msg);
		fetch_result_free(r);
		return -1;
	}
	/* The issuer's word even when empty: a key removed from its JWKS stops working now. */
	if (jwk_set_count(*set) == 0)
		log_msg(LOGL_WARN, "jwks: %.*s: %s; every token is refused until it has one",
		        (int)strcspn(m->jwks_uri, "?#"), m->jwks_uri, JWK_MSG_NO_KEYS);
	return 0;
}
