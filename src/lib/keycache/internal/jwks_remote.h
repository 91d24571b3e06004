/*
 * jwks_remote.h - the network side of the JWKS cache: which URL the keys
 * come from (configured, or found in the issuer's own metadata: RFC 8414,
 * then OpenID Connect Discovery 1.0), the checks on such URLs, and the
 * download and validation of a new JWKS document.
 *
 * Internal to the key cache: included by jwks_cache.c (and the key cache's
 * tests), never from outside src/lib/keycache.  Below it are only fetch
 * (the downloads) and jwks_meta (the record it fills).  It keeps no state
 * and writes no file: what it learns goes into the struct jwks_meta the
 * caller passes, and the caller records it.  Nothing from a token reaches
 * it: every URL comes from configuration or from the issuer's metadata.
 */
#ifndef JWKS_REMOTE_H
#define JWKS_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/jose/jwk.h"
#include "lib/keycache/fetch.h"
#include "lib/keycache/internal/jwks_meta.h"

struct err;

/* Where the keys come from.  Every pointer is borrowed for each call. */
struct jwks_remote {
	const char *jwks_uri;    /* the configured JWKS URL, or NULL: discover it */
	const char *issuer;      /* for discovery; ignored when jwks_uri is set */
	struct fetch_opts fetch; /* for every download (metadata and JWKS) */
	int64_t discovery_ttl;   /* seconds a discovered jwks_uri is reused */
};

/*
 * Checks src before any download: src->jwks_uri when set, else
 * src->issuer, must pass url_check() (https unless src->fetch.allow_http;
 * an issuer also without query, RFC 8414 §2), and an issuer must be short
 * enough for its longest well-known URL to fit URL_MAX.  Returns 0, or -1
 * with ERR_INVALID in e: "jwks_uri: <rule>", "issuer: <rule>", or "neither
 * jwks_uri nor issuer given".
 */
int jwks_remote_check(const struct jwks_remote *src, struct err *e);

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
 * url_check() (https unless allowed) wins.  src must have passed
 * jwks_remote_check().
 *
 * Returns 0 with *r owning the body (r->max_age: its Cache-Control
 * lifetime) and *set the parsed keys, both for the caller to free.  Else -1:
 * *r holds no body, *set is NULL and e says what failed, its message
 * starting with the step: "fetch: <fetch_get's message>" (fetch_get's code:
 * ERR_UNAVAILABLE, ERR_TOO_LARGE, ERR_INVALID for a refused redirect),
 * "document: <why the JWKS was refused>" (ERR_UNAVAILABLE) or "discovery:
 * ..." (ERR_UNAVAILABLE for metadata unusable, or a metadata fetch's code).
 * A refused document or metadata is logged at warn level with its URL.
 */
int jwks_remote_get(const struct jwks_remote *src, int64_t now, struct jwks_meta *m,
                    struct fetch_result *r, struct jwk_set **set, struct err *e);

#endif /* JWKS_REMOTE_H */
