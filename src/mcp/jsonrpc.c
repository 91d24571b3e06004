/*
 * jsonrpc.c - JSON-RPC 2.0 message classification and responses.
 */
#include "mcp/jsonrpc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* An id MCP accepts: a string, or an integral number within ±(2^53 - 1). */
static bool
id_valid(const cJSON *id)
{
	if (cJSON_IsString(id))
		return true;
	if (!cJSON_IsNumber(id))
		return false;
	double v = id->valuedouble;
	return isfinite(v) && floor(v) == v && fabs(v) <= JSONRPC_ID_MAX;
}

/* Marks out invalid with reason; keeps a usable id so the error can carry it. */
static enum jsonrpc_kind
invalid(struct jsonrpc_msg *out, const cJSON *id, const char *why)
{
	out->kind = JSONRPC_INVALID;
	out->id = id_valid(id) ? id : NULL;
	out->invalid = why;
	return out->kind;
}

enum jsonrpc_kind
jsonrpc_classify(const cJSON *item, struct jsonrpc_msg *out)
{
	const cJSON *version, *id, *method, *params;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(item))
		return invalid(out, NULL, "a message must be a JSON object");
	version = cJSON_GetObjectItemCaseSensitive(item, JSONRPC_KEY_VERSION);
	id = cJSON_GetObjectItemCaseSensitive(item, JSONRPC_KEY_ID);
	method = cJSON_GetObjectItemCaseSensitive(item, JSONRPC_KEY_METHOD);
	params = cJSON_GetObjectItemCaseSensitive(item, JSONRPC_KEY_PARAMS);
	if (!cJSON_IsString(version) || strcmp(version->valuestring, JSONRPC_VERSION) != 0)
		return invalid(out, id, "jsonrpc must be \"2.0\"");
	if (id != NULL && !id_valid(id))
		return invalid(out, NULL, "id must be a string or an integer");
	if (method == NULL) {
		/* A client's response to a server request (MCP: result or error, and an id). */
		bool has_result =
		    cJSON_GetObjectItemCaseSensitive(item, JSONRPC_KEY_RESULT) != NULL;
		bool has_error = cJSON_GetObjectItemCaseSensitive(item, JSONRPC_KEY_ERROR) != NULL;
		if (id == NULL || has_result == has_error)
			return invalid(out, id, "method is required");
		out->kind = JSONRPC_RESPONSE;
		out->id = id;
		return out->kind;
	}
	if (!cJSON_IsString(method) || method->valuestring[0] == '\0')
		return invalid(out, id, "method must be a non-empty string");
	if (params != NULL && !cJSON_IsObject(params))
		return invalid(out, id, "params must be an object");
	out->kind = id != NULL ? JSONRPC_REQUEST : JSONRPC_NOTIFICATION;
	out->id = id;
	out->method = method->valuestring;
	out->params = params;
	return out->kind;
}

cJSON *
jsonrpc_id_dup(const cJSON *id)
{
	char digits[32];

	if (id == NULL)
		return cJSON_CreateNull();
	if (cJSON_IsString(id))
		return cJSON_CreateString(id->valuestring);
	/* cJSON would print 1e+15; the client sent digits and gets digits back. */
	snprintf(digits, sizeof(digits), "%" PRId64, (int64_t)id->valuedouble);
	return cJSON_CreateRaw(digits);
}

/* The common {"jsonrpc":"2.0","id":...} part; NULL on ENOMEM. */
static cJSON *
envelope_new(const cJSON *id)
{
	cJSON *msg = cJSON_CreateObject(), *idc = jsonrpc_id_dup(id);

	if (msg == NULL || idc == NULL ||
	    !cJSON_AddStringToObject(msg, JSONRPC_KEY_VERSION, JSONRPC_VERSION)) {
		cJSON_Delete(msg);
		cJSON_Delete(idc);
		return NULL;
	}
	cJSON_AddItemToObject(msg, JSONRPC_KEY_ID, idc);
	return msg;
}

cJSON *
jsonrpc_result_new(const cJSON *id, cJSON *result)
{
	cJSON *msg = result != NULL ? envelope_new(id) : NULL;

	if (msg == NULL) {
		cJSON_Delete(result);
		return NULL;
	}
	cJSON_AddItemToObject(msg, JSONRPC_KEY_RESULT, result);
	return msg;
}

cJSON *
jsonrpc_error_new(const cJSON *id, int code, const char *message, cJSON *data)
{
	cJSON *msg = envelope_new(id), *err = cJSON_CreateObject();

	if (msg == NULL || err == NULL || !cJSON_AddNumberToObject(err, "code", code) ||
	    !cJSON_AddStringToObject(err, "message", message)) {
		cJSON_Delete(msg);
		cJSON_Delete(err);
		cJSON_Delete(data);
		return NULL;
	}
	if (data != NULL)
		cJSON_AddItemToObject(err, "data", data);
	cJSON_AddItemToObject(msg, JSONRPC_KEY_ERROR, err);
	return msg;
}
