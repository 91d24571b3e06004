/*
 * err.h - the one error model of the library and both programs.
 *
 * A function that can fail returns -1 (or NULL) and fills a caller's
 * struct err: a code the caller branches on, and one line of text it can
 * log or send.  As mod_auth_openidc passes one error object through every
 * JOSE call, the same struct travels down every layer; a layer that adds
 * context prefixes the text (err_prefix), it never translates the code.
 *
 * The text never holds a secret (no token, no client secret, no key
 * material) and never a raw byte from a request: it may reach a log line,
 * an RFC 6750 error_description or a start-up message.
 *
 * Out of memory is not an error code: the process aborts (util.h's
 * xmalloc and friends, and cJSON through util_init()).  A FastCGI worker
 * that aborts is respawned by the web server; a CGI request gets a 500.
 */
#ifndef CORE_ERR_H
#define CORE_ERR_H

#include <stdbool.h>
#include <stddef.h>

/* What a caller may do about a failure; one code per different reaction. */
enum err_code {
	ERR_OK = 0,
	ERR_SYSTEM,      /* the system refused: a file, a lock, a directory, a database */
	ERR_CONFIG,      /* the configuration is unusable: stop at start-up */
	ERR_INVALID,     /* input from outside is malformed or breaks a rule */
	ERR_DENIED,      /* well-formed input refused: a credential that does not verify */
	ERR_TOO_LARGE,   /* input from outside is over its cap */
	ERR_NOT_FOUND,   /* what was named is not there: credentials, a key id, a todo */
	ERR_LIMIT,       /* a quota is reached */
	ERR_UNAVAILABLE, /* a remote source failed, or no usable keys: try again later */
	ERR_THROTTLED,   /* not attempted: the same work was done too recently */
	ERR__MAX
};

/* Longest message kept, NUL included; longer texts are cut. */
#define ERR_MSG_MAX 512

struct err {
	enum err_code code;
	char msg[ERR_MSG_MAX]; /* "" while code is ERR_OK */
};

/*
 * Sets *e (when e is not NULL) to code and the message formatted from fmt.
 * Returns -1, so a failing function can end with `return err_set(...)`.
 */
int err_set(struct err *e, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Puts the text formatted from fmt, then ": ", before e's message (the
 * context a caller adds, e.g. the variable a start-up error is about).  The
 * code is kept.  e NULL is accepted.  Returns -1.
 */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Sets *e (when not NULL) to the failure inner reported, with code instead
 * of inner's and the text formatted from fmt, then ": ", before inner's
 * message: a caller that must recode (an option refused at start-up is a
 * configuration error) keeps the cause's words.  Returns -1.
 */
int err_wrap(struct err *e, const struct err *inner, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Resets *e to ERR_OK and an empty message; e NULL is accepted. */
void err_clear(struct err *e);

#endif /* CORE_ERR_H */
