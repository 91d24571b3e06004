/*
 * fuzz_schema.c - the schema validator (src/mcp/schema.h), schema and value
 * both fuzzed: the input is a JSON array [schema, value].
 *
 * The tools' schemas are the project's own, but the validator must not
 * trust them more than any input: a schema with a keyword of the wrong type
 * (a string maxLength, a required that is no array, nested items without
 * end) must answer, never crash.  A refusal must come with ERR_INVALID and
 * a message, an acceptance with neither.
 */
#include "fuzz.h"

#include <cJSON.h>

#include "mcp/schema.h"

static void
harness_init(void)
{
	/* Nothing beyond fuzz_setup(): the parser keeps no state. */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
	const cJSON *schema = cJSON_GetArrayItem(doc, 0), *value = cJSON_GetArrayItem(doc, 1);
	struct err e = {0};

	if (cJSON_IsArray(doc) && cJSON_GetArraySize(doc) == 2) {
		(void)schema_is_object_schema(schema);
		if (schema_validate(schema, value, &e)) {
			if (e.code != ERR_OK)
				abort();
		} else if (e.code != ERR_INVALID || e.msg[0] == '\0') {
			abort();
		}
	}
	cJSON_Delete(doc);
	return 0;
}
