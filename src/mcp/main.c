/*
 * main.c - cgi-bin/mcp.fcgi: the MCP endpoint, as FastCGI or CGI.
 *
 * Start-up builds everything costly once (configuration, tool registry);
 * the loop then answers requests until the web server stops it.  In CGI
 * mode the loop runs once.
 */
#include <cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/auth/auth.h"
#include "lib/config/config.h"
#include "lib/core/err.h"
#include "lib/keycache/fetch.h"
#include "lib/core/log.h"
#include "lib/http/request.h"
#include "lib/jose/token.h"
#include "mcp/audit.h"
#include "mcp/dispatch.h"
#include "mcp/todo_store.h"
#include "mcp/tool.h"
#include "mcp/transport.h"

#define JSON_TYPE "application/json"

/* What the process builds once and every request reads. */
struct app {
	struct config cfg;
	struct tool_registry *reg;
	struct auth *auth;
	struct todo_store *todos;
};

/* Sends an HTTP-level refusal with its JSON-RPC error body. */
static void
send_refusal(const struct app *app, struct request *req, struct audit_rec *rec, int status,
             const char *why)
{
	struct response res;
	size_t len = 0;
	char *body = dispatch_refusal_body(why, &len);

	response_init(&res, status);
	if (status == 405)
		response_header(&res, "Allow", "%s", TRANSPORT_ALLOW);
	transport_add_cors(&app->cfg, req, &res);
	request_send(req, &res, JSON_TYPE, body, len);
	free(body);
	rec->status = status;
	snprintf(rec->decision, sizeof(rec->decision), "refused");
	log_msg(LOGL_DEBUG, "request %s refused with %d: %s", req->request_id, status, why);
}

/* Reads the body; on failure answers and returns false. */
static bool
read_body(const struct app *app, struct request *req, struct audit_rec *rec)
{
	switch (request_read_body(req, app->cfg.max_body)) {
	case REQUEST_BODY_OK:
		return true;
	case REQUEST_BODY_TOO_LARGE:
		send_refusal(app, req, rec, 413, "Request body too large");
		return false;
	case REQUEST_BODY_SHORT:
		send_refusal(app, req, rec, 400, "Request body shorter than its Content-Length");
		return false;
	case REQUEST_BODY_BAD_LENGTH:
		send_refusal(app, req, rec, 400, "Invalid Content-Length");
		return false;
	default:
		send_refusal(app, req, rec, 500, "Internal error");
		return false;
	}
}

/*
 * Sends the RFC 6750 §3 challenge: 401 without error when no token came,
 * 401 invalid_token when one was refused, 503 when no keys can be had.
 */
static void
send_challenge(const struct app *app, struct request *req, struct audit_rec *rec,
               enum auth_result result, const char *reason)
{
	char challenge[2048], body[512], *esc = NULL;
	int status = result == AUTH_UNAVAILABLE ? 503 : 401;
	const char *error = result == AUTH_INVALID ? "invalid_token" : NULL;
	struct response res;
	cJSON *o = cJSON_CreateObject();

	response_init(&res, status);
	if (result == AUTH_UNAVAILABLE) {
		response_header(&res, "Retry-After", "30");
	} else {
		auth_challenge(&app->cfg, error, error != NULL ? reason : NULL, NULL, challenge,
		               sizeof(challenge));
		response_header(&res, "WWW-Authenticate", "%s", challenge);
	}
	response_header(&res, "Cache-Control", "no-store");
	transport_add_cors(&app->cfg, req, &res);
	cJSON_AddStringToObject(o, "error",
	                        result == AUTH_INVALID       ? "invalid_token"
	                        : result == AUTH_UNAVAILABLE ? "temporarily_unavailable"
	                                                     : "unauthorized");
	cJSON_AddStringToObject(o, "error_description",
	                        result == AUTH_NO_TOKEN ? "a Bearer access token is required"
	                                                : reason);
	if ((esc = cJSON_PrintUnformatted(o)) != NULL)
		snprintf(body, sizeof(body), "%s", esc);
	else
		snprintf(body, sizeof(body), "{\"error\":\"unauthorized\"}");
	request_send(req, &res, JSON_TYPE, body, strlen(body));
	free(esc);
	cJSON_Delete(o);
	rec->status = status;
	snprintf(rec->decision, sizeof(rec->decision), "%d %s", status, reason);
}

/*
 * Adds the RFC 6750 §3.1 insufficient_scope challenge for a 403 naming
 * every scope the refused call needs, and records the decision.
 */
static void
add_scope_challenge(const struct app *app, struct response *res, struct audit_rec *rec,
                    const char *scope)
{
	char challenge[2048];

	auth_challenge(&app->cfg, "insufficient_scope", NULL, scope, challenge, sizeof(challenge));
	response_header(res, "WWW-Authenticate", "%s", challenge);
	snprintf(rec->decision, sizeof(rec->decision), "403 missing %s", scope);
}

