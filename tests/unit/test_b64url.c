/*
 * test_b64url.c - strict base64url (RFC 4648 §5): refusals first.
 */
#include "lib/jose/b64url.h"
#include "test.h"

#include <stdint.h>

/* Decodes the C string s; returns 0 or -1 like b64url_decode. */
static int
dec(const char *s, unsigned char *out, size_t cap, size_t *len)
{
	return b64url_decode(s, strlen(s), out, cap, len);
}

TEST(padding_rejected)
{
	unsigned char buf[16];
	size_t n;

	CHECK_INT(dec("Zg==", buf, sizeof(buf), &n), -1);
	CHECK_INT(dec("Zm8=", buf, sizeof(buf), &n), -1);
	CHECK_INT(dec("=", buf, sizeof(buf), &n), -1);
}

TEST(standard_alphabet_rejected)
{
	unsigned char buf[16];
	size_t n;

	/* '+' and '/' are base64, not base64url (RFC 4648 §5 Table 2). */
	CHECK_INT(dec("ab+c", buf, sizeof(buf), &n), -1);
	CHECK_INT(dec("ab/c", buf, sizeof(buf), &n), -1);
}

TEST(invalid_chars_rejected)
{
	unsigned char buf[16];
	size_t n;

	CHECK_INT(dec("ab c", buf, sizeof(buf), &n), -1);
	CHECK_INT(dec("ab.c", buf, sizeof(buf), &n), -1);
	CHECK_INT(dec("abc\n", buf, sizeof(buf), &n), -1);
	CHECK_INT(dec("ab\xc3\xa9", buf, sizeof(buf), &n), -1);
	/* An embedded NUL inside the counted length is not an alphabet character. */
	CHECK_INT(b64url_decode("ab\0c", 4, buf, sizeof(buf), &n), -1);
}

TEST(impossible_length_rejected)
{
	unsigned char buf[16];
	size_t n;

	CHECK_INT(dec("A", buf, sizeof(buf), &n), -1);
	CHECK_INT(dec("AAAAA", buf, sizeof(buf), &n), -1);
	CHECK(b64url_decoded_len(5) == (size_t)-1);
	CHECK_INT(b64url_decoded_len(6), 4);
}

TEST(noncanonical_trailing_bits_rejected)
{
	unsigned char buf[16];
	size_t n;

	/* "Zg" is 'f'; "Zh" decodes to 'f' too but sets trailing bits. */
	CHECK_INT(dec("Zh", buf, sizeof(buf), &n), -1);
	CHECK_INT(dec("Zm9", buf, sizeof(buf), &n), -1);
	CHECK_INT(dec("Zm8", buf, sizeof(buf), &n), 0);
	CHECK_INT(dec("Zg", buf, sizeof(buf), &n), 0);
}

TEST(valid_agrees_with_decode)
{
	static const char *const cases[] = {"",  "Zg",   "Zh",   "Zm8",  "Zm9",  "Zm9v",
	                                    "A", "Zg==", "ab+c", "ab/c", "-_-_", "Zm9vYmFy"};
	unsigned char buf[16];
	size_t n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_INT(b64url_valid(cases[i], strlen(cases[i])),
		          dec(cases[i], buf, sizeof(buf), &n) == 0);
	CHECK(!b64url_valid(NULL, 4));
}

TEST(output_too_small_rejected)
{
	unsigned char buf[2];
	size_t n;

	CHECK_INT(dec("Zm9v", buf, sizeof(buf), &n), -1);
	char out[4];
	CHECK(b64url_encode("foo", 3, out, sizeof(out)) == (size_t)-1);
	CHECK_STR(out, "");
}

TEST(alloc_decode_rejects_and_leaves_null)
{
	unsigned char *out = (unsigned char *)"sentinel";
	size_t n;

	CHECK_INT(b64url_decode_alloc("Zg=", 3, &out, &n), -1);
	CHECK(out == NULL);
}

