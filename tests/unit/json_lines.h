/*
 * json_lines.h - the check every test that produces log lines makes: each
 * line is valid UTF-8 (checked by iconv, independently of the code under
 * test) and one complete JSON object (cJSON, nothing after it).
 */
#ifndef JSON_LINES_H
#define JSON_LINES_H

#include <cJSON.h>
#include <iconv.h>
#include <stdbool.h>
#include <string.h>

/* True when the len bytes at s are well-formed UTF-8. */
static inline bool
json_lines_utf8(const char *s, size_t len)
{
	iconv_t cd = iconv_open("UTF-32LE", "UTF-8");
	char out[4096], *in = (char *)s, *o;
	size_t inleft = len, outleft;
	bool ok = cd != (iconv_t)-1;

	while (ok && inleft > 0) {
		o = out;
		outleft = sizeof(out);
		if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1 && errno != E2BIG)
			ok = false;
	}
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	return ok;
}

/*
 * Checks every line of text (each ended by '\n').  Returns the number of
 * lines that are not valid UTF-8 JSON objects (printing each), or -1 when
 * text has no complete line.
 */
static inline int
json_lines_bad(const char *text)
{
	int bad = 0, lines = 0;

	for (const char *p = text, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		char line[8192];
		size_t len = (size_t)(nl - p);
		cJSON *o;

		lines++;
		if (len >= sizeof(line) || !json_lines_utf8(p, len)) {
			fprintf(stderr, "  not UTF-8 (or too long): %.*s\n", (int)len, p);
			bad++;
			continue;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		o = cJSON_ParseWithOpts(line, NULL, 1);
		if (!cJSON_IsObject(o)) {
			fprintf(stderr, "  not a JSON object: %s\n", line);
			bad++;
		}
		cJSON_Delete(o);
	}
	return lines == 0 ? -1 : bad;
}

#endif /* JSON_LINES_H */
