/*
 * schema.c - a small JSON Schema validator for tool arguments.
 */
#include "mcp/schema.h"

#include "lib/core/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SCHEMA_MAX_DEPTH 16

static bool validate(const cJSON *schema, const cJSON *value, const char *where, int depth,
                     struct err *e);

/* True when value is an instance of the named JSON Schema type. */
static bool
type_matches(const char *type, const cJSON *value)
{
	if (strcmp(type, "string") == 0)
		return cJSON_IsString(value);
	if (strcmp(type, "number") == 0)
		return cJSON_IsNumber(value);
	if (strcmp(type, "integer") == 0)
		return cJSON_IsNumber(value) && isfinite(value->valuedouble) &&
		       floor(value->valuedouble) == value->valuedouble;
	if (strcmp(type, "boolean") == 0)
		return cJSON_IsBool(value);
	if (strcmp(type, "object") == 0)
		return cJSON_IsObject(value);
	if (strcmp(type, "array") == 0)
		return cJSON_IsArray(value);
	if (strcmp(type, "null") == 0)
		return cJSON_IsNull(value);
	return false;
}

static bool
check_type(const cJSON *schema, const cJSON *value, const char *where, struct err *e)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type"), *t;

	if (cJSON_IsString(type) && !type_matches(type->valuestring, value)) {
		err_set(e, ERR_INVALID, "%s: must be of type %s", where, type->valuestring);
		return false;
	}
	if (cJSON_IsArray(type)) {
		cJSON_ArrayForEach (t, type)
			if (cJSON_IsString(t) && type_matches(t->valuestring, value))
				return true;
		err_set(e, ERR_INVALID, "%s: has the wrong type", where);
		return false;
	}
	return true;
}

static bool
check_string(const cJSON *schema, const cJSON *value, const char *where, struct err *e)
{
	const cJSON *min = cJSON_GetObjectItemCaseSensitive(schema, "minLength");
	const cJSON *max = cJSON_GetObjectItemCaseSensitive(schema, "maxLength");
	size_t len = utf8_chars(value->valuestring) /* JSON Schema lengths are in characters */;

	if (cJSON_IsNumber(min) && (double)len < min->valuedouble) {
		err_set(e, ERR_INVALID, "%s: must be at least %.0f characters", where,
		        min->valuedouble);
		return false;
	}
	if (cJSON_IsNumber(max) && (double)len > max->valuedouble) {
		err_set(e, ERR_INVALID, "%s: must be at most %.0f characters", where,
		        max->valuedouble);
		return false;
	}
	return true;
}

static bool
check_number(const cJSON *schema, const cJSON *value, const char *where, struct err *e)
{
	const cJSON *min = cJSON_GetObjectItemCaseSensitive(schema, "minimum");
	const cJSON *max = cJSON_GetObjectItemCaseSensitive(schema, "maximum");

	if (cJSON_IsNumber(min) && value->valuedouble < min->valuedouble) {
		err_set(e, ERR_INVALID, "%s: must be at least %g", where, min->valuedouble);
		return false;
	}
	if (cJSON_IsNumber(max) && value->valuedouble > max->valuedouble) {
		err_set(e, ERR_INVALID, "%s: must be at most %g", where, max->valuedouble);
		return false;
	}
	return true;
}

static bool
check_enum(const cJSON *schema, const cJSON *value, const char *where, struct err *e)
{
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(schema, "enum"), *c;

	if (!cJSON_IsArray(choices))
		return true;
	cJSON_ArrayForEach (c, choices)
		if (cJSON_Compare(c, value, true))
			return true;
	err_set(e, ERR_INVALID, "%s: is not one of the allowed values", where);
	return false;
}

/* Formats the path of a member for messages: "name" or "outer.name". */
static void
member_path(char *buf, size_t len, const char *where, const char *name)
{
	size_t n = 0, m;

	/* Cut like snprintf's "%s.%s" would be (without its machinery: every call's cost). */
	if (where[0] != '\0' && strcmp(where, "arguments") != 0) {
		n = strnlen(where, len - 1);
		memcpy(buf, where, n);
		if (n < len - 1)
			buf[n++] = '.';
	}
	m = strnlen(name, len - 1 - n);
	memcpy(buf + n, name, m);
	buf[n + m] = '\0';
}

static bool
check_object(const cJSON *schema, const cJSON *value, const char *where, int depth, struct err *e)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	const cJSON *required = cJSON_GetObjectItemCaseSensitive(schema, "required");
	const cJSON *additional = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
	const cJSON *r, *member;
	char path[160];

	cJSON_ArrayForEach (r, required) {
		if (cJSON_IsString(r) &&
		    cJSON_GetObjectItemCaseSensitive(value, r->valuestring) == NULL) {
			member_path(path, sizeof(path), where, r->valuestring);
			err_set(e, ERR_INVALID, "%s: is required", path);
			return false;
		}
	}
	cJSON_ArrayForEach (member, value) {
		const cJSON *sub = cJSON_GetObjectItemCaseSensitive(props, member->string);
		/* The name comes from the client: keep it out of the message if it is odd. */
		member_path(path, sizeof(path), where, sub != NULL ? member->string : "(unknown)");
		if (sub == NULL) {
			if (cJSON_IsFalse(additional)) {
				err_set(e, ERR_INVALID, "%s: unexpected argument",
				        where[0] ? where : "arguments");
				return false;
			}
			continue;
		}
		if (!validate(sub, member, path, depth + 1, e))
			return false;
	}
	return true;
}

static bool
check_array(const cJSON *schema, const cJSON *value, const char *where, int depth, struct err *e)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
	const cJSON *max = cJSON_GetObjectItemCaseSensitive(schema, "maxItems"), *it;

	if (cJSON_IsNumber(max) && (double)cJSON_GetArraySize(value) > max->valuedouble) {
		err_set(e, ERR_INVALID, "%s: must have at most %.0f items", where,
		        max->valuedouble);
		return false;
	}
	if (!cJSON_IsObject(items))
		return true;
	cJSON_ArrayForEach (it, value)
		if (!validate(items, it, where, depth + 1, e))
			return false;
	return true;
}

static bool
validate(const cJSON *schema, const cJSON *value, const char *where, int depth, struct err *e)
{
	if (depth > SCHEMA_MAX_DEPTH) {
		err_set(e, ERR_INVALID, "%s: nested too deeply", where);
		return false;
	}
	if (!cJSON_IsObject(schema))
		return true;
	if (!check_type(schema, value, where, e) || !check_enum(schema, value, where, e))
		return false;
	if (cJSON_IsString(value))
		return check_string(schema, value, where, e);
	if (cJSON_IsNumber(value))
		return check_number(schema, value, where, e);
	if (cJSON_IsObject(value))
		return check_object(schema, value, where, depth, e);
	if (cJSON_IsArray(value))
		return check_array(schema, value, where, depth, e);
	return true;
}

bool
schema_validate(const cJSON *schema, const cJSON *value, struct err *e)
{
	err_clear(e);
	return validate(schema, value, "arguments", 0, e);
}

bool
schema_is_object_schema(const cJSON *schema)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");

	return cJSON_IsObject(schema) && cJSON_IsString(type) &&
	       strcmp(type->valuestring, "object") == 0;
}
