/*
 * todo_store.h - the todo tools' database: SQLite (the embedded default)
 * or PostgreSQL (MCP_DATABASE_URL, for several machines).
 *
 * The only module that includes SQLite and libpq, each in its own backend
 * (todo_store_backend.h), loaded with dlopen by the first operation.  One
 * connection per process (FastCGI worker or CGI run), prepared statements
 * built once per connection and reused.  SQLite: WAL journal so readers
 * never block the writer, a busy timeout for concurrent writers.
 * PostgreSQL: the connection is checked before each operation and made
 * again after the server restarted or was unreachable.  Every row belongs
 * to an owner (issuer, subject, organisation); every statement filters by
 * owner, so no call reaches another owner's rows even with their id.  Ids
 * are 128 random bits.
 */
#ifndef TODO_STORE_H
#define TODO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/err.h"

#define TODO_SCHEMA_VERSION  2
#define TODO_ID_LEN          32  /* hex characters */
#define TODO_TITLE_MAX       200 /* characters */
#define TODO_DESC_MAX        2000
#define TODO_PAGE_DEFAULT    20
#define TODO_PAGE_MAX        100
#define TODO_BUSY_TIMEOUT_MS 5000
/* Seconds a client is asked to wait (Retry-After) while the database cannot be reached. */
#define TODO_RETRY_AFTER 5

struct todo_store;

/*
 * The owner of a row: the token's issuer, subject and organisation ("" for
 * none): the same sub from two issuers owns two sets of todos.
 */
struct todo_owner {
	const char *issuer;
	const char *subject;
	const char *org;
};

/* Room for a list cursor, NUL included. */
#define TODO_CURSOR_MAX 64

struct todo {
	char id[TODO_ID_LEN + 1];
	char *title;       /* owned */
	char *description; /* owned, "" when none */
	bool completed;
	int64_t created_at; /* seconds since the epoch */
	int64_t updated_at;
};

/*
 * A todo as a listing hands it over: the texts are the database's own
 * (never NULL), valid only until the callback returns.
 */
struct todo_view {
	const char *id, *title, *description;
	bool completed;
	int64_t created_at, updated_at;
};

/* Called once for each todo of a page, in order. */
typedef void todo_each_fn(void *arg, const struct todo_view *t);

/* The texts of the refusals a tool passes on to the model (tool errors, not faults). */
#define TODO_MSG_NOT_FOUND "todo not found"
#define TODO_MSG_LIMIT     "todo limit reached: delete some todos first"
#define TODO_MSG_CURSOR    "invalid cursor: pass the next_cursor of a previous page"

/* True when where is a PostgreSQL URL (postgresql:// or postgres://), not a file. */
bool todo_store_is_url(const char *where);

/*
 * A store of the database where names: a PostgreSQL URL (libpq's
 * connection URI), else the path of a SQLite file.  Nothing is loaded,
 * opened or connected here: a request that runs no todo tool never maps
 * SQLite or libpq.  The first operation opens it, creating the schema when
 * new or migrating an earlier one (SQLite: in one write transaction,
 * version-1 rows, which had no issuer, get default_issuer, the first
 * accepted one; PostgreSQL: in one transaction under an advisory lock, one
 * row per migration in todo_migrations).  max_per_owner bounds the todos
 * one owner keeps.  When the database cannot be opened, each operation
 * fails (ERR_UNAVAILABLE for a PostgreSQL server that cannot be reached,
 * else ERR_SYSTEM, logged) and the next one tries again.  where is copied.
 */
struct todo_store *todo_store_new(const char *where, int64_t max_per_owner,
                                  const char *default_issuer);

/*
 * todo_store_new() and the opening at once: NULL with one line in e
 * (ERR_CONFIG, or ERR_UNAVAILABLE for an unreachable server).
 */
struct todo_store *todo_store_open(const char *where, int64_t max_per_owner,
                                   const char *default_issuer, struct err *e);
void todo_store_close(struct todo_store *s);

/* "sqlite" or "postgresql": which database s stores in (static text). */
const char *todo_store_backend(const struct todo_store *s);

/*
 * The operations below return 0, or -1 with e set: ERR_NOT_FOUND (no todo
 * with that id for this owner, or no id of the store's shape:
 * TODO_MSG_NOT_FOUND), ERR_LIMIT (the owner holds max todos already:
 * TODO_MSG_LIMIT), ERR_INVALID (a cursor this store did not issue:
 * TODO_MSG_CURSOR), ERR_UNAVAILABLE (PostgreSQL cannot be reached now,
 * or was restarted: answer 503 with Retry-After TODO_RETRY_AFTER; a create
 * answered so may or may not have been committed, never twice), or
 * ERR_SYSTEM (the database failed; logged with its message).
 */

/* Creates a todo; description may be NULL.  On success *out holds it (todo_clear() it). */
int todo_create(struct todo_store *s, const struct todo_owner *o, const char *title,
                const char *description, struct todo *out, struct err *e);

/* Reads one todo of o. */
int todo_get(struct todo_store *s, const struct todo_owner *o, const char *id, struct todo *out,
             struct err *e);

/*
 * Changes the given fields (title/description NULL: unchanged; completed
 * -1: unchanged, 0/1: set) in one statement; *out is the todo afterwards.
 */
int todo_update(struct todo_store *s, const struct todo_owner *o, const char *id, const char *title,
                const char *description, int completed, struct todo *out, struct err *e);

int todo_delete(struct todo_store *s, const struct todo_owner *o, const char *id, struct err *e);

/*
 * One page of o's todos, oldest first: completed -1 for all, 0/1 to filter;
 * limit 1..TODO_PAGE_MAX; cursor NULL for the first page, else a value this
 * function returned in next_cursor for the same owner (an opaque text,
 * sealed to its owner: anything else is ERR_INVALID).  *items is a new
 * array of *n todos (todo_list_free()); next_cursor is "" on the last page.
 */
int todo_list(struct todo_store *s, const struct todo_owner *o, int completed, size_t limit,
              const char *cursor, struct todo **items, size_t *n, char next_cursor[TODO_CURSOR_MAX],
              struct err *e);

/*
 * todo_list() without copies: each todo of the page goes to each(arg, t)
 * as the database hands it over, in order.  On failure (-1), the todos
 * already handed over are to be thrown away: the page is incomplete.
 */
int todo_list_each(struct todo_store *s, const struct todo_owner *o, int completed, size_t limit,
                   const char *cursor, todo_each_fn *each, void *arg,
                   char next_cursor[TODO_CURSOR_MAX], struct err *e);

/* A view of t, borrowing its texts. */
struct todo_view todo_view_of(const struct todo *t);

void todo_clear(struct todo *t);
void todo_list_free(struct todo *items, size_t n);

#endif /* TODO_STORE_H */
