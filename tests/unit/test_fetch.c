/*
 * test_fetch.c - fetch_get against a real lighttpd on 127.0.0.1.
 *
 * One server serves every test: static fixtures with Cache-Control headers
 * added by mod_setenv, redirects by mod_redirect, and two CGI scripts for
 * what a static file cannot do (a body without Content-Length, a slow
 * answer, echoing request headers).
 */
#include "lib/keycache/fetch.h"

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"

#include "lighttpd_fixture.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct lighttpd_fixture srv;
static bool srv_ok;

/* Cache-Control per URL, redirects, and CGI for the *.sh scripts. */
static const char srv_conf[] =
    "$HTTP[\"url\"] == \"/jwks.json\" { setenv.add-response-header = "
    "(\"Cache-Control\" => \"max-age=300\") }\n"
    "$HTTP[\"url\"] == \"/smax.json\" { setenv.add-response-header = "
    "(\"Cache-Control\" => \"public, max-age=100, s-maxage=200\") }\n"
    "$HTTP[\"url\"] == \"/nostore.json\" { setenv.add-response-header = "
    "(\"Cache-Control\" => \"max-age=100, no-store\") }\n"
    "$HTTP[\"url\"] == \"/chunked.sh\" { server.stream-response-body = 2 }\n"
    "url.redirect = (\"^/redir$\" => \"/jwks.json\", \"^/loop$\" => \"/loop\","
    " \"^/to-ftp$\" => \"ftp://127.0.0.1/x\")\n"
    "cgi.assign = (\".sh\" => \"/bin/sh\")\n";

static const char stream_sh[] = "printf 'Content-Type: application/json\\r\\n\\r\\n'\n"
                                "head -c 400000 /dev/zero | tr '\\000' a\n";
/* Streamed (see srv_conf) in two parts: chunked, no Content-Length to refuse early. */
static const char chunked_sh[] = "printf 'Content-Type: application/json\\r\\n\\r\\n'\n"
                                 "head -c 100000 /dev/zero | tr '\\000' a\nsleep 0.2\n"
                                 "head -c 300000 /dev/zero | tr '\\000' a\n";
static const char slow_sh[] = "sleep 2\nprintf 'Content-Type: application/json\\r\\n\\r\\n{}'\n";
static const char echo_sh[] = "printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
                              "printf '%s|%s' \"$HTTP_ACCEPT\" \"$HTTP_USER_AGENT\"\n";
/* fetch_request(): answers 401 with two challenges, echoing method, a header and the body. */
static const char req_sh[] =
    "printf 'Status: 401\\r\\nWWW-Authenticate: Bearer a=1\\r\\n'\n"
    "printf 'www-authenticate: Basic\\r\\nContent-Type: text/plain\\r\\n\\r\\n'\n"
    "printf '%s|%s|' \"$REQUEST_METHOD\" \"$HTTP_X_PROBE\"\n"
    "head -c \"${CONTENT_LENGTH:-0}\"\n";

static char url_buf[256];

/* The server's URL for path. */
static const char *
url(const char *path)
{
	snprintf(url_buf, sizeof(url_buf), "%s%s", srv.base, path);
	return url_buf;
}

/* Options for the loopback server: plain http allowed. */
static struct fetch_opts
loopback(void)
{
	return (struct fetch_opts){.allow_http = true};
}

/*
 * Starts the shared server with every fixture it serves (the fixture, not
 * a test).  Returns 0, or -1 when anything is missing.
 */
static int
setup(void)
{
	const char *lvl = getenv("MCP_TEST_LOG");
	char *k1 = NULL, *big = NULL;
	size_t k1_len = 0, big_len = 300 * 1024;
	enum log_level l;
	int rc = -1;

	/* Refusals are expected here; keep the output to what matters. */
	log_set_level(lvl != NULL && log_level_parse(lvl, &l) == 0 ? l : LOGL_ERROR);
	if (lighttpd_fixture_init(&srv) != 0)
		return -1;
	k1 = fixture_jwks("rsa-k1.json", &k1_len);
	big = xmalloc(big_len);
	memset(big, ' ', big_len);
	if (k1 != NULL && lighttpd_fixture_put(&srv, "jwks.json", k1, k1_len) == 0 &&
	    lighttpd_fixture_put(&srv, "smax.json", k1, k1_len) == 0 &&
	    lighttpd_fixture_put(&srv, "nostore.json", k1, k1_len) == 0 &&
	    lighttpd_fixture_put(&srv, "plain.json", k1, k1_len) == 0 &&
	    lighttpd_fixture_put(&srv, "empty.json", "", 0) == 0 &&
	    lighttpd_fixture_put(&srv, "big.json", big, big_len) == 0 &&
	    lighttpd_fixture_put(&srv, "stream.sh", stream_sh, strlen(stream_sh)) == 0 &&
	    lighttpd_fixture_put(&srv, "chunked.sh", chunked_sh, strlen(chunked_sh)) == 0 &&
	    lighttpd_fixture_put(&srv, "slow.sh", slow_sh, strlen(slow_sh)) == 0 &&
	    lighttpd_fixture_put(&srv, "echo.sh", echo_sh, strlen(echo_sh)) == 0 &&
	    lighttpd_fixture_put(&srv, "req.sh", req_sh, strlen(req_sh)) == 0 &&
	    lighttpd_fixture_start(&srv, srv_conf) == 0)
		rc = 0;
	srv_ok = rc == 0 && srv.pid > 0;
	free(k1);
	free(big);
	return rc;
}

