/*
 * todo_store_backend.h - the databases behind the todo store (part of
 * todo_store): what todo_store.c asks of SQLite (todo_store_lite.c) and of
 * PostgreSQL (todo_store_pg.c), so that neither the tools nor the store's
 * own rules (ids, limits, cursors) know which one is there.
 *
 * A backend's handle is made by its new function without touching the
 * database (no library loaded, no file opened, no connection made); ready()
 * does that at the first operation and again after a failure.  Every
 * operation below is called only after ready() returned 0, with an id of
 * the store's shape, and returns 0 or -1 with e: ERR_NOT_FOUND, ERR_LIMIT
 * as todo_store.h says, ERR_UNAVAILABLE when the database cannot be reached
 * now (the caller answers 503 and the next operation tries again), or
 * ERR_SYSTEM (logged by the backend, with the database's message).
 */
#ifndef TODO_STORE_BACKEND_H
#define TODO_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "lib/jose/seal.h"
#include "mcp/todo_store.h"

struct err;

struct todo_backend {
	const char *name; /* "sqlite", "postgresql": for log lines */
	/* The database at where (a path, a URL): a handle, never NULL; nothing opened yet. */
	void *(*open)(const char *where, const char *default_issuer);
	/* Connects (or checks the connection) and reads the cursor key into key. */
	int (*ready)(void *db, unsigned char key[SEAL_KEY_LEN], struct err *e);
	/*
	 * Stores a todo with the new id, title and description ("" when none)
	 * at now, unless o holds max todos already (ERR_LIMIT, nothing stored);
	 * the count and the insert are one atomic step.  *out is the new todo.
	 */
	int (*create)(void *db, const struct todo_owner *o, const char *id, const char *title,
	              const char *description, int64_t now, int64_t max, struct todo *out,
	              struct err *e);
	int (*get)(void *db, const struct todo_owner *o, const char *id, struct todo *out,
	           struct err *e);
	/* As todo_update(); now is the new updated_at. */
	int (*update)(void *db, const struct todo_owner *o, const char *id, const char *title,
	              const char *description, int completed, int64_t now, struct todo *out,
	              struct err *e);
	int (*remove)(void *db, const struct todo_owner *o, const char *id, struct err *e);
	/*
	 * At most max rows of o with a sequence number above after, in its
	 * order, completed -1 for all or 0/1: each to row(arg, t, its sequence
	 * number) as the database hands it over, texts borrowed.  Nothing is
	 * handed over before the query has run: an operation run again on a new
	 * connection never repeats a row.  On failure the rows handed over are
	 * to be thrown away.
	 */
	int (*list)(void *db, const struct todo_owner *o, int completed, int64_t after, size_t max,
	            void (*row)(void *arg, const struct todo_view *t, int64_t seq), void *arg,
	            struct err *e);
	/* Closes the connection, if any, and frees the handle (NULL accepted). */
	void (*close)(void *db);
};

/* Copies a row the database handed over into t (the texts duplicated, the id bounded). */
void todo_from_view(struct todo *t, const struct todo_view *v);

extern const struct todo_backend todo_backend_sqlite;
extern const struct todo_backend todo_backend_pg;

#endif /* TODO_STORE_BACKEND_H */
