/*
 * test_jwks_cache.c - the shared JWKS cache against a real lighttpd.
 *
 * Each test gets its own server and temporary tree (state directory inside
 * it), counts requests in the server's access log, and moves time through
 * the `now` arguments instead of sleeping.  Other processes are forked
 * children with their own handles; they report through their exit status
 * and leave with _exit.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/jose/jwk.h"
#include "lib/keycache/jwks_cache.h"
#include "lib/keycache/internal/jwks_file.h" /* the state files' names */
#include "wellknown/prm.h"                   /* /health, for test_health_fresh_is_the_caches */

#include "lighttpd_fixture.h"
#include "test.h"

#define T0       1700000000LL
#define JWKS_GET "GET /jwks.json "
#define MD_GET   "GET /.well-known/"
/* What the configuration supplies when OAUTH_JWKS_MAX_STALE is not set. */
#define MAX_STALE 86400

/* Where the cache explains its last failure (each test sets it before reading it). */
static struct err kerr;

/* Cache-Control per URL. */
static const char srv_conf[] = "$HTTP[\"url\"] == \"/jwks.json\" { setenv.add-response-header = "
                               "(\"Cache-Control\" => \"max-age=300\") }\n"
                               "$HTTP[\"url\"] == \"/short.json\" { setenv.add-response-header = "
                               "(\"Cache-Control\" => \"max-age=5\") }\n"
                               "$HTTP[\"url\"] == \"/long.json\" { setenv.add-response-header = "
                               "(\"Cache-Control\" => \"public, max-age=99999999\") }\n"
                               "$HTTP[\"url\"] == \"/nostore.json\" { setenv.add-response-header = "
                               "(\"Cache-Control\" => \"no-store\") }\n";

/* One test's world: a server, its tree, a state directory inside it. */
struct env {
	struct lighttpd_fixture srv;
	char state[FIXTURE_PATH_MAX];
	char cache[FIXTURE_PATH_MAX + 32];
	char uri[128];
	int failed_before;
};

static int
env_start(struct env *e)
{
	char *k1;
	size_t len = 0;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	e->failed_before = test_failed_checks;
	if (lighttpd_fixture_init(&e->srv) != 0)
		return -1;
	snprintf(e->state, sizeof(e->state), "%s/state", e->srv.dir);
	snprintf(e->cache, sizeof(e->cache), "%s/%s", e->state, JWKS_CACHE_FILE);
	if ((k1 = fixture_jwks("rsa-k1.json", &len)) != NULL &&
	    lighttpd_fixture_put(&e->srv, "jwks.json", k1, len) == 0 &&
	    lighttpd_fixture_start(&e->srv, srv_conf) == 0)
		rc = 0;
	snprintf(e->uri, sizeof(e->uri), "%s/jwks.json", e->srv.base);
	free(k1);
	return rc;
}

static void
env_stop(struct env *e)
{
	if (test_failed_checks != e->failed_before)
		lighttpd_fixture_dump(&e->srv);
	lighttpd_fixture_cleanup(&e->srv);
}

/* Options for a cache fetching path from the loopback server. */
static struct jwks_cache_opts
env_opts(struct env *e, const char *path)
{
	static char uri[192];

	snprintf(uri, sizeof(uri), "%s%s", e->srv.base, path);
	return (struct jwks_cache_opts){
	    .state_dir = e->state,
	    .jwks_uri = uri,
	    .fetch = {.allow_http = true, .timeout_ms = 5000},
	    .max_stale = MAX_STALE,
	};
}

/* Serves the committed fixture name as path. */
static int
serve(struct env *e, const char *path, const char *name)
{
	size_t len = 0;
	char *doc = fixture_jwks(name, &len);
	int rc = doc != NULL ? lighttpd_fixture_put(&e->srv, path, doc, len) : -1;

	free(doc);
	return rc;
}

static int
jwks_gets(struct env *e)
{
	return lighttpd_fixture_count(&e->srv, JWKS_GET);
}

/* Number of keys jwks_cache_keys() gives at now, or -1 on error. */
static long
nkeys(struct jwks_cache *c, int64_t now)
{
	const struct jwk_set *set = NULL;

	if (jwks_cache_keys(c, now, &set, NULL) != 0 || set == NULL)
		return -1;
	return (long)jwk_set_count(set);
}

/* True when the set at now holds a key with this kid. */
static bool
has_kid(struct jwks_cache *c, int64_t now, const char *kid)
{
	const struct jwk_set *set = NULL;

	if (jwks_cache_keys(c, now, &set, NULL) != 0)
		return false;
	for (size_t i = 0; i < jwk_set_count(set); i++) {
		const char *k = jwk_kid(jwk_set_get(set, i));
		if (k != NULL && strcmp(k, kid) == 0)
			return true;
	}
	return false;
}

