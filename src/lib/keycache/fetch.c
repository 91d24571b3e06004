/*
 * fetch.c - bounded HTTPS GET, and the doctor's general request, through
 * libcurl.
 *
 * Every option that decides where a request may go (protocols, redirects,
 * proxy) or how long and how much it may take is set explicitly, so neither
 * libcurl's defaults nor the environment (http_proxy, no_proxy, ~/.netrc)
 * can widen it.
 */
#include "lib/keycache/fetch.h"

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/num.h"
#include "lib/core/util.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define CC_BUF_MAX      1024 /* joined Cache-Control field lines */
#define BODY_CHUNK_INIT 4096
#define HDR_CC          "cache-control:"
#define HDR_ACCEPT      "Accept: application/json"

/* What the callbacks of one transfer share. */
struct transfer {
	char *buf;
	size_t len, cap, max;
	bool too_large;
	char cc[CC_BUF_MAX]; /* Cache-Control lines of the current response */
	size_t cc_len;
	bool cc_overflow;
	bool keep_headers; /* fetch_request(): keep the header lines below */
	bool headers_too_large;
	char *hdr; /* header lines of the current response, NUL-terminated */
	size_t hdr_len, hdr_cap;
};

/*
 * libcurl, loaded when the first fetch is due (dlopen): a request answered
 * from the key cache, which is nearly every one, never maps libcurl and the
 * thirty libraries it pulls in, and a host without libcurl still serves
 * with OAUTH_JWKS_FILE.  Process-wide: loaded once, never unloaded.
 */
static struct {
	int state; /* 0 not tried, 1 loaded, -1 failed (and logged) */
	char why[256];
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*easy_cleanup)(CURL *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} lib;

/* The request fetch_get() sends: a GET asking for JSON. */
static const char *const get_headers[] = {HDR_ACCEPT};
static const struct fetch_request get_request = {.headers = get_headers, .n_headers = 1};

