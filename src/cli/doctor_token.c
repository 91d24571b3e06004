/*
 * doctor_token.c - the doctor's checks of a token (--token): does the
 * endpoint accept it, and do its audience, issuer, expiry and scopes match
 * what the server's metadata says it expects; its signature is verified
 * with the project's token code when the JWKS was fetched.
 *
 * The token is never printed: doctor_report() replaces any copy of it, and
 * the one buffer that holds it in a header is wiped after use.
 */
#include "cli/doctor.h"

#include "lib/core/err.h"
#include "lib/jose/b64url.h"
#include "lib/jose/jwa.h"
#include "lib/jose/token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCOPES_MAX 1024 /* room for a list of scopes in a line */

/* The claims of a compact JWS, decoded without any check; NULL when not one. */
static cJSON *
claims_decode(const char *token)
{
	const char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	unsigned char *raw = NULL;
	size_t len = 0;
	cJSON *c = NULL;

	if (dot2 == NULL || strlen(token) > TOKEN_MAX_LEN)
		return NULL;
	if (b64url_decode_alloc(dot1 + 1, (size_t)(dot2 - dot1 - 1), &raw, &len) == 0)
		c = cJSON_ParseWithLength((const char *)raw, len);
	if (raw != NULL)
		explicit_bzero(raw, len);
	free(raw);
	if (!cJSON_IsObject(c)) {
		cJSON_Delete(c);
		return NULL;
	}
	return c;
}

/* Sends the token with an initialize request; true when the endpoint accepted it. */
static bool
check_accepted(struct doctor *d)
{
	char auth[TOKEN_MAX_LEN + 32], why[DOCTOR_PARAM_MAX * 2 + 16] = "";
	const char *h[] = {"Content-Type: application/json",
	                   "Accept: application/json, text/event-stream", auth};
	struct doctor_challenge c;
	struct fetch_response r;
	const char *perr;
	struct err e;
	char *v;
	int rc;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", d->token);
	rc = doctor_http(d, "POST", d->url, h, 3, doctor_initialize_body, &r, &e);
	explicit_bzero(auth, sizeof(auth));
	if (rc != 0) {
		doctor_report(d, DOCTOR_FAIL, "token accepted", NULL, "no answer: %s", e.msg);
		return false;
	}
	if (r.status == 200) {
		doctor_report(d, DOCTOR_PASS, "token accepted", NULL,
		              "the endpoint answers initialize with it (200)");
		fetch_response_free(&r);
		return true;
	}
	v = fetch_response_header(&r, "WWW-Authenticate");
	if (doctor_challenge_parse(v, &c, &perr) == 0 && c.error[0] != '\0')
		snprintf(why, sizeof(why), ": error=\"%s\" (%s)", c.error, c.error_description);
	else if (r.status == 401)
		snprintf(why, sizeof(why), " and no error: the token does not reach the program");
	doctor_report(d, DOCTOR_FAIL, "token accepted", "see the lines above and below",
	              "the endpoint refuses it with %ld%s", r.status, why);
	free(v);
	fetch_response_free(&r);
	return false;
}

/* The "aud" claim names the resource (RFC 8707, RFC 9068 §3). */
static void
check_audience(struct doctor *d, const cJSON *claims, bool accepted)
{
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, "aud"), *v;
	char list[SCOPES_MAX] = "", fix[URL_MAX + 200];

	cJSON_ArrayForEach (v, (cJSON_IsArray(aud) ? aud : NULL)) {
		if (cJSON_IsString(v) && strcmp(v->valuestring, d->url) == 0)
			aud = v;
		else if (cJSON_IsString(v))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			         list[0] ? " " : "", v->valuestring);
	}
	if (cJSON_IsString(aud) && strcmp(aud->valuestring, d->url) == 0) {
		doctor_report(d, DOCTOR_PASS, "token audience", NULL, "aud names %s", d->url);
		return;
	}
	if (cJSON_IsString(aud))
		snprintf(list, sizeof(list), "%s", aud->valuestring);
	if (accepted) {
		doctor_report(d, DOCTOR_NOTE, "token audience", NULL,
		              "aud (%s) does not name %s, but the endpoint accepts it "
		              "(OAUTH_AUDIENCE)",
		              list[0] ? list : "absent", d->url);
		return;
	}
	snprintf(fix, sizeof(fix),
	         "request the token for this resource (resource=%s, RFC 8707), or set "
	         "OAUTH_AUDIENCE to what the issuer puts in aud",
	         d->url);
	doctor_report(d, DOCTOR_FAIL, "token audience", fix, "aud is %s, not %s",
	              list[0] ? list : "absent", d->url);
}

/* The "iss" claim is the authorization server's issuer. */
static void
check_issuer(struct doctor *d, const cJSON *claims)
{
	const char *iss = doctor_json_str(claims, "iss");
	const char *want = d->as != NULL ? doctor_json_str(d->as, "issuer") : NULL;

	if (want == NULL)
		want = d->as_url;
	if (want == NULL)
		doctor_report(d, DOCTOR_NOTE, "token issuer", NULL,
		              "iss is %s (no authorization server to compare it with)",
		              iss != NULL ? iss : "absent");
	else if (iss != NULL && strcmp(iss, want) == 0)
		doctor_report(d, DOCTOR_PASS, "token issuer", NULL, "iss is %s", iss);
	else
		doctor_report(d, DOCTOR_FAIL, "token issuer",
		              "get the token from the authorization server the metadata names",
		              "iss is %s, not %s", iss != NULL ? iss : "absent", want);
}

