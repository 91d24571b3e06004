/*
 * b64url.c - strict base64url (RFC 4648 §5) without padding.
 */
#include "lib/jose/b64url.h"

#include "lib/core/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * One more than the value of each base64url character (RFC 4648 Table 2),
 * 0 for any other byte.  A table: a token's header, claims and signature,
 * some 700 characters, pass through here at every verification, and a
 * chain of range tests per character cost a tenth of an RSA signature check.
 */
static const unsigned char b64url_rank[256] = {
    ['A'] = 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,         12,         13,
    14,         15, 16, 17, 18, 19, 20, 21, 22, 23, 24,         25,         26,
    ['a'] = 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,         38,         39,
    40,         41, 42, 43, 44, 45, 46, 47, 48, 49, 50,         51,         52,
    ['0'] = 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, ['-'] = 63, ['_'] = 64,
};

/* Value of one base64url character, or -1. */
static int
b64url_value(char c)
{
	return (int)b64url_rank[(unsigned char)c] - 1;
}

/*
 * The decoder's checks without its output: the verifier rejects a malformed
 * part of a token before it allocates or parses anything.
 */
bool
b64url_valid(const char *in, size_t inlen)
{
	/* No early exit: the loop stays branch-free, and a bad token is rare. */
	bool ok = true;
	int last;

	if (b64url_decoded_len(inlen) == (size_t)-1 || (inlen > 0 && in == NULL))
		return false;
	for (size_t i = 0; i < inlen; i++)
		ok &= b64url_rank[(unsigned char)in[i]] != 0;
	if (!ok)
		return false;
	if (inlen % 4 == 0)
		return true;
	/* A tail of 2 (3) characters leaves 4 (2) unused low bits: all zero. */
	last = b64url_value(in[inlen - 1]);
	return (last & (inlen % 4 == 2 ? 0x0f : 0x03)) == 0;
}

/* Unpadded length: RFC 7515 §2 drops the "=" RFC 4648 §5 would add. */
size_t
b64url_encoded_len(size_t n)
{
	/* Every 3 bytes give 4 characters; a tail of 1 or 2 bytes gives 2 or 3. */
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/* The inverse of b64url_encoded_len, refusing lengths no encoder makes. */
size_t
b64url_decoded_len(size_t inlen)
{
	/* A single leftover character carries only 6 bits: no byte ends there. */
	if (inlen % 4 == 1)
		return (size_t)-1;
	return inlen / 4 * 3 + (inlen % 4 == 0 ? 0 : inlen % 4 - 1);
}

/*
 * Decodes four characters at a time; a short tail goes through a bit
 * accumulator: each character adds 6 bits, each full byte is emitted as
 * soon as 8 are there, so at most 7 bits are pending.
 */
int
b64url_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap, size_t *outlen)
{
	size_t need = b64url_decoded_len(inlen), o = 0, i = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (need == (size_t)-1 || need > outcap || (inlen > 0 && in == NULL))
		return -1;
	/* Whole groups of four characters give three bytes each. */
	for (; i + 4 <= inlen; i += 4) {
		const unsigned char *q = (const unsigned char *)in + i;
		unsigned a = b64url_rank[q[0]], b = b64url_rank[q[1]], c = b64url_rank[q[2]],
		         d = b64url_rank[q[3]];
		uint32_t v;

		/* '=' is refused here too: RFC 7515 §2 omits all padding. */
		if (a == 0 || b == 0 || c == 0 || d == 0)
			return -1;
		v = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
	}
	/* A tail of 2 or 3 characters, through the accumulator. */
	for (; i < inlen; i++) {
		int v = b64url_value(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/*
	 * The 2 or 4 bits left over by a short tail must be zero (RFC 4648
	 * §3.5): otherwise several encodings would decode to the same bytes.
	 */
	if (acc != 0)
		return -1;
	*outlen = o;
	return 0;
}

/* Sized exactly from the input length, plus a NUL for JSON parsers. */
int
b64url_decode_alloc(const char *in, size_t inlen, unsigned char **out, size_t *outlen)
{
	size_t need = b64url_decoded_len(inlen);
	unsigned char *buf;

	*out = NULL;
	if (need == (size_t)-1)
		return -1;
	buf = xmalloc(need + 1);
	if (b64url_decode(in, inlen, buf, need, outlen) != 0) {
		/* The caller may be decoding a token: leave no part of it behind. */
		explicit_bzero(buf, need + 1);
		free(buf);
		return -1;
	}
	buf[*outlen] = '\0';
	*out = buf;
	return 0;
}

/* Three bytes at a time into four characters; a short tail gives 2 or 3. */
size_t
b64url_encode(const void *in, size_t len, char *out, size_t outcap)
{
	const unsigned char *p = in;
	size_t need = b64url_encoded_len(len), o = 0, i = 0;

	if (len > (SIZE_MAX - 4) / 4 * 3 || need >= outcap) {
		if (outcap > 0)
			out[0] = '\0';
		return (size_t)-1;
	}
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64url_alphabet[v >> 18];
		out[o++] = b64url_alphabet[(v >> 12) & 63];
		out[o++] = b64url_alphabet[(v >> 6) & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		out[o++] = b64url_alphabet[p[i] >> 2];
		out[o++] = b64url_alphabet[(p[i] & 3) << 4];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];
		out[o++] = b64url_alphabet[v >> 10];
		out[o++] = b64url_alphabet[(v >> 4) & 63];
		out[o++] = b64url_alphabet[(v << 2) & 63];
	}
	out[o] = '\0';
	return o;
}

/* The length check keeps b64url_encoded_len from overflowing size_t. */
char *
b64url_encode_alloc(const void *in, size_t len)
{
	size_t cap;
	char *out;

	if (len > (SIZE_MAX - 4) / 4 * 3)
		return NULL;
	cap = b64url_encoded_len(len) + 1;
	out = xmalloc(cap);
	/* cap is exactly what b64url_encode needs, so it cannot fail here. */
	b64url_encode(in, len, out, cap);
	return out;
}
