/*
 * test_jwks_file.c - the JWKS cache's state files through jwks_file.h:
 * hostile and damaged cache files first (corrupt, truncated, oversize,
 * wrong magic, symbolic links, other owners, not regular files), then the
 * round trip, the locks (fork + flock), a reader racing a writer, and the
 * sweep of temporary files left by crashed writers.
 *
 * No network: each test works in its own temporary directory.
 */
#include "lib/keycache/internal/jwks_file.h"
#include "lib/core/err.h"
#include "lib/core/log.h"

#include "lighttpd_fixture.h"
#include "test.h"

#define T0  1700000000LL
#define DOC "{\"keys\":[]}"

/* Replaces path with len bytes of data (a new file renamed into place).  Returns 0 or -1. */
static int
put(const char *path, const void *data, size_t len)
{
	char tmp[JWKS_FILE_PATH_MAX + 8];
	int fd, rc = -1;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (len == 0 || write(fd, data, len) == (ssize_t)len)
		rc = 0;
	if (close(fd) != 0 || (rc == 0 && rename(tmp, path) != 0))
		rc = -1;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* One test's directory: root (mkdtemp) holding the state directory. */
struct tree {
	char root[64];
	char state[FIXTURE_PATH_MAX];
	struct jwks_file f;
};

static int
tree_init(struct tree *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->root, sizeof(t->root), "/tmp/mcp-fcgi-jwks-file.XXXXXX");
	if (mkdtemp(t->root) == NULL)
		return -1;
	snprintf(t->state, sizeof(t->state), "%s/state", t->root);
	if (jwks_file_init(&t->f, t->state, NULL) != 0 || jwks_file_dir_check(&t->f, NULL) != 0)
		return -1;
	return 0;
}

static void
tree_cleanup(struct tree *t)
{
	fixture_rm_rf(t->root);
}

/* A header as the writer makes it, for doc_len bytes of document. */
static struct jwks_meta
meta_sample(void)
{
	struct jwks_meta m = {.fetched_at = T0,
	                      .expires_at = T0 + 300,
	                      .last_attempt = T0 + 1,
	                      .last_ok = true,
	                      .forced_at = T0 + 2,
	                      .discovered_at = T0 + 3};

	snprintf(m.issuer, sizeof(m.issuer), "https://as.example/tenant");
	snprintf(m.jwks_uri, sizeof(m.jwks_uri), "https://as.example/keys");
	return m;
}

/* Reads t's cache file; returns 1 when a document came, 0 when none, -1 on error. */
static int
read_doc(struct tree *t, struct jwks_meta *m, struct jwks_file_ident *id)
{
	char *doc = NULL;
	size_t len = 99;
	int rc = -1;

	if (jwks_file_read(&t->f, m, &doc, &len, id, NULL) == 0)
		rc = doc != NULL ? 1 : 0;
	if (doc == NULL && len != 0)
		rc = -1;
	free(doc);
	return rc;
}

/* True when a and b hold the same header (field by field: padding may differ). */
static bool
meta_equal(const struct jwks_meta *a, const struct jwks_meta *b)
{
	return a->fetched_at == b->fetched_at && a->expires_at == b->expires_at &&
	       a->last_attempt == b->last_attempt && a->last_ok == b->last_ok &&
	       a->forced_at == b->forced_at && a->discovered_at == b->discovered_at &&
	       strcmp(a->issuer, b->issuer) == 0 && strcmp(a->jwks_uri, b->jwks_uri) == 0 &&
	       strcmp(a->last_error, b->last_error) == 0;
}

