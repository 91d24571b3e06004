/*
 * schema.h - the subset of JSON Schema that tool input schemas use, checked
 * before a handler runs (MCP tools: "Servers MUST validate all tool inputs").
 *
 * Supported keywords: type (string, integer, number, boolean, object, array,
 * null, or an array of them), properties, required, additionalProperties
 * (boolean), minLength/maxLength (code points), minimum/maximum, enum, items,
 * maxItems.  Unknown keywords are ignored, as JSON Schema prescribes.
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/core/err.h"

/*
 * Validates value against schema.  Returns true when it conforms; else false
 * with ERR_INVALID and a short message naming the offending member in e
 * (e.g. "name: must be at most 256 characters").  The message never quotes
 * argument values, so it is safe to send and to log.
 */
bool schema_validate(const cJSON *schema, const cJSON *value, struct err *e);

/*
 * Checks that schema is one the validator understands as a tool's input
 * schema: an object with "type":"object".  Returns true or false.
 */
bool schema_is_object_schema(const cJSON *schema);

#endif /* SCHEMA_H */
