/*
 * jwks_file.c - the JWKS cache file on disk (its header is jwks_meta's), its
 * lock files and the private state directory.
 *
 * Every file is opened with O_NOFOLLOW and checked to be a regular file of
 * ours; the cache file is read under a shared flock and replaced, never
 * rewritten, by a temporary file renamed into place under an exclusive one.
 */
#include "lib/keycache/internal/jwks_file.h"

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Builds the three paths once; the length check makes every snprintf below fit. */
int
jwks_file_init(struct jwks_file *f, const char *state_dir, struct err *e)
{
	size_t len = state_dir != NULL ? strnlen(state_dir, JWKS_STATE_DIR_MAX + 1) : 0;

	if (len == 0 || len > JWKS_STATE_DIR_MAX)
		return err_set(e, ERR_SYSTEM, "state directory missing or longer than %d bytes",
		               JWKS_STATE_DIR_MAX);
	memcpy(f->dir, state_dir, len);
	f->dir[len] = '\0';
	while (len > 1 && f->dir[len - 1] == '/')
		f->dir[--len] = '\0';
	snprintf(f->cache, sizeof(f->cache), "%s/%s", f->dir, JWKS_CACHE_FILE);
	snprintf(f->lock, sizeof(f->lock), "%s/%s", f->dir, JWKS_CACHE_LOCK);
	snprintf(f->refresh, sizeof(f->refresh), "%s/%s", f->dir, JWKS_CACHE_REFRESH);
	return 0;
}

/*
 * mkdir first, then lstat: checking before creating would race with
 * whoever creates the name in between.
 */
int
jwks_file_dir_check(const struct jwks_file *f, struct err *e)
{
	struct stat st;

	if (mkdir(f->dir, 0700) == 0)
		log_msg(LOGL_INFO, "jwks: created state directory %s", f->dir);
	else if (errno != EEXIST)
		return err_set(e, ERR_SYSTEM, "state directory %s: %s", f->dir, strerror(errno));
	/* lstat: a symbolic link could point anywhere, so it is refused. */
	if (lstat(f->dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return err_set(e, ERR_SYSTEM, "state directory %s is not a directory", f->dir);
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return err_set(e, ERR_SYSTEM,
		               "state directory %s must be owned by uid %lu and not "
		               "group/world-writable",
		               f->dir, (unsigned long)geteuid());
	return 0;
}

/*
 * O_CREAT without O_EXCL: lock files are shared and never removed.  The
 * owner check refuses a file someone else planted (a hard link, say),
 * which they could keep locked to stall every refresh.
 */
int
jwks_file_lock(const char *path, int op, struct err *e)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);

	/*
	 * A state directory that turned read-only under us (remounted, or a
	 * file system gone bad) still holds its lock files, and flock needs no
	 * write access: the refresh goes on, its keys kept in memory and its
	 * failed write logged, instead of every new key being refused unsaid.
	 */
	if (fd < 0 && (errno == EROFS || errno == EACCES)) {
		int why = errno;

		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		/* No lock file to fall back on: the reason is the directory's. */
		if (fd < 0 && errno == ENOENT)
			errno = why;
	}
	if (fd < 0)
		return err_set(e, ERR_SYSTEM, "lock %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return err_set(e, ERR_SYSTEM, "lock %s is not our regular file", path);
	}
	while (flock(fd, op) != 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		if (errno == EWOULDBLOCK && (op & LOCK_NB) != 0)
			return JWKS_FILE_LOCK_BUSY;
		return err_set(e, ERR_SYSTEM, "flock %s: %s", path, strerror(errno));
	}
	return fd;
}

static void
ident_from_stat(struct jwks_file_ident *id, const struct stat *st)
{
	*id = (struct jwks_file_ident){.exists = true,
	                               .dev = st->st_dev,
	                               .ino = st->st_ino,
	                               .size = st->st_size,
	                               .mtime = st->st_mtim};
}

