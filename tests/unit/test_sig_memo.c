/*
 * test_sig_memo.c - the state file of verified signatures' digests
 * (keycache/sig_memo.h): shared between instances (processes), exact
 * answers only, and off - never wrong - for a file that is not ours.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/keycache/sig_memo.h"

#include "test.h"
#include "tmpdir.h"

static char dir[] = "/tmp/mcp-sig-memo-XXXXXX";
static char path[256];

static int
setup(void)
{
	log_set_level(LOGL_ERROR);
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/" SIG_MEMO_FILE, dir);
	return 0;
}

static void
cleanup(void)
{
	tmpdir_remove(dir);
}

/* A digest-like value: n in every byte but the slot-picking first three. */
static void
digest(unsigned char d[SIG_MEMO_DIGEST], unsigned slot, unsigned char n)
{
	memset(d, n, SIG_MEMO_DIGEST);
	d[0] = (unsigned char)slot;
	d[1] = (unsigned char)(slot >> 8);
	d[2] = 0;
}

TEST(remembered_across_instances_in_a_private_file)
{
	struct sig_memo *a = sig_memo_new(dir), *b = sig_memo_new(dir);
	unsigned char d[SIG_MEMO_DIGEST], other[SIG_MEMO_DIGEST];
	struct stat st;

	digest(d, 7, 0xa1);
	digest(other, 8, 0xa1);
	CHECK(!sig_memo_seen(a, d));
	sig_memo_remember(a, d);
	CHECK(sig_memo_seen(a, d));
	/* Another process: a second instance with its own descriptor. */
	CHECK(sig_memo_seen(b, d));
	CHECK(!sig_memo_seen(b, other));
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT((int)st.st_size, SIG_MEMO_SLOTS * SIG_MEMO_DIGEST);
	sig_memo_free(a);
	sig_memo_free(b);
}

TEST(a_slot_answers_only_for_its_exact_digest)
{
	struct sig_memo *m = sig_memo_new(dir);
	unsigned char d[SIG_MEMO_DIGEST], near[SIG_MEMO_DIGEST];

	digest(d, 9, 0xb2);
	memcpy(near, d, sizeof(near));
	near[SIG_MEMO_DIGEST - 1] ^= 1; /* same slot, last bit differs */
	sig_memo_remember(m, d);
	CHECK(!sig_memo_seen(m, near));
	/* The newest digest of a slot evicts the older. */
	sig_memo_remember(m, near);
	CHECK(sig_memo_seen(m, near));
	CHECK(!sig_memo_seen(m, d));
	sig_memo_free(m);
}

TEST(a_damaged_file_gives_misses_then_is_repaired)
{
	unsigned char d[SIG_MEMO_DIGEST], junk[4096];
	struct sig_memo *m;
	struct stat st;
	int fd;

	/* Garbage, and the wrong size. */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 31 + 7);
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK_INT((int)write(fd, junk, sizeof(junk)), (int)sizeof(junk));
	close(fd);
	m = sig_memo_new(dir);
	digest(d, 3, 0xc3);
	CHECK(!sig_memo_seen(m, d));
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT((int)st.st_size, SIG_MEMO_SLOTS * SIG_MEMO_DIGEST);
	sig_memo_remember(m, d);
	CHECK(sig_memo_seen(m, d));
	sig_memo_free(m);
}

/* Refused files: the memo is off (nothing seen, nothing written), the target untouched. */
TEST(a_file_not_ours_alone_turns_the_memo_off)
{
	unsigned char d[SIG_MEMO_DIGEST];
	char target[300];
	struct sig_memo *m;
	struct stat st;
	int fd;

	digest(d, 5, 0xd4);
	m = sig_memo_new(dir);
	sig_memo_remember(m, d);
	sig_memo_free(m);

	/* Readable by others. */
	CHECK_INT(chmod(path, 0644), 0);
	m = sig_memo_new(dir);
	CHECK(!sig_memo_seen(m, d));
	sig_memo_free(m);
	CHECK_INT(chmod(path, 0600), 0);

	/* A symbolic link to another file, which must not be written. */
	snprintf(target, sizeof(target), "%s/target", dir);
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(unlink(path), 0);
	CHECK_INT(symlink(target, path), 0);
	m = sig_memo_new(dir);
	CHECK(!sig_memo_seen(m, d));
	sig_memo_remember(m, d);
	sig_memo_free(m);
	CHECK_INT(stat(target, &st), 0);
	CHECK_INT((int)st.st_size, 0);
	CHECK_INT(unlink(path), 0);

	/* A directory in its place. */
	CHECK_INT(mkdir(path, 0700), 0);
	m = sig_memo_new(dir);
	CHECK(!sig_memo_seen(m, d));
	sig_memo_remember(m, d);
	sig_memo_free(m);
	CHECK_INT(rmdir(path), 0);
}

TEST(no_state_directory_or_a_missing_one_means_no_memo)
{
	unsigned char d[SIG_MEMO_DIGEST];
	char gone[300];
	struct sig_memo *m;

	digest(d, 6, 0xe5);
	m = sig_memo_new(NULL);
	sig_memo_remember(m, d);
	CHECK(!sig_memo_seen(m, d));
	sig_memo_free(m);
	sig_memo_free(NULL);

	/* The file cannot be created (as in a directory we may not write to). */
	snprintf(gone, sizeof(gone), "%s/gone", dir);
	m = sig_memo_new(gone);
	sig_memo_remember(m, d);
	CHECK(!sig_memo_seen(m, d));
	sig_memo_free(m);
	CHECK(access(gone, F_OK) != 0);
}

TEST_MAIN_FIXTURE(setup, cleanup, TEST_CASE(remembered_across_instances_in_a_private_file),
                  TEST_CASE(a_slot_answers_only_for_its_exact_digest),
                  TEST_CASE(a_damaged_file_gives_misses_then_is_repaired),
                  TEST_CASE(a_file_not_ours_alone_turns_the_memo_off),
                  TEST_CASE(no_state_directory_or_a_missing_one_means_no_memo))
