/*
 * doctor.c - the doctor's run, its report, and the pure helpers its checks
 * share: the challenge parser, URL comparison, the authorization server's
 * well-known URLs, escaping for the terminal.
 */
#include "cli/doctor.h"

#include "lib/core/log.h"
#include "lib/jose/jwk.h"
#include "lib/jose/token.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DOCTOR_CONNECT_MS 5000
#define DOCTOR_TIMEOUT_MS 10000
#define WK_AS             "/.well-known/oauth-authorization-server"
#define WK_OIDC           "/.well-known/openid-configuration"

const char doctor_initialize_body[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
    "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
    "\"clientInfo\":{\"name\":\"mcp-fcgi-cli doctor\",\"version\":\"1\"}}}";

/* ---- the challenge (RFC 9110 §11.6.1, RFC 6750 §3) ----------------------- */

/* RFC 9110 §5.6.2 tchar. */
static bool
tchar(char c)
{
	return isalnum((unsigned char)c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Reads a token or quoted-string at p into dst[cap] (dst NULL: skipped).
 * Returns the position after it, or NULL with *why set.
 */
static const char *
param_value(const char *p, char *dst, size_t cap, const char **why)
{
	size_t n = 0;

	if (*p != '"') {
		for (; tchar(*p) || *p == '/' || *p == '='; p++, n++) {
			if (dst != NULL && n + 1 >= cap)
				return *why = "a parameter value is too long", NULL;
			if (dst != NULL)
				dst[n] = *p;
		}
		if (n == 0)
			return *why = "a parameter has no value", NULL;
	} else {
		for (p++; *p != '"'; p++, n++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (*p == '\0')
				return *why = "a quoted string is not terminated", NULL;
			if (dst != NULL && n + 1 >= cap)
				return *why = "a parameter value is too long", NULL;
			if (dst != NULL)
				dst[n] = *p;
		}
		p++;
	}
	if (dst != NULL)
		dst[n] = '\0';
	return p;
}

/* The field of c that parameter name [p, p+len) fills, or NULL (ignored). */
static char *
param_field(struct doctor_challenge *c, const char *p, size_t len, size_t *cap)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} f[] = {
	    {"realm", offsetof(struct doctor_challenge, realm), DOCTOR_PARAM_MAX},
	    {"error", offsetof(struct doctor_challenge, error), DOCTOR_PARAM_MAX},
	    {"error_description", offsetof(struct doctor_challenge, error_description),
	     DOCTOR_PARAM_MAX},
	    {"scope", offsetof(struct doctor_challenge, scope), DOCTOR_PARAM_MAX},
	    {"resource_metadata", offsetof(struct doctor_challenge, resource_metadata),
	     URL_MAX + 1},
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strlen(f[i].name) == len && strncasecmp(p, f[i].name, len) == 0) {
			*cap = f[i].cap;
			return (char *)c + f[i].off;
		}
	return NULL;
}

/*
 * Parses the auth-params after a scheme at p, into c when c is not NULL.
 * Returns the position of the next challenge's scheme (or the end), or NULL
 * with *why set.
 */
static const char *
challenge_params(const char *p, struct doctor_challenge *c, const char **why)
{
	for (;;) {
		const char *name, *q;
		size_t cap = 0;
		char *dst;

		p = skip_ows(p);
		while (*p == ',')
			p = skip_ows(p + 1);
		name = q = p;
		while (tchar(*q))
			q++;
		if (q == name || *skip_ows(q) != '=' || skip_ows(q)[1] == '=')
			return name; /* not "name=": the next scheme, token68 or the end */
		dst = c != NULL ? param_field(c, name, (size_t)(q - name), &cap) : NULL;
		/* RFC 9110 §11.2: a parameter name occurs once per challenge. */
		if (dst != NULL && dst[0] != '\0')
			return *why = "a parameter is given twice", NULL;
		p = param_value(skip_ows(skip_ows(q) + 1), dst, cap, why);
		if (p == NULL)
			return NULL;
		p = skip_ows(p);
		if (*p != ',' && *p != '\0')
			return *why = "parameters are not separated by commas", NULL;
	}
}

/* The position after a token68 at p (after white space), or p when none is there. */
static const char *
skip_token68(const char *p)
{
	const char *q = skip_ows(p), *end = q;

	while (tchar(*end) || *end == '/')
		end++;
	if (end == q)
		return p;
	while (*end == '=')
		end++;
	/* "realm=x" is a parameter; "abc==" followed by a comma or the end is a token68. */
	return *skip_ows(end) == ',' || *skip_ows(end) == '\0' ? end : p;
}

int
doctor_challenge_parse(const char *value, struct doctor_challenge *out, const char **why)
{
	const char *p = value != NULL ? value : "";
	bool found = false;

	memset(out, 0, sizeof(*out));
	*why = "no Bearer challenge";
	while (*(p = skip_ows(p)) != '\0') {
		const char *scheme = p;
		bool bearer;

		if (*p == ',') {
			p++;
			continue;
		}
		while (tchar(*p))
			p++;
		if (p == scheme)
			return *why = "not a challenge list (RFC 9110 §11.6.1)", -1;
		bearer = p - scheme == 6 && strncasecmp(scheme, "Bearer", 6) == 0;
		/* A token68 instead of parameters (RFC 9110 §11.3, not Bearer's form): skip it. */
		if (*p == ' ' || *p == '\t')
			p = skip_token68(p);
		if ((p = challenge_params(p, bearer && !found ? out : NULL, why)) == NULL)
			return -1;
		found = found || bearer;
	}
	return found ? 0 : -1;
}

/* ---- URLs ------------------------------------------------------------------ */

/* The parts of an absolute http(s) URL, pointing into it. */
struct url_parts {
	const char *scheme, *host, *port, *path, *query;
	size_t scheme_len, host_len, port_len, path_len, query_len;
	bool https;
};

/* Splits url; 0, or -1 when it is not an absolute http(s) URL. */
static int
url_split(const char *url, struct url_parts *u)
{
	const char *p = url != NULL ? strstr(url, "://") : NULL, *a, *end, *colon;

	if (p == NULL)
		return -1;
	*u = (struct url_parts){.scheme = url, .scheme_len = (size_t)(p - url)};
	u->https = u->scheme_len == 5 && strncasecmp(url, "https", 5) == 0;
	if (!u->https && !(u->scheme_len == 4 && strncasecmp(url, "http", 4) == 0))
		return -1;
	a = p + 3;
	end = a + strcspn(a, "/?#");
	/* A bracketed IPv6 literal holds colons of its own. */
	colon = *a == '[' ? memchr(a, ']', (size_t)(end - a)) : a;
	colon = colon != NULL ? memchr(colon, ':', (size_t)(end - colon)) : NULL;
	u->host = a;
	u->host_len = (size_t)((colon != NULL ? colon : end) - a);
	if (colon != NULL) {
		u->port = colon + 1;
		u->port_len = (size_t)(end - colon - 1);
	}
	u->path = end;
	u->path_len = strcspn(end, "?#");
	if (end[u->path_len] == '?') {
		u->query = end + u->path_len + 1;
		u->query_len = strcspn(u->query, "#");
	}
	return u->host_len > 0 ? 0 : -1;
}

/* The port of u as a number, the scheme's default when none is written. */
static long
url_port(const struct url_parts *u)
{
	long port = 0;

	if (u->port_len == 0)
		return u->https ? 443 : 80;
	for (size_t i = 0; i < u->port_len; i++) {
		if (!isdigit((unsigned char)u->port[i]) || port > 65535)
			return -1;
		port = port * 10 + (u->port[i] - '0');
	}
	return port;
}

/* True when paths a and b differ only by one trailing slash ("" counts as "/"). */
static bool
slash_drift(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen > blen)
		return slash_drift(b, blen, a, alen);
	return blen == alen + 1 && b[alen] == '/' && memcmp(a, b, alen) == 0;
}