/* Loads and initialises libcurl once; 0, or -1 with e (ERR_UNAVAILABLE). */
static int
lib_load(struct err *e)
{
	void *h;

	if (lib.state == 0) {
		lib.state = -1;
		h = dlopen(FETCH_LIBCURL, RTLD_NOW | RTLD_LOCAL);
		if (h == NULL)
			snprintf(lib.why, sizeof(lib.why), "%s", dlerror());
		else if (!util_dlsym(h, "curl_global_init", &lib.global_init) ||
		         !util_dlsym(h, "curl_easy_init", &lib.easy_init) ||
		         !util_dlsym(h, "curl_easy_setopt", &lib.easy_setopt) ||
		         !util_dlsym(h, "curl_easy_perform", &lib.easy_perform) ||
		         !util_dlsym(h, "curl_easy_getinfo", &lib.easy_getinfo) ||
		         !util_dlsym(h, "curl_easy_strerror", &lib.easy_strerror) ||
		         !util_dlsym(h, "curl_easy_cleanup", &lib.easy_cleanup) ||
		         !util_dlsym(h, "curl_slist_append", &lib.slist_append) ||
		         !util_dlsym(h, "curl_slist_free_all", &lib.slist_free_all))
			snprintf(lib.why, sizeof(lib.why), "a symbol is missing");
		else if (lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			snprintf(lib.why, sizeof(lib.why), "curl_global_init failed");
		else
			lib.state = 1;
		if (lib.state < 0)
			log_msg(LOGL_ERROR,
			        "%s cannot be loaded (%s): keys cannot be fetched; "
			        "OAUTH_JWKS_FILE serves keys without it",
			        FETCH_LIBCURL, lib.why);
	}
	if (lib.state < 0)
		return err_set(e, ERR_UNAVAILABLE, "network error (%s cannot be loaded)",
		               FETCH_LIBCURL);
	return 0;
}

void
fetch_result_free(struct fetch_result *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/*
 * Parses one delta-seconds value (RFC 9111 §1.2.2), quoted or not, into
 * *out.  Returns 0, or -1 when it is not a number.
 */
static int
parse_delta(const char *s, size_t len, int64_t *out)
{
	char num[24];
	int64_t v;

	/* RFC 9111 §5.2: senders use the token form, recipients accept quotes. */
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
	}
	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (len >= sizeof(num)) {
		*out = FETCH_MAX_AGE_CAP;
		return 0;
	}
	memcpy(num, s, len);
	num[len] = '\0';
	if (num_parse_i64(num, 0, INT64_MAX, &v) != 0)
		return -1;
	*out = v > FETCH_MAX_AGE_CAP ? FETCH_MAX_AGE_CAP : v;
	return 0;
}

/* True when the directive [d, d+len) is name, compared without case. */
static bool
directive_is(const char *d, size_t len, const char *name)
{
	return len == strlen(name) && strncasecmp(d, name, len) == 0;
}

int64_t
fetch_cache_control_parse(const char *value)
{
	int64_t max_age = -1, s_maxage = -1;
	bool no_store = false, invalid = false;
	const char *p = value;

	if (value == NULL)
		return -1;
	while (*p != '\0') {
		size_t n = strcspn(p, ","), name_len, val_len = 0;
		const char *d = p, *end = p + n, *eq, *val = NULL;
		int64_t v;

		p = *end == ',' ? end + 1 : end;
		/* Optional whitespace around list members (RFC 9110 §5.6.1). */
		while (d < end && (*d == ' ' || *d == '\t'))
			d++;
		while (end > d && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		eq = memchr(d, '=', (size_t)(end - d));
		name_len = (size_t)((eq != NULL ? eq : end) - d);
		if (eq != NULL) {
			val = eq + 1;
			val_len = (size_t)(end - val);
		}
		if (directive_is(d, name_len, "no-store") ||
		    directive_is(d, name_len, "no-cache")) {
			no_store = true;
		} else if (directive_is(d, name_len, "max-age") && max_age < 0) {
			if (val == NULL || parse_delta(val, val_len, &v) != 0)
				invalid = true;
			else
				max_age = v;
		} else if (directive_is(d, name_len, "s-maxage") && s_maxage < 0) {
			if (val == NULL || parse_delta(val, val_len, &v) != 0)
				invalid = true;
			else
				s_maxage = v;
		}
	}
	if (no_store || invalid)
		return 0;
	return s_maxage >= 0 ? s_maxage : max_age;
}

/*
 * libcurl write callback: appends to the body, refusing to grow past the
 * cap.  Returning less than asked aborts the transfer with CURLE_WRITE_ERROR.
 */
static size_t
body_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nmemb;

	/* CURLOPT_MAXFILESIZE only checks an announced length in libcurl 7.88; a
	 * chunked or length-less body is capped here, before any allocation. */
	if (n > t->max - t->len) {
		t->too_large = true;
		return 0;
	}
	if (t->len + n + 1 > t->cap) {
		size_t need = t->len + n + 1, cap = t->cap ? t->cap : BODY_CHUNK_INIT;

		/* Doubling keeps appends linear; never beyond the cap (+1 for the NUL). */
		while (cap < need)
			cap *= 2;
		if (cap > t->max + 1)
			cap = t->max + 1;
		t->buf = xrealloc(t->buf, cap);
		t->cap = cap;
	}
	memcpy(t->buf + t->len, ptr, n);
	t->len += n;
	return n;
}

/*
 * Appends one header line to t->hdr, within FETCH_HEADERS_MAX; -1 (the
 * transfer is then aborted) past it.
 */
static int
header_keep(struct transfer *t, const char *line, size_t len)
{
	if (len > FETCH_HEADERS_MAX - t->hdr_len) {
		t->headers_too_large = true;
		return -1;
	}
	if (t->hdr_len + len + 1 > t->hdr_cap) {
		t->hdr_cap =
		    t->hdr_len + len + 1 > 2 * t->hdr_cap ? t->hdr_len + len + 1 : 2 * t->hdr_cap;
		t->hdr = xrealloc(t->hdr, t->hdr_cap);
	}
	memcpy(t->hdr + t->hdr_len, line, len);
	t->hdr_len += len;
	t->hdr[t->hdr_len] = '\0';
	return 0;
}

/*
 * libcurl header callback: collects the Cache-Control lines of the latest
 * response (a status line starts a new one: redirects, 1xx), and for
 * fetch_request() every line of it.
 */
static size_t
header_line(char *buffer, size_t size, size_t nitems, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nitems, len = n, hl = strlen(HDR_CC);
	const char *v;

	/* Only the final response's freshness counts: reset at every status line. */
	if (len >= 5 && memcmp(buffer, "HTTP/", 5) == 0) {
		t->cc_len = 0;
		t->cc[0] = '\0';
		t->cc_overflow = false;
		t->hdr_len = 0;
		return n;
	}
	if (t->keep_headers && header_keep(t, buffer, len) != 0)
		return 0;
	if (len < hl || strncasecmp(buffer, HDR_CC, hl) != 0)
		return n;
	v = buffer + hl;
	len -= hl;
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	/* Field lines combine into one comma-separated list (RFC 9110 §5.3). */
	if (t->cc_len + len + 3 > sizeof(t->cc)) {
		t->cc_overflow = true;
		return n;
	}
	if (t->cc_len > 0) {
		memcpy(t->cc + t->cc_len, ", ", 2);
		t->cc_len += 2;
	}
	/* obs-fold or stray bytes must not smuggle a NUL or newline into the parser. */
	for (size_t i = 0; i < len; i++)
		t->cc[t->cc_len++] = iscntrl((unsigned char)v[i]) ? ' ' : v[i];
	t->cc[t->cc_len] = '\0';
	return n;
}

/* Sets the method and body of rq on h (a GET needs neither); libcurl's answer. */
static CURLcode
method_setup(CURL *h, const struct fetch_request *rq)
{
	const char *m = rq->method != NULL ? rq->method : "GET";
	CURLcode rc = CURLE_OK;

	if (strcmp(m, "HEAD") == 0)
		return lib.easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (rq->body != NULL || strcmp(m, "POST") == 0) {
		rc = lib.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		if (rc == CURLE_OK)
			rc = lib.easy_setopt(h, CURLOPT_POSTFIELDS,
			                     rq->body != NULL ? rq->body : "");
	}
	if (rc == CURLE_OK && strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0)
		rc = lib.easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	return rc;
}

/*
 * Sets every option of the transfer; returns the first libcurl refusal so a
 * library that cannot honour a restriction fails closed.
 */
static CURLcode
transfer_setup(CURL *h, const char *url, const struct fetch_opts *o, struct transfer *t,
               const struct fetch_request *rq, struct curl_slist *hdrs, char *errbuf)
{
	const char *protos = o->allow_http ? "http,https" : "https";
	long connect_ms =
	    o->connect_timeout_ms > 0 ? o->connect_timeout_ms : FETCH_DEFAULT_CONNECT_MS;
	long total_ms = o->timeout_ms > 0 ? o->timeout_ms : FETCH_DEFAULT_TIMEOUT_MS;
	long redirs = o->max_redirects > 0 ? o->max_redirects : 0;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = lib.easy_setopt(h, opt, val);                                         \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, url);
	/* The scheme check above, again inside libcurl, and for every redirect:
	 * a Location header cannot lead to file://, gopher:// or the like. */
	SET(CURLOPT_PROTOCOLS_STR, protos);
	SET(CURLOPT_REDIR_PROTOCOLS_STR, protos);
	/* No SIGALRM for DNS timeouts: we may live in a FastCGI worker. */
	SET(CURLOPT_NOSIGNAL, 1L);
	/* Keys fetched over an unverified connection would let anyone mint tokens. */
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		SET(CURLOPT_CAINFO, o->ca_file);
	/*
	 * An empty proxy disables proxies, environment variables included; a
	 * configured one is used for every host (no_proxy is not consulted).
	 */
	SET(CURLOPT_PROXY, o->proxy != NULL ? o->proxy : "");
	SET(CURLOPT_NOPROXY, o->proxy != NULL ? "" : "*");
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	SET(CURLOPT_TIMEOUT_MS, total_ms);
	SET(CURLOPT_FOLLOWLOCATION, redirs > 0 ? 1L : 0L);
	SET(CURLOPT_MAXREDIRS, redirs);
	/* An announced Content-Length past the cap fails before any body. */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max);
	/* No CURLOPT_ACCEPT_ENCODING: a compressed body could expand past any cap
	 * we check on the wire; these documents are small. */
	SET(CURLOPT_USERAGENT, FETCH_USER_AGENT);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_WRITEFUNCTION, body_write);
	SET(CURLOPT_WRITEDATA, t);
	SET(CURLOPT_HEADERFUNCTION, header_line);
	SET(CURLOPT_HEADERDATA, t);
