/*
 * tool.c - the tool registry and result helpers.
 */
#include "mcp/tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config.h"
#include "mcp/schema.h"

#define TOOL(name) extern const struct tool tool_##name;
#include "mcp/tools/tools.def"
#undef TOOL

static const struct tool *const all_tools[] = {
#define TOOL(name) &tool_##name,
#include "mcp/tools/tools.def"
#undef TOOL
};

#define N_TOOLS (sizeof(all_tools) / sizeof(all_tools[0]))

struct tool_registry {
	struct tool_entry entries[N_TOOLS];
	char *list_json;
};

/* Renders one tool's tools/list description (MCP schema "Tool"). */
static cJSON *
tool_describe(const struct tool_entry *e)
{
	const struct tool *t = e->tool;
	cJSON *obj = cJSON_CreateObject(), *ann, *meta, *scopes;

	if (obj == NULL)
		return NULL;
	cJSON_AddStringToObject(obj, "name", t->name);
	cJSON_AddStringToObject(obj, "title", t->title);
	cJSON_AddStringToObject(obj, "description", t->description);
	cJSON_AddItemToObject(obj, "inputSchema", cJSON_Duplicate(e->input_schema, true));
	if (e->output_schema != NULL)
		cJSON_AddItemToObject(obj, "outputSchema", cJSON_Duplicate(e->output_schema, true));
	ann = cJSON_AddObjectToObject(obj, "annotations");
	cJSON_AddStringToObject(ann, "title", t->title);
	cJSON_AddBoolToObject(ann, "readOnlyHint", (t->hints & TOOL_READ_ONLY) != 0);
	cJSON_AddBoolToObject(ann, "destructiveHint", (t->hints & TOOL_DESTRUCTIVE) != 0);
	cJSON_AddBoolToObject(ann, "idempotentHint", (t->hints & TOOL_IDEMPOTENT) != 0);
	cJSON_AddBoolToObject(ann, "openWorldHint", (t->hints & TOOL_OPEN_WORLD) != 0);
	/* The scopes a call needs, so a client knows what to ask the authorization server for. */
	meta = cJSON_AddObjectToObject(obj, "_meta");
	scopes = cJSON_AddArrayToObject(meta, "scopes");
	for (size_t i = 0; i < e->n_scopes; i++)
		cJSON_AddItemToArray(scopes, cJSON_CreateString(e->scopes[i]));
	return obj;
}

