/* Unit tests for src/mcp/dispatch.h: MCP methods, batches, error mapping. */
#include "test.h"
#include "tmpdir.h"

#include <stdlib.h>

#include "lib/config/config.h"
#include "lib/jose/token.h"
#include "mcp/dispatch.h"
#include "mcp/jsonrpc.h"
#include "mcp/outcome.h"
#include "mcp/todo_store.h"
#include "mcp/tool.h"

static struct tool_registry *reg;
static struct config cfg = {.resource_name = "test server"};
static struct outcome out;

/* Dispatches body for principal p under version; the response body stays in out. */
static const char *
call_as(const struct principal *p, const char *version, const char *body)
{
	struct dispatch_ctx ctx = {.reg = reg,
	                           .cfg = &cfg,
	                           .principal = p,
	                           .protocol_version = version,
	                           .request_id = "t"};

	dispatch_body(&ctx, body, strlen(body), &out);
	return out.body;
}

/* Dispatches body under version for a caller without a token's claims. */
static const char *
call(const char *version, const char *body)
{
	struct dispatch_ctx ctx = {
	    .reg = reg, .cfg = &cfg, .protocol_version = version, .request_id = "t"};

	dispatch_body(&ctx, body, strlen(body), &out);
	return out.body;
}

static int
setup(void)
{
	struct err e;

	util_init(); /* as the endpoint runs: bodies parsed in the JSON arena */
	if ((reg = tool_registry_new(NULL, &e)) == NULL)
		fprintf(stderr, "tool_registry_new: %s\n", e.msg);
	return reg != NULL ? 0 : -1;
}

static void
cleanup(void)
{
	outcome_clear(&out);
	tool_registry_free(reg);
}

TEST(registry_builds)
{
	struct err e = {0};
	struct tool_registry *r = tool_registry_new(NULL, &e);

	CHECK(r != NULL);
	CHECK_ERR(e, ERR_OK, "");
	CHECK(tool_registry_find(r, "greet_user") != NULL);
	CHECK(tool_registry_find(r, "nope") == NULL);
	tool_registry_free(r);
	/* The operator's scope map is checked at start-up: one line naming the variable. */
	CHECK(tool_registry_new("nope=x", &e) == NULL);
	CHECK_ERR(e, ERR_CONFIG, "MCP_TOOL_SCOPES: no tool named \"nope\"");
	CHECK(tool_registry_new("greet_user", &e) == NULL);
	CHECK_ERR(e, ERR_CONFIG, "MCP_TOOL_SCOPES: \"greet_user\" is not tool=scopes");
	r = tool_registry_new(" greet_user = a:b c ;\ncreate_todo=-", &e);
	CHECK(r != NULL && tool_registry_find(r, "greet_user")->n_scopes == 2 &&
	      tool_registry_find(r, "create_todo")->n_scopes == 0);
	tool_registry_free(r);
}

TEST(parse_errors)
{
	CHECK_CONTAINS(call("2025-06-18", "{\"jsonrpc\":"), "\"code\":-32700");
	CHECK_INT(out.status, 400);
	CHECK_CONTAINS(call("2025-06-18", ""), "\"code\":-32700");
	CHECK_CONTAINS(call("2025-06-18", "\"just a string\""), "\"code\":-32600");
	CHECK_INT(out.status, 400);
	/* Trailing garbage after a valid document is not valid JSON either. */
	CHECK_CONTAINS(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} x"),
	               "-32700");
}

TEST(initialize_negotiates)
{
	CHECK_CONTAINS(call("2025-03-26", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	                                  "\"params\":{\"protocolVersion\":\"2024-11-05\"}}"),
	               "\"protocolVersion\":\"2024-11-05\"");
	CHECK_CONTAINS(call("2025-03-26", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
	                                  "\"params\":{\"protocolVersion\":\"1999-01-01\"}}"),
	               "\"protocolVersion\":\"2025-11-25\"");
	CHECK_CONTAINS(out.body, "\"serverInfo\":{\"name\":\"mcp-fcgi\"");
	CHECK_CONTAINS(out.body, "\"tools\":{\"listChanged\":false}");
	CHECK_CONTAINS(out.body, "\"logging\":{}");
	CHECK_CONTAINS(
	    call("2025-03-26", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\"}"),
	    "-32602");
	CHECK_INT(out.status, 200);
}