/* Waits for child pid and returns its exit status, or -1 when it did not exit. */
static int
child_status(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* In a child: a new handle on opts, keys at now; exit 0 when there are want keys. */
static void
child_keys(const struct jwks_cache_opts *o, int64_t now, long want)
{
	struct jwks_cache *c = NULL;
	int code = 1;

	if (jwks_cache_open(o, &c, NULL) == 0)
		code = nkeys(c, now) == want ? 0 : 2;
	jwks_cache_free(c);
	_exit(code);
}

/* Replaces the cache file (a new inode) with len bytes of data. */
static int
cache_replace(struct env *e, const char *data, size_t len)
{
	return fixture_write(e->cache, data, len);
}

/* ---- tests ------------------------------------------------------------ */

/* Quiet logs (MCP_TEST_LOG=debug shows them) and libcurl initialised once: the fixture. */
static int
setup(void)
{
	const char *lvl = getenv("MCP_TEST_LOG");
	enum log_level l;

	/* Refusals are expected here; keep the output to what matters. */
	log_set_level(lvl != NULL && log_level_parse(lvl, &l) == 0 ? l : LOGL_ERROR);
	return 0;
}

/* jwks_cache_open() checks its options before touching the disk or the network. */
TEST(test_open_refuses_bad_options)
{
	static const char long_issuer_head[] = "https://as.example/";
	struct jwks_cache_opts o = {.state_dir = "/tmp/unused-jwks-state"};
	struct jwks_cache *c = (struct jwks_cache *)&o;
	char long_issuer[URL_MAX + 1];
	struct err e;

	CHECK_INT(jwks_cache_open(NULL, &c, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "no options");
	CHECK(c == NULL);
	/* Neither a JWKS URL nor an issuer. */
	CHECK_INT(jwks_cache_open(&o, &c, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "neither jwks_uri nor issuer given");
	o.jwks_uri = "http://127.0.0.1/jwks.json";
	CHECK_INT(jwks_cache_open(&o, &c, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "jwks_uri: plain http is not allowed");
	o.jwks_uri = "ftp://127.0.0.1/jwks.json";
	o.fetch.allow_http = true;
	CHECK_INT(jwks_cache_open(&o, &c, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "jwks_uri: not an absolute https:// URL");
	o.jwks_uri = NULL;
	o.issuer = "https://as.example/?tenant=1";
	CHECK_INT(jwks_cache_open(&o, &c, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "issuer: has a query");
	o.issuer = "https://as.example/#x";
	CHECK_INT(jwks_cache_open(&o, &c, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "issuer: contains a space, quote, '#' or control character");
	/* An issuer whose RFC 8414 metadata URL would be over URL_MAX. */
	memset(long_issuer, 'a', sizeof(long_issuer) - 1);
	memcpy(long_issuer, long_issuer_head, strlen(long_issuer_head));
	long_issuer[URL_MAX - 20] = '\0';
	o.issuer = long_issuer;
	CHECK_INT(jwks_cache_open(&o, &c, &e), -1);
	CHECK_ERR(e, ERR_INVALID,
	          "issuer: longer than 2009 bytes (its metadata URL must fit 2048)");
	o.issuer = "https://as.example";
	o.state_dir = "";
	CHECK_INT(jwks_cache_open(&o, &c, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "state directory missing or longer than 1024 bytes");
	o.state_dir = "/nonexistent-parent-dir/jwks";
	CHECK_INT(jwks_cache_open(&o, &c, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM,
	          "state directory /nonexistent-parent-dir/jwks: No such file or directory");
	CHECK(c == NULL);
	CHECK_INT(jwks_cache_open(&o, &c, NULL), -1); /* e NULL is accepted */
	jwks_cache_free(NULL);
}

/* The state directory must be a real directory of ours, not group/world-writable. */
TEST(test_state_dir_refused)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	struct err err;
	char link[FIXTURE_PATH_MAX + 16], file[FIXTURE_PATH_MAX + 16];

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(mkdir(e.state, 0770), 0);
	CHECK_INT(chmod(e.state, 0770), 0);
	CHECK_INT(jwks_cache_open(&o, &c, &err), -1);
	CHECK_ERR(err, ERR_SYSTEM, "not group/world-writable");
	CHECK_INT(chmod(e.state, 0707), 0);
	CHECK_INT(jwks_cache_open(&o, &c, &err), -1);
	CHECK_ERR(err, ERR_SYSTEM, "not group/world-writable");
	/* Owned by someone else (we may be root: chown works then). */
	CHECK_INT(chmod(e.state, 0700), 0);
	if (geteuid() == 0) {
		CHECK_INT(chown(e.state, 1, 1), 0);
		CHECK_INT(jwks_cache_open(&o, &c, &err), -1);
		CHECK_ERR(err, ERR_SYSTEM, "must be owned by uid 0");
		CHECK_INT(chown(e.state, 0, 0), 0);
	}
	/* A symbolic link to a good directory, and a regular file. */
	snprintf(link, sizeof(link), "%s/link", e.srv.dir);
	CHECK_INT(symlink(e.state, link), 0);
	o.state_dir = link;
	CHECK_INT(jwks_cache_open(&o, &c, &err), -1);
	CHECK_ERR(err, ERR_SYSTEM, "is not a directory");
	snprintf(file, sizeof(file), "%s/file", e.srv.dir);
	CHECK_INT(fixture_write(file, "x", 1), 0);
	o.state_dir = file;
	CHECK_INT(jwks_cache_open(&o, &c, &err), -1);
	CHECK_ERR(err, ERR_SYSTEM, "is not a directory");
	CHECK(c == NULL);
	/* The good directory itself, with a trailing slash. */
	snprintf(link, sizeof(link), "%s/", e.state);
	o.state_dir = link;
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	jwks_cache_free(c);
	env_stop(&e);
}

/* A cold cache fetches once and leaves 0600 files in a 0700 directory. */
TEST(test_cold_fetch_creates_private_files)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	struct jwks_cache_status st;
	const struct jwk_set *set = NULL;
	struct stat sb;
	char path[FIXTURE_PATH_MAX + 32];

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	/* new() does no network and reads nothing. */
	CHECK_INT(jwks_gets(&e), 0);
	CHECK_INT(lstat(e.state, &sb), 0);
	CHECK(S_ISDIR(sb.st_mode));
	CHECK_INT(sb.st_mode & 07777, 0700);
	CHECK_INT(jwks_cache_status(c, T0, &st, NULL), 0);
	CHECK(!st.have_keys);
	CHECK_INT(st.fetched_at, 0);

	CHECK_INT(jwks_cache_keys(c, T0, &set, NULL), 0);
	CHECK(set != NULL);
	CHECK_INT(jwk_set_count(set), 1);
	CHECK(has_kid(c, T0, "k1"));
	CHECK_INT(jwks_gets(&e), 1);
	CHECK_INT(lstat(e.cache, &sb), 0);
	CHECK(S_ISREG(sb.st_mode));
	CHECK_INT(sb.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/%s", e.state, JWKS_CACHE_LOCK);
	CHECK_INT(lstat(path, &sb), 0);
	CHECK_INT(sb.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/%s", e.state, JWKS_CACHE_REFRESH);
	CHECK_INT(lstat(path, &sb), 0);
	CHECK_INT(sb.st_mode & 07777, 0600);

	CHECK_INT(jwks_cache_status(c, T0, &st, NULL), 0);
	CHECK(st.have_keys);
	CHECK_INT(st.n_keys, 1);
	CHECK_INT(st.fetched_at, T0);
	CHECK_INT(st.expires_at, T0 + 300);
	CHECK(st.last_ok);
	CHECK_INT(st.last_attempt, T0);
	CHECK_STR(st.last_error, "");
	jwks_cache_free(c);
	env_stop(&e);
}

/* Fresh keys come from memory: no file read, no fetch, the same set. */
TEST(test_warm_calls_do_not_fetch)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL, *c2 = NULL;
	const struct jwk_set *first = NULL, *set = NULL;
	bool same = true;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(jwks_cache_keys(c, T0, &first, NULL), 0);
	/* The fast path: the same parsed set, no fetch. */
	for (int i = 0; i < 1000; i++) {
		jwks_cache_keys(c, T0 + i % 299, &set, NULL);
		same = same && set == first;
	}
	CHECK(same);
	CHECK_INT(jwks_gets(&e), 1);
	/* A second handle (a restart) reads the file. */
	CHECK_INT(jwks_cache_open(&o, &c2, NULL), 0);
	CHECK_INT(nkeys(c2, T0 + 10), 1);
	CHECK_INT(jwks_gets(&e), 1);
	/* Expiry: one refetch. */
	CHECK_INT(nkeys(c, T0 + 300), 1);
	CHECK_INT(jwks_gets(&e), 2);
	jwks_cache_free(c);
	jwks_cache_free(c2);
	env_stop(&e);
}

/* Another process shares the cache file instead of fetching. */
TEST(test_forked_process_reads_without_fetch)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	pid_t pid;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	if ((pid = fork()) == 0)
		child_keys(&o, T0 + 1, 1);
	CHECK_INT(child_status(pid), 0);
	CHECK_INT(jwks_gets(&e), 1);
	jwks_cache_free(c);
	env_stop(&e);
}

/* A file replaced by another process is re-read by a handle whose keys are still fresh. */
TEST(test_file_changed_by_other_process_is_reloaded)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	pid_t pid;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	CHECK_INT(serve(&e, "jwks.json", "rsa-k1-k2.json"), 0);
	if ((pid = fork()) == 0) {
		struct jwks_cache *cc = NULL;
		int code = 1;

		if (jwks_cache_open(&o, &cc, NULL) == 0 && nkeys(cc, T0 + 1) == 1 &&
		    jwks_cache_refresh_unknown_kid(cc, T0 + 1, NULL) == 0)
			code = nkeys(cc, T0 + 1) == 2 ? 0 : 2;
		jwks_cache_free(cc);
		_exit(code);
	}
	CHECK_INT(child_status(pid), 0);
	/* Still fresh in our memory, but the file changed: re-read, no fetch. */
	CHECK_INT(nkeys(c, T0 + 2), 2);
	CHECK(has_kid(c, T0 + 2, "k2"));
	CHECK_INT(jwks_gets(&e), 2);
	jwks_cache_free(c);
	env_stop(&e);
}

/* The expiry a fresh cache at path gets with these bounds. */
static int64_t
expiry_for(struct env *e, const char *path, int64_t ttl_min, int64_t ttl_max, int64_t dflt)
{
	struct jwks_cache_opts o = env_opts(e, path);
	struct jwks_cache *c = NULL;
	struct jwks_cache_status st = {.expires_at = -1};

	o.ttl_min = ttl_min;
	o.ttl_max = ttl_max;
	o.ttl_default = dflt;
	fixture_rm_rf(e->state);
	if (jwks_cache_open(&o, &c, NULL) == 0 && nkeys(c, T0) == 1)
		jwks_cache_status(c, T0, &st, NULL);
	jwks_cache_free(c);
	return st.expires_at - T0;
}

/* Freshness follows Cache-Control within [ttl_min, ttl_max], ttl_default without it. */
TEST(test_max_age_clamped)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;

	CHECK_INT(env_start(&e), 0);
	CHECK_INT(serve(&e, "short.json", "rsa-k1.json"), 0);
	CHECK_INT(serve(&e, "long.json", "rsa-k1.json"), 0);
	CHECK_INT(serve(&e, "nostore.json", "rsa-k1.json"), 0);
	CHECK_INT(serve(&e, "plain.json", "rsa-k1.json"), 0);
	/* Defaults: 60 / 86400 / 3600. */
	CHECK_INT(expiry_for(&e, "/jwks.json", 0, 0, 0), 300);
	CHECK_INT(expiry_for(&e, "/short.json", 0, 0, 0), 60);
	CHECK_INT(expiry_for(&e, "/long.json", 0, 0, 0), 86400);
	CHECK_INT(expiry_for(&e, "/nostore.json", 0, 0, 0), 60);
	CHECK_INT(expiry_for(&e, "/plain.json", 0, 0, 0), 3600);
	/* Configured bounds. */
	CHECK_INT(expiry_for(&e, "/jwks.json", 600, 7200, 0), 600);
	CHECK_INT(expiry_for(&e, "/jwks.json", 10, 100, 0), 100);
	CHECK_INT(expiry_for(&e, "/short.json", 1, 100, 0), 5);
	CHECK_INT(expiry_for(&e, "/plain.json", 10, 100, 50), 50);
	CHECK_INT(expiry_for(&e, "/plain.json", 10, 100, 5000), 100);
	CHECK_INT(expiry_for(&e, "/long.json", 10, 5, 0), 10); /* max raised to min */

	/* The clamped lifetime is what the cache honours. */
	fixture_rm_rf(e.state);
	o = env_opts(&e, "/short.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	CHECK_INT(nkeys(c, T0 + 59), 1);
	CHECK_INT(lighttpd_fixture_count(&e.srv, "GET /short.json "), 3);
	CHECK_INT(nkeys(c, T0 + 60), 1);
	CHECK_INT(lighttpd_fixture_count(&e.srv, "GET /short.json "), 4);
	jwks_cache_free(c);
	env_stop(&e);
}

/* Garbage, truncated, keyless or oversize documents never evict good keys. */
/*
 * A well-formed JWKS whose keys are all unusable is no outage: it is the
 * issuer removing its keys.  It replaces the set at the next refresh, so a
 * key removed from the JWKS stops working; /health says no keys.
 */
TEST(test_emptied_jwks_revokes)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	struct jwks_cache_status st;
	int64_t now = T0 + 300;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	CHECK(has_kid(c, T0, "k1"));
	CHECK_INT(serve(&e, "jwks.json", "no-usable-keys.json"), 0);
	CHECK_INT(nkeys(c, now), 0);
	CHECK(!has_kid(c, now, "k1"));
	CHECK_INT(jwks_cache_status(c, now, &st, NULL), 0);
	CHECK(st.last_ok);
	CHECK(!st.have_keys);
	CHECK_INT(st.n_keys, 0);
	CHECK_INT(st.fetched_at, now);
	/* Another process reads the emptied set from the file, not the old keys. */
	jwks_cache_free(c);
	c = NULL;
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, now + 1), 0);
	CHECK_INT(jwks_gets(&e), 2);
	/* Keys published again are taken at the next refresh. */
	CHECK_INT(serve(&e, "jwks.json", "ec-e1.json"), 0);
	CHECK_INT(nkeys(c, now + 400), 1);
	CHECK(has_kid(c, now + 400, "e1"));
	jwks_cache_free(c);
	env_stop(&e);
}

TEST(test_bad_documents_keep_old_keys)
{
	static const struct {
		const char *fixture;
		const char *error;
	} bad[] = {
	    {"garbage.json", "document: "},
	    {"truncated.json", "document: "},
	    {NULL, "fetch: response too large"},
	};
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	struct jwks_cache_status st;
	char *big = malloc(300 * 1024);
	int64_t now = T0 + 300;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++, now += 100) {
		if (bad[i].fixture != NULL) {
			CHECK_INT(serve(&e, "jwks.json", bad[i].fixture), 0);
		} else if (big != NULL) {
			memset(big, ' ', 300 * 1024);
			memcpy(big, "{\"keys\":[]}", 11);
			CHECK_INT(lighttpd_fixture_put(&e.srv, "jwks.json", big, 300 * 1024), 0);
		}
		/* Stale: a refresh is tried, fails, and the old key keeps serving. */
		CHECK_INT(nkeys(c, now), 1);
		CHECK(has_kid(c, now, "k1"));
		CHECK_INT(jwks_cache_status(c, now, &st, NULL), 0);
		CHECK(!st.last_ok);
		CHECK(st.have_keys);
		CHECK_INT(st.last_attempt, now);
		CHECK_INT(st.fetched_at, T0);
		CHECK_CONTAINS(st.last_error, bad[i].error);
		/* A forced refresh fails the same way and keeps them too. */
		CHECK_INT(jwks_cache_refresh_unknown_kid(c, now + 1, &kerr), -1);
		CHECK_ERR(kerr, bad[i].fixture != NULL ? ERR_UNAVAILABLE : ERR_TOO_LARGE,
		          bad[i].error);
		CHECK_INT(nkeys(c, now + 1), 1);
	}
	CHECK_INT(jwks_gets(&e), 1 + 2 * 3);
	/* And a good document heals it. */
	CHECK_INT(serve(&e, "jwks.json", "ec-e1.json"), 0);
	CHECK_INT(nkeys(c, now), 1);
	CHECK(has_kid(c, now, "e1"));
	CHECK_INT(jwks_cache_status(c, now, &st, NULL), 0);
	CHECK(st.last_ok);
	CHECK_STR(st.last_error, "");
	jwks_cache_free(c);
	free(big);
	env_stop(&e);
}

/* Without good keys: fail closed, record the failure, back off for kid_throttle. */
TEST(test_cold_garbage_gives_no_keys)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	const struct jwk_set *set = (const struct jwk_set *)&e;
	struct jwks_cache_status st;

	CHECK_INT(env_start(&e), 0);
	CHECK_INT(serve(&e, "jwks.json", "garbage.json"), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(jwks_cache_keys(c, T0, &set, &kerr), -1);
	CHECK_ERR(kerr, ERR_UNAVAILABLE, "no usable keys: document: ");
	CHECK(set == NULL);
	/* The failure is recorded: the next calls within the pause do not fetch. */
	for (int i = 0; i < 100; i++) {
		CHECK_INT(jwks_cache_keys(c, T0 + 1 + i % 50, &set, &kerr), -1);
		CHECK_ERR(kerr, ERR_UNAVAILABLE, "no usable keys: document: ");
	}
	CHECK_INT(jwks_gets(&e), 1);
	CHECK_INT(jwks_cache_status(c, T0, &st, NULL), 0);
	CHECK(!st.have_keys);
	CHECK(!st.last_ok);
	CHECK_INT(st.last_attempt, T0);
	CHECK_CONTAINS(st.last_error, "document");
	/* After the pause (kid_throttle, 60 s) it tries again. */
	CHECK_INT(serve(&e, "jwks.json", "rsa-k1.json"), 0);
	CHECK_INT(nkeys(c, T0 + 60), 1);
	CHECK_INT(jwks_gets(&e), 2);
	jwks_cache_free(c);
	env_stop(&e);
}

/* One corruption of the cache file, as a new process and the running handle c see it. */
struct corruption {
	const char *what;
	const char *data;
	size_t len;
};

/* A corrupt cache file is logged, treated as missing and replaced; never a crash. */
TEST(test_corrupt_cache_file_is_missing)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL, *c2 = NULL;
	char *good = NULL, *huge = NULL, tampered[512];
	size_t good_len = 0, huge_len = 300 * 1024;
	int fetches = 1;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	good = fixture_read(e.cache, &good_len);
	huge = malloc(huge_len);
	CHECK(good != NULL && good_len > 100 && strstr(good, "\n\n") != NULL);
	CHECK(good != NULL && strncmp(good, "mcp-fcgi-jwks-cache 1\n", 22) == 0);
	if (good != NULL && good_len > 100 && strstr(good, "\n\n") != NULL && huge != NULL) {
		memcpy(huge, good, good_len);
		memset(huge + good_len, ' ', huge_len - good_len);
		/* A well-formed header whose document is not a JWKS. */
		snprintf(tampered, sizeof(tampered),
		         "mcp-fcgi-jwks-cache 1\nfetched_at %lld\nexpires_at %lld\n"
		         "last_attempt %lld\nlast_ok 1\nforced_at 0\ndiscovered_at 0\nissuer \n"
		         "jwks_uri %s\nlast_error \ndoc_len 5\n\nhello",
		         T0, T0 + 300, T0, o.jwks_uri);
		const struct corruption bad[] = {
		    {"garbage", "this is not a cache file\n", 25},
		    {"empty", "", 0},
		    {"truncated", good, good_len - 10},
		    {"one byte more", huge, good_len + 1},
		    {"header only", good, (size_t)(strstr(good, "\n\n") + 2 - good)},
		    {"oversize", huge, huge_len},
		    {"tampered document", tampered, strlen(tampered)},
		    {"binary", "\0\1\2\3mcp-fcgi-jwks-cache 1\n", 27},
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			CHECK_INT(cache_replace(&e, bad[i].data, bad[i].len), 0);
			/* A new process: the file counts as missing and is fetched again. */
			CHECK_INT(jwks_cache_open(&o, &c2, NULL), 0);
			CHECK_INT(nkeys(c2, T0 + 1), 1);
			jwks_cache_free(c2);
			c2 = NULL;
			if (jwks_gets(&e) != ++fetches)
				fprintf(stderr, "  case %s\n", bad[i].what);
			CHECK_INT(jwks_gets(&e), fetches);
			/* The running handle picks up the repaired file without a fetch. */
			CHECK_INT(nkeys(c, T0 + 2), 1);
			CHECK_INT(jwks_gets(&e), fetches);
		}
	}
	/* The running handle meets a corrupt file itself. */
	CHECK_INT(cache_replace(&e, "garbage", 7), 0);
	CHECK_INT(nkeys(c, T0 + 3), 1);
	CHECK_INT(jwks_gets(&e), fetches + 1);
	jwks_cache_free(c);
	free(good);
	free(huge);
	env_stop(&e);
}

/* log_lines_with PATH TEXT: how many lines of the log file PATH hold TEXT. */
static int
log_lines_with(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

/*
 * A corrupt cache file met by a running handle is logged once, although
 * the refresh it causes reads the file again under the lock (it was logged
 * twice in one request: found by tests/e2e/faults_cache.sh).
 */
TEST(test_corrupt_cache_file_logged_once)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	char path[] = "/tmp/test_jwks_cache_log.XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	CHECK_INT(cache_replace(&e, "garbage", 7), 0);
	log_set_level(LOGL_WARN);
	CHECK_INT(log_open(path), 0);
	CHECK_INT(nkeys(c, T0 + 1), 1);
	log_open("/dev/null");
	log_set_level(LOGL_ERROR);
	CHECK_INT(jwks_gets(&e), 2);
	CHECK_INT(log_lines_with(path, "is corrupt"), 1);
	jwks_cache_free(c);
	env_stop(&e);
	close(fd);
	unlink(path);
}

/*
 * Keys fetched but not written (the state directory full or read-only) are
 * not given up for the older file: the next look at it keeps them, and a
 * later unknown kid fetches instead of taking the old set for a new one
 * (found by tests/e2e/faults_cache.sh).  An older file in place of the
 * newer one stands for the write that did not land.
 */
TEST(test_older_cache_file_keeps_newer_keys)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	char *old = NULL;
	size_t old_len = 0;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	old = fixture_read(e.cache, &old_len);
	CHECK(old != NULL);
	CHECK_INT(serve(&e, "jwks.json", "rsa-k1-k2.json"), 0);
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 100, NULL), 0);
	CHECK(has_kid(c, T0 + 100, "k2"));
	CHECK_INT(jwks_gets(&e), 2);
	CHECK_INT(cache_replace(&e, old, old_len), 0);
	CHECK(has_kid(c, T0 + 101, "k2"));
	CHECK_INT(nkeys(c, T0 + 101), 2);
	CHECK_INT(jwks_gets(&e), 2);
	free(old);
	jwks_cache_free(c);
	env_stop(&e);
}