/* Stops the server and removes its tree; its error log is shown after a failure. */
static void
cleanup(void)
{
	if (!srv_ok || test_failed_checks > 0)
		lighttpd_fixture_dump(&srv);
	lighttpd_fixture_cleanup(&srv);
	if (access(srv.conf, F_OK) == 0)
		fprintf(stderr, "  cleanup left %s behind\n", srv.conf);
}

/* A 200 with its body, length, NUL terminator and Cache-Control lifetime. */
TEST(test_fetch_ok)
{
	struct fetch_opts o = loopback();
	struct fetch_result r;
	struct err e = {0};
	char *want = fixture_jwks("rsa-k1.json", NULL);

	CHECK(srv_ok);
	CHECK_INT(fetch_get(url("/jwks.json"), &o, &r, &e), 0);
	CHECK_ERR(e, ERR_OK, ""); /* success leaves e alone */
	CHECK_INT(r.status, 200);
	CHECK_INT(r.len, want != NULL ? strlen(want) : 0);
	CHECK_STR(r.body, want);
	CHECK_INT(r.max_age, 300);
	fetch_result_free(&r);
	CHECK(r.body == NULL);
	fetch_result_free(&r); /* twice is harmless */
	fetch_result_free(NULL);
	free(want);
}

/* An empty body is an empty string, not NULL. */
TEST(test_fetch_empty_body_is_terminated)
{
	struct fetch_opts o = loopback();
	struct fetch_result r;

	CHECK_INT(fetch_get(url("/empty.json"), &o, &r, NULL), 0);
	CHECK(r.body != NULL);
	CHECK_INT(r.len, 0);
	CHECK_STR(r.body, "");
	CHECK_INT(r.max_age, -1);
	fetch_result_free(&r);
}

