/*
 * ratelimit_table.c - the machine's backend: a table of TATs in the state
 * directory, shared by every FastCGI worker and CGI process.
 *
 * Layout: a 64-byte header (magic, geometry, a random salt, a check of
 * those), then TABLE_BUCKETS buckets of TABLE_WAYS slots, a slot being a
 * key and its TAT (16 bytes): 1 MiB and 64 bytes, whatever the number of
 * clients.  A key lives in one bucket, picked by its hash mixed with the
 * salt (so nobody can aim keys at one bucket without knowing the salt);
 * a new key takes an empty slot, else one whose TAT has passed (it holds
 * nothing a fresh key would not), else the oldest (the smallest TAT):
 * with more live clients than slots the least recent lose their history,
 * which lets them through sooner, never later.
 *
 * Locking: every decision runs under an exclusive flock of the file (a
 * crashed process holds none: the kernel drops it), on the table mapped
 * shared.  Measured on the 2-core development machine, one process: a
 * decision by flock + pread + pwrite cost 2.3 us, by compare-and-swap in
 * the mapping 13 ns.  Under make bench (two workers, 16 connections) the
 * pread/pwrite table cost 38 % of tools/call throughput - each pwrite
 * updates the file's times through the file system's journal - and the
 * mapped one under flock between 3 % and nothing (0.969 and 1.049 of the
 * throughput without limits in two runs: within the runs' noise).  A CGI process maps it once (one
 * mmap and two page faults); the flock keeps a decision over two keys all or nothing, which
 * compare-and-swap on one word would not.
 *
 * Damage: a file of the wrong size (truncated: checked with fstat under
 * the lock before the mapping is touched, so no access lands past its end)
 * or a header whose magic, geometry or check is wrong is rebuilt empty
 * under the lock; a damaged slot is a stranger's key or a TAT that
 * ratelimit_gcra() reads as fresh.  Nothing read from the file is trusted
 * beyond letting a request through.
 */
#include "lib/ratelimit/ratelimit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/core/util.h"

#define TABLE_MAGIC   "MCPRL01\n"
#define TABLE_BUCKETS 8192
#define TABLE_WAYS    8
#define HEADER_SIZE   64
#define BUCKET_SIZE   (TABLE_WAYS * 16)
#define TABLE_SIZE    ((off_t)RATELIMIT_FILE_SIZE)

_Static_assert(RATELIMIT_FILE_SIZE == HEADER_SIZE + TABLE_BUCKETS * BUCKET_SIZE,
               "RATELIMIT_FILE_SIZE is the table's layout");

struct slot {
	uint64_t key; /* 0: empty */
	int64_t tat;  /* microseconds since the epoch */
};

struct header {
	char magic[8];
	uint32_t buckets, ways;
	uint64_t salt;
	uint64_t check; /* ratelimit_key() over the members above */
	unsigned char pad[HEADER_SIZE - 32];
};

struct table {
	char *dir;          /* the state directory; NULL: none */
	char *path;         /* dir/RATELIMIT_FILE */
	int fd;             /* -1 until opened */
	int state;          /* 0 not opened yet, 1 the file, -1 the table in memory */
	unsigned char *mem; /* the table: the file mapped, or (state -1) this process's own */
	uint64_t salt;      /* of the header last read */
	struct header seen; /* the header last found good, when seen_ok */
	bool seen_ok;
};

/* The buckets of one decision, each read once. */
struct work {
	uint32_t index[RATELIMIT_ASKS_MAX];
	struct slot slots[RATELIMIT_ASKS_MAX][TABLE_WAYS];
	size_t n;
};

/*
 * The table is mapped (or, off the file, allocated) whole; it is read and
 * written only under the lock, after the file's size was checked, so a
 * file truncated behind our back is rebuilt before any access past its end.
 */
static int
table_read(struct table *t, off_t off, void *buf, size_t len)
{
	memcpy(buf, t->mem + off, len);
	return 0;
}

static int
table_write(struct table *t, off_t off, const void *buf, size_t len)
{
	memcpy(t->mem + off, buf, len);
	return 0;
}

/* The check of a header: its magic, geometry and salt hashed. */
static uint64_t
header_check(const struct header *h)
{
	char text[80];
	const char *part = text;

	snprintf(text, sizeof(text), "%.8s %u %u %llx", h->magic, h->buckets, h->ways,
	         (unsigned long long)h->salt);
	return ratelimit_key(&part, 1);
}

static bool
header_ok(const struct header *h)
{
	return memcmp(h->magic, TABLE_MAGIC, 8) == 0 && h->buckets == TABLE_BUCKETS &&
	       h->ways == TABLE_WAYS && h->check == header_check(h);
}

