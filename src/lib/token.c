/*
 * token.c - JWT access token verification (RFC 7515, RFC 7519, RFC 9068,
 * with the RFC 8725 best current practices).
 */
#include "lib/token.h"

#include "lib/b64url.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* JOSE header parameters (RFC 7515 §4.1). */
#define HDR_ALG  "alg"
#define HDR_CRIT "crit"
#define HDR_TYP  "typ"
#define HDR_KID  "kid"

/* Claims (RFC 7519 §4.1, RFC 9068 §2.2, RFC 8693 §4.3) and common vendor names. */
#define CLM_ISS       "iss"
#define CLM_SUB       "sub"
#define CLM_AUD       "aud"
#define CLM_EXP       "exp"
#define CLM_NBF       "nbf"
#define CLM_IAT       "iat"
#define CLM_JTI       "jti"
#define CLM_CLIENT_ID "client_id"
#define CLM_AZP       "azp"
#define CLM_ORG_ID    "org_id"
#define CLM_OID       "oid"
#define CLM_SCOPE     "scope"
#define CLM_SCP       "scp"
#define CLM_SCOPES    "scopes"

/* More top-level members than this in the header or the claims is refused. */
#define TOKEN_MEMBERS_MAX 256
/* Latest NumericDate accepted: 9999-12-31T23:59:59Z. */
#define TOKEN_TIME_MAX INT64_C(253402300799)

/* A borrowed slice of the compact token. */
struct span {
	const char *p;
	size_t len;
};

static const char *const token_err_names[TOKEN_ERR__MAX] = {
    [TOKEN_OK] = "ok",
    [TOKEN_ERR_TOO_LONG] = "token too long",
    [TOKEN_ERR_MALFORMED] = "token is not a compact JWS",
    [TOKEN_ERR_HEADER] = "invalid token header",
    [TOKEN_ERR_ALG] = "token algorithm not allowed",
    [TOKEN_ERR_CRIT] = "token has critical header extensions",
    [TOKEN_ERR_TYP] = "token type is not an access token",
    [TOKEN_ERR_KID_UNKNOWN] = "token signing key unknown",
    [TOKEN_ERR_KID_AMBIGUOUS] = "token signing key ambiguous",
    [TOKEN_ERR_SIGNATURE] = "invalid token signature",
    [TOKEN_ERR_CLAIMS] = "invalid token claims",
    [TOKEN_ERR_NO_EXP] = "token has no expiry",
    [TOKEN_ERR_EXPIRED] = "token expired",
    [TOKEN_ERR_NOT_YET_VALID] = "token not yet valid",
    [TOKEN_ERR_IAT_FUTURE] = "token issued in the future",
    [TOKEN_ERR_ISSUER] = "token issuer not accepted",
    [TOKEN_ERR_AUDIENCE] = "token audience not accepted",
    [TOKEN_ERR_NOMEM] = "out of memory",
};

const char *
token_strerror(enum token_err err)
{
	if ((unsigned)err >= TOKEN_ERR__MAX)
		return "invalid token";
	return token_err_names[err];
}

/*
 * Splits the compact serialization (RFC 7515 §7.1) into its three parts:
 * exactly two dots, no empty part, each part canonical base64url.  The JWE
 * form (five parts) and the unsecured form (empty signature) fail here.
 */
static enum token_err
parts_split(const char *token, size_t len, size_t max, struct span part[3])
{
	size_t n = 0, start = 0;

	if (len > max)
		return TOKEN_ERR_TOO_LONG;
	if (token == NULL)
		return TOKEN_ERR_MALFORMED;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && token[i] != '.')
			continue;
		if (n == 3 || i == start || !b64url_valid(token + start, i - start))
			return TOKEN_ERR_MALFORMED;
		part[n].p = token + start;
		part[n].len = i - start;
		n++;
		start = i + 1;
	}
	return n == 3 ? TOKEN_OK : TOKEN_ERR_MALFORMED;
}

/* Wipes and frees a decoded buffer of len bytes (plus its NUL). */
static void
wipe_free(unsigned char *buf, size_t len)
{
	if (buf == NULL)
		return;
	explicit_bzero(buf, len + 1);
	free(buf);
}

/*
 * Parses decoded JSON text (len bytes, NUL-terminated by the decoder) into
 * an object.  Refuses non-objects, trailing data, a NUL inside the text or
 * escaped as \u0000 (cJSON would cut the string there, so "iss":"a\u0000b"
 * would compare as "a"), and duplicate member names, which RFC 7515 §4 and
 * RFC 7519 §4 let a verifier reject and which parsers disagree on.
 */