/* nanosecond mtimes: two writes within one second still differ. */
bool
jwks_file_ident_equal(const struct jwks_file_ident *a, const struct jwks_file_ident *b)
{
	if (!a->exists || !b->exists)
		return a->exists == b->exists;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* lstat, never stat: a symbolic link is a file of its own here, and refused later. */
int
jwks_file_stat(const struct jwks_file *f, struct jwks_file_ident *id, struct err *e)
{
	struct stat st;

	if (lstat(f->cache, &st) == 0) {
		ident_from_stat(id, &st);
		return 0;
	}
	*id = (struct jwks_file_ident){.exists = false};
	if (errno == ENOENT)
		return 0;
	return err_set(e, ERR_SYSTEM, "%s: %s", f->cache, strerror(errno));
}

/*
 * Reads the already open cache file fd (the caller holds the shared lock)
 * into a new NUL-terminated buffer.  Sets *id to what was looked at.
 * Returns the buffer, or NULL when the file is refused (logged: not a
 * regular file of ours, oversize, short read).
 */
static char *
fd_read(const struct jwks_file *f, int fd, size_t *len, struct jwks_file_ident *id)
{
	struct stat st;
	char *b;
	size_t n = 0;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_size < 0 || st.st_size > JWKS_FILE_MAX) {
		log_msg(LOGL_WARN, "jwks: %s is not a regular file of ours under %d bytes; ignored",
		        f->cache, JWKS_FILE_MAX);
		return NULL;
	}
	ident_from_stat(id, &st);
	b = xmalloc((size_t)st.st_size + 1);
	/* Files are replaced by rename, never rewritten: the size cannot change. */
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, b + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_msg(LOGL_WARN, "jwks: %s: short read; ignored", f->cache);
			free(b);
			return NULL;
		}
		n += (size_t)r;
	}
	b[n] = '\0';
	*len = n;
	return b;
}

/*
 * Reads the cache file (the caller holds the shared lock).  Sets *id to
 * what was read.  Returns 0 with *buf set, 0 with *buf NULL when the file
 * is missing or refused (logged: symbolic link, not a regular file of
 * ours, oversize), or -1 with ERR_SYSTEM in e.
 */
static int
raw_read(const struct jwks_file *f, char **buf, size_t *len, struct jwks_file_ident *id,
         struct err *e)
{
	int fd;

	*buf = NULL;
	*len = 0;
	if (jwks_file_stat(f, id, e) != 0)
		return -1;
	/* O_NOFOLLOW: a symbolic link planted in our directory is never followed. */
	fd = open(f->cache, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			*id = (struct jwks_file_ident){.exists = false};
		else if (errno == ELOOP)
			log_msg(LOGL_WARN, "jwks: %s is a symbolic link; ignored", f->cache);
		else
			return err_set(e, ERR_SYSTEM, "open %s: %s", f->cache, strerror(errno));
		return 0;
	}
	*buf = fd_read(f, fd, len, id);
	close(fd);
	return 0;
}

/*
 * The shared lock covers only the read: parsing needs no lock, and a
 * writer waits for readers only as long as a read() takes.
 */
int
jwks_file_read(const struct jwks_file *f, struct jwks_meta *m, char **doc, size_t *doc_len,
               struct jwks_file_ident *id, struct err *e)
{
	const char *d = NULL;
	char *buf = NULL;
	size_t len = 0, dlen = 0;
	struct err why;
	int rc, lock = jwks_file_lock(f->lock, LOCK_SH, e);

	*m = (struct jwks_meta){0};
	*doc = NULL;
	*doc_len = 0;
	if (lock < 0)
		return -1;
	rc = raw_read(f, &buf, &len, id, e);
	close(lock);
	if (rc != 0 || buf == NULL)
		goto out;
	if (jwks_meta_parse(buf, len, m, &d, &dlen, &why) != 0) {
		log_msg(LOGL_WARN, "jwks: %s is corrupt (%s); treated as missing", f->cache,
		        why.msg);
		goto out;
	}
	/* The document moves to the front of the buffer it was read into. */
	memmove(buf, d, dlen);
	buf[dlen] = '\0';
	*doc = buf;
	*doc_len = dlen;
	buf = NULL;
out:
	free(buf);
	return rc;
}

