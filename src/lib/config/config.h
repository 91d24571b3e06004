/*
 * config.h - the process's configuration, loaded once at start-up.
 *
 * Values come from the environment (lighttpd bin-environment, Apache
 * SetEnv/FcgidInitialEnv) and, for variables the environment leaves unset,
 * from a ".env"-style file whose path MCP_CONFIG_FILE names.  An empty value
 * counts as unset.  Everything derived (origins, host lists) is computed here
 * once, so the request loop only reads.
 *
 * The one public header of the config folder: config.c loads the endpoint's
 * own settings and calls the loaders of internal/config_load.h (config_env.c:
 * the sources; config_oauth.c: which tokens are accepted; config_tools.c:
 * the tools' settings).
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"

/* Configuration variable names: the contract documented in README.md. */
#define CONFIG_FILE_VAR        "MCP_CONFIG_FILE"
#define CONFIG_RESOURCE        "MCP_RESOURCE"
#define CONFIG_ORIGINS         "MCP_ALLOWED_ORIGINS"
#define CONFIG_HOSTS           "MCP_ALLOWED_HOSTS"
#define CONFIG_MAX_BODY        "MCP_MAX_BODY"
#define CONFIG_LOG_LEVEL       "MCP_LOG_LEVEL"
#define CONFIG_LOG_FILE        "MCP_LOG_FILE"
#define CONFIG_RESOURCE_NAME   "MCP_RESOURCE_NAME"
#define CONFIG_RESOURCE_DOC    "MCP_RESOURCE_DOCUMENTATION"
#define CONFIG_STATE_DIR       "MCP_STATE_DIR"
#define CONFIG_SCOPES          "MCP_SCOPES_SUPPORTED"
#define CONFIG_TOOL_SCOPES     "MCP_TOOL_SCOPES"
#define CONFIG_REQUIRED_SCOPES "MCP_REQUIRED_SCOPES"
#define CONFIG_TODO_DB         "MCP_TODO_DB"
#define CONFIG_DATABASE_URL    "MCP_DATABASE_URL"
#define CONFIG_TODO_MAX        "MCP_TODO_MAX_PER_OWNER"
#define CONFIG_TODO_MAX_OLD    "MCP_TODO_MAX_PER_SUBJECT" /* the first release's name */
#define CONFIG_ISSUER          "OAUTH_ISSUER"
#define CONFIG_JWKS_URI        "OAUTH_JWKS_URI"
#define CONFIG_JWKS_FILE       "OAUTH_JWKS_FILE"
#define CONFIG_AUDIENCE        "OAUTH_AUDIENCE"
#define CONFIG_AS              "OAUTH_AUTHORIZATION_SERVERS"
#define CONFIG_ALLOW_HTTP      "OAUTH_ALLOW_HTTP"
#define CONFIG_ALGORITHMS      "OAUTH_ALGORITHMS"
#define CONFIG_LEEWAY          "OAUTH_LEEWAY"
#define CONFIG_TOKEN_TYPES     "OAUTH_TOKEN_TYPES"
#define CONFIG_TTL_MIN         "OAUTH_JWKS_TTL_MIN"
#define CONFIG_TTL_MAX         "OAUTH_JWKS_TTL_MAX"
#define CONFIG_THROTTLE        "OAUTH_JWKS_REFRESH_THROTTLE"
#define CONFIG_MAX_STALE       "OAUTH_JWKS_MAX_STALE"
#define CONFIG_PROXY           "OAUTH_HTTP_PROXY"
#define CONFIG_CA_FILE         "OAUTH_CA_FILE"
/* The variables of Scalekit's quickstarts, accepted unchanged. */
#define CONFIG_SK_ENV         "SCALEKIT_ENVIRONMENT_URL"
#define CONFIG_SK_ENV_SHORT   "SK_ENV_URL"
#define CONFIG_SK_RESOURCE_ID "SCALEKIT_RESOURCE_ID"
#define CONFIG_SK_MCP_URL     "MCP_URL"
#define CONFIG_SK_AUDIENCE    "EXPECTED_AUDIENCE"
#define CONFIG_SK_PRM         "PROTECTED_RESOURCE_METADATA"

#define CONFIG_STATE_DIR_DEFAULT   "/var/lib/mcp-fcgi"
#define CONFIG_ALGORITHMS_DEFAULT  "RS256 ES256 PS256"
#define CONFIG_TOKEN_TYPES_DEFAULT "at+jwt JWT"
#define CONFIG_LEEWAY_DEFAULT      60
#define CONFIG_LEEWAY_MAX          300

#define CONFIG_MAX_BODY_DEFAULT (1024 * 1024)
#define CONFIG_MAX_BODY_LIMIT   (64 * 1024 * 1024)
#define CONFIG_FILE_MAX         (64 * 1024)

