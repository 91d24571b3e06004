/*
 * test_jwks_local.c - OAUTH_JWKS_FILE through the cache's public face
 * (jwks_cache.h): keys from a file the operator keeps, read again when it
 * changes, no state directory, no network.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/jwk.h"
#include "lib/keycache/jwks_cache.h"

#include "lighttpd_fixture.h" /* fixture_jwks */
#include "test.h"
#include "tmpdir.h"

#define T0 1700000000LL

static char dir[] = "/tmp/mcp-jwks-local-XXXXXX";
static char path[256];
static struct err e;

static int
setup(void)
{
	log_set_level(LOGL_ERROR);
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/jwks.json", dir);
	return 0;
}

static void
cleanup(void)
{
	tmpdir_remove(dir);
}

/* Replaces the file the way an operator should: a new file renamed over it. */
static void
put(const char *text)
{
	char tmp[300];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
	CHECK_INT(rename(tmp, path), 0);
}

static void
put_fixture(const char *name)
{
	size_t len;
	char *doc = fixture_jwks(name, &len);

	CHECK(doc != NULL);
	if (doc != NULL)
		put(doc);
	free(doc);
}

/* Opens a cache on path, with a state directory that cannot exist and no URL. */
static struct jwks_cache *
open_local(void)
{
	struct jwks_cache_opts o = {.jwks_file = path, .state_dir = "/nonexistent/state"};
	struct jwks_cache *c = NULL;

	CHECK_INT(jwks_cache_open(&o, &c, &e), 0);
	return c;
}

/* The kid of the set's first key, or "". */
static const char *
first_kid(const struct jwk_set *set)
{
	const char *kid =
	    set != NULL && jwk_set_count(set) > 0 ? jwk_kid(jwk_set_get(set, 0)) : NULL;

	return kid != NULL ? kid : "";
}

TEST(relative_path_refused)
{
	struct jwks_cache_opts o = {.jwks_file = "jwks.json"};
	struct jwks_cache *c = NULL;

	CHECK_INT(jwks_cache_open(&o, &c, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "jwks_file");
	CHECK(c == NULL);
}

TEST(keys_from_the_file_without_state_dir_or_network)
{
	const struct jwk_set *set = NULL;
	struct jwks_cache_status st;
	struct jwks_cache *c;
	uint64_t gen;

	put_fixture("rsa-k1.json");
	c = open_local();
	CHECK_INT(jwks_cache_keys(c, T0, &set, &e), 0);
	CHECK_INT(jwk_set_count(set), 1);
	CHECK_STR(first_kid(set), "k1");
	gen = jwks_cache_generation(c);
	/* Unchanged: the same set, no new generation, however late it is. */
	CHECK_INT(jwks_cache_keys(c, T0 + 10 * 86400, &set, &e), 0);
	CHECK(jwks_cache_generation(c) == gen);
	CHECK_INT(jwks_cache_status(c, T0, &st, &e), 0);
	CHECK(st.have_keys && st.fresh && st.last_ok);
	CHECK_INT(st.n_keys, 1);
	jwks_cache_free(c);
}

TEST(replaced_file_is_read_again)
{
	const struct jwk_set *set = NULL;
	struct jwks_cache *c;
	uint64_t gen;

	put_fixture("rsa-k1.json");
	c = open_local();
	CHECK_INT(jwks_cache_keys(c, T0, &set, &e), 0);
	gen = jwks_cache_generation(c);
	/* Rotation: an unknown kid finds the new file at once. */
	put_fixture("rsa-k1-k2.json");
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 1, &e), 0);
	CHECK(jwks_cache_generation(c) != gen);
	CHECK_INT(jwks_cache_keys(c, T0 + 1, &set, &e), 0);
	CHECK_INT(jwk_set_count(set), 2);
	/* Nothing new: a forged kid changes nothing and costs no read of keys. */
	CHECK_INT(jwks_cache_refresh_unknown_kid(c, T0 + 2, &e), -1);
	CHECK_ERR(e, ERR_THROTTLED, "unchanged");
	/* Emptied: every key revoked, and /health is not ready. */
	put_fixture("no-usable-keys.json");
	CHECK_INT(jwks_cache_keys(c, T0 + 3, &set, &e), 0);
	CHECK_INT(jwk_set_count(set), 0);
	jwks_cache_free(c);
}

TEST(missing_or_bad_file_gives_no_keys)
{
	const struct jwk_set *set = NULL;
	struct jwks_cache_status st;
	struct jwks_cache *c;

	unlink(path);
	c = open_local();
	CHECK_INT(jwks_cache_keys(c, T0, &set, &e), -1);
	CHECK_ERR(e, ERR_UNAVAILABLE, "no usable keys: OAUTH_JWKS_FILE: No such file");
	CHECK(set == NULL);
	CHECK_INT(jwks_cache_status(c, T0, &st, &e), 0);
	CHECK(!st.have_keys && !st.last_ok);
	put_fixture("garbage.json");
	CHECK_INT(jwks_cache_keys(c, T0, &set, &e), -1);
	CHECK_ERR(e, ERR_UNAVAILABLE, "no usable keys: OAUTH_JWKS_FILE");
	jwks_cache_free(c);
}

TEST(bad_replacement_keeps_the_last_good_keys)
{
	const struct jwk_set *set = NULL;
	struct jwks_cache *c;
	char *big;

	put_fixture("rsa-k1.json");
	c = open_local();
	CHECK_INT(jwks_cache_keys(c, T0, &set, &e), 0);
	put_fixture("truncated.json");
	CHECK_INT(jwks_cache_keys(c, T0 + 1, &set, &e), 0);
	CHECK_STR(first_kid(set), "k1");
	/* Over the size cap: refused unread, the good keys stay. */
	big = xmalloc(JWK_SET_MAX_BYTES + 2);
	memset(big, ' ', JWK_SET_MAX_BYTES + 1);
	big[JWK_SET_MAX_BYTES + 1] = '\0';
	put(big);
	free(big);
	CHECK_INT(jwks_cache_keys(c, T0 + 2, &set, &e), 0);
	CHECK_STR(first_kid(set), "k1");
	/* A directory where the file was: the same. */
	CHECK_INT(unlink(path), 0);
	CHECK_INT(mkdir(path, 0700), 0);
	CHECK_INT(jwks_cache_keys(c, T0 + 3, &set, &e), 0);
	CHECK_STR(first_kid(set), "k1");
	CHECK_INT(rmdir(path), 0);
	jwks_cache_free(c);
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(relative_path_refused),
                  TEST_CASE(keys_from_the_file_without_state_dir_or_network),
                  TEST_CASE(replaced_file_is_read_again),
                  TEST_CASE(missing_or_bad_file_gives_no_keys),
                  TEST_CASE(bad_replacement_keeps_the_last_good_keys))
