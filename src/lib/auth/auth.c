/*
 * auth.c - bearer token extraction, verification and challenges.
 */
#include "lib/auth/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/config/config.h"
#include "lib/keycache/jwks_cache.h"
#include "lib/core/log.h"
#include "lib/jose/token.h"

/*
 * Tokens this process verified recently, by SHA-256 of the whole token: a
 * client sends the same token for many requests, and the signature check is
 * the largest cost of a request.  An entry answers only for the exact same
 * bytes, only while the key set it was verified with is the current one
 * (rotation or removal of a key voids it), and exp is checked again on every
 * use.  nbf and iat passed at verification stay passed as time moves on.
 */
#define AUTH_MEMO_SLOTS 64

struct memo {
	unsigned char digest[SHA256_DIGEST_LENGTH];
	uint64_t generation; /* jwks_cache_generation() at verification */
	struct principal *p; /* owned; NULL for an empty slot */
};

struct auth {
	const struct config *cfg;
	struct token_policy policy;
	struct jwks_cache *cache;
	int64_t unavailable_logged; /* when "no usable keys" was last logged */
	struct err refusal;         /* the last token refusal; auth_check's *reason points here */
	struct memo memo[AUTH_MEMO_SLOTS];
	struct auth_stats stats;
};

int
auth_cache_new(const struct config *cfg, struct jwks_cache **out, char *err, size_t errlen)
{
	struct jwks_cache_opts opts = {
	    .state_dir = cfg->state_dir,
	    .jwks_uri = cfg->jwks_uri,
	    .issuer = cfg->issuers.v[0],
	    .fetch = {.allow_http = cfg->allow_http,
	              .proxy = cfg->proxy,
	              .ca_file = cfg->ca_file,
	              .max_redirects = 3},
	    .ttl_min = cfg->jwks_ttl_min,
	    .ttl_max = cfg->jwks_ttl_max,
	    .kid_throttle = cfg->jwks_throttle,
	    /* OAUTH_JWKS_MAX_STALE=0 means no stale keys at all; the cache reads 0 as "default". */
	    .max_stale = cfg->jwks_max_stale > 0 ? cfg->jwks_max_stale : -1,
	};
	char why[512] = "";
	enum jwks_err rc = jwks_cache_open(&opts, out, why, sizeof(why));

	/* One line naming the variable, with the reason: the cache has not logged it. */
	if (rc == JWKS_ERR_DISCOVERY)
		snprintf(err, errlen, CONFIG_JWKS_URI "/" CONFIG_ISSUER ": %s", why);
	else if (rc != JWKS_OK)
		snprintf(err, errlen, CONFIG_STATE_DIR ": %s", why);
	return rc == JWKS_OK ? 0 : -1;
}

struct auth *
auth_new(const struct config *cfg, char *err, size_t errlen)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->cfg = cfg;
	a->policy = (struct token_policy){
	    .issuers = (const char *const *)cfg->issuers.v,
	    .n_issuers = cfg->issuers.n,
	    .audiences = (const char *const *)cfg->audiences.v,
	    .n_audiences = cfg->audiences.n,
	    .alg_mask = cfg->alg_mask,
	    .leeway = cfg->leeway,
	};
	if (auth_cache_new(cfg, &a->cache, err, errlen) != 0) {
		free(a);
		return NULL;
	}
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < AUTH_MEMO_SLOTS; i++)
		principal_free(a->memo[i].p);
	jwks_cache_free(a->cache);
	free(a);
}

/* RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool
b64token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       strchr("-._~+/", c) != NULL;
}

const char *
auth_bearer_token(const char *header, size_t *len)
{
	const char *tok;
	size_t n = 0;

	if (header == NULL || strncasecmp(header, "Bearer", 6) != 0 ||
	    (header[6] != ' ' && header[6] != '\t'))
		return NULL;
	for (tok = header + 6; *tok == ' ' || *tok == '\t'; tok++)
		;
	while (tok[n] != '\0' && b64token_char(tok[n]))
		n++;
	if (n == 0)
		return NULL;
	while (tok[n] == '=')
		n++;
	/* Trailing white space is tolerated; anything else is not a b64token. */
	for (size_t i = n; tok[i] != '\0'; i++)
		if (tok[i] != ' ' && tok[i] != '\t')
			return NULL;
	*len = n;
	return tok;
}

/* Empties a memo slot. */
static void
memo_drop(struct memo *m)
{
	principal_free(m->p);
	m->p = NULL;
}

/*
 * Answers from the memo when it holds this exact token for the current
 * keys; returns 0 (with a copy in *out), -1 with e set (expired), or 1 for
 * "not remembered".
 */