static cJSON *
json_object_parse(const unsigned char *text, size_t len)
{
	const char *s = (const char *)text;
	cJSON *o = NULL, *ret = NULL;
	const cJSON *a, *b;
	size_t n = 0;

	if (strlen(s) != len || strstr(s, "\\u0000") != NULL)
		return NULL;
	o = cJSON_ParseWithOpts(s, NULL, 1);
	if (!cJSON_IsObject(o))
		goto out;
	for (a = o->child; a != NULL; a = a->next) {
		if (++n > TOKEN_MEMBERS_MAX || a->string == NULL)
			goto out;
		for (b = o->child; b != a; b = b->next) {
			if (strcmp(a->string, b->string) == 0)
				goto out;
		}
	}
	ret = o;
	o = NULL;
out:
	cJSON_Delete(o);
	return ret;
}

/* Decodes one base64url part and parses it as a JSON object, or NULL. */
static cJSON *
part_json(const struct span *part)
{
	unsigned char *text = NULL;
	size_t len = 0;
	cJSON *o;

	if (b64url_decode_alloc(part->p, part->len, &text, &len) != 0)
		return NULL;
	o = json_object_parse(text, len);
	wipe_free(text, len);
	return o;
}

/*
 * RFC 9068 §2.1 types access tokens "at+jwt"; plain JWTs ("JWT", RFC 7519
 * §5.1) are still what many issuers send.  RFC 7515 §4.1.9 lets the
 * "application/" prefix be omitted and asks for case-insensitive matching.
 * Any other type (id_token+jwt, dpop+jwt, logout+jwt, ...) is another kind
 * of token and must not pass as an access token (RFC 8725 §3.11).
 */
static bool
typ_accepted(const char *typ)
{
	static const char *const ok[] = {"JWT", "application/jwt", "at+jwt", "application/at+jwt"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (strcasecmp(typ, ok[i]) == 0)
			return true;
	}
	return false;
}

/*
 * Checks the JOSE header: alg, crit, typ; sets *alg and *kid (borrowed
 * from hdr, NULL when absent).  No key has been touched yet.
 */
static enum token_err
header_check(const cJSON *hdr, unsigned alg_mask, enum jwk_alg *alg, const char **kid)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(hdr, HDR_ALG);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(hdr, HDR_TYP);
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(hdr, HDR_KID);

	/* RFC 8725 §3.1-3.2: none and HS* are unknown names to jwk_alg_parse. */
	if (!cJSON_IsString(a) || jwk_alg_parse(a->valuestring, alg) != 0 ||
	    (alg_mask & JWK_ALG_BIT(*alg)) == 0)
		return TOKEN_ERR_ALG;
	/* RFC 7515 §4.1.11: we understand no extension, so any crit is fatal. */
	if (cJSON_GetObjectItemCaseSensitive(hdr, HDR_CRIT) != NULL)
		return TOKEN_ERR_CRIT;
	if (t != NULL && (!cJSON_IsString(t) || !typ_accepted(t->valuestring)))
		return TOKEN_ERR_TYP;
	/*
	 * jku, x5u, jwk and x5c are never read: a key named by the token
	 * itself proves nothing (RFC 8725 §3.10).  kid only selects from our set.
	 */
	*kid = NULL;
	if (k != NULL) {
		if (!cJSON_IsString(k) || strlen(k->valuestring) > JWK_KID_MAX)
			return TOKEN_ERR_HEADER;
		*kid = k->valuestring;
	}
	return TOKEN_OK;
}

/*
 * Picks the key for kid and alg.  With a kid: no key with it is
 * KID_UNKNOWN, keys with it that cannot do alg are ALG, more than one that
 * can is KID_AMBIGUOUS.  Without a kid the set must hold exactly one key
 * fit for alg (KID_AMBIGUOUS otherwise): trying keys in turn would let a
 * token pick its key.
 */
static enum token_err
key_select(const struct jwk_set *keys, const char *kid, enum jwk_alg alg, const struct jwk **out)
{
	size_t n_kid = 0, n_fit = 0;

	for (size_t i = 0; i < jwk_set_count(keys); i++) {
		const struct jwk *k = jwk_set_get(keys, i);

		if (kid != NULL) {
			if (jwk_kid(k) == NULL || strcmp(jwk_kid(k), kid) != 0)
				continue;
			n_kid++;
		}
		if (jwk_alg_fits(k, alg)) {
			n_fit++;
			*out = k;
		}
	}
	if (kid != NULL && n_kid == 0)
		return TOKEN_ERR_KID_UNKNOWN;
	if (kid != NULL && n_fit == 0)
		return TOKEN_ERR_ALG;
	return n_fit == 1 ? TOKEN_OK : TOKEN_ERR_KID_AMBIGUOUS;
}

