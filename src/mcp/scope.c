/*
 * scope.c - scope matching with wildcards and tool grants.
 */
#include "mcp/scope.h"

#include <stdio.h>
#include <string.h>

#include "lib/core/util.h"
#include "lib/jose/token.h"

/*
 * True when the granted scope g satisfies needed: exact, or "prefix:*" one
 * segment above it.  "todo:*" covers "todo:read", never "todo:x:y" (a
 * grant of everything below would let a broad scope reach narrow ones an
 * authorization server never meant to hand out together), nor "todo"
 * itself; a bare "*" grants nothing.
 */
static bool
scope_matches(const char *g, const char *needed)
{
	size_t n = strlen(g);

	if (strcmp(g, needed) == 0)
		return true;
	return n >= 3 && g[n - 1] == '*' && g[n - 2] == ':' && strncmp(g, needed, n - 1) == 0 &&
	       needed[n - 1] != '\0' && strchr(needed + n - 1, ':') == NULL;
}

bool
scope_granted(const struct principal *p, const char *needed)
{
	for (size_t i = 0; p != NULL && i < p->n_scopes; i++)
		if (scope_matches(p->scopes[i], needed))
			return true;
	return false;
}

bool
scope_all_granted(const struct principal *p, const char *const *needed, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!scope_granted(p, needed[i]))
			return false;
	return true;
}

bool
scope_tool_allowed(const struct principal *p, const char *tool_name, const char *const *needed,
                   size_t n)
{
	char grant[128];

	if (n == 0)
		return true;
	/* mcp:tools:<tool> (and mcp:tools:* through scope_matches) grant the tool itself. */
	if ((size_t)snprintf(grant, sizeof(grant), SCOPE_TOOL_PREFIX "%s", tool_name) <
	        sizeof(grant) &&
	    scope_granted(p, grant))
		return true;
	return scope_all_granted(p, needed, n);
}

bool
scope_call_allowed(const struct principal *p, const char *const *required, size_t n_required,
                   const char *tool_name, const char *const *tool_scopes, size_t n_tool)
{
	return scope_all_granted(p, required, n_required) &&
	       (tool_name == NULL || scope_tool_allowed(p, tool_name, tool_scopes, n_tool));
}

/*
 * Appends scope to the space-separated list in buf (len bytes) unless it is
 * there already or would not fit whole: a cut scope would name another one.
 */
static void
list_add(char *buf, size_t len, const char *scope)
{
	size_t off = strlen(buf), n = strlen(scope);

	for (const char *p = buf; (p = strstr(p, scope)) != NULL; p += n)
		if ((p == buf || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return;
	if (off + (off ? 1 : 0) + n < len)
		snprintf(buf + off, len - off, "%s%s", off ? " " : "", scope);
}

void
scope_call_needs(const char *const *required, size_t n_required, const char *const *tool_scopes,
                 size_t n_tool, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n_required; i++)
		list_add(buf, len, required[i]);
	for (size_t i = 0; i < n_tool; i++)
		list_add(buf, len, tool_scopes[i]);
}

void
scope_challenge_add(char *buf, size_t len, const char *needs, const struct principal *p,
                    const struct strlist *supported)
{
	struct strlist l = {0};

	strlist_split(&l, needs);
	for (size_t i = 0; i < l.n; i++)
		list_add(buf, len, l.v[i]);
	strlist_free(&l);
	for (size_t i = 0; p != NULL && supported != NULL && i < p->n_scopes; i++)
		if (strlist_contains(supported, p->scopes[i]))
			list_add(buf, len, p->scopes[i]);
}