TEST(methods)
{
	CHECK_STR(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"ping\"}"),
	          "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"result\":{}}");
	CHECK_STR(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"nope\"}"),
	          "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32601,\"message\":\"method "
	          "not found\"}}");
	CHECK_INT(out.status, 200);
	CHECK_INT(out.msgs[0].rpc_error, -32601);
	CHECK_STR(out.msgs[0].method, "nope");
	CHECK_CONTAINS(call("2025-06-18",
	                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"logging/setLevel\","
	                    "\"params\":{\"level\":\"warning\"}}"),
	               "\"result\":{}");
	CHECK_CONTAINS(call("2025-06-18",
	                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"logging/setLevel\","
	                    "\"params\":{\"level\":\"loud\"}}"),
	               "-32602");
	CHECK_CONTAINS(
	    call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}"),
	    "\"name\":\"greet_user\"");
	CHECK_CONTAINS(out.body, "\"inputSchema\":{\"type\":\"object\"");
	CHECK_CONTAINS(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\","
	                                  "\"params\":{\"cursor\":\"zzz\"}}"),
	               "-32602");
}

TEST(tools_call)
{
	char *scopes[] = {"todo:read"};
	const struct principal reader = {.subject = "r", .scopes = scopes, .n_scopes = 1};

	CHECK_STR(call("2025-06-18",
	               "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
	               "\"params\":{\"name\":\"greet_user\",\"arguments\":{\"name\":\"Ada\"}}}"),
	          "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\","
	          "\"text\":\"Hi Ada, welcome!\"}]}}");
	CHECK_STR(out.msgs[0].tool, "greet_user");
	CHECK_STR(out.msgs[0].method, "tools/call");
	CHECK_CONTAINS(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
	                                  "\"params\":{\"name\":\"nope\"}}"),
	               "\"code\":-32602,\"message\":\"unknown tool\"");
	CHECK_CONTAINS(
	    call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\"}"),
	    "-32602");
	/* Arguments that break the schema are a tool error naming the argument and the rule. */
	CHECK_STR(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
	                             "\"params\":{\"name\":\"greet_user\"}}"),
	          "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\","
	          "\"text\":\"invalid arguments: name: is required\"}],\"isError\":true}}");
	CHECK_INT(out.status, 200);
	CHECK_INT(out.msgs[0].rpc_error, 0);
	CHECK_CONTAINS(call("2025-06-18",
	                    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
	                    "\"params\":{\"name\":\"greet_user\",\"arguments\":{\"name\":5}}}"),
	               "\"text\":\"invalid arguments: name: must be of type string\"}],"
	               "\"isError\":true}");
	CHECK_CONTAINS(call("2025-06-18",
	                    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
	                    "\"params\":{\"name\":\"greet_user\",\"arguments\":[\"x\"]}}"),
	               "\"text\":\"invalid arguments: arguments: must be of type object\"}],"
	               "\"isError\":true}");
	/* list_todos' page size: too small and too large are the same kind of answer. */
	CHECK_CONTAINS(call_as(&reader, "2025-06-18",
	                       "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
	                       "\"params\":{\"name\":\"list_todos\",\"arguments\":{\"limit\":0}}}"),
	               "\"invalid arguments: limit: must be at least 1\"}],\"isError\":true}");
	CHECK_CONTAINS(
	    call_as(&reader, "2025-06-18",
	            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
	            "\"params\":{\"name\":\"list_todos\",\"arguments\":{\"limit\":500}}}"),
	    "\"invalid arguments: limit: must be at most 100\"}],\"isError\":true}");
	/* A malformed params (no name) and an unknown tool stay protocol errors. */
	CHECK_CONTAINS(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\","
	                                  "\"params\":{\"arguments\":{}}}"),
	               "\"code\":-32602,\"message\":\"name is required\"");
}

