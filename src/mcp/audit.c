/*
 * audit.c - the per-request audit line.
 */
#include "mcp/audit.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/core/log.h"
#include "lib/http/request.h"
#include "lib/jose/token.h"

int64_t
audit_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Adds name: value when value is set (cJSON escapes control characters). */
static void
add_str(cJSON *o, const char *name, const char *value)
{
	if (value != NULL && *value != '\0')
		cJSON_AddStringToObject(o, name, value);
}

void
audit_log(const struct audit_rec *rec)
{
	cJSON *o = cJSON_CreateObject();
	struct timespec now;
	struct tm tm;
	char ts[40], *line;

	if (o == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + 19, sizeof(ts) - 19, ".%03ldZ", now.tv_nsec / 1000000);
	add_str(o, "time", ts);
	add_str(o, "type", "audit");
	add_str(o, "request_id", rec->req->request_id);
	add_str(o, "remote", rec->req->remote_addr);
	add_str(o, "http_method", rec->req->method);
	if (rec->principal != NULL) {
		const struct principal *p = rec->principal;
		cJSON *scopes = cJSON_CreateArray();
		add_str(o, "subject", p->subject);
		add_str(o, "client_id", p->client_id);
		add_str(o, "org_id", p->org_id);
		for (size_t i = 0; i < p->n_scopes; i++)
			cJSON_AddItemToArray(scopes, cJSON_CreateString(p->scopes[i]));
		cJSON_AddItemToObject(o, "scopes", scopes);
	}
	add_str(o, "method", rec->rpc_method);
	add_str(o, "tool", rec->tool);
	add_str(o, "decision", rec->decision);
	cJSON_AddNumberToObject(o, "status", rec->status);
	if (rec->rpc_error != 0)
		cJSON_AddNumberToObject(o, "rpc_error", rec->rpc_error);
	cJSON_AddNumberToObject(o, "duration_us", (double)rec->duration_us);
	if ((line = cJSON_PrintUnformatted(o)) != NULL)
		log_json_line(line);
	free(line);
	cJSON_Delete(o);
}
