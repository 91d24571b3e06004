/*
 * sig_memo.c - the state file of verified signatures' digests.
 */
#include "lib/keycache/sig_memo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/core/util.h"

#define SIG_MEMO_SIZE ((off_t)SIG_MEMO_SLOTS * SIG_MEMO_DIGEST)

struct sig_memo {
	char *dir;  /* the state directory; NULL: none, the memo is off */
	char *path; /* dir/SIG_MEMO_FILE */
	int fd;     /* -1 until opened */
	int state;  /* 0 not opened yet, 1 usable, -1 off for this process */
};

struct sig_memo *
sig_memo_new(const char *state_dir)
{
	struct sig_memo *m = xcalloc(1, sizeof(*m));
	size_t n;

	m->fd = -1;
	if (state_dir == NULL || *state_dir == '\0') {
		m->state = -1;
		return m;
	}
	m->dir = xstrdup(state_dir);
	n = strlen(state_dir) + sizeof("/" SIG_MEMO_FILE);
	m->path = xmalloc(n);
	snprintf(m->path, n, "%s/%s", state_dir, SIG_MEMO_FILE);
	return m;
}

void
sig_memo_free(struct sig_memo *m)
{
	if (m == NULL)
		return;
	if (m->fd >= 0)
		close(m->fd);
	free(m->dir);
	free(m->path);
	free(m);
}

/* Opens the file at the first use; true when it can be used. */
static bool
memo_ready(struct sig_memo *m)
{
	struct stat st;
	const char *why = NULL;

	if (m->state != 0)
		return m->state > 0;
	m->state = -1;
	m->fd = open(m->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (m->fd < 0 && errno == ELOOP) {
		why = "a symbolic link";
	} else if (m->fd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS)) {
		/* Where keys come from OAUTH_JWKS_FILE, nothing else would say so. */
		log_msg(LOGL_WARN,
		        "state directory %s is not writable (%s): the files shared there are off "
		        "for this process (signatures checked at every request, rate limits per "
		        "process)",
		        m->dir, strerror(errno));
	} else if (m->fd < 0) {
		log_msg(LOGL_DEBUG, "signature memo %s: %s", m->path, strerror(errno));
	} else if (fstat(m->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		why = "not a regular file";
	} else if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		why = "not ours alone (owner or mode)";
	} else if (st.st_size != SIG_MEMO_SIZE && ftruncate(m->fd, SIG_MEMO_SIZE) != 0) {
		/* A new file, or a damaged one: every slot it lacks reads as zeros. */
		why = "cannot be sized";
	} else {
		m->state = 1;
		return true;
	}
	if (why != NULL)
		log_msg(LOGL_WARN, "signature memo %s refused (%s): every signature is checked",
		        m->path, why);
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	return false;
}

/* The byte offset of digest's slot (the digest is uniform: its first bytes will do). */
static off_t
slot_offset(const unsigned char d[SIG_MEMO_DIGEST])
{
	unsigned v = (unsigned)d[0] | (unsigned)d[1] << 8 | (unsigned)d[2] << 16;

	return (off_t)(v % SIG_MEMO_SLOTS) * SIG_MEMO_DIGEST;
}

bool
sig_memo_seen(struct sig_memo *m, const unsigned char digest[SIG_MEMO_DIGEST])
{
	unsigned char slot[SIG_MEMO_DIGEST];

	if (m == NULL || !memo_ready(m) ||
	    pread(m->fd, slot, sizeof(slot), slot_offset(digest)) != (ssize_t)sizeof(slot))
		return false;
	return memcmp(slot, digest, sizeof(slot)) == 0;
}

void
sig_memo_remember(struct sig_memo *m, const unsigned char digest[SIG_MEMO_DIGEST])
{
	if (m == NULL || !memo_ready(m))
		return;
	/* One aligned 32-byte write; a reader racing it sees a miss at worst. */
	if (pwrite(m->fd, digest, SIG_MEMO_DIGEST, slot_offset(digest)) != SIG_MEMO_DIGEST)
		log_msg(LOGL_DEBUG, "signature memo %s: %s", m->path, strerror(errno));
}
