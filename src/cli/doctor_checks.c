/*
 * doctor_checks.c - the doctor's checks of an endpoint from the outside:
 * its challenge, its protected resource metadata (RFC 9728), its
 * authorization server's metadata (RFC 8414) and keys, CORS, and whether
 * the Authorization header reaches the program.
 */
#include "cli/doctor.h"

#include "lib/core/err.h"
#include "lib/jose/jwa.h"
#include "lib/jose/jwk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR_JSON   "Content-Type: application/json"
#define HDR_ACCEPT "Accept: application/json, text/event-stream"
#define WHY_MAX    (ERR_MSG_MAX + 64)
/* Redirects followed for a metadata or key document (none for the endpoint itself). */
#define DOCTOR_REDIRECTS 3
/*
 * A compact JWS no issuer signed: {"alg":"RS256","typ":"JWT"}, claims
 * {"sub":"mcp-fcgi-doctor","exp":1}, a signature of the wrong size.  A
 * server that sees it refuses it as invalid_token without touching the
 * network: no kid, so no key refresh.
 */
#define PROBE_TOKEN                                                                                \
	"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJtY3AtZmNnaS1kb2N0b3IiLCJleHAiOjF9."       \
	"bm90IGEgc2lnbmF0dXJl"

static const char *const post_headers[] = {HDR_JSON, HDR_ACCEPT};
static const char *const get_headers[] = {"Accept: text/event-stream"};

/*
 * GETs url as JSON: the parsed object (the caller frees it), or NULL with
 * why (cap bytes) saying what came instead.
 */
