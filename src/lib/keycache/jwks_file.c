/*
 * jwks_file.c - the JWKS cache file on disk (its header is jwks_meta's), its
 * lock files and the private state directory.
 *
 * Every file is opened with O_NOFOLLOW and checked to be a regular file of
 * ours; the cache file is read under a shared flock and replaced, never
 * rewritten, by a temporary file renamed into place under an exclusive one.
 */
#include "lib/keycache/internal/jwks_file.h"

#include "lib/core/log.h"

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
jwks_file_init(struct jwks_file *f, const char *state_dir)
{
	size_t len = state_dir != NULL ? strnlen(state_dir, JWKS_STATE_DIR_MAX + 1) : 0;

	if (len == 0 || len > JWKS_STATE_DIR_MAX)
		return -1;
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
jwks_file_dir_check(const struct jwks_file *f, char *why, size_t len)
{
	struct stat st;

	if (mkdir(f->dir, 0700) == 0)
		log_msg(LOGL_INFO, "jwks: created state directory %s", f->dir);
	else if (errno != EEXIST) {
		snprintf(why, len, "state directory %s: %s", f->dir, strerror(errno));
		return -1;
	}
	/* lstat: a symbolic link could point anywhere, so it is refused. */
	if (lstat(f->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, len, "state directory %s is not a directory", f->dir);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(why, len,
		         "state directory %s must be owned by uid %lu and not group/world-writable",
		         f->dir, (unsigned long)geteuid());
		return -1;
	}
	return 0;
}

/*
 * O_CREAT without O_EXCL: lock files are shared and never removed.  The
 * owner check refuses a file someone else planted (a hard link, say),
 * which they could keep locked to stall every refresh.
 */
int
jwks_file_lock(const char *path, int op)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0) {
		log_msg(LOGL_ERROR, "jwks: lock %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		log_msg(LOGL_ERROR, "jwks: lock %s is not our regular file", path);
		close(fd);
		return -1;
	}
	while (flock(fd, op) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK && (op & LOCK_NB) != 0) {
			close(fd);
			return JWKS_FILE_LOCK_BUSY;
		}
		log_msg(LOGL_ERROR, "jwks: flock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
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
jwks_file_stat(const struct jwks_file *f, struct jwks_file_ident *id)
{
	struct stat st;

	if (lstat(f->cache, &st) == 0) {
		ident_from_stat(id, &st);
		return 0;
	}
	*id = (struct jwks_file_ident){.exists = false};
	if (errno == ENOENT)
		return 0;
	log_msg(LOGL_ERROR, "jwks: %s: %s", f->cache, strerror(errno));
	return -1;
}

/*
 * Reads the cache file (the caller holds the shared lock) into a new
 * NUL-terminated buffer.  Sets *id to what was read.  Returns JWKS_OK with
 * *buf set, JWKS_OK with *buf NULL when the file is missing or refused
 * (logged: symbolic link, not a regular file of ours, oversize), or
 * JWKS_ERR_IO / JWKS_ERR_NOMEM.
 */
static enum jwks_err
raw_read(const struct jwks_file *f, char **buf, size_t *len, struct jwks_file_ident *id)
{
	enum jwks_err err = JWKS_OK;
	struct stat st;
	char *b = NULL;
	size_t n = 0;
	int fd = -1;

	*buf = NULL;
	*len = 0;
	if (jwks_file_stat(f, id) != 0)
		return JWKS_ERR_IO;
	/* O_NOFOLLOW: a symbolic link planted in our directory is never followed. */
	fd = open(f->cache, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			*id = (struct jwks_file_ident){.exists = false};
		else if (errno == ELOOP)
			log_msg(LOGL_WARN, "jwks: %s is a symbolic link; ignored", f->cache);
		else {
			log_msg(LOGL_ERROR, "jwks: open %s: %s", f->cache, strerror(errno));
			err = JWKS_ERR_IO;
		}
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_size < 0 || st.st_size > JWKS_FILE_MAX) {
		log_msg(LOGL_WARN, "jwks: %s is not a regular file of ours under %d bytes; ignored",
		        f->cache, JWKS_FILE_MAX);
		goto out;
	}
	ident_from_stat(id, &st);
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		err = JWKS_ERR_NOMEM;
		goto out;
	}
	/* Files are replaced by rename, never rewritten: the size cannot change. */
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, b + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_msg(LOGL_WARN, "jwks: %s: short read; ignored", f->cache);
			goto out;
		}
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	if (fd >= 0)
		close(fd);
	return err;
}

