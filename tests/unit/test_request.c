/*
 * Unit tests for src/lib/request.h in CGI mode: each case forks a child
 * whose environment and stdin are a CGI request (RFC 3875) and whose stdout
 * the parent reads back.
 */
#include "test.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/http/request.h"

static char out[8192];

/*
 * Runs one CGI request in a child: env is "NAME=value" strings, body goes to
 * stdin.  The child reads at most max body bytes and answers with its verdict.
 * Returns the child's stdout in out.
 */
static const char *
cgi_run(const char *const *env, const char *body, size_t max)
{
	int in[2], res[2];
	pid_t pid;

	if (pipe(in) != 0 || pipe(res) != 0)
		return "";
	if ((pid = fork()) == 0) {
		struct request req;
		struct response r;
		char text[1024];
		int more;

		clearenv();
		for (; *env != NULL; env++)
			putenv((char *)*env);
		dup2(in[0], STDIN_FILENO);
		dup2(res[1], STDOUT_FILENO);
		close(in[1]);
		if (request_accept(&req) != 1)
			_exit(2);
		struct err e = {0};
		int rc = request_read_body(&req, max, &e);
		snprintf(text, sizeof(text),
		         "rc=%d code=%d (%s) method=%s path=%s host=%s body=%s id=%zu cgi=%d", rc,
		         (int)e.code, e.msg, req.method, req.path, req.host ? req.host : "-",
		         req.body ? req.body : "-", strlen(req.request_id), request_is_cgi());
		response_init(&r, 200);
		response_header(&r, "X-Test", "%s", "yes");
		request_send(&req, &r, "text/plain", text, strlen(text));
		request_finish(&req);
		more = request_accept(&req);
		_exit(more == 0 ? 0 : 3);
	}
	close(in[0]);
	close(res[1]);
	/*
	 * A child that refuses the body (too long) may exit before it is
	 * written: the write then fails with EPIPE, not SIGPIPE, and the
	 * child's answer is read all the same.
	 */
	signal(SIGPIPE, SIG_IGN);
	if (body != NULL)
		(void)!write(in[1], body, strlen(body));
	close(in[1]);
	return test_child_output(res[0], pid, out, sizeof(out));
}

TEST(one_request_then_none)
{
	const char *env[] = {"REQUEST_METHOD=POST", "REQUEST_URI=/mcp?x=1", "HTTP_HOST=h:1",
	                     "CONTENT_LENGTH=5", NULL};
	const char *o = cgi_run(env, "hello", 100);

	CHECK_CONTAINS(o, "Status: 200 OK\r\nX-Test: yes\r\nContent-Type: text/plain\r\n");
	CHECK_CONTAINS(o, "rc=0 code=0 () method=POST path=/mcp host=h:1 body=hello id=32 cgi=1");
}

TEST(hostile_lengths)
{
	const char *big[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=101", NULL};
	const char *huge[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=99999999999999999999999",
	                      NULL};
	const char *neg[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=-1", NULL};
	const char *junk[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=5x", NULL};
	const char *shrt[] = {"REQUEST_METHOD=POST", "CONTENT_LENGTH=10", NULL};
	const char *none[] = {"SCRIPT_NAME=/cgi-bin/mcp", "PATH_INFO=/x", NULL};

	char too_large[64], invalid[64], shorter[128];

	snprintf(too_large, sizeof(too_large), "rc=-1 code=%d (Request body too large) ",
	         ERR_TOO_LARGE);
	snprintf(invalid, sizeof(invalid), "rc=-1 code=%d (Invalid Content-Length) ", ERR_INVALID);
	snprintf(shorter, sizeof(shorter),
	         "rc=-1 code=%d (Request body shorter than its Content-Length) method=POST path= "
	         "host=- body=abc",
	         ERR_INVALID);
	CHECK_CONTAINS(cgi_run(big, "x", 100), too_large); /* nothing read */
	CHECK_CONTAINS(cgi_run(big, "x", 100), "body=-");
	CHECK_CONTAINS(cgi_run(huge, "x", 100), invalid); /* not a number we accept */
	CHECK_CONTAINS(cgi_run(neg, "x", 100), invalid);
	CHECK_CONTAINS(cgi_run(junk, "x", 100), invalid);
	CHECK_CONTAINS(cgi_run(shrt, "abc", 100), shorter);
	/* No method: GET (RFC 3875 needs one; be safe); no REQUEST_URI: SCRIPT_NAME + PATH_INFO. */
	CHECK_CONTAINS(cgi_run(none, NULL, 100), "rc=0 code=0 () method=GET path=/cgi-bin/mcp/x");
}

TEST(head_sends_no_body)
{
	struct response r;

	response_init(&r, 200);
	response_set_head(&r);
	CHECK(r.head);
	response_init(&r, 200);
	CHECK(!r.head);
}

TEST_MAIN(TEST_CASE(one_request_then_none), TEST_CASE(hostile_lengths),
          TEST_CASE(head_sends_no_body))