enum doctor_url_diff
doctor_url_compare(const char *want, const char *got)
{
	struct url_parts w, g;

	if (url_split(want, &w) != 0 || url_split(got, &g) != 0)
		return DOCTOR_URL_INVALID;
	if (strcmp(want, got) == 0)
		return DOCTOR_URL_SAME;
	if (w.https != g.https)
		return DOCTOR_URL_SCHEME;
	if (w.host_len != g.host_len || strncasecmp(w.host, g.host, w.host_len) != 0)
		return DOCTOR_URL_HOST;
	if (url_port(&w) != url_port(&g))
		return DOCTOR_URL_PORT;
	if (slash_drift(w.path, w.path_len, g.path, g.path_len))
		return DOCTOR_URL_SLASH;
	if (w.path_len != g.path_len || memcmp(w.path, g.path, w.path_len) != 0)
		return DOCTOR_URL_PATH;
	if (w.query_len != g.query_len ||
	    (w.query_len > 0 && memcmp(w.query, g.query, w.query_len)))
		return DOCTOR_URL_QUERY;
	return DOCTOR_URL_SPELLING;
}

const char *
doctor_url_diff_text(enum doctor_url_diff d)
{
	static const char *const text[DOCTOR_URL__MAX] = {
	    [DOCTOR_URL_SAME] = "identical",
	    [DOCTOR_URL_SCHEME] = "the scheme differs",
	    [DOCTOR_URL_HOST] = "the host differs",
	    [DOCTOR_URL_PORT] = "the port differs",
	    [DOCTOR_URL_SLASH] = "the path differs by a trailing slash",
	    [DOCTOR_URL_PATH] = "the path differs",
	    [DOCTOR_URL_QUERY] = "the query differs",
	    [DOCTOR_URL_SPELLING] = "they differ in letter case or a written default port, "
	                            "and clients compare them as strings",
	    [DOCTOR_URL_INVALID] = "one is not an absolute http(s) URL",
	};

	return d >= 0 && d < DOCTOR_URL__MAX ? text[d] : "?";
}

