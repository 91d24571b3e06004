/* Unit tests for src/mcp/catalog.h: the tools' names and scopes both programs share. */
#include "test.h"

#include "mcp/catalog.h"

/* The scopes of tool name, space-separated (static), or "?" when unknown. */
static const char *
scopes_of(const struct catalog *c, const char *name)
{
	static char buf[256];
	int i = catalog_find(c, name);

	if (i < 0)
		return "?";
	buf[0] = '\0';
	for (size_t j = 0; j < c->scopes[i].n; j++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", j ? " " : "",
		         c->scopes[i].v[j]);
	return buf;
}

TEST(defaults_from_tools_def)
{
	struct catalog c;
	struct err e;

	CHECK_INT(catalog_load(&c, NULL, &e), 0);
	CHECK_INT(c.n, 7);
	CHECK_STR(c.names[0], "greet_user");
	CHECK_STR(scopes_of(&c, "greet_user"), "");
	CHECK_STR(scopes_of(&c, "create_todo"), "todo:write");
	CHECK_STR(scopes_of(&c, "list_todos"), "todo:read");
	CHECK_INT(catalog_find(&c, "nope"), -1);
	catalog_free(&c);
	catalog_free(&c);
	catalog_free(NULL);
}

TEST(operator_override)
{
	struct catalog c;
	struct err e;

	CHECK_INT(catalog_load(&c, " create_todo = todo:write todo:admin ;\ngreet_user=-;;", &e),
	          0);
	CHECK_STR(scopes_of(&c, "create_todo"), "todo:write todo:admin");
	CHECK_STR(scopes_of(&c, "greet_user"), "");
	CHECK_STR(scopes_of(&c, "delete_todo"), "todo:write");
	catalog_free(&c);
	CHECK_INT(catalog_load(&c, "whoami=", &e), -1);
	CHECK_ERR(e, ERR_CONFIG, "MCP_TOOL_SCOPES: whoami= names no scope; write whoami=- ");
	CHECK(c.names == NULL && c.scopes == NULL);
	CHECK_INT(catalog_load(&c, "who=x", &e), -1);
	CHECK_ERR(e, ERR_CONFIG, "MCP_TOOL_SCOPES: no tool named \"who\"");
	CHECK_INT(catalog_load(&c, "whoami x", &e), -1);
	CHECK_ERR(e, ERR_CONFIG, "MCP_TOOL_SCOPES: \"whoami x\" is not tool=scopes");
}

/* Without MCP_SCOPES_SUPPORTED: every tool's scopes, then the required ones, each once. */
TEST(scopes_supported_default)
{
	struct catalog c;
	struct strlist required = {0}, out = {0};
	struct err e;

	CHECK_INT(catalog_load(&c, "whoami=profile:read todo:read", &e), 0);
	strlist_split(&required, "mcp:access todo:write");
	catalog_scopes_supported(&c, &required, &out);
	CHECK_INT(out.n, 4);
	CHECK(out.n == 4 && strcmp(out.v[0], "profile:read") == 0 &&
	      strcmp(out.v[1], "todo:read") == 0 && strcmp(out.v[2], "todo:write") == 0 &&
	      strcmp(out.v[3], "mcp:access") == 0);
	strlist_free(&out);
	strlist_free(&required);
	catalog_free(&c);
}

TEST_MAIN(TEST_CASE(defaults_from_tools_def), TEST_CASE(operator_override),
          TEST_CASE(scopes_supported_default))
