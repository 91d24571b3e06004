/*
 * util.h - the small helpers every layer uses, each written once: memory
 * that never returns NULL, string lists, the write-everything loop, random
 * hex, UTF-8 length, URL syntax checks and a time-window test.
 *
 * Before writing a helper anywhere else, look here (STYLE.md).
 */
#ifndef CORE_UTIL_H
#define CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

/*
 * Installs the out-of-memory policy for third-party allocators that take
 * hooks (cJSON): they allocate through xmalloc, so a NULL from them means
 * bad input, never exhausted memory.  Call once at start-up.
 */
void util_init(void);

/*
 * A per-process arena for cJSON documents that live inside one request
 * (the request body, parsed, read and deleted before the answer goes out):
 * between json_arena_begin() and json_arena_end() cJSON allocates from it
 * with a pointer bump instead of malloc, and cJSON_Delete() skips its
 * blocks.  begin empties the arena, so nothing allocated in it may outlive
 * the request.  What does not fit (a body of more than a few hundred
 * members) comes from malloc as usual.  Not reentrant; one at a time.
 */
void json_arena_begin(void);
void json_arena_end(void);

/*
 * malloc, calloc, realloc, strdup and strndup that never return NULL: when
 * memory is exhausted they write one line to stderr and abort (err.h: the
 * web server respawns a FastCGI worker; a CGI request gets a 500).  The
 * caller owns and free()s the result.
 */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xstrdup for an optional string: NULL stays NULL. */
char *xstrdup_opt(const char *s);

/* A list of strings; owns its strings.  A zeroed struct is an empty list. */
struct strlist {
	char **v;
	size_t n;
};

/* Appends a copy of s. */
void strlist_add(struct strlist *l, const char *s);
/* Appends each word of s split on ASCII white space; s NULL adds nothing. */
void strlist_split(struct strlist *l, const char *s);
/* True when l holds s exactly. */
bool strlist_contains(const struct strlist *l, const char *s);
/* Case-insensitive variant, for host names and origins. */
bool strlist_contains_ci(const struct strlist *l, const char *s);
/* Frees the strings and empties l; NULL is accepted. */
void strlist_free(struct strlist *l);

/*
 * Writes all len bytes of buf to fd, retrying after EINTR and short writes.
 * Returns 0, or -1 with errno set.
 */
int util_write_all(int fd, const void *buf, size_t len);

/*
 * Resolves the function name of a library loaded with dlopen into the
 * function pointer *fn (any function pointer type).  Returns false, with
 * *fn NULL, when the library lacks it.
 */
bool util_dlsym(void *handle, const char *name, void *fn);

/* Fills buf with n bytes of fresh randomness (getrandom).  Returns 0, or -1. */
int util_random(void *buf, size_t n);

/* Writes the nbytes of raw as 2 * nbytes lowercase hex digits and a NUL into out. */
void util_hex(char *out, const unsigned char *raw, size_t nbytes);

/*
 * Fills out with 2 * nbytes lower-case hex characters of fresh randomness
 * (getrandom) and a NUL; out has room for 2 * nbytes + 1.  Returns 0, or -1
 * when the kernel gave no randomness (out is then an empty string).
 */
int util_random_hex(char *out, size_t nbytes);

/*
 * Number of characters (code points) in the NUL-terminated UTF-8 string s;
 * 0 for NULL.  The text must already be valid UTF-8 (JSON input is checked
 * before it is parsed).
 */
size_t utf8_chars(const char *s);

/*
 * The longest index at most max such that s[0..index) ends on a character
 * boundary of the UTF-8 string s of len bytes, for cutting text without
 * splitting a character.
 */
size_t utf8_cut(const char *s, size_t len, size_t max);

/*
 * The length (1 to 4) of the well-formed UTF-8 sequence at s, of which n
 * bytes are there (RFC 3629: no overlong form, no surrogate, nothing above
 * U+10FFFF), or 0 when none starts there.  n must be > 0.
 */
size_t utf8_seq(const char *s, size_t n);

/*
 * Copies src (NULL: "") into dst[cap] as valid UTF-8: each byte that starts
 * no well-formed sequence becomes U+FFFD, and the copy is cut at a
 * character boundary to fit.  cap must be > 0.  For text from outside on
 * its way to a log line or a JSON document.
 */
void utf8_copy(char *dst, size_t cap, const char *src);

/* Like utf8_copy() into a new string the caller frees; never NULL. */
char *utf8_dup(const char *src);

/* Longest URL any check accepts (bytes). */
#define URL_MAX 2048

/* What url_check() demands besides the syntax every URL here needs. */
enum url_flags {
	URL_HTTP_OK = 1 << 0,  /* plain http:// is allowed (loopback, OAUTH_ALLOW_HTTP) */
	URL_NO_QUERY = 1 << 1, /* no '?' (an issuer identifier, RFC 8414 §2) */
};

/*
 * Checks that url is an absolute https:// URL (http:// too with
 * URL_HTTP_OK; the scheme case-insensitive, RFC 3986 §3.1) with a host, at
 * most URL_MAX bytes, and without space, control character, quote,
 * backslash or fragment ('#', RFC 9728 §1.2, RFC 8414 §2): such bytes could
 * split a header, a log line or a request line.  Returns 0, or -1 with the
 * rule it broke in e (ERR_INVALID; the URL itself is not quoted).
 */
int url_check(const char *url, unsigned flags, struct err *e);

/* True when time t (seconds, > 0) lies within the span seconds up to now. */
bool time_within(int64_t now, int64_t t, int64_t span);

#endif /* CORE_UTIL_H */
