/*
 * tool.c - the tool registry and result helpers.
 */
#include "mcp/tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config.h"
#include "lib/core/log.h"
#include "mcp/catalog.h"
#include "mcp/jsontext.h"
#include "mcp/schema.h"

#define TOOL(name, scopes) extern const struct tool tool_##name;
#include "mcp/tools/tools.def"
#undef TOOL

static const struct tool *const all_tools[] = {
#define TOOL(name, scopes) &tool_##name,
#include "mcp/tools/tools.def"
#undef TOOL
};

#define N_TOOLS (sizeof(all_tools) / sizeof(all_tools[0]))

struct tool_registry {
	struct catalog catalog; /* names and scopes; entry i is the catalogue's tool i */
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
parse_schema(const struct tool *t, const char *text, const char *which, struct err *e)
{
	cJSON *s = cJSON_Parse(text);

	if (!schema_is_object_schema(s)) {
		err_set(e, ERR_CONFIG, "tool %s: %s is not a JSON object schema", t->name, which);
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

/* Parses e's schemas once; true when they are usable (else logged, once per try). */
static bool
entry_ready(struct tool_entry *e)
{
	const struct tool *t = e->tool;
	struct err err;

	if (e->input_schema != NULL)
		return true;
	if ((e->input_schema = parse_schema(t, t->input_schema, "inputSchema", &err)) == NULL ||
	    (t->output_schema != NULL &&
	     (e->output_schema = parse_schema(t, t->output_schema, "outputSchema", &err)) ==
	         NULL)) {
		cJSON_Delete(e->input_schema);
		e->input_schema = NULL;
		log_msg(LOGL_ERROR, "%s", err.msg);
		return false;
	}
	return true;
}

/* The entry named name, schemas or not, or NULL. */
static struct tool_entry *
entry_named(struct tool_registry *reg, const char *name)
{
	for (size_t i = 0; i < N_TOOLS; i++)
		if (reg->entries[i].tool != NULL && strcmp(reg->entries[i].tool->name, name) == 0)
			return &reg->entries[i];
	return NULL;
}

struct tool_registry *
tool_registry_new(const char *scope_map, struct err *e)
{
	struct tool_registry *reg = xcalloc(1, sizeof(*reg));

	if (catalog_load(&reg->catalog, scope_map, e) != 0)
		goto fail;
	for (size_t i = 0; i < N_TOOLS; i++) {
		if (entry_named(reg, all_tools[i]->name) != NULL) {
			err_set(e, ERR_CONFIG, "tool %s: registered twice", all_tools[i]->name);
			goto fail;
		}
		/* tools.def feeds both tables: the i-th tool is the catalogue's i-th. */
		if (strcmp(reg->catalog.names[i], all_tools[i]->name) != 0) {
			err_set(e, ERR_CONFIG, "tool %s: defined as %s", reg->catalog.names[i],
			        all_tools[i]->name);
			goto fail;
		}
		reg->entries[i].tool = all_tools[i];
		reg->entries[i].scopes = (const char *const *)reg->catalog.scopes[i].v;
		reg->entries[i].n_scopes = reg->catalog.scopes[i].n;
	}
	return reg;
fail:
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
	}
	catalog_free(&reg->catalog);
	free(reg->list_json);
	free(reg);
}

const struct tool_entry *
tool_registry_find(struct tool_registry *reg, const char *name)
{
	struct tool_entry *e = entry_named(reg, name);

	return e != NULL && entry_ready(e) ? e : NULL;
}

const struct catalog *
tool_registry_catalog(const struct tool_registry *reg)
{
	return &reg->catalog;
}

const char *
tool_registry_list_json(struct tool_registry *reg)
{
	cJSON *list, *tools;

	if (reg->list_json != NULL)
		return reg->list_json;
	for (size_t i = 0; i < N_TOOLS; i++)
		if (!entry_ready(&reg->entries[i]))
			return NULL;
	list = cJSON_CreateObject();
	tools = cJSON_AddArrayToObject(list, "tools");
	for (size_t i = 0; i < N_TOOLS; i++)
		cJSON_AddItemToArray(tools, tool_describe(&reg->entries[i]));
	reg->list_json = cJSON_PrintUnformatted(list);
	cJSON_Delete(list);
	return reg->list_json;
}

/* Starts the next block of res's content array. */
static struct jsontext *
content_next(struct tool_result *res, size_t size_hint)
{
	if (res->content.p == NULL)
		jsontext_init(&res->content, size_hint + 32);
	jsontext_elem(&res->content);
	return &res->content;
}

/* Adds {"type":"text","text":<text>} to res's content. */
static void
text_block(struct tool_result *res, const char *text, size_t len)
{
	/* jsontext_string() reserves room for the worst case, every byte escaped. */
	struct jsontext *c = content_next(res, 6 * len);

	jsontext_open(c, '{');
	jsontext_member_string(c, "type", "text");
	jsontext_member_string(c, "text", text);
	jsontext_close(c, '}');
}

int
tool_result_text(struct tool_result *res, const char *text)
{
	text_block(res, text, strlen(text));
	return 0;
}

int
tool_result_error(struct tool_result *res, const char *message)
{
	res->is_error = true;
	return tool_result_text(res, message);
}

int
tool_result_structured_text(struct tool_result *res, char *text)
{
	/*
	 * Written as JSON text, the same bytes cJSON prints: its string escape
	 * of a kilobytes-long document, a quote every few bytes, was the
	 * largest single cost of a todo listing.
	 */
	text_block(res, text, strlen(text));
	free(res->structured);
	res->structured = text;
	return 0;
}

int
tool_result_structured_pair(struct tool_result *res, struct jsontext_pair *p)
{
	static const char head[] = "{\"type\":\"text\",\"text\":\"", tail[] = "\"}";
	struct jsontext *c = content_next(res, p->str.n + sizeof(head) + sizeof(tail));

	/* The block text_block() writes, the string's body already escaped. */
	jsontext_raw(c, head, sizeof(head) - 1);
	jsontext_raw(c, p->str.p, p->str.n);
	jsontext_raw(c, tail, sizeof(tail) - 1);
	c->first = false;
	free(jsontext_take(&p->str));
	free(res->structured);
	res->structured = jsontext_take(&p->doc);
	return 0;
}

int
tool_result_structured(struct tool_result *res, cJSON *obj)
{
	char *text = cJSON_PrintUnformatted(obj);

	cJSON_Delete(obj);
	if (text == NULL)
		return -1;
	return tool_result_structured_text(res, text);
}

void
tool_result_write(struct jsontext *t, const struct tool_result *res)
{
	jsontext_open(t, '{');
	jsontext_name(t, "content");
	jsontext_raw(t, "[", 1);
	if (res->content.p != NULL)
		jsontext_raw(t, res->content.p, res->content.n);
	jsontext_raw(t, "]", 1);
	if (res->structured != NULL) {
		jsontext_name(t, "structuredContent");
		jsontext_raw(t, res->structured, strlen(res->structured));
	}
	if (res->is_error)
		jsontext_member_bool(t, "isError", true);
	jsontext_close(t, '}');
}

void
tool_result_clear(struct tool_result *res)
{
	free(res->content.p);
	free(res->structured);
	memset(res, 0, sizeof(*res));
}
