/*
 * auth.c - bearer token extraction, verification and challenges.
 */
#include "lib/auth/auth.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/config/config.h"
#include "lib/core/err.h"
#include "lib/keycache/jwks_cache.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/token.h"
#include "lib/jose/token_memo.h"
#include "lib/keycache/sig_memo.h"

struct auth {
	const struct config *cfg;
	struct token_policy policy;
	struct jwks_cache *cache;
	int64_t unavailable_logged; /* when "no usable keys" was last logged */
	struct token_memo *memo;    /* tokens verified with the current keys */
	struct sig_memo *sigs;      /* signatures any process verified (state directory) */
	struct token_sig_memo sig_ops;
	struct auth_stats stats;
};

/* The verifier's view of the shared signature memo (token.h, sig_memo.h). */
_Static_assert(SIG_MEMO_DIGEST == TOKEN_SIG_DIGEST, "one digest size");
static bool
sigs_seen(void *ctx, const unsigned char digest[TOKEN_SIG_DIGEST])
{
	return sig_memo_seen(ctx, digest);
}

static void
sigs_remember(void *ctx, const unsigned char digest[TOKEN_SIG_DIGEST])
{
	sig_memo_remember(ctx, digest);
}

int
auth_cache_open(const struct config *cfg, struct jwks_cache **out, struct err *e)
{
	struct jwks_cache_opts opts = {
	    .state_dir = cfg->state_dir,
	    .jwks_file = cfg->jwks_file,
	    .jwks_uri = cfg->jwks_uri,
	    .issuer = cfg->issuers.v[0],
	    .fetch = {.allow_http = cfg->allow_http,
	              .proxy = cfg->proxy,
	              .ca_file = cfg->ca_file,
	              .max_redirects = 3},
	    .ttl_min = cfg->jwks_ttl_min,
	    .ttl_max = cfg->jwks_ttl_max,
	    .kid_throttle = cfg->jwks_throttle,
	    .max_stale = cfg->jwks_max_stale,
	};
	struct err why;
	int rc = jwks_cache_open(&opts, out, &why);

	if (rc == 0)
		return 0;
	/*
	 * One line naming the variable, with the reason (the cache has not
	 * logged it): a state directory the system refuses, or no usable key source.
	 */
	return err_wrap(e, &why, ERR_CONFIG, "%s",
	                why.code == ERR_SYSTEM   ? CONFIG_STATE_DIR
	                : cfg->jwks_file != NULL ? CONFIG_JWKS_FILE
	                                         : CONFIG_JWKS_URI "/" CONFIG_ISSUER);
}

struct auth *
auth_new(const struct config *cfg, struct err *e)
{
	struct auth *a = xcalloc(1, sizeof(*a));

	a->cfg = cfg;
	a->policy = (struct token_policy){
	    .issuers = (const char *const *)cfg->issuers.v,
	    .n_issuers = cfg->issuers.n,
	    .audiences = (const char *const *)cfg->audiences.v,
	    .n_audiences = cfg->audiences.n,
	    .alg_mask = cfg->alg_mask,
	    .leeway = cfg->leeway,
	    .types = cfg->token_types,
	};
	if (auth_cache_open(cfg, &a->cache, e) != 0) {
		free(a);
		return NULL;
	}
	a->memo = token_memo_new();
	a->sigs = sig_memo_new(cfg->state_dir);
	a->sig_ops =
	    (struct token_sig_memo){.seen = sigs_seen, .remember = sigs_remember, .ctx = a->sigs};
	a->policy.sig_memo = &a->sig_ops;
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	token_memo_free(a->memo);
	sig_memo_free(a->sigs);
	jwks_cache_free(a->cache);
	free(a);
}

/*
 * RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
 * A table: every request's token, some 700 characters, is scanned here.
 * Rows of 32 bytes from 0x00; from 0x80 on (not ASCII) every entry is zero.
 */
static const unsigned char b64token_set[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,
};

