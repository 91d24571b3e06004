/*
 * audit.h - the operator's audit trail, written from the request's outcome:
 * JSON lines, one per request or per message of its body.
 *
 * Written through log_json_line() (stderr → the web server's error log, or
 * MCP_LOG_FILE).  Never holds a token or the argument values of a call.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stdint.h>

struct outcome;
struct principal;
struct request;

/*
 * Writes the audit of req: one line for a request decided before its body
 * was read, else one line for each JSON-RPC message of the body (a batch's
 * lines also carry "message", the index, and "messages", the size), all
 * sharing request_id.  A line holds who (principal, NULL before
 * authentication), the method and tool, the decision ("allowed",
 * "preflight", "refused", "401 <reason>", "503 <reason>", "403 missing
 * <scopes>"), the HTTP status, the message's JSON-RPC error and the
 * duration.  All borrowed.
 */
void audit_log(const struct request *req, const struct principal *principal,
               const struct outcome *o, int64_t duration_us);

/* Microseconds on the monotonic clock, for durations. */
int64_t audit_now_us(void);

#endif /* AUDIT_H */
