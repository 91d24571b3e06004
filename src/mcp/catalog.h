/*
 * catalog.h - the tools this server offers and the scopes each needs:
 * tools.def's defaults with the operator's MCP_TOOL_SCOPES applied.
 *
 * Both programs must agree on it: the MCP program checks each call against
 * it, and the metadata program and every 401 challenge advertise it as
 * scopes_supported, so a client that starts from nothing asks for enough
 * the first time.  It knows nothing of handlers, schemas or the database:
 * the metadata program links this module alone of src/mcp.
 */
#ifndef MCP_CATALOG_H
#define MCP_CATALOG_H

#include <stddef.h>

#include "lib/core/err.h"
#include "lib/core/util.h"

/* MCP_TOOL_SCOPES "tool=-": the tool needs no scope (an empty list is refused as a slip). */
#define CATALOG_NO_SCOPE "-"

struct catalog {
	size_t n;               /* number of tools */
	const char **names;     /* tools.def order; static strings */
	struct strlist *scopes; /* n lists: what a call of each tool needs */
};

/*
 * Loads the catalogue: tools.def's scopes, then scope_map (MCP_TOOL_SCOPES,
 * may be NULL): "tool=scope scope; tool2=..." entries separated by ';' or
 * newlines, each replacing that tool's scopes; "tool=-" for none.  Returns
 * 0, or -1 with ERR_CONFIG and one line naming MCP_TOOL_SCOPES in e for an
 * entry that is not tool=scopes, names no known tool, lists no scope, or
 * holds a scope with a quote or backslash (RFC 6749 §3.3).  Free with
 * catalog_free().
 */
int catalog_load(struct catalog *c, const char *scope_map, struct err *e);

/* Releases what catalog_load() allocated; NULL and a zeroed catalogue are accepted. */
void catalog_free(struct catalog *c);

/* The index of the tool named name, or -1. */
int catalog_find(const struct catalog *c, const char *name);

/*
 * Appends to out what the server advertises when MCP_SCOPES_SUPPORTED is
 * not set: every tool's scopes, then the scopes every request needs
 * (required), each once, in that order.
 */
void catalog_scopes_supported(const struct catalog *c, const struct strlist *required,
                              struct strlist *out);

#endif /* MCP_CATALOG_H */