/* Symbolic links in the state directory are neither read, followed nor written through. */
TEST(test_symlinks_refused)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	struct stat sb;
	char target[FIXTURE_PATH_MAX + 32], lock[FIXTURE_PATH_MAX + 32];
	char *good = NULL, *after = NULL;
	size_t good_len = 0;
	const struct jwk_set *set;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	jwks_cache_free(c);
	c = NULL;
	/* A valid cache file elsewhere, linked into place: never read, never written. */
	good = fixture_read(e.cache, &good_len);
	snprintf(target, sizeof(target), "%s/elsewhere", e.srv.dir);
	CHECK(good != NULL);
	CHECK_INT(fixture_write(target, good != NULL ? good : "", good_len), 0);
	CHECK_INT(unlink(e.cache), 0);
	CHECK_INT(symlink(target, e.cache), 0);
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0 + 1), 1);
	CHECK_INT(jwks_gets(&e), 2);
	/* The refresh replaced the link itself with a regular file. */
	CHECK_INT(lstat(e.cache, &sb), 0);
	CHECK(S_ISREG(sb.st_mode));
	after = fixture_read(target, NULL);
	CHECK_STR(after, good);
	jwks_cache_free(c);
	c = NULL;
	/* A symbolic link as lock file: the state is unusable, no keys from it. */
	CHECK_INT(unlink(e.cache), 0);
	snprintf(lock, sizeof(lock), "%s/%s", e.state, JWKS_CACHE_LOCK);
	CHECK_INT(unlink(lock), 0);
	CHECK_INT(symlink(target, lock), 0);
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(jwks_cache_keys(c, T0 + 2, &set, &kerr), -1);
	CHECK_ERR(kerr, ERR_SYSTEM, "jwks.lock: Too many levels of symbolic links");
	jwks_cache_free(c);
	free(good);
	free(after);
	env_stop(&e);
}

