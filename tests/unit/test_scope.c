/* Unit tests for src/mcp/scope.h and the registry's scope override map. */
#include "test.h"

#include "lib/jose/token.h"
#include "mcp/catalog.h"
#include "mcp/scope.h"
#include "mcp/tool.h"

/* A principal holding the given scopes (borrowed strings). */
static struct principal
holding(char **scopes, size_t n)
{
	struct principal p = {.subject = "alice", .scopes = scopes, .n_scopes = n};
	return p;
}

TEST(exact_and_wildcard)
{
	char *s[] = {"todo:read", "files:*", "x:*:y", "*", ":*"};
	struct principal p = holding(s, 5);

	CHECK(scope_granted(&p, "todo:read"));
	CHECK(!scope_granted(&p, "todo:write"));
	CHECK(!scope_granted(&p, "todo:read:more"));
	CHECK(!scope_granted(&p, "TODO:READ"));
	CHECK(scope_granted(&p, "files:read"));
	/* A wildcard is one segment: "files:*" is not "files:admin:all". */
	CHECK(!scope_granted(&p, "files:admin:all"));
	CHECK(!scope_granted(&p, "files:a:"));
	/* "files:*" covers what is below "files:", not "files" itself nor "filesystem". */
	CHECK(!scope_granted(&p, "files"));
	CHECK(!scope_granted(&p, "files:"));
	CHECK(!scope_granted(&p, "filesystem:read"));
	/* A bare "*" or ":*" grants nothing; "x:*:y" is only itself. */
	CHECK(!scope_granted(&p, "anything"));
	CHECK(!scope_granted(&p, "x:a:y"));
	CHECK(!scope_granted(NULL, "todo:read"));
	/* "mcp:*" grants mcp:<one segment>, never a tool through mcp:tools:<tool>. */
	{
		char *m[] = {"mcp:*"};
		const char *const w[] = {"todo:write"};
		struct principal q = holding(m, 1);
		CHECK(scope_granted(&q, "mcp:access"));
		CHECK(!scope_granted(&q, "mcp:tools:create_todo"));
		CHECK(!scope_tool_allowed(&q, "create_todo", w, 1));
	}
}

TEST(tool_rules)
{
	const char *const write[] = {"todo:write"};
	const char *const both[] = {"todo:write", "todo:admin"};
	char *s1[] = {"todo:read"}, *s2[] = {"todo:*"}, *s3[] = {"mcp:tools:create_todo"},
	     *s4[] = {"mcp:tools:*"}, *s5[] = {"todo:write"};
	struct principal p;
	char needs[128];

	p = holding(s1, 1);
	CHECK(!scope_tool_allowed(&p, "create_todo", write, 1));
	scope_call_needs(NULL, 0, write, 1, needs, sizeof(needs));
	CHECK_STR(needs, "todo:write");
	p = holding(s5, 1);
	CHECK(!scope_tool_allowed(&p, "create_todo", both, 2));
	/* The full set, not only what is missing: a client replacing its scopes keeps todo:write.
	 */
	scope_call_needs(NULL, 0, both, 2, needs, sizeof(needs));
	CHECK_STR(needs, "todo:write todo:admin");
	p = holding(s2, 1);
	CHECK(scope_tool_allowed(&p, "create_todo", both, 2));
	p = holding(s3, 1);
	CHECK(scope_tool_allowed(&p, "create_todo", write, 1));
	CHECK(!scope_tool_allowed(&p, "delete_todo", write, 1));
	p = holding(s4, 1);
	CHECK(scope_tool_allowed(&p, "delete_todo", write, 1));
	p = holding(NULL, 0);
	CHECK(scope_tool_allowed(&p, "greet_user", NULL, 0));
	CHECK(!scope_all_granted(&p, write, 1));
	CHECK(scope_all_granted(&p, NULL, 0));
}

TEST(required_and_tool_scopes_together)
{
	const char *const required[] = {"mcp:access"};
	const char *const tool[] = {"todo:write", "mcp:access"};
	char *s1[] = {"todo:read", "todo:write"}, *s2[] = {"mcp:access"},
	     *s3[] = {"mcp:access", "todo:*"}, *s4[] = {"mcp:tools:*"};
	struct principal p;
	char needs[128];

	/* Each half alone is refused with the whole set, the required scope first, no repeat. */
	p = holding(s1, 2);
	CHECK(!scope_call_allowed(&p, required, 1, "create_todo", tool, 2));
	scope_call_needs(required, 1, tool, 2, needs, sizeof(needs));
	CHECK_STR(needs, "mcp:access todo:write");
	p = holding(s2, 1);
	CHECK(!scope_call_allowed(&p, required, 1, "create_todo", tool, 1));
	scope_call_needs(required, 1, tool, 1, needs, sizeof(needs));
	CHECK_STR(needs, "mcp:access todo:write");
	p = holding(s3, 2);
	CHECK(scope_call_allowed(&p, required, 1, "create_todo", tool, 1));
	/* A tool grant does not stand in for the operator's required scopes. */
	p = holding(s4, 1);
	CHECK(!scope_call_allowed(&p, required, 1, "create_todo", tool, 1));
	CHECK(scope_call_allowed(&p, NULL, 0, "create_todo", tool, 1));
	/* Not a tool call: only the required scopes count. */
	p = holding(s2, 1);
	CHECK(scope_call_allowed(&p, required, 1, NULL, NULL, 0));
	p = holding(s1, 2);
	CHECK(!scope_call_allowed(&p, required, 1, NULL, NULL, 0));
	scope_call_needs(required, 1, NULL, 0, needs, sizeof(needs));
	CHECK_STR(needs, "mcp:access");
	/* A short buffer is cut, never overrun; a prefix is no repeat. */
	scope_call_needs(required, 1, tool, 2, needs, 12);
	CHECK_STR(needs, "mcp:access");
	{
		const char *const pre[] = {"mcp:access:x", "mcp:access"};
		scope_call_needs(pre, 2, NULL, 0, needs, sizeof(needs));
		CHECK_STR(needs, "mcp:access:x mcp:access");
	}
}

