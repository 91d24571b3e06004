/*
 * todo_store_libpq.c - libpq, loaded when the first todo tool runs against PostgreSQL.
 */
#include "mcp/todo_store_libpq.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"

struct todo_libpq pq;

int
todo_libpq_load(struct err *e)
{
	static int state; /* 0 not tried, 1 loaded, -1 failed (and logged) */
	static char why[256];
	void *h;

	if (state == 0) {
		state = -1;
		/* RTLD_NOW: a library without one of the functions fails here, not at a call. */
		if ((h = dlopen(TODO_LIBPQ_LIB, RTLD_NOW | RTLD_LOCAL)) == NULL)
			snprintf(why, sizeof(why), "%s", dlerror());
#define TODO_LIBPQ_RESOLVE(ret, name, params) || !util_dlsym(h, "PQ" #name, &pq.name)
		else if (false TODO_LIBPQ_FUNCS(TODO_LIBPQ_RESOLVE))
			snprintf(why, sizeof(why), "a function is missing: %s", dlerror());
#undef TODO_LIBPQ_RESOLVE
		else
			state = 1;
		if (state < 0)
			log_msg(LOGL_ERROR,
			        "%s cannot be loaded (%s): the todo tools are unavailable",
			        TODO_LIBPQ_LIB, why);
	}
	if (state < 0)
		return err_set(e, ERR_CONFIG, "todo database: %s cannot be loaded", TODO_LIBPQ_LIB);
	return 0;
}
