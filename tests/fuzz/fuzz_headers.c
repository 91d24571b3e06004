/*
 * fuzz_headers.c - the parsers of request and response header values: the
 * first byte picks one, the rest is the value.
 *
 *   0  Accept         transport_accepts_json (src/mcp/transport.h)
 *   1  Content-Type   transport_content_type_json (src/mcp/transport.h)
 *   2  Authorization  auth_bearer_token (src/lib/auth/auth.h)
 *   3  Cache-Control  fetch_cache_control_parse (src/lib/keycache/fetch.h)
 *   4  query string   auth_query_has_token (src/lib/auth/auth.h)
 *
 * One harness for five: each parser is a few dozen lines over one
 * NUL-terminated value, so five programs would spend five slots of a long
 * run on what one covers, and the grammar they share (tokens, parameters
 * after ';', lists after ',', quoted strings, OWS) grows one corpus that
 * serves all of them.  The selector byte keeps each input tied to one
 * parser, so a crash replays exactly.  Beyond not crashing, each result
 * must keep its contract: a bearer token is a non-empty span of its header
 * in b64token's alphabet, a freshness lifetime lies in -1..2^31.
 */
#include "fuzz.h"

#include <ctype.h>

#include "lib/auth/auth.h"
#include "lib/keycache/fetch.h"
#include "mcp/transport.h"

enum { SEL_ACCEPT, SEL_CONTENT_TYPE, SEL_AUTHORIZATION, SEL_CACHE_CONTROL, SEL_QUERY, SEL__MAX };

static void
harness_init(void)
{
	/* Nothing beyond fuzz_setup(): the parser keeps no state. */
}

/* RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool
b64token_char(char c)
{
	return isalnum((unsigned char)c) || strchr("-._~+/=", c) != NULL;
}

static void
check_bearer(const char *header)
{
	size_t len = 0;
	const char *tok = auth_bearer_token(header, &len);

	if (tok == NULL)
		return;
	if (tok < header || len == 0 || tok + len > header + strlen(header))
		abort();
	for (size_t i = 0; i < len; i++)
		if (!b64token_char(tok[i]))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value;
	int64_t age;

	if (size == 0)
		return 0;
	value = fuzz_cstr(data + 1, size - 1);
	switch (data[0] % SEL__MAX) {
	case SEL_ACCEPT:
		(void)transport_accepts_json(value);
		break;
	case SEL_CONTENT_TYPE:
		(void)transport_content_type_json(value);
		break;
	case SEL_AUTHORIZATION:
		check_bearer(value);
		break;
	case SEL_CACHE_CONTROL:
		age = fetch_cache_control_parse(value);
		if (age < -1 || age > FETCH_MAX_AGE_CAP)
			abort();
		break;
	default:
		(void)auth_query_has_token(value);
		break;
	}
	free(value);
	return 0;
}
