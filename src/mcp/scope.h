/*
 * scope.h - does a verified principal hold the scopes a call needs?
 *
 * Matching (RFC 6749 §3.3 scopes are case-sensitive strings):
 *   - exact: "todo:read" satisfies "todo:read";
 *   - one-segment wildcard: "todo:*" satisfies "todo:read" and "todo:write",
 *     never "todo:admin:x" nor "todo" itself; "mcp:*" is no tool grant;
 *   - tool grants (Scalekit's scope design): "mcp:tools:*" and
 *     "mcp:tools:<tool>" allow calling that tool whatever it needs.
 */
#ifndef SCOPE_H
#define SCOPE_H

#include <stdbool.h>
#include <stddef.h>

struct principal;
struct strlist;

#define SCOPE_TOOL_PREFIX "mcp:tools:"

/* True when one of the principal's scopes satisfies needed. */
bool scope_granted(const struct principal *p, const char *needed);

/* True when p holds (or is granted through wildcards) each of the n scopes of needed. */
bool scope_all_granted(const struct principal *p, const char *const *needed, size_t n);

/*
 * True when p may call the tool named tool_name, which needs the n scopes
 * of needed: each is granted, or p holds mcp:tools:<tool> or mcp:tools:*.
 */
bool scope_tool_allowed(const struct principal *p, const char *tool_name, const char *const *needed,
                        size_t n);

/*
 * The whole check of one call: every scope in required (the operator's
 * MCP_REQUIRED_SCOPES, no tool grant applies to them) and, when tool_name is
 * not NULL, what scope_tool_allowed() asks of the tool.
 */
bool scope_call_allowed(const struct principal *p, const char *const *required, size_t n_required,
                        const char *tool_name, const char *const *tool_scopes, size_t n_tool);

/*
 * For the challenge of a refused call: required followed by the tool's
 * scopes, space-separated, without repeats, into buf (len bytes; always
 * NUL-terminated when len > 0) - everything the call needs, so that one
 * step-up gets all of it and a client replacing its scopes keeps what it had.
 */
void scope_call_needs(const char *const *required, size_t n_required,
                      const char *const *tool_scopes, size_t n_tool, char *buf, size_t len);

/*
 * The insufficient_scope challenge of a refused call (RFC 6750 §3.1, MCP
 * 2025-11-25 authorization "scope challenge handling"): appends to the
 * space-separated list in buf (len bytes) each scope of needs (space-
 * separated), then each scope p holds that supported lists, skipping what
 * buf already names, so a batch's refusals add up to one challenge.
 */
void scope_challenge_add(char *buf, size_t len, const char *needs, const struct principal *p,
                         const struct strlist *supported);

#endif /* SCOPE_H */
