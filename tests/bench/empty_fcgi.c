/*
 * empty_fcgi.c - the FastCGI ceiling of make bench: a libfcgi responder that
 * does no work at all.  It reads and drops the body and answers a fixed JSON
 * document of the greet_user response's shape, through the same library,
 * the same web server and the same number of processes as the MCP endpoint.
 * What lighttpd and libfcgi cost per request is the most any FastCGI program
 * can reach; the endpoint's rows are reported as a fraction of this one.
 */
#include <fcgiapp.h>

static const char answer[] =
    "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\","
    "\"text\":\"Hi Ada, welcome!\"}],\"isError\":false}}";

int
main(void)
{
	FCGX_Request req;
	char buf[4096];

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		while (FCGX_GetStr(buf, (int)sizeof(buf), req.in) > 0)
			continue;
		FCGX_PutStr(answer, (int)sizeof(answer) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
