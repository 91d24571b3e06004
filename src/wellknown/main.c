/*
 * main.c - cgi-bin/wellknown.fcgi: the metadata program.
 *
 * Serves GET /health now; the OAuth protected-resource metadata document
 * (RFC 9728) arrives with the resource-server milestone.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/log.h"
#include "lib/request.h"

int
main(void)
{
	struct config cfg;
	struct request req;
	char err[512];

	log_set_prog("wellknown");
	signal(SIGPIPE, SIG_IGN);
	if (config_load(&cfg, err, sizeof(err)) != CONFIG_OK) {
		fprintf(stderr, "wellknown.fcgi: configuration error: %s\n", err);
		return 1;
	}
	while (request_accept(&req) == 1) {
		static const char body[] = "{\"status\":\"ok\"}";
		struct response res;

		response_init(&res, 200);
		response_header(&res, "Cache-Control", "no-store");
		request_send(&req, &res, "application/json", body, sizeof(body) - 1);
		request_finish(&req);
	}
	config_free(&cfg);
	return 0;
}