static bool
b64token_char(char c)
{
	return b64token_set[(unsigned char)c] != 0;
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
	/* NUL is no b64token character: the table ends the scan at the string's end. */
	while (b64token_char(tok[n]) && b64token_char(tok[n + 1]) && b64token_char(tok[n + 2]) &&
	       b64token_char(tok[n + 3]))
		n += 4;
	while (b64token_char(tok[n]))
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

/* No usable keys: fail closed, and say so in the log once a minute. */
static int
keys_unavailable(struct auth *a, const struct err *kerr, int64_t now, struct err *e)
{
	/* The cache logs each failed refresh itself. */
	if (now - a->unavailable_logged >= 60) {
		log_msg(LOGL_ERROR, "no usable signing keys (%s): requests fail with 503",
		        kerr->msg);
		a->unavailable_logged = now;
	}
	return err_set(e, ERR_UNAVAILABLE, "signing keys unavailable");
}

/*
 * Verifies once against the current keys, answering from the memo when it
 * holds this exact token: 0, or -1 with e set (ERR_UNAVAILABLE when there
 * are no usable keys, remembered tokens included: fail closed; ERR_NOT_FOUND
 * for an unknown kid; ERR_INVALID for every other refusal).
 */
static int
verify(struct auth *a, const char *tok, size_t len, int64_t now, struct principal **out,
       struct err *e)
{
	const struct jwk_set *keys = NULL;
	struct err kerr;
	uint64_t gen;
	int rc;

	if (jwks_cache_keys(a->cache, now, &keys, &kerr) != 0)
		return keys_unavailable(a, &kerr, now, e);
	gen = jwks_cache_generation(a->cache);
	rc = token_memo_find(a->memo, tok, len, gen, a->policy.leeway, now, out);
	if (rc == 0) {
		a->stats.memo_hits++;
		return 0;
	}
	if (rc < 0)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_EXPIRED);
	a->stats.verifications++;
	if ((rc = token_verify(tok, len, keys, &a->policy, now, out, e)) == 0)
		token_memo_put(a->memo, tok, len, gen, *out);
	return rc;
}

/* RFC 6750 §3.1: no Bearer credentials (none, another scheme, "Bearer" alone). */
static bool
no_credentials(const char *authorization)
{
	return authorization == NULL || strncasecmp(authorization, "Bearer", 6) != 0 ||
	       (authorization[6] != ' ' && authorization[6] != '\t') ||
	       authorization[6 + strspn(authorization + 6, " \t")] == '\0';
}

bool
auth_query_has_token(const char *query)
{
	static const char name[] = "access_token";
	const size_t n = sizeof(name) - 1;

	/* Parameters are split on '&' (and ';', which some servers still take). */
	for (const char *p = query; p != NULL && *p != '\0';
	     p += strcspn(p, "&;"), p += *p != '\0') {
		if (strncmp(p, name, n) == 0 &&
		    (p[n] == '=' || p[n] == '&' || p[n] == ';' || p[n] == '\0'))
			return true;
	}
	return false;
}

int
auth_check(struct auth *a, const char *authorization, const char *query, int64_t now,
           struct principal **out, struct err *e)
{
	const char *tok;
	size_t len;
	struct err why;

	*out = NULL;
	if (no_credentials(authorization))
		return err_set(e, ERR_NOT_FOUND, "no bearer token");
	/* RFC 6750 §2: a client MUST NOT use more than one method to send the token. */
	if (auth_query_has_token(query))
		return err_set(e, ERR_INVALID, "access token sent in more than one place");
	if ((tok = auth_bearer_token(authorization, &len)) == NULL)
		return err_set(e, ERR_INVALID, "malformed Authorization header");
	if (verify(a, tok, len, now, out, &why) == 0)
		return 0;
	/* Key rotation: one refresh, throttled across processes against forged kids. */
	if (why.code == ERR_NOT_FOUND && jwks_cache_refresh_unknown_kid(a->cache, now, NULL) == 0 &&
	    verify(a, tok, len, now, out, &why) == 0)
		return 0;
	/* Whatever a refused token's reason, it is an invalid token (RFC 6750 §3.1). */
	if (why.code != ERR_UNAVAILABLE)
		why.code = ERR_DENIED;
	if (e != NULL)
		*e = why;
	return -1;
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
