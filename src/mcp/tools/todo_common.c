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
todo_json_write(struct jsontext_pair *p, const struct todo_view *t)
{
	/*
	 * The names with their quotes, colons and commas written as literals,
	 * with their escapes for the text block: jsontext_member_*()'s name
	 * written apart (its length counted, its room reserved) was a third of
	 * writing a listing, and the text block's escape of it all as much.
	 * test_dispatch checks that the two texts agree.
	 */
	JSONTEXT_PAIR_LIT(p, "{\"id\":", "{\\\"id\\\":");
	jsontext_pair_string(p, t->id);
	JSONTEXT_PAIR_LIT(p, ",\"title\":", ",\\\"title\\\":");
	jsontext_pair_string(p, t->title);
	JSONTEXT_PAIR_LIT(p, ",\"description\":", ",\\\"description\\\":");
	jsontext_pair_string(p, t->description);
	if (t->completed)
		JSONTEXT_PAIR_LIT(p, ",\"completed\":true,\"created_at\":",
		                  ",\\\"completed\\\":true,\\\"created_at\\\":");
	else
		JSONTEXT_PAIR_LIT(p, ",\"completed\":false,\"created_at\":",
		                  ",\\\"completed\\\":false,\\\"created_at\\\":");
	jsontext_pair_int(p, t->created_at);
	JSONTEXT_PAIR_LIT(p, ",\"updated_at\":", ",\\\"updated_at\\\":");
	jsontext_pair_int(p, t->updated_at);
	jsontext_pair_close(p, '}');
}

int
todo_reply(struct tool_result *res, struct todo *t)
{
	struct jsontext_pair p;
	struct todo_view v = todo_view_of(t);

	jsontext_pair_init(&p, 256);
	todo_json_write(&p, &v);
	todo_clear(t);
	return tool_result_structured_pair(res, &p);
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
