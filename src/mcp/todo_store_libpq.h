/*
 * todo_store_libpq.h - libpq for the todo store's PostgreSQL backend (part
 * of todo_store), loaded when the first todo tool runs with
 * MCP_DATABASE_URL set (dlopen), as SQLite is (todo_store_sqlite.h): a
 * request that runs no todo tool never maps the library.  Only the headers
 * are needed at build time (Debian's libpq-dev); at run time libpq.so.5
 * (Debian's libpq5).
 *
 * The backend calls libpq through the table pq: pq.exec(conn, sql) for
 * PQexec(conn, sql), and so on.
 */
#ifndef TODO_STORE_LIBPQ_H
#define TODO_STORE_LIBPQ_H

#include <libpq-fe.h>

struct err;

#define TODO_LIBPQ_LIB "libpq.so.5"

/* Every libpq function the backend uses: X(return type, name without PQ, parameters). */
#define TODO_LIBPQ_FUNCS(X)                                                                        \
	X(PGconn *, connectdbParams, (const char *const *, const char *const *, int))              \
	X(ConnStatusType, status, (const PGconn *))                                                \
	X(PGTransactionStatusType, transactionStatus, (const PGconn *))                            \
	X(char *, errorMessage, (const PGconn *))                                                  \
	X(void, finish, (PGconn *))                                                                \
	X(int, consumeInput, (PGconn *))                                                           \
	X(PQnoticeProcessor, setNoticeProcessor, (PGconn *, PQnoticeProcessor, void *))            \
	X(PGresult *, exec, (PGconn *, const char *))                                              \
	X(PGresult *, execParams,                                                                  \
	  (PGconn *, const char *, int, const Oid *, const char *const *, const int *,             \
	   const int *, int))                                                                      \
	X(PGresult *, prepare, (PGconn *, const char *, const char *, int, const Oid *))           \
	X(PGresult *, execPrepared,                                                                \
	  (PGconn *, const char *, int, const char *const *, const int *, const int *, int))       \
	X(ExecStatusType, resultStatus, (const PGresult *))                                        \
	X(char *, resultErrorField, (const PGresult *, int))                                       \
	X(void, clear, (PGresult *))                                                               \
	X(int, ntuples, (const PGresult *))                                                        \
	X(char *, getvalue, (const PGresult *, int, int))                                          \
	X(int, getlength, (const PGresult *, int, int))                                            \
	X(int, getisnull, (const PGresult *, int, int))                                            \
	X(char *, cmdTuples, (PGresult *))

#define TODO_LIBPQ_MEMBER(ret, name, params) ret(*name) params;
struct todo_libpq {
	TODO_LIBPQ_FUNCS(TODO_LIBPQ_MEMBER)
};
#undef TODO_LIBPQ_MEMBER

/* The loaded functions; valid after todo_libpq_load() returned 0. */
extern struct todo_libpq pq;

/*
 * Loads libpq once per process.  Returns 0, or -1 with e (ERR_CONFIG)
 * naming the library and why; the first failure is also logged, once.
 */
int todo_libpq_load(struct err *e);

#endif /* TODO_STORE_LIBPQ_H */
