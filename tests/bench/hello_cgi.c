/*
 * hello_cgi.c - the CGI baseline of make bench: what any CGI program must do
 * (read the body, print a fixed JSON answer), and nothing else.  The MCP
 * endpoint's CGI cost is reported as a multiple of this program's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(void)
{
	const char *cl = getenv("CONTENT_LENGTH");
	long left = cl != NULL ? strtol(cl, NULL, 10) : 0;
	char buf[4096];
	ssize_t n;

	while (left > 0 && (n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		left -= n;
	fputs("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
	      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\","
	      "\"text\":\"Hi Ada, welcome!\"}],\"isError\":false}}",
	      stdout);
	return 0;
}
