/* Unit tests for src/mcp/audit.h: the audit line's fields and escaping. */
#include "test.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/http/request.h"
#include "lib/jose/token.h"
#include "mcp/audit.h"
#include "mcp/outcome.h"

#include "json_lines.h"

/* Writes the audit line through audit_log() into a file and returns its text (static). */
static const char *
audit_text(const struct request *req, const struct principal *p, const struct outcome *o,
           int64_t duration_us)
{
	static char buf[4096];
	char path[] = "/tmp/mcp-audit-XXXXXX";
	int fd = mkstemp(path);
	ssize_t n;

	close(fd);
	log_open(path);
	audit_log(req, p, o, duration_us);
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
	struct outcome o = {.kind = OUTCOME_ANSWERED,
	                    .status = 200,
	                    .n_msgs = 1,
	                    .msgs = {{.method = "tools/call", .tool = "create_todo"}}};
	const char *line = audit_text(&req, &p, &o, 1234);

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
	CHECK_INT(json_lines_bad(line), 0);
}

TEST(hostile_values_are_escaped_on_one_line)
{
	struct principal p = {.subject = "eve\n{\"forged\":true}\x01", .client_id = "caf\xe9\xff"};
	struct request req = {.method = "POST", .request_id = "x"};
	struct outcome o = {.kind = OUTCOME_UNAUTHORIZED,
	                    .auth = OUTCOME_AUTH_INVALID,
	                    .status = 401,
	                    .reason = "token expired"};
	const char *line = audit_text(&req, &p, &o, 0);

	CHECK_CONTAINS(line, "\"subject\":\"eve\\n{\\\"forged\\\":true}\\u0001\"");
	/* Claims that are not UTF-8 (a token's JSON is not checked for it) are made so. */
	CHECK_CONTAINS(line, "\"client_id\":\"caf\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK_INT(json_lines_bad(line), 0);
	CHECK(strchr(line, '\n') == line + strlen(line) - 1);
	CHECK(strstr(line, "\"scopes\"") != NULL);
	CHECK_CONTAINS(line, "\"decision\":\"401 token expired\",\"status\":401");
	CHECK(audit_now_us() > 0);
}

/* Each kind of outcome has its decision text, and the first JSON-RPC error is named. */
TEST(decisions)
{
	struct request req = {.method = "POST", .request_id = "x"};
	struct outcome o = {.kind = OUTCOME_PREFLIGHT, .status = 204};

	CHECK_CONTAINS(audit_text(&req, NULL, &o, 0), "\"decision\":\"preflight\",\"status\":204");
	o = (struct outcome){.kind = OUTCOME_REFUSED, .status = 415};
	CHECK_CONTAINS(audit_text(&req, NULL, &o, 0), "\"decision\":\"refused\",\"status\":415");
	o = (struct outcome){.kind = OUTCOME_UNAUTHORIZED,
	                     .auth = OUTCOME_AUTH_UNAVAILABLE,
	                     .status = 503,
	                     .reason = "signing keys unavailable"};
	CHECK_CONTAINS(audit_text(&req, NULL, &o, 0),
	               "\"decision\":\"503 signing keys unavailable\",\"status\":503");
	o = (struct outcome){.kind = OUTCOME_ANSWERED,
	                     .auth = OUTCOME_AUTH_SCOPE,
	                     .status = 403,
	                     .scope = "todo:write todo:read",
	                     .n_msgs = 1,
	                     .msgs = {{.method = "tools/call",
	                               .tool = "create_todo",
	                               .rpc_error = -32003,
	                               .needs = "todo:write"}}};
	CHECK_CONTAINS(audit_text(&req, NULL, &o, 0),
	               "\"method\":\"tools/call\",\"tool\":\"create_todo\",\"decision\":\"403 "
	               "missing todo:write\",\"status\":403,\"rpc_error\":-32003");
	/* A single message is one line, without batch fields. */
	CHECK(strstr(audit_text(&req, NULL, &o, 0), "\"message\"") == NULL);
}

/*
 * A batch cannot hide a call: each message is its own line, with its own
 * method, tool, decision and error, all under the request's id.
 */
TEST(one_line_per_message_of_a_batch)
{
	struct request req = {.method = "POST", .request_id = "r42"};
	struct outcome o = {.kind = OUTCOME_ANSWERED,
	                    .auth = OUTCOME_AUTH_SCOPE,
	                    .status = 200,
	                    .batch = true,
	                    .n_msgs = 3,
	                    .msgs = {{.method = "tools/call",
	                              .tool = "delete_todo",
	                              .rpc_error = -32003,
	                              .needs = "todo:write"},
	                             {.method = "tools/call", .tool = "greet_user"},
	                             {.rpc_error = -32600}}};
	const char *text = audit_text(&req, NULL, &o, 7);
	const char *l2 = strchr(text, '\n'), *l3 = l2 != NULL ? strchr(l2 + 1, '\n') : NULL;

	CHECK(l3 != NULL && strchr(l3 + 1, '\n') == text + strlen(text) - 1);
	CHECK_INT(json_lines_bad(text), 0);
	CHECK_CONTAINS(text, "\"request_id\":\"r42\",\"http_method\":\"POST\",\"message\":0,"
	                     "\"messages\":3,\"method\":\"tools/call\",\"tool\":\"delete_todo\","
	                     "\"decision\":\"403 missing todo:write\",\"status\":200,"
	                     "\"rpc_error\":-32003");
	CHECK_CONTAINS(l2, "\"message\":1,\"messages\":3,\"method\":\"tools/call\","
	                   "\"tool\":\"greet_user\",\"decision\":\"allowed\",\"status\":200,"
	                   "\"duration_us\":7}");
	CHECK_CONTAINS(l3, "\"message\":2,\"messages\":3,\"decision\":\"allowed\",\"status\":200,"
	                   "\"rpc_error\":-32600");
}

/*
 * The line is written as text: every byte value, well-formed sequences of
 * two, three and four bytes and broken ones come out exactly as cJSON
 * prints the same value made valid UTF-8 (what the line was before).
 */
TEST(strings_as_cjson_prints_them)
{
	char subject[512];
	size_t n = 0;
	struct principal p = {.subject = subject};
	struct request req = {.method = "POST", .request_id = "x"};
	struct outcome o = {.kind = OUTCOME_PREFLIGHT, .status = 204};
	const char *tail = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x82\xc3\xed\xa0\x80\xf4\x90";
	char *clean, *want, field[2048];
	cJSON *s;

	for (int c = 1; c < 256; c++)
		subject[n++] = (char)c;
	memcpy(subject + n, tail, strlen(tail) + 1);
	clean = utf8_dup(subject);
	s = cJSON_CreateString(clean);
	want = cJSON_PrintUnformatted(s);
	snprintf(field, sizeof(field), "\"subject\":%s,\"scopes\":[]", want);
	CHECK_CONTAINS(audit_text(&req, &p, &o, 0), field);
	CHECK_INT(json_lines_bad(audit_text(&req, &p, &o, 0)), 0);
	free(want);
	cJSON_Delete(s);
	free(clean);
}

TEST_MAIN(TEST_CASE(fields), TEST_CASE(hostile_values_are_escaped_on_one_line),
          TEST_CASE(decisions), TEST_CASE(one_line_per_message_of_a_batch),
          TEST_CASE(strings_as_cjson_prints_them))
