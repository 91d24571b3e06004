/*
 * main.c - cgi-bin/wellknown.fcgi: the metadata program.
 *
 * GET/HEAD /.well-known/oauth-protected-resource[/<resource path>]: the
 * RFC 9728 document, built once per process.  GET/HEAD /health: liveness
 * and readiness of the token check (the shared key cache).  The same binary
 * works as FastCGI and as CGI.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/auth/auth.h"
#include "lib/config/config.h"
#include "lib/core/err.h"
#include "lib/keycache/jwks_cache.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/http/request.h"
#include "lib/jose/token.h"
#include "mcp/catalog.h"
#include "wellknown/prm.h"

#define JSON_TYPE "application/json"
#define ALLOW     "GET, HEAD, OPTIONS"

struct app {
	struct config cfg;
	char *prm; /* the document, rendered once */
	size_t prm_len;
	struct jwks_cache *cache;
};

/* Sends body (len bytes) with status, leaving the body out for HEAD. */
static void
send_json(struct request *req, struct response *res, const char *body, size_t len)
{
	if (strcmp(req->method, "HEAD") == 0)
		response_set_head(res);
	request_send(req, res, JSON_TYPE, body, len);
}

/* A small JSON error document. */
static void
send_error(struct request *req, int status, const char *message)
{
	struct response res;
	char body[256];

	response_init(&res, status);
	if (status == 405)
		response_header(&res, "Allow", ALLOW);
	snprintf(body, sizeof(body), "{\"error\":\"%s\"}", message);
	request_send(req, &res, JSON_TYPE, body, strlen(body));
}

static void
serve_prm(const struct app *app, struct request *req)
{
	struct response res;

	response_init(&res, 200);
	response_header(&res, "Cache-Control", "public, max-age=%d", PRM_MAX_AGE);
	/* Browser-based clients (the MCP Inspector) fetch this cross-origin. */
	response_header(&res, "Access-Control-Allow-Origin", "*");
	send_json(req, &res, app->prm, app->prm_len);
}

static void
serve_health(const struct app *app, struct request *req)
{
	struct jwks_cache_status st = {0};
	const struct jwk_set *keys = NULL;
	int64_t now = (int64_t)time(NULL);
	struct response res;
	char *body;

	/* Readiness warms the cache: a cold cache is fetched here, not by the first client. */
	(void)jwks_cache_keys(app->cache, now, &keys, NULL);
	if (jwks_cache_status(app->cache, now, &st, NULL) != 0) {
		send_error(req, 500, "internal error");
		return;
	}
	body = prm_health_new(&st, now);
	response_init(&res, st.have_keys ? 200 : 503);
	response_header(&res, "Cache-Control", "no-store");
	send_json(req, &res, body, strlen(body));
	free(body);
}

static void
handle(const struct app *app, struct request *req)
{
	/* The bundle in a sub-folder: its /health and metadata there too. */
	const char *in_folder = prm_folder_path(&app->cfg, req->path);
	bool is_prm =
	    prm_path_matches(&app->cfg, req->path) || prm_path_matches(&app->cfg, in_folder);
	bool is_health = strcmp(req->path, "/health") == 0 || strcmp(in_folder, "/health") == 0;

	if (!config_serving_allowed(&app->cfg, req->document_root)) {
		send_error(req, 500, "server configuration error");
		return;
	}
	if (!is_prm && !is_health) {
		send_error(req, 404, "not found");
		return;
	}
	if (strcmp(req->method, "OPTIONS") == 0) {
		struct response res;
		response_init(&res, 204);
		response_header(&res, "Allow", ALLOW);
		response_header(&res, "Access-Control-Allow-Origin", "*");
		response_header(&res, "Access-Control-Allow-Methods", ALLOW);
		response_header(&res, "Access-Control-Allow-Headers", "MCP-Protocol-Version");
		response_header(&res, "Access-Control-Max-Age", "86400");
		request_send(req, &res, NULL, NULL, 0);
		return;
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		send_error(req, 405, "method not allowed");
		return;
	}
	if (is_prm)
		serve_prm(app, req);
	else
		serve_health(app, req);
}

int
main(void)
{
	struct app app = {0};
	struct request req;
	struct catalog catalog;
	struct err e = {0};

	log_set_prog("wellknown");
	signal(SIGPIPE, SIG_IGN);
	util_init();
	token_lib_init();
	if (config_load(&app.cfg, &e) != 0 || catalog_load(&catalog, app.cfg.tool_scopes, &e) != 0)
		request_startup_fail("wellknown.fcgi", e.msg);
	/* Without MCP_SCOPES_SUPPORTED, the metadata names what the tools need. */
	if (app.cfg.scopes_supported.n == 0)
		catalog_scopes_supported(&catalog, &app.cfg.required_scopes,
		                         &app.cfg.scopes_supported);
	catalog_free(&catalog);
	log_set_level(app.cfg.log_level);
	app.prm = prm_document_new(&app.cfg);
	app.prm_len = strlen(app.prm);
	if (auth_cache_open(&app.cfg, &app.cache, &e) != 0)
		request_startup_fail("wellknown.fcgi", e.msg);
	while (request_accept(&req) == 1) {
		handle(&app, &req);
		request_finish(&req);
	}
	jwks_cache_free(app.cache);
	free(app.prm);
	config_free(&app.cfg);
	return 0;
}