#undef SET
	return rc == CURLE_OK ? method_setup(h, rq) : rc;
}

/*
 * Fills e for a failed transfer, from libcurl's code and what the callbacks
 * saw (fetch.h lists the messages), and logs libcurl's own detail with the
 * URL cut to shown bytes.  Returns -1.
 */
static int
transfer_error(CURLcode rc, const struct transfer *t, long status, const char *url, int shown,
               const char *detail, struct err *e)
{
	/*
	 * A body or headers cut off by our cap reach libcurl as a failed write:
	 * its text ("Failure writing output to destination") would hide why.
	 */
	if (rc == CURLE_WRITE_ERROR && (t->too_large || t->headers_too_large))
		log_msg(LOGL_WARN, "fetch %.*s: response %s too large (over %zu bytes)", shown, url,
		        t->too_large ? "body" : "headers",
		        t->too_large ? t->max : (size_t)FETCH_HEADERS_MAX);
	else
		log_msg(LOGL_WARN, "fetch %.*s: %s", shown, url,
		        detail[0] != '\0' ? detail : lib.easy_strerror(rc));
	switch (rc) {
	case CURLE_WRITE_ERROR:
		if (t->headers_too_large)
			return err_set(e, ERR_TOO_LARGE,
			               "response headers too large (over %d bytes)",
			               FETCH_HEADERS_MAX);
		if (t->too_large)
			break;
		return err_set(e, ERR_UNAVAILABLE, "network error");
	case CURLE_FILESIZE_EXCEEDED:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		return err_set(e, ERR_UNAVAILABLE, "timed out");
	case CURLE_UNSUPPORTED_PROTOCOL:
		return err_set(e, ERR_INVALID,
		               "URL not allowed: redirect to a protocol not allowed");
	case CURLE_URL_MALFORMAT:
		return err_set(e, ERR_INVALID, "URL not allowed: malformed");
	case CURLE_TOO_MANY_REDIRECTS:
		/* The last answer was yet another 3xx. */
		return err_set(e, ERR_UNAVAILABLE, "HTTP status %ld after too many redirects",
		               status);
	default:
		return err_set(e, ERR_UNAVAILABLE, "network error");
	}
	return err_set(e, ERR_TOO_LARGE, "response too large (over %zu bytes)", t->max);
}

