/* Unit tests for src/lib/jose/token_memo.h: the per-process memo of verified tokens. */
#include "test.h"

#include "lib/jose/principal.h"
#include "lib/jose/token_memo.h"

/* A key of set `set` (its first two bytes pick the set), told apart by tag. */
static void
key_in_set(unsigned char key[TOKEN_MEMO_KEY], unsigned set, unsigned char tag)
{
	memset(key, tag, TOKEN_MEMO_KEY);
	key[0] = (unsigned char)set;
	key[1] = 0;
}

/* The subject remembered under key (static copy), or NULL on a miss, "expired" on -1. */
static const char *
find(struct token_memo *m, const unsigned char *key, uint64_t gen, int64_t now)
{
	static char sub[64];
	struct principal *p = NULL;
	int rc = token_memo_find(m, key, gen, 60, now, &p);

	if (rc == 1)
		return NULL;
	if (rc < 0)
		return "expired";
	snprintf(sub, sizeof(sub), "%s", p->subject);
	principal_free(p);
	return sub;
}

TEST(hits_only_for_the_same_token_and_keys)
{
	struct token_memo *m = token_memo_new();
	struct principal alice = {.subject = "alice", .exp = 1000};
	unsigned char k1[TOKEN_MEMO_KEY], k2[TOKEN_MEMO_KEY];

	token_memo_key("a.b.c", 5, k1);
	token_memo_key("a.b.d", 5, k2);
	CHECK(memcmp(k1, k2, TOKEN_MEMO_KEY) != 0);
	CHECK(find(m, k1, 7, 500) == NULL);
	token_memo_put(m, k1, 7, &alice);
	CHECK_STR(find(m, k1, 7, 500), "alice");
	/* Another token, or another key set, is not remembered. */
	CHECK(find(m, k2, 7, 500) == NULL);
	CHECK(find(m, k1, 8, 500) == NULL);
	token_memo_free(m);
	token_memo_free(NULL);
}

/* exp is checked on every use, with the leeway (60 s here), and an expired entry goes. */
TEST(expiry_checked_on_every_use)
{
	struct token_memo *m = token_memo_new();
	struct principal bob = {.subject = "bob", .exp = 1000};
	unsigned char k[TOKEN_MEMO_KEY];

	token_memo_key("x.y.z", 5, k);
	token_memo_put(m, k, 1, &bob);
	CHECK_STR(find(m, k, 1, 1059), "bob");
	CHECK_STR(find(m, k, 1, 1060), "expired");
	CHECK(find(m, k, 1, 1000) == NULL); /* dropped: verified afresh next time */
	token_memo_free(m);
}

/* Two tokens that share a set are both kept; a third evicts the older of them. */
TEST(two_ways_per_set)
{
	struct token_memo *m = token_memo_new();
	struct principal a = {.subject = "a", .exp = 9999}, b = {.subject = "b", .exp = 9999},
	                 c = {.subject = "c", .exp = 9999};
	unsigned char ka[TOKEN_MEMO_KEY], kb[TOKEN_MEMO_KEY], kc[TOKEN_MEMO_KEY];

	key_in_set(ka, 5, 'a');
	key_in_set(kb, 5, 'b');
	key_in_set(kc, 5 + TOKEN_MEMO_SETS, 'c'); /* the same set, by the modulo */
	token_memo_put(m, ka, 1, &a);
	token_memo_put(m, kb, 1, &b);
	CHECK_STR(find(m, ka, 1, 0), "a");
	CHECK_STR(find(m, kb, 1, 0), "b");
	/* Remembering a again replaces its own entry, evicting nothing. */
	token_memo_put(m, ka, 1, &a);
	CHECK_STR(find(m, kb, 1, 0), "b");
	token_memo_put(m, kc, 1, &c);
	CHECK_STR(find(m, kc, 1, 0), "c");
	CHECK((find(m, ka, 1, 0) == NULL) != (find(m, kb, 1, 0) == NULL));
	token_memo_free(m);
}

TEST_MAIN(TEST_CASE(hits_only_for_the_same_token_and_keys), TEST_CASE(expiry_checked_on_every_use),
          TEST_CASE(two_ways_per_set))
