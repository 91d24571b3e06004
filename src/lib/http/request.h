/*
 * request.h - one HTTP request from the web server, and its response.
 * The http folder's one module; it knows nothing of MCP or tokens.
 *
 * The only module that includes libfcgi.  The same program serves as
 * FastCGI (a long-lived accept loop, the web server spawns it on a socket)
 * and as plain CGI (environment + stdin, one request, then exit): libfcgi
 * tells which at start-up.  Every parameter a handler needs is copied into
 * struct request at accept time; nothing outlives one loop iteration.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/err.h"

/* Hex digits of a request id (16 random bytes). */
#define REQUEST_ID_LEN 32

struct request_io; /* private: the FastCGI or CGI streams */

struct request {
	/*
	 * From the CGI/FastCGI parameters (RFC 3875 §4.1), NULL when absent:
	 * borrowed from the environment or libfcgi's parameters, valid until
	 * request_finish(); never written through.
	 */
	char *method;                        /* REQUEST_METHOD */
	char *uri;                           /* REQUEST_URI (path and query) */
	char *path;                          /* REQUEST_URI without the query string */
	char *query;                         /* QUERY_STRING */
	char *host;                          /* HTTP_HOST */
	char *origin;                        /* HTTP_ORIGIN */
	char *accept;                        /* HTTP_ACCEPT */
	char *content_type;                  /* CONTENT_TYPE */
	char *content_length;                /* CONTENT_LENGTH, as sent */
	char *protocol_version;              /* HTTP_MCP_PROTOCOL_VERSION */
	char *authorization;                 /* HTTP_AUTHORIZATION: secret, never log it */
	char *remote_addr;                   /* REMOTE_ADDR */
	char *document_root;                 /* DOCUMENT_ROOT */
	char request_id[REQUEST_ID_LEN + 1]; /* random hex, for the audit line */
	char *owned_uri, *owned_path;        /* what uri and path hold when built here */
	/* Filled by request_read_body(). */
	char *body;
	size_t body_len;
	struct request_io *io;
};

/*
 * Waits for the next request and fills *req (which must be zeroed or a
 * request already finished).  Returns 1 with a request, 0 when there will be
 * none (CGI mode after its one request, or the FastCGI listener closed),
 * -1 on an accept error.  In FastCGI mode the first call opens the listener
 * libfcgi was handed; the caller needs no setup.
 */
int request_accept(struct request *req);

/* True when the process runs as plain CGI (one request). */
bool request_is_cgi(void);

/*
 * Ends a process whose start-up failed: "<prog>: configuration error:
 * <msg>" as one log line (to stderr, the web server's error log, unless a
 * log file is open) and, in CGI mode, a 500 to the client.  Exits with
 * status 1.
 */
__attribute__((noreturn)) void request_startup_fail(const char *prog, const char *msg);

/*
 * Reads the body (Content-Length bytes, at most max) into req->body,
 * NUL-terminated.  An absent Content-Length means an empty body (RFC 3875
 * §4.1.2).  Returns 0, or -1 with ERR_TOO_LARGE (Content-Length above max:
 * nothing was read, RFC 9110 §15.5.14) or ERR_INVALID (Content-Length not a
 * decimal number, or fewer bytes came than it announced) and a message fit
 * for the client.
 */
int request_read_body(struct request *req, size_t max, struct err *e);

/* One response; header lines are accumulated in order. */
struct response {
	int status;
	char headers[4096];
	size_t headers_len;
	bool overflow; /* a header did not fit: the response becomes a 500 */
	bool head;     /* answer to HEAD: Content-Length of the body, no body */
};

/* Starts a response with the given HTTP status. */
void response_init(struct response *res, int status);

/*
 * Appends "name: value".  value is formatted from fmt; CR and LF in the
 * result are refused (header injection), as is a line that does not fit.
 * Returns 0 or -1.
 */
int response_header(struct response *res, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Marks res as the answer to a HEAD request: request_send() then announces
 * the body's length but sends no body (RFC 9110 §9.3.2).
 */
void response_set_head(struct response *res);

/*
 * Sends the status line, the headers, Content-Type (when content_type is
 * not NULL), Content-Length and body (len bytes, may be 0) for req.
 * Returns 0, or -1 when the client has gone.
 */
int request_send(struct request *req, const struct response *res, const char *content_type,
                 const char *body, size_t len);

/*
 * Ends the request: flushes the response to the web server and releases
 * everything request_accept() and request_read_body() allocated (the
 * authorization header is wiped first).  req is zeroed for the next accept.
 */
void request_finish(struct request *req);

/* The reason phrase of an HTTP status code ("Not Found"), "" when unknown. */
const char *response_reason(int status);

#endif /* REQUEST_H */