TEST(rfc4648_vectors)
{
	/* RFC 4648 §10 test vectors, without padding. */
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		char out[16];
		unsigned char back[16];
		size_t n = 99;

		CHECK_INT(b64url_encode(plain[i], strlen(plain[i]), out, sizeof(out)),
		          strlen(enc[i]));
		CHECK_STR(out, enc[i]);
		CHECK_INT(b64url_encoded_len(strlen(plain[i])), strlen(enc[i]));
		CHECK_INT(dec(enc[i], back, sizeof(back), &n), 0);
		CHECK_INT(n, strlen(plain[i]));
		CHECK(memcmp(back, plain[i], n) == 0);
	}
}

TEST(url_safe_alphabet)
{
	static const unsigned char bytes[] = {0xfb, 0xff, 0xbf};
	unsigned char back[3];
	size_t n;
	char *s = b64url_encode_alloc(bytes, sizeof(bytes));

	CHECK_STR(s, "-_-_");
	CHECK_INT(dec("-_-_", back, sizeof(back), &n), 0);
	CHECK_INT(n, 3);
	CHECK(memcmp(back, bytes, 3) == 0);
	free(s);
}

TEST(roundtrip_all_lengths)
{
	unsigned char in[64], back[64];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(in); len++) {
		char *s = b64url_encode_alloc(in, len);
		unsigned char *heap = NULL;
		size_t n = 0, m = 0;

		CHECK(s != NULL);
		if (s == NULL)
			continue;
		CHECK_INT(b64url_decode(s, strlen(s), back, sizeof(back), &n), 0);
		CHECK_INT(n, len);
		CHECK(memcmp(back, in, len) == 0);
		CHECK_INT(b64url_decode_alloc(s, strlen(s), &heap, &m), 0);
		CHECK_INT(m, len);
		CHECK(heap != NULL && heap[m] == '\0' && memcmp(heap, in, len) == 0);
		free(heap);
		free(s);
	}
}

TEST(decode_not_nul_terminated)
{
	unsigned char back[8];
	size_t n;

	/* Only the counted characters are read: "Zm9v" out of "Zm9vXXXX". */
	CHECK_INT(b64url_decode("Zm9vXXXX", 4, back, sizeof(back), &n), 0);
	CHECK_INT(n, 3);
	CHECK(memcmp(back, "foo", 3) == 0);
	CHECK_INT(b64url_decode(NULL, 0, back, sizeof(back), &n), 0);
	CHECK_INT(n, 0);
}

/*
 * Every byte value at every position of a whole group and of a 3-character
 * tail (the decoder takes the two apart): accepted exactly when it is of
 * the alphabet (and, last, leaves zero bits), with the bytes a plain
 * bit-by-bit decoding gives, and b64url_valid agreeing.
 */
TEST(every_byte_at_every_position)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char out[8], want[8];
	size_t n;

	for (int pos = 0; pos < 7; pos++)
		for (int c = 0; c < 256; c++) {
			char in[8] = "AAAAAAA";
			const char *hit = c != 0 ? memchr(alphabet, c, 64) : NULL;
			unsigned v = hit != NULL ? (unsigned)(hit - alphabet) : 0;
			int ok = hit != NULL && (pos < 6 || (v & 3) == 0);
			uint64_t bits = (uint64_t)v << (6 * (6 - pos));

			in[pos] = (char)c;
			/* 42 bits: the 40 of five bytes, then the two a tail of 3 leaves unused. */
			for (int i = 0; i < 5; i++)
				want[i] = (unsigned char)(bits >> (34 - 8 * i));
			CHECK_INT(b64url_decode(in, 7, out, sizeof(out), &n), ok ? 0 : -1);
			CHECK(b64url_valid(in, 7) == ok);
			if (ok) {
				CHECK_INT(n, 5);
				CHECK(memcmp(out, want, 5) == 0);
			}
		}
}

TEST_MAIN(TEST_CASE(padding_rejected), TEST_CASE(standard_alphabet_rejected),
          TEST_CASE(invalid_chars_rejected), TEST_CASE(impossible_length_rejected),
          TEST_CASE(noncanonical_trailing_bits_rejected), TEST_CASE(valid_agrees_with_decode),
          TEST_CASE(output_too_small_rejected), TEST_CASE(alloc_decode_rejects_and_leaves_null),
          TEST_CASE(rfc4648_vectors), TEST_CASE(url_safe_alphabet),
          TEST_CASE(roundtrip_all_lengths), TEST_CASE(decode_not_nul_terminated),
          TEST_CASE(every_byte_at_every_position))
