/*
 * main.c - mcp-fcgi-cli: the operator's tool and the development issuer.
 *
 *   mcp-fcgi-cli keygen --out FILE [--alg RS256|ES256]
 *   mcp-fcgi-cli jwks --key FILE...
 *   mcp-fcgi-cli mint --key FILE --iss URL --aud AUD [--sub S] [--scope "a b"]
 *                     [--client-id C] [--org-id O] [--ttl SECONDS] [--typ T]
 *                     [--alg ALG] [--claims JSON]
 *   mcp-fcgi-cli dev-issuer --dir DIR --issuer URL [--alg RS256|ES256]
 *   mcp-fcgi-cli inspect [TOKEN]      (reads the token from stdin without TOKEN)
 *   mcp-fcgi-cli doctor <MCP URL> [--token TOKEN|-] [--origin ORIGIN]
 *                     (checks a deployment from the outside, see cli/doctor.h;
 *                      --token - reads the token from stdin)
 *
 * Never installed under cgi-bin: it holds private keys.
 */
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/devissuer.h"
#include "cli/doctor.h"
#include "lib/auth/auth.h"
#include "lib/jose/b64url.h"
#include "lib/config/config.h"
#include "lib/core/err.h"
#include "lib/jose/jwk.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/core/num.h"
#include "lib/jose/token.h"

#define KEY_FILE      "signing-key.pem"
#define JWKS_FILE     "jwks.json"
#define AS_WELL_KNOWN "/.well-known/oauth-authorization-server"

/* Every option any command takes; each command reads the ones it needs. */
struct opts {
	const char *out, *alg, *iss, *aud, *sub, *scope, *client_id, *org_id, *typ, *claims, *dir;
	const char *keys[8];
	size_t n_keys;
	int64_t ttl;
};

static int
usage(void)
{
	fputs(
	    "usage: mcp-fcgi-cli keygen --out FILE [--alg RS256|ES256]\n"
	    "       mcp-fcgi-cli jwks --key FILE...\n"
	    "       mcp-fcgi-cli mint --key FILE --iss URL --aud AUD [--sub S] [--scope \"a b\"]\n"
	    "                         [--client-id C] [--org-id O] [--ttl SECONDS] [--typ T]\n"
	    "                         [--alg ALG] [--claims JSON]\n"
	    "       mcp-fcgi-cli dev-issuer --dir DIR --issuer URL [--alg RS256|ES256]\n"
	    "       mcp-fcgi-cli inspect [TOKEN]\n"
	    "       mcp-fcgi-cli doctor <MCP URL> [--token TOKEN|-] [--origin ORIGIN]\n",
	    stderr);
	return 2;
}

/* The options that take a plain string, by where it goes in struct opts. */
static const struct {
	const char *name;
	size_t off;
} string_opts[] = {
    {"out", offsetof(struct opts, out)},       {"alg", offsetof(struct opts, alg)},
    {"iss", offsetof(struct opts, iss)},       {"issuer", offsetof(struct opts, iss)},
    {"aud", offsetof(struct opts, aud)},       {"sub", offsetof(struct opts, sub)},
    {"scope", offsetof(struct opts, scope)},   {"client-id", offsetof(struct opts, client_id)},
    {"org-id", offsetof(struct opts, org_id)}, {"typ", offsetof(struct opts, typ)},
    {"claims", offsetof(struct opts, claims)}, {"dir", offsetof(struct opts, dir)},
};

#define N_STRING_OPTS (sizeof(string_opts) / sizeof(string_opts[0]))
#define OPT_KEY       1000
#define OPT_TTL       1001

/* Takes the value of option c (a string_opts index, OPT_KEY or OPT_TTL); 0 or -1. */
static int
opt_take(struct opts *o, int c, const char *arg)
{
	if (c >= 0 && (size_t)c < N_STRING_OPTS) {
		*(const char **)((char *)o + string_opts[c].off) = arg;
		return 0;
	}
	if (c == OPT_KEY && o->n_keys < sizeof(o->keys) / sizeof(o->keys[0])) {
		o->keys[o->n_keys++] = arg;
		return 0;
	}
	if (c == OPT_TTL && num_parse_i64(arg, 1, 366 * 86400, &o->ttl) == 0)
		return 0;
	if (c == OPT_TTL)
		fprintf(stderr, "mcp-fcgi-cli: --ttl: seconds from 1 to 31622400\n");
	return -1;
}

/* Parses the options after the command name; returns 0 or -1. */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	struct option longopts[N_STRING_OPTS + 3] = {
	    [N_STRING_OPTS] = {"key", 1, 0, OPT_KEY},
	    [N_STRING_OPTS + 1] = {"ttl", 1, 0, OPT_TTL},
	};
	int c;

	for (size_t i = 0; i < N_STRING_OPTS; i++)
		longopts[i] = (struct option){string_opts[i].name, 1, 0, (int)i};
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
		if (c == '?' || opt_take(o, c, optarg) != 0)
			return -1;
	return optind == argc ? 0 : -1;
}

/* Reports a devissuer error with context; returns 1. */
static int
fail(const char *what, const struct err *e)
{
	fprintf(stderr, "mcp-fcgi-cli: %s: %s\n", what, e->msg);
	return 1;
}

