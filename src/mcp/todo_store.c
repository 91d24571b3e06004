/*
 * todo_store.c - todos isolated per owner, in SQLite or PostgreSQL: the
 * rules every backend shares (ids, limits, sealed cursors, page sizes).
 */
#include "mcp/todo_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/seal.h"
#include "mcp/todo_store_backend.h"

/* The URL schemes that name a PostgreSQL database (libpq's connection URIs). */
#define PG_SCHEME  "postgresql://"
#define PG_SCHEME2 "postgres://"

struct todo_store {
	const struct todo_backend *be;
	void *db; /* the backend's handle */
	int64_t max_per_owner;
	unsigned char cursor_key[SEAL_KEY_LEN]; /* seals list cursors (kept in the database) */
};

bool
todo_store_is_url(const char *where)
{
	return where != NULL && (strncmp(where, PG_SCHEME, strlen(PG_SCHEME)) == 0 ||
	                         strncmp(where, PG_SCHEME2, strlen(PG_SCHEME2)) == 0);
}

/* True when id has the shape of a todo id (32 lower-case hex characters). */
static bool
id_valid(const char *id)
{
	return id != NULL && strlen(id) == TODO_ID_LEN &&
	       strspn(id, "0123456789abcdef") == TODO_ID_LEN;
}

struct todo_store *
todo_store_new(const char *where, int64_t max_per_owner, const char *default_issuer)
{
	struct todo_store *s = xcalloc(1, sizeof(*s));

	s->be = todo_store_is_url(where) ? &todo_backend_pg : &todo_backend_sqlite;
	s->db = s->be->open(where, default_issuer);
	s->max_per_owner = max_per_owner;
	return s;
}

/*
 * An operation's first step: the database open (or reconnected), or why
 * not: ERR_UNAVAILABLE passed on (a database that cannot be reached now),
 * anything else logged and made ERR_SYSTEM.
 */
static int
store_use(struct todo_store *s, struct err *e)
{
	struct err why;

	if (s->be->ready(s->db, s->cursor_key, &why) == 0)
		return 0;
	if (why.code == ERR_UNAVAILABLE) {
		*e = why;
		return -1;
	}
	log_msg(LOGL_ERROR, "%s", why.msg);
	return err_set(e, ERR_SYSTEM, "todo store unavailable");
}

struct todo_store *
todo_store_open(const char *where, int64_t max_per_owner, const char *default_issuer, struct err *e)
{
	struct todo_store *s = todo_store_new(where, max_per_owner, default_issuer);

	if (s->be->ready(s->db, s->cursor_key, e) == 0)
		return s;
	todo_store_close(s);
	return NULL;
}

void
todo_store_close(struct todo_store *s)
{
	if (s == NULL)
		return;
	s->be->close(s->db);
	explicit_bzero(s->cursor_key, sizeof(s->cursor_key));
	free(s);
}

const char *
todo_store_backend(const struct todo_store *s)
{
	return s->be->name;
}

int
todo_get(struct todo_store *s, const struct todo_owner *o, const char *id, struct todo *out,
         struct err *e)
{
	/* The same answer for a malformed, an absent and someone else's id: ids reveal nothing. */
	if (!id_valid(id))
		return err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	if (store_use(s, e) != 0)
		return -1;
	return s->be->get(s->db, o, id, out, e);
}

int
todo_create(struct todo_store *s, const struct todo_owner *o, const char *title,
            const char *description, struct todo *out, struct err *e)
{
	char id[TODO_ID_LEN + 1];

	if (store_use(s, e) != 0)
		return -1;
	/* 128 random bits: ids nobody can guess or enumerate. */
	if (util_random_hex(id, TODO_ID_LEN / 2) != 0)
		return err_set(e, ERR_SYSTEM, "todo store: no randomness for an id");
	return s->be->create(s->db, o, id, title, description != NULL ? description : "",
	                     (int64_t)time(NULL), s->max_per_owner, out, e);
}

int
todo_update(struct todo_store *s, const struct todo_owner *o, const char *id, const char *title,
            const char *description, int completed, struct todo *out, struct err *e)
{
	if (!id_valid(id))
		return err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	if (store_use(s, e) != 0)
		return -1;
	return s->be->update(s->db, o, id, title, description, completed, (int64_t)time(NULL), out,
	                     e);
}

int
todo_delete(struct todo_store *s, const struct todo_owner *o, const char *id, struct err *e)
{
	if (!id_valid(id))
		return err_set(e, ERR_NOT_FOUND, TODO_MSG_NOT_FOUND);
	if (store_use(s, e) != 0)
		return -1;
	return s->be->remove(s->db, o, id, e);
}

/*
 * The additional data a cursor is sealed to: its owner, so that another
 * owner's cursor (or one moved between issuers) does not open.
 */
static size_t
cursor_aad(const struct todo_owner *o, char *buf, size_t len)
{
	int n =
	    snprintf(buf, len, "todo-cursor%c%s%c%s%c%s", 0, o->issuer, 0, o->subject, 0, o->org);

	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len;
}