static void table_in_memory(struct table *t);

/*
 * Gives the file all its blocks now; 0 or an errno.  A page of a sparse
 * file first written through the mapping when the file system is full
 * kills the process with SIGBUS (found by tests/e2e/faults_cache.sh).
 */
static int
table_allocate(int fd)
{
	return posix_fallocate(fd, 0, TABLE_SIZE);
}

/* Empties the table and writes a new header with a new salt (under the lock). */
static int
table_rebuild(struct table *t)
{
	struct header h;
	struct stat st;
	static const char none[8];
	/* New: empty, or allocated (table_allocate) but no magic written yet. */
	bool fresh = t->state < 0 ||
	             (fstat(t->fd, &st) == 0 &&
	              (st.st_size == 0 || (st.st_size >= 8 && memcmp(t->mem, none, 8) == 0)));

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TABLE_MAGIC, 8);
	h.buckets = TABLE_BUCKETS;
	h.ways = TABLE_WAYS;
	if (util_random(&h.salt, sizeof(h.salt)) != 0)
		return -1;
	h.check = header_check(&h);
	/* The file's old pages are dropped and read back as zeros through the mapping. */
	if (t->state < 0)
		memset(t->mem, 0, (size_t)TABLE_SIZE);
	else if (ftruncate(t->fd, 0) != 0 || ftruncate(t->fd, TABLE_SIZE) != 0)
		return -1;
	else if ((errno = table_allocate(t->fd)) != 0) {
		/* The emptied file has no blocks left to write through: off it. */
		log_msg(LOGL_WARN,
		        "rate-limit table %s cannot be rebuilt (%s): limits hold per process",
		        t->path, strerror(errno));
		munmap(t->mem, (size_t)TABLE_SIZE);
		table_in_memory(t);
		return 0;
	}
	if (!fresh)
		log_msg(LOGL_WARN, "rate-limit table %s was damaged or new: rebuilt", t->path);
	t->salt = h.salt;
	return table_write(t, 0, &h, sizeof(h));
}

/* Reads the header, rebuilding a damaged table; sets t->salt. */
static int
table_header(struct table *t)
{
	struct header h;

	if (table_read(t, 0, &h, sizeof(h)) != 0)
		return table_rebuild(t);
	/* The same bytes as the header last checked need no second check (its hash). */
	if (!t->seen_ok || memcmp(&h, &t->seen, sizeof(h)) != 0) {
		if (!header_ok(&h))
			return table_rebuild(t);
		t->seen = h;
		t->seen_ok = true;
	}
	t->salt = h.salt;
	return 0;
}

/* Falls back to a table of this process's own: the limits then hold per process. */
static void
table_in_memory(struct table *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->state = -1;
	t->mem = xcalloc(1, (size_t)TABLE_SIZE);
	table_rebuild(t);
}

/* Why the opened file may not be used, or NULL. */
static const char *
file_refused(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		return "not ours alone (owner or mode)";
	return NULL;
}

/* Opens the file at the first use, or falls back to memory (logged once). */
static void
table_ready(struct table *t)
{
	const char *why = NULL;

	if (t->state != 0)
		return;
	if (t->path == NULL) {
		table_in_memory(t);
		return;
	}
	t->fd = open(t->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (t->fd < 0)
		why = errno == ELOOP ? "a symbolic link" : strerror(errno);
	else
		why = file_refused(t->fd);
	if (why == NULL && (errno = table_allocate(t->fd)) != 0)
		why = strerror(errno);
	if (why == NULL && (t->mem = mmap(NULL, (size_t)TABLE_SIZE, PROT_READ | PROT_WRITE,
	                                  MAP_SHARED, t->fd, 0)) == MAP_FAILED) {
		t->mem = NULL;
		why = strerror(errno);
	}
	if (why == NULL) {
		t->state = 1;
		return;
	}
	/*
	 * A missing state directory is said once elsewhere (the key cache, the
	 * database); one that is not writable by the key cache or the signature
	 * memo, in the one line that names the directory.
	 */
	log_msg(t->fd < 0 &&
	                (errno == ENOENT || errno == EACCES || errno == EPERM || errno == EROFS)
	            ? LOGL_DEBUG
	            : LOGL_WARN,
	        "rate-limit table %s refused (%s): limits hold per process", t->path, why);
	table_in_memory(t);
}

/* Writes v as "%llx" would, without the printf machinery; returns the end. */
static char *
hex64(char *out, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	int shift = 60;

	while (shift > 0 && (v >> shift) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*out++ = hex[(v >> shift) & 0xf];
	return out;
}

/*
 * The bucket of key under the current salt: the hash of the text
 * "<key>.<salt>" in hexadecimal (written by hand: snprintf was most of a
 * decision's instructions, three decisions a call).
 */
static uint32_t
bucket_of(const struct table *t, uint64_t key)
{
	char text[40], *end = hex64(text, key);
	const char *part = text;

	*end++ = '.';
	*hex64(end, t->salt) = '\0';
	return (uint32_t)(ratelimit_key(&part, 1) % TABLE_BUCKETS);
}

/* The slots of bucket b in w, read once per decision; NULL on a read error. */
static struct slot *
work_bucket(struct table *t, struct work *w, uint32_t b)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->index[i] == b)
			return w->slots[i];
	w->index[w->n] = b;
	if (table_read(t, HEADER_SIZE + (off_t)b * BUCKET_SIZE, w->slots[w->n], BUCKET_SIZE) != 0)
		return NULL;
	return w->slots[w->n++];
}