TEST(batches)
{
	const char *batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
	                    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
	                    "{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"nope\"}, 3]";

	CHECK_STR(
	    call("2025-03-26", batch),
	    "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}},{\"jsonrpc\":\"2.0\",\"id\":\"b\","
	    "\"error\":{\"code\":-32601,\"message\":\"method not found\"}},{\"jsonrpc\":\"2.0\","
	    "\"id\":null,\"error\":{\"code\":-32600,\"message\":\"a message must be a JSON "
	    "object\"}}]");
	CHECK_INT(out.status, 200);
	/* Every message is recorded, each with what it came to. */
	CHECK(out.batch);
	CHECK_INT(out.n_msgs, 4);
	CHECK_STR(out.msgs[1].method, "notifications/initialized");
	CHECK_INT(out.msgs[2].rpc_error, -32601);
	CHECK_INT(out.msgs[3].rpc_error, -32600);
	CHECK_CONTAINS(call("2025-06-18", batch), "\"code\":-32600");
	CHECK_INT(out.status, 400);
	CHECK_CONTAINS(call("2025-11-25", batch), "\"code\":-32600");
	CHECK_CONTAINS(call("2025-03-26", "[]"), "empty batch");
	CHECK_INT(out.status, 400);
	CHECK(call("2025-03-26", "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}]") == NULL);
	CHECK_INT(out.status, 202);
}

/* Ids come back as they were written, or the message is refused (README: ids). */
TEST(ids_exact_or_refused)
{
	CHECK_STR(
	    call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":9007199254740991,\"method\":\"ping\"}"),
	    "{\"jsonrpc\":\"2.0\",\"id\":9007199254740991,\"result\":{}}");
	CHECK_STR(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":1e2,\"method\":\"ping\"}"),
	          "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"id "
	          "must be a string or an integer written in digits\"}}");
	CHECK_INT(out.status, 400);
	CHECK_CONTAINS(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":-0,\"method\":\"ping\"}"),
	               "\"id\":null,\"error\":{\"code\":-32600");
	/* In a batch, only the element with such an id is refused. */
	CHECK_STR(call("2025-03-26", "[{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"},"
	                             "{\"jsonrpc\":\"2.0\",\"id\":7.0,\"method\":\"ping\"}]"),
	          "[{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}},{\"jsonrpc\":\"2.0\",\"id\":null,"
	          "\"error\":{\"code\":-32600,\"message\":\"id must be a string or an integer "
	          "written in digits\"}}]");
	CHECK_INT(out.status, 200);
}

TEST(notifications_and_responses_get_202)
{
	CHECK(call("2025-06-18",
	           "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}") == NULL);
	CHECK_INT(out.status, 202);
	CHECK(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}") == NULL);
	CHECK_INT(out.status, 202);
	/* An invalid single message is a 400 with the id it carried. */
	CHECK_CONTAINS(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":7}"),
	               "\"id\":9");
	CHECK_INT(out.status, 400);
}

