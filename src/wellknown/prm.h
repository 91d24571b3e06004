/*
 * prm.h - the OAuth 2.0 Protected Resource Metadata document (RFC 9728)
 * and the health report of the metadata program.
 */
#ifndef PRM_H
#define PRM_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct jwks_cache_status;

#define PRM_PATH    "/.well-known/oauth-protected-resource"
#define PRM_MAX_AGE 3600

/*
 * The document (RFC 9728 §2): resource, authorization_servers,
 * scopes_supported, bearer_methods_supported ["header"], resource_name,
 * resource_documentation; or PROTECTED_RESOURCE_METADATA as configured.
 * Returns a new compact JSON string (caller frees with free()).
 */
char *prm_document_new(const struct config *cfg);

/*
 * True when path names the document: the root form, or the path-aware form
 * with the resource's path inserted after the well-known suffix (§3.1).
 */
bool prm_path_matches(const struct config *cfg, const char *path);

/*
 * path as seen from the folder of the resource (the configured MCP_RESOURCE,
 * never the request): for a resource https://host/~me/app/mcp, a path
 * /~me/app/health is /health, so a bundle deployed in a sub-folder answers
 * its /health and its in-folder metadata URL; any other path, and every
 * path of a resource in the root folder, comes back unchanged.  Points into
 * path.
 */
const char *prm_folder_path(const struct config *cfg, const char *path);

/*
 * The /health body for the key cache's state at now: {"status":"ok" or
 * "unavailable", "keys":{...}}.  A new string (free()).
 */
char *prm_health_new(const struct jwks_cache_status *st, int64_t now);

#endif /* PRM_H */
