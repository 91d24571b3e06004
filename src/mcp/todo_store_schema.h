/*
 * todo_store_schema.h - the todo database on disk (part of todo_store):
 * opening it in WAL mode, its schema and migrations, the cursor key.
 */
#ifndef TODO_STORE_SCHEMA_H
#define TODO_STORE_SCHEMA_H

#include "lib/jose/seal.h"
#include "mcp/todo_store_sqlite.h"

struct err;

/*
 * Opens (creating 0600) the database at path in WAL mode, creating its
 * schema or migrating an earlier one (version-1 rows get default_issuer),
 * and reads the key that seals list cursors into key.  Returns the
 * connection, or NULL with ERR_CONFIG and one line in e.  Loads SQLite
 * (todo_store_sqlite.h) first.
 */
sqlite3 *todo_db_open(const char *path, const char *default_issuer, unsigned char key[SEAL_KEY_LEN],
                      struct err *e);

#endif /* TODO_STORE_SCHEMA_H */
