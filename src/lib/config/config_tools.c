/*
 * config_tools.c - the tools' settings: the scopes each tool and every
 * request needs, and the todo tools' database and limit.
 */
#include <stdio.h>
#include <string.h>

#include "lib/config/internal/config_load.h"

#define TODO_DB_FILE           "todos.sqlite"
#define TODO_MAX_PER_OWNER_DEF 1000
#define TODO_MAX_PER_OWNER_MAX 1000000

/* MCP_TODO_MAX_PER_OWNER, or the first release's MCP_TODO_MAX_PER_SUBJECT. */
static int
load_todo_max(struct config *cfg, struct err *e)
{
	const char *var =
	    config_get(CONFIG_TODO_MAX) == NULL && config_get(CONFIG_TODO_MAX_OLD) != NULL
	        ? CONFIG_TODO_MAX_OLD
	        : CONFIG_TODO_MAX;

	return config_number(var, "a count", TODO_MAX_PER_OWNER_DEF, 1, TODO_MAX_PER_OWNER_MAX,
	                     &cfg->todo_max_per_owner, e);
}

int
config_tools_load(struct config *cfg, struct err *e)
{
	char def[4096];

	config_string(CONFIG_TOOL_SCOPES, NULL, &cfg->tool_scopes);
	strlist_split(&cfg->required_scopes, config_get(CONFIG_REQUIRED_SCOPES));
	snprintf(def, sizeof(def), "%s/" TODO_DB_FILE, cfg->state_dir);
	config_string(CONFIG_TODO_DB, def, &cfg->todo_db);
	if (cfg->todo_db[0] != '/')
		return err_set(e, ERR_CONFIG, CONFIG_TODO_DB ": must be an absolute path");
	/* The value is never echoed: it may hold a password. */
	config_string(CONFIG_DATABASE_URL, NULL, &cfg->database_url);
	if (cfg->database_url != NULL && strncmp(cfg->database_url, "postgresql://", 13) != 0 &&
	    strncmp(cfg->database_url, "postgres://", 11) != 0)
		return err_set(e, ERR_CONFIG,
		               CONFIG_DATABASE_URL ": must be a postgresql:// or postgres:// URL");
	return load_todo_max(cfg, e);
}