/* Parses a schema text of tool t; NULL with a message in err when it is unusable. */
static cJSON *
parse_schema(const struct tool *t, const char *text, const char *which, char *err, size_t errlen)
{
	cJSON *s = cJSON_Parse(text);

	if (!schema_is_object_schema(s)) {
		snprintf(err, errlen, "tool %s: %s is not a JSON object schema", t->name, which);
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

/* Fills e from t; returns 0 or -1 with err set. */
static int
entry_init(struct tool_entry *e, const struct tool *t, char *err, size_t errlen)
{
	struct strlist scopes = {0};

	e->tool = t;
	if ((e->input_schema = parse_schema(t, t->input_schema, "inputSchema", err, errlen)) ==
	    NULL)
		return -1;
	if (t->output_schema != NULL &&
	    (e->output_schema = parse_schema(t, t->output_schema, "outputSchema", err, errlen)) ==
	        NULL)
		return -1;
	strlist_split(&scopes, t->scopes);
	e->scopes = scopes.v;
	e->n_scopes = scopes.n;
	return 0;
}

/* Replaces e's scopes with the space-separated list in text (len bytes). */
static int
entry_set_scopes(struct tool_entry *e, const char *text, size_t len)
{
	struct strlist scopes = {0};
	char *copy = strndup(text, len);

	if (copy == NULL)
		return -1;
	strlist_split(&scopes, copy);
	free(copy);
	for (size_t j = 0; j < e->n_scopes; j++)
		free(e->scopes[j]);
	free(e->scopes);
	e->scopes = scopes.v;
	e->n_scopes = scopes.n;
	return 0;
}

/* Applies the operator's MCP_TOOL_SCOPES override; 0 or -1 with err set. */
static int
apply_scope_map(struct tool_registry *reg, const char *map, char *err, size_t errlen)
{
	const char *p = map;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, ";\n"), nlen;
		const char *eq = memchr(p, '=', len), *name = p;
		struct tool_entry *e = NULL;

		while (*name == ' ' || *name == '\t')
			name++;
		if (eq == NULL && strspn(p, " \t\r") < len) {
			snprintf(err, errlen, CONFIG_TOOL_SCOPES ": \"%.*s\" is not tool=scopes",
			         (int)len, p);
			return -1;
		}
		if (eq != NULL) {
			for (nlen = (size_t)(eq - name);
			     nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'); nlen--)
				;
			for (size_t i = 0; i < N_TOOLS; i++)
				if (strlen(all_tools[i]->name) == nlen &&
				    strncmp(all_tools[i]->name, name, nlen) == 0)
					e = &reg->entries[i];
			if (e == NULL) {
				snprintf(err, errlen, CONFIG_TOOL_SCOPES ": no tool named \"%.*s\"",
				         (int)nlen, name);
				return -1;
			}
			if (entry_set_scopes(e, eq + 1, len - (size_t)(eq + 1 - p)) != 0) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
		p += len;
		if (*p != '\0')
			p++;
	}
	return 0;
}

struct tool_registry *
tool_registry_new(const char *scope_map, char *err, size_t errlen)
{
	struct tool_registry *reg = calloc(1, sizeof(*reg));
	cJSON *list = NULL, *tools;

	if (errlen > 0)
		err[0] = '\0';
	if (reg == NULL)
		goto fail;
	for (size_t i = 0; i < N_TOOLS; i++) {
		if (tool_registry_find(reg, all_tools[i]->name) != NULL) {
			snprintf(err, errlen, "tool %s: registered twice", all_tools[i]->name);
			goto fail;
		}
		if (entry_init(&reg->entries[i], all_tools[i], err, errlen) != 0)
			goto fail;
	}
	if (apply_scope_map(reg, scope_map, err, errlen) != 0)
		goto fail;
	if ((list = cJSON_CreateObject()) == NULL ||
	    (tools = cJSON_AddArrayToObject(list, "tools")) == NULL)
		goto fail;
	for (size_t i = 0; i < N_TOOLS; i++)
		cJSON_AddItemToArray(tools, tool_describe(&reg->entries[i]));
	if ((reg->list_json = cJSON_PrintUnformatted(list)) == NULL)
		goto fail;
	cJSON_Delete(list);
	return reg;
fail:
	if (errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "tool registry: out of memory");
	cJSON_Delete(list);
	tool_registry_free(reg);
	return NULL;
}

void
tool_registry_free(struct tool_registry *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i < N_TOOLS; i++) {
		struct tool_entry *e = &reg->entries[i];
		cJSON_Delete(e->input_schema);
		cJSON_Delete(e->output_schema);
		for (size_t j = 0; j < e->n_scopes; j++)
			free(e->scopes[j]);
		free(e->scopes);
	}
	free(reg->list_json);
	free(reg);
}

const struct tool_entry *
tool_registry_find(const struct tool_registry *reg, const char *name)
{
	for (size_t i = 0; i < N_TOOLS; i++)
		if (reg->entries[i].tool != NULL && strcmp(reg->entries[i].tool->name, name) == 0)
			return &reg->entries[i];
	return NULL;
}

size_t
tool_registry_count(const struct tool_registry *reg)
{
	(void)reg;
	return N_TOOLS;
}

const struct tool_entry *
tool_registry_at(const struct tool_registry *reg, size_t i)
{
	return i < N_TOOLS ? &reg->entries[i] : NULL;
}

const char *
tool_registry_list_json(const struct tool_registry *reg)
{
	return reg->list_json;
}

int
tool_result_text(struct tool_result *res, const char *text)
{
	cJSON *block;

	if (res->content == NULL && (res->content = cJSON_CreateArray()) == NULL)
		return -1;
	if ((block = cJSON_CreateObject()) == NULL)
		return -1;
	cJSON_AddItemToArray(res->content, block);
	if (!cJSON_AddStringToObject(block, "type", "text") ||
	    !cJSON_AddStringToObject(block, "text", text))
		return -1;
	return 0;
}

int
tool_result_error(struct tool_result *res, const char *message)
{
	res->is_error = true;
	return tool_result_text(res, message);
}

int
tool_result_structured(struct tool_result *res, cJSON *obj)
{
	char *text;
	int rc;

	if (obj == NULL)
		return -1;
	cJSON_Delete(res->structured);
	res->structured = obj;
	if ((text = cJSON_PrintUnformatted(obj)) == NULL)
		return -1;
	rc = tool_result_text(res, text);
	cJSON_free(text);
	return rc;
}

void
tool_result_clear(struct tool_result *res)
{
	cJSON_Delete(res->content);
	cJSON_Delete(res->structured);
	memset(res, 0, sizeof(*res));
}
