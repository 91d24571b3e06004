/*
 * todo_store_sqlite.h - SQLite for the todo store (part of todo_store),
 * loaded when the first todo tool runs (dlopen): every other request, as
 * CGI a new process each, never maps the library or resolves its symbols.
 * The shared-hosting bundle ships libsqlite3.so.0 in the lib/ folder beside
 * the programs, which is tried before the system's.
 *
 * The store calls SQLite through the table sq: sq.step(st) for
 * sqlite3_step(st), and so on.
 */
#ifndef TODO_STORE_SQLITE_H
#define TODO_STORE_SQLITE_H

#include <sqlite3.h>
#include <stdint.h>

struct err;

#define TODO_SQLITE_LIB "libsqlite3.so.0"

/* Every SQLite function the store uses: X(return type, name without sqlite3_, parameters). */
#define TODO_SQLITE_FUNCS(X)                                                                       \
	X(int, open_v2, (const char *, sqlite3 **, int, const char *))                             \
	X(int, close, (sqlite3 *))                                                                 \
	X(const char *, errmsg, (sqlite3 *))                                                       \
	X(int, busy_timeout, (sqlite3 *, int))                                                     \
	X(int, exec,                                                                               \
	  (sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **))      \
	X(int, sleep, (int))                                                                       \
	X(int, changes, (sqlite3 *))                                                               \
	X(int, prepare_v2, (sqlite3 *, const char *, int, sqlite3_stmt **, const char **))         \
	X(int, prepare_v3,                                                                         \
	  (sqlite3 *, const char *, int, unsigned int, sqlite3_stmt **, const char **))            \
	X(int, step, (sqlite3_stmt *))                                                             \
	X(int, reset, (sqlite3_stmt *))                                                            \
	X(int, clear_bindings, (sqlite3_stmt *))                                                   \
	X(int, finalize, (sqlite3_stmt *))                                                         \
	X(int, bind_blob, (sqlite3_stmt *, int, const void *, int, void (*)(void *)))              \
	X(int, bind_int, (sqlite3_stmt *, int, int))                                               \
	X(int, bind_int64, (sqlite3_stmt *, int, sqlite3_int64))                                   \
	X(int, bind_text, (sqlite3_stmt *, int, const char *, int, void (*)(void *)))              \
	X(const void *, column_blob, (sqlite3_stmt *, int))                                        \
	X(int, column_bytes, (sqlite3_stmt *, int))                                                \
	X(int, column_int, (sqlite3_stmt *, int))                                                  \
	X(sqlite3_int64, column_int64, (sqlite3_stmt *, int))                                      \
	X(const unsigned char *, column_text, (sqlite3_stmt *, int))

#define TODO_SQLITE_MEMBER(ret, name, params) ret(*name) params;
struct todo_sqlite {
	TODO_SQLITE_FUNCS(TODO_SQLITE_MEMBER)
};
#undef TODO_SQLITE_MEMBER

/* The loaded functions; valid after todo_sqlite_load() returned 0. */
extern struct todo_sqlite sq;

/*
 * Loads SQLite once per process.  Returns 0, or -1 with e (ERR_CONFIG)
 * naming the library and why; the first failure is also logged, once.
 */
int todo_sqlite_load(struct err *e);

#endif /* TODO_STORE_SQLITE_H */
