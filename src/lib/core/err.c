/*
 * err.c - the error model's three functions.
 */
#include "lib/core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	char old[ERR_MSG_MAX];
	size_t n;
	va_list ap;
	int w;

	if (e == NULL)
		return -1;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	w = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = w < 0 ? 0 : (size_t)w < sizeof(e->msg) ? (size_t)w : sizeof(e->msg) - 1;
	/* Whatever does not fit is cut: the head names the context, keep it whole. */
	if (n + 3 < sizeof(e->msg))
		memcpy(e->msg + n, ": ", 3);
	n = strlen(e->msg);
	memcpy(e->msg + n, old, strnlen(old, sizeof(e->msg) - 1 - n));
	e->msg[n + strnlen(old, sizeof(e->msg) - 1 - n)] = '\0';
	return -1;
}

void
err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->code = ERR_OK;
	e->msg[0] = '\0';
}
