/*
 * fetch_headers.c - reading the response header lines that fetch_request()
 * keeps (fetch.h).  No libcurl here: plain text work on the kept block.
 */
#include "lib/keycache/fetch.h"

#include "lib/core/util.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Appends the value of the field line [v, v+len) to out (", " between lines). */
static void
value_append(char **out, size_t *olen, const char *v, size_t len)
{
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' ' ||
	                   v[len - 1] == '\t'))
		len--;
	*out = xrealloc(*out, *olen + len + 3);
	if (*olen > 0) {
		memcpy(*out + *olen, ", ", 2);
		*olen += 2;
	}
	/* obs-fold or stray bytes must not reach a caller as line breaks or NULs. */
	for (size_t i = 0; i < len; i++)
		(*out)[(*olen)++] = iscntrl((unsigned char)v[i]) ? ' ' : v[i];
	(*out)[*olen] = '\0';
}

char *
fetch_response_header(const struct fetch_response *r, const char *name)
{
	size_t nl = strlen(name), olen = 0;
	const char *p = r != NULL ? r->headers : NULL;
	char *out = NULL;

	while (p != NULL && *p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) + 1 : strlen(p);

		if (len > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0)
			value_append(&out, &olen, p + nl + 1, len - nl - 1);
		p += len;
	}
	return out;
}
