/*
 * main.c - cgi-bin/mcp.fcgi: the MCP endpoint, as FastCGI or CGI.
 *
 * Start-up builds everything costly once (configuration, tool registry);
 * the loop then answers requests until the web server stops it.  In CGI
 * mode the loop runs once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/auth/auth.h"
#include "lib/config/config.h"
#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/http/request.h"
#include "lib/jose/token.h"
#include "lib/core/util.h"
#include "mcp/audit.h"
#include "mcp/catalog.h"
#include "mcp/dispatch.h"
#include "mcp/limits.h"
#include "mcp/outcome.h"
#include "mcp/reply.h"
#include "mcp/todo_store.h"
#include "mcp/tool.h"
#include "mcp/transport.h"

/* What the process builds once and every request reads. */
struct app {
	struct config cfg;
	struct tool_registry *reg;
	struct auth *auth;
	struct todo_store *todos;
	struct limits *limits;
};

/*
 * The authentication step: the verified principal, or the RFC 6750 §3.1
 * refusal in *out: 401 without an error code when no token came, 400
 * invalid_request for malformed or doubled credentials, 401 invalid_token
 * when a token was refused, 503 when no keys can be had.
 */
static struct principal *
authenticate(const struct app *app, const struct request *req, struct outcome *out)
{
	struct principal *p = NULL;
	struct err e;

	if (auth_check(app->auth, req->authorization, req->query, (int64_t)time(NULL), &p, &e) == 0)
		return p;
	outcome_unauthorized(out,
	                     e.code == ERR_NOT_FOUND     ? OUTCOME_AUTH_MISSING
	                     : e.code == ERR_INVALID     ? OUTCOME_AUTH_MALFORMED
	                     : e.code == ERR_UNAVAILABLE ? OUTCOME_AUTH_UNAVAILABLE
	                                                 : OUTCOME_AUTH_INVALID,
	                     e.msg);
	return NULL;
}

/* Reads the body; on failure sets the refusal (413 or 400) and returns false. */
static bool
read_body(const struct app *app, struct request *req, struct outcome *out)
{
	struct err e;

	if (request_read_body(req, app->cfg.max_body, &e) == 0)
		return true;
	outcome_refuse(out, e.code == ERR_TOO_LARGE ? 413 : 400, e.msg);
	return false;
}

/*
 * Decides one request into *out, in the order of the Streamable HTTP
 * transport: peer checks, CORS preflight, the token (every method but
 * OPTIONS, so a client probing with GET learns where to authenticate),
 * the POST rules, the body, then the JSON-RPC messages.
 */
static void
handle(const struct app *app, struct request *req, struct outcome *out,
       struct principal **principal)
{
	struct dispatch_ctx ctx = {.reg = app->reg,
	                           .cfg = &app->cfg,
	                           .request_id = req->request_id,
	                           .todos = app->todos,
	                           .limits = app->limits};
	struct outcome_limit lim = {.quota = 0};

	if (!config_serving_allowed(&app->cfg, req->document_root)) {
		outcome_refuse(out, 500, "server configuration error");
		return;
	}
	if (!transport_peer_ok(&app->cfg, req, out))
		return;
	if (transport_is_preflight(req)) {
		outcome_preflight(out);
		return;
	}
	if ((*principal = authenticate(app, req, out)) == NULL) {
		/*
		 * The 401 path (which may verify signatures and refresh keys) is
		 * limited per address; a 503 for want of keys is no client's doing.
		 */
		if (out->status != 503 && !limits_anon(app->limits, req->remote_addr, &lim))
			outcome_rate_limited(out, &lim);
		return;
	}
	ctx.principal = *principal;
	if (!transport_post_ok(req, &ctx.protocol_version, out) || !read_body(app, req, out))
		return;
	dispatch_body(&ctx, req->body, req->body_len, out);
}

/* Loads the configuration and the tools; exits with one line on failure. */
static void
app_init(struct app *app)
{
	struct err e = {0};

	util_init();
	token_lib_init();
	if (config_load(&app->cfg, &e) != 0)
		goto fail;
	log_set_level(app->cfg.log_level);
	if (app->cfg.log_file != NULL && log_open(app->cfg.log_file) != 0) {
		err_set(&e, ERR_CONFIG, CONFIG_LOG_FILE ": cannot open %s", app->cfg.log_file);
		goto fail;
	}
	if ((app->reg = tool_registry_new(app->cfg.tool_scopes, &e)) == NULL)
		goto fail;
	/* Without MCP_SCOPES_SUPPORTED, every challenge names what the tools need. */
	if (app->cfg.scopes_supported.n == 0)
		catalog_scopes_supported(tool_registry_catalog(app->reg), &app->cfg.required_scopes,
		                         &app->cfg.scopes_supported);
	if ((app->limits = limits_new(app->reg, app->cfg.state_dir, app->cfg.database_url, &e)) ==
	    NULL)
		goto fail;
	if ((app->auth = auth_new(&app->cfg, &e)) == NULL)
		goto fail;
	/* Opened by the first todo tool call: other requests never load the database. */
	app->todos =
	    todo_store_new(app->cfg.database_url != NULL ? app->cfg.database_url : app->cfg.todo_db,
	                   app->cfg.todo_max_per_owner, app->cfg.issuers.v[0]);
	return;
fail:
	request_startup_fail("mcp.fcgi", e.msg);
}

int
main(void)
{
	struct app app = {0};
	struct request req;
	/*
	 * Zeroed once: outcome_clear() at the end of each request resets what
	 * the next one reads, and outcome_next_msg() zeroes each message it
	 * hands out; zeroing the whole table (12 KB) per request cost a tenth
	 * of an authenticated call's instructions.
	 */
	struct outcome out = {0};

	log_set_prog("mcp");
	/* A client that hangs up must not kill the worker: write() returns EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	app_init(&app);
	while (request_accept(&req) == 1) {
		struct principal *principal = NULL;
		int64_t t0 = audit_now_us();

		handle(&app, &req, &out, &principal);
		reply_send(&app.cfg, &req, &out);
		audit_log(&req, principal, &out, audit_now_us() - t0);
		log_msg(LOGL_DEBUG, "request %s: %d %s", req.request_id, out.status, out.reason);
		outcome_clear(&out);
		principal_free(principal);
		request_finish(&req);
	}
	todo_store_close(app.todos);
	auth_free(app.auth);
	limits_free(app.limits);
	tool_registry_free(app.reg);
	config_free(&app.cfg);
	return 0;
}