/* A new kid in the served document arrives through one forced refresh. */
TEST(test_key_rotation_unknown_kid)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	CHECK_INT(serve(&e, "jwks.json", "rsa-k1-k2.json"), 0);
	/* Fresh keys are not refetched on their own ... */
	CHECK(!has_kid(c, T0 + 10, "k2"));
	CHECK_INT(jwks_gets(&e), 1);
	/* ... but a token naming k2 makes one fetch. */
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 10, NULL), 0);
	CHECK_INT(jwks_gets(&e), 2);
	CHECK_INT(nkeys(c, T0 + 11), 2);
	CHECK(has_kid(c, T0 + 11, "k1"));
	CHECK(has_kid(c, T0 + 11, "k2"));
	CHECK_INT(jwks_gets(&e), 2);
	jwks_cache_free(c);
	env_stop(&e);
}

/* 1000 forged kids within kid_throttle: exactly one fetch. */
TEST(test_forged_kid_flood_is_throttled)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	int ok = 0, throttled = 0;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	for (int i = 0; i < 1000; i++) {
		int rc = jwks_cache_refresh_unknown_kid(c, T0 + 1 + i % 60, &kerr);
		ok += rc == 0;
		throttled += rc != 0 && kerr.code == ERR_THROTTLED &&
		             strstr(kerr.msg, "within the 60 s throttle") != NULL;
	}
	CHECK_INT(ok, 1);
	CHECK_INT(throttled, 999);
	CHECK_INT(jwks_gets(&e), 2);
	/* The keys keep serving throughout. */
	CHECK_INT(nkeys(c, T0 + 30), 1);
	/* After kid_throttle seconds one more forced refresh is allowed. */
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 61, NULL), 0);
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 62, &kerr), -1);
	CHECK_ERR(kerr, ERR_THROTTLED, "forced refresh 1 s ago");
	CHECK_INT(jwks_gets(&e), 3);
	jwks_cache_free(c);
	env_stop(&e);
}

