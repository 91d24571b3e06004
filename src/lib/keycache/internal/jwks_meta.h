/*
 * jwks_meta.h - the header of the JWKS cache file: what it records and its
 * text format.  Pure functions on memory; jwks_file does the I/O.
 *
 * Internal to the key cache: included by jwks_file, jwks_remote and
 * jwks_cache.c (and the key cache's tests), never from outside
 * src/lib/keycache.  It depends on nothing of the key cache.
 *
 * The file is a text header of fixed-order "name value" lines, a blank
 * line, then the JWKS document verbatim:
 *
 *   mcp-fcgi-jwks-cache 1
 *   fetched_at 1700000000        time of the last successful fetch, 0 never
 *   expires_at 1700003600        end of freshness (Cache-Control, clamped)
 *   last_attempt 1700000000      time of the last refresh attempt
 *   last_ok 1                    did it succeed
 *   forced_at 0                  last forced (unknown kid) refresh, shared throttle
 *   discovered_at 0              when jwks_uri was discovered, 0 if configured
 *   issuer https://as.example    configured issuer ("" when none)
 *   jwks_uri https://as.example/keys
 *   last_error                   text of the last failure ("" after success)
 *   doc_len 1234                 exact length of the document below
 *   <blank line>
 *   {"keys":[...]}
 *
 * A file that departs from this in any way (magic, order, numbers, a length
 * that does not match, control characters) is corrupt.
 */
#ifndef JWKS_META_H
#define JWKS_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/util.h" /* URL_MAX */

struct err;

#define JWKS_META_MAGIC      "mcp-fcgi-jwks-cache 1"
#define JWKS_META_HEADER_MAX 8192 /* longest header formatted (with its blank line) */
#define JWKS_META_ERROR_MAX  160

/*
 * The header.  Times are seconds since the epoch, 0 for never; strings are
 * NUL-terminated and hold no control characters (jwks_meta_text_set).
 */
struct jwks_meta {
	int64_t fetched_at, expires_at, last_attempt, forced_at, discovered_at;
	bool last_ok;
	char issuer[URL_MAX + 1];
	char jwks_uri[URL_MAX + 1];
	char last_error[JWKS_META_ERROR_MAX];
};

/*
 * Copies src (NULL -> "") into dst[cap], cut to fit, each control character
 * replaced by '?' so it cannot break its header line.  cap must be > 0.
 */
void jwks_meta_text_set(char *dst, size_t cap, const char *src);

/*
 * Parses a whole cache file held in buf (len bytes; no NUL needed): the
 * header into *m, the document at *doc (*doc_len bytes, at most
 * JWK_SET_MAX_BYTES; points into buf, borrowed for buf's lifetime).
 * Returns 0, or -1 when the file is corrupt: *m zeroed, ERR_INVALID in e
 * naming what is wrong (the magic, the first bad header line, the document
 * length).  Nothing is logged.
 */
int jwks_meta_parse(const char *buf, size_t len, struct jwks_meta *m, const char **doc,
                    size_t *doc_len, struct err *e);

/*
 * Formats the header for m, announcing a document of doc_len bytes, into
 * hdr[JWKS_META_HEADER_MAX] (not NUL-terminated; the blank line included).
 * Negative times are written as 0.  Returns the header's length, or -1 with
 * ERR_INVALID in e when it does not fit or a string in m holds a control
 * character (the reader would call such a file corrupt).  Nothing is logged.
 */
int jwks_meta_format(const struct jwks_meta *m, size_t doc_len, char *hdr, struct err *e);

#endif /* JWKS_META_H */
