/*
 * scope.h - does a verified principal hold the scopes a call needs?
 *
 * Matching (RFC 6749 §3.3 scopes are case-sensitive strings):
 *   - exact: "todo:read" satisfies "todo:read";
 *   - hierarchical wildcard: "todo:*" satisfies every scope below "todo:"
 *     ("todo:read", "todo:write", "todo:admin:x"), never "todo" itself;
 *   - tool grants (Scalekit's scope design): "mcp:tools:*" and
 *     "mcp:tools:<tool>" allow calling that tool whatever it needs.
 */
#ifndef SCOPE_H
#define SCOPE_H

#include <stdbool.h>
#include <stddef.h>

struct principal;

#define SCOPE_TOOL_PREFIX "mcp:tools:"

/* True when one of the principal's scopes satisfies needed. */
bool scope_granted(const struct principal *p, const char *needed);

/*
 * True when p may call tool (named tool_name) needing the n scopes in
 * needed.  Otherwise false, with every needed scope, space-separated,
 * written into missing (the full set, so that a client replacing its scopes
 * on step-up keeps what it had).
 */
bool scope_tool_allowed(const struct principal *p, const char *tool_name, const char *const *needed,
                        size_t n, char *missing, size_t len);

/*
 * The whole check of one call: every scope in required (the operator's
 * MCP_REQUIRED_SCOPES, no tool grant applies to them) and, when tool_name is
 * not NULL, what scope_tool_allowed() asks of the tool.  When refused,
 * missing lists required followed by the tool's scopes, without repeats:
 * everything the call needs, so one step-up gets all of it.
 */
bool scope_call_allowed(const struct principal *p, const char *const *required, size_t n_required,
                        const char *tool_name, const char *const *tool_scopes, size_t n_tool,
                        char *missing, size_t len);

/*
 * Like scope_tool_allowed() for scopes every request needs (no tool grant
 * applies).
 */
bool scope_all_granted(const struct principal *p, const char *const *needed, size_t n,
                       char *missing, size_t len);

#endif /* SCOPE_H */