/* The forced-refresh throttle holds across processes, both ways. */
TEST(test_throttle_shared_across_processes)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	pid_t pid;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 1, NULL), 0);
	CHECK_INT(jwks_gets(&e), 2);
	/* Another process's flood is throttled by our forced refresh. */
	if ((pid = fork()) == 0) {
		struct jwks_cache *cc = NULL;
		int code = 1;

		if (jwks_cache_open(&o, &cc, NULL) == 0 && nkeys(cc, T0 + 5) == 1) {
			struct err ce;

			code = 0;
			for (int i = 0; i < 100; i++)
				if (jwks_cache_refresh_unknown_kid(cc, T0 + 5, &ce) != -1 ||
				    ce.code != ERR_THROTTLED)
					code = 2;
		}
		jwks_cache_free(cc);
		_exit(code);
	}
	CHECK_INT(child_status(pid), 0);
	CHECK_INT(jwks_gets(&e), 2);

	/* The other way round: a child forces, then we are throttled. */
	CHECK_INT(serve(&e, "jwks.json", "rsa-k1-k2.json"), 0);
	if ((pid = fork()) == 0) {
		struct jwks_cache *cc = NULL;
		int code = 1;

		if (jwks_cache_open(&o, &cc, NULL) == 0 &&
		    jwks_cache_refresh_unknown_kid(cc, T0 + 100, NULL) == 0)
			code = nkeys(cc, T0 + 100) == 2 ? 0 : 2;
		jwks_cache_free(cc);
		_exit(code);
	}
	CHECK_INT(child_status(pid), 0);
	CHECK_INT(jwks_gets(&e), 3);
	/* We see the new keys (the call says: look again), then the throttle. */
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 101, NULL), 0);
	CHECK(has_kid(c, T0 + 101, "k2"));
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 102, &kerr), -1);
	CHECK_ERR(kerr, ERR_THROTTLED, "forced refresh 2 s ago, within the 60 s throttle");
	CHECK_INT(jwks_gets(&e), 3);
	jwks_cache_free(c);
	env_stop(&e);
}

/* Issuer down: stale keys until max_stale past expiry, then no keys; back up: keys again. */
TEST(test_issuer_down_stale_then_no_keys)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	struct jwks_cache_status st;
	const struct jwk_set *set = NULL;
	int64_t expiry = T0 + 300, max_stale = 86400;
	pid_t pid;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	lighttpd_fixture_stop(&e.srv);

	/* Stale and unreachable: the old keys serve, the failure is recorded. */
	CHECK_INT(nkeys(c, expiry + 1), 1);
	CHECK_INT(jwks_cache_status(c, expiry + 1, &st, NULL), 0);
	CHECK(st.have_keys);
	CHECK(!st.last_ok);
	CHECK_INT(st.last_attempt, expiry + 1);
	CHECK_CONTAINS(st.last_error, "fetch: network error");
	/* Within the pause no new attempt, in this process or another. */
	CHECK_INT(nkeys(c, expiry + 30), 1);
	if ((pid = fork()) == 0)
		child_keys(&o, expiry + 40, 1);
	CHECK_INT(child_status(pid), 0);
	CHECK_INT(jwks_cache_status(c, expiry + 40, &st, NULL), 0);
	CHECK_INT(st.last_attempt, expiry + 1);
	/* Later attempts fail too; keys serve up to max_stale past expiry. */
	CHECK_INT(nkeys(c, expiry + 1000), 1);
	CHECK_INT(nkeys(c, expiry + max_stale - 1), 1);
	CHECK_INT(jwks_cache_keys(c, expiry + max_stale, &set, &kerr), -1);
	CHECK_ERR(kerr, ERR_UNAVAILABLE, "no usable keys: fetch: network error");
	CHECK(set == NULL);
	CHECK_INT(jwks_cache_keys(c, expiry + max_stale + 1, &set, &kerr), -1);
	CHECK_ERR(kerr, ERR_UNAVAILABLE, "no usable keys: fetch: network error");
	CHECK_INT(jwks_cache_status(c, expiry + max_stale, &st, NULL), 0);
	CHECK(!st.have_keys);
	CHECK_INT(st.n_keys, 1);
	/* A new process fails closed as well. */
	if ((pid = fork()) == 0)
		child_keys(&o, expiry + max_stale + 2, -1);
	CHECK_INT(child_status(pid), 0);
	/* The issuer comes back (same port): keys again after the pause. */
	CHECK_INT(lighttpd_fixture_start(&e.srv, srv_conf), 0);
	CHECK_INT(nkeys(c, expiry + max_stale + 100), 1);
	CHECK_INT(jwks_cache_status(c, expiry + max_stale + 100, &st, NULL), 0);
	CHECK(st.last_ok);
	CHECK_INT(st.fetched_at, expiry + max_stale + 100);
	jwks_cache_free(c);
	env_stop(&e);
}

/* A configured max_stale and kid_throttle are honoured. */
TEST(test_custom_max_stale)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	o.max_stale = 100;
	o.kid_throttle = 10;
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	lighttpd_fixture_stop(&e.srv);
	CHECK_INT(nkeys(c, T0 + 300 + 99), 1);
	CHECK_INT(nkeys(c, T0 + 300 + 100), -1);
	jwks_cache_free(c);
	env_stop(&e);
}

/* A child that holds the refresh lock of state for ms milliseconds; its pid. */
static pid_t
hold_refresh_lock(const char *state, int ms)
{
	char lockpath[FIXTURE_PATH_MAX + 32];
	int ready[2];
	pid_t pid;
	char b;

	snprintf(lockpath, sizeof(lockpath), "%s/%s", state, JWKS_CACHE_REFRESH);
	if (pipe(ready) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		int fd = open(lockpath, O_RDWR | O_CLOEXEC);
		const struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			_exit(1);
		(void)!write(ready[1], "x", 1);
		nanosleep(&t, NULL);
		_exit(0);
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &b, 1) != 1)
		pid = -1;
	close(ready[0]);
	return pid;
}