/* Generates a key of the type alg names (RS256 default); 0, or -1 with e set. */
static int
generate(const char *alg, struct devissuer_key **key, struct err *e)
{
	enum devissuer_kty kty =
	    alg != NULL && strncmp(alg, "ES", 2) == 0 ? DEVISSUER_KEY_EC : DEVISSUER_KEY_RSA;
	int rc = devissuer_key_generate(kty, key, e);
	enum jwa_alg a;

	if (rc == 0 && alg != NULL && jwa_parse(alg, &a) != 0)
		rc = err_set(e, ERR_INVALID, "%s: unknown algorithm %s", DEVISSUER_MSG_ARG, alg);
	else if (rc == 0 && alg != NULL)
		rc = devissuer_key_alg_set(*key, a, e);
	if (rc != 0) {
		devissuer_key_free(*key);
		*key = NULL;
	}
	return rc;
}

static int
cmd_keygen(const struct opts *o)
{
	struct devissuer_key *key = NULL;
	struct err e;
	int rc;

	if (o->out == NULL)
		return usage();
	if ((rc = generate(o->alg, &key, &e)) == 0)
		rc = devissuer_key_save(key, o->out, &e);
	if (rc == 0)
		printf("%s\n", devissuer_key_kid(key));
	devissuer_key_free(key);
	return rc == 0 ? 0 : fail(o->out, &e);
}

/* Prints (or writes to path, 0644: it is public) the JWKS of the keys. */
static int
write_jwks(struct devissuer_key **keys, size_t n, const char *path)
{
	char *json = devissuer_jwks_export((const struct devissuer_key *const *)keys, n);
	FILE *f;

	if (path == NULL) {
		printf("%s\n", json);
	} else if ((f = fopen(path, "w")) == NULL || fprintf(f, "%s\n", json) < 0 ||
	           fclose(f) != 0) {
		fprintf(stderr, "mcp-fcgi-cli: %s: %s\n", path, strerror(errno));
		free(json);
		return 1;
	}
	free(json);
	return 0;
}

static int
cmd_jwks(const struct opts *o)
{
	struct devissuer_key *keys[8] = {0};
	struct err e;
	int rc = 0;
	size_t i;
	int ret;

	if (o->n_keys == 0)
		return usage();
	for (i = 0; i < o->n_keys && rc == 0; i++)
		rc = devissuer_key_load(o->keys[i], &keys[i], &e);
	ret = rc == 0 ? write_jwks(keys, o->n_keys, NULL) : fail(o->keys[i - 1], &e);
	for (i = 0; i < o->n_keys; i++)
		devissuer_key_free(keys[i]);
	return ret;
}

static int
cmd_mint(const struct opts *o)
{
	struct devissuer_key *key = NULL;
	struct devissuer_token_opts t = {
	    .iss = o->iss,
	    .sub = o->sub != NULL ? o->sub : "dev-user",
	    .aud = o->aud,
	    .scope = o->scope,
	    .client_id = o->client_id,
	    .org_id = o->org_id,
	    .typ = o->typ,
	    .alg = o->alg,
	    .lifetime = o->ttl != 0 ? o->ttl : 3600,
	    .extra_json = o->claims,
	};
	struct err e;
	int rc;
	char *token = NULL;

	if (o->n_keys != 1 || o->iss == NULL || o->aud == NULL)
		return usage();
	if ((rc = devissuer_key_load(o->keys[0], &key, &e)) == 0)
		rc = devissuer_token_mint(key, &t, &token, &e);
	if (rc == 0)
		printf("%s\n", token);
	free(token);
	devissuer_key_free(key);
	return rc == 0 ? 0 : fail("mint", &e);
}

/* mkdir -p for a path inside the issuer directory; 0 or -1. */
static int
mkdirs(const char *path, mode_t mode)
{
	char buf[1024];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) != 0 && errno != EEXIST ? -1 : 0;
}

/*
 * Writes the RFC 8414 metadata for issuer into dir, at the well-known path
 * with the issuer's path inserted (§3.1), so a web server serving dir at the
 * issuer's origin answers discovery.
 */
static int
write_metadata(const char *dir, const char *issuer)
{
	const char *host = strstr(issuer, "://"), *path;
	char file[1024], jwks_uri[1024], *json;
	cJSON *m = cJSON_CreateObject();
	FILE *f;

	if (host == NULL || m == NULL)
		return -1;
	path = strchr(host + 3, '/');
	snprintf(jwks_uri, sizeof(jwks_uri), "%s/" JWKS_FILE, issuer);
	snprintf(file, sizeof(file), "%s" AS_WELL_KNOWN "%s", dir, path != NULL ? path : "");
	*strrchr(file, '/') = '\0';
	if (mkdirs(file, 0755) != 0)
		return -1;
	snprintf(file, sizeof(file), "%s" AS_WELL_KNOWN "%s", dir, path != NULL ? path : "");
	cJSON_AddStringToObject(m, "issuer", issuer);
	cJSON_AddStringToObject(m, "jwks_uri", jwks_uri);
	/* A development issuer mints tokens on the command line: it has no endpoints. */
	cJSON_AddItemToObject(m, "response_types_supported", cJSON_CreateArray());
	json = cJSON_Print(m);
	cJSON_Delete(m);
	if (json == NULL || (f = fopen(file, "w")) == NULL) {
		free(json);
		return -1;
	}
	fprintf(f, "%s\n", json);
	free(json);
	return fclose(f);
}

