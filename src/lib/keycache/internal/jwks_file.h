/*
 * jwks_file.h - the state files behind the shared JWKS cache: the cache
 * file's locked read and atomic replacement, the lock files, the leftovers
 * of interrupted writers and the checks on the private state directory.
 *
 * Internal to the key cache: included by jwks_cache.c (and the key cache's
 * tests), never from outside src/lib/keycache.  It owns the names of the
 * state files (layout in jwks_cache.h) and depends only on jwks_meta (the
 * file's header format) below it.  It knows nothing of freshness,
 * throttling or the network; jwks_cache.c decides when to read and write.
 * Failures come back in a struct err (err.h): ERR_SYSTEM for a file, lock or
 * directory the system refused or that cannot be used at all, ERR_INVALID
 * for a header it refuses to write.
 *
 * Every file is opened with O_NOFOLLOW and must be a regular file owned by
 * the effective uid; the directory must be ours and private.
 */
#ifndef JWKS_FILE_H
#define JWKS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/file.h> /* LOCK_SH, LOCK_EX, LOCK_NB for jwks_file_lock() */
#include <sys/types.h>
#include <time.h>

#include "lib/jose/jwk.h"
#include "lib/keycache/internal/jwks_meta.h"

struct err;

/* The state files, in the state directory. */
#define JWKS_CACHE_FILE    "jwks.cache"
#define JWKS_CACHE_LOCK    "jwks.lock"
#define JWKS_CACHE_REFRESH "jwks.refresh.lock"
#define JWKS_STATE_DIR_MAX 1024 /* longest state directory path accepted */

#define JWKS_FILE_MAX        (JWK_SET_MAX_BYTES + JWKS_META_HEADER_MAX) /* larger: refused */
#define JWKS_FILE_TMP_SUFFIX ".XXXXXX" /* mkstemp() pattern after JWKS_CACHE_FILE */
#define JWKS_FILE_PATH_MAX   (JWKS_STATE_DIR_MAX + 64)
#define JWKS_FILE_LOCK_BUSY  (-2) /* jwks_file_lock(): LOCK_NB and held elsewhere */

/* The paths of one state directory, filled by jwks_file_init(); read-only after. */
struct jwks_file {
	char dir[JWKS_STATE_DIR_MAX + 1]; /* the directory, trailing slashes removed */
	char cache[JWKS_FILE_PATH_MAX];   /* <dir>/jwks.cache */
	char lock[JWKS_FILE_PATH_MAX];    /* <dir>/jwks.lock */
	char refresh[JWKS_FILE_PATH_MAX]; /* <dir>/jwks.refresh.lock */
};

/*
 * A file's identity: a file replaced by rename or rewritten differs in
 * one of these.  exists false: no file (the other members are zero).
 */
struct jwks_file_ident {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/*
 * Fills *f for state_dir (copied; trailing slashes removed, "/" kept, as
 * "dir/" would make lstat follow a symbolic link).  No file is touched.
 * Returns 0, or -1 with ERR_SYSTEM in e when state_dir is NULL, empty or
 * longer than JWKS_STATE_DIR_MAX bytes.
 */
int jwks_file_init(struct jwks_file *f, const char *state_dir, struct err *e);

/*
 * Makes sure f->dir exists (created 0700 when missing; its parent must
 * exist), is a directory and no symbolic link, is owned by the effective
 * uid and is not writable by group or others.  Returns 0, or -1 with
 * ERR_SYSTEM in e, "state directory <dir>: <reason>" (not logged: the caller
 * reports it once).  Creating the directory is logged at info level.
 */
int jwks_file_dir_check(const struct jwks_file *f, struct err *e);

/*
 * Opens (creating 0600, never through a symbolic link) the lock file at
 * path, checks it is a regular file of ours and takes flock op on it:
 * LOCK_SH or LOCK_EX, optionally | LOCK_NB.  Returns the descriptor (close
 * it to release the lock), JWKS_FILE_LOCK_BUSY when LOCK_NB was given and
 * the lock is held elsewhere (e untouched), or -1 with ERR_SYSTEM in e.
 */
int jwks_file_lock(const char *path, int op, struct err *e);

/*
 * The fast path's one system call: lstat of f->cache into *id (exists false
 * when there is no file).  Returns 0, or -1 with ERR_SYSTEM in e on any
 * error but ENOENT.
 */
int jwks_file_stat(const struct jwks_file *f, struct jwks_file_ident *id, struct err *e);

/* True when a and b name the same file in the same state (or both none). */
bool jwks_file_ident_equal(const struct jwks_file_ident *a, const struct jwks_file_ident *b);

/*
 * Reads and parses f->cache under a shared flock on f->lock (released
 * before parsing).  Sets *id to the identity of what was looked at, also
 * when it was refused, so an unchanged bad file need not be read again.
 *
 * Returns 0 with *m filled and *doc a new NUL-terminated buffer holding
 * the document (possibly empty; the caller frees it), or 0 with *doc NULL,
 * *doc_len 0 and *m zeroed when the file is missing, refused (symbolic
 * link, not a regular file of ours, over JWKS_FILE_MAX bytes, short read)
 * or corrupt (jwks_meta_parse), each logged at warn level where found, as
 * it is no error to the caller.  Else -1 with ERR_SYSTEM in e (lock file or
 * cache file unusable) and *doc NULL.
 */
int jwks_file_read(const struct jwks_file *f, struct jwks_meta *m, char **doc, size_t *doc_len,
                   struct jwks_file_ident *id, struct err *e);

/*
 * Replaces f->cache with m and doc (doc_len bytes, not NUL-terminated;
 * NULL allowed when doc_len is 0): a mkstemp() file in f->dir (0600,
 * O_EXCL), checked writes and fsync, then rename() over the cache file
 * under an exclusive flock on f->lock, so readers see the old file or the
 * new one, never a mix; the directory is fsynced after.  The caller should
 * hold the refresh lock.  Sets *id to the new file's identity.  Returns 0,
 * or -1 (not logged; the temporary file is removed, *id untouched) with
 * ERR_SYSTEM in e when the system refused, or ERR_INVALID when doc_len
 * exceeds JWK_SET_MAX_BYTES, the header does not fit JWKS_META_HEADER_MAX
 * or a string in m holds a control character.
 */
int jwks_file_write(const struct jwks_file *f, const struct jwks_meta *m, const char *doc,
                    size_t doc_len, struct jwks_file_ident *id, struct err *e);

/*
 * Removes the temporary files a crashed writer left: regular files of ours
 * in f->dir named JWKS_CACHE_FILE + JWKS_FILE_TMP_SUFFIX (a dot and six
 * letters or digits) whose mtime is more than min_age (>= 0) seconds
 * before now (seconds since the epoch; a file dated later is kept).
 * Nothing else is touched; no symbolic link is followed.  Call it holding
 * the refresh lock, so no writer of ours is between mkstemp() and rename().
 * Returns how many were removed (each logged at info level; a file that
 * cannot be removed is logged at warn level and skipped), or -1 with
 * ERR_SYSTEM in e when the directory cannot be read.
 */
int jwks_file_tmp_sweep(const struct jwks_file *f, int64_t now, int64_t min_age, struct err *e);

#endif /* JWKS_FILE_H */