static int
memo_lookup(struct auth *a, struct memo *m, const unsigned char *digest, uint64_t gen, int64_t now,
            struct principal **out, struct err *e)
{
	if (m->p == NULL || m->generation != gen ||
	    CRYPTO_memcmp(m->digest, digest, SHA256_DIGEST_LENGTH) != 0)
		return 1;
	/* The same rule as the first check (RFC 7519 §4.1.4 with leeway). */
	if (token_expired(m->p->exp, a->policy.leeway, now)) {
		memo_drop(m);
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_EXPIRED);
	}
	*out = principal_dup(m->p);
	a->stats.memo_hits++;
	return 0;
}

/*
 * Verifies once against the current keys: 0, or -1 with e set;
 * ERR_UNAVAILABLE with *kerr set when there are no usable keys (remembered
 * tokens included: fail closed).
 */
static int
verify(struct auth *a, const char *tok, size_t len, int64_t now, struct principal **out,
       enum jwks_err *kerr, struct err *e)
{
	const struct jwk_set *keys = NULL;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	int rc;
	struct memo *m;
	uint64_t gen;

	if ((*kerr = jwks_cache_keys(a->cache, now, &keys)) != JWKS_OK)
		return err_set(e, ERR_UNAVAILABLE, "signing keys unavailable");
	gen = jwks_cache_generation(a->cache);
	SHA256((const unsigned char *)tok, len, digest);
	m = &a->memo[(digest[0] | digest[1] << 8) % AUTH_MEMO_SLOTS];
	if ((rc = memo_lookup(a, m, digest, gen, now, out, e)) != 1)
		return rc;
	rc = token_verify(tok, len, keys, &a->policy, now, out, e);
	a->stats.verifications++;
	if (rc == 0) {
		memo_drop(m);
		m->p = principal_dup(*out);
		memcpy(m->digest, digest, sizeof(digest));
		m->generation = gen;
	}
	return rc;
}

enum auth_result
auth_check(struct auth *a, const char *authorization, int64_t now, struct principal **out,
           const char **reason)
{
	struct err *e = &a->refusal;
	enum jwks_err kerr;
	const char *tok;
	int rc;
	size_t len;

	*out = NULL;
	*reason = NULL;
	/* RFC 6750 §3.1: no Bearer credentials (another scheme, "Bearer" alone): no error code. */
	if (authorization == NULL || strncasecmp(authorization, "Bearer", 6) != 0 ||
	    (authorization[6] != ' ' && authorization[6] != '\t') ||
	    authorization[6 + strspn(authorization + 6, " \t")] == '\0') {
		*reason = "no bearer token";
		return AUTH_NO_TOKEN;
	}
	if ((tok = auth_bearer_token(authorization, &len)) == NULL) {
		*reason = "malformed Authorization header";
		return AUTH_INVALID;
	}
	rc = verify(a, tok, len, now, out, &kerr, e);
	if (rc != 0 && e->code == ERR_NOT_FOUND) {
		/* Key rotation: one refresh, throttled across processes against forged kids. */
		if (jwks_cache_refresh_unknown_kid(a->cache, now) == JWKS_OK)
			rc = verify(a, tok, len, now, out, &kerr, e);
	}
	if (rc != 0 && e->code == ERR_UNAVAILABLE) {
		/* Once a minute is enough: the cache logs each failed refresh itself. */
		if (now - a->unavailable_logged >= 60) {
			log_msg(LOGL_ERROR, "no usable signing keys (%s): requests fail with 503",
			        jwks_cache_strerror(kerr));
			a->unavailable_logged = now;
		}
		*reason = "signing keys unavailable";
		return AUTH_UNAVAILABLE;
	}
	if (rc != 0) {
		*reason = e->msg;
		return AUTH_INVALID;
	}
	return AUTH_OK;
}

/* Appends a formatted piece to buf at *off, never past len. */
__attribute__((format(printf, 4, 5))) static void
append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

char *
auth_challenge(const struct config *cfg, const char *error, const char *description,
               const char *scope, char *buf, size_t len)
{
	size_t off = 0;

	append(buf, len, &off, "Bearer realm=\"" AUTH_REALM "\"");
	if (error != NULL)
		append(buf, len, &off, ", error=\"%s\"", error);
	/* Descriptions are fixed texts of ours: no quote or backslash to escape. */
	if (description != NULL)
		append(buf, len, &off, ", error_description=\"%s\"", description);
	if (scope == NULL && cfg->scopes_supported.n > 0) {
		append(buf, len, &off, ", scope=\"");
		for (size_t i = 0; i < cfg->scopes_supported.n; i++)
			append(buf, len, &off, "%s%s", i ? " " : "", cfg->scopes_supported.v[i]);
		append(buf, len, &off, "\"");
	} else if (scope != NULL) {
		append(buf, len, &off, ", scope=\"%s\"", scope);
	}
	/* RFC 9728 §5.1: where clients find the protected resource metadata. */
	append(buf, len, &off, ", resource_metadata=\"%s\"", cfg->prm_url);
	if (off >= len && len > 0)
		buf[len - 1] = '\0';
	return buf;
}

void
auth_stats_get(const struct auth *a, struct auth_stats *out)
{
	*out = a->stats;
}
