/*
 * audit.c - the per-request audit line.
 */
#include "mcp/audit.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/http/request.h"
#include "lib/jose/token.h"
#include "mcp/jsonrpc.h"
#include "mcp/outcome.h"

int64_t
audit_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Adds name: value when value is set.  cJSON escapes control characters but
 * copies other bytes as they are: text from outside (claims, methods) is
 * made valid UTF-8 first, so every audit line is valid UTF-8 JSON.
 */
static void
add_str(cJSON *o, const char *name, const char *value)
{
	char *clean;

	if (value == NULL || *value == '\0')
		return;
	clean = utf8_dup(value);
	cJSON_AddStringToObject(o, name, clean);
	free(clean);
}

/* The decision text of o, or of its message m (NULL for the request as a whole). */
static void
decision(const struct outcome *o, const struct outcome_msg *m, char *buf, size_t len)
{
	switch (o->kind) {
	case OUTCOME_PREFLIGHT:
		snprintf(buf, len, "preflight");
		break;
	case OUTCOME_REFUSED:
		snprintf(buf, len, "refused");
		break;
	case OUTCOME_UNAUTHORIZED:
		snprintf(buf, len, "%d %s", o->status, o->reason);
		break;
	case OUTCOME_RATE_LIMITED:
		snprintf(buf, len, "rate_limited");
		break;
	case OUTCOME_ANSWERED:
		if (m != NULL && m->limited)
			snprintf(buf, len, "rate_limited");
		else if (m != NULL && m->needs[0] != '\0')
			snprintf(buf, len, "403 missing %s", m->needs);
		else
			snprintf(buf, len, "allowed");
		break;
	}
}

/* Adds who the verified token speaks for. */
static void
add_principal(cJSON *o, const struct principal *p)
{
	cJSON *scopes = cJSON_CreateArray();

	add_str(o, "subject", p->subject);
	add_str(o, "client_id", p->client_id);
	add_str(o, "org_id", p->org_id);
	/* Scope tokens are checked ASCII (RFC 6749 §3.3): no cleaning needed. */
	for (size_t i = 0; i < p->n_scopes; i++)
		cJSON_AddItemToArray(scopes, cJSON_CreateString(p->scopes[i]));
	cJSON_AddItemToObject(o, "scopes", scopes);
}

/*
 * Writes one line: the request's facts, and those of message m (NULL: the
 * request was decided before its body was read).  A message of a batch
 * carries its index and the batch's size.
 */
static void
write_line(const struct request *req, const struct principal *principal, const struct outcome *out,
           const struct outcome_msg *m, int64_t duration_us)
{
	cJSON *o = cJSON_CreateObject();
	char ts[LOG_TIME_LEN], text[768], *line;

	log_time(ts);
	add_str(o, "time", ts);
	add_str(o, "type", "audit");
	add_str(o, "request_id", req->request_id);
	add_str(o, "remote", req->remote_addr);
	add_str(o, "http_method", req->method);
	if (principal != NULL)
		add_principal(o, principal);
	if (m != NULL && out->batch) {
		jsonrpc_add_int(o, "message", m - out->msgs);
		jsonrpc_add_int(o, "messages", (int64_t)out->n_msgs);
	}
	add_str(o, "method", m != NULL ? m->method : NULL);
	add_str(o, "tool", m != NULL ? m->tool : NULL);
	decision(out, m, text, sizeof(text));
	add_str(o, "decision", text);
	jsonrpc_add_int(o, "status", out->status);
	if (m != NULL && m->rpc_error != 0)
		jsonrpc_add_int(o, "rpc_error", m->rpc_error);
	jsonrpc_add_int(o, "duration_us", duration_us);
	if ((line = cJSON_PrintUnformatted(o)) != NULL)
		log_json_line(line);
	free(line);
	cJSON_Delete(o);
}

void
audit_log(const struct request *req, const struct principal *principal, const struct outcome *out,
          int64_t duration_us)
{
	/* Every message of a body is audited on its own line: a batch hides no call. */
	if (out->kind != OUTCOME_ANSWERED || out->n_msgs == 0) {
		write_line(req, principal, out, NULL, duration_us);
		return;
	}
	for (size_t i = 0; i < out->n_msgs; i++)
		write_line(req, principal, out, &out->msgs[i], duration_us);
}
