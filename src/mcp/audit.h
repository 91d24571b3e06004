/*
 * audit.h - one JSON line per request for the operator's audit trail.
 *
 * Written through log_json_line() (stderr → the web server's error log, or
 * MCP_LOG_FILE).  Never holds a token or the argument values of a call.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stdint.h>

struct principal;
struct request;

/* What happened to one request; strings are borrowed, NULL when unknown. */
struct audit_rec {
	const struct request *req;
	const struct principal *principal; /* NULL before authentication */
	char rpc_method[64];               /* first JSON-RPC method, "" when none */
	char tool[64];                     /* tools/call's tool, "" when none */
	char decision[640]; /* "allowed", "preflight", "refused", "401 <reason>", "403 missing
	                       <scopes>" */
	int status;         /* HTTP status sent */
	int rpc_error;      /* JSON-RPC error code, 0 when none */
	int64_t duration_us;
};

/* Writes the record as one escaped JSON line. */
void audit_log(const struct audit_rec *rec);

/* Microseconds on the monotonic clock, for durations. */
int64_t audit_now_us(void);

#endif /* AUDIT_H */
