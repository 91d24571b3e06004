/*
 * todo_store_sqlite.c - SQLite, loaded when the first todo tool runs.
 */
#include "mcp/todo_store_sqlite.h"

#include <dlfcn.h>
#include <stdio.h>

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"

struct todo_sqlite sq;

int
todo_sqlite_load(struct err *e)
{
	static int state; /* 0 not tried, 1 loaded, -1 failed (and logged) */
	static char why[256];
	void *h;

	if (state == 0) {
		state = -1;
		/*
		 * The shared-hosting bundle's copy in lib/ beside the program first
		 * (the loader expands $ORIGIN), then the system's.  RTLD_NOW: a
		 * library without one of the functions fails here, not at a call.
		 */
		h = dlopen("$ORIGIN/lib/" TODO_SQLITE_LIB, RTLD_NOW | RTLD_LOCAL);
		if (h == NULL && (h = dlopen(TODO_SQLITE_LIB, RTLD_NOW | RTLD_LOCAL)) == NULL)
			snprintf(why, sizeof(why), "%s", dlerror());
#define TODO_SQLITE_RESOLVE(ret, name, params) || !util_dlsym(h, "sqlite3_" #name, &sq.name)
		else if (false TODO_SQLITE_FUNCS(TODO_SQLITE_RESOLVE))
			snprintf(why, sizeof(why), "a function is missing: %s", dlerror());
#undef TODO_SQLITE_RESOLVE
		else
			state = 1;
		if (state < 0)
			log_msg(LOGL_ERROR,
			        "%s cannot be loaded (%s): the todo tools are unavailable",
			        TODO_SQLITE_LIB, why);
	}
	if (state < 0)
		return err_set(e, ERR_CONFIG, "todo database: %s cannot be loaded",
		               TODO_SQLITE_LIB);
	return 0;
}
