/*
 * catalog.c - tool names and scopes, from tools.def and MCP_TOOL_SCOPES.
 */
#include "mcp/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "lib/config/config.h"

static const struct {
	const char *name;
	const char *scopes;
} tools[] = {
#define TOOL(name, scopes) {#name, scopes},
#include "mcp/tools/tools.def"
#undef TOOL
};

#define N_TOOLS (sizeof(tools) / sizeof(tools[0]))

/* The index of the tool whose name is the len bytes at name, or -1. */
static int
find_n(const struct catalog *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->names[i]) == len && strncmp(c->names[i], name, len) == 0)
			return (int)i;
	return -1;
}

int
catalog_find(const struct catalog *c, const char *name)
{
	return find_n(c, name, strlen(name));
}

/* Replaces tool i's scopes with the list in text (len bytes): "-" for none. */
static int
set_scopes(struct catalog *c, size_t i, const char *text, size_t len, struct err *e)
{
	struct strlist l = {0};
	char *copy = xstrndup(text, len);

	strlist_split(&l, copy);
	free(copy);
	if (l.n == 0)
		return err_set(e, ERR_CONFIG,
		               CONFIG_TOOL_SCOPES ": %s= names no scope; write %s=" CATALOG_NO_SCOPE
		                                  " for a tool that needs none",
		               c->names[i], c->names[i]);
	for (size_t j = 0; j < l.n; j++) {
		if (strpbrk(l.v[j], "\"\\") != NULL) {
			strlist_free(&l);
			return err_set(e, ERR_CONFIG,
			               CONFIG_TOOL_SCOPES
			               ": %s: a scope must not contain quotes or "
			               "backslashes (RFC 6749 §3.3)",
			               c->names[i]);
		}
	}
	if (l.n == 1 && strcmp(l.v[0], CATALOG_NO_SCOPE) == 0)
		strlist_free(&l);
	strlist_free(&c->scopes[i]);
	c->scopes[i] = l;
	return 0;
}

/* Applies one "tool=scope scope" entry of MCP_TOOL_SCOPES (len bytes at p). */
static int
apply_entry(struct catalog *c, const char *p, size_t len, struct err *e)
{
	const char *eq = memchr(p, '=', len), *name = p;
	size_t nlen;
	int i;

	if (eq == NULL)
		return strspn(p, " \t\r") < len
		           ? err_set(e, ERR_CONFIG,
		                     CONFIG_TOOL_SCOPES ": \"%.*s\" is not tool=scopes", (int)len,
		                     p)
		           : 0;
	while (*name == ' ' || *name == '\t')
		name++;
	for (nlen = (size_t)(eq - name);
	     nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'); nlen--)
		;
	if ((i = find_n(c, name, nlen)) < 0)
		return err_set(e, ERR_CONFIG, CONFIG_TOOL_SCOPES ": no tool named \"%.*s\"",
		               (int)nlen, name);
	return set_scopes(c, (size_t)i, eq + 1, len - (size_t)(eq + 1 - p), e);
}

int
catalog_load(struct catalog *c, const char *scope_map, struct err *e)
{
	c->n = N_TOOLS;
	c->names = xcalloc(N_TOOLS, sizeof(*c->names));
	c->scopes = xcalloc(N_TOOLS, sizeof(*c->scopes));
	for (size_t i = 0; i < N_TOOLS; i++) {
		c->names[i] = tools[i].name;
		strlist_split(&c->scopes[i], tools[i].scopes);
	}
	/* Entries are split on ';' and newlines. */
	for (const char *p = scope_map; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, ";\n");

		if (apply_entry(c, p, len, e) != 0) {
			catalog_free(c);
			return -1;
		}
		p += len;
		if (*p != '\0')
			p++;
	}
	return 0;
}

void
catalog_free(struct catalog *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; c->scopes != NULL && i < c->n; i++)
		strlist_free(&c->scopes[i]);
	free(c->scopes);
	free(c->names);
	memset(c, 0, sizeof(*c));
}

/* Appends each string of l to out unless out holds it already. */
static void
add_new(struct strlist *out, const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strlist_contains(out, l->v[i]))
			strlist_add(out, l->v[i]);
}

void
catalog_scopes_supported(const struct catalog *c, const struct strlist *required,
                         struct strlist *out)
{
	for (size_t i = 0; i < c->n; i++)
		add_new(out, &c->scopes[i]);
	add_new(out, required);
}