TEST(registry_defaults_and_override)
{
	struct err err;
	struct tool_registry *reg = tool_registry_new(NULL, &err);
	const struct tool_entry *e;

	CHECK(reg != NULL);
	e = tool_registry_find(reg, "list_todos");
	CHECK(e != NULL && e->n_scopes == 1 && strcmp(e->scopes[0], "todo:read") == 0);
	e = tool_registry_find(reg, "create_todo");
	CHECK(e != NULL && e->n_scopes == 1 && strcmp(e->scopes[0], "todo:write") == 0);
	CHECK_INT(tool_registry_find(reg, "greet_user")->n_scopes, 0);
	CHECK_CONTAINS(tool_registry_list_json(reg), "\"_meta\":{\"scopes\":[\"todo:write\"]}");
	tool_registry_free(reg);

	reg = tool_registry_new(
	    " create_todo = todo:write todo:admin ;\ngreet_user=hello:use;get_todo=-", &err);
	CHECK(reg != NULL);
	e = tool_registry_find(reg, "create_todo");
	CHECK(e != NULL && e->n_scopes == 2 && strcmp(e->scopes[1], "todo:admin") == 0);
	CHECK_INT(tool_registry_find(reg, "greet_user")->n_scopes, 1);
	CHECK_INT(tool_registry_find(reg, "get_todo")->n_scopes, 0);
	CHECK_INT(tool_registry_find(reg, "list_todos")->n_scopes, 1);
	tool_registry_free(reg);

	CHECK(tool_registry_new("nope=todo:read", &err) == NULL);
	CHECK_ERR(err, ERR_CONFIG, "MCP_TOOL_SCOPES: no tool named \"nope\"");
	CHECK(tool_registry_new("create_todo todo:read", &err) == NULL);
	CHECK_ERR(err, ERR_CONFIG, "is not tool=scopes");
	/* An empty list is a slip, refused; "-" says the tool needs no scope. */
	CHECK(tool_registry_new("get_todo=", &err) == NULL);
	CHECK_ERR(
	    err, ERR_CONFIG,
	    "MCP_TOOL_SCOPES: get_todo= names no scope; write get_todo=- for a tool that needs "
	    "none");
	CHECK(tool_registry_new("get_todo= ; list_todos=todo:read", &err) == NULL);
	CHECK_ERR(err, ERR_CONFIG, "get_todo= names no scope");
	CHECK(tool_registry_new("get_todo=a\"b", &err) == NULL);
	CHECK_ERR(err, ERR_CONFIG, "MCP_TOOL_SCOPES: get_todo: a scope must not contain quotes");
}

/* Schemas are parsed when used: every tool's must parse, and tools/list lists them all. */
TEST(every_tool_schema_parses)
{
	struct err err;
	struct tool_registry *reg = tool_registry_new(NULL, &err);
	const struct catalog *cat;
	const char *list;

	CHECK(reg != NULL);
	if (reg == NULL)
		return;
	cat = tool_registry_catalog(reg);
	CHECK(cat->n >= 6);
	for (size_t i = 0; i < cat->n; i++) {
		const struct tool_entry *e = tool_registry_find(reg, cat->names[i]);
		CHECK(e != NULL && e->input_schema != NULL);
		CHECK(e == NULL || e->tool->output_schema == NULL || e->output_schema != NULL);
	}
	list = tool_registry_list_json(reg);
	CHECK(list != NULL);
	for (size_t i = 0; list != NULL && i < cat->n; i++) {
		char name[128];
		snprintf(name, sizeof(name), "\"name\":\"%s\"", cat->names[i]);
		CHECK_CONTAINS(list, name);
	}
	/* The same text again: rendered once. */
	CHECK(tool_registry_list_json(reg) == list);
	tool_registry_free(reg);
}

TEST_MAIN(TEST_CASE(exact_and_wildcard), TEST_CASE(tool_rules),
          TEST_CASE(required_and_tool_scopes_together), TEST_CASE(registry_defaults_and_override),
          TEST_CASE(every_tool_schema_parses))
