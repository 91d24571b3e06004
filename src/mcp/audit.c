/*
 * audit.c - the per-request audit line.
 */
#include "mcp/audit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/http/request.h"
#include "lib/jose/token.h"
#include "mcp/outcome.h"

int64_t
audit_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * The line is written as text, not built as a cJSON tree: a tree costs an
 * allocation per member and name, and printing it walks it again (a fifth
 * of an authenticated call's instructions went there).  The text is what
 * cJSON printed, byte for byte: the same member order, the same escapes.
 */
struct line {
	char *p;
	size_t n, cap;
	bool first; /* no member written yet: no comma before the next */
};

static void
put(struct line *l, const char *s, size_t len)
{
	if (l->n + len + 1 > l->cap) {
		while (l->n + len + 1 > l->cap)
			l->cap *= 2;
		l->p = xrealloc(l->p, l->cap);
	}
	memcpy(l->p + l->n, s, len);
	l->n += len;
	l->p[l->n] = '\0';
}

/* Writes "name": (with the comma before it when a member precedes). */
static void
put_name(struct line *l, const char *name)
{
	if (!l->first)
		put(l, ",", 1);
	l->first = false;
	put(l, "\"", 1);
	put(l, name, strlen(name));
	put(l, "\":", 2);
}

/*
 * Writes value as a JSON string.  Text from outside (claims, methods) is
 * made valid UTF-8 first (each byte that starts no well-formed sequence
 * becomes U+FFFD), so every audit line is valid UTF-8 JSON; then escaped
 * as cJSON escapes: quote, backslash, \b \f \n \r \t, other control
 * characters as \u00xx.
 */
static void
put_string(struct line *l, const char *value)
{
	static const char hex[] = "0123456789abcdef", fffd[] = "\xef\xbf\xbd";
	size_t len = strlen(value), i = 0;

	put(l, "\"", 1);
	while (i < len) {
		unsigned char c = (unsigned char)value[i];
		size_t take = utf8_seq(value + i, len - i), run = i;
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};

		/* Copies a run of characters that need nothing in one go. */
		while (run < len && (unsigned char)value[run] >= 0x20 && value[run] != '"' &&
		       value[run] != '\\' && (unsigned char)value[run] < 0x80)
			run++;
		if (run > i) {
			put(l, value + i, run - i);
			i = run;
			continue;
		}
		if (take == 0) {
			put(l, fffd, 3);
			take = 1;
		} else if (c >= 0x80) {
			put(l, value + i, take);
		} else if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			put(l, esc, 2);
		} else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
			esc[1] = c == '\b'   ? 'b'
			         : c == '\f' ? 'f'
			         : c == '\n' ? 'n'
			         : c == '\r' ? 'r'
			                     : 't';
			put(l, esc, 2);
		} else {
			put(l, esc, 6);
		}
		i += take;
	}
	put(l, "\"", 1);
}

/* Adds name: value when value is set. */
static void
add_str(struct line *l, const char *name, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	put_name(l, name);
	put_string(l, value);
}

/* Adds name: n. */
static void
add_int(struct line *l, const char *name, int64_t n)
{
	char num[24];
	int len = snprintf(num, sizeof(num), "%lld", (long long)n);

	put_name(l, name);
	put(l, num, (size_t)len);
}

/* The decision text of o, or of its message m (NULL for the request as a whole). */
static void
decision(const struct outcome *o, const struct outcome_msg *m, char *buf, size_t len)
{
	switch (o->kind) {
	case OUTCOME_PREFLIGHT:
		snprintf(buf, len, "preflight");
		break;
	case OUTCOME_REFUSED:
		snprintf(buf, len, "refused");
		break;
	case OUTCOME_UNAUTHORIZED:
		snprintf(buf, len, "%d %s", o->status, o->reason);
		break;
	case OUTCOME_RATE_LIMITED:
		snprintf(buf, len, "rate_limited");
		break;
	case OUTCOME_ANSWERED:
		if (m != NULL && m->limited)
			snprintf(buf, len, "rate_limited");
		else if (m != NULL && m->needs[0] != '\0')
			snprintf(buf, len, "403 missing %s", m->needs);
		else
			snprintf(buf, len, "allowed");
		break;
	}
}

/* Adds who the verified token speaks for. */
static void
add_principal(struct line *l, const struct principal *p)
{
	add_str(l, "subject", p->subject);
	add_str(l, "client_id", p->client_id);
	add_str(l, "org_id", p->org_id);
	put_name(l, "scopes");
	put(l, "[", 1);
	/* Scope tokens are checked ASCII (RFC 6749 §3.3): put_string keeps them as they are. */
	for (size_t i = 0; i < p->n_scopes; i++) {
		if (i > 0)
			put(l, ",", 1);
		put_string(l, p->scopes[i]);
	}
	put(l, "]", 1);
}

/*
 * Writes one line: the request's facts, and those of message m (NULL: the
 * request was decided before its body was read).  A message of a batch
 * carries its index and the batch's size.
 */
static void
write_line(const struct request *req, const struct principal *principal, const struct outcome *out,
           const struct outcome_msg *m, int64_t duration_us)
{
	char ts[LOG_TIME_LEN], text[768];
	struct line l = {.p = xmalloc(512), .cap = 512, .first = true};

	put(&l, "{", 1);
	log_time(ts);
	add_str(&l, "time", ts);
	add_str(&l, "type", "audit");
	add_str(&l, "request_id", req->request_id);
	add_str(&l, "remote", req->remote_addr);
	add_str(&l, "http_method", req->method);
	if (principal != NULL)
		add_principal(&l, principal);
	if (m != NULL && out->batch) {
		add_int(&l, "message", m - out->msgs);
		add_int(&l, "messages", (int64_t)out->n_msgs);
	}
	add_str(&l, "method", m != NULL ? m->method : NULL);
	add_str(&l, "tool", m != NULL ? m->tool : NULL);
	decision(out, m, text, sizeof(text));
	add_str(&l, "decision", text);
	add_int(&l, "status", out->status);
	if (m != NULL && m->rpc_error != 0)
		add_int(&l, "rpc_error", m->rpc_error);
	add_int(&l, "duration_us", duration_us);
	put(&l, "}", 1);
	log_json_line(l.p);
	free(l.p);
}

void
audit_log(const struct request *req, const struct principal *principal, const struct outcome *out,
          int64_t duration_us)
{
	/* Every message of a body is audited on its own line: a batch hides no call. */
	if (out->kind != OUTCOME_ANSWERED || out->n_msgs == 0) {
		write_line(req, principal, out, NULL, duration_us);
		return;
	}
	for (size_t i = 0; i < out->n_msgs; i++)
		write_line(req, principal, out, &out->msgs[i], duration_us);
}
