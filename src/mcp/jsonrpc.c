/*
 * jsonrpc.c - JSON-RPC 2.0 message classification and responses.
 */
#include "mcp/jsonrpc.h"

#include "lib/core/util.h"

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

/* The end of the string whose opening quote is at s[i]: the index after its closing quote. */
static size_t
string_end(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i + 1;
}

/*
 * True when the number token at s (up to len bytes) is an integer written
 * the one way that echoes exactly: 0, or an optional '-' and digits without
 * a leading zero; not "-0", "1e2", "1.0" or "+1".
 */
static bool
number_plain(const char *s, size_t len)
{
	size_t i = s[0] == '-', n = strspn(s + i, "0123456789");

	if (n == 0 || i + n > len || (i + n < len && strchr("+-.eE", s[i + n]) != NULL))
		return false;
	return s[i] != '0' || (n == 1 && i == 0);
}

/* The scan of a body: where messages and their members stand. */
struct id_scan {
	size_t depth;     /* nesting of the current position */
	size_t msg_depth; /* 1 for a single message, 2 for a batch's elements */
	long index;       /* the current message, -1 before the first */
	bool key_next;    /* at message level, the next string is a member name */
	bool id_key;      /* the member being read may be "id" */
};

/* Handles one structural byte c of the body at message level or above. */
static void
id_scan_byte(struct id_scan *sc, char c)
{
	if (c == '{' || c == '[') {
		sc->depth++;
		if (sc->depth == sc->msg_depth && c == '{')
			sc->key_next = true;
	} else if (c == '}' || c == ']') {
		sc->depth--;
	} else if (c == ',' && sc->depth == sc->msg_depth) {
		sc->key_next = true;
	}
}

void
jsonrpc_ids_check(const char *text, size_t len, bool *bad, size_t n)
{
	struct id_scan sc = {.msg_depth = 1, .index = -1};
	size_t i = strspn(text, " \t\r\n");

	memset(bad, 0, n * sizeof(*bad));
	if (i < len && text[i] == '[')
		sc.msg_depth = 2;
	else
		sc.index = 0;
	for (; i < len; i++) {
		char c = text[i];
		/* A batch element starts wherever a value begins at depth 1. */
		if (sc.msg_depth == 2 && sc.depth == 1 && strchr(" \t\r\n,]", c) == NULL)
			sc.index++;
		if (c == '"') {
			size_t end = string_end(text, len, i);
			if (sc.depth == sc.msg_depth && sc.key_next) {
				/* "id", or a name spelt with escapes that may mean it. */
				sc.id_key = (end - i == 4 && memcmp(text + i, "\"id\"", 4) == 0) ||
				            memchr(text + i, '\\', end - i) != NULL;
				sc.key_next = false;
			} else {
				sc.id_key = false;
			}
			i = end - 1;
		} else if ((c == '-' || (c >= '0' && c <= '9')) && sc.depth == sc.msg_depth) {
			size_t tok = strspn(text + i, "+-.0123456789eE");
			if (sc.id_key && sc.index >= 0 && (size_t)sc.index < n &&
			    !number_plain(text + i, tok))
				bad[sc.index] = true;
			i += tok - 1;
		} else if (c >= 'a' && c <= 'z') {
			/* true, false, null: one value, however many letters. */
			i += strspn(text + i, "aeflnrstu") - 1;
		} else if (c != ':' && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			if (sc.depth != sc.msg_depth || c == '{' || c == '[' || c == ',')
				sc.id_key = false;
			id_scan_byte(&sc, c);
		}
	}
}

void
jsonrpc_write_id(struct jsontext *t, const cJSON *id)
{
	if (id == NULL)
		jsontext_raw(t, "null", 4);
	else if (cJSON_IsString(id))
		jsontext_string(t, id->valuestring);
	else /* cJSON would print 1e+15; the client sent digits and gets digits back. */
		jsontext_int(t, (int64_t)id->valuedouble);
}

/* The common {"jsonrpc":"2.0","id":<id>, part, then "<member>":. */
static void
envelope_open(struct jsontext *t, const cJSON *id, const char *member)
{
	static const char head[] =
	    "{\"" JSONRPC_KEY_VERSION "\":\"" JSONRPC_VERSION "\",\"" JSONRPC_KEY_ID "\":";

	jsontext_raw(t, head, sizeof(head) - 1);
	jsonrpc_write_id(t, id);
	t->first = false;
	jsontext_name(t, member);
}

void
jsonrpc_result_open(struct jsontext *t, const cJSON *id)
{
	envelope_open(t, id, JSONRPC_KEY_RESULT);
}

void
jsonrpc_write_error(struct jsontext *t, const cJSON *id, int code, const char *message,
                    int retry_after)
{
	envelope_open(t, id, JSONRPC_KEY_ERROR);
	jsontext_open(t, '{');
	jsontext_member_int(t, "code", code);
	jsontext_member_string(t, "message", message);
	if (retry_after > 0) {
		jsontext_name(t, "data");
		jsontext_open(t, '{');
		jsontext_member_int(t, "retryAfter", retry_after);
		jsontext_close(t, '}');
	}
	jsontext_close(t, '}');
	jsontext_close(t, '}');
}

void
jsonrpc_add_int(cJSON *o, const char *name, int64_t n)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", (long long)n);
	cJSON_AddRawToObject(o, name, num);
}

bool
jsonrpc_text_acceptable(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	bool in_string = false;
	size_t i = 0;

	while (i < len) {
		size_t n;

		/* Eight printable ASCII bytes at a time: they need nothing, in a string or out. */
		if (i + 8 <= len) {
			uint64_t w;
			size_t k;

			memcpy(&w, s + i, 8);
			k = jsontext_plain_prefix(w);
			i += k;
			if (k == 8)
				continue;
		}
		/* ASCII needs no sequence check: the body is mostly ASCII. */
		n = s[i] < 0x80 ? 1 : utf8_seq(text + i, len - i);
		if (n == 0 || s[i] == 0)
			return false;
		if (in_string && s[i] < 0x20)
			return false;
		if (s[i] == '"') {
			in_string = !in_string;
		} else if (in_string && s[i] == '\\' && i + 1 < len) {
			/* An escape: \u0000 would become a NUL inside the parsed string. */
			if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
				return false;
			n = 2; /* skip the escaped character, a quote included */
		}
		i += n;
	}
	return true;
}