/*
 * A list cursor is the seq of a page's last row, sealed (jose/seal.h) to
 * its owner: it reveals nothing (not how many todos others made between
 * two pages) and opens for nobody else.  NULL is the first page.
 */
static int
cursor_open(const struct todo_store *s, const struct todo_owner *o, const char *cursor,
            int64_t *seq)
{
	char aad[3 * 1100];

	*seq = 0;
	if (cursor == NULL)
		return 0;
	if (unseal(s->cursor_key, aad, cursor_aad(o, aad, sizeof(aad)), cursor, seq,
	           sizeof(*seq)) != 0 ||
	    *seq < 1)
		return -1;
	return 0;
}

/* Seals seq for o into out[TODO_CURSOR_MAX]; 0 or -1. */
static int
cursor_seal(const struct todo_store *s, const struct todo_owner *o, int64_t seq, char *out)
{
	char aad[3 * 1100];

	return seal(s->cursor_key, aad, cursor_aad(o, aad, sizeof(aad)), &seq, sizeof(seq), out,
	            TODO_CURSOR_MAX);
}

/* A page being listed: the caller's callback, and what the extra row tells. */
struct page {
	todo_each_fn *each;
	void *arg;
	size_t limit, n;
	int64_t last; /* the sequence number of the page's last todo */
};

/* One row from the backend: the page's rows go on, the one past it only counts. */
static void
page_row(void *arg, const struct todo_view *t, int64_t seq)
{
	struct page *pg = arg;

	if (pg->n++ >= pg->limit)
		return;
	pg->last = seq;
	pg->each(pg->arg, t);
}

int
todo_list_each(struct todo_store *s, const struct todo_owner *o, int completed, size_t limit,
               const char *cursor, todo_each_fn *each, void *arg, char next_cursor[TODO_CURSOR_MAX],
               struct err *e)
{
	struct page pg = {.each = each, .arg = arg};
	int64_t after;

	next_cursor[0] = '\0';
	if (store_use(s, e) != 0)
		return -1;
	if (cursor_open(s, o, cursor, &after) != 0)
		return err_set(e, ERR_INVALID, TODO_MSG_CURSOR);
	if (limit == 0 || limit > TODO_PAGE_MAX)
		limit = TODO_PAGE_DEFAULT;
	pg.limit = limit;
	/* One row more than the page tells whether another page follows. */
	if (s->be->list(s->db, o, completed, after, limit + 1, page_row, &pg, e) != 0)
		return -1;
	if (pg.n > limit && cursor_seal(s, o, pg.last, next_cursor) != 0) {
		log_msg(LOGL_ERROR, "todo store: a list cursor could not be sealed");
		next_cursor[0] = '\0';
		return err_set(e, ERR_SYSTEM, "todo store: list failed");
	}
	return 0;
}

/* The copying listing: the page's todos gathered into an array. */
struct gather {
	struct todo *v;
	size_t n;
};

void
todo_from_view(struct todo *t, const struct todo_view *v)
{
	size_t id_len = strnlen(v->id, sizeof(t->id) - 1);

	memset(t, 0, sizeof(*t));
	/* A bounded copy without snprintf, which was a quarter of reading a row. */
	memcpy(t->id, v->id, id_len);
	t->id[id_len] = '\0';
	t->title = xstrdup(v->title);
	t->description = xstrdup(v->description);
	t->completed = v->completed;
	t->created_at = v->created_at;
	t->updated_at = v->updated_at;
}

static void
gather_row(void *arg, const struct todo_view *t)
{
	struct gather *g = arg;

	todo_from_view(&g->v[g->n++], t);
}

int
todo_list(struct todo_store *s, const struct todo_owner *o, int completed, size_t limit,
          const char *cursor, struct todo **items, size_t *n, char next_cursor[TODO_CURSOR_MAX],
          struct err *e)
{
	struct gather g;

	*items = NULL;
	*n = 0;
	if (limit == 0 || limit > TODO_PAGE_MAX)
		limit = TODO_PAGE_DEFAULT;
	g.v = xcalloc(limit, sizeof(*g.v));
	g.n = 0;
	if (todo_list_each(s, o, completed, limit, cursor, gather_row, &g, next_cursor, e) != 0) {
		todo_list_free(g.v, g.n);
		return -1;
	}
	*items = g.v;
	*n = g.n;
	return 0;
}

struct todo_view
todo_view_of(const struct todo *t)
{
	return (struct todo_view){.id = t->id,
	                          .title = t->title != NULL ? t->title : "",
	                          .description = t->description != NULL ? t->description : "",
	                          .completed = t->completed,
	                          .created_at = t->created_at,
	                          .updated_at = t->updated_at};
}

void
todo_clear(struct todo *t)
{
	if (t == NULL)
		return;
	free(t->title);
	free(t->description);
	memset(t, 0, sizeof(*t));
}

void
todo_list_free(struct todo *items, size_t n)
{
	for (size_t i = 0; items != NULL && i < n; i++)
		todo_clear(&items[i]);
	free(items);
}