TEST(scopes_refused_with_the_request_id)
{
	char *scopes[] = {"todo:read"};
	struct principal p = {.subject = "alice", .scopes = scopes, .n_scopes = 1};
	struct dispatch_ctx ctx = {.reg = reg,
	                           .cfg = &cfg,
	                           .principal = &p,
	                           .protocol_version = "2025-06-18",
	                           .request_id = "t"};
	const char *create = "{\"jsonrpc\":\"2.0\",\"id\":305,\"method\":\"tools/call\","
	                     "\"params\":{\"name\":\"create_todo\",\"arguments\":{}}}";
	const char *ping = "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"ping\"}";

	dispatch_body(&ctx, create, strlen(create), &out);
	CHECK_INT(out.status, 403);
	CHECK_INT(out.auth, OUTCOME_AUTH_SCOPE);
	CHECK_STR(out.scope, "todo:write");
	CHECK_STR(out.needs, "todo:write");
	CHECK_STR(out.msgs[0].needs, "todo:write");
	CHECK_STR(out.body, "{\"jsonrpc\":\"2.0\",\"id\":305,\"error\":{\"code\":-32003,"
	                    "\"message\":\"insufficient scope: this call needs todo:write\"}}");
	/*
	 * The step-up keeps what the client has: the scopes it holds that the
	 * server knows join the challenge, so re-authorising for todo:write does
	 * not lose todo:read (MCP 2025-11-25, scope challenge handling).
	 */
	strlist_split(&cfg.scopes_supported, "todo:read todo:write");
	dispatch_body(&ctx, create, strlen(create), &out);
	CHECK_STR(out.scope, "todo:write todo:read");
	CHECK_STR(out.needs, "todo:write");
	strlist_free(&cfg.scopes_supported);
	/* MCP_REQUIRED_SCOPES joins every call's needs, tool calls and the rest alike. */
	strlist_add(&cfg.required_scopes, "mcp:access");
	dispatch_body(&ctx, create, strlen(create), &out);
	CHECK_INT(out.status, 403);
	CHECK_STR(out.scope, "mcp:access todo:write");
	dispatch_body(&ctx, ping, strlen(ping), &out);
	CHECK_INT(out.status, 403);
	CHECK_CONTAINS(out.body, "\"id\":\"p\",\"error\":{\"code\":-32003");
	CHECK_STR(out.scope, "mcp:access");
	strlist_free(&cfg.required_scopes);
}

TEST(hostile_bodies)
{
	char batch[8192] = "[";
	char *scopes[] = {"todo:read"};
	struct principal p = {.client_id = "u1", .scopes = scopes, .n_scopes = 1};
	struct dispatch_ctx ctx = {.reg = reg,
	                           .cfg = &cfg,
	                           .principal = &p,
	                           .protocol_version = "2025-03-26",
	                           .request_id = "t"};
	const char *mixed =
	    "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"create_todo\",\"arguments\":{\"title\":\"x\"}}},"
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}]";
	const char *nosub = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
	                    "\"params\":{\"name\":\"list_todos\"}}";

	/* A NUL smuggled into a string, or bytes that are not UTF-8: not JSON we accept. */
	CHECK_CONTAINS(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":\"a\\u0000b\","
	                                  "\"method\":\"ping\"}"),
	               "-32700");
	CHECK_CONTAINS(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	                                  "\"params\":{\"name\":\"greet_user\",\"arguments\":"
	                                  "{\"name\":\"a\x80\x80\x80\"}}}"),
	               "-32700");
	CHECK_INT(out.status, 400);
	/* Batches are bounded. */
	for (int i = 0; i < JSONRPC_BATCH_MAX + 1; i++)
		strcat(batch, i ? ",{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"
		                : "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
	strcat(batch, "]");
	CHECK_CONTAINS(call("2025-03-26", batch), "batch too large");
	CHECK_INT(out.status, 400);
	/*
	 * One refused call in a batch is that element's error; the batch is
	 * answered 200, with the challenge for the refused element.
	 */
	dispatch_body(&ctx, mixed, strlen(mixed), &out);
	CHECK_INT(out.status, 200);
	CHECK_INT(out.auth, OUTCOME_AUTH_SCOPE);
	CHECK_STR(out.scope, "todo:write");
	CHECK_STR(out.msgs[0].needs, "todo:write");
	CHECK_STR(out.msgs[1].needs, "");
	CHECK_CONTAINS(out.body, "\"id\":1,\"error\":{\"code\":-32003");
	CHECK_CONTAINS(out.body, "\"id\":2,\"result\":{}");
	/* A token without sub owns no todos, whatever its client id. */
	dispatch_body(&ctx, nosub, strlen(nosub), &out);
	CHECK_CONTAINS(out.body, "\"isError\":true");
	CHECK_CONTAINS(out.body, "no subject");
}

