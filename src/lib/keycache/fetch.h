/*
 * fetch.h - bounded HTTPS GET for small JSON documents (JWKS, RFC 8414
 * authorization server metadata), and one general bounded request (any
 * method, request headers, every status, the response's headers) for the
 * operator's doctor.
 *
 * The only module that includes libcurl.  Every transfer is https only
 * (plain http only when the caller allows it, e.g. loopback tests), has
 * connect and total timeouts, a body cap, a bounded number of redirects
 * within the same protocols, TLS verification on, and ignores proxy
 * environment variables unless a proxy is configured.
 *
 * Failures come back in a struct err (err.h) whose short message (no URL,
 * no body) a caller may keep and show, e.g. in /health; libcurl's own
 * detail for a failed transfer, with the URL cut before its query, is
 * logged here at warn level, where it is known.
 */
#ifndef FETCH_H
#define FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

#define FETCH_DEFAULT_CONNECT_MS 3000
#define FETCH_DEFAULT_TIMEOUT_MS 10000
#define FETCH_DEFAULT_MAX_SIZE   (256 * 1024)
#define FETCH_MAX_SIZE_LIMIT     (64 * 1024 * 1024) /* larger max_size values are lowered */
#define FETCH_USER_AGENT         "mcp-fcgi"
/* Loaded at the first fetch, not linked: see fetch.c. */
#define FETCH_LIBCURL "libcurl.so.4"
/* RFC 9111 §1.2.2: a delta-seconds too large to represent counts as 2^31. */
#define FETCH_MAX_AGE_CAP 2147483648LL

/*
 * Options of one transfer.  A zeroed struct is valid: https only, default
 * timeouts and cap, no redirects, no proxy, system CA store.  The strings are
 * borrowed for the duration of the call.
 */
struct fetch_opts {
	bool allow_http;         /* plain http allowed (OAUTH_ALLOW_HTTP, loopback tests) */
	long connect_timeout_ms; /* 0 -> FETCH_DEFAULT_CONNECT_MS */
	long timeout_ms;         /* 0 -> FETCH_DEFAULT_TIMEOUT_MS */
	size_t max_size;         /* body cap; 0 -> FETCH_DEFAULT_MAX_SIZE */
	long max_redirects;      /* 0 -> none followed; they stay within the allowed protocols */
	const char *proxy;       /* NULL -> no proxy at all (environment proxies ignored) */
	const char *ca_file;     /* NULL -> system store */
};

/*
 * The outcome of a transfer.  body is NUL-terminated (len excludes the NUL)
 * and owned by the result: release it with fetch_result_free().
 */
struct fetch_result {
	long status;     /* HTTP status of the final response, 0 when none came */
	char *body;      /* NULL unless fetch_get() returned 0 */
	size_t len;      /* body length in bytes */
	int64_t max_age; /* Cache-Control s-maxage or max-age in seconds; -1 when absent,
	                    0 for no-store / no-cache */
};

/*
 * GETs url with "Accept: application/json" and returns the body of a 2xx
 * response in *out.  opts may be NULL (all defaults).  On every return *out
 * is initialised: on 0 it owns a body; on -1 body is NULL, status holds the
 * HTTP status when one came and nothing stays allocated.  On -1, e (may be
 * NULL) holds the code and one of these messages, so a caller can tell the
 * cases apart:
 *   ERR_INVALID      "URL not allowed: <the rule url_check() found broken>"
 *                    (no request sent), "URL not allowed: redirect to a
 *                    protocol not allowed", "URL not allowed: malformed"
 *   ERR_TOO_LARGE    "response too large (over N bytes)": announced by
 *                    Content-Length or streamed past the cap
 *   ERR_UNAVAILABLE  "timed out", "network error" (resolve, connect, TLS,
 *                    protocol), "network error (libcurl.so.4 cannot be
 *                    loaded)" (logged once per process), "HTTP status N"
 *                    when the final response was not 2xx (" after too many
 *                    redirects" added for a 3xx past max_redirects)
 */
int fetch_get(const char *url, const struct fetch_opts *opts, struct fetch_result *out,
              struct err *e);

/* Frees the body of r and resets r; accepts NULL and an already freed result. */
void fetch_result_free(struct fetch_result *r);

/* Response header block kept by fetch_request() (bytes); a longer one fails the request. */
#define FETCH_HEADERS_MAX (32 * 1024)
/* Request headers fetch_request() sends at most. */
#define FETCH_REQUEST_HEADERS_MAX 16

/*
 * One request of fetch_request().  Every pointer is borrowed for the call.
 */
struct fetch_request {
	const char *method;         /* "GET" (NULL), "POST", "OPTIONS", "HEAD", ... */
	const char *const *headers; /* n_headers "Name: value" lines, sent as given (no CR/LF) */
	size_t n_headers;           /* at most FETCH_REQUEST_HEADERS_MAX */
	const char *body;           /* request body (NULL: none); needs a method other than GET */
	size_t body_len;
};

/*
 * What fetch_request() got: the final response's status, header lines and
 * body, each NUL-terminated and owned (fetch_response_free).
 */
struct fetch_response {
	long status;   /* HTTP status of the final response */
	char *headers; /* its header lines as received, "Name: value\r\n" each */
	size_t headers_len;
	char *body; /* "" for none */
	size_t len;
};

/*
 * Sends rq to url under the same rules as fetch_get() (protocols, timeouts,
 * caps, redirects off unless opts allow them, no environment proxy), with
 * only the request headers rq lists (no default Accept), and keeps whatever
 * status comes: a 401 or a 404 is an answer here, not an error.  Returns 0
 * with *out filled (the caller frees it), or -1 with *out empty and e
 * filled as fetch_get() does when no response came or it broke a cap
 * (headers past FETCH_HEADERS_MAX: ERR_TOO_LARGE), or ERR_INVALID "request
 * not allowed" for a header with CR or LF or too many headers.
 */
int fetch_request(const char *url, const struct fetch_request *rq, const struct fetch_opts *opts,
                  struct fetch_response *out, struct err *e);

/* Frees what r owns and resets it; NULL is accepted. */
void fetch_response_free(struct fetch_response *r);

/*
 * The value of response header name (case-insensitive) in r: every field
 * line of that name joined with ", " (RFC 9110 §5.3), white space trimmed
 * and control characters replaced by spaces.  A new string the caller
 * frees, or NULL when r has no such header.
 */
char *fetch_response_header(const struct fetch_response *r, const char *name);

/*
 * Parses a Cache-Control field value (RFC 9111 §5.2; several field lines
 * joined with ", " as RFC 9110 §5.3 allows) into a freshness lifetime in
 * seconds: -1 when it says nothing about lifetime; 0 for "no-store" or
 * "no-cache" (they win over any age) and for an invalid age (RFC 9111 §4.2.1:
 * invalid freshness information means stale); else "s-maxage" (we are a
 * shared cache, RFC 9111 §5.2.2.10) over "max-age", the first of each, quoted
 * or not, capped at 2^31 (RFC 9111 §1.2.2).  value NULL -> -1.  fetch_get()
 * applies it to the final response; exposed for the tests.
 */
int64_t fetch_cache_control_parse(const char *value);

#endif /* FETCH_H */
