/*
 * jwks_local.c - the key set from OAUTH_JWKS_FILE.
 */
#include "lib/keycache/internal/jwks_local.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/err.h"
#include "lib/core/log.h"
#include "lib/core/util.h"
#include "lib/jose/jwk.h"

#define LOCAL_PATH_MAX 1024

int
jwks_local_init(struct jwks_local *l, const char *path, struct err *e)
{
	memset(l, 0, sizeof(*l));
	if (path == NULL || path[0] != '/' || strlen(path) > LOCAL_PATH_MAX)
		return err_set(e, ERR_INVALID, "not an absolute path of at most %d bytes",
		               LOCAL_PATH_MAX);
	l->path = xstrdup(path);
	return 0;
}

/* The identity of an open file, as jwks_file_ident_equal compares it. */
static void
ident_of(const struct stat *st, struct jwks_file_ident *id)
{
	id->exists = true;
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
}

/* Reads the whole file (at most JWK_SET_MAX_BYTES) into *doc; 0 or -1 with e. */
static int
read_doc(int fd, const struct stat *st, char **doc, size_t *len, struct err *e)
{
	size_t got = 0;
	ssize_t n;

	if (!S_ISREG(st->st_mode))
		return err_set(e, ERR_UNAVAILABLE, "not a regular file");
	if (st->st_size > JWK_SET_MAX_BYTES)
		return err_set(e, ERR_TOO_LARGE, "larger than %d bytes", JWK_SET_MAX_BYTES);
	*doc = xmalloc((size_t)st->st_size + 1);
	while (got < (size_t)st->st_size &&
	       ((n = read(fd, *doc + got, (size_t)st->st_size - got)) > 0 || errno == EINTR))
		got += n > 0 ? (size_t)n : 0;
	(*doc)[got] = '\0';
	*len = got;
	return 0;
}

int
jwks_local_sync(struct jwks_local *l, int64_t now, struct err *e)
{
	struct jwks_file_ident id = {0};
	struct jwk_set *set = NULL;
	struct stat st;
	struct err why;
	char *doc = NULL;
	size_t len = 0;
	int fd, rc = -1;

	/* The fast path, every request: one stat, the file unchanged, nothing opened. */
	if (l->set != NULL && stat(l->path, &st) == 0) {
		ident_of(&st, &id);
		if (jwks_file_ident_equal(&id, &l->id))
			return 0;
	}
	if ((fd = open(l->path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		err_set(&why, ERR_UNAVAILABLE, "%s", strerror(errno));
	} else {
		ident_of(&st, &id);
		if (l->set != NULL && jwks_file_ident_equal(&id, &l->id))
			rc = 0;
		else if (read_doc(fd, &st, &doc, &len, &why) == 0 &&
		         jwk_set_parse(doc, len, &set, &why) == 0)
			rc = 1;
	}
	if (fd >= 0)
		close(fd);
	free(doc);
	if (rc == 1) {
		jwk_set_free(l->set);
		l->set = set;
		l->id = id;
		l->loaded_at = now;
		l->last_error[0] = '\0';
		if (jwk_set_count(set) == 0)
			log_msg(LOGL_WARN, "jwks: %s holds no usable key", l->path);
	} else if (rc < 0) {
		/* The same failure again is not news: one line when it changes. */
		if (strncmp(l->last_error, why.msg, sizeof(l->last_error) - 1) != 0)
			log_msg(LOGL_ERROR, "jwks: OAUTH_JWKS_FILE %s: %s", l->path, why.msg);
		snprintf(l->last_error, sizeof(l->last_error), "%.159s", why.msg);
		err_set(e, why.code, "OAUTH_JWKS_FILE: %s", why.msg);
	}
	return rc;
}

void
jwks_local_free(struct jwks_local *l)
{
	jwk_set_free(l->set);
	free(l->path);
	memset(l, 0, sizeof(*l));
}