/*
 * A todo tool whose database cannot be reached (a PostgreSQL URL on a port
 * nobody listens on): a single call is 503 with Retry-After and a -32004
 * error keeping the id; in a batch, that element's error, the others'
 * results, and the batch's 200 with Retry-After.
 */
TEST(database_unavailable_is_503_or_the_element_error)
{
	char *scopes[] = {"todo:read", "todo:write"};
	struct principal p = {.subject = "alice", .scopes = scopes, .n_scopes = 2};
	struct todo_store *down =
	    todo_store_new("postgresql://mcp@127.0.0.1:1/mcp?connect_timeout=2", 10, "https://as");
	struct dispatch_ctx ctx = {.reg = reg,
	                           .cfg = &cfg,
	                           .principal = &p,
	                           .protocol_version = "2025-03-26",
	                           .request_id = "t",
	                           .todos = down};
	const char *list = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
	                   "\"params\":{\"name\":\"list_todos\",\"arguments\":{}}}";
	const char *batch =
	    "[{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\"},"
	    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"create_todo\",\"arguments\":{\"title\":\"x\"}}}]";

	dispatch_body(&ctx, list, strlen(list), &out);
	CHECK_INT(out.status, 503);
	CHECK_INT(out.retry_after, TODO_RETRY_AFTER);
	CHECK_STR(out.body, "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32004,"
	                    "\"message\":\"temporarily unavailable: retry after 5 seconds\","
	                    "\"data\":{\"retryAfter\":5}}}");
	CHECK_INT(out.msgs[0].rpc_error, MCP_ERROR_UNAVAILABLE);
	dispatch_body(&ctx, batch, strlen(batch), &out);
	CHECK_INT(out.status, 200);
	CHECK_INT(out.retry_after, TODO_RETRY_AFTER);
	CHECK_CONTAINS(out.body, "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":{}}");
	CHECK_CONTAINS(out.body, "\"id\":9,\"error\":{\"code\":-32004");
	/* Other tools are not touched by the database. */
	dispatch_body(&ctx,
	              "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":{"
	              "\"name\":\"greet_user\",\"arguments\":{\"name\":\"Ada\"}}}",
	              strlen("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":{"
	                     "\"name\":\"greet_user\",\"arguments\":{\"name\":\"Ada\"}}}"),
	              &out);
	CHECK_INT(out.status, 200);
	CHECK_INT(out.retry_after, 0);
	todo_store_close(down);
}

/*
 * Checks that the result in out.body carries as its text block exactly what
 * cJSON prints for its structuredContent, and that structuredContent is
 * written as cJSON prints it.
 */
static void
check_text_is_structured(void)
{
	cJSON *r = cJSON_Parse(out.body);
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
	const cJSON *block =
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "content"), 0);
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(block, "text");
	char *printed =
	    cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(res, "structuredContent"));

	CHECK(cJSON_IsString(text) && printed != NULL);
	if (cJSON_IsString(text) && printed != NULL) {
		CHECK_STR(text->valuestring, printed);
		CHECK_CONTAINS(out.body, printed);
	}
	free(printed);
	cJSON_Delete(r);
}

/*
 * The todo tools write a todo's JSON and its text block in one pass
 * (todo_json_write, jsontext_pair): the text block is exactly the
 * structuredContent's text, for titles and descriptions with quotes,
 * backslashes, controls and non-ASCII, in a page with a next cursor, a last
 * page, and one todo.
 */