/* Without allow_http only https leaves; other schemes and malformed URLs never do. */
TEST(test_https_only)
{
	struct fetch_opts o = {0};
	struct fetch_result r;
	struct err e;
	int before = lighttpd_fixture_count(&srv, "GET /jwks.json ");
	char long_url[URL_MAX + 32];

	/* No request may leave for a refused URL. */
	CHECK_INT(fetch_get(url("/jwks.json"), &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "URL not allowed: plain http is not allowed");
	CHECK(r.body == NULL);
	CHECK_INT(fetch_get(url("/jwks.json"), NULL, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "URL not allowed: plain http is not allowed");
	CHECK_INT(lighttpd_fixture_count(&srv, "GET /jwks.json "), before);
	o.allow_http = true;
	CHECK_INT(fetch_get("ftp://127.0.0.1/jwks.json", &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "URL not allowed: not an absolute https:// URL");
	CHECK_INT(fetch_get("file:///etc/passwd", &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "URL not allowed: not an absolute https:// URL");
	CHECK_INT(fetch_get("http://127.0.0.1/a b", &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "URL not allowed: contains a space");
	CHECK_INT(fetch_get("http://127.0.0.1/a\nb", &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "control character");
	CHECK_INT(fetch_get("", &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "URL not allowed: empty URL");
	CHECK_INT(fetch_get(NULL, &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "URL not allowed: empty URL");
	memset(long_url, 'a', sizeof(long_url) - 1);
	long_url[sizeof(long_url) - 1] = '\0';
	memcpy(long_url, "http://", 7);
	CHECK_INT(fetch_get(long_url, &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "URL not allowed: longer than 2048 bytes");
	CHECK(r.body == NULL);
}

/* A non-2xx answer is an error carrying its status, with no body kept. */
TEST(test_status_404)
{
	struct fetch_opts o = loopback();
	struct fetch_result r;

	struct err e;

	CHECK_INT(fetch_get(url("/missing.json"), &o, &r, &e), -1);
	CHECK_ERR(e, ERR_UNAVAILABLE, "HTTP status 404");
	CHECK_INT(r.status, 404);
	CHECK(r.body == NULL);
	CHECK_INT(r.len, 0);
}

/* The body cap holds for announced (Content-Length) and streamed bodies. */
TEST(test_too_large)
{
	struct fetch_opts o = loopback();
	struct fetch_result r;
	struct err e;

	/* Announced by Content-Length: refused before the body. */
	CHECK_INT(fetch_get(url("/big.json"), &o, &r, &e), -1);
	CHECK_ERR(e, ERR_TOO_LARGE, "response too large (over 262144 bytes)");
	CHECK(r.body == NULL);
	o.max_size = 100;
	CHECK_INT(fetch_get(url("/jwks.json"), &o, &r, &e), -1);
	CHECK_ERR(e, ERR_TOO_LARGE, "response too large (over 100 bytes)");
	/* Streamed without Content-Length: cut off in the write callback. */
	o.max_size = 0;
	CHECK_INT(fetch_get(url("/stream.sh"), &o, &r, &e), -1);
	CHECK_ERR(e, ERR_TOO_LARGE, "response too large");
	CHECK(r.body == NULL);
	/* Exactly at the cap is fine. */
	o.max_size = 400000;
	CHECK_INT(fetch_get(url("/stream.sh"), &o, &r, &e), 0);
	CHECK_INT(r.len, 400000);
	fetch_result_free(&r);
}

/*
 * A streamed body cut off by the cap is logged as too large, not as
 * libcurl's "Failure writing output to destination", which hid the cause
 * from the operator (found by tests/e2e/faults_issuer.sh).
 */
TEST(test_too_large_logged)
{
	struct fetch_opts o = loopback();
	struct fetch_result r;
	struct err e;
	char path[] = "/tmp/test_fetch_log.XXXXXX", buf[4096] = "";
	int fd = mkstemp(path);
	ssize_t n;

	CHECK(fd >= 0);
	log_set_level(LOGL_WARN);
	CHECK_INT(log_open(path), 0);
	CHECK_INT(fetch_get(url("/chunked.sh"), &o, &r, &e), -1);
	log_open("/dev/null");
	log_set_level(LOGL_ERROR);
	CHECK_ERR(e, ERR_TOO_LARGE, "response too large (over 262144 bytes)");
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_CONTAINS(buf, "/chunked.sh: response body too large (over 262144 bytes)");
	CHECK(strstr(buf, "Failure writing") == NULL);
	close(fd);
	unlink(path);
}

/* Nothing listening: a network error, no status. */
TEST(test_connect_refused)
{
	struct fetch_opts o = loopback();
	struct fetch_result r;
	struct err e;
	char dead[64];

	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d/jwks.json", fixture_free_port());
	CHECK_INT(fetch_get(dead, &o, &r, &e), -1);
	CHECK_ERR(e, ERR_UNAVAILABLE, "network error");
	CHECK(r.body == NULL);
	CHECK_INT(r.status, 0);
}

/* A slow server hits the total timeout. */
TEST(test_timeout)
{
	struct fetch_opts o = loopback();
	struct fetch_result r;
	struct err e;

	o.timeout_ms = 300;
	CHECK_INT(fetch_get(url("/slow.sh"), &o, &r, &e), -1);
	CHECK_ERR(e, ERR_UNAVAILABLE, "timed out");
	CHECK(r.body == NULL);
}

/* Cache-Control as a real server sends it. */
TEST(test_cache_control_from_server)
{
	struct fetch_opts o = loopback();
	struct fetch_result r;

	CHECK_INT(fetch_get(url("/smax.json"), &o, &r, NULL), 0);
	CHECK_INT(r.max_age, 200);
	fetch_result_free(&r);
	CHECK_INT(fetch_get(url("/nostore.json"), &o, &r, NULL), 0);
	CHECK_INT(r.max_age, 0);
	fetch_result_free(&r);
	CHECK_INT(fetch_get(url("/plain.json"), &o, &r, NULL), 0);
	CHECK_INT(r.max_age, -1);
	fetch_result_free(&r);
}

/* The Cache-Control parser on its own (RFC 9111 §5.2). */
TEST(test_cache_control_parse)
{
	CHECK_INT(fetch_cache_control_parse(NULL), -1);
	CHECK_INT(fetch_cache_control_parse(""), -1);
	CHECK_INT(fetch_cache_control_parse("public"), -1);
	CHECK_INT(fetch_cache_control_parse("max-age=60"), 60);
	CHECK_INT(fetch_cache_control_parse("MAX-AGE=60"), 60);
	CHECK_INT(fetch_cache_control_parse("max-age=\"60\""), 60);
	CHECK_INT(fetch_cache_control_parse("public,max-age=0"), 0);
	CHECK_INT(fetch_cache_control_parse(" public , max-age=10 , s-maxage=20 "), 20);
	CHECK_INT(fetch_cache_control_parse("s-maxage=20, max-age=10"), 20);
	CHECK_INT(fetch_cache_control_parse("max-age=5, max-age=10"), 5);
	CHECK_INT(fetch_cache_control_parse("no-store"), 0);
	CHECK_INT(fetch_cache_control_parse("max-age=60, no-cache"), 0);
	CHECK_INT(fetch_cache_control_parse("no-cache=\"Set-Cookie\", max-age=9"), 0);
	CHECK_INT(fetch_cache_control_parse("private, max-age=60"), 60);
	/* Invalid freshness information means stale (RFC 9111 §4.2.1). */
	CHECK_INT(fetch_cache_control_parse("max-age=abc"), 0);
	CHECK_INT(fetch_cache_control_parse("max-age=-5"), 0);
	CHECK_INT(fetch_cache_control_parse("max-age="), 0);
	CHECK_INT(fetch_cache_control_parse("max-age"), 0);
	CHECK_INT(fetch_cache_control_parse("max-age=\""), 0);
	/* Too large to represent counts as 2^31 (RFC 9111 §1.2.2). */
	CHECK_INT(fetch_cache_control_parse("max-age=99999999999999999999999999"),
	          FETCH_MAX_AGE_CAP);
	CHECK_INT(fetch_cache_control_parse("max-age=4294967296"), FETCH_MAX_AGE_CAP);
	CHECK_INT(fetch_cache_control_parse("max-agex=60"), -1);
}

/* Redirects: none by default, bounded when allowed, never to another protocol. */
TEST(test_redirects)
{
	struct fetch_opts o = loopback();
	struct fetch_result r;
	struct err e;

	/* None followed by default: the 301 is the answer. */
	CHECK_INT(fetch_get(url("/redir"), &o, &r, &e), -1);
	CHECK_ERR(e, ERR_UNAVAILABLE, "HTTP status 301");
	CHECK_INT(r.status, 301);
	CHECK(r.body == NULL);
	o.max_redirects = 1;
	CHECK_INT(fetch_get(url("/redir"), &o, &r, &e), 0);
	CHECK_INT(r.status, 200);
	/* Cache-Control comes from the final response. */
	CHECK_INT(r.max_age, 300);
	fetch_result_free(&r);
	o.max_redirects = 3;
	CHECK_INT(fetch_get(url("/loop"), &o, &r, &e), -1);
	CHECK_ERR(e, ERR_UNAVAILABLE, "HTTP status 301 after too many redirects");
	CHECK(r.body == NULL);
	/* A redirect may not leave the allowed protocols. */
	CHECK_INT(fetch_get(url("/to-ftp"), &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "URL not allowed: redirect to a protocol not allowed");
	CHECK(r.body == NULL);
}

/* Proxy environment variables do not steer a transfer; a configured proxy does. */
TEST(test_environment_proxy_ignored)
{
	static const char *const vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
	                                   "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
	struct fetch_opts o = loopback();
	struct fetch_result r;
	struct err e;
	char dead[64];
	size_t nvars = sizeof(vars) / sizeof(vars[0]);

	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", fixture_free_port());
	for (size_t i = 0; i < nvars; i++)
		setenv(vars[i], dead, 1);
	CHECK_INT(fetch_get(url("/plain.json"), &o, &r, &e), 0);
	fetch_result_free(&r);
	/* A configured proxy is used: this one is dead. */
	o.proxy = dead;
	CHECK_INT(fetch_get(url("/plain.json"), &o, &r, &e), -1);
	CHECK_ERR(e, ERR_UNAVAILABLE, "network error");
	for (size_t i = 0; i < nvars; i++)
		unsetenv(vars[i]);
}

/* What the server sees: Accept: application/json and our User-Agent. */
TEST(test_request_headers)
{
	struct fetch_opts o = loopback();
	struct fetch_result r;

	CHECK_INT(fetch_get(url("/echo.sh"), &o, &r, NULL), 0);
	CHECK_STR(r.body, "application/json|" FETCH_USER_AGENT);
	fetch_result_free(&r);
}

/*
 * fetch_request(): the method, headers and body go out as given; any status
 * is an answer; header lines of one name are joined; a line break in a
 * header sends nothing; a 404 is kept, not refused.
 */
TEST(test_fetch_request)
{
	static const char *const hdrs[] = {"X-Probe: yes", "Content-Type: text/plain"};
	static const char *const bad[] = {"X-Probe: a\r\nX-Other: b"};
	struct fetch_request rq = {
	    .method = "POST", .headers = hdrs, .n_headers = 2, .body = "hello", .body_len = 5};
	struct fetch_opts o = loopback();
	struct fetch_response r;
	struct err e;
	char *v;

	CHECK_INT(fetch_request(url("/req.sh"), &rq, &o, &r, &e), 0);
	CHECK_INT(r.status, 401);
	CHECK_STR(r.body, "POST|yes|hello");
	v = fetch_response_header(&r, "WWW-Authenticate");
	CHECK_STR(v, "Bearer a=1, Basic");
	free(v);
	CHECK(fetch_response_header(&r, "X-Absent") == NULL);
	fetch_response_free(&r);
	fetch_response_free(NULL);
	rq = (struct fetch_request){.method = "OPTIONS"};
	CHECK_INT(fetch_request(url("/req.sh"), &rq, &o, &r, &e), 0);
	CHECK_CONTAINS(r.body, "OPTIONS|");
	fetch_response_free(&r);
	rq = (struct fetch_request){.headers = bad, .n_headers = 1};
	CHECK_INT(fetch_request(url("/req.sh"), &rq, &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "request not allowed");
	CHECK(r.body == NULL && r.headers == NULL);
	rq = (struct fetch_request){0};
	CHECK_INT(fetch_request(url("/missing.json"), &rq, &o, &r, &e), 0);
	CHECK_INT(r.status, 404);
	fetch_response_free(&r);
	o.allow_http = false;
	CHECK_INT(fetch_request(url("/req.sh"), &rq, &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "URL not allowed");
}

/*
 * Each kind of failure has its own code and its own message, as the cache
 * records it for /health; e NULL is accepted on every path.
 */
TEST(test_errors_tell_cases_apart)
{
	static const struct {
		const char *path;
		long timeout_ms;
		size_t max_size;
		enum err_code code;
		const char *msg;
	} cases[] = {
	    {"/missing.json", 0, 0, ERR_UNAVAILABLE, "HTTP status 404"},
	    {"/slow.sh", 300, 0, ERR_UNAVAILABLE, "timed out"},
	    {"/jwks.json", 0, 10, ERR_TOO_LARGE, "response too large (over 10 bytes)"},
	};
	struct fetch_opts o = loopback();
	struct fetch_result r;
	struct err e;
	char dead[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o.timeout_ms = cases[i].timeout_ms;
		o.max_size = cases[i].max_size;
		CHECK_INT(fetch_get(url(cases[i].path), &o, &r, &e), -1);
		CHECK_ERR(e, cases[i].code, NULL);
		CHECK_STR(e.msg, cases[i].msg);
		CHECK_INT(fetch_get(url(cases[i].path), &o, &r, NULL), -1);
		CHECK(r.body == NULL);
	}
	o = loopback();
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d/", fixture_free_port());
	CHECK_INT(fetch_get(dead, &o, &r, &e), -1);
	CHECK_STR(e.msg, "network error");
	CHECK_INT(fetch_get("https://127.0.0.1/\"", &o, &r, &e), -1);
	CHECK_ERR(e, ERR_INVALID, NULL);
	CHECK_STR(e.msg, "URL not allowed: contains a space, quote, '#' or control character");
	CHECK_INT(fetch_get("ftp://x", &o, &r, NULL), -1);
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(test_fetch_ok),
                  TEST_CASE(test_fetch_empty_body_is_terminated), TEST_CASE(test_https_only),
                  TEST_CASE(test_status_404), TEST_CASE(test_too_large),
                  TEST_CASE(test_too_large_logged), TEST_CASE(test_connect_refused),
                  TEST_CASE(test_timeout), TEST_CASE(test_cache_control_from_server),
                  TEST_CASE(test_cache_control_parse), TEST_CASE(test_redirects),
                  TEST_CASE(test_environment_proxy_ignored), TEST_CASE(test_request_headers),
                  TEST_CASE(test_errors_tell_cases_apart), TEST_CASE(test_fetch_request))
