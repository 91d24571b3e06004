/*
 * jwks_remote.h - the network side of the JWKS cache: which URL the keys
 * come from (configured, or found in the issuer's own metadata: RFC 8414,
 * then OpenID Connect Discovery 1.0), the checks on such URLs, and the
 * download and validation of a new JWKS document.
 *
 * An internal module of jwks_cache (it uses that module's error codes).
 * It keeps no state and writes no file: what it learns goes into the
 * struct jwks_meta the caller passes, and the caller records it.  Nothing
 * from a token reaches it: every URL comes from configuration or from the
 * issuer's metadata.
 */
#ifndef JWKS_REMOTE_H
#define JWKS_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/keycache/fetch.h"
#include "lib/jose/jwk.h"
#include "lib/keycache/jwks_cache.h"
#include "lib/keycache/internal/jwks_meta.h"

/* Where the keys come from.  Every pointer is borrowed for each call. */
struct jwks_remote {
	const char *jwks_uri;    /* the configured JWKS URL, or NULL: discover it */
	const char *issuer;      /* for discovery; ignored when jwks_uri is set */
	struct fetch_opts fetch; /* for every download (metadata and JWKS) */
	int64_t discovery_ttl;   /* seconds a discovered jwks_uri is reused */
};

/*
 * True when url is an absolute URL the cache may fetch: at most
 * FETCH_URL_MAX bytes, no space or control character, https (or http when
 * allow_http).  url NULL -> false.
 */
bool jwks_remote_url_valid(const char *url, bool allow_http);

/*
 * True when issuer is usable for discovery: a valid URL as above with no
 * query or fragment (RFC 8414 §2), short enough for its longest
 * well-known URL to fit FETCH_URL_MAX.  issuer NULL -> false.
 */
bool jwks_remote_issuer_valid(const char *issuer, bool allow_http);

/*
 * Downloads a new JWKS document at now for src.  First the URL, recorded
 * in m: src->jwks_uri when set (m->discovered_at 0); else m->jwks_uri
 * while m->discovered_at is less than discovery_ttl seconds before now;
 * else a new discovery, which sets m->jwks_uri and m->discovered_at = now
 * (kept even when the download then fails).  Discovery fetches
 * <origin>/.well-known/oauth-authorization-server<path> (RFC 8414 §3, the
 * path-insertion form), then <issuer>/.well-known/openid-configuration
 * (OpenID Connect Discovery 1.0 §4); the first JSON object whose "issuer"
 * equals src->issuer exactly (RFC 8414 §3.3) and whose "jwks_uri" passes
 * jwks_remote_url_valid() wins.  src->issuer must pass
 * jwks_remote_issuer_valid() when src->jwks_uri is NULL.
 *
 * Returns JWKS_OK with *r owning the body (r->max_age: its Cache-Control
 * lifetime) and *set the parsed keys, both for the caller to free.  Else
 * *r holds no body, *set is NULL, why[why_len] says what failed ("fetch:
 * ...", "document: ...", "discovery: ...") and the result is
 * JWKS_ERR_FETCH, JWKS_ERR_DOCUMENT, JWKS_ERR_DISCOVERY or JWKS_ERR_NOMEM.
 * A refused document or metadata is logged at warn level.
 */
enum jwks_err jwks_remote_get(const struct jwks_remote *src, int64_t now, struct jwks_meta *m,
                              struct fetch_result *r, struct jwk_set **set, char *why,
                              size_t why_len);

#endif /* JWKS_REMOTE_H */
