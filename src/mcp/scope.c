/*
 * scope.c - scope matching with wildcards and tool grants.
 */
#include "mcp/scope.h"

#include <stdio.h>
#include <string.h>

#include "lib/jose/token.h"

/* True when the granted scope g satisfies needed: exact, or "prefix:*" above it. */
static bool
scope_matches(const char *g, const char *needed)
{
	size_t n = strlen(g);

	if (strcmp(g, needed) == 0)
		return true;
	/* "todo:*" covers "todo:<anything non-empty>"; a bare "*" grants nothing. */
	return n >= 3 && g[n - 1] == '*' && g[n - 2] == ':' && strncmp(g, needed, n - 1) == 0 &&
	       needed[n - 1] != '\0';
}

bool
scope_granted(const struct principal *p, const char *needed)
{
	for (size_t i = 0; p != NULL && i < p->n_scopes; i++)
		if (scope_matches(p->scopes[i], needed))
			return true;
	return false;
}

/* Writes the needed scopes, space-separated, into missing. */
static void
list_needed(const char *const *needed, size_t n, char *missing, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	missing[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		int w = snprintf(missing + off, len - off, "%s%s", i ? " " : "", needed[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

bool
scope_all_granted(const struct principal *p, const char *const *needed, size_t n, char *missing,
                  size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (!scope_granted(p, needed[i])) {
			list_needed(needed, n, missing, len);
			return false;
		}
	}
	return true;
}

bool
scope_tool_allowed(const struct principal *p, const char *tool_name, const char *const *needed,
                   size_t n, char *missing, size_t len)
{
	char grant[128];

	if (n == 0)
		return true;
	/* mcp:tools:<tool> (and mcp:tools:* through scope_matches) grant the tool itself. */
	if ((size_t)snprintf(grant, sizeof(grant), SCOPE_TOOL_PREFIX "%s", tool_name) <
	        sizeof(grant) &&
	    scope_granted(p, grant))
		return true;
	return scope_all_granted(p, needed, n, missing, len);
}

/* Appends scope to the space-separated list in buf unless it is there already. */
static void
list_add(char *buf, size_t len, const char *scope)
{
	size_t off = strlen(buf), n = strlen(scope);

	for (const char *p = buf; (p = strstr(p, scope)) != NULL; p += n)
		if ((p == buf || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return;
	snprintf(buf + off, len > off ? len - off : 0, "%s%s", off ? " " : "", scope);
}

bool
scope_call_allowed(const struct principal *p, const char *const *required, size_t n_required,
                   const char *tool_name, const char *const *tool_scopes, size_t n_tool,
                   char *missing, size_t len)
{
	char unused[8];

	if (scope_all_granted(p, required, n_required, unused, sizeof(unused)) &&
	    (tool_name == NULL ||
	     scope_tool_allowed(p, tool_name, tool_scopes, n_tool, unused, sizeof(unused))))
		return true;
	if (len == 0)
		return false;
	missing[0] = '\0';
	for (size_t i = 0; i < n_required; i++)
		list_add(missing, len, required[i]);
	for (size_t i = 0; tool_name != NULL && i < n_tool; i++)
		list_add(missing, len, tool_scopes[i]);
	return false;
}