/*
 * Key rotation refuses nobody: a token whose new kid arrives while another
 * process holds the refresh waits for that refresh (bounded by the fetch
 * timeout), then the kid is looked up again; here the other process ends
 * without a new set, so this one fetches it itself.
 */
TEST(test_unknown_kid_waits_for_a_busy_refresh)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	int gets, status;
	pid_t holder;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	CHECK_INT(serve(&e, "jwks.json", "rsa-k1-k2.json"), 0);
	gets = jwks_gets(&e);
	holder = hold_refresh_lock(e.state, 300);
	CHECK(holder > 0);
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 100, &kerr), 0);
	/* It returned only once the other refresh was over. */
	CHECK_INT(waitpid(holder, &status, WNOHANG), holder);
	CHECK(has_kid(c, T0 + 100, "k2"));
	CHECK_INT(jwks_gets(&e), gets + 1);
	jwks_cache_free(c);
	env_stop(&e);
}

/* The wait is bounded: a refresh that outlasts the fetch timeout is not waited out. */
TEST(test_unknown_kid_waits_no_longer_than_the_fetch_timeout)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	int gets;
	pid_t holder;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	o.fetch.timeout_ms = 200;
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	gets = jwks_gets(&e);
	holder = hold_refresh_lock(e.state, 5000);
	CHECK(holder > 0);
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 100, &kerr), -1);
	CHECK_ERR(kerr, ERR_THROTTLED, "a refresh is in progress in another process");
	/* The holder is still there: this process gave up waiting, it was not let in. */
	CHECK_INT(kill(holder, 0), 0);
	CHECK_INT(jwks_gets(&e), gets);
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 100, NULL), 0);
	CHECK_INT(jwks_gets(&e), gets + 1);
	jwks_cache_free(c);
	env_stop(&e);
}

/* A clock that went back before the fetch makes the keys stale, not fresh. */
TEST(test_fetch_in_the_future_is_not_fresh)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	int gets;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	gets = jwks_gets(&e);
	CHECK_INT(nkeys(c, T0 - 1000), 1);
	CHECK_INT(jwks_gets(&e), gets + 1);
	jwks_cache_free(c);
	env_stop(&e);
}

/* max_stale 0 means none: keys stop serving the moment they expire. */
TEST(test_no_stale_keys)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	o.max_stale = 0;
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	lighttpd_fixture_stop(&e.srv);
	CHECK_INT(nkeys(c, T0 + 299), 1);
	CHECK_INT(nkeys(c, T0 + 300), -1);
	jwks_cache_free(c);
	env_stop(&e);
}

/* Serves RFC 8414 / OpenID metadata at path naming issuer and jwks_uri. */
static int
serve_metadata(struct env *e, const char *path, const char *issuer, const char *jwks_uri)
{
	char doc[512];
	int n = snprintf(doc, sizeof(doc),
	                 "{\"issuer\":\"%s\",\"jwks_uri\":\"%s\","
	                 "\"response_types_supported\":[\"code\"]}",
	                 issuer, jwks_uri);

	return lighttpd_fixture_put(&e->srv, path, doc, (size_t)n);
}

/* Options for discovery from issuer. */
static struct jwks_cache_opts
issuer_opts(struct env *e, const char *issuer)
{
	struct jwks_cache_opts o = env_opts(e, "/");

	o.jwks_uri = NULL;
	o.issuer = issuer;
	return o;
}

/* RFC 8414 discovery, with the discovered jwks_uri cached for ttl_max. */
TEST(test_discovery_rfc8414)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL, *c2 = NULL;
	char issuer[128];

	CHECK_INT(env_start(&e), 0);
	snprintf(issuer, sizeof(issuer), "%s", e.srv.base);
	CHECK_INT(serve_metadata(&e, ".well-known/oauth-authorization-server", issuer, e.uri), 0);
	o = issuer_opts(&e, issuer);
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	CHECK_INT(lighttpd_fixture_count(&e.srv, "GET /.well-known/oauth-authorization-server "),
	          1);
	CHECK_INT(jwks_gets(&e), 1);
	/* The discovered jwks_uri is cached: expiry refetches only the JWKS. */
	CHECK_INT(nkeys(c, T0 + 300), 1);
	CHECK_INT(jwks_gets(&e), 2);
	CHECK_INT(lighttpd_fixture_count(&e.srv, MD_GET), 1);
	/* ... also for another process (restart) ... */
	CHECK_INT(jwks_cache_open(&o, &c2, NULL), 0);
	CHECK_INT(nkeys(c2, T0 + 600), 1);
	CHECK_INT(jwks_gets(&e), 3);
	CHECK_INT(lighttpd_fixture_count(&e.srv, MD_GET), 1);
	/* ... until ttl_max (a day) has passed. */
	CHECK_INT(nkeys(c2, T0 + 86400), 1);
	CHECK_INT(lighttpd_fixture_count(&e.srv, MD_GET), 2);
	CHECK_INT(jwks_gets(&e), 4);
	/* A cache file written for another JWKS URL is not used. */
	jwks_cache_free(c2);
	c2 = NULL;
	CHECK_INT(serve(&e, "other.json", "rsa-k1-k2.json"), 0);
	o = env_opts(&e, "/other.json");
	CHECK_INT(jwks_cache_open(&o, &c2, NULL), 0);
	CHECK_INT(nkeys(c2, T0 + 86401), 2);
	CHECK_INT(lighttpd_fixture_count(&e.srv, "GET /other.json "), 1);
	/* ... and the issuer's handle, finding it, fetches its own again. */
	CHECK_INT(nkeys(c, T0 + 86402), 1);
	CHECK_INT(jwks_gets(&e), 5);
	jwks_cache_free(c);
	jwks_cache_free(c2);
	env_stop(&e);
}

/* An issuer with a path: the RFC 8414 §3 path-insertion form. */
TEST(test_discovery_path_insertion)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	char issuer[128];

	CHECK_INT(env_start(&e), 0);
	snprintf(issuer, sizeof(issuer), "%s/tenant/one", e.srv.base);
	/* RFC 8414 §3: the well-known path goes between host and issuer path. */
	CHECK_INT(
	    serve_metadata(&e, ".well-known/oauth-authorization-server/tenant/one", issuer, e.uri),
	    0);
	o = issuer_opts(&e, issuer);
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	CHECK_INT(lighttpd_fixture_count(&e.srv,
	                                 "GET /.well-known/oauth-authorization-server/tenant/one "),
	          1);
	CHECK_INT(jwks_gets(&e), 1);
	jwks_cache_free(c);
	env_stop(&e);
}

/* No RFC 8414 document: OpenID Connect Discovery is tried next. */
TEST(test_discovery_openid_fallback)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	char issuer[128];

	CHECK_INT(env_start(&e), 0);
	snprintf(issuer, sizeof(issuer), "%s/t2", e.srv.base);
	CHECK_INT(serve_metadata(&e, "t2/.well-known/openid-configuration", issuer, e.uri), 0);
	o = issuer_opts(&e, issuer);
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	/* RFC 8414 first (404 here), then OpenID Connect Discovery §4. */
	CHECK_INT(lighttpd_fixture_count(&e.srv, "GET /.well-known/oauth-authorization-server/t2 "),
	          1);
	CHECK_INT(lighttpd_fixture_count(&e.srv, "GET /t2/.well-known/openid-configuration "), 1);
	CHECK_INT(jwks_gets(&e), 1);
	jwks_cache_free(c);
	env_stop(&e);
}

