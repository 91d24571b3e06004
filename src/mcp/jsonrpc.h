/*
 * jsonrpc.h - JSON-RPC 2.0 envelopes (https://www.jsonrpc.org/specification)
 * as MCP narrows them: ids are strings or integers, never null (MCP
 * basic/index "Requests"), params is an object.
 */
#ifndef JSONRPC_H
#define JSONRPC_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcp/jsontext.h"

/* JSON-RPC 2.0 §5.1 error codes. */
#define JSONRPC_PARSE_ERROR      (-32700)
#define JSONRPC_INVALID_REQUEST  (-32600)
#define JSONRPC_METHOD_NOT_FOUND (-32601)
#define JSONRPC_INVALID_PARAMS   (-32602)
#define JSONRPC_INTERNAL_ERROR   (-32603)

#define JSONRPC_VERSION     "2.0"
#define JSONRPC_KEY_VERSION "jsonrpc"
#define JSONRPC_KEY_ID      "id"
#define JSONRPC_KEY_METHOD  "method"
#define JSONRPC_KEY_PARAMS  "params"
#define JSONRPC_KEY_RESULT  "result"
#define JSONRPC_KEY_ERROR   "error"

/* Most messages a batch may carry (JSON-RPC 2.0 §6 sets no bound; we do). */
#define JSONRPC_BATCH_MAX 32

/* Ids beyond ±(2^53 - 1) (JavaScript's Number.MAX_SAFE_INTEGER) cannot be kept exactly. */
#define JSONRPC_ID_MAX 9007199254740991.0

enum jsonrpc_kind {
	JSONRPC_REQUEST,      /* method + id: needs a response */
	JSONRPC_NOTIFICATION, /* method, no id: never answered (JSON-RPC 2.0 §4.1) */
	JSONRPC_RESPONSE,     /* result or error + id: a client's answer, acknowledged with 202 */
	JSONRPC_INVALID       /* answered with -32600 */
};

/* One classified message; every pointer is borrowed from the parsed item. */
struct jsonrpc_msg {
	enum jsonrpc_kind kind;
	const cJSON *id;     /* valid id, or NULL (then a response carries id null) */
	const char *method;  /* requests and notifications */
	const cJSON *params; /* an object, or NULL when absent */
	const char *invalid; /* for JSONRPC_INVALID: why, safe to send */
};

/*
 * True when the len bytes of text are acceptable JSON text for cJSON to
 * parse: strict UTF-8 (RFC 8259 §8.1: no overlong forms, no surrogates, nothing
 * above U+10FFFF), no NUL byte, no raw control character inside a string
 * (§7), and no \u0000 escape.  cJSON itself accepts the last three and cuts
 * strings at the NUL, so a value acknowledged as stored would differ from
 * what the client sent.
 */
bool jsonrpc_text_acceptable(const char *text, size_t len);

/*
 * Classifies one message of a request body (JSON-RPC 2.0 §4, §5).  An id of
 * a wrong type (null, boolean, fraction, object, array, or an integer beyond
 * 2^53 - 1) makes the message invalid.  Returns the kind, also stored in out.
 */
enum jsonrpc_kind jsonrpc_classify(const cJSON *item, struct jsonrpc_msg *out);

/*
 * The one check cJSON cannot make: how an id was written.  A number id is
 * echoed from its value, so "1e2" would come back as 100 and "-0" as 0;
 * such ids (anything but 0 or an optional '-' and digits without a leading
 * zero) are refused instead.  Scans the len bytes of text, a body cJSON has
 * accepted, and sets bad[i] for each message i (the single one, or the
 * elements of a batch, in order; the first n) whose "id" is such a number.
 */
void jsonrpc_ids_check(const char *text, size_t len, bool *bad, size_t n);

/*
 * Writes id as a response echoes it: an integer as digits (never in
 * exponent form), a string escaped, NULL as null.
 */
void jsonrpc_write_id(struct jsontext *t, const cJSON *id);

/*
 * Opens the response {"jsonrpc":"2.0","id":<id>,"result":  -- the caller
 * writes the result value after it and closes with jsontext_close(t, '}').
 */
void jsonrpc_result_open(struct jsontext *t, const cJSON *id);

/*
 * Writes the error response {"jsonrpc":"2.0","id":<id>,"error":{"code":..,
 * "message":..}}; with retry_after > 0 the error also carries
 * "data":{"retryAfter":<retry_after>}.
 */
void jsonrpc_write_error(struct jsontext *t, const cJSON *id, int code, const char *message,
                         int retry_after);

/*
 * Adds name: n to o, printed as an integer.  cJSON prints every number
 * through "%1.15g", reads it back with sscanf to check it and may print it
 * again with "%1.17g": for a whole number that is most of a small
 * document's cost (a list of 20 todos spent a third of its request there).
 */
void jsonrpc_add_int(cJSON *o, const char *name, int64_t n);

#endif /* JSONRPC_H */
