/*
 * sig_memo.h - digests of signatures some process verified, in a file of
 * the private state directory, so that a token sent again - to another
 * FastCGI worker or to the next CGI process, a new process per request -
 * skips the signature arithmetic, the largest cost of a CGI request after
 * the process itself.
 *
 * The file, SIG_MEMO_FILE, is SIG_MEMO_SLOTS slots of SIG_MEMO_DIGEST
 * bytes; a digest lives in the slot its first bytes pick, the newest one
 * evicting the slot's last.  A slot answers only when it holds the very
 * digest asked for, so a torn, stale, zeroed or corrupt slot is a miss,
 * never a false answer.  What a digest covers is the caller's (token.h's
 * struct token_sig_memo): this file only keeps 32-byte values.
 *
 * The file is opened at the first use, never through a symbolic link, and
 * used only when it is a regular file of the effective uid that nobody
 * else may read or write, like the key cache beside it; otherwise, or when
 * the directory is missing or not writable, the memo is off for the
 * process: every signature is checked, and one line is logged when the
 * file was refused or the directory is not writable (with keys from
 * OAUTH_JWKS_FILE, nothing else would report that).
 */
#ifndef SIG_MEMO_H
#define SIG_MEMO_H

#include <stdbool.h>

#define SIG_MEMO_FILE   "sigs.memo"
#define SIG_MEMO_DIGEST 32
#define SIG_MEMO_SLOTS  4096

struct sig_memo;

/* A memo over state_dir/SIG_MEMO_FILE (state_dir copied; no file touched). */
struct sig_memo *sig_memo_new(const char *state_dir);

/* Closes and frees m; NULL is accepted. */
void sig_memo_free(struct sig_memo *m);

/* True when the file holds digest. */
bool sig_memo_seen(struct sig_memo *m, const unsigned char digest[SIG_MEMO_DIGEST]);

/* Stores digest, evicting its slot's previous one; failures are ignored. */
void sig_memo_remember(struct sig_memo *m, const unsigned char digest[SIG_MEMO_DIGEST]);

#endif /* SIG_MEMO_H */
