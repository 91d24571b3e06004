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

/* Puts the text formatted from fmt and ": " before e's message, cutting what does not fit. */
static void
vprefix(struct err *e, const char *fmt, va_list ap)
{
	char old[ERR_MSG_MAX];
	size_t n, keep;
	int w;

	memcpy(old, e->msg, sizeof(old));
	w = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	n = w < 0 ? 0 : (size_t)w < sizeof(e->msg) ? (size_t)w : sizeof(e->msg) - 1;
	/* Whatever does not fit is cut: the head names the context, keep it whole. */
	if (n + 3 < sizeof(e->msg)) {
		memcpy(e->msg + n, ": ", 3);
		n += 2;
	}
	keep = strnlen(old, sizeof(e->msg) - 1 - n);
	memcpy(e->msg + n, old, keep);
	e->msg[n + keep] = '\0';
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vprefix(e, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_wrap(struct err *e, const struct err *inner, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	if (e != inner)
		*e = *inner;
	e->code = code;
	va_start(ap, fmt);
	vprefix(e, fmt, ap);
	va_end(ap);
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
