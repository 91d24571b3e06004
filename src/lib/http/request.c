/*
 * request.c - CGI and FastCGI requests through libfcgi.
 */
#include "lib/http/request.h"

#include <errno.h>
#include <fcgiapp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/core/num.h"
#include "lib/core/util.h"

struct request_io {
	FCGX_Request fcgx; /* FastCGI mode only */
	bool cgi;
};

static int process_mode = -1; /* -1 unknown, 1 CGI, 0 FastCGI */
static bool cgi_served;
static struct request_io fcgi_io;
static bool fcgi_ready;

bool
request_is_cgi(void)
{
	if (process_mode < 0) {
		FCGX_Init();
		process_mode = FCGX_IsCGI() ? 1 : 0;
	}
	return process_mode == 1;
}

void
request_startup_fail(const char *prog, const char *msg)
{
	/* One JSON line like every other, for the web server's error log. */
	log_msg(LOGL_ERROR, "%s: configuration error: %s", prog, msg);
	if (request_is_cgi())
		fputs("Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\n"
		      "server configuration error\n",
		      stdout);
	exit(1);
}

/* One parameter (NULL when absent) from the CGI or FastCGI environment, borrowed. */
static char *
param_get(const struct request_io *io, const char *name)
{
	return io->cgi ? getenv(name) : FCGX_GetParam(name, io->fcgx.envp);
}

/*
 * A request id: 16 random bytes in hex, drawn from a pool that getrandom
 * refills 256 bytes at a time, so a worker makes one system call per 16
 * requests for them instead of one per request.  The bytes are as random
 * and each is used once; they are no secret (the audit trail's key).  The
 * programs never fork, so no two processes share the pool.
 */
static int
request_id_new(char id[REQUEST_ID_LEN + 1])
{
	static unsigned char pool[256];
	static size_t used = sizeof(pool);
	const size_t n = REQUEST_ID_LEN / 2;

	if (used + n > sizeof(pool)) {
		if (util_random(pool, sizeof(pool)) != 0)
			return -1;
		used = 0;
	}
	util_hex(id, pool + used, n);
	used += n;
	return 0;
}

/* The parameters the programs use, and where each goes in struct request. */
static const struct {
	const char *name;
	size_t len, off;
} params[] = {
#define PARAM(name, field)                                                                         \
	{                                                                                          \
		name, sizeof(name) - 1, offsetof(struct request, field)                            \
	}
    PARAM("REQUEST_METHOD", method),
    PARAM("REQUEST_URI", uri),
    PARAM("QUERY_STRING", query),
    PARAM("HTTP_HOST", host),
    PARAM("HTTP_ORIGIN", origin),
    PARAM("HTTP_ACCEPT", accept),
    PARAM("CONTENT_TYPE", content_type),
    PARAM("CONTENT_LENGTH", content_length),
    PARAM("HTTP_MCP_PROTOCOL_VERSION", protocol_version),
    PARAM("HTTP_AUTHORIZATION", authorization),
    PARAM("REMOTE_ADDR", remote_addr),
    PARAM("DOCUMENT_ROOT", document_root),
#undef PARAM
};
#define N_PARAMS (sizeof(params) / sizeof(params[0]))

/*
 * FastCGI: one pass over the request's parameters, each name compared by
 * length first.  FCGX_GetParam per name scanned the whole list for each
 * (every absent header scanned it to the end).  The first occurrence of a
 * name wins, as with FCGX_GetParam.
 */
static void
copy_fcgi_params(struct request *req, char **envp)
{
	for (; envp != NULL && *envp != NULL; envp++) {
		const char *eq = strchr(*envp, '=');
		size_t len = eq != NULL ? (size_t)(eq - *envp) : 0;

		for (size_t i = 0; len > 0 && i < N_PARAMS; i++) {
			char **field = (char **)((char *)req + params[i].off);

			if (params[i].len == len && *field == NULL &&
			    memcmp(*envp, params[i].name, len) == 0) {
				*field = (char *)eq + 1;
				break;
			}
		}
	}
}

/* Copies the parameters the programs use. */
static void
copy_params(struct request *req)
{
	if (req->io->cgi)
		for (size_t i = 0; i < N_PARAMS; i++)
			*(char **)((char *)req + params[i].off) =
			    param_get(req->io, params[i].name);
	else
		copy_fcgi_params(req, req->io->fcgx.envp);
	if (req->method == NULL)
		req->method = (char *)"GET";
	/* REQUEST_URI is not in RFC 3875; fall back to SCRIPT_NAME + PATH_INFO. */
	if (req->uri == NULL) {
		const char *script = param_get(req->io, "SCRIPT_NAME"),
		           *info = param_get(req->io, "PATH_INFO");
		size_t len = (script ? strlen(script) : 0) + (info ? strlen(info) : 0) + 1;
		req->uri = req->owned_uri = xmalloc(len);
		snprintf(req->uri, len, "%s%s", script ? script : "", info ? info : "");
	}
	req->path = req->uri;
	if (strchr(req->uri, '?') != NULL)
		req->path = req->owned_path = xstrndup(req->uri, strcspn(req->uri, "?"));
	/* A random id for the audit trail (not a secret, just unique). */
	if (request_id_new(req->request_id) != 0)
		memset(req->request_id, '0', sizeof(req->request_id) - 1);
}

int
request_accept(struct request *req)
{
	memset(req, 0, sizeof(*req));
	if (request_is_cgi()) {
		static struct request_io cgi_io = {.cgi = true};
		if (cgi_served)
			return 0;
		cgi_served = true;
		req->io = &cgi_io;
	} else {
		if (!fcgi_ready) {
			if (FCGX_InitRequest(&fcgi_io.fcgx, 0, 0) != 0)
				return -1;
			fcgi_ready = true;
		}
		if (FCGX_Accept_r(&fcgi_io.fcgx) < 0)
			return 0;
		req->io = &fcgi_io;
	}
	copy_params(req);
	return 1;
}

