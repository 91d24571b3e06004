/*
 * b64url.h - base64url without padding (RFC 4648 §5), the encoding of every
 * JWS part (RFC 7515 §2) and of every binary JWK member (RFC 7517 §4).
 *
 * The decoder is strict, as RFC 7515 §2 asks ("with all trailing '='
 * characters omitted"): it rejects padding, characters outside the URL-safe
 * alphabet, lengths that no encoding produces (4k+1) and non-canonical
 * trailing bits (RFC 4648 §3.5), so each byte string has exactly one
 * accepted encoding.  Out of memory aborts (util.h), so the allocating
 * functions fail on bad input only.
 */
#ifndef B64URL_H
#define B64URL_H

#include <stdbool.h>
#include <stddef.h>

/* Number of characters b64url_encode() writes for n input bytes (no NUL). */
size_t b64url_encoded_len(size_t n);

/*
 * Number of bytes that inlen characters decode to, or (size_t)-1 when no
 * valid encoding has that length (inlen % 4 == 1).
 */
size_t b64url_decoded_len(size_t inlen);

/*
 * True when the inlen characters of in are canonical base64url, exactly what
 * b64url_decode accepts, checked without decoding.
 */
bool b64url_valid(const char *in, size_t inlen);

/*
 * Decodes inlen characters of in (not NUL-terminated; in may be NULL when
 * inlen is 0) into out, which has room for outcap bytes.  Returns 0 and sets
 * *outlen, or -1 when the input is not canonical base64url or does not fit.
 * On failure out may hold partial data: a caller decoding secrets wipes it.
 */
int b64url_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap, size_t *outlen);

/*
 * Like b64url_decode into a new buffer, which gets one extra NUL byte after
 * the data so decoded JSON text can be parsed as a C string.  Returns 0 with
 * *out owned by the caller (free(); wipe first when it held token data), or
 * -1 with *out NULL when the input is not canonical base64url.
 */
int b64url_decode_alloc(const char *in, size_t inlen, unsigned char **out, size_t *outlen);

/*
 * Encodes len bytes of in (NULL allowed when len is 0) into out, which has
 * room for outcap characters including the terminating NUL.  Returns the
 * number of characters written (without the NUL), or (size_t)-1 when out is
 * too small (out is then left an empty string when outcap > 0).
 */
size_t b64url_encode(const void *in, size_t len, char *out, size_t outcap);

/*
 * Encodes len bytes of in into a new NUL-terminated string owned by the
 * caller (free()).  Returns NULL only when len is too large for any
 * encoding to be addressable (near SIZE_MAX).
 */
char *b64url_encode_alloc(const void *in, size_t len);

#endif /* B64URL_H */