/* Decodes the signature part and verifies it over part[0] "." part[1]. */
static enum token_err
signature_check(const struct jwk *key, enum jwk_alg alg, const struct span part[3])
{
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int rc;

	/* parts_split checked the encoding: only allocation can fail here. */
	if (b64url_decode_alloc(part[2].p, part[2].len, &sig, &siglen) != 0)
		return TOKEN_ERR_NOMEM;
	/* RFC 7515 §5.2 step 8: the input is the encoded text, as received. */
	rc = jwk_verify(key, alg, part[0].p, part[0].len + 1 + part[1].len, sig, siglen);
	wipe_free(sig, siglen);
	return rc == 0 ? TOKEN_OK : TOKEN_ERR_SIGNATURE;
}

/*
 * Reads the NumericDate claim name (RFC 7519 §2: seconds, possibly
 * fractional).  A fraction is rounded towards rejection: down for exp, up
 * for nbf and iat (round_up).  Returns 1 when absent, 0 with *out set, or
 * -1 when not a number in [0, year 9999].
 */
static int
numeric_date(const cJSON *claims, const char *name, bool round_up, int64_t *out)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(claims, name);
	double d;
	int64_t v;

	if (c == NULL)
		return 1;
	if (!cJSON_IsNumber(c))
		return -1;
	d = c->valuedouble;
	/* Written so that NaN and infinities fail the range check too. */
	if (!(d >= 0 && d <= (double)TOKEN_TIME_MAX))
		return -1;
	v = (int64_t)d; /* truncation is floor for d >= 0 */
	if (round_up && (double)v < d)
		v++;
	*out = v;
	return 0;
}

/*
 * Checks exp (required, RFC 9068 §2.2), nbf and iat against now with
 * leeway.  now is never added to, so no value of it can overflow.
 */
static enum token_err
times_check(const cJSON *claims, int64_t leeway, int64_t now, int64_t *exp, int64_t *iat)
{
	int64_t nbf = 0;
	int r;

	if (leeway < 0)
		leeway = 0;
	if (leeway > TOKEN_LEEWAY_MAX)
		leeway = TOKEN_LEEWAY_MAX;
	r = numeric_date(claims, CLM_EXP, false, exp);
	if (r < 0)
		return TOKEN_ERR_CLAIMS;
	if (r > 0)
		return TOKEN_ERR_NO_EXP;
	/* RFC 7519 §4.1.4: valid only while now < exp. */
	if (*exp + leeway <= now)
		return TOKEN_ERR_EXPIRED;
	r = numeric_date(claims, CLM_NBF, true, &nbf);
	if (r < 0)
		return TOKEN_ERR_CLAIMS;
	/* RFC 7519 §4.1.5: not valid before nbf. */
	if (r == 0 && nbf - leeway > now)
		return TOKEN_ERR_NOT_YET_VALID;
	*iat = 0;
	r = numeric_date(claims, CLM_IAT, true, iat);
	if (r < 0)
		return TOKEN_ERR_CLAIMS;
	if (r == 0 && *iat - leeway > now)
		return TOKEN_ERR_IAT_FUTURE;
	return TOKEN_OK;
}

/* True when s is exactly one of the n strings of list. */
static bool
str_listed(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++) {
		if (list[i] != NULL && strcmp(s, list[i]) == 0)
			return true;
	}
	return false;
}

/* RFC 9068 §4: iss must match an accepted issuer exactly, byte for byte. */
static enum token_err
issuer_check(const cJSON *claims, const struct token_policy *pol)
{
	const cJSON *iss = cJSON_GetObjectItemCaseSensitive(claims, CLM_ISS);

	if (!cJSON_IsString(iss) || !str_listed(iss->valuestring, pol->issuers, pol->n_issuers))
		return TOKEN_ERR_ISSUER;
	return TOKEN_OK;
}

/*
 * RFC 7519 §4.1.3, RFC 9068 §4: aud is a string or an array of strings and
 * must name one of our audiences.  Any other shape, or an array holding a
 * non-string, is refused outright.
 */
