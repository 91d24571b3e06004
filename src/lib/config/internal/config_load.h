/*
 * config_load.h - internal to src/lib/config: the parts config_load()
 * (config.c) calls, and the readers they share.  Nothing outside this
 * folder includes it.
 *
 * Calls go one way: config.c -> config_oauth.c, config_tools.c ->
 * config_env.c.  Every function here reports a refusal as ERR_CONFIG with
 * one line that starts with the variable's name.
 */
#ifndef CONFIG_INTERNAL_CONFIG_LOAD_H
#define CONFIG_INTERNAL_CONFIG_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/config/config.h"

/*
 * config_env.c: reads the file MCP_CONFIG_FILE names (refused inside the
 * document root DOCUMENT_ROOT names, when world-writable, not a regular
 * file or over CONFIG_FILE_MAX) so that config_get() can answer from it,
 * and sets *real_path to a copy of its real path.  No file named: nothing
 * to do, *real_path untouched.  Returns 0 or -1.
 */
int config_env_load(char **real_path, struct err *e);

/* Forgets what config_env_load() read (wiping it: it may hold secrets). */
void config_env_free(void);

/*
 * Reads var as a whole number in [min, max] into *out, or def when unset.
 * Returns 0 or -1 ("VAR: must be <what> from MIN to MAX").
 */
int config_number(const char *var, const char *what, int64_t def, int64_t min, int64_t max,
                  int64_t *out, struct err *e);

/*
 * Checks url (the value of var) with url_check(): https, or http too when
 * allow_http.  Returns 0 or -1 ("VAR: URL: <rule>").
 */
int config_url(const char *var, const char *url, bool allow_http, struct err *e);

/* Sets *out to a copy of var's value, or of def (may be NULL) when unset. */
void config_string(const char *var, const char *def, char **out);

/*
 * config_oauth.c: issuers, audiences, algorithms, the key cache's bounds
 * and the RFC 9728 metadata, from OAUTH_* or Scalekit's variables.  Needs
 * resource, its origin and path.  Returns 0 or -1.
 */
int config_oauth_load(struct config *cfg, struct err *e);

/*
 * config_tools.c: the todo database and its limit, the tools' scopes and
 * the scopes every request needs.  Needs state_dir.  Returns 0 or -1.
 */
int config_tools_load(struct config *cfg, struct err *e);

#endif /* CONFIG_INTERNAL_CONFIG_LOAD_H */
