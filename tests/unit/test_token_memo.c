/* Unit tests for src/lib/jose/token_memo.h: the per-process memo of verified tokens. */
#include "test.h"

#include "lib/jose/principal.h"
#include "lib/jose/token_memo.h"

/*
 * Writes into buf (room for 16) the first token "t<n>.x.y" from n = *from on
 * that falls in set `set` of m, and moves *from past it.
 */
static size_t
token_in_set(const struct token_memo *m, size_t set, char *buf, unsigned *from)
{
	size_t len;

	do
		len = (size_t)snprintf(buf, 16, "t%u.x.y", (*from)++);
	while (token_memo_set_of(m, buf, len) != set);
	return len;
}

/* The subject remembered under key (static copy), or NULL on a miss, "expired" on -1. */
static const char *
find(struct token_memo *m, const char *tok, uint64_t gen, int64_t now)
{
	static char sub[64];
	struct principal *p = NULL;
	int rc = token_memo_find(m, tok, strlen(tok), gen, 60, now, &p);

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
	const char *k1 = "a.b.c", *k2 = "a.b.d";

	CHECK(find(m, k1, 7, 500) == NULL);
	token_memo_put(m, k1, 5, 7, &alice);
	CHECK_STR(find(m, k1, 7, 500), "alice");
	/* Another token, a prefix, or another key set, is not remembered. */
	CHECK(find(m, k2, 7, 500) == NULL);
	CHECK(find(m, "a.b.", 7, 500) == NULL);
	CHECK(find(m, "a.b.cc", 7, 500) == NULL);
	CHECK(find(m, k1, 8, 500) == NULL);
	token_memo_free(m);
	token_memo_free(NULL);
}

/* exp is checked on every use, with the leeway (60 s here), and an expired entry goes. */
TEST(expiry_checked_on_every_use)
{
	struct token_memo *m = token_memo_new();
	struct principal bob = {.subject = "bob", .exp = 1000};
	const char *k = "x.y.z";

	token_memo_put(m, k, 5, 1, &bob);
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
	char ka[16], kb[16], kc[16];
	size_t la, lb, lc;
	unsigned from = 0;

	la = token_in_set(m, 5, ka, &from);
	lb = token_in_set(m, 5, kb, &from);
	lc = token_in_set(m, 5, kc, &from);
	token_memo_put(m, ka, la, 1, &a);
	token_memo_put(m, kb, lb, 1, &b);
	CHECK_STR(find(m, ka, 1, 0), "a");
	CHECK_STR(find(m, kb, 1, 0), "b");
	/* Remembering a again replaces its own entry, evicting nothing. */
	token_memo_put(m, ka, la, 1, &a);
	CHECK_STR(find(m, kb, 1, 0), "b");
	token_memo_put(m, kc, lc, 1, &c);
	CHECK_STR(find(m, kc, 1, 0), "c");
	CHECK((find(m, ka, 1, 0) == NULL) != (find(m, kb, 1, 0) == NULL));
	token_memo_free(m);
}

TEST_MAIN(TEST_CASE(hits_only_for_the_same_token_and_keys), TEST_CASE(expiry_checked_on_every_use),
          TEST_CASE(two_ways_per_set))