/* Authenticates req; on failure answers and returns false. */
static bool
authenticate(const struct app *app, struct request *req, struct audit_rec *rec,
             struct principal **principal)
{
	const char *reason = NULL;
	enum auth_result r =
	    auth_check(app->auth, req->authorization, (int64_t)time(NULL), principal, &reason);

	if (r != AUTH_OK) {
		send_challenge(app, req, rec, r, reason);
		return false;
	}
	rec->principal = *principal;
	return true;
}

/* Answers one request; fills rec for the audit line. */
static void
handle(const struct app *app, struct request *req, struct audit_rec *rec,
       struct principal **principal_out)
{
	struct dispatch_ctx ctx = {
	    .reg = app->reg, .cfg = &app->cfg, .request_id = req->request_id, .todos = app->todos};
	struct principal *principal = NULL;
	struct dispatch_out out;
	struct response res;
	const char *why = NULL;
	int status;

	if ((status = transport_check_peer(&app->cfg, req, &why)) != 0) {
		send_refusal(app, req, rec, status, why);
		return;
	}
	if (transport_is_preflight(req)) {
		transport_preflight(&app->cfg, req, &res);
		request_send(req, &res, NULL, NULL, 0);
		rec->status = 204;
		snprintf(rec->decision, sizeof(rec->decision), "preflight");
		return;
	}
	/* Every method but OPTIONS is authenticated first: clients probe with GET. */
	if (!authenticate(app, req, rec, &principal))
		return;
	*principal_out = principal;
	ctx.principal = principal;
	if ((status = transport_check_post(req, &ctx.protocol_version, &why)) != 0) {
		send_refusal(app, req, rec, status, why);
		return;
	}
	if (!read_body(app, req, rec))
		return;
	dispatch_body(&ctx, req->body, req->body_len, &out);
	response_init(&res, out.status);
	if (out.status == 403)
		add_scope_challenge(app, &res, rec, out.scope);
	transport_add_cors(&app->cfg, req, &res);
	request_send(req, &res, out.body != NULL ? JSON_TYPE : NULL, out.body, out.body_len);
	rec->status = out.status;
	if (out.status != 403)
		snprintf(rec->decision, sizeof(rec->decision), "allowed");
	rec->rpc_error = out.rpc_error;
	/* The audit line outlives out: keep the names in the record's own buffers. */
	snprintf(rec->rpc_method, sizeof(rec->rpc_method), "%s", out.method);
	snprintf(rec->tool, sizeof(rec->tool), "%s", out.tool);
	free(out.body);
}

/* Loads the configuration and the tools; exits with one line on failure. */
static void
app_init(struct app *app)
{
	char err[512] = "";
	struct err fe;

	if (config_load(&app->cfg, err, sizeof(err)) != CONFIG_OK)
		goto fail;
	log_set_level(app->cfg.log_level);
	if (app->cfg.log_file != NULL && log_open(app->cfg.log_file) != 0) {
		snprintf(err, sizeof(err), CONFIG_LOG_FILE ": cannot open %s", app->cfg.log_file);
		goto fail;
	}
	if ((app->reg = tool_registry_new(app->cfg.tool_scopes, err, sizeof(err))) == NULL)
		goto fail;
	if (fetch_global_init(&fe) != 0) {
		snprintf(err, sizeof(err), "%s", fe.msg);
		goto fail;
	}
	/* The state directory exists once the key cache is set up; the database lives there too. */
	if ((app->auth = auth_new(&app->cfg, err, sizeof(err))) == NULL ||
	    (app->todos = todo_store_open(app->cfg.todo_db, app->cfg.todo_max, err, sizeof(err))) ==
	        NULL)
		goto fail;
	return;
fail:
	/* One line for the web server's error log; clients get a 500 (from us in CGI mode). */
	fprintf(stderr, "mcp.fcgi: configuration error: %s\n", err);
	if (request_is_cgi())
		fputs("Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\n"
		      "server configuration error\n",
		      stdout);
	exit(1);
}

int
main(void)
{
	struct app app = {0};
	struct request req;

	log_set_prog("mcp");
	/* A client that hangs up must not kill the worker: write() returns EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	app_init(&app);
	while (request_accept(&req) == 1) {
		struct audit_rec rec = {.req = &req};
		struct principal *principal = NULL;
		int64_t t0 = audit_now_us();

		handle(&app, &req, &rec, &principal);
		rec.duration_us = audit_now_us() - t0;
		audit_log(&rec);
		principal_free(principal);
		request_finish(&req);
	}
	todo_store_close(app.todos);
	auth_free(app.auth);
	tool_registry_free(app.reg);
	config_free(&app.cfg);
	return 0;
}