/* Metadata for another issuer, a bad jwks_uri or a non-object is refused. */
TEST(test_discovery_refusals)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	struct jwks_cache_status st;
	const struct jwk_set *set = NULL;
	char issuer[128], slash[132];

	CHECK_INT(env_start(&e), 0);
	snprintf(issuer, sizeof(issuer), "%s", e.srv.base);
	o = issuer_opts(&e, issuer);
	/* Metadata naming another issuer (RFC 8414 §3.3), in both places. */
	CHECK_INT(serve_metadata(&e, ".well-known/oauth-authorization-server",
	                         "https://evil.example", e.uri),
	          0);
	CHECK_INT(
	    serve_metadata(&e, ".well-known/openid-configuration", "https://evil.example", e.uri),
	    0);
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(jwks_cache_keys(c, T0, &set, &kerr), -1);
	CHECK_ERR(kerr, ERR_UNAVAILABLE,
	          "no usable keys: discovery: metadata names another issuer");
	CHECK_INT(jwks_cache_status(c, T0, &st, NULL), 0);
	CHECK_CONTAINS(st.last_error, "another issuer");
	CHECK_INT(jwks_gets(&e), 0);
	/* An issuer with a trailing slash is another issuer, too (exact match). */
	snprintf(slash, sizeof(slash), "%s/", issuer);
	CHECK_INT(serve_metadata(&e, ".well-known/oauth-authorization-server", slash, e.uri), 0);
	CHECK_INT(jwks_cache_keys(c, T0 + 60, &set, &kerr), -1);
	CHECK_ERR(kerr, ERR_UNAVAILABLE,
	          "no usable keys: discovery: metadata names another issuer");
	CHECK_INT(jwks_cache_status(c, T0 + 60, &st, NULL), 0);
	CHECK_CONTAINS(st.last_error, "another issuer");
	/* A jwks_uri outside the allowed schemes, or none. */
	CHECK_INT(serve_metadata(&e, ".well-known/oauth-authorization-server", issuer,
	                         "file:///etc/passwd"),
	          0);
	CHECK_INT(jwks_cache_keys(c, T0 + 120, &set, &kerr), -1);
	CHECK_ERR(kerr, ERR_UNAVAILABLE,
	          "no usable keys: discovery: jwks_uri refused: not an absolute https:// URL");
	CHECK_INT(jwks_cache_status(c, T0 + 120, &st, NULL), 0);
	CHECK_CONTAINS(st.last_error, "jwks_uri");
	CHECK_INT(lighttpd_fixture_put(&e.srv, ".well-known/oauth-authorization-server", "[1]", 3),
	          0);
	CHECK_INT(jwks_cache_keys(c, T0 + 180, &set, &kerr), -1);
	CHECK_ERR(kerr, ERR_UNAVAILABLE,
	          "no usable keys: discovery: metadata is not a JSON object");
	CHECK_INT(jwks_cache_status(c, T0 + 180, &st, NULL), 0);
	CHECK_CONTAINS(st.last_error, "not a JSON object");
	CHECK_INT(jwks_gets(&e), 0);
	/* Fixed metadata: keys after the pause. */
	CHECK_INT(serve_metadata(&e, ".well-known/oauth-authorization-server", issuer, e.uri), 0);
	CHECK_INT(nkeys(c, T0 + 240), 1);
	CHECK_INT(jwks_gets(&e), 1);
	jwks_cache_free(c);
	env_stop(&e);
}

