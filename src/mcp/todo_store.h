/*
 * todo_store.h - the todo tools' SQLite database.
 *
 * The only module that includes SQLite.  One connection per process
 * (FastCGI worker or CGI run), WAL journal so readers never block the
 * writer, a busy timeout for concurrent writers, prepared statements built
 * once and reused.  Every row belongs to an owner (issuer, subject, organisation);
 * every statement filters by owner, so no call reaches another owner's rows
 * even with their id.  Ids are 128 random bits.
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

/* The texts of the refusals a tool passes on to the model (tool errors, not faults). */
#define TODO_MSG_NOT_FOUND "todo not found"
#define TODO_MSG_LIMIT     "todo limit reached: delete some todos first"
#define TODO_MSG_CURSOR    "invalid cursor: pass the next_cursor of a previous page"

/*
 * A store of the database at path, opened by its first operation: a
 * request that runs no todo tool never loads the database.  Opening creates
 * the file (0600) and its schema when new, or migrates one of an earlier
 * version (in one transaction; version-1 rows, which had no issuer, get
 * default_issuer, the first accepted one).  max_per_owner bounds the todos
 * one owner keeps.  When the database cannot be opened, each operation logs
 * why and fails with ERR_SYSTEM, and the next one tries again.
 */
struct todo_store *todo_store_new(const char *path, int64_t max_per_owner,
                                  const char *default_issuer);

/* todo_store_new() and the opening at once: NULL with ERR_CONFIG and one line in e. */
struct todo_store *todo_store_open(const char *path, int64_t max_per_owner,
                                   const char *default_issuer, struct err *e);
void todo_store_close(struct todo_store *s);

/*
 * The operations below return 0, or -1 with e set: ERR_NOT_FOUND (no todo
 * with that id for this owner, or no id of the store's shape:
 * TODO_MSG_NOT_FOUND), ERR_LIMIT (the owner holds max todos already:
 * TODO_MSG_LIMIT), ERR_INVALID (a cursor this store did not issue:
 * TODO_MSG_CURSOR), or ERR_SYSTEM (SQLite failed; logged with its message).
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

void todo_clear(struct todo *t);
void todo_list_free(struct todo *items, size_t n);

#endif /* TODO_STORE_H */