/*
 * Sets up a development issuer in dir: a signing key (kept when present),
 * its JWKS at <issuer>/jwks.json and the RFC 8414 metadata.
 */
static int
cmd_dev_issuer(const struct opts *o)
{
	struct devissuer_key *key = NULL;
	char keyfile[1024], jwks[1024];
	struct err e;
	int rc, ret = 1;

	if (o->dir == NULL || o->iss == NULL)
		return usage();
	if (mkdirs(o->dir, 0755) != 0) {
		fprintf(stderr, "mcp-fcgi-cli: %s: %s\n", o->dir, strerror(errno));
		return 1;
	}
	snprintf(keyfile, sizeof(keyfile), "%s/" KEY_FILE, o->dir);
	snprintf(jwks, sizeof(jwks), "%s/" JWKS_FILE, o->dir);
	rc = devissuer_key_load(keyfile, &key, &e);
	if (rc != 0 && (rc = generate(o->alg, &key, &e)) == 0)
		rc = devissuer_key_save(key, keyfile, &e);
	if (rc != 0)
		return fail(keyfile, &e);
	if (write_jwks(&key, 1, jwks) == 0 && write_metadata(o->dir, o->iss) == 0) {
		printf("%s\n", keyfile);
		ret = 0;
	} else {
		fprintf(stderr, "mcp-fcgi-cli: cannot write the issuer's documents in %s\n",
		        o->dir);
	}
	devissuer_key_free(key);
	return ret;
}

/* Prints one base64url JSON part of a token, pretty, or says it is not JSON. */
static void
print_part(const char *label, const char *part, size_t len)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	cJSON *j = NULL;
	char *pretty = NULL;

	if (b64url_decode_alloc(part, len, &raw, &rawlen) == 0)
		j = cJSON_ParseWithLength((const char *)raw, rawlen);
	if (j != NULL && (pretty = cJSON_Print(j)) != NULL)
		printf("%s:\n%s\n", label, pretty);
	else
		printf("%s: (not base64url JSON)\n", label);
	free(pretty);
	cJSON_Delete(j);
	free(raw);
}

/*
 * Shows a token's header and claims and whether the server configured by
 * this environment (MCP_* / OAUTH_* variables) would accept it, and why not.
 */
static int
cmd_inspect(int argc, char **argv)
{
	char buf[TOKEN_MAX_LEN * 2], header[TOKEN_MAX_LEN * 2 + 16];
	const char *tok = argc > 2 ? argv[2] : NULL, *dot1, *dot2;
	struct principal *p = NULL;
	struct err e = {0};
	struct config cfg;
	struct auth *a = NULL;
	int ret = 1;

	if (tok == NULL) {
		if (fgets(buf, sizeof(buf), stdin) == NULL)
			return usage();
		buf[strcspn(buf, "\r\n")] = '\0';
		tok = buf;
	}
	dot1 = strchr(tok, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL) {
		fputs("not a compact JWS (three dot-separated parts)\n", stdout);
		return 1;
	}
	print_part("header", tok, (size_t)(dot1 - tok));
	print_part("claims", dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (config_load(&cfg, &e) != 0) {
		printf("verdict: not checked (configuration: %s)\n", e.msg);
		return 1;
	}
	if ((a = auth_new(&cfg, &e)) != NULL) {
		snprintf(header, sizeof(header), "Bearer %s", tok);
		if (auth_check(a, header, NULL, (int64_t)time(NULL), &p, &e) == 0) {
			printf("verdict: accepted (subject %s)\n", p->subject ? p->subject : "-");
			ret = 0;
		} else {
			printf("verdict: rejected: %s\n", e.msg);
		}
		explicit_bzero(header, sizeof(header));
		principal_free(p);
		auth_free(a);
	}
	if (a == NULL)
		printf("verdict: not checked (%s)\n", e.msg);
	config_free(&cfg);
	return ret;
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	const char *cmd = argc > 1 ? argv[1] : "";

	util_init();
	token_lib_init();
	log_set_prog("cli");
	if (strcmp(cmd, "inspect") == 0)
		return cmd_inspect(argc, argv);
	if (strcmp(cmd, "doctor") == 0)
		return doctor_main(argc - 1, argv + 1);
	if (argc < 2 || parse_opts(argc - 1, argv + 1, &o) != 0)
		return usage();
	if (strcmp(cmd, "keygen") == 0)
		return cmd_keygen(&o);
	if (strcmp(cmd, "jwks") == 0)
		return cmd_jwks(&o);
	if (strcmp(cmd, "mint") == 0)
		return cmd_mint(&o);
	if (strcmp(cmd, "dev-issuer") == 0)
		return cmd_dev_issuer(&o);
	return usage();
}
