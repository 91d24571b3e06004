/*
 * todo_store.h - the todo tools' SQLite database.
 *
 * The only module that includes SQLite.  One connection per process
 * (FastCGI worker or CGI run), WAL journal so readers never block the
 * writer, a busy timeout for concurrent writers, prepared statements built
 * once and reused.  Every row belongs to an owner (subject, organisation);
 * every statement filters by owner, so no call reaches another owner's rows
 * even with their id.  Ids are 128 random bits.
 */
#ifndef TODO_STORE_H
#define TODO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TODO_SCHEMA_VERSION  1
#define TODO_ID_LEN          32  /* hex characters */
#define TODO_TITLE_MAX       200 /* characters */
#define TODO_DESC_MAX        2000
#define TODO_PAGE_DEFAULT    20
#define TODO_PAGE_MAX        100
#define TODO_BUSY_TIMEOUT_MS 5000

struct todo_store;

/* The owner of a row: the token's subject and organisation ("" for none). */
struct todo_owner {
	const char *subject;
	const char *org;
};

struct todo {
	char id[TODO_ID_LEN + 1];
	char *title;       /* owned */
	char *description; /* owned, "" when none */
	bool completed;
	int64_t created_at; /* seconds since the epoch */
	int64_t updated_at;
};

enum todo_err {
	TODO_OK = 0,
	TODO_ERR_NOT_FOUND, /* no such id for this owner */
	TODO_ERR_LIMIT,     /* the owner holds max todos already */
	TODO_ERR_CURSOR,    /* a list cursor this store did not issue */
	TODO_ERR_DB,        /* SQLite failed (logged with its message) */
	TODO_ERR_NOMEM,
	TODO_ERR__MAX
};

const char *todo_strerror(enum todo_err err);

/*
 * Opens (creating 0600, and the schema, when new) the database at path.
 * max_per_owner bounds the todos one owner keeps.  Returns NULL with one
 * line in err on failure.
 */
struct todo_store *todo_store_open(const char *path, int64_t max_per_owner, char *err,
                                   size_t errlen);
void todo_store_close(struct todo_store *s);

/* Creates a todo; description may be NULL.  On TODO_OK *out holds it (todo_clear() it). */
enum todo_err todo_create(struct todo_store *s, const struct todo_owner *o, const char *title,
                          const char *description, struct todo *out);

/* Reads one todo of o. */
enum todo_err todo_get(struct todo_store *s, const struct todo_owner *o, const char *id,
                       struct todo *out);

/*
 * Changes the given fields (title/description NULL: unchanged; completed
 * -1: unchanged, 0/1: set) in one statement; *out is the todo afterwards.
 */
enum todo_err todo_update(struct todo_store *s, const struct todo_owner *o, const char *id,
                          const char *title, const char *description, int completed,
                          struct todo *out);

enum todo_err todo_delete(struct todo_store *s, const struct todo_owner *o, const char *id);

/*
 * One page of o's todos, oldest first: completed -1 for all, 0/1 to filter;
 * limit 1..TODO_PAGE_MAX; cursor NULL for the first page, else a value this
 * function returned in next_cursor.  *items is a new array of *n todos
 * (todo_list_free()); next_cursor is "" on the last page.
 */
enum todo_err todo_list(struct todo_store *s, const struct todo_owner *o, int completed,
                        size_t limit, const char *cursor, struct todo **items, size_t *n,
                        char next_cursor[32]);

void todo_clear(struct todo *t);
void todo_list_free(struct todo *items, size_t n);

#endif /* TODO_STORE_H */
