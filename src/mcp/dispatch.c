/*
 * dispatch.c - the MCP methods behind one JSON-RPC endpoint.
 */
#include "mcp/dispatch.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "mcp/jsonrpc.h"
#include "mcp/jsontext.h"
#include "mcp/limits.h"
#include "mcp/outcome.h"
#include "mcp/protocol.h"
#include "mcp/schema.h"
#include "mcp/scope.h"
#include "mcp/tool.h"

/* The result or the error of one method call. */
struct call {
	struct jsontext *t; /* the reply: a method writes its result value into it */
	size_t result_at;   /* where that value starts in t */
	int code;           /* 0 unless an error was set (whatever was written is then dropped) */
	char message[256];
	int retry_after; /* MCP_ERROR_UNAVAILABLE: seconds, for the error's data */
};

/* Sets an error on c; message is fixed text or built from safe parts. */
__attribute__((format(printf, 3, 4))) static void
call_fail(struct call *c, int code, const char *fmt, ...)
{
	va_list ap;

	c->code = code;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

/* A string member of params, or NULL. */
static const char *
param_string(const cJSON *params, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* initialize: version negotiation (MCP lifecycle "Version Negotiation"). */
static void
method_initialize(const struct dispatch_ctx *ctx, const cJSON *params, struct call *c)
{
	const char *asked = param_string(params, "protocolVersion");
	struct jsontext *t = c->t;

	if (asked == NULL) {
		call_fail(c, JSONRPC_INVALID_PARAMS, "protocolVersion is required");
		return;
	}
	jsontext_open(t, '{');
	jsontext_member_string(t, "protocolVersion", protocol_negotiate(asked));
	jsontext_name(t, "capabilities");
	jsontext_open(t, '{');
	jsontext_name(t, "tools");
	jsontext_open(t, '{');
	jsontext_member_bool(t, "listChanged", false);
	jsontext_close(t, '}');
	jsontext_name(t, "logging");
	jsontext_raw(t, "{}", 2);
	jsontext_close(t, '}');
	jsontext_name(t, "serverInfo");
	jsontext_open(t, '{');
	jsontext_member_string(t, "name", MCP_SERVER_NAME);
	jsontext_member_string(t, "title", ctx->cfg->resource_name);
	jsontext_member_string(t, "version", MCP_SERVER_VERSION);
	jsontext_close(t, '}');
	jsontext_close(t, '}');
}

/* The empty result {} of a method that only acknowledges. */
static void
result_empty(struct call *c)
{
	jsontext_raw(c->t, "{}", 2);
}

static void
method_ping(const struct dispatch_ctx *ctx, const cJSON *params, struct call *c)
{
	(void)ctx;
	(void)params;
	result_empty(c);
}

/*
 * logging/setLevel: the level is validated and acknowledged.  This stateless
 * server sends no log notifications (there is no stream to carry them), and a
 * client does not get to change the operator's log level.
 */
static void
method_set_level(const struct dispatch_ctx *ctx, const cJSON *params, struct call *c)
{
	static const char *const levels[] = {"debug", "info",     "notice", "warning",
	                                     "error", "critical", "alert",  "emergency"};
	const char *level = param_string(params, "level");

	(void)ctx;
	for (size_t i = 0; level != NULL && i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(level, levels[i]) == 0) {
			result_empty(c);
			return;
		}
	}
	call_fail(c, JSONRPC_INVALID_PARAMS, "level must be one of the RFC 5424 severities");
}

/* tools/list: one page holding every tool; this server never issues a cursor. */
static void
method_tools_list(const struct dispatch_ctx *ctx, const cJSON *params, struct call *c)
{
	const char *list;

	if (cJSON_GetObjectItemCaseSensitive(params, "cursor") != NULL) {
		call_fail(c, JSONRPC_INVALID_PARAMS, "invalid cursor");
		return;
	}
	/* NULL only for a tool whose compiled-in schema is broken (logged). */
	if ((list = tool_registry_list_json(ctx->reg)) == NULL) {
		call_fail(c, JSONRPC_INTERNAL_ERROR, "internal error");
		return;
	}
	jsontext_raw(c->t, list, strlen(list));
}

/*
 * The scope check of one request (MCP authorization, RFC 6750 §3.1): the
 * operator's required scopes and, for a tool, the tool's.  On refusal
 * records what the call needs in m, adds the challenge (403, or the
 * batch's 200: the caller decides the status), and sets the error that
 * carries the request's id; returns false.
 */
static bool
call_permitted(const struct dispatch_ctx *ctx, const struct tool_entry *e, struct call *c,
               struct outcome *out, struct outcome_msg *m)
{
	const struct strlist *req = &ctx->cfg->required_scopes;
	const char *const *required = (const char *const *)req->v;
	const char *const *tool = e != NULL ? e->scopes : NULL;
	size_t n_tool = e != NULL ? e->n_scopes : 0;

	if (scope_call_allowed(ctx->principal, required, req->n, e != NULL ? e->tool->name : NULL,
	                       tool, n_tool))
		return true;
	scope_call_needs(required, req->n, tool, n_tool, m->needs, sizeof(m->needs));
	out->status = 403;
	out->auth = OUTCOME_AUTH_SCOPE;
	scope_challenge_add(out->needs, sizeof(out->needs), m->needs, NULL, NULL);
	scope_challenge_add(out->scope, sizeof(out->scope), m->needs, ctx->principal,
	                    &ctx->cfg->scopes_supported);
	call_fail(c, MCP_ERROR_INSUFFICIENT_SCOPE, "insufficient scope: this call needs %s",
	          m->needs);
	return false;
}

/*
 * A tool that could not reach its service (MCP_ERROR_UNAVAILABLE): 503 with
 * Retry-After for a single call.  In a batch the element's error says so and
 * the batch's 200 carries Retry-After: the batch is not answered 503 as a
 * whole, since its other elements ran (a create among them must not be sent
 * again).
 */
static void
tool_unavailable(struct call *c, struct outcome *out, int retry_after)
{
	call_fail(c, MCP_ERROR_UNAVAILABLE, "temporarily unavailable: retry after %d seconds",
	          retry_after);
	c->retry_after = retry_after;
	out->status = 503;
	if (retry_after > out->retry_after)
		out->retry_after = retry_after;
}

/* tools/call: look up, validate the arguments, run the handler. */
static void
method_tools_call(const struct dispatch_ctx *ctx, const cJSON *params, struct call *c,
                  struct outcome *out, struct outcome_msg *m)
{
	const char *name = param_string(params, "name");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
	struct tool_ctx tctx = {.principal = ctx->principal,
	                        .cfg = ctx->cfg,
	                        .request_id = ctx->request_id,
	                        .todos = ctx->todos};
	struct tool_result res = {0};
	const struct tool_entry *e;
	cJSON *empty = NULL;
	struct err why;
	char text[ERR_MSG_MAX + 32];
	int rc;

	if (name == NULL) {
		call_fail(c, JSONRPC_INVALID_PARAMS, "name is required");
		return;
	}
	if ((e = tool_registry_find(ctx->reg, name)) == NULL) {
		if (!call_permitted(ctx, NULL, c, out, m))
			return;
		/* The name comes from the client: not echoed into the message. */
		call_fail(c, JSONRPC_INVALID_PARAMS, "unknown tool");
		return;
	}
	utf8_copy(m->tool, sizeof(m->tool), e->tool->name);
	/* Scopes before arguments: a caller without them learns nothing about the tool's input. */
	if (!call_permitted(ctx, e, c, out, m))
		return;
	if (args == NULL)
		args = empty = cJSON_CreateObject();
	/*
	 * Arguments that break the input schema are the tool's error, not the
	 * protocol's (2025-11-25, tools "Error Handling"; SEP-1303): the model
	 * reads which argument and which rule, and can correct itself.
	 */
	if (!schema_validate(e->input_schema, args, &why)) {
		snprintf(text, sizeof(text), "invalid arguments: %s", why.msg);
		tool_result_error(&res, text);
	} else if ((rc = e->tool->handler(&tctx, args, &res)) == TOOL_UNAVAILABLE) {
		tool_unavailable(c, out, res.retry_after);
		goto out;
	} else if (rc != 0) {
		log_msg(LOGL_ERROR, "tool %s failed (request %s)", e->tool->name, ctx->request_id);
		call_fail(c, JSONRPC_INTERNAL_ERROR, "internal error");
		goto out;
	}
	tool_result_write(c->t, &res);
out:
	tool_result_clear(&res);
	cJSON_Delete(empty);
}

/* Runs method with params into c. */
static void
run_method(const struct dispatch_ctx *ctx, const char *method, const cJSON *params, struct call *c,
           struct outcome *out, struct outcome_msg *m)
{
	/* tools/call checks scopes itself, adding the tool's own to the required ones. */
	if (strcmp(method, "tools/call") == 0)
		method_tools_call(ctx, params, c, out, m);
	else if (!call_permitted(ctx, NULL, c, out, m))
		return;
	else if (strcmp(method, "initialize") == 0)
		method_initialize(ctx, params, c);
	else if (strcmp(method, "ping") == 0)
		method_ping(ctx, params, c);
	else if (strcmp(method, "tools/list") == 0)
		method_tools_list(ctx, params, c);
	else if (strcmp(method, "logging/setLevel") == 0)
		method_set_level(ctx, params, c);
	else
		call_fail(c, JSONRPC_METHOD_NOT_FOUND, "method not found");
}

/*
 * Counts one request message against the principal's rate limit and, for
 * a tools/call of a registered tool, the tool's; before any other check,
 * so a refused message costs nothing else.  On refusal records it in m
 * and out->limit, sets the error and returns false.
 */
static bool
within_limits(const struct dispatch_ctx *ctx, const struct jsonrpc_msg *jm, struct call *c,
              struct outcome *out, struct outcome_msg *m)
{
	const struct tool_entry *e = NULL;
	const char *name;
	struct outcome_limit lim = {.quota = 0};

	if (ctx->limits == NULL)
		return true;
	if (strcmp(jm->method, "tools/call") == 0 &&
	    (name = param_string(jm->params, "name")) != NULL)
		e = tool_registry_find(ctx->reg, name);
	if (limits_call(ctx->limits, ctx->principal, e != NULL ? e->tool->name : NULL, &lim))
		return true;
	if (e != NULL)
		utf8_copy(m->tool, sizeof(m->tool), e->tool->name);
	m->limited = true;
	out->limit = lim;
	call_fail(c, MCP_ERROR_RATE_LIMITED, "rate limited (%s): retry after %lld s", lim.policy,
	          lim.retry_after);
	return false;
}

/* Runs one request and writes its response message to t. */
static void
answer_request(const struct dispatch_ctx *ctx, const struct jsonrpc_msg *jm, struct outcome *out,
               struct outcome_msg *m, struct jsontext *t)
{
	struct jsontext_mark start = jsontext_mark(t);
	struct call c = {.t = t};

	jsonrpc_result_open(t, jm->id);
	c.result_at = t->n;
	if (within_limits(ctx, jm, &c, out, m))
		run_method(ctx, jm->method, jm->params, &c, out, m);
	if (c.code == 0 && t->n == c.result_at)
		call_fail(&c, JSONRPC_INTERNAL_ERROR, "internal error");
	if (c.code == 0) {
		jsontext_close(t, '}');
		return;
	}
	/* The error replaces the whole message, whatever of a result was written. */
	jsontext_rewind(t, start);
	m->rpc_error = c.code;
	jsonrpc_write_error(t, jm->id, c.code, c.message, c.retry_after);
}

/*
 * Classifies and answers one message, writing its response to t; false when
 * it needs none.  bad_id: its id is a number written so that it would not
 * echo exactly (jsonrpc_ids_check()), which makes it invalid.
 */
static bool
answer_message(const struct dispatch_ctx *ctx, const cJSON *item, bool bad_id, struct outcome *out,
               bool *ok, struct jsontext *t)
{
	struct outcome_msg *m = outcome_next_msg(out);
	struct jsonrpc_msg jm;
	enum jsonrpc_kind kind = jsonrpc_classify(item, &jm);

	if (bad_id && kind != JSONRPC_INVALID) {
		kind = JSONRPC_INVALID;
		jm.id = NULL;
		jm.invalid = "id must be a string or an integer written in digits";
	}
	*ok = kind != JSONRPC_INVALID;
	if (kind == JSONRPC_REQUEST || kind == JSONRPC_NOTIFICATION)
		utf8_copy(m->method, sizeof(m->method), jm.method);
	if (kind == JSONRPC_REQUEST) {
		answer_request(ctx, &jm, out, m, t);
		return true;
	}
	if (kind != JSONRPC_INVALID)
		return false;
	m->rpc_error = JSONRPC_INVALID_REQUEST;
	jsonrpc_write_error(t, jm.id, JSONRPC_INVALID_REQUEST, jm.invalid, 0);
	return true;
}

/* How many of the body's messages a rate limit refused. */
static size_t
limited_count(const struct outcome *out)
{
	size_t n = 0;

	for (size_t i = 0; i < out->n_msgs; i++)
		n += out->msgs[i].limited;
	return n;
}

/*
 * Answers a whole batch (JSON-RPC 2.0 §6) into t; false when no element
 * needed a response.  bad_id[i] as answer_message()'s, per element.
 */
static bool
answer_batch(const struct dispatch_ctx *ctx, const cJSON *batch, const bool *bad_id,
             struct outcome *out, struct jsontext *t)
{
	const cJSON *item;
	size_t i = 0, answers = 0;
	bool ok;

	jsontext_open(t, '[');
	cJSON_ArrayForEach (item, batch) {
		struct jsontext_mark before = jsontext_mark(t);

		jsontext_elem(t);
		if (answer_message(ctx, item, bad_id[i++], out, &ok, t))
			answers++;
		else
			jsontext_rewind(t, before);
	}
	jsontext_close(t, ']');
	/*
	 * A refused call is that element's -32003 error; the batch as a whole is
	 * no 403, but its 200 carries the challenge when an element was refused.
	 */
	out->status = 200;
	if (answers == 0) {
		out->status = 202;
		return false;
	}
	/* Every answer a rate-limit refusal: the batch as a whole was refused. */
	if (limited_count(out) == answers)
		out->status = 429;
	return true;
}

/* A single error response for the whole body with HTTP status 400. */
static bool
body_error(struct outcome *out, int code, const char *message, struct jsontext *t)
{
	out->status = 400;
	outcome_next_msg(out)->rpc_error = code;
	jsonrpc_write_error(t, NULL, code, message, 0);
	return true;
}

/*
 * Parses the whole body as one JSON text (RFC 8259 §2): anything but white
 * space after the value makes it invalid.  NULL when it is not JSON.
 */
static cJSON *
parse_body(const char *body, size_t len)
{
	const char *end = NULL;
	cJSON *doc;

	if (!jsonrpc_text_acceptable(body, len))
		return NULL;
	/* The body's tree is deleted before the next request: it can live in the arena. */
	json_arena_begin();
	doc = cJSON_ParseWithLengthOpts(body, len, &end, false);
	json_arena_end();
	if (doc == NULL)
		return NULL;
	for (; end < body + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			cJSON_Delete(doc);
			return NULL;
		}
	}
	return doc;
}

