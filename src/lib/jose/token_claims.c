/*
 * token_claims.c - the claims of a verified access token: exp, nbf and iat
 * with leeway (RFC 7519 §4.1.4-4.1.6), iss and aud (RFC 9068 §4), and the
 * principal's strings and scopes (RFC 9068 §2.2, RFC 6749 §3.3).  Only
 * reached after the signature has been verified (token.c).
 */
#include "lib/jose/internal/token_claims.h"

#include "lib/core/util.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

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

/* Latest NumericDate accepted: 9999-12-31T23:59:59Z. */
#define TOKEN_TIME_MAX INT64_C(253402300799)

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

/* The policy's leeway within 0..TOKEN_LEEWAY_MAX, so no sum below can overflow. */
static int64_t
leeway_clamp(int64_t leeway)
{
	if (leeway < 0)
		return 0;
	return leeway > TOKEN_LEEWAY_MAX ? TOKEN_LEEWAY_MAX : leeway;
}

/*
 * RFC 7519 §4.1.4: valid only while now < exp (+ leeway).  exp + leeway is
 * computed only when it fits, and now is never added to, so no value of
 * either can overflow.
 */
bool
token_expired(int64_t exp, int64_t leeway, int64_t now)
{
	leeway = leeway_clamp(leeway);
	return exp <= INT64_MAX - leeway && exp + leeway <= now;
}

/*
 * Checks exp (required, RFC 9068 §2.2), nbf and iat against now with
 * leeway.  Returns 0 with *exp and *iat set, or -1 with e set.
 */
static int
times_check(const cJSON *claims, int64_t leeway, int64_t now, int64_t *exp, int64_t *iat,
            struct err *e)
{
	int64_t nbf = 0;
	int r;

	leeway = leeway_clamp(leeway);
	r = numeric_date(claims, CLM_EXP, false, exp);
	if (r < 0)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_CLAIMS);
	if (r > 0)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_NO_EXP);
	if (token_expired(*exp, leeway, now))
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_EXPIRED);
	r = numeric_date(claims, CLM_NBF, true, &nbf);
	if (r < 0)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_CLAIMS);
	/* RFC 7519 §4.1.5: not valid before nbf. */
	if (r == 0 && nbf - leeway > now)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_NOT_YET_VALID);
	*iat = 0;
	r = numeric_date(claims, CLM_IAT, true, iat);
	if (r < 0)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_CLAIMS);
	if (r == 0 && *iat - leeway > now)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_IAT_FUTURE);
	return 0;
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
static int
issuer_check(const cJSON *claims, const struct token_policy *pol, struct err *e)
{
	const cJSON *iss = cJSON_GetObjectItemCaseSensitive(claims, CLM_ISS);

	if (!cJSON_IsString(iss) || !str_listed(iss->valuestring, pol->issuers, pol->n_issuers))
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_ISSUER);
	return 0;
}

/*
 * RFC 7519 §4.1.3, RFC 9068 §4: aud is a string or an array of strings and
 * must name one of our audiences.  Any other shape, or an array holding a
 * non-string, is refused outright.
 */
static int
audience_check(const cJSON *claims, const struct token_policy *pol, struct err *e)
{
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, CLM_AUD), *a;
	bool found = false;
	size_t n = 0;

	if (cJSON_IsString(aud)) {
		found = str_listed(aud->valuestring, pol->audiences, pol->n_audiences);
	} else if (cJSON_IsArray(aud)) {
		cJSON_ArrayForEach (a, aud) {
			if (!cJSON_IsString(a) || ++n > TOKEN_AUD_MAX)
				return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_AUDIENCE);
			if (str_listed(a->valuestring, pol->audiences, pol->n_audiences))
				found = true;
		}
	}
	return found ? 0 : err_set(e, ERR_INVALID, "%s", TOKEN_MSG_AUDIENCE);
}

/*
 * Copies the optional string claim name into *out (NULL when absent).
 * Returns 0, or -1 with e set for a non-string or over-long value.
 */
static int
str_claim(const cJSON *claims, const char *name, char **out, struct err *e)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(claims, name);

	*out = NULL;
	if (c == NULL)
		return 0;
	if (!cJSON_IsString(c) || strlen(c->valuestring) > TOKEN_CLAIM_MAX)
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_CLAIMS);
	*out = xstrdup(c->valuestring);
	return 0;
}