static enum token_err
audience_check(const cJSON *claims, const struct token_policy *pol)
{
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, CLM_AUD), *a;
	bool found = false;
	size_t n = 0;

	if (cJSON_IsString(aud)) {
		found = str_listed(aud->valuestring, pol->audiences, pol->n_audiences);
		return found ? TOKEN_OK : TOKEN_ERR_AUDIENCE;
	}
	if (!cJSON_IsArray(aud))
		return TOKEN_ERR_AUDIENCE;
	cJSON_ArrayForEach(a, aud)
	{
		if (!cJSON_IsString(a) || ++n > TOKEN_AUD_MAX)
			return TOKEN_ERR_AUDIENCE;
		if (str_listed(a->valuestring, pol->audiences, pol->n_audiences))
			found = true;
	}
	return found ? TOKEN_OK : TOKEN_ERR_AUDIENCE;
}

/*
 * Copies the optional string claim name into *out (NULL when absent).
 * Returns TOKEN_OK, TOKEN_ERR_CLAIMS for a non-string or over-long value,
 * or TOKEN_ERR_NOMEM.
 */
static enum token_err
str_claim(const cJSON *claims, const char *name, char **out)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(claims, name);

	*out = NULL;
	if (c == NULL)
		return TOKEN_OK;
	if (!cJSON_IsString(c) || strlen(c->valuestring) > TOKEN_CLAIM_MAX)
		return TOKEN_ERR_CLAIMS;
	*out = strdup(c->valuestring);
	return *out == NULL ? TOKEN_ERR_NOMEM : TOKEN_OK;
}

/* Like str_claim for the first of two names present (name, then alt). */
static enum token_err
str_claim_either(const cJSON *claims, const char *name, const char *alt, char **out)
{
	if (cJSON_GetObjectItemCaseSensitive(claims, name) != NULL)
		return str_claim(claims, name, out);
	return str_claim(claims, alt, out);
}

/* RFC 6749 §3.3: scope-token = 1*NQCHAR, %x21 / %x23-5B / %x5D-7E. */
static bool
scope_token_valid(const char *s, size_t len)
{
	if (len == 0 || len > TOKEN_SCOPE_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e)
			return false;
	}
	return true;
}

/*
 * Adds one scope token (len bytes of s) to p unless already there.  *seen
 * counts every token offered, duplicates included, to bound the work.
 */
static enum token_err
scope_add(struct principal *p, const char *s, size_t len, size_t *seen)
{
	char **grown;

	if (++*seen > TOKEN_SCOPES_MAX || !scope_token_valid(s, len))
		return TOKEN_ERR_CLAIMS;
	for (size_t i = 0; i < p->n_scopes; i++) {
		if (strlen(p->scopes[i]) == len && memcmp(p->scopes[i], s, len) == 0)
			return TOKEN_OK;
	}
	grown = realloc(p->scopes, (p->n_scopes + 1) * sizeof(*p->scopes));
	if (grown == NULL)
		return TOKEN_ERR_NOMEM;
	p->scopes = grown;
	if ((p->scopes[p->n_scopes] = strndup(s, len)) == NULL)
		return TOKEN_ERR_NOMEM;
	p->n_scopes++;
	return TOKEN_OK;
}

/* Adds each space-separated token of s (RFC 6749 §3.3) to p. */
static enum token_err
scope_list_add(struct principal *p, const char *s, size_t *seen)
{
	enum token_err err;

	while (*s != '\0') {
		size_t len = strcspn(s, " ");
		if (len > 0 && (err = scope_add(p, s, len, seen)) != TOKEN_OK)
			return err;
		s += len;
		s += strspn(s, " ");
	}
	return TOKEN_OK;
}

/* Adds each string of the array a to p, one scope per element. */
static enum token_err
scope_array_add(struct principal *p, const cJSON *a, size_t *seen)
{
	const cJSON *e;
	enum token_err err;

	cJSON_ArrayForEach(e, a)
	{
		if (!cJSON_IsString(e))
			return TOKEN_ERR_CLAIMS;
		err = scope_add(p, e->valuestring, strlen(e->valuestring), seen);
		if (err != TOKEN_OK)
			return err;
	}
	return TOKEN_OK;
}

/*
 * Collects scopes from "scope" (space-separated string, RFC 9068 §2.2.3 /
 * RFC 8693 §4.2), "scp" (string or array, as Azure AD and Okta send it) and
 * "scopes" (array).  A claim of another type, or an array member that is
 * not a valid scope string, refuses the token: a malformed authorization
 * claim is not guessed at.
 */