void
dispatch_body(const struct dispatch_ctx *ctx, const char *body, size_t len, struct outcome *out)
{
	cJSON *doc = parse_body(body, len);
	bool ok = true, wrote, bad_id[JSONRPC_BATCH_MAX];
	struct jsontext reply;

	outcome_clear(out);
	if (doc != NULL)
		jsonrpc_ids_check(body, len, bad_id, JSONRPC_BATCH_MAX);
	out->kind = OUTCOME_ANSWERED;
	out->status = 200;
	jsontext_init(&reply, 512);
	if (doc == NULL) {
		wrote = body_error(out, JSONRPC_PARSE_ERROR,
		                   "parse error: the body is not valid JSON", &reply);
	} else if (cJSON_IsArray(doc)) {
		if (!protocol_batches(ctx->protocol_version))
			wrote = body_error(out, JSONRPC_INVALID_REQUEST,
			                   "batches are not supported in this protocol version",
			                   &reply);
		else if (cJSON_GetArraySize(doc) == 0)
			wrote = body_error(out, JSONRPC_INVALID_REQUEST, "empty batch", &reply);
		else if (cJSON_GetArraySize(doc) > JSONRPC_BATCH_MAX)
			wrote = body_error(out, JSONRPC_INVALID_REQUEST, "batch too large", &reply);
		else {
			out->batch = true;
			wrote = answer_batch(ctx, doc, bad_id, out, &reply);
		}
	} else {
		wrote = answer_message(ctx, doc, bad_id[0], out, &ok, &reply);
		if (!ok)
			out->status = 400;
		else if (out->msgs[0].limited)
			out->status = 429;
		else if (!wrote)
			out->status = 202; /* notifications and responses: MCP transports */
	}
	if (wrote) {
		out->body_len = reply.n;
		out->body = jsontext_take(&reply);
	} else {
		free(jsontext_take(&reply));
	}
	cJSON_Delete(doc);
}