/* Reads up to len bytes of the body; returns the count read (short at EOF). */
static size_t
read_in(struct request_io *io, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		if (io->cgi) {
			ssize_t r = read(STDIN_FILENO, buf + got, len - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		} else {
			size_t want = len - got > (1 << 20) ? (1 << 20) : len - got;
			int r = FCGX_GetStr(buf + got, (int)want, io->fcgx.in);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
	}
	return got;
}

int
request_read_body(struct request *req, size_t max, struct err *e)
{
	uint64_t len = 0;

	if (req->content_length != NULL && *req->content_length != '\0' &&
	    num_parse_size(req->content_length, UINT64_MAX, &len) != 0)
		return err_set(e, ERR_INVALID, "Invalid Content-Length");
	/* Refuse by the announced length, before reading anything (RFC 9110 §15.5.14). */
	if (len > max)
		return err_set(e, ERR_TOO_LARGE, "Request body too large");
	req->body = xmalloc((size_t)len + 1);
	req->body_len = read_in(req->io, req->body, (size_t)len);
	req->body[req->body_len] = '\0';
	if (req->body_len != len)
		return err_set(e, ERR_INVALID, "Request body shorter than its Content-Length");
	return 0;
}

const char *
response_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "";
	}
}

void
response_init(struct response *res, int status)
{
	res->status = status;
	res->headers_len = 0;
	res->headers[0] = '\0';
	res->overflow = false;
	res->head = false;
}

void
response_set_head(struct response *res)
{
	res->head = true;
}

int
response_header(struct response *res, const char *name, const char *fmt, ...)
{
	size_t room = sizeof(res->headers) - res->headers_len;
	char *at = res->headers + res->headers_len;
	va_list ap;
	int n, m;

	n = snprintf(at, room, "%s: ", name);
	if (n < 0 || (size_t)n >= room)
		goto overflow;
	va_start(ap, fmt);
	m = vsnprintf(at + n, room - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)(n + m) + 2 >= room)
		goto overflow;
	/* No CR/LF from a value may start a header of its own. */
	if (strpbrk(at, "\r\n") != NULL)
		goto overflow;
	memcpy(at + n + m, "\r\n", 3);
	res->headers_len += (size_t)(n + m) + 2;
	return 0;
overflow:
	*at = '\0';
	res->overflow = true;
	return -1;
}

/* Writes len bytes to the client; returns 0 or -1. */
static int
write_out(struct request_io *io, const char *buf, size_t len)
{
	if (io->cgi)
		return util_write_all(STDOUT_FILENO, buf, len);
	while (len > 0) {
		int chunk = len > (1 << 20) ? (1 << 20) : (int)len;
		if (FCGX_PutStr(buf, chunk, io->fcgx.out) != chunk)
			return -1;
		buf += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

/* Appends len bytes of s to buf (cap bytes) at *n; false when they do not fit. */
static bool
head_put(char *buf, size_t cap, size_t *n, const char *s, size_t len)
{
	if (len > cap - *n)
		return false;
	memcpy(buf + *n, s, len);
	*n += len;
	return true;
}

/* Writes v in decimal at out (room for 20 digits); returns the length. */
static size_t
uint_text(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0, len;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (len = n; n > 0; n--)
		*out++ = tmp[n - 1];
	return len;
}

int
request_send(struct request *req, const struct response *res, const char *content_type,
             const char *body, size_t len)
{
	static const char fallback[] =
	    "Status: 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
	char head[sizeof(res->headers) + 256], digits[24];
	const char *reason = response_reason(res->status);
	size_t n = 0;
	bool fits;

	if (res->overflow)
		return write_out(req->io, fallback, sizeof(fallback) - 1);
	/* Written piece by piece (printf's machinery was a tenth of a small request). */
	fits = head_put(head, sizeof(head), &n, "Status: ", 8) &&
	       head_put(head, sizeof(head), &n, digits, uint_text(digits, (uint64_t)res->status)) &&
	       head_put(head, sizeof(head), &n, " ", 1) &&
	       head_put(head, sizeof(head), &n, reason, strlen(reason)) &&
	       head_put(head, sizeof(head), &n, "\r\n", 2) &&
	       head_put(head, sizeof(head), &n, res->headers, res->headers_len);
	if (fits && content_type != NULL)
		fits = head_put(head, sizeof(head), &n, "Content-Type: ", 14) &&
		       head_put(head, sizeof(head), &n, content_type, strlen(content_type)) &&
		       head_put(head, sizeof(head), &n, "\r\n", 2);
	fits = fits && head_put(head, sizeof(head), &n, "Content-Length: ", 16) &&
	       head_put(head, sizeof(head), &n, digits, uint_text(digits, len)) &&
	       head_put(head, sizeof(head), &n, "\r\n\r\n", 4);
	if (!fits)
		return write_out(req->io, fallback, sizeof(fallback) - 1);
	if (write_out(req->io, head, n) != 0)
		return -1;
	return len > 0 && !res->head ? write_out(req->io, body, len) : 0;
}

void
request_finish(struct request *req)
{
	/*
	 * The bearer token is a credential: leave no copy in freed memory, the
	 * one in libfcgi's parameters (freed by FCGX_Finish_r) included.
	 */
	if (req->authorization != NULL)
		explicit_bzero(req->authorization, strlen(req->authorization));
	if (req->io != NULL && !req->io->cgi)
		FCGX_Finish_r(&req->io->fcgx);
	free(req->owned_uri);
	free(req->owned_path);
	free(req->body);
	memset(req, 0, sizeof(*req));
}
