/*
 * fuzz_dispatch.c - the JSON-RPC body through the dispatcher
 * (src/mcp/dispatch.h), as an authenticated caller holding every scope the
 * tools ask for, so bodies reach the tools, their schema validation and
 * the todo store (SQLite in a temporary state directory made once; each
 * owner keeps at most 50 todos, so the file stays small however long the
 * run).  No rate limits: they would answer 429 in place of the tools.
 *
 * A todo's id is random, so no mutation would name one that exists: the
 * caller owns one todo at all times (made again when a body deleted it),
 * and PLACEHOLDER in a body stands for its id, so get, update and delete
 * reach the rows too.
 *
 * The first byte picks the MCP-Protocol-Version (batches exist only in
 * 2025-03-26) and, with bit 2, a caller holding no scope (the 403 path);
 * the rest is the body.  The answer must keep dispatch_body's contract: a
 * status from its list, a body with every 200 and 400 that reads back as
 * JSON, none with 202.
 */
#define _GNU_SOURCE /* memmem */
#include "fuzz.h"

#include <cjson/cJSON.h>

#include "lib/config/config.h"
#include "lib/core/util.h"
#include "lib/jose/principal.h"
#include "mcp/dispatch.h"
#include "mcp/outcome.h"
#include "mcp/todo_store.h"
#include "mcp/tool.h"

#define ISS "https://issuer.example"

static const char *const versions[] = {"2025-03-26", "2025-06-18", "2025-11-25", "2024-11-05"};
static char *all_scopes[] = {"todo:read", "todo:write"};
static const struct principal caller = {.subject = "fuzz-user",
                                        .client_id = "fuzz-client",
                                        .org_id = "fuzz-org",
                                        .issuer = ISS,
                                        .scopes = all_scopes,
                                        .n_scopes = 2,
                                        .exp = INT64_C(4102444800),
                                        .iat = INT64_C(1700000000)};
static const struct principal unscoped = {.subject = "fuzz-other", .issuer = ISS, .exp = 1};
static struct config cfg = {.resource_name = "fuzz"};
static struct tool_registry *reg;
static struct todo_store *todos;
static const struct todo_owner owner = {.issuer = ISS, .subject = "fuzz-user", .org = "fuzz-org"};
/* Exactly TODO_ID_LEN characters: replaced in place. */
#define PLACEHOLDER "TODO_ID_PLACEHOLDER_000000000000"
_Static_assert(sizeof(PLACEHOLDER) == TODO_ID_LEN + 1, "PLACEHOLDER is an id's length");
static char todo_id[TODO_ID_LEN + 1];

/* Makes sure the caller's todo exists; aborts when the store fails. */
static void
todo_ensure(void)
{
	struct todo t = {0};
	struct err e;

	if (todo_id[0] != '\0' && todo_get(todos, &owner, todo_id, &t, &e) == 0) {
		todo_clear(&t);
		return;
	}
	if (todo_create(todos, &owner, "fuzz", "the placeholder's todo", &t, &e) != 0) {
		/* At the owner's limit: the next body that deletes makes room. */
		if (e.code == ERR_LIMIT)
			return;
		fprintf(stderr, "fuzz_dispatch: %s\n", e.msg);
		abort();
	}
	memcpy(todo_id, t.id, sizeof(todo_id));
	todo_clear(&t);
}

/* The body of size bytes with every PLACEHOLDER replaced by the todo's id (free()). */
static char *
body_of(const uint8_t *data, size_t size)
{
	char *body = xmalloc(size + 1), *p = body;
	size_t n = strlen(PLACEHOLDER);

	memcpy(body, data, size);
	body[size] = '\0';
	while ((p = memmem(p, size - (size_t)(p - body), PLACEHOLDER, n)) != NULL) {
		todo_ensure();
		memcpy(p, todo_id, n);
		p += n;
	}
	return body;
}

static void
harness_init(void)
{
	char db[300];
	struct err e;

	util_init(); /* the endpoint's allocation hooks: bodies parsed in the JSON arena */
	snprintf(db, sizeof(db), "%s/todos.sqlite", fuzz_tmpdir());
	if ((reg = tool_registry_new(NULL, &e)) == NULL ||
	    (todos = todo_store_open(db, 50, ISS, &e)) == NULL) {
		fprintf(stderr, "fuzz_dispatch: %s\n", e.msg);
		abort();
	}
	todo_ensure();
}

static void
check(const struct outcome *out)
{
	switch (out->status) {
	case 200:
	case 400: {
		/* Written as text (jsontext.c), not by cJSON: it must still read back as JSON. */
		cJSON *back;

		if (out->body == NULL || out->body_len != strlen(out->body))
			abort();
		if ((back = cJSON_ParseWithLength(out->body, out->body_len)) == NULL)
			abort();
		cJSON_Delete(back);
		break;
	}
	case 202:
		if (out->body != NULL)
			abort();
		break;
	case 403:
	case 429:
	case 503:
		break;
	default:
		abort();
	}
	if (out->n_msgs > JSONRPC_BATCH_MAX)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dispatch_ctx ctx = {.reg = reg, .cfg = &cfg, .request_id = "fuzz", .todos = todos};
	struct outcome out = {0};
	char *body;

	if (size == 0 || size > CONFIG_MAX_BODY_DEFAULT)
		return -1;
	ctx.protocol_version = versions[data[0] % 4];
	ctx.principal = (data[0] & 4) ? &unscoped : &caller;
	body = body_of(data + 1, size - 1);
	dispatch_body(&ctx, body, size - 1, &out);
	check(&out);
	outcome_clear(&out);
	free(body);
	return 0;
}
