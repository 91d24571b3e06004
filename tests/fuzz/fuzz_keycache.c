/*
 * fuzz_keycache.c - the key-cache file (src/lib/keycache/jwks_cache.h):
 * the input becomes <state dir>/jwks.cache, written as another process
 * would leave it, and a new cache reads it through jwks_cache_status: the
 * header lines (jwks_meta), the document length, the cached JWKS, and the
 * freshness computed from the times the file claims.  Nothing is fetched:
 * status never refreshes.
 *
 * The first byte picks the configuration the file must match: bit 0 a
 * configured jwks_uri, else an issuer to discover from; bit 1 a max_stale
 * of a day, else none.  The time is fixed, so a crash replays exactly.
 */
#include "fuzz.h"

#include "lib/jose/jwk.h"
#include "lib/keycache/jwks_cache.h"

#define NOW INT64_C(1700000000)

static char cache_path[300];

static void
harness_init(void)
{
	snprintf(cache_path, sizeof(cache_path), "%s/jwks.cache", fuzz_tmpdir());
}

static void
check(const struct jwks_cache_status *st)
{
	/* Fresh keys serve; an emptied set may be fresh and still serves nothing. */
	if (st->n_keys > JWK_SET_MAX_KEYS || (st->have_keys && st->n_keys == 0) ||
	    (st->fresh && st->n_keys > 0 && !st->have_keys) ||
	    memchr(st->last_error, '\0', sizeof(st->last_error)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwks_cache_opts opts = {.state_dir = fuzz_tmpdir()};
	struct jwks_cache *c = NULL;
	struct jwks_cache_status st;
	struct err e;

	if (size == 0)
		return -1;
	if (data[0] & 1)
		opts.jwks_uri = "https://issuer.example/jwks";
	else
		opts.issuer = "https://issuer.example";
	opts.max_stale = (data[0] & 2) ? 86400 : 0;
	fuzz_write_file(cache_path, data + 1, size - 1);
	if (jwks_cache_open(&opts, &c, &e) != 0) {
		fprintf(stderr, "fuzz_keycache: %s\n", e.msg);
		abort();
	}
	if (jwks_cache_status(c, NOW, &st, &e) != 0) {
		fprintf(stderr, "fuzz_keycache: status: %s\n", e.msg);
		abort();
	}
	check(&st);
	jwks_cache_free(c);
	return 0;
}