static cJSON *
get_json(const struct doctor *d, const char *url, char *why, size_t cap)
{
	static const char *const h[] = {"Accept: application/json"};
	const struct fetch_request rq = {.headers = h, .n_headers = 1};
	struct fetch_opts o = d->fetch;
	struct fetch_response r;
	struct err e;
	cJSON *j = NULL;

	/* Clients follow a redirect of a metadata document, within the same protocols. */
	o.max_redirects = DOCTOR_REDIRECTS;
	if (fetch_request(url, &rq, &o, &r, &e) != 0) {
		snprintf(why, cap, "no answer (%s)", e.msg);
		return NULL;
	}
	if (r.status != 200)
		snprintf(why, cap, "HTTP status %ld", r.status);
	else if (!cJSON_IsObject(j = cJSON_ParseWithLength(r.body, r.len)))
		snprintf(why, cap, "not a JSON object");
	if (r.status != 200 || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	fetch_response_free(&r);
	return j;
}

/* Reports an answer to an unauthenticated request that is not a 401. */
static void
status_fail(struct doctor *d, const char *check, const char *method, struct fetch_response *r)
{
	long s = r->status;
	char *loc;

	if (s >= 200 && s < 300) {
		doctor_report(d, DOCTOR_FAIL, check,
		              "put the endpoint behind the bearer token check (mcp.fcgi with "
		              "OAUTH_ISSUER and MCP_RESOURCE)",
		              "answered %ld without a token: the endpoint is not protected", s);
	} else if (s >= 300 && s < 400) {
		loc = fetch_response_header(r, "Location");
		doctor_report(
		    d, DOCTOR_FAIL, check,
		    "give clients the final URL (lighttpd: \"check-local\" => \"disable\")",
		    "answered %ld (Location: %s): clients do not follow it", s,
		    loc != NULL ? loc : "none");
		free(loc);
	} else if (s == 403) {
		doctor_report(d, DOCTOR_FAIL, check,
		              "use the host of MCP_RESOURCE, or add this one to MCP_ALLOWED_HOSTS",
		              "answered 403 before authentication: this Host is not allowed");
	} else if (s == 404) {
		doctor_report(d, DOCTOR_FAIL, check,
		              "check the URL's path and the web server's routing to mcp.fcgi",
		              "nothing at this URL (404)");
	} else if (s == 405) {
		doctor_report(d, DOCTOR_FAIL, check, "authenticate before the method check",
		              "%s answered 405 before authentication: clients that probe with %s "
		              "never see the challenge",
		              method, method);
	} else {
		doctor_report(d, DOCTOR_FAIL, check,
		              s >= 500 ? "see the web server's error log: a configuration error "
		                         "is logged there"
		                       : "answer 401 with a Bearer challenge (RFC 6750 §3)",
		              "answered %ld, not 401", s);
	}
}

/* Checks the challenge of a 401 (r); true, with *c filled, when it is complete. */
static bool
challenge_ok(struct doctor *d, const char *check, struct fetch_response *r,
             struct doctor_challenge *c)
{
	char *v = fetch_response_header(r, "WWW-Authenticate");
	const char *why;
	bool ok = false;

	if (v == NULL)
		doctor_report(d, DOCTOR_FAIL, check,
		              "let WWW-Authenticate through the web server and any proxy",
		              "401 without WWW-Authenticate: clients cannot find the metadata");
	else if (doctor_challenge_parse(v, c, &why) != 0)
		doctor_report(
		    d, DOCTOR_FAIL, check,
		    "send Bearer realm=\"...\", resource_metadata=\"<URL>\" (RFC 6750 §3)",
		    "WWW-Authenticate is not a well-formed Bearer challenge (%s): %s", why, v);
	else if (c->resource_metadata[0] == '\0')
		doctor_report(d, DOCTOR_FAIL, check,
		              "name the metadata URL in the challenge (RFC 9728 §5.1); mcp.fcgi "
		              "does: is another program answering this URL?",
		              "the Bearer challenge names no resource_metadata: %s", v);
	else if (url_check(c->resource_metadata, URL_HTTP_OK, NULL) != 0)
		doctor_report(d, DOCTOR_FAIL, check, "name an absolute https URL",
		              "resource_metadata is not an absolute URL: %s", c->resource_metadata);
	else
		ok = true;
	free(v);
	return ok;
}

void
doctor_check_challenge(struct doctor *d, const char *method)
{
	bool post = strcmp(method, "POST") == 0;
	struct doctor_challenge c;
	struct fetch_response r;
	char check[32];
	struct err e;

	snprintf(check, sizeof(check), "%s challenge", method);
	if (doctor_http(d, method, d->url, post ? post_headers : get_headers, post ? 2 : 1,
	                post ? doctor_initialize_body : NULL, &r, &e) != 0) {
		doctor_report(d, DOCTOR_FAIL, check,
		              "check the URL, and that the server runs and is reachable from here",
		              "no answer: %s", e.msg);
		return;
	}
	if (r.status != 401) {
		status_fail(d, check, method, &r);
	} else if (challenge_ok(d, check, &r, &c)) {
		doctor_report(d, DOCTOR_PASS, check, NULL,
		              "401 with a Bearer challenge naming resource_metadata=\"%s\"",
		              c.resource_metadata);
		if (!d->have_challenge) {
			d->challenge = c;
			d->have_challenge = true;
		}
	}
	fetch_response_free(&r);
}

/* Checks the metadata's "resource" against the URL (RFC 9728 §3.3). */
static void
check_resource(struct doctor *d)
{
	const char *res = doctor_json_str(d->prm, "resource");
	enum doctor_url_diff diff = doctor_url_compare(d->url, res);
	char fix[2 * URL_MAX + 128];

	if (res == NULL) {
		doctor_report(d, DOCTOR_FAIL, "resource",
		              "serve the document mcp.fcgi's wellknown.fcgi "
		              "builds from MCP_RESOURCE",
		              "the resource metadata has no \"resource\" (RFC 9728 §2)");
		return;
	}
	if (diff == DOCTOR_URL_SAME) {
		doctor_report(d, DOCTOR_PASS, "resource", NULL, "\"resource\" is the URL exactly");
		return;
	}
	snprintf(fix, sizeof(fix),
	         "set MCP_RESOURCE to exactly %s, the URL clients are given (or give clients %s)",
	         d->url, res);
	doctor_report(d, DOCTOR_FAIL, "resource", fix,
	              "\"resource\" is %s, not %s: %s; clients refuse the server (RFC 9728 §3.3)",
	              res, d->url, doctor_url_diff_text(diff));
}

/* Takes the first authorization server of the metadata into d->as_url. */
static void
check_authorization_servers(struct doctor *d)
{
	const cJSON *as = cJSON_GetObjectItemCaseSensitive(d->prm, "authorization_servers");
	const cJSON *first = cJSON_IsArray(as) ? cJSON_GetArrayItem(as, 0) : NULL;
	int n = cJSON_IsArray(as) ? cJSON_GetArraySize(as) : 0;

	if (!cJSON_IsString(first)) {
		doctor_report(d, DOCTOR_FAIL, "authorization servers",
		              "set OAUTH_ISSUER (or OAUTH_AUTHORIZATION_SERVERS)",
		              "the resource metadata names no authorization_servers");
		return;
	}
	d->as_url = xstrdup(first->valuestring);
	doctor_report(d, DOCTOR_PASS, "authorization servers", NULL, "%s%s", d->as_url,
	              n > 1 ? " (the first of several: the doctor checks that one)" : "");
}

void
doctor_check_resource_metadata(struct doctor *d)
{
	const char *url = d->challenge.resource_metadata;
	char why[WHY_MAX];

	if (!d->have_challenge) {
		doctor_report(d, DOCTOR_SKIP, "resource metadata", NULL, "no URL from a challenge");
		return;
	}
	if ((d->prm = get_json(d, url, why, sizeof(why))) == NULL) {
		doctor_report(d, DOCTOR_FAIL, "resource metadata",
		              "serve the RFC 9728 document there (wellknown.fcgi at "
		              "/.well-known/oauth-protected-resource)",
		              "%s: %s", url, why);
		return;
	}
	doctor_report(d, DOCTOR_PASS, "resource metadata", NULL, "%s answers", url);
	check_resource(d);
	check_authorization_servers(d);
}

/* RFC 8414 §3.3: the metadata's issuer is the URL it was looked up for. */
static void
check_issuer(struct doctor *d)
{
	const char *iss = doctor_json_str(d->as, "issuer");
	enum doctor_url_diff diff = doctor_url_compare(d->as_url, iss);
	char fix[URL_MAX + 160];

	if (diff == DOCTOR_URL_SAME) {
		doctor_report(d, DOCTOR_PASS, "issuer", NULL, "the metadata's issuer is %s", iss);
		return;
	}
	snprintf(fix, sizeof(fix),
	         "name the authorization server exactly as its metadata does (OAUTH_ISSUER or "
	         "OAUTH_AUTHORIZATION_SERVERS=%s), or correct its issuer",
	         iss != NULL ? iss : "?");
	doctor_report(d, DOCTOR_FAIL, "issuer", fix,
	              "the metadata's issuer is %s, not %s (the resource metadata's): %s; "
	              "clients refuse it (RFC 8414 §3.3)",
	              iss != NULL ? iss : "absent", d->as_url, doctor_url_diff_text(diff));
}

/* The authorization code flow needs both endpoints (RFC 8414 §2). */
static void
check_endpoints(struct doctor *d)
{
	const char *authz = doctor_json_str(d->as, "authorization_endpoint");
	const char *token = doctor_json_str(d->as, "token_endpoint");
	const char *fix = "use an authorization server that offers the authorization code flow";

	if (authz == NULL || token == NULL)
		doctor_report(d, DOCTOR_FAIL, "endpoints", fix,
		              "the metadata has no %s: MCP clients cannot get tokens from it",
		              authz == NULL && token == NULL ? "authorization_endpoint and no "
		                                               "token_endpoint"
		              : authz == NULL                ? "authorization_endpoint"
		                                             : "token_endpoint");
	else if (!doctor_url_secure(authz) || !doctor_url_secure(token))
		doctor_report(d, DOCTOR_FAIL, "endpoints", "serve the endpoints over https",
		              "an endpoint uses plain http to a host that is not loopback");
	else
		doctor_report(d, DOCTOR_PASS, "endpoints", NULL, "authorization %s, token %s",
		              authz, token);
}

/* MCP clients refuse a server whose metadata does not list S256. */
static void
check_pkce(struct doctor *d)
{
	const cJSON *m =
	    cJSON_GetObjectItemCaseSensitive(d->as, "code_challenge_methods_supported");
	const cJSON *v;

	cJSON_ArrayForEach (v, (cJSON_IsArray(m) ? m : NULL)) {
		if (cJSON_IsString(v) && strcmp(v->valuestring, "S256") == 0) {
			doctor_report(d, DOCTOR_PASS, "PKCE", NULL, "S256 is supported");
			return;
		}
	}
	doctor_report(d, DOCTOR_FAIL, "PKCE",
	              "enable PKCE with S256 on the authorization server and list it in "
	              "code_challenge_methods_supported",
	              "code_challenge_methods_supported does not list S256: MCP clients refuse "
	              "the server");
}

/* How clients get a client id: registration (RFC 7591), metadata documents, or by hand. */
static void
check_registration(struct doctor *d)
{
	const char *reg = doctor_json_str(d->as, "registration_endpoint");
	const cJSON *cimd =
	    cJSON_GetObjectItemCaseSensitive(d->as, "client_id_metadata_document_supported");

	if (reg != NULL)
		doctor_report(d, DOCTOR_PASS, "registration", NULL,
		              "dynamic client registration at %s", reg);
	else if (cJSON_IsTrue(cimd))
		doctor_report(d, DOCTOR_PASS, "registration", NULL,
		              "client ID metadata documents are supported");
	else
		doctor_report(d, DOCTOR_NOTE, "registration", NULL,
		              "no registration_endpoint: clients must be pre-registered (a client "
		              "id configured in each host)");
}

void
doctor_check_authorization_server(struct doctor *d)
{
	char urls[DOCTOR_AS_URLS_MAX][DOCTOR_URL_MAX], why[WHY_MAX], first[WHY_MAX] = "";
	size_t n, i;

	if (d->as_url == NULL) {
		doctor_report(d, DOCTOR_SKIP, "authorization server", NULL,
		              "no authorization server named");
		return;
	}
	n = doctor_as_metadata_urls(d->as_url, urls);
	for (i = 0; i < n && d->as == NULL; i++)
		if ((d->as = get_json(d, urls[i], why, sizeof(why))) == NULL && i == 0)
			snprintf(first, sizeof(first), "%s", why);
	if (d->as == NULL && n == 0)
		doctor_report(d, DOCTOR_FAIL, "authorization server",
		              "name the issuer's URL (OAUTH_ISSUER or OAUTH_AUTHORIZATION_SERVERS)",
		              "%s is not an issuer URL (http(s), no query)", d->as_url);
	else if (d->as == NULL)
		doctor_report(d, DOCTOR_FAIL, "authorization server",
		              "check the authorization server named (OAUTH_ISSUER or "
		              "OAUTH_AUTHORIZATION_SERVERS) and that it serves RFC 8414 metadata",
		              "no metadata for %s (%s: %s; OpenID configuration tried too)",
		              d->as_url, urls[0], first);
	if (d->as == NULL)
		return;
	doctor_report(d, DOCTOR_PASS, "authorization server", NULL, "%s answers", urls[i - 1]);
	check_issuer(d);
	check_endpoints(d);
	check_pkce(d);
	check_registration(d);
}

/* The algorithms MCP clients' authorization servers sign with, that keys must fit. */
static const enum jwa_alg wanted_algs[] = {JWA_RS256, JWA_ES256, JWA_PS256};
#define N_WANTED (sizeof(wanted_algs) / sizeof(wanted_algs[0]))

/* Keeps the keys of set usable for wanted_algs; reports them.  Takes set. */
static void
keys_report(struct doctor *d, const char *uri, struct jwk_set *set)
{
	bool fits[N_WANTED] = {false};
	size_t usable = 0, n = jwk_set_count(set);
	char algs[64] = "";

	for (size_t i = 0; i < n; i++) {
		bool any = false;
		for (size_t a = 0; a < N_WANTED; a++)
			if (jwk_alg_fits(jwk_set_get(set, i), wanted_algs[a]))
				any = fits[a] = true;
		usable += any;
	}
	for (size_t a = 0; a < N_WANTED; a++)
		if (fits[a])
			snprintf(algs + strlen(algs), sizeof(algs) - strlen(algs), "%s%s",
			         algs[0] != '\0' ? ", " : "", jwa_name(wanted_algs[a]));
	if (usable == 0) {
		doctor_report(d, DOCTOR_FAIL, "JWKS",
		              "sign tokens with RS256, ES256 or PS256 (RSA of 2048 bits or more, "
		              "EC P-256) and publish the public keys",
		              "%s holds %zu keys, none usable for RS256, ES256 or PS256", uri, n);
		jwk_set_free(set);
		return;
	}
	doctor_report(d, DOCTOR_PASS, "JWKS", NULL, "%s: usable keys: %zu (%s)", uri, usable, algs);
	d->keys = set;
}

void
doctor_check_jwks(struct doctor *d)
{
	const char *uri = doctor_json_str(d->as, "jwks_uri");
	struct fetch_opts o = d->fetch;
	struct fetch_result r;
	struct jwk_set *set = NULL;
	struct err e;

	if (d->as == NULL) {
		doctor_report(d, DOCTOR_SKIP, "JWKS", NULL, "no authorization server metadata");
		return;
	}
	if (uri == NULL) {
		doctor_report(d, DOCTOR_FAIL, "JWKS",
		              "publish the signing keys (RFC 8414 jwks_uri)",
		              "the authorization server's metadata has no jwks_uri");
		return;
	}
	o.max_size = JWK_SET_MAX_BYTES;
	o.max_redirects = DOCTOR_REDIRECTS;
	if (fetch_get(uri, &o, &r, &e) != 0) {
		doctor_report(d, DOCTOR_FAIL, "JWKS",
		              "make the jwks_uri answer (the endpoint fetches its keys there too, "
		              "unless OAUTH_JWKS_URI names another)",
		              "jwks_uri %s: %s", uri, e.msg);
		return;
	}
	if (jwk_set_parse(r.body, r.len, &set, &e) != 0)
		doctor_report(d, DOCTOR_FAIL, "JWKS", "serve a JWK Set (RFC 7517 §5) there",
		              "jwks_uri %s: %s", uri, e.msg);
	else
		keys_report(d, uri, set);
	fetch_result_free(&r);
}

void
doctor_check_cors(struct doctor *d)
{
	char origin[URL_MAX + 16], *acao = NULL, *expose = NULL;
	const char *h[] = {HDR_JSON, HDR_ACCEPT, origin};
	struct fetch_response r;
	struct err e;
	const char *fix = "allow the origin (MCP_ALLOWED_ORIGINS) and expose the header: "
	                  "Access-Control-Expose-Headers: WWW-Authenticate";

	snprintf(origin, sizeof(origin), "Origin: %s", d->origin);
	if (doctor_http(d, "POST", d->url, h, 3, doctor_initialize_body, &r, &e) != 0) {
		doctor_report(d, DOCTOR_FAIL, "CORS", NULL, "no answer: %s", e.msg);
		return;
	}
	acao = fetch_response_header(&r, "Access-Control-Allow-Origin");
	expose = fetch_response_header(&r, "Access-Control-Expose-Headers");
	if (r.status == 403)
		doctor_report(d, DOCTOR_FAIL, "CORS", "add the origin to MCP_ALLOWED_ORIGINS",
		              "a request from Origin %s is refused (403)", d->origin);
	else if (acao == NULL || (strcmp(acao, d->origin) != 0 && strcmp(acao, "*") != 0))
		doctor_report(d, DOCTOR_FAIL, "CORS", fix,
		              "no Access-Control-Allow-Origin for %s (%s): browser clients cannot "
		              "read the answer",
		              d->origin, acao != NULL ? acao : "absent");
	else if (!doctor_list_has(expose, "WWW-Authenticate"))
		doctor_report(d, DOCTOR_FAIL, "CORS", fix,
		              "Access-Control-Expose-Headers (%s) does not name WWW-Authenticate: "
		              "browser clients never see the challenge",
		              expose != NULL ? expose : "absent");
	else
		doctor_report(d, DOCTOR_PASS, "CORS", NULL,
		              "Origin %s is allowed and WWW-Authenticate is exposed", d->origin);
	free(acao);
	free(expose);
	fetch_response_free(&r);
}

/* Reports the answer r to the deliberately invalid token. */
static void
probe_report(struct doctor *d, struct fetch_response *r)
{
	struct doctor_challenge c;
	char *v = fetch_response_header(r, "WWW-Authenticate");
	const char *why, *check = "Authorization header";
	bool parsed = doctor_challenge_parse(v, &c, &why) == 0;

	if (r->status == 401 && parsed && strcmp(c.error, "invalid_token") == 0)
		doctor_report(
		    d, DOCTOR_PASS, check, NULL,
		    "reaches the program: an invalid token gets error=\"invalid_token\"%s%s",
		    c.error_description[0] != '\0' ? ", " : "", c.error_description);
	else if (r->status == 401 && (!parsed || c.error[0] == '\0'))
		doctor_report(d, DOCTOR_FAIL, check,
		              "pass the header on: Apache needs CGIPassAuth On (or SetEnvIf "
		              "Authorization \"(.*)\" HTTP_AUTHORIZATION=$1), a proxy must forward "
		              "Authorization, and no rule may unset it",
		              "does not reach the program: an invalid token gets a bare 401, as if "
		              "none was sent");
	else if (r->status == 503)
		doctor_report(d, DOCTOR_FAIL, "signing keys",
		              "make the issuer's JWKS reachable from the server (OAUTH_JWKS_URI, "
		              "OAUTH_ISSUER, OAUTH_HTTP_PROXY); /health and the error log say why",
		              "the server answers a token with 503: it has no usable signing keys "
		              "(it cannot fetch its JWKS)");
	else
		doctor_report(
		    d, DOCTOR_FAIL, check,
		    "an invalid token must get 401 with error=\"invalid_token\" (RFC 6750 "
		    "§3.1)",
		    "an invalid token got %ld%s%s", r->status, parsed ? ", error=" : "",
		    parsed ? c.error : "");
	free(v);
}

void
doctor_check_authorization_header(struct doctor *d)
{
	static const char *const h[] = {HDR_JSON, HDR_ACCEPT, "Authorization: Bearer " PROBE_TOKEN};
	struct fetch_response r;
	struct err e;

	if (doctor_http(d, "POST", d->url, h, 3, doctor_initialize_body, &r, &e) != 0) {
		doctor_report(d, DOCTOR_FAIL, "Authorization header", NULL, "no answer: %s", e.msg);
		return;
	}
	probe_report(d, &r);
	fetch_response_free(&r);
}
