/*
 * ratelimit.c - rates and their parsing, keys, the GCRA decision, and the
 * limiter over whichever backend holds the state.
 */
#include "lib/ratelimit/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/core/num.h"
#include "lib/core/util.h"

#define US_PER_S 1000000

struct ratelimit {
	const struct ratelimit_ops *ops;
	void *self;
};

/* Copies [s, end) without surrounding spaces into buf; false when it does not fit. */
static bool
trimmed(const char *s, const char *end, char *buf, size_t cap)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((size_t)(end - s) >= cap)
		return false;
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	return true;
}

int
ratelimit_rate_parse(const char *text, struct ratelimit_rate *r, struct err *e)
{
	const char *slash = text != NULL ? strchr(text, '/') : NULL;
	char n[24], s[24];

	r->n = r->s = 0;
	if (text != NULL && slash == NULL && trimmed(text, text + strlen(text), n, sizeof(n)) &&
	    strcmp(n, "0") == 0)
		return 0;
	if (slash == NULL || !trimmed(text, slash, n, sizeof(n)) ||
	    !trimmed(slash + 1, slash + strlen(slash), s, sizeof(s)) ||
	    num_parse_i64(n, 1, RATELIMIT_N_MAX, &r->n) != 0 ||
	    num_parse_i64(s, 1, RATELIMIT_S_MAX, &r->s) != 0) {
		r->n = r->s = 0;
		return err_set(e, ERR_INVALID,
		               "must be N/S (N requests, 1 to %d, per S seconds, 1 to %d) or 0 "
		               "for no limit",
		               RATELIMIT_N_MAX, RATELIMIT_S_MAX);
	}
	return 0;
}

/* Parses one "name=N/S" entry [s, end) into t. */
static int
tool_entry_parse(const char *s, const char *end, struct ratelimit_tool_rate *t, struct err *e)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));
	char rate[64];
	struct err why;

	if (eq == NULL || !trimmed(s, eq, t->name, sizeof(t->name)) || t->name[0] == '\0')
		return err_set(e, ERR_INVALID, "%.*s: must be tool=N/S",
		               (int)(end - s > 64 ? 64 : end - s), s);
	if (!trimmed(eq + 1, end, rate, sizeof(rate)) ||
	    ratelimit_rate_parse(rate, &t->rate, &why) != 0)
		return err_set(e, ERR_INVALID, "%.64s: %s", t->name, why.msg);
	return 0;
}

int
ratelimit_tools_parse(const char *text, struct ratelimit_tool_rate *out, size_t max, size_t *n,
                      struct err *e)
{
	const char *p = text != NULL ? text : "", *end;
	char probe[4];

	*n = 0;
	for (; *p != '\0'; p = *end == ';' ? end + 1 : end) {
		end = p + strcspn(p, ";");
		/* An empty entry (a trailing ';') is no slip worth refusing. */
		if (trimmed(p, end, probe, sizeof(probe)) && probe[0] == '\0')
			continue;
		if (*n == max)
			return err_set(e, ERR_INVALID, "more than %zu tools", max);
		if (tool_entry_parse(p, end, &out[*n], e) != 0)
			return -1;
		for (size_t i = 0; i < *n; i++)
			if (strcmp(out[i].name, out[*n].name) == 0)
				return err_set(e, ERR_INVALID, "%s: named twice", out[i].name);
		(*n)++;
	}
	return 0;
}

uint64_t
ratelimit_key(const char *const *parts, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then a splitmix64 finish */

	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *c = (const unsigned char *)(parts[i] ? parts[i] : ""); *c;
		     c++)
			h = (h ^ *c) * 0x100000001b3ULL;
		/* A NUL between parts: no part holds one, so no two splits collide. */
		h = (h ^ 0) * 0x100000001b3ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

void
ratelimit_gcra(int64_t *tat, const struct ratelimit_rate *r, int64_t now_us,
               struct ratelimit_verdict *v)
{
	/* The emission interval, and the burst's span: N intervals, so exactly N pass at once. */
	int64_t t = r->s * US_PER_S / r->n, window = t * r->n;
	int64_t cur = *tat, next;

	/*
	 * A time in the past: a fresh key (a full burst).  A time a little past
	 * the window: a request that read the clock before another one but was
	 * decided after it (waiting for the lock, on another machine): a full
	 * window, never a fresh key, which would admit a second burst.  Further
	 * past, it cannot come from this rate: a changed rate or a damaged
	 * slot, read as a fresh key.
	 */
	if (cur < now_us || cur > now_us + window + RATELIMIT_SKEW_US)
		cur = now_us;
	else if (cur > now_us + window)
		cur = now_us + window;
	next = cur + t;
	if (next - now_us > window) {
		v->allowed = false;
		v->remaining = 0;
		/* It passes once next - window is reached; whole seconds, rounded up. */
		v->retry_after = (next - window - now_us + US_PER_S - 1) / US_PER_S;
		if (v->retry_after < 1)
			v->retry_after = 1;
		return;
	}
	*tat = next;
	v->allowed = true;
	v->retry_after = 0;
	v->remaining = (window - (next - now_us)) / t;
}

struct ratelimit *
ratelimit_new(const struct ratelimit_ops *ops, void *self)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	rl->ops = ops;
	rl->self = self;
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	rl->ops->free(rl->self);
	free(rl);
}

void
ratelimit_take_at(struct ratelimit *rl, const struct ratelimit_ask *asks, size_t n, int64_t now_us,
                  struct ratelimit_verdict *v)
{
	struct ratelimit_ask on[RATELIMIT_ASKS_MAX];
	size_t idx[RATELIMIT_ASKS_MAX], k = 0;

	memset(v, 0, sizeof(*v));
	v->allowed = true;
	v->remaining = RATELIMIT_N_MAX;
	for (size_t i = 0; i < n && k < RATELIMIT_ASKS_MAX; i++) {
		if (asks[i].rate.n > 0) {
			idx[k] = i;
			on[k++] = asks[i];
		}
	}
	if (rl == NULL || k == 0)
		return;
	if (rl->ops->take(rl->self, on, k, now_us, v) != 0) {
		v->allowed = true;
		return;
	}
	if (!v->allowed)
		v->refused_by = idx[v->refused_by];
}

void
ratelimit_take(struct ratelimit *rl, const struct ratelimit_ask *asks, size_t n,
               struct ratelimit_verdict *v)
{
	struct timespec ts;

	/* Wall-clock time: shared by every process; a jump backwards reads as damage, a reset. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ratelimit_take_at(rl, asks, n, (int64_t)ts.tv_sec * US_PER_S + ts.tv_nsec / 1000, v);
}