/*
 * The shared lock covers only the read: parsing needs no lock, and a
 * writer waits for readers only as long as a read() takes.
 */
enum jwks_err
jwks_file_read(const struct jwks_file *f, struct jwks_meta *m, char **doc, size_t *doc_len,
               struct jwks_file_ident *id)
{
	const char *d = NULL;
	char *buf = NULL;
	size_t len = 0, dlen = 0;
	enum jwks_err err;
	int lock = jwks_file_lock(f->lock, LOCK_SH);

	*m = (struct jwks_meta){0};
	*doc = NULL;
	*doc_len = 0;
	if (lock < 0)
		return JWKS_ERR_STATE_DIR;
	err = raw_read(f, &buf, &len, id);
	close(lock);
	if (err != JWKS_OK || buf == NULL)
		goto out;
	if (jwks_meta_parse(buf, len, m, &d, &dlen) != 0) {
		log_msg(LOGL_WARN, "jwks: %s is corrupt; treated as missing", f->cache);
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
	return err;
}

/* Writes all of buf to fd.  Returns 0, or -1 with errno set (short writes retried). */
static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * mkstemp (O_EXCL, 0600) in the state directory itself, so rename() stays
 * within one file system and is atomic.
 */
enum jwks_err
jwks_file_write(const struct jwks_file *f, const struct jwks_meta *m, const char *doc,
                size_t doc_len, struct jwks_file_ident *id)
{
	char tmp[JWKS_FILE_PATH_MAX + sizeof(JWKS_FILE_TMP_SUFFIX)], hdr[JWKS_META_HEADER_MAX];
	enum jwks_err err = JWKS_ERR_IO;
	int fd = -1, lock = -1, dfd, hl = jwks_meta_format(m, doc_len, hdr);
	bool created = false;
	struct stat st;

	if (hl < 0 || doc_len > JWK_SET_MAX_BYTES) {
		log_msg(LOGL_ERROR, "jwks: cache header or document too large or malformed");
		return JWKS_ERR_IO;
	}
	snprintf(tmp, sizeof(tmp), "%s%s", f->cache, JWKS_FILE_TMP_SUFFIX);
	if ((fd = mkstemp(tmp)) < 0) {
		log_msg(LOGL_ERROR, "jwks: mkstemp %s: %s", tmp, strerror(errno));
		goto out;
	}
	created = true;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || write_all(fd, hdr, (size_t)hl) != 0 ||
	    write_all(fd, doc, doc_len) != 0 || fsync(fd) != 0 || fstat(fd, &st) != 0) {
		log_msg(LOGL_ERROR, "jwks: write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		log_msg(LOGL_ERROR, "jwks: close %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	/* Only the rename is under the exclusive lock: readers never wait on disk I/O. */
	if ((lock = jwks_file_lock(f->lock, LOCK_EX)) < 0)
		goto out;
	if (rename(tmp, f->cache) != 0) {
		log_msg(LOGL_ERROR, "jwks: rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	created = false;
	ident_from_stat(id, &st);
	/* Make the rename durable: after a crash an older file must not come back. */
	if ((dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	err = JWKS_OK;
out:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	if (lock >= 0)
		close(lock);
	return err;
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
jwks_file_tmp_sweep(const struct jwks_file *f, int64_t now, int64_t min_age)
{
	int dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), removed = 0;
	const struct dirent *de;
	DIR *d = NULL;

	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		log_msg(LOGL_WARN, "jwks: read directory %s: %s", f->dir, strerror(errno));
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