/*
 * Builds the request header list of rq; NULL (with e) when a line is
 * refused, or libcurl could not allocate.  Caller frees with slist_free_all.
 */
static struct curl_slist *
headers_build(const struct fetch_request *rq, struct err *e)
{
	struct curl_slist *l = NULL, *n;

	if (rq->n_headers > FETCH_REQUEST_HEADERS_MAX) {
		err_set(e, ERR_INVALID, "request not allowed: too many headers");
		return NULL;
	}
	/* "Expect:" keeps libcurl from waiting for a 100 Continue on a larger body. */
	if ((l = lib.slist_append(NULL, "Expect:")) == NULL)
		goto oom;
	for (size_t i = 0; i < rq->n_headers; i++) {
		/* A line break in a header would smuggle another header or request. */
		if (strpbrk(rq->headers[i], "\r\n") != NULL) {
			lib.slist_free_all(l);
			err_set(e, ERR_INVALID, "request not allowed: line break in a header");
			return NULL;
		}
		if ((n = lib.slist_append(l, rq->headers[i])) == NULL)
			goto oom;
		l = n;
	}
	return l;
oom:
	if (l != NULL)
		lib.slist_free_all(l);
	err_set(e, ERR_UNAVAILABLE, "network error (libcurl could not start a transfer)");
	return NULL;
}

/*
 * Runs rq to url with the caps and rules of o, filling t (body, header
 * lines) and *status.  Returns 0 when a whole response came (any status),
 * or -1 with e filled (fetch.h lists the messages); t's buffers are the
 * caller's to free either way.
 */
static int
transfer_do(const char *url, const struct fetch_opts *o, const struct fetch_request *rq,
            struct transfer *t, long *status, struct err *e)
{
	int shown, ret = -1;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	CURL *h = NULL;
	CURLcode rc;