/* Like str_claim for the first of two names present (name, then alt). */
static int
str_claim_either(const cJSON *claims, const char *name, const char *alt, char **out, struct err *e)
{
	if (cJSON_GetObjectItemCaseSensitive(claims, name) != NULL)
		return str_claim(claims, name, out, e);
	return str_claim(claims, alt, out, e);
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
 * Returns 0, or -1 with e set for an invalid token or too many.
 */
static int
scope_add(struct principal *p, const char *s, size_t len, size_t *seen, struct err *e)
{
	if (++*seen > TOKEN_SCOPES_MAX || !scope_token_valid(s, len))
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_CLAIMS);
	for (size_t i = 0; i < p->n_scopes; i++) {
		if (strlen(p->scopes[i]) == len && memcmp(p->scopes[i], s, len) == 0)
			return 0;
	}
	p->scopes = xrealloc(p->scopes, (p->n_scopes + 1) * sizeof(*p->scopes));
	p->scopes[p->n_scopes++] = xstrndup(s, len);
	return 0;
}

/* Adds each space-separated token of s (RFC 6749 §3.3) to p. */
static int
scope_list_add(struct principal *p, const char *s, size_t *seen, struct err *e)
{
	while (*s != '\0') {
		size_t len = strcspn(s, " ");
		if (len > 0 && scope_add(p, s, len, seen, e) != 0)
			return -1;
		s += len;
		s += strspn(s, " ");
	}
	return 0;
}

/* Adds each string of the array a to p, one scope per element. */
static int
scope_array_add(struct principal *p, const cJSON *a, size_t *seen, struct err *e)
{
	const cJSON *m;

	cJSON_ArrayForEach (m, a) {
		if (!cJSON_IsString(m))
			return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_CLAIMS);
		if (scope_add(p, m->valuestring, strlen(m->valuestring), seen, e) != 0)
			return -1;
	}
	return 0;
}

/*
 * Collects scopes from "scope" (space-separated string, RFC 9068 §2.2.3 /
 * RFC 8693 §4.2), "scp" (string or array, as Azure AD and Okta send it) and
 * "scopes" (array).  A claim of another type, or an array member that is
 * not a valid scope string, refuses the token: a malformed authorization
 * claim is not guessed at.
 */
static int
scopes_collect(const cJSON *claims, struct principal *p, struct err *e)
{
	const cJSON *scope = cJSON_GetObjectItemCaseSensitive(claims, CLM_SCOPE);
	const cJSON *scp = cJSON_GetObjectItemCaseSensitive(claims, CLM_SCP);
	const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(claims, CLM_SCOPES);
	size_t seen = 0;

	if (scope != NULL && !cJSON_IsString(scope))
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_CLAIMS);
	if (scope != NULL && scope_list_add(p, scope->valuestring, &seen, e) != 0)
		return -1;
	if (scp != NULL && !cJSON_IsString(scp) && !cJSON_IsArray(scp))
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_CLAIMS);
	if (cJSON_IsString(scp) && scope_list_add(p, scp->valuestring, &seen, e) != 0)
		return -1;
	if (cJSON_IsArray(scp) && scope_array_add(p, scp, &seen, e) != 0)
		return -1;
	if (scopes != NULL && !cJSON_IsArray(scopes))
		return err_set(e, ERR_INVALID, "%s", TOKEN_MSG_CLAIMS);
	if (scopes != NULL && scope_array_add(p, scopes, &seen, e) != 0)
		return -1;
	return 0;
}

/* Builds the principal from verified, checked claims; 0, or -1 with e set. */
static int
principal_build(const cJSON *claims, int64_t exp, int64_t iat, struct principal **out,
                struct err *e)
{
	struct principal *p = xcalloc(1, sizeof(*p));

	p->exp = exp;
	p->iat = iat;
	if (str_claim(claims, CLM_SUB, &p->subject, e) != 0 ||
	    str_claim_either(claims, CLM_CLIENT_ID, CLM_AZP, &p->client_id, e) != 0 ||
	    str_claim_either(claims, CLM_ORG_ID, CLM_OID, &p->org_id, e) != 0 ||
	    str_claim(claims, CLM_ISS, &p->issuer, e) != 0 ||
	    str_claim(claims, CLM_JTI, &p->jti, e) != 0 || scopes_collect(claims, p, e) != 0) {
		principal_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/*
 * The order is token_verify's documented one: time first, so an expired
 * token is reported as expired whatever else is wrong with it, then who
 * issued it and for whom, and only then the principal's own claims.
 */
int
token_claims_check(const cJSON *claims, const struct token_policy *policy, int64_t now,
                   struct principal **out, struct err *e)
{
	int64_t exp = 0, iat = 0;

	if (times_check(claims, policy->leeway, now, &exp, &iat, e) != 0 ||
	    issuer_check(claims, policy, e) != 0 || audience_check(claims, policy, e) != 0)
		return -1;
	return principal_build(claims, exp, iat, out, e);
}