/* 16 processes released together on an empty cache: one fetch, keys for all. */
TEST(test_concurrent_cold_start_fetches_once)
{
	enum { NPROC = 16 };
	struct env e;
	struct jwks_cache_opts o;
	pid_t pids[NPROC];
	int gate[2], ok = 0;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(pipe(gate), 0);
	for (int i = 0; i < NPROC; i++) {
		if ((pids[i] = fork()) == 0) {
			struct jwks_cache *c = NULL;
			char b;
			int code = 1;

			close(gate[1]);
			if (jwks_cache_open(&o, &c, NULL) == 0) {
				/* Released together when the parent closes the pipe. */
				while (read(gate[0], &b, 1) < 0 && errno == EINTR)
					;
				code = nkeys(c, T0) == 1 ? 0 : 2;
			}
			jwks_cache_free(c);
			_exit(code);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (int i = 0; i < NPROC; i++)
		ok += child_status(pids[i]) == 0;
	CHECK_INT(ok, NPROC);
	CHECK_INT(jwks_gets(&e), 1);
	env_stop(&e);
}

/* jwks_cache_status() reads the file and never fetches, even when stale. */
TEST(test_status_reads_file_without_network)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL, *c2 = NULL;
	struct jwks_cache_status st;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(jwks_cache_open(&o, &c2, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	/* Far past expiry: status reports, never fetches. */
	CHECK_INT(jwks_cache_status(c2, T0 + 1000, &st, NULL), 0);
	CHECK(st.have_keys);
	CHECK_INT(st.n_keys, 1);
	CHECK_INT(st.fetched_at, T0);
	CHECK_INT(st.expires_at, T0 + 300);
	CHECK(st.last_ok);
	CHECK_INT(jwks_gets(&e), 1);
	jwks_cache_free(c);
	jwks_cache_free(c2);
	env_stop(&e);
}

/*
 * Freshness has one definition.  A cache file whose expires_at lies beyond
 * fetched_at + ttl_max (written while a clock had jumped ahead, say) is
 * fresh only up to that cap: for jwks_cache_keys(), for jwks_cache_status()
 * and for /health alike (prm.c used to compare now with expires_at itself
 * and called such keys fresh while the cache refreshed them).
 */
TEST(test_health_fresh_is_the_caches)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL, *c2 = NULL;
	struct jwks_cache_status st;
	int64_t cap = T0 + 3600, far = T0 + 10 * 86400;
	char near_line[64], far_line[64], *file = NULL, *at = NULL, *h;
	size_t len = 0;
	int gets;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	o.ttl_max = 3600;
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	/* The same file, but expiring ten days after the fetch (same length). */
	snprintf(near_line, sizeof(near_line), "\nexpires_at %lld\n", T0 + 300);
	snprintf(far_line, sizeof(far_line), "\nexpires_at %lld\n", (long long)far);
	CHECK_INT(strlen(near_line), strlen(far_line));
	file = fixture_read(e.cache, &len);
	if (file != NULL && (at = strstr(file, near_line)) != NULL)
		memcpy(at, far_line, strlen(far_line));
	CHECK(at != NULL);
	CHECK_INT(cache_replace(&e, file != NULL ? file : "", len), 0);
	CHECK_INT(jwks_cache_open(&o, &c2, NULL), 0);
	/* Before the cap: fresh for the cache and for /health; no fetch. */
	CHECK_INT(jwks_cache_status(c2, cap - 1, &st, NULL), 0);
	CHECK(st.fresh);
	CHECK_INT(st.expires_at, cap);
	h = prm_health_new(&st, cap - 1);
	CHECK_CONTAINS(h, "\"fresh\":true");
	free(h);
	gets = jwks_gets(&e);
	CHECK_INT(nkeys(c2, cap - 1), 1);
	CHECK_INT(jwks_gets(&e), gets);
	/* From the cap on, long before the recorded expiry: stale everywhere. */
	CHECK_INT(jwks_cache_status(c2, cap, &st, NULL), 0);
	CHECK(!st.fresh);
	CHECK(st.have_keys);
	CHECK_INT(st.expires_at, cap);
	h = prm_health_new(&st, cap);
	CHECK_CONTAINS(h, "\"fresh\":false");
	free(h);
	/* ... and the cache acts on it: the next keys call refreshes. */
	CHECK_INT(nkeys(c2, cap), 1);
	CHECK_INT(jwks_gets(&e), gets + 1);
	CHECK_INT(jwks_cache_status(c2, cap, &st, NULL), 0);
	CHECK(st.fresh);
	CHECK_INT(st.expires_at, cap + 300);
	free(file);
	jwks_cache_free(c);
	jwks_cache_free(c2);
	env_stop(&e);
}

/* Creates state/name (a file, or a symbolic link to target) dated mtime.  Returns 0 or -1. */
static int
plant(struct env *e, const char *name, const char *target, int64_t mtime)
{
	char path[FIXTURE_PATH_MAX + 64];
	struct timespec ts[2] = {{.tv_sec = (time_t)mtime}, {.tv_sec = (time_t)mtime}};

	snprintf(path, sizeof(path), "%s/%s", e->state, name);
	if (target != NULL ? symlink(target, path) != 0 : fixture_write(path, "{\"keys\":", 8) != 0)
		return -1;
	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* True when state/name exists (as whatever it is). */
static bool
present(struct env *e, const char *name)
{
	char path[FIXTURE_PATH_MAX + 64];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", e->state, name);
	return lstat(path, &sb) == 0;
}

/*
 * Temporary files a crashed writer left (jwks.cache.XXXXXX) are removed by
 * the next process holding the refresh lock once over a minute old; recent
 * ones, other names, links and other owners' files are left alone.
 */
TEST(test_crashed_writer_temp_files_removed)
{
	struct env e;
	struct jwks_cache_opts o;
	struct jwks_cache *c = NULL;
	char target[FIXTURE_PATH_MAX + 32], path[FIXTURE_PATH_MAX + 64];
	int64_t stale = T0 + 300;

	CHECK_INT(env_start(&e), 0);
	o = env_opts(&e, "/jwks.json");
	CHECK_INT(jwks_cache_open(&o, &c, NULL), 0);
	CHECK_INT(nkeys(c, T0), 1);
	snprintf(target, sizeof(target), "%s/elsewhere", e.srv.dir);
	CHECK_INT(fixture_write(target, "x", 1), 0);
	CHECK_INT(plant(&e, "jwks.cache.Old123", NULL, stale - 3600), 0);
	CHECK_INT(plant(&e, "jwks.cache.aGe061", NULL, stale - 61), 0);
	CHECK_INT(plant(&e, "jwks.cache.aGe060", NULL, stale - 60), 0);
	CHECK_INT(plant(&e, "jwks.cache.New456", NULL, stale - 30), 0);
	CHECK_INT(plant(&e, "jwks.cache.Futur9", NULL, stale + 3600), 0);
	CHECK_INT(plant(&e, "jwks.cache.short", NULL, stale - 3600), 0);
	CHECK_INT(plant(&e, "jwks.cache.Long1234", NULL, stale - 3600), 0);
	CHECK_INT(plant(&e, "jwks.cache.ab-cd1", NULL, stale - 3600), 0);
	CHECK_INT(plant(&e, "other.Old123", NULL, stale - 3600), 0);
	CHECK_INT(plant(&e, "jwks.cache.Link12", target, stale - 3600), 0);
	snprintf(path, sizeof(path), "%s/jwks.cache.Dir123", e.state);
	CHECK_INT(mkdir(path, 0700), 0);
	if (geteuid() == 0) {
		CHECK_INT(plant(&e, "jwks.cache.Alien1", NULL, stale - 3600), 0);
		snprintf(path, sizeof(path), "%s/jwks.cache.Alien1", e.state);
		CHECK_INT(lchown(path, 1, 1), 0);
	}
	/* Fresh keys: no refresh lock is taken, so nothing is swept. */
	CHECK_INT(nkeys(c, T0 + 10), 1);
	CHECK(present(&e, "jwks.cache.Old123"));
	/* Stale keys: the refresher sweeps, then fetches. */
	CHECK_INT(nkeys(c, stale), 1);
	CHECK_INT(jwks_gets(&e), 2);
	CHECK(!present(&e, "jwks.cache.Old123"));
	CHECK(!present(&e, "jwks.cache.aGe061"));
	CHECK(present(&e, "jwks.cache.aGe060"));
	CHECK(present(&e, "jwks.cache.New456"));
	CHECK(present(&e, "jwks.cache.Futur9"));
	CHECK(present(&e, "jwks.cache.short"));
	CHECK(present(&e, "jwks.cache.Long1234"));
	CHECK(present(&e, "jwks.cache.ab-cd1"));
	CHECK(present(&e, "other.Old123"));
	CHECK(present(&e, "jwks.cache.Link12"));
	CHECK(present(&e, "jwks.cache.Dir123"));
	CHECK(access(target, F_OK) == 0);
	if (geteuid() == 0)
		CHECK(present(&e, "jwks.cache.Alien1"));
	CHECK(present(&e, JWKS_CACHE_FILE));
	/* A forced refresh (unknown kid) sweeps too ... */
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, stale + 1, NULL), 0);
	CHECK_INT(jwks_gets(&e), 3);
	CHECK(!present(&e, "jwks.cache.aGe060"));
	CHECK(present(&e, "jwks.cache.New456"));
	/* ... a throttled one takes no lock and sweeps nothing ... */
	CHECK_INT(plant(&e, "jwks.cache.Crash1", NULL, stale + 2 - 120), 0);
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, stale + 2, &kerr), -1);
	CHECK_ERR(kerr, ERR_THROTTLED, "forced refresh 1 s ago");
	CHECK(present(&e, "jwks.cache.Crash1"));
	/* ... and the next refresher finds what is left. */
	CHECK_INT(nkeys(c, stale + 301), 1);
	CHECK_INT(jwks_gets(&e), 4);
	CHECK(!present(&e, "jwks.cache.Crash1"));
	CHECK(!present(&e, "jwks.cache.New456"));
	CHECK(present(&e, "jwks.cache.Futur9"));
	CHECK(present(&e, "jwks.cache.Link12"));
	jwks_cache_free(c);
	env_stop(&e);
}

TEST_MAIN_FIXTURE(
    setup, NULL, TEST_CASE(test_open_refuses_bad_options), TEST_CASE(test_state_dir_refused),
    TEST_CASE(test_cold_fetch_creates_private_files), TEST_CASE(test_warm_calls_do_not_fetch),
    TEST_CASE(test_forked_process_reads_without_fetch),
    TEST_CASE(test_file_changed_by_other_process_is_reloaded), TEST_CASE(test_max_age_clamped),
    TEST_CASE(test_bad_documents_keep_old_keys), TEST_CASE(test_emptied_jwks_revokes),
    TEST_CASE(test_cold_garbage_gives_no_keys), TEST_CASE(test_corrupt_cache_file_is_missing),
    TEST_CASE(test_corrupt_cache_file_logged_once),
    TEST_CASE(test_older_cache_file_keeps_newer_keys), TEST_CASE(test_symlinks_refused),
    TEST_CASE(test_key_rotation_unknown_kid), TEST_CASE(test_forged_kid_flood_is_throttled),
    TEST_CASE(test_throttle_shared_across_processes),
    TEST_CASE(test_issuer_down_stale_then_no_keys), TEST_CASE(test_custom_max_stale),
    TEST_CASE(test_no_stale_keys), TEST_CASE(test_unknown_kid_waits_for_a_busy_refresh),
    TEST_CASE(test_unknown_kid_waits_no_longer_than_the_fetch_timeout),
    TEST_CASE(test_fetch_in_the_future_is_not_fresh), TEST_CASE(test_discovery_rfc8414),
    TEST_CASE(test_discovery_path_insertion), TEST_CASE(test_discovery_openid_fallback),
    TEST_CASE(test_discovery_refusals), TEST_CASE(test_concurrent_cold_start_fetches_once),
    TEST_CASE(test_status_reads_file_without_network), TEST_CASE(test_health_fresh_is_the_caches),
    TEST_CASE(test_crashed_writer_temp_files_removed))