	*status = 0;
	if (url_check(url, o->allow_http ? URL_HTTP_OK : 0, e) != 0)
		return err_prefix(e, "URL not allowed");
	/* Log the URL without query or fragment: they may carry credentials. */
	shown = (int)strcspn(url, "?#");
	if (lib_load(e) != 0 || (hdrs = headers_build(rq, e)) == NULL)
		return -1;
	if ((h = lib.easy_init()) == NULL) {
		err_set(e, ERR_UNAVAILABLE, "network error (libcurl could not start a transfer)");
		goto out;
	}
	rc = transfer_setup(h, url, o, t, rq, hdrs, errbuf);
	if (rc != CURLE_OK) {
		/* Fail closed: a restriction libcurl cannot honour is no transfer at all. */
		err_set(e, ERR_UNAVAILABLE, "network error (libcurl refused an option: %s)",
		        lib.easy_strerror(rc));
		goto out;
	}
	rc = lib.easy_perform(h);
	lib.easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (rc != CURLE_OK)
		transfer_error(rc, t, *status, url, shown, errbuf, e);
	else
		ret = 0;
out:
	lib.slist_free_all(hdrs);
	if (h != NULL)
		lib.easy_cleanup(h);
	return ret;
}

/* The transfer's body, NUL-terminated, taken from t (never NULL). */
static char *
body_take(struct transfer *t)
{
	char *b = t->buf != NULL ? t->buf : xmalloc(1);

	b[t->len] = '\0';
	t->buf = NULL;
	return b;
}

int
fetch_get(const char *url, const struct fetch_opts *opts, struct fetch_result *out, struct err *e)
{
	static const struct fetch_opts defaults;
	const struct fetch_opts *o = opts != NULL ? opts : &defaults;
	struct transfer t = {.max = o->max_size > 0 ? o->max_size : FETCH_DEFAULT_MAX_SIZE};
	int ret = -1;

	*out = (struct fetch_result){.max_age = -1};
	if (t.max > FETCH_MAX_SIZE_LIMIT)
		t.max = FETCH_MAX_SIZE_LIMIT;
	if (transfer_do(url, o, &get_request, &t, &out->status, e) != 0)
		goto out;
	/* Only a 2xx is a successful answer (RFC 9110 §15.3); with redirects off a
	 * 3xx lands here too, as does a 304 we never asked for. */
	if (out->status < 200 || out->status > 299) {
		log_msg(LOGL_WARN, "fetch %.*s: HTTP status %ld", (int)strcspn(url, "?#"), url,
		        out->status);
		err_set(e, ERR_UNAVAILABLE, "HTTP status %ld", out->status);
		goto out;
	}
	out->len = t.len;
	out->body = body_take(&t);
	/* A header block too long to hold is treated as no-cache: refetch soon. */
	out->max_age = t.cc_overflow ? 0 : fetch_cache_control_parse(t.cc_len ? t.cc : NULL);
	ret = 0;
out:
	free(t.buf);
	return ret;
}

int
fetch_request(const char *url, const struct fetch_request *rq, const struct fetch_opts *opts,
              struct fetch_response *out, struct err *e)
{
	static const struct fetch_opts defaults;
	const struct fetch_opts *o = opts != NULL ? opts : &defaults;
	struct transfer t = {.max = o->max_size > 0 ? o->max_size : FETCH_DEFAULT_MAX_SIZE,
	                     .keep_headers = true};
	int ret = -1;

	*out = (struct fetch_response){0};
	if (t.max > FETCH_MAX_SIZE_LIMIT)
		t.max = FETCH_MAX_SIZE_LIMIT;
	if (transfer_do(url, o, rq, &t, &out->status, e) == 0) {
		out->len = t.len;
		out->body = body_take(&t);
		out->headers_len = t.hdr_len;
		out->headers = t.hdr != NULL ? t.hdr : xstrdup("");
		t.hdr = NULL;
		ret = 0;
	}
	free(t.buf);
	free(t.hdr);
	return ret;
}

void
fetch_response_free(struct fetch_response *r)
{
	if (r == NULL)
		return;
	free(r->headers);
	free(r->body);
	*r = (struct fetch_response){0};
}