static enum token_err
scopes_collect(const cJSON *claims, struct principal *p)
{
	const cJSON *scope = cJSON_GetObjectItemCaseSensitive(claims, CLM_SCOPE);
	const cJSON *scp = cJSON_GetObjectItemCaseSensitive(claims, CLM_SCP);
	const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(claims, CLM_SCOPES);
	enum token_err err = TOKEN_OK;
	size_t seen = 0;

	if (scope != NULL) {
		if (!cJSON_IsString(scope))
			return TOKEN_ERR_CLAIMS;
		if ((err = scope_list_add(p, scope->valuestring, &seen)) != TOKEN_OK)
			return err;
	}
	if (scp != NULL) {
		if (cJSON_IsString(scp))
			err = scope_list_add(p, scp->valuestring, &seen);
		else if (cJSON_IsArray(scp))
			err = scope_array_add(p, scp, &seen);
		else
			err = TOKEN_ERR_CLAIMS;
		if (err != TOKEN_OK)
			return err;
	}
	if (scopes != NULL) {
		if (!cJSON_IsArray(scopes))
			return TOKEN_ERR_CLAIMS;
		err = scope_array_add(p, scopes, &seen);
	}
	return err;
}

/* Builds the principal from verified, checked claims. */
static enum token_err
principal_build(const cJSON *claims, int64_t exp, int64_t iat, struct principal **out)
{
	struct principal *p = calloc(1, sizeof(*p));
	enum token_err err = TOKEN_ERR_NOMEM;

	if (p == NULL)
		goto out;
	p->exp = exp;
	p->iat = iat;
	if ((err = str_claim(claims, CLM_SUB, &p->subject)) != TOKEN_OK ||
	    (err = str_claim_either(claims, CLM_CLIENT_ID, CLM_AZP, &p->client_id)) != TOKEN_OK ||
	    (err = str_claim_either(claims, CLM_ORG_ID, CLM_OID, &p->org_id)) != TOKEN_OK ||
	    (err = str_claim(claims, CLM_ISS, &p->issuer)) != TOKEN_OK ||
	    (err = str_claim(claims, CLM_JTI, &p->jti)) != TOKEN_OK ||
	    (err = scopes_collect(claims, p)) != TOKEN_OK)
		goto out;
	*out = p;
	p = NULL;
out:
	principal_free(p);
	return err;
}

enum token_err
token_verify(const char *token, size_t len, const struct jwk_set *keys,
             const struct token_policy *policy, int64_t now, struct principal **out)
{
	struct span part[3];
	cJSON *hdr = NULL, *claims = NULL;
	const struct jwk *key = NULL;
	const char *kid = NULL;
	enum jwk_alg alg = JWK_ALG_RS256;
	int64_t exp = 0, iat = 0;
	enum token_err err;

	*out = NULL;
	if (policy == NULL)
		return TOKEN_ERR_MALFORMED;
	err = parts_split(token, len, policy->max_len ? policy->max_len : TOKEN_MAX_LEN, part);
	if (err != TOKEN_OK)
		goto out;
	err = TOKEN_ERR_HEADER;
	if ((hdr = part_json(&part[0])) == NULL)
		goto out;
	if ((err = header_check(hdr, policy->alg_mask, &alg, &kid)) != TOKEN_OK ||
	    (err = key_select(keys, kid, alg, &key)) != TOKEN_OK ||
	    (err = signature_check(key, alg, part)) != TOKEN_OK)
		goto out;
	/* Only now, with the signature verified, is the payload read at all. */
	err = TOKEN_ERR_CLAIMS;
	if ((claims = part_json(&part[1])) == NULL)
		goto out;
	if ((err = times_check(claims, policy->leeway, now, &exp, &iat)) != TOKEN_OK ||
	    (err = issuer_check(claims, policy)) != TOKEN_OK ||
	    (err = audience_check(claims, policy)) != TOKEN_OK)
		goto out;
	err = principal_build(claims, exp, iat, out);
out:
	cJSON_Delete(hdr);
	cJSON_Delete(claims);
	return err;
}

void
principal_free(struct principal *p)
{
	if (p == NULL)
		return;
	free(p->subject);
	free(p->client_id);
	free(p->org_id);
	free(p->issuer);
	free(p->jti);
	for (size_t i = 0; i < p->n_scopes; i++)
		free(p->scopes[i]);
	free(p->scopes);
	free(p);
}

bool
principal_has_scope(const struct principal *p, const char *scope)
{
	if (p == NULL || scope == NULL)
		return false;
	return str_listed(scope, (const char *const *)p->scopes, p->n_scopes);
}
