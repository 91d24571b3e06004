/*
 * jwks_local.h - a JWKS the operator saved in a file (OAUTH_JWKS_FILE):
 * read when the file changes, never fetched (part of jwks_cache, internal).
 *
 * For hosts where nothing may or can be fetched (no libcurl, no outbound
 * network): the keys are exactly the file's, and rotating them is
 * replacing the file.  No state directory is used.
 */
#ifndef JWKS_LOCAL_H
#define JWKS_LOCAL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/keycache/internal/jwks_file.h"

struct err;
struct jwk_set;

struct jwks_local {
	char *path;
	struct jwk_set *set;       /* the last good read; NULL before one */
	struct jwks_file_ident id; /* the file as last read */
	int64_t loaded_at;         /* when set was read */
	char last_error[160];      /* why the last read failed; "" after a success */
};

/*
 * Takes path (copied; absolute, at most 1024 bytes).  Reads nothing.
 * Returns 0, or -1 with ERR_INVALID in e.
 */
int jwks_local_init(struct jwks_local *l, const char *path, struct err *e);

/*
 * Reads the file again when its identity (dev, inode, size, mtime) changed
 * since the last read.  Returns 1 when the set was replaced, 0 when nothing
 * changed, -1 with e when the file cannot be read or parsed (logged; a
 * previous set is kept: replacing the file with a good one fixes it).
 */
int jwks_local_sync(struct jwks_local *l, int64_t now, struct err *e);

void jwks_local_free(struct jwks_local *l);

#endif /* JWKS_LOCAL_H */
