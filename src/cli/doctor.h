/*
 * doctor.h - `mcp-fcgi-cli doctor <MCP URL> [--token TOKEN]`: what an
 * operator checks, from the outside, when a client fails silently.
 *
 * Each check prints one line, PASS, FAIL (with the fix on the next line) or
 * NOTE (worth knowing, not a failure); the exit status is 0 only when no
 * check failed.  A check that cannot run because an earlier one failed
 * prints SKIP and counts as nothing: the earlier FAIL already decides.
 *
 * Everything from the network is hostile: responses are capped by fetch.h,
 * every line is escaped before it is printed (doctor_escape), and the token
 * given with --token is never printed, not even when a server echoes it.
 *
 * The one public header of the doctor: doctor.c holds the run, the report
 * and the pure helpers below (unit-tested); doctor_checks.c the checks of
 * the endpoint, its metadata and its authorization server;
 * doctor_token.c the checks of a token.
 */
#ifndef DOCTOR_H
#define DOCTOR_H

#include "lib/core/util.h"
#include "lib/keycache/fetch.h"

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

struct jwk_set;

/* Sizes of the auth-params kept from a challenge; a longer value is malformed. */
#define DOCTOR_PARAM_MAX 1024
/* A printed line is cut here (after escaping). */
#define DOCTOR_LINE_MAX 1024
/* Room for one URL the doctor builds (a well-known URL of an issuer). */
#define DOCTOR_URL_MAX (URL_MAX + 64)
/* At most this many well-known URLs are tried for an authorization server. */
#define DOCTOR_AS_URLS_MAX 3

/* The Bearer challenge of a WWW-Authenticate value (RFC 6750 §3, RFC 9728 §5.1). */
struct doctor_challenge {
	char realm[DOCTOR_PARAM_MAX];
	char error[DOCTOR_PARAM_MAX];
	char error_description[DOCTOR_PARAM_MAX];
	char scope[DOCTOR_PARAM_MAX];
	char resource_metadata[URL_MAX + 1];
};

/*
 * Parses a WWW-Authenticate field value (one or more challenges, RFC 9110
 * §11.6.1) and fills *out with the auth-params of its Bearer challenge (the
 * scheme case-insensitive; parameters absent stay "").  Returns 0, or -1
 * with *why a static text: no Bearer challenge, an unterminated quoted
 * string, a parameter without a value, a parameter given twice, a value
 * longer than its field.  value NULL is "no Bearer challenge".
 */
int doctor_challenge_parse(const char *value, struct doctor_challenge *out, const char **why);

/* How two URLs that should be identical differ, most telling first. */
enum doctor_url_diff {
	DOCTOR_URL_SAME = 0, /* byte for byte */
	DOCTOR_URL_SCHEME,
	DOCTOR_URL_HOST,
	DOCTOR_URL_PORT,
	DOCTOR_URL_SLASH, /* the paths differ only by a trailing slash */
	DOCTOR_URL_PATH,
	DOCTOR_URL_QUERY,
	DOCTOR_URL_SPELLING, /* the same place, written differently (case, :443) */
	DOCTOR_URL_INVALID,  /* one is not an absolute http(s) URL */
	DOCTOR_URL__MAX
};

/*
 * Compares got with want, which must be identical (RFC 9728 §3.3: the
 * metadata's resource is the URL the client used; RFC 8414 §3.3: the
 * metadata's issuer is the issuer).  NULL is DOCTOR_URL_INVALID.
 */
enum doctor_url_diff doctor_url_compare(const char *want, const char *got);

/* A short text for d ("the path differs by a trailing slash"); static. */
const char *doctor_url_diff_text(enum doctor_url_diff d);

/*
 * The metadata URLs to try for the authorization server issuer, in order:
 * RFC 8414 §3.1 (well-known suffix inserted between host and path), then
 * OpenID Connect with the same insertion, then OpenID Connect Discovery 1.0
 * §4 (appended to the path); for an issuer without a path, the first two
 * only.  Returns how many were written into urls (0 when issuer is not an
 * absolute http(s) URL without query or fragment, or is too long).
 */
size_t doctor_as_metadata_urls(const char *issuer, char urls[DOCTOR_AS_URLS_MAX][DOCTOR_URL_MAX]);

/*
 * Copies src (NULL: "") into dst[cap] for a terminal: printable ASCII and
 * well-formed UTF-8 as they are, every other byte (control characters,
 * escape sequences, broken UTF-8) as \xNN; cut with "..." to fit.  cap must
 * be at least 4.
 */
void doctor_escape(char *dst, size_t cap, const char *src);

/* True when url is https, or http to a loopback host (where clients allow it). */
bool doctor_url_secure(const char *url);

/*
 * True when the comma-separated list value (a header such as
 * Access-Control-Expose-Headers) holds name, compared without case, or "*".
 */
bool doctor_list_has(const char *value, const char *name);

/* The string member name of o (may be NULL), or NULL; owned by o. */
const char *doctor_json_str(const cJSON *o, const char *name);

/* One run: what the checks found so far, for the checks that follow. */
struct doctor {
	const char *url;         /* the MCP URL as given */
	char origin[URL_MAX];    /* the Origin sent in the CORS check */
	const char *token;       /* --token; never printed */
	struct fetch_opts fetch; /* every request's limits */
	int passed, failed, notes;
	/* Found by the checks, owned here (doctor_free): */
	struct doctor_challenge challenge; /* of the unauthenticated POST */
	bool have_challenge;
	cJSON *prm;           /* the protected resource metadata */
	char *as_url;         /* its first authorization server */
	cJSON *as;            /* that server's metadata */
	struct jwk_set *keys; /* its JWKS, parsed; NULL when unavailable */
};

/* The outcomes of one check line. */
enum doctor_outcome { DOCTOR_PASS = 0, DOCTOR_FAIL, DOCTOR_NOTE, DOCTOR_SKIP };

/*
 * Prints one check line: the outcome, the check's name and the text
 * formatted from fmt; for DOCTOR_FAIL, fix (may be NULL) on the next line.
 * The line is escaped, cut to DOCTOR_LINE_MAX and any copy of d->token in
 * it is replaced before it is printed.  Counts the outcome in d.
 */
void doctor_report(struct doctor *d, enum doctor_outcome o, const char *check, const char *fix,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * One request of a check: method, the n header lines (borrowed) and an
 * optional JSON body to url under d's limits.  Returns 0 with *res filled
 * (fetch_response_free), or -1 with e filled when no answer came.
 */
int doctor_http(const struct doctor *d, const char *method, const char *url,
                const char *const *headers, size_t n, const char *body, struct fetch_response *res,
                struct err *e);

/* The checks, in the order doctor_main runs them (doctor_checks.c). */
void doctor_check_challenge(struct doctor *d, const char *method);
void doctor_check_resource_metadata(struct doctor *d);
void doctor_check_authorization_server(struct doctor *d);
void doctor_check_jwks(struct doctor *d);
void doctor_check_cors(struct doctor *d);
void doctor_check_authorization_header(struct doctor *d);

/* The checks of d->token (doctor_token.c); nothing when there is none. */
void doctor_check_token(struct doctor *d);

/* The body of an MCP initialize request, for the POSTs of the checks. */
extern const char doctor_initialize_body[];

/*
 * `mcp-fcgi-cli doctor`: argv[0] is "doctor", then the URL and the
 * options.  Returns the exit status: 0 when every check passed, 1 when one
 * failed, 2 for a usage error.
 */
int doctor_main(int argc, char **argv);

#endif /* DOCTOR_H */