/* exp in the future, nbf not (RFC 7519 §4.1.4-5). */
static void
check_expiry(struct doctor *d, const cJSON *claims)
{
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");
	const cJSON *nbf = cJSON_GetObjectItemCaseSensitive(claims, "nbf");
	int64_t now = (int64_t)time(NULL);

	if (!cJSON_IsNumber(exp))
		doctor_report(d, DOCTOR_FAIL, "token expiry", "get a token with an exp claim",
		              "no exp: the endpoint refuses tokens that never expire");
	else if ((int64_t)exp->valuedouble <= now)
		doctor_report(d, DOCTOR_FAIL, "token expiry", "get a new token",
		              "expired %lld s ago", (long long)(now - (int64_t)exp->valuedouble));
	else if (cJSON_IsNumber(nbf) && (int64_t)nbf->valuedouble > now + 60)
		doctor_report(d, DOCTOR_FAIL, "token expiry", "check the clocks of both machines",
		              "not valid before %lld s from now",
		              (long long)((int64_t)nbf->valuedouble - now));
	else
		doctor_report(d, DOCTOR_PASS, "token expiry", NULL, "expires in %lld s",
		              (long long)((int64_t)exp->valuedouble - now));
}

/* Adds the scopes of claims (scope, scp, scopes) to l. */
static void
token_scopes(const cJSON *claims, struct strlist *l)
{
	static const char *const names[] = {"scope", "scp", "scopes"};
	const cJSON *v, *s;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(claims, names[i]);
		if (cJSON_IsString(v))
			strlist_split(l, v->valuestring);
		cJSON_ArrayForEach (s, (cJSON_IsArray(v) ? v : NULL)) {
			if (cJSON_IsString(s))
				strlist_add(l, s->valuestring);
		}
	}
}

/* The scopes the server names: scopes_supported of its metadata, else its challenge's. */
static void
server_scopes(const struct doctor *d, struct strlist *l)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d->prm, "scopes_supported"), *s;

	cJSON_ArrayForEach (s, (cJSON_IsArray(v) ? v : NULL)) {
		if (cJSON_IsString(s))
			strlist_add(l, s->valuestring);
	}
	if (l->n == 0)
		strlist_split(l, d->challenge.scope);
}

static void
check_scopes(struct doctor *d, const cJSON *claims)
{
	struct strlist have = {0}, want = {0};
	char held[SCOPES_MAX] = "", lacks[SCOPES_MAX] = "", fix[SCOPES_MAX + 64];
	size_t n_held = 0;

	token_scopes(claims, &have);
	server_scopes(d, &want);
	for (size_t i = 0; i < want.n; i++) {
		bool in = strlist_contains(&have, want.v[i]);
		char *buf = in ? held : lacks;
		snprintf(buf + strlen(buf), SCOPES_MAX - strlen(buf), "%s%s", buf[0] ? " " : "",
		         want.v[i]);
		n_held += in;
	}
	snprintf(fix, sizeof(fix), "request the token with scope=\"%s\"", lacks);
	if (want.n == 0)
		doctor_report(d, DOCTOR_NOTE, "token scopes", NULL,
		              "the server names no scopes (scopes_supported); the token holds %zu",
		              have.n);
	else if (n_held == 0)
		doctor_report(d, DOCTOR_FAIL, "token scopes", fix,
		              "holds none of the scopes the server names (%s)", lacks);
	else if (n_held < want.n)
		doctor_report(d, DOCTOR_NOTE, "token scopes", NULL,
		              "holds %s; lacks %s (tools that need them answer 403)", held, lacks);
	else
		doctor_report(d, DOCTOR_PASS, "token scopes", NULL, "holds every scope named: %s",
		              held);
	strlist_free(&have);
	strlist_free(&want);
}

/*
 * The signature, verified by token_verify against the fetched JWKS.  The
 * policy takes the token's own iss and aud, and the time is just before
 * its exp, so what this line judges is the header, key and signature: the
 * lines above judge the claims.
 */
static void
check_signature(struct doctor *d, const cJSON *claims)
{
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, "aud");
	const char *iss = doctor_json_str(claims, "iss"), *a;
	struct token_policy p = {.n_issuers = 1, .n_audiences = 1, .leeway = 0};
	struct principal *pr = NULL;
	struct err e;

	if (d->keys == NULL) {
		doctor_report(d, DOCTOR_NOTE, "token signature", NULL,
		              "not verified: the JWKS is not available");
		return;
	}
	a = cJSON_IsString(aud)                                ? aud->valuestring
	    : cJSON_IsArray(aud) && cJSON_IsString(aud->child) ? aud->child->valuestring
	                                                       : "";
	p.issuers = (const char *const[]){iss != NULL ? iss : ""};
	p.audiences = (const char *const[]){a};
	for (int i = 0; i < JWA__MAX; i++)
		p.alg_mask |= JWA_BIT(i);
	if (token_verify(d->token, strlen(d->token), d->keys, &p,
	                 cJSON_IsNumber(exp) ? (int64_t)exp->valuedouble - 1 : 0, &pr, &e) == 0)
		doctor_report(d, DOCTOR_PASS, "token signature", NULL,
		              "verified with a key of the authorization server's JWKS");
	else
		doctor_report(d, DOCTOR_FAIL, "token signature",
		              "get the token from the authorization server the metadata names",
		              "%s (against the authorization server's JWKS)", e.msg);
	principal_free(pr);
}

void
doctor_check_token(struct doctor *d)
{
	bool accepted;
	cJSON *claims;

	if (d->token == NULL)
		return;
	accepted = check_accepted(d);
	if ((claims = claims_decode(d->token)) == NULL) {
		doctor_report(d, DOCTOR_NOTE, "token", NULL,
		              "not a JWT: its claims cannot be read from here");
		return;
	}
	check_audience(d, claims, accepted);
	check_issuer(d, claims);
	check_expiry(d, claims);
	check_scopes(d, claims);
	check_signature(d, claims);
	cJSON_Delete(claims);
}