struct config {
	char *config_file;     /* real path of MCP_CONFIG_FILE, NULL when none */
	char *resource;        /* MCP_RESOURCE: canonical URL of the endpoint */
	char *resource_origin; /* "scheme://host[:port]" of resource */
	char *resource_host;   /* "host[:port]" as a Host header carries it */
	char *resource_path;   /* path of resource, "/" when it has none */
	bool resource_https;
	bool resource_loopback;         /* host is localhost, 127.0.0.0/8 or [::1] */
	struct strlist allowed_origins; /* derived defaults + MCP_ALLOWED_ORIGINS */
	struct strlist allowed_hosts;   /* derived defaults + MCP_ALLOWED_HOSTS */
	bool any_origin;                /* MCP_ALLOWED_ORIGINS contains "*" */
	size_t max_body;                /* MCP_MAX_BODY */
	enum log_level log_level;       /* MCP_LOG_LEVEL */
	char *log_file;                 /* MCP_LOG_FILE, NULL for stderr */
	char *resource_name;            /* MCP_RESOURCE_NAME, human-readable */

	/* Which tokens are accepted, and the key cache (config_oauth.c). */
	struct strlist issuers;               /* OAUTH_ISSUER: accepted "iss" values */
	struct strlist audiences;             /* OAUTH_AUDIENCE: accepted "aud" values */
	struct strlist authorization_servers; /* for the PRM document */
	struct strlist scopes_supported;      /* MCP_SCOPES_SUPPORTED */
	char *jwks_uri;                       /* OAUTH_JWKS_URI, NULL: discover */
	char *jwks_file;                      /* OAUTH_JWKS_FILE, NULL: fetch the keys */
	char *state_dir;                      /* MCP_STATE_DIR */
	char *proxy;                          /* OAUTH_HTTP_PROXY, NULL: none */
	char *ca_file;                        /* OAUTH_CA_FILE, NULL: system store */
	bool allow_http;                      /* OAUTH_ALLOW_HTTP */
	unsigned alg_mask;                    /* OAUTH_ALGORITHMS as JWA_BIT()s */
	unsigned token_types;                 /* OAUTH_TOKEN_TYPES as enum token_type bits */
	int64_t leeway;                       /* OAUTH_LEEWAY, seconds */
	int64_t jwks_ttl_min, jwks_ttl_max;   /* freshness bounds, seconds */
	int64_t jwks_throttle;                /* unknown-kid refresh interval */
	int64_t jwks_max_stale;               /* serve stale keys this long */
	char *prm_url;                        /* the path-aware RFC 9728 metadata URL of resource */
	char *prm_document;           /* PROTECTED_RESOURCE_METADATA as given, NULL: built */
	char *resource_documentation; /* MCP_RESOURCE_DOCUMENTATION, default <origin>/ */

	/* The tools (config_tools.c). */
	char *tool_scopes;              /* MCP_TOOL_SCOPES: "tool=scope scope; tool2=..." */
	struct strlist required_scopes; /* MCP_REQUIRED_SCOPES: needed by every request */
	char *todo_db;                  /* MCP_TODO_DB, default <state dir>/todos.sqlite */
	char *database_url;         /* MCP_DATABASE_URL (PostgreSQL) or NULL: may hold a password */
	int64_t todo_max_per_owner; /* MCP_TODO_MAX_PER_OWNER, default 1000 */
};

/*
 * Loads the configuration into *cfg (which the caller provides; its old
 * contents are ignored).  Returns 0, or -1 with ERR_CONFIG and one line in
 * e naming the variable and the problem ("MCP_RESOURCE: not set"), leaving
 * nothing allocated in cfg.  The caller releases a loaded configuration
 * with config_free().
 */
int config_load(struct config *cfg, struct err *e);

/* Releases what config_load() allocated; cfg itself is the caller's. NULL ok. */
void config_free(struct config *cfg);

/*
 * True when the configuration file lies inside the document root docroot
 * (NULL: unknown), where the web server would serve it to anyone.
 */
bool config_file_exposed(const struct config *cfg, const char *docroot);

/*
 * Whether this process may serve requests, given the document root a
 * request carries (NULL: none).  A CGI run checks its DOCUMENT_ROOT in
 * config_load(); a FastCGI process has none in its environment, so the
 * first request that carries one decides: a configuration file inside it
 * is refused with one log line, and every request of the process after it
 * with false (the caller answers 500).
 */
bool config_serving_allowed(const struct config *cfg, const char *docroot);

/*
 * The value of a configuration variable after config_load() ran: the
 * environment's value when set and non-empty, else the file's, else NULL.
 * The pointer stays valid until config_free().  For modules that own their
 * own variables.
 */
const char *config_get(const char *name);

#endif /* CONFIG_H */