size_t
doctor_as_metadata_urls(const char *issuer, char urls[DOCTOR_AS_URLS_MAX][DOCTOR_URL_MAX])
{
	struct url_parts u;
	int olen, plen;
	size_t n = 0;

	if (issuer == NULL || strlen(issuer) > URL_MAX || url_split(issuer, &u) != 0 ||
	    u.query != NULL || strchr(issuer, '#') != NULL)
		return 0;
	olen = (int)(u.path - issuer);
	/* An issuer "https://as.example/" has no path component (RFC 8414 §3.1). */
	plen = strcmp(u.path, "/") == 0 ? 0 : (int)u.path_len;
	snprintf(urls[n++], DOCTOR_URL_MAX, "%.*s" WK_AS "%.*s", olen, issuer, plen, u.path);
	snprintf(urls[n++], DOCTOR_URL_MAX, "%.*s" WK_OIDC "%.*s", olen, issuer, plen, u.path);
	if (plen > 0)
		snprintf(urls[n++], DOCTOR_URL_MAX, "%.*s%.*s" WK_OIDC, olen, issuer,
		         u.path[plen - 1] == '/' ? plen - 1 : plen, u.path);
	return n;
}

bool
doctor_url_secure(const char *url)
{
	struct url_parts u;

	if (url_split(url, &u) != 0)
		return false;
	if (u.https)
		return true;
	return (u.host_len == 9 && strncasecmp(u.host, "localhost", 9) == 0) ||
	       (u.host_len >= 4 && strncmp(u.host, "127.", 4) == 0) ||
	       (u.host_len == 5 && strncmp(u.host, "[::1]", 5) == 0);
}

bool
doctor_list_has(const char *value, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = value; p != NULL && *p != '\0';) {
		size_t len;

		p = skip_ows(p);
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if ((len == nl && strncasecmp(p, name, nl) == 0) || (len == 1 && *p == '*'))
			return true;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return false;
}

const char *
doctor_json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- the report ------------------------------------------------------------ */

void
doctor_escape(char *dst, size_t cap, const char *src)
{
	const char *s = src != NULL ? src : "";
	size_t n = 0, len = strlen(s);

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t seq = c >= 0x80 ? utf8_seq(s + i, len - i) : 1;
		size_t need = seq == 0 || c < 0x20 || c == 0x7f ? 4 : seq;

		if (n + need + 4 > cap) {
			memcpy(dst + n, "...", 4);
			return;
		}
		if (need == 4 && (seq == 0 || seq == 1)) {
			snprintf(dst + n, 5, "\\x%02x", c);
			i++;
		} else {
			memcpy(dst + n, s + i, seq);
			i += seq;
		}
		n += need;
	}
	dst[n] = '\0';
}

/* Replaces every copy of secret in line with "[token]". */
static void
redact(char *line, const char *secret)
{
	static const char mark[] = "[token]";
	size_t sl = secret != NULL ? strlen(secret) : 0;
	char *p;

	while (sl > 0 && (p = strstr(line, secret)) != NULL) {
		size_t rest = strlen(p + sl);
		/* Never longer than what it hides: a shorter secret is starred out. */
		if (sl < sizeof(mark) - 1) {
			memset(p, '*', sl);
			continue;
		}
		memcpy(p, mark, sizeof(mark) - 1);
		memmove(p + sizeof(mark) - 1, p + sl, rest + 1);
	}
}

/*
 * Prints head and text (which it may change), the secret's copies replaced
 * first, over the whole text, so that cutting the line never leaves part of
 * one; then escaped and cut to DOCTOR_LINE_MAX.
 */
static void
print_line(const char *head, char *text, const char *secret)
{
	char line[DOCTOR_LINE_MAX];

	redact(text, secret);
	doctor_escape(line, sizeof(line), text);
	printf("%s%s\n", head, line);
}

