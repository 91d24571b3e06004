/*
 * fuzz_config.c - the configuration file (src/lib/config/config.h): the
 * input is the file MCP_CONFIG_FILE names, in an environment holding
 * nothing else, so every variable comes from it.  After config_load, what
 * the programs' start-up parses from the configuration runs as well: the
 * tools' scope map and rate limits (mcp/tool.h, mcp/limits.h; no state
 * directory and no database: the table stays in memory) and the metadata
 * document (wellknown/prm.h, which carries PROTECTED_RESOURCE_METADATA as
 * given).
 */
#include "fuzz.h"

#include "lib/config/config.h"
#include "mcp/limits.h"
#include "mcp/tool.h"
#include "wellknown/prm.h"

static char env_path[300];

static void
harness_init(void)
{
	snprintf(env_path, sizeof(env_path), "%s/mcp.env", fuzz_tmpdir());
	/* Nothing of the caller's environment may stand in for the file. */
	if (clearenv() != 0 || setenv(CONFIG_FILE_VAR, env_path, 1) != 0)
		abort();
}

/* The start-up steps after config_load, as src/mcp/main.c and src/wellknown/main.c take them. */
static void
startup(const struct config *cfg)
{
	struct err e;
	struct tool_registry *reg = tool_registry_new(cfg->tool_scopes, &e);
	struct limits *lim = reg != NULL ? limits_new(reg, NULL, NULL, &e) : NULL;
	char *doc = prm_document_new(cfg);

	if (doc == NULL || cfg->resource == NULL || cfg->state_dir[0] != '/')
		abort();
	(void)config_file_exposed(cfg, "/var/www");
	free(doc);
	limits_free(lim);
	tool_registry_free(reg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct err e;

	if (size > CONFIG_FILE_MAX + 1)
		return -1;
	fuzz_write_file(env_path, data, size);
	if (config_load(&cfg, &e) == 0)
		startup(&cfg);
	else if (e.code != ERR_CONFIG || e.msg[0] == '\0')
		abort();
	config_free(&cfg);
	return 0;
}
