/* Unit tests for src/mcp/audit.h: the audit line's fields and escaping. */
#include "test.h"

#include <fcntl.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/http/request.h"
#include "lib/jose/token.h"
#include "mcp/audit.h"

/* Writes rec through audit_log() into a file and returns its text (static). */
static const char *
audit_text(const struct audit_rec *rec)
{
	static char buf[4096];
	char path[] = "/tmp/mcp-audit-XXXXXX";
	int fd = mkstemp(path);
	ssize_t n;

	close(fd);
	log_open(path);
	audit_log(rec);
	log_open(NULL);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return buf;
}

TEST(fields)
{
	char *scopes[] = {"todo:read", "todo:write"};
	struct principal p = {.subject = "alice",
	                      .client_id = "app",
	                      .org_id = "org_1",
	                      .scopes = scopes,
	                      .n_scopes = 2};
	struct request req = {.method = "POST",
	                      .remote_addr = "127.0.0.1",
	                      .authorization = "Bearer secret.token.value",
	                      .request_id = "0123456789abcdef0123456789abcdef"};
	struct audit_rec rec = {.req = &req,
	                        .principal = &p,
	                        .rpc_method = "tools/call",
	                        .tool = "create_todo",
	                        .decision = "allowed",
	                        .status = 200,
	                        .duration_us = 1234};
	const char *line = audit_text(&rec);

	CHECK_CONTAINS(line, "\"type\":\"audit\"");
	CHECK_CONTAINS(line, "\"request_id\":\"0123456789abcdef0123456789abcdef\"");
	CHECK_CONTAINS(line, "\"remote\":\"127.0.0.1\"");
	CHECK_CONTAINS(line, "\"subject\":\"alice\",\"client_id\":\"app\",\"org_id\":\"org_1\","
	                     "\"scopes\":[\"todo:read\",\"todo:write\"]");
	CHECK_CONTAINS(line, "\"method\":\"tools/call\",\"tool\":\"create_todo\"");
	CHECK_CONTAINS(line, "\"decision\":\"allowed\",\"status\":200");
	CHECK_CONTAINS(line, "\"duration_us\":1234}\n");
	/* The credential never reaches the log. */
	CHECK(strstr(line, "secret") == NULL);
}

TEST(hostile_values_are_escaped_on_one_line)
{
	struct principal p = {.subject = "eve\n{\"forged\":true}\x01"};
	struct request req = {.method = "POST", .request_id = "x"};
	struct audit_rec rec = {
	    .req = &req, .principal = &p, .decision = "401 token expired", .status = 401};
	const char *line = audit_text(&rec);

	CHECK_CONTAINS(line, "\"subject\":\"eve\\n{\\\"forged\\\":true}\\u0001\"");
	CHECK(strchr(line, '\n') == line + strlen(line) - 1);
	CHECK(strstr(line, "\"scopes\"") != NULL);
	CHECK(audit_now_us() > 0);
}

TEST_MAIN(TEST_CASE(fields), TEST_CASE(hostile_values_are_escaped_on_one_line))