void
doctor_report(struct doctor *d, enum doctor_outcome o, const char *check, const char *fix,
              const char *fmt, ...)
{
	static const char *const label[] = {"PASS", "FAIL", "NOTE", "SKIP"};
	char head[96], *text;
	va_list ap, again;
	int n;

	va_start(ap, fmt);
	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	text = xmalloc(n > 0 ? (size_t)n + 1 : 1);
	text[0] = '\0';
	if (n > 0)
		vsnprintf(text, (size_t)n + 1, fmt, again);
	va_end(again);
	snprintf(head, sizeof(head), "%s  %s: ", label[o], check);
	print_line(head, text, d->token);
	free(text);
	if (o == DOCTOR_FAIL && fix != NULL) {
		text = xstrdup(fix);
		print_line("      fix: ", text, d->token);
		free(text);
	}
	d->passed += o == DOCTOR_PASS;
	d->failed += o == DOCTOR_FAIL;
	d->notes += o == DOCTOR_NOTE;
	fflush(stdout);
}

int
doctor_http(const struct doctor *d, const char *method, const char *url, const char *const *headers,
            size_t n, const char *body, struct fetch_response *res, struct err *e)
{
	struct fetch_request rq = {
	    .method = method,
	    .headers = headers,
	    .n_headers = n,
	    .body = body,
	    .body_len = body != NULL ? strlen(body) : 0,
	};

	return fetch_request(url, &rq, &d->fetch, res, e);
}

/* ---- the run ----------------------------------------------------------------- */

static int
usage(void)
{
	fputs("usage: mcp-fcgi-cli doctor <MCP URL> [--token TOKEN|-] [--origin ORIGIN]\n", stderr);
	return 2;
}

/* Reads a token from stdin into buf (for --token -, keeping it out of ps); 0 or -1. */
static int
token_from_stdin(char *buf, size_t cap)
{
	if (fgets(buf, (int)cap, stdin) == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] != '\0' ? 0 : -1;
}

/* Parses the arguments after "doctor" into d; 0, or -1 for a usage error. */
static int
parse_args(int argc, char **argv, struct doctor *d, char *tokbuf, size_t cap)
{
	const char *origin = NULL;
	struct url_parts u;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--token") == 0 && i + 1 < argc)
			d->token = argv[++i];
		else if (strcmp(argv[i], "--origin") == 0 && i + 1 < argc)
			origin = argv[++i];
		else if (argv[i][0] != '-' && d->url == NULL)
			d->url = argv[i];
		else
			return -1;
	}
	if (d->url == NULL || url_split(d->url, &u) != 0)
		return -1;
	if (d->token != NULL && strcmp(d->token, "-") == 0) {
		if (token_from_stdin(tokbuf, cap) != 0)
			return -1;
		d->token = tokbuf;
	}
	/* Default Origin: the endpoint's own, which every deployment allows. */
	if (origin != NULL)
		snprintf(d->origin, sizeof(d->origin), "%s", origin);
	else
		snprintf(d->origin, sizeof(d->origin), "%.*s", (int)(u.path - d->url), d->url);
	/*
	 * The URLs the checks follow come from the network.  Behind an https
	 * endpoint every one must be https too (a plain http one is reported,
	 * not fetched); plain http only for an http (loopback) endpoint.
	 */
	d->fetch.allow_http = !u.https;
	return url_check(d->origin, URL_HTTP_OK, NULL) == 0 ? 0 : -1;
}

static void
doctor_free(struct doctor *d)
{
	cJSON_Delete(d->prm);
	cJSON_Delete(d->as);
	free(d->as_url);
	jwk_set_free(d->keys);
}

int
doctor_main(int argc, char **argv)
{
	struct doctor d = {
	    .fetch = {.connect_timeout_ms = DOCTOR_CONNECT_MS, .timeout_ms = DOCTOR_TIMEOUT_MS},
	};
	char tokbuf[TOKEN_MAX_LEN * 2];
	char shown[DOCTOR_LINE_MAX];

	/* The checks report every failure themselves; fetch's log lines would repeat them. */
	log_set_level(LOGL_ERROR);
	if (parse_args(argc, argv, &d, tokbuf, sizeof(tokbuf)) != 0) {
		explicit_bzero(tokbuf, sizeof(tokbuf));
		return usage();
	}
	doctor_escape(shown, sizeof(shown), d.url);
	printf("mcp-fcgi-cli doctor %s\n", shown);
	if (!doctor_url_secure(d.url))
		doctor_report(&d, DOCTOR_FAIL, "URL", "serve the endpoint over https",
		              "plain http to a host that is not loopback: clients refuse it "
		              "(OAuth 2.1 §1.5)");
	doctor_check_challenge(&d, "POST");
	doctor_check_challenge(&d, "GET");
	doctor_check_resource_metadata(&d);
	doctor_check_authorization_server(&d);
	doctor_check_jwks(&d);
	doctor_check_cors(&d);
	doctor_check_authorization_header(&d);
	doctor_check_token(&d);
	printf("%d passed, %d failed, %d notes\n", d.passed, d.failed, d.notes);
	explicit_bzero(tokbuf, sizeof(tokbuf));
	doctor_free(&d);
	return d.failed == 0 ? 0 : 1;
}