/* key's slot in the bucket, or the one it takes: empty, else expired, else oldest. */
static struct slot *
slot_for(struct slot *s, uint64_t key, int64_t now_us)
{
	struct slot *victim = &s[0];

	for (size_t i = 0; i < TABLE_WAYS; i++)
		if (s[i].key == key)
			return &s[i];
	for (size_t i = 0; i < TABLE_WAYS; i++) {
		if (s[i].key == 0 || s[i].tat <= now_us) {
			victim = &s[i];
			break;
		}
		if (s[i].tat < victim->tat)
			victim = &s[i];
	}
	victim->key = key;
	victim->tat = 0;
	return victim;
}

/* Decides every ask on the buckets in w; writes nothing. */
static int
decide(struct table *t, struct work *w, const struct ratelimit_ask *asks, size_t n, int64_t now_us,
       struct ratelimit_verdict *v)
{
	for (size_t i = 0; i < n; i++) {
		/* 0 marks an empty slot: a key never is. */
		uint64_t key = asks[i].key | 1;
		struct slot *s = work_bucket(t, w, bucket_of(t, asks[i].key));
		struct ratelimit_verdict one;

		if (s == NULL)
			return -1;
		s = slot_for(s, key, now_us);
		ratelimit_gcra(&s->tat, &asks[i].rate, now_us, &one);
		if (!one.allowed) {
			*v = one;
			v->refused_by = i;
			return 0;
		}
		if (one.remaining < v->remaining)
			v->remaining = one.remaining;
	}
	return 0;
}

static int
table_take(void *self, const struct ratelimit_ask *asks, size_t n, int64_t now_us,
           struct ratelimit_verdict *v)
{
	struct table *t = self;
	struct work w = {.n = 0};
	struct stat st;
	int rc = -1;

	table_ready(t);
	if (t->state > 0 && flock(t->fd, LOCK_EX) != 0)
		return -1;
	/* Truncated (or grown) behind our back: rebuilt before the mapping is touched. */
	if (t->state > 0 && (fstat(t->fd, &st) != 0 || st.st_size != TABLE_SIZE) &&
	    table_rebuild(t) != 0)
		goto out;
	if (table_header(t) != 0 || decide(t, &w, asks, n, now_us, v) != 0)
		goto out;
	/* All or nothing: the buckets are written back only when every key admitted it. */
	for (size_t i = 0; v->allowed && i < w.n; i++)
		if (table_write(t, HEADER_SIZE + (off_t)w.index[i] * BUCKET_SIZE, w.slots[i],
		                BUCKET_SIZE) != 0)
			goto out;
	rc = 0;
out:
	if (t->state > 0)
		flock(t->fd, LOCK_UN);
	return rc;
}

static void
table_free(void *self)
{
	struct table *t = self;

	if (t->state > 0)
		munmap(t->mem, (size_t)TABLE_SIZE);
	else
		free(t->mem);
	if (t->fd >= 0)
		close(t->fd);
	free(t->dir);
	free(t->path);
	free(t);
}

static const struct ratelimit_ops table_ops = {.take = table_take, .free = table_free};

struct ratelimit *
ratelimit_local_open(const char *state_dir)
{
	struct table *t = xcalloc(1, sizeof(*t));
	size_t n;

	t->fd = -1;
	if (state_dir != NULL && *state_dir != '\0') {
		t->dir = xstrdup(state_dir);
		n = strlen(state_dir) + sizeof("/" RATELIMIT_FILE);
		t->path = xmalloc(n);
		snprintf(t->path, n, "%s/%s", state_dir, RATELIMIT_FILE);
	}
	return ratelimit_new(&table_ops, t);
}
