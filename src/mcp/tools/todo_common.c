/*
 * todo_common.c - shared pieces of the todo tools.
 */
#include "mcp/tools/todo_common.h"

#include <stdio.h>
#include <string.h>

#include "lib/core/log.h"
#include "lib/jose/token.h"

bool
todo_owner_of(const struct tool_ctx *ctx, struct todo_owner *o, struct tool_result *res)
{
	const struct principal *p = ctx->principal;

	/*
	 * The owner is the subject (RFC 9068 §2.2 requires sub) of its issuer: a
	 * sub is unique only within its issuer (RFC 7519 §4.1.2).  A client id is
	 * never used instead: it could equal some user's sub and read their todos.
	 */
	o->issuer = p != NULL && p->issuer != NULL ? p->issuer : "";
	o->subject = p != NULL ? p->subject : NULL;
	o->org = p != NULL && p->org_id != NULL ? p->org_id : "";
	if (o->subject == NULL || o->subject[0] == '\0') {
		tool_result_error(res,
		                  "the access token names no subject (sub): todos need an owner");
		return false;
	}
	return true;
}

void
todo_json_write(struct jsontext *j, const struct todo *t)
{
	jsontext_open(j, '{');
	jsontext_member_string(j, "id", t->id);
	jsontext_member_string(j, "title", t->title);
	jsontext_member_string(j, "description", t->description);
	jsontext_member_bool(j, "completed", t->completed);
	jsontext_member_int(j, "created_at", t->created_at);
	jsontext_member_int(j, "updated_at", t->updated_at);
	jsontext_close(j, '}');
}

int
todo_reply(struct tool_result *res, struct todo *t)
{
	struct jsontext j;

	jsontext_init(&j, 256);
	todo_json_write(&j, t);
	todo_clear(t);
	return tool_result_structured_text(res, jsontext_take(&j));
}

int
todo_fail(const struct err *e, struct tool_result *res)
{
	if (e->code == ERR_NOT_FOUND || e->code == ERR_LIMIT || e->code == ERR_INVALID)
		return tool_result_error(res, e->msg);
	if (e->code == ERR_UNAVAILABLE) {
		res->retry_after = TODO_RETRY_AFTER;
		return TOOL_UNAVAILABLE;
	}
	return -1;
}

const char *
todo_arg_string(const cJSON *args, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}