/*
 * mkstemp (O_EXCL, 0600) in the state directory itself, so rename() stays
 * within one file system and is atomic.
 */
int
jwks_file_write(const struct jwks_file *f, const struct jwks_meta *m, const char *doc,
                size_t doc_len, struct jwks_file_ident *id, struct err *e)
{
	char tmp[JWKS_FILE_PATH_MAX + sizeof(JWKS_FILE_TMP_SUFFIX)], hdr[JWKS_META_HEADER_MAX];
	int fd = -1, lock = -1, dfd, hl = jwks_meta_format(m, doc_len, hdr, e), rc = -1;
	bool created = false;
	struct stat st;

	if (hl < 0)
		return err_prefix(e, "%s: header", f->cache);
	if (doc_len > JWK_SET_MAX_BYTES)
		return err_set(e, ERR_INVALID, "%s: document over %d bytes", f->cache,
		               JWK_SET_MAX_BYTES);
	snprintf(tmp, sizeof(tmp), "%s%s", f->cache, JWKS_FILE_TMP_SUFFIX);
	if ((fd = mkstemp(tmp)) < 0) {
		err_set(e, ERR_SYSTEM, "mkstemp %s: %s", tmp, strerror(errno));
		goto out;
	}
	created = true;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || util_write_all(fd, hdr, (size_t)hl) != 0 ||
	    util_write_all(fd, doc, doc_len) != 0 || fsync(fd) != 0 || fstat(fd, &st) != 0) {
		err_set(e, ERR_SYSTEM, "write %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc != 0) {
		err_set(e, ERR_SYSTEM, "close %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = -1;
	/* Only the rename is under the exclusive lock: readers never wait on disk I/O. */
	if ((lock = jwks_file_lock(f->lock, LOCK_EX, e)) < 0)
		goto out;
	if (rename(tmp, f->cache) != 0) {
		err_set(e, ERR_SYSTEM, "rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	created = false;
	ident_from_stat(id, &st);
	/* Make the rename durable: after a crash an older file must not come back. */
	if ((dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	if (lock >= 0)
		close(lock);
	return rc;
}

/* True when name is JWKS_CACHE_FILE, a dot and six mkstemp() characters. */
static bool
tmp_name(const char *name)
{
	static const char chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t bl = strlen(JWKS_CACHE_FILE), sl = strlen(JWKS_FILE_TMP_SUFFIX);

	return strncmp(name, JWKS_CACHE_FILE, bl) == 0 && name[bl] == '.' &&
	       strspn(name + bl + 1, chars) == sl - 1 && name[bl + sl] == '\0';
}

/* Removes dir's entry name when it is a stale temporary file of ours.  Returns 1 or 0. */
static int
tmp_remove(int dfd, const char *dir, const char *name, int64_t now, int64_t min_age)
{
	struct stat st;

	/* AT_SYMLINK_NOFOLLOW: a link is judged (and kept) as a link, never followed. */
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (int64_t)st.st_mtim.tv_sec >= now - min_age)
		return 0;
	if (unlinkat(dfd, name, 0) != 0) {
		log_msg(LOGL_WARN, "jwks: remove %s/%s: %s", dir, name, strerror(errno));
		return 0;
	}
	log_msg(LOGL_INFO, "jwks: removed %s/%s, left by an interrupted writer", dir, name);
	return 1;
}

/*
 * The directory is opened without following a link and every entry is
 * judged through that descriptor, so a renamed or replaced directory
 * cannot redirect the unlinks.
 */
int
jwks_file_tmp_sweep(const struct jwks_file *f, int64_t now, int64_t min_age, struct err *e)
{
	int dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), removed = 0;
	const struct dirent *de;
	DIR *d = NULL;

	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		err_set(e, ERR_SYSTEM, "read directory %s: %s", f->dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	/* unlinkat() during readdir() is allowed; an entry is at worst seen twice. */
	while ((de = readdir(d)) != NULL)
		if (tmp_name(de->d_name))
			removed += tmp_remove(dirfd(d), f->dir, de->d_name, now, min_age);
	closedir(d);
	return removed;
}