TEST(todo_text_blocks_are_their_structured_content)
{
	static const char *const texts[] = {"plain",
	                                    "say \"hi\"",
	                                    "back\\slash \\\"",
	                                    "tab\there\nnew",
	                                    "caf\xc3\xa9 \xe2\x82\xac",
	                                    "\x01\x1f\x7f"};
	const size_t n_texts = sizeof(texts) / sizeof(texts[0]);
	char dir[] = "/tmp/mcp-dispatch-XXXXXX", path[256], get[256];
	char *scopes[] = {"todo:read"};
	struct principal p = {.subject = "alice", .scopes = scopes, .n_scopes = 1};
	const struct todo_owner owner = {"", "alice", ""};
	struct todo_store *db = NULL;
	struct todo t = {0};
	struct err e;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/todos.sqlite", dir);
	CHECK((db = todo_store_open(path, 100, "https://as", &e)) != NULL);
	if (db == NULL)
		return;
	for (size_t i = 0; i < n_texts; i++) {
		todo_clear(&t);
		CHECK_INT(todo_create(db, &owner, texts[i], texts[(i + 1) % n_texts], &t, &e), 0);
	}
	struct dispatch_ctx ctx = {.reg = reg,
	                           .cfg = &cfg,
	                           .principal = &p,
	                           .protocol_version = "2025-06-18",
	                           .request_id = "t",
	                           .todos = db};
	const char *page = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	                   "\"params\":{\"name\":\"list_todos\",\"arguments\":{\"limit\":4}}}";
	const char *all = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
	                  "\"params\":{\"name\":\"list_todos\",\"arguments\":{}}}";

	dispatch_body(&ctx, page, strlen(page), &out);
	CHECK_INT(out.status, 200);
	CHECK_CONTAINS(out.body, "\"next_cursor\":\"");
	check_text_is_structured();
	dispatch_body(&ctx, all, strlen(all), &out);
	CHECK_CONTAINS(out.body, "\"next_cursor\":null");
	CHECK_CONTAINS(out.body, "say \\\\\\\"hi\\\\\\\""); /* escaped twice in the text block */
	check_text_is_structured();
	snprintf(get, sizeof(get),
	         "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":"
	         "\"get_todo\",\"arguments\":{\"todo_id\":\"%s\"}}}",
	         t.id);
	dispatch_body(&ctx, get, strlen(get), &out);
	CHECK_CONTAINS(out.body, "\\u0001\\u001f");
	check_text_is_structured();
	todo_clear(&t);
	todo_store_close(db);
	tmpdir_remove(dir);
}

/*
 * A body whose tree outgrows the JSON arena (util.h) is parsed partly from
 * malloc and answered whole; the next body, in the arena again, is not
 * disturbed by what the first left there.
 */
TEST(bodies_past_the_arena)
{
	static char body[200000];
	size_t n = 0;

	n += (size_t)snprintf(body + n, sizeof(body) - n, "[");
	for (int i = 0; i < JSONRPC_BATCH_MAX; i++)
		n += (size_t)snprintf(
		    body + n, sizeof(body) - n,
		    "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"ping\","
		    "\"params\":{\"_meta\":{\"pad\":[%s]}}}",
		    i > 0 ? "," : "", i,
		    "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,"
		    "26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48");
	snprintf(body + n, sizeof(body) - n, "]");
	/* 32 x 48 numbers: over 1,500 cJSON items of 64 bytes, far past the arena's 32 KiB. */
	CHECK_STR(strstr(call("2025-03-26", body), "{\"jsonrpc\":\"2.0\",\"id\":31,"),
	          "{\"jsonrpc\":\"2.0\",\"id\":31,\"result\":{}}]");
	CHECK_INT(out.status, 200);
	CHECK_STR(call("2025-06-18", "{\"jsonrpc\":\"2.0\",\"id\":\"after\",\"method\":\"ping\"}"),
	          "{\"jsonrpc\":\"2.0\",\"id\":\"after\",\"result\":{}}");
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(registry_builds), TEST_CASE(parse_errors),
                  TEST_CASE(initialize_negotiates), TEST_CASE(methods), TEST_CASE(tools_call),
                  TEST_CASE(batches), TEST_CASE(ids_exact_or_refused),
                  TEST_CASE(notifications_and_responses_get_202),
                  TEST_CASE(scopes_refused_with_the_request_id), TEST_CASE(hostile_bodies),
                  TEST_CASE(database_unavailable_is_503_or_the_element_error),
                  TEST_CASE(bodies_past_the_arena),
                  TEST_CASE(todo_text_blocks_are_their_structured_content))
