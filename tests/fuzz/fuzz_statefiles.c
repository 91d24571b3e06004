/*
 * fuzz_statefiles.c - the two binary state files that every process of a
 * machine shares and trusts no further than letting a request through:
 * the signature memo (src/lib/keycache/sig_memo.h, sigs.memo) and the
 * rate-limit table (src/lib/ratelimit/ratelimit.h, ratelimit.table).
 * Whoever can write the state directory can write them, a crashed writer
 * can leave them short, and a disk can damage them.
 *
 * The first byte picks the file and how it is left:
 *   bit 0  0: sigs.memo, 1: ratelimit.table
 *   bit 1  the file keeps the input's length (a truncated or overlong
 *          file), else it is padded with zeros to its proper size
 *   bit 2  (table) the header's check is made right for the fuzzed magic,
 *          geometry and salt, so the slots behind it are read as they are
 * The rest is the file's first bytes.  Then the memo is asked for, told,
 * and asked again for a digest cut from the input (it must then know it);
 * the table decides two requests of two keys at a fixed time.
 */
#include "fuzz.h"

#include "lib/keycache/sig_memo.h"
#include "lib/ratelimit/ratelimit.h"

#define NOW_US INT64_C(1700000000000000)

static char memo_path[300], table_path[300];

static void
harness_init(void)
{
	snprintf(memo_path, sizeof(memo_path), "%s/%s", fuzz_tmpdir(), SIG_MEMO_FILE);
	snprintf(table_path, sizeof(table_path), "%s/%s", fuzz_tmpdir(), RATELIMIT_FILE);
}

/* Writes the first size bytes of a file of full bytes (padded with zeros unless keep). */
static void
write_state(const char *path, const uint8_t *data, size_t size, size_t full, bool keep)
{
	uint8_t *buf;
	size_t n = keep || size > full ? size : full;

	buf = xcalloc(1, n > 0 ? n : 1);
	if (size > 0)
		memcpy(buf, data, size);
	fuzz_write_file(path, buf, n);
	free(buf);
}

static void
memo_case(const uint8_t *data, size_t size, bool keep)
{
	unsigned char d[SIG_MEMO_DIGEST] = {0};
	struct sig_memo *m;

	write_state(memo_path, data, size, (size_t)SIG_MEMO_SLOTS * SIG_MEMO_DIGEST, keep);
	memcpy(d, data, size < sizeof(d) ? size : sizeof(d));
	d[SIG_MEMO_DIGEST - 1] ^= 0x5a; /* not simply the file's first slot */
	m = sig_memo_new(fuzz_tmpdir());
	(void)sig_memo_seen(m, d);
	sig_memo_remember(m, d);
	if (!sig_memo_seen(m, d))
		abort();
	sig_memo_free(m);
}

/* The header's check as ratelimit_table.c computes it (magic, geometry and salt hashed). */
static void
header_fix(uint8_t *h)
{
	uint32_t buckets, ways;
	uint64_t salt, check;
	char text[80];
	const char *part = text;

	memcpy(&buckets, h + 8, 4);
	memcpy(&ways, h + 12, 4);
	memcpy(&salt, h + 16, 8);
	snprintf(text, sizeof(text), "%.8s %u %u %llx", (const char *)h, buckets, ways,
	         (unsigned long long)salt);
	check = ratelimit_key(&part, 1);
	memcpy(h + 24, &check, 8);
}

static void
table_case(const uint8_t *data, size_t size, bool keep, bool fix)
{
	struct ratelimit_ask asks[2] = {{.key = 0, .rate = {.n = 3, .s = 60}},
	                                {.key = 0, .rate = {.n = 1, .s = 1}}};
	struct ratelimit_verdict v;
	struct ratelimit *rl;
	uint8_t *copy = NULL;

	memcpy(&asks[0].key, data, size < 8 ? size : 8);
	asks[1].key = asks[0].key ^ size;
	if (fix && size >= 32) {
		copy = xmalloc(size);
		memcpy(copy, data, size);
		header_fix(copy);
		data = copy;
	}
	write_state(table_path, data, size, RATELIMIT_FILE_SIZE, keep);
	free(copy);
	rl = ratelimit_local_open(fuzz_tmpdir());
	for (int i = 0; i < 2; i++) {
		ratelimit_take_at(rl, asks, 2, NOW_US + i, &v);
		if ((!v.allowed && (v.retry_after < 1 || v.refused_by >= 2)) ||
		    (v.allowed && v.remaining < 0))
			abort();
	}
	ratelimit_free(rl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 64 * 1024)
		return -1;
	if (data[0] & 1)
		table_case(data + 1, size - 1, data[0] & 2, data[0] & 4);
	else
		memo_case(data + 1, size - 1, data[0] & 2);
	return 0;
}
