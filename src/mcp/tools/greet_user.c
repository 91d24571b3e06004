/*
 * greet_user - the hello-world tool of the MCP quickstarts.
 */
#include <stdio.h>

#include "mcp/tool.h"

#define GREET_NAME_MAX 256

static int
greet_user(const struct tool_ctx *ctx, const cJSON *args, struct tool_result *res)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(args, "name");
	char text[GREET_NAME_MAX * 4 + 32];

	(void)ctx;
	/* The schema guarantees a string of 1..256 characters (up to 4 bytes each). */
	snprintf(text, sizeof(text), "Hi %s, welcome!", name->valuestring);
	return tool_result_text(res, text);
}

const struct tool tool_greet_user = {
    .name = "greet_user",
    .title = "Greet a user",
    .description = "Greets the named user. Returns the text \"Hi <name>, welcome!\".",
    .input_schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\","
                    "\"minLength\":1,\"maxLength\":256,\"description\":\"Whom to greet\"}},"
                    "\"required\":[\"name\"]}",
    .hints = TOOL_READ_ONLY | TOOL_IDEMPOTENT,
    .handler = greet_user,
};
