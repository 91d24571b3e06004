/*
 * whoami - who the verified access token says the caller is.
 *
 * Returns the principal's claims (never the token itself), so an operator or
 * a client developer can see what the server saw.
 */
#include "lib/jose/token.h"
#include "mcp/jsonrpc.h"
#include "mcp/tool.h"

/* Adds name: value, or null when the claim was absent. */
static void
add_claim(cJSON *o, const char *name, const char *value)
{
	if (value != NULL)
		cJSON_AddStringToObject(o, name, value);
	else
		cJSON_AddNullToObject(o, name);
}

static int
whoami(const struct tool_ctx *ctx, const cJSON *args, struct tool_result *res)
{
	const struct principal *p = ctx->principal;
	cJSON *o = cJSON_CreateObject(), *scopes;

	(void)args;
	add_claim(o, "subject", p->subject);
	add_claim(o, "client_id", p->client_id);
	add_claim(o, "org_id", p->org_id);
	add_claim(o, "issuer", p->issuer);
	scopes = cJSON_AddArrayToObject(o, "scopes");
	for (size_t i = 0; i < p->n_scopes; i++)
		cJSON_AddItemToArray(scopes, cJSON_CreateString(p->scopes[i]));
	jsonrpc_add_int(o, "expires_at", p->exp);
	return tool_result_structured(res, o);
}

const struct tool tool_whoami = {
    .name = "whoami",
    .title = "Who am I",
    .description = "Returns the identity the access token carries: subject, client, "
                   "organisation, issuer, scopes and expiry. Never returns the token.",
    .input_schema = "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}",
    .output_schema =
        "{\"type\":\"object\",\"properties\":{"
        "\"subject\":{\"type\":[\"string\",\"null\"]},\"client_id\":{\"type\":[\"string\",\"null\"]"
        "},"
        "\"org_id\":{\"type\":[\"string\",\"null\"]},\"issuer\":{\"type\":[\"string\",\"null\"]},"
        "\"scopes\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
        "\"expires_at\":{\"type\":\"integer\"}},"
        "\"required\":[\"subject\",\"client_id\",\"org_id\",\"issuer\",\"scopes\",\"expires_at\"]}",
    .hints = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
    .handler = whoami,
};
