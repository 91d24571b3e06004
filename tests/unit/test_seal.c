/* Unit tests for src/lib/jose/seal.h: sealed handles open only where they were sealed. */
#include "test.h"

#include <stdint.h>

#include "lib/jose/seal.h"

static const unsigned char key[SEAL_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const unsigned char other[SEAL_KEY_LEN] = "fedcba9876543210fedcba9876543210";

TEST(round_trip)
{
	int64_t v = 123456789, w = 0;
	char text[SEAL_TEXT_LEN(sizeof(v)) + 1], again[sizeof(text)];

	CHECK_INT(seal(key, "owner", 5, &v, sizeof(v), text, sizeof(text)), 0);
	CHECK_INT(strlen(text), SEAL_TEXT_LEN(sizeof(v)));
	CHECK_INT(unseal(key, "owner", 5, text, &w, sizeof(w)), 0);
	CHECK(w == v);
	/* A fresh nonce each time: the same value never seals the same way twice. */
	CHECK_INT(seal(key, "owner", 5, &v, sizeof(v), again, sizeof(again)), 0);
	CHECK(strcmp(text, again) != 0);
	/* Too small a buffer, or too much to seal: refused. */
	CHECK_INT(seal(key, NULL, 0, &v, sizeof(v), text, SEAL_TEXT_LEN(sizeof(v))), -1);
	CHECK_INT(seal(key, NULL, 0, text, SEAL_PLAIN_MAX + 1, text, sizeof(text)), -1);
}

TEST(forgeries_refused)
{
	int64_t v = 42, w = 7;
	char text[SEAL_TEXT_LEN(sizeof(v)) + 1], bad[sizeof(text) + 4];

	CHECK_INT(seal(key, "alice", 5, &v, sizeof(v), text, sizeof(text)), 0);
	/* Another context (owner), another key, another length. */
	CHECK_INT(unseal(key, "bob", 3, text, &w, sizeof(w)), -1);
	CHECK_INT(unseal(key, NULL, 0, text, &w, sizeof(w)), -1);
	CHECK_INT(unseal(other, "alice", 5, text, &w, sizeof(w)), -1);
	CHECK_INT(unseal(key, "alice", 5, text, &w, 4), -1);
	/* Any changed, missing or added character. */
	for (size_t i = 0; i < strlen(text); i++) {
		snprintf(bad, sizeof(bad), "%s", text);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		CHECK_INT(unseal(key, "alice", 5, bad, &w, sizeof(w)), -1);
	}
	snprintf(bad, sizeof(bad), "%sAAAA", text);
	CHECK_INT(unseal(key, "alice", 5, bad, &w, sizeof(w)), -1);
	bad[strlen(text) - 1] = '\0';
	CHECK_INT(unseal(key, "alice", 5, bad, &w, sizeof(w)), -1);
	CHECK_INT(unseal(key, "alice", 5, "", &w, sizeof(w)), -1);
	CHECK_INT(unseal(key, "alice", 5, NULL, &w, sizeof(w)), -1);
	/* Nothing was written on any refusal. */
	CHECK(w == 7);
}

TEST_MAIN(TEST_CASE(round_trip), TEST_CASE(forgeries_refused))