/* Waits for child pid and returns its exit status, or -1 when it did not exit. */
static int
child_status_of(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Number of names in dir beginning with prefix. */
static int
count_prefix(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	const struct dirent *de;
	int n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	if (d != NULL)
		closedir(d);
	return n;
}

/* ---- tests ------------------------------------------------------------ */

static int
setup(void)
{
	const char *lvl = getenv("MCP_TEST_LOG");
	enum log_level l;

	/* Refusals are expected here; keep the output to what matters. */
	log_set_level(lvl != NULL && log_level_parse(lvl, &l) == 0 ? l : LOGL_ERROR);
	return 0;
}

/* Paths: trailing slashes go ("/" stays), bad directories are refused. */
TEST(test_init_paths)
{
	struct jwks_file f;
	struct err e;
	char longdir[JWKS_STATE_DIR_MAX + 2];

	CHECK_INT(jwks_file_init(&f, "/var/lib/x///", &e), 0);
	CHECK_STR(f.dir, "/var/lib/x");
	CHECK_STR(f.cache, "/var/lib/x/" JWKS_CACHE_FILE);
	CHECK_STR(f.lock, "/var/lib/x/" JWKS_CACHE_LOCK);
	CHECK_STR(f.refresh, "/var/lib/x/" JWKS_CACHE_REFRESH);
	CHECK_INT(jwks_file_init(&f, "/", &e), 0);
	CHECK_STR(f.dir, "/");
	CHECK_INT(jwks_file_init(&f, NULL, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "state directory missing or longer than 1024 bytes");
	CHECK_INT(jwks_file_init(&f, "", &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "state directory missing");
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	CHECK_INT(jwks_file_init(&f, longdir, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "longer than 1024 bytes");
	CHECK_INT(jwks_file_init(&f, longdir, NULL), -1);
	longdir[JWKS_STATE_DIR_MAX] = '\0';
	CHECK_INT(jwks_file_init(&f, longdir, &e), 0);
}

/* The state directory: created 0700; links, files, shared or foreign ones refused. */
TEST(test_dir_check)
{
	struct tree t;
	struct jwks_file f;
	struct stat sb;
	struct err e;
	char path[FIXTURE_PATH_MAX + 32];

	CHECK_INT(tree_init(&t), 0);
	CHECK_INT(lstat(t.state, &sb), 0);
	CHECK_INT(sb.st_mode & 07777, 0700);
	CHECK_INT(jwks_file_dir_check(&t.f, &e), 0); /* exists already: fine */
	snprintf(path, sizeof(path), "%s/no/such", t.root);
	CHECK_INT(jwks_file_init(&f, path, &e), 0);
	CHECK_INT(jwks_file_dir_check(&f, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "No such file or directory");
	CHECK_CONTAINS(e.msg, path);
	CHECK_INT(chmod(t.state, 0770), 0);
	CHECK_INT(jwks_file_dir_check(&t.f, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "not group/world-writable");
	CHECK_INT(chmod(t.state, 0702), 0);
	CHECK_INT(jwks_file_dir_check(&t.f, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "not group/world-writable");
	CHECK_INT(chmod(t.state, 0700), 0);
	if (geteuid() == 0) {
		CHECK_INT(chown(t.state, 1, 1), 0);
		CHECK_INT(jwks_file_dir_check(&t.f, &e), -1);
		CHECK_ERR(e, ERR_SYSTEM, "must be owned by uid 0");
		CHECK_INT(chown(t.state, 0, 0), 0);
	}
	snprintf(path, sizeof(path), "%s/link", t.root);
	CHECK_INT(symlink(t.state, path), 0);
	CHECK_INT(jwks_file_init(&f, path, &e), 0);
	CHECK_INT(jwks_file_dir_check(&f, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "is not a directory");
	snprintf(path, sizeof(path), "%s/file", t.root);
	CHECK_INT(put(path, "x", 1), 0);
	CHECK_INT(jwks_file_init(&f, path, &e), 0);
	CHECK_INT(jwks_file_dir_check(&f, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "is not a directory");
	CHECK_INT(jwks_file_dir_check(&f, NULL), -1);
	tree_cleanup(&t);
}

/* Damaged cache files of every kind read as missing: no document, zeroed header. */
TEST(test_read_corrupt_files)
{
	static const struct {
		const char *what, *data;
	} bad[] = {
	    {"empty", ""},
	    {"garbage", "this is not a cache file\n"},
	    {"wrong magic", "mcp-fcgi-jwks-cache 2\n"},
	    {"magic only", "mcp-fcgi-jwks-cache 1\n"},
	    {"magic without newline", "mcp-fcgi-jwks-cache 1"},
	};
	struct tree t;
	struct jwks_meta m = meta_sample(), got;
	struct jwks_file_ident id;
	char good[2048], var[2048];
	int hl;

	CHECK_INT(tree_init(&t), 0);
	/* A valid file to damage: the header as the writer makes it, then DOC. */
	CHECK_INT(jwks_file_write(&t.f, &m, DOC, strlen(DOC), &id, NULL), 0);
	{
		char *raw = fixture_read(t.f.cache, NULL);
		CHECK(raw != NULL);
		snprintf(good, sizeof(good), "%s", raw != NULL ? raw : "");
		free(raw);
	}
	hl = (int)(strstr(good, "\n\n") + 2 - good);
	CHECK_INT(read_doc(&t, &got, &id), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(put(t.f.cache, bad[i].data, strlen(bad[i].data)), 0);
		if (read_doc(&t, &got, &id) != 0)
			fprintf(stderr, "  case %s\n", bad[i].what);
		CHECK_INT(read_doc(&t, &got, &id), 0);
		CHECK_INT(got.fetched_at, 0);
		CHECK(id.exists); /* the bad file's identity: no re-read until it changes */
	}
	/* Variations of the good file: each edit alone makes it corrupt. */
	static const struct {
		const char *what, *from, *to;
	} edits[] = {
	    {"truncated document", "[]}", "[]"},
	    {"one byte more", "[]}", "[]} "},
	    {"no blank line", "\n\n{", "\n{"},
	    {"field order", "fetched_at", "expires_ax"},
	    {"negative time", "fetched_at 1", "fetched_at -1"},
	    {"bool out of range", "last_ok 1", "last_ok 2"},
	    {"number with space", "forced_at 1", "forced_at  1"},
	    {"control character", "https://as.example/keys", "https://as.example/k\tys"},
	    {"CRLF", "last_ok 1\n", "last_ok 1\r\n"},
	    {"doc_len too big", "doc_len 11", "doc_len 99999999999"},
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const char *at = strstr(good, edits[i].from);
		size_t pre = at != NULL ? (size_t)(at - good) : 0;

		CHECK(at != NULL);
		snprintf(var, sizeof(var), "%.*s%s%s", (int)pre, good, edits[i].to,
		         at != NULL ? at + strlen(edits[i].from) : "");
		CHECK_INT(put(t.f.cache, var, strlen(var)), 0);
		if (read_doc(&t, &got, &id) != 0)
			fprintf(stderr, "  case %s\n", edits[i].what);
		CHECK_INT(read_doc(&t, &got, &id), 0);
	}
	/* A NUL inside the header, and a file cut right after the header. */
	memcpy(var, good, sizeof(good));
	var[30] = '\0';
	CHECK_INT(put(t.f.cache, var, strlen(good)), 0);
	CHECK_INT(read_doc(&t, &got, &id), 0);
	CHECK_INT(put(t.f.cache, good, (size_t)hl), 0);
	CHECK_INT(read_doc(&t, &got, &id), 0);
	tree_cleanup(&t);
}

/* Over JWKS_FILE_MAX bytes: refused before it is read. */
TEST(test_read_oversize)
{
	struct tree t;
	struct jwks_meta m = meta_sample(), got;
	struct jwks_file_ident id;
	struct err e;
	size_t n = JWKS_FILE_MAX + 1;
	char *big = malloc(n);

	CHECK_INT(tree_init(&t), 0);
	CHECK(big != NULL);
	if (big != NULL) {
		CHECK_INT(jwks_file_write(&t.f, &m, DOC, strlen(DOC), &id, NULL), 0);
		memset(big, ' ', n);
		memcpy(big, JWKS_META_MAGIC "\n", strlen(JWKS_META_MAGIC) + 1);
		CHECK_INT(put(t.f.cache, big, n), 0);
		CHECK_INT(read_doc(&t, &got, &id), 0);
		CHECK(id.exists);
		CHECK_INT(id.size, (long long)n);
	}
	/* The writer refuses a document over JWK_SET_MAX_BYTES. */
	CHECK_INT(jwks_file_write(&t.f, &m, big, JWK_SET_MAX_BYTES + 1, &id, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "document over");
	CHECK_INT(count_prefix(t.state, JWKS_CACHE_FILE "."), 0);
	free(big);
	tree_cleanup(&t);
}

/* A symbolic link as cache file is neither followed nor written through. */
TEST(test_read_symlink)
{
	struct tree t;
	struct jwks_meta m = meta_sample(), got;
	struct jwks_file_ident id, wid;
	char target[FIXTURE_PATH_MAX + 32], *before = NULL, *after = NULL;
	struct stat sb;

	CHECK_INT(tree_init(&t), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", t.root);
	CHECK_INT(jwks_file_write(&t.f, &m, DOC, strlen(DOC), &id, NULL), 0);
	CHECK_INT(rename(t.f.cache, target), 0);
	CHECK_INT(symlink(target, t.f.cache), 0);
	CHECK_INT(read_doc(&t, &got, &id), 0);
	CHECK(id.exists); /* the link's identity */
	before = fixture_read(target, NULL);
	CHECK_INT(jwks_file_write(&t.f, &m, "{}", 2, &wid, NULL), 0);
	CHECK_INT(lstat(t.f.cache, &sb), 0);
	CHECK(S_ISREG(sb.st_mode));
	after = fixture_read(target, NULL);
	CHECK_STR(after, before);
	CHECK_INT(read_doc(&t, &got, &id), 1);
	free(before);
	free(after);
	tree_cleanup(&t);
}

/* Not a regular file (directory, FIFO), or not ours: refused, never blocking. */
TEST(test_read_not_regular_or_foreign)
{
	struct tree t;
	struct jwks_meta m = meta_sample(), got;
	struct jwks_file_ident id;

	CHECK_INT(tree_init(&t), 0);
	CHECK_INT(mkfifo(t.f.cache, 0600), 0);
	CHECK_INT(read_doc(&t, &got, &id), 0);
	CHECK_INT(unlink(t.f.cache), 0);
	CHECK_INT(mkdir(t.f.cache, 0700), 0);
	CHECK_INT(read_doc(&t, &got, &id), 0);
	CHECK_INT(rmdir(t.f.cache), 0);
	CHECK_INT(jwks_file_write(&t.f, &m, DOC, strlen(DOC), &id, NULL), 0);
	CHECK_INT(read_doc(&t, &got, &id), 1);
	if (geteuid() == 0) {
		CHECK_INT(chown(t.f.cache, 1, 1), 0);
		CHECK_INT(read_doc(&t, &got, &id), 0);
	}
	/* No file at all: no document, identity "none". */
	CHECK_INT(unlink(t.f.cache), 0);
	CHECK_INT(read_doc(&t, &got, &id), 0);
	CHECK(!id.exists);
	tree_cleanup(&t);
}

/* What is written is read back exactly; files are 0600; identities track replacement. */
TEST(test_write_read_round_trip)
{
	struct tree t;
	struct jwks_meta m = meta_sample(), got;
	struct jwks_file_ident wid, rid, sid, none = {.exists = false};
	char *doc = NULL;
	size_t len = 0;
	struct stat sb;
	struct err e;

	CHECK_INT(tree_init(&t), 0);
	jwks_meta_text_set(m.last_error, sizeof(m.last_error), "fetch: bad\nline\x7f");
	CHECK_STR(m.last_error, "fetch: bad?line?");
	CHECK_INT(jwks_file_write(&t.f, &m, DOC, strlen(DOC), &wid, &e), 0);
	CHECK_INT(lstat(t.f.cache, &sb), 0);
	CHECK_INT(sb.st_mode & 07777, 0600);
	CHECK_INT(jwks_file_read(&t.f, &got, &doc, &len, &rid, &e), 0);
	CHECK_STR(doc, DOC);
	CHECK_INT(len, strlen(DOC));
	CHECK(meta_equal(&got, &m));
	CHECK_INT(jwks_file_stat(&t.f, &sid, &e), 0);
	CHECK(jwks_file_ident_equal(&wid, &rid));
	CHECK(jwks_file_ident_equal(&wid, &sid));
	CHECK(!jwks_file_ident_equal(&wid, &none));
	CHECK(jwks_file_ident_equal(&none, &none));
	free(doc);
	doc = NULL;
	/* An empty document (a first attempt that failed) reads back as "". */
	m.last_ok = false;
	CHECK_INT(jwks_file_write(&t.f, &m, NULL, 0, &wid, &e), 0);
	CHECK(!jwks_file_ident_equal(&wid, &sid));
	CHECK_INT(jwks_file_read(&t.f, &got, &doc, &len, &rid, &e), 0);
	CHECK_STR(doc, "");
	CHECK_INT(len, 0);
	CHECK(!got.last_ok);
	free(doc);
	/* A control character in a string is refused, the old file kept. */
	m.issuer[3] = '\n';
	CHECK_INT(jwks_file_write(&t.f, &m, DOC, strlen(DOC), &sid, &e), -1);
	CHECK_ERR(e, ERR_INVALID, "header: issuer holds a control character");
	CHECK_INT(jwks_file_stat(&t.f, &sid, &e), 0);
	CHECK(jwks_file_ident_equal(&wid, &sid));
	CHECK_INT(count_prefix(t.state, JWKS_CACHE_FILE "."), 0);
	tree_cleanup(&t);
}

/* Lock files: 0600, refused through a link, LOCK_NB says busy while another holds it. */
TEST(test_lock)
{
	struct tree t;
	char target[FIXTURE_PATH_MAX + 32], b = 0;
	struct stat sb;
	struct err e;
	int fd, ready[2], done[2];
	pid_t pid;

	CHECK_INT(tree_init(&t), 0);
	CHECK((fd = jwks_file_lock(t.f.lock, LOCK_SH, &e)) >= 0);
	close(fd);
	CHECK_INT(lstat(t.f.lock, &sb), 0);
	CHECK_INT(sb.st_mode & 07777, 0600);
	CHECK_INT(pipe(ready), 0);
	CHECK_INT(pipe(done), 0);
	if ((pid = fork()) == 0) {
		int l = jwks_file_lock(t.f.refresh, LOCK_EX, NULL);

		(void)!write(ready[1], "x", 1);
		(void)!read(done[0], &b, 1);
		_exit(l >= 0 ? 0 : 1);
	}
	CHECK_INT(read(ready[0], &b, 1), 1);
	CHECK_INT(jwks_file_lock(t.f.refresh, LOCK_EX | LOCK_NB, &e), JWKS_FILE_LOCK_BUSY);
	CHECK_INT(jwks_file_lock(t.f.refresh, LOCK_SH | LOCK_NB, &e), JWKS_FILE_LOCK_BUSY);
	CHECK_INT(write(done[1], "x", 1), 1);
	CHECK_INT(child_status_of(pid), 0);
	CHECK((fd = jwks_file_lock(t.f.refresh, LOCK_EX | LOCK_NB, &e)) >= 0);
	close(fd);
	close(ready[0]);
	close(ready[1]);
	close(done[0]);
	close(done[1]);
	/* A link or a directory as lock file: refused. */
	snprintf(target, sizeof(target), "%s/elsewhere", t.root);
	CHECK_INT(put(target, "", 0), 0);
	CHECK_INT(unlink(t.f.lock), 0);
	CHECK_INT(symlink(target, t.f.lock), 0);
	CHECK_INT(jwks_file_lock(t.f.lock, LOCK_SH, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "Too many levels of symbolic links");
	CHECK_INT(jwks_file_write(&t.f, &(struct jwks_meta){0}, NULL, 0,
	                          &(struct jwks_file_ident){0}, &e),
	          -1);
	CHECK_ERR(e, ERR_SYSTEM, "lock ");
	CHECK_INT(count_prefix(t.state, JWKS_CACHE_FILE "."), 0);
	{
		struct jwks_meta got;
		char *doc = NULL;
		size_t len;
		struct jwks_file_ident id;

		CHECK_INT(jwks_file_read(&t.f, &got, &doc, &len, &id, &e), -1);
		CHECK_ERR(e, ERR_SYSTEM, "lock ");
		CHECK(doc == NULL);
	}
	CHECK_INT(unlink(t.f.lock), 0);
	CHECK_INT(mkdir(t.f.lock, 0700), 0);
	CHECK_INT(jwks_file_lock(t.f.lock, LOCK_SH, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "lock ");
	tree_cleanup(&t);
}

/* A reader racing a writer in another process sees one whole file or the other, never a mix. */
TEST(test_reader_races_writer)
{
	enum { ROUNDS = 300 };
	static const char *const docs[2] = {"{\"keys\":[1]}", "{\"keys\":[22,333]}"};
	struct tree t;
	struct jwks_meta m = meta_sample(), got;
	struct jwks_file_ident id;
	int whole = 0, bad = 0;
	pid_t pid;

	CHECK_INT(tree_init(&t), 0);
	CHECK_INT(jwks_file_write(&t.f, &m, docs[0], strlen(docs[0]), &id, NULL), 0);
	if ((pid = fork()) == 0) {
		int code = 0;

		for (int i = 0; i < ROUNDS; i++) {
			struct jwks_meta wm = meta_sample();

			wm.fetched_at = T0 + i % 2;
			if (jwks_file_write(&t.f, &wm, docs[i % 2], strlen(docs[i % 2]), &id,
			                    NULL) != 0)
				code = 1;
		}
		_exit(code);
	}
	for (int i = 0; i < ROUNDS; i++) {
		char *doc = NULL;
		size_t len = 0;

		if (jwks_file_read(&t.f, &got, &doc, &len, &id, NULL) == 0 && doc != NULL &&
		    strcmp(doc, docs[got.fetched_at - T0 == 1]) == 0)
			whole++;
		else
			bad++;
		free(doc);
	}
	CHECK_INT(child_status_of(pid), 0);
	CHECK_INT(bad, 0);
	CHECK_INT(whole, ROUNDS);
	CHECK_INT(count_prefix(t.state, JWKS_CACHE_FILE "."), 0);
	tree_cleanup(&t);
}

/* Creates state/name dated mtime (a file, a link to target, or a directory). */
static int
plant(struct tree *t, const char *name, char kind, int64_t mtime)
{
	char path[FIXTURE_PATH_MAX + 64];
	struct timespec ts[2] = {{.tv_sec = (time_t)mtime}, {.tv_sec = (time_t)mtime}};
	int rc;

	snprintf(path, sizeof(path), "%s/%s", t->state, name);
	if (kind == 'l')
		rc = symlink(t->f.cache, path);
	else if (kind == 'd')
		rc = mkdir(path, 0700);
	else
		rc = put(path, "partial", 7);
	return rc != 0 ? -1 : utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

static bool
present(struct tree *t, const char *name)
{
	char path[FIXTURE_PATH_MAX + 64];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", t->state, name);
	return lstat(path, &sb) == 0;
}

/* The sweep removes only our stale jwks.cache.XXXXXX regular files. */
TEST(test_tmp_sweep)
{
	struct tree t;
	struct jwks_meta m = meta_sample();
	struct jwks_file_ident id;
	struct jwks_file gone;
	struct err e;
	char path[FIXTURE_PATH_MAX + 64];
	int64_t now = T0 + 1000;

	CHECK_INT(tree_init(&t), 0);
	CHECK_INT(jwks_file_write(&t.f, &m, DOC, strlen(DOC), &id, NULL), 0);
	CHECK_INT(plant(&t, "jwks.cache.abcXYZ", 'f', now - 3600), 0);
	CHECK_INT(plant(&t, "jwks.cache.a1b2c3", 'f', now - 61), 0);
	CHECK_INT(plant(&t, "jwks.cache.a1b2c4", 'f', now - 60), 0);
	CHECK_INT(plant(&t, "jwks.cache.recent", 'f', now - 5), 0);
	CHECK_INT(plant(&t, "jwks.cache.future", 'f', now + 5), 0);
	CHECK_INT(plant(&t, "jwks.cache.abc", 'f', now - 3600), 0);
	CHECK_INT(plant(&t, "jwks.cache.abcdefg", 'f', now - 3600), 0);
	CHECK_INT(plant(&t, "jwks.cache.abc.ef", 'f', now - 3600), 0);
	CHECK_INT(plant(&t, "jwks.cachexabcdef", 'f', now - 3600), 0);
	CHECK_INT(plant(&t, "jwks.lock.abcdef", 'f', now - 3600), 0);
	CHECK_INT(plant(&t, "jwks.cache.link01", 'l', now - 3600), 0);
	CHECK_INT(plant(&t, "jwks.cache.dir001", 'd', now - 3600), 0);
	if (geteuid() == 0) {
		CHECK_INT(plant(&t, "jwks.cache.alien1", 'f', now - 3600), 0);
		snprintf(path, sizeof(path), "%s/jwks.cache.alien1", t.state);
		CHECK_INT(chown(path, 1, 1), 0);
	}
	CHECK_INT(jwks_file_tmp_sweep(&t.f, now, 60, &e), 2);
	CHECK(!present(&t, "jwks.cache.abcXYZ"));
	CHECK(!present(&t, "jwks.cache.a1b2c3"));
	CHECK(present(&t, "jwks.cache.a1b2c4"));
	CHECK(present(&t, "jwks.cache.recent"));
	CHECK(present(&t, "jwks.cache.future"));
	CHECK(present(&t, "jwks.cache.abc"));
	CHECK(present(&t, "jwks.cache.abcdefg"));
	CHECK(present(&t, "jwks.cache.abc.ef"));
	CHECK(present(&t, "jwks.cachexabcdef"));
	CHECK(present(&t, "jwks.lock.abcdef"));
	CHECK(present(&t, "jwks.cache.link01"));
	CHECK(present(&t, "jwks.cache.dir001"));
	if (geteuid() == 0)
		CHECK(present(&t, "jwks.cache.alien1"));
	CHECK(present(&t, JWKS_CACHE_FILE));
	CHECK_INT(jwks_file_tmp_sweep(&t.f, now, 60, &e), 0);
	/* 65 s later the next two go; "future" is exactly 60 s old and stays. */
	CHECK_INT(jwks_file_tmp_sweep(&t.f, now + 65, 60, &e), 2);
	CHECK(!present(&t, "jwks.cache.a1b2c4"));
	CHECK(!present(&t, "jwks.cache.recent"));
	CHECK(present(&t, "jwks.cache.future"));
	CHECK_INT(read_doc(&t, &(struct jwks_meta){0}, &id), 1);
	/* No directory: -1. */
	snprintf(path, sizeof(path), "%s/none", t.root);
	CHECK_INT(jwks_file_init(&gone, path, &e), 0);
	CHECK_INT(jwks_file_tmp_sweep(&gone, now, 60, &e), -1);
	CHECK_ERR(e, ERR_SYSTEM, "No such file or directory");
	tree_cleanup(&t);
}

TEST_MAIN_FIXTURE(setup, NULL, TEST_CASE(test_init_paths), TEST_CASE(test_dir_check),
                  TEST_CASE(test_read_corrupt_files), TEST_CASE(test_read_oversize),
                  TEST_CASE(test_read_symlink), TEST_CASE(test_read_not_regular_or_foreign),
                  TEST_CASE(test_write_read_round_trip), TEST_CASE(test_lock),
                  TEST_CASE(test_reader_races_writer), TEST_CASE(test_tmp_sweep))
