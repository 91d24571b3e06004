/*
 * log.h - one JSON line per event, to stderr (the web server's error log)
 * or to a file opened for append.
 *
 * Untrusted text reaches log lines, so every string is JSON-escaped
 * (control characters become \u00XX, bytes that are not UTF-8 \ufffd): every
 * line is valid UTF-8 JSON.  Never pass a token or a secret.
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level { LOGL_ERROR = 0, LOGL_WARN, LOGL_INFO, LOGL_DEBUG, LOGL__MAX };

/*
 * Sends log lines to the file at path (opened O_APPEND|O_CLOEXEC, created
 * 0600), or back to stderr when path is NULL or empty.  Returns 0, or -1 with
 * errno set when the file cannot be opened (stderr stays in use).
 */
int log_open(const char *path);

/* Lines below this level are dropped.  The default is LOGL_INFO. */
void log_set_level(enum log_level level);

/*
 * Parses "error", "warn", "info", "debug" (also the MCP/syslog names
 * "warning", "notice", "critical", "alert", "emergency").  Returns 0 and sets
 * *out, or -1 for an unknown name.
 */
int log_level_parse(const char *name, enum log_level *out);

/*
 * Writes {"time":"...","level":"...","prog":"...","msg":"..."} with msg
 * formatted from fmt.  The formatted text is escaped; it is truncated at
 * 1 KiB.
 */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Writes one already-serialised JSON object (for example an audit record
 * printed by cJSON) followed by a newline, in a single write(2) so lines
 * from concurrent processes do not interleave.  json must not contain a raw
 * newline.
 */
void log_json_line(const char *json);

/* Names the program in every line ("mcp", "wellknown", "cli"). */
void log_set_prog(const char *prog);

/*
 * The current time, UTC, as RFC 3339 with milliseconds
 * ("2026-11-30T08:41:56.851Z") into buf, for every log and audit line.
 * Never reads the time-zone database (gmtime and strftime do, on their
 * first call): a CGI process would pay for it at every request.
 */
#define LOG_TIME_LEN 32
void log_time(char buf[LOG_TIME_LEN]);
/* The same for sec seconds and ms milliseconds after the epoch (years 1970 to 9999). */
void log_time_format(char buf[LOG_TIME_LEN], int64_t sec, int ms);

/*
 * Escapes src as the inside of a JSON string into dst (always
 * NUL-terminated when dstlen > 0): quotes, backslashes and control
 * characters escaped, each byte that starts no well-formed UTF-8 sequence
 * written as \ufffd, so the line is valid UTF-8 JSON whatever came from
 * outside.  Truncated output never splits an escape or a character.
 * Returns the length written.
 */
size_t log_escape(char *dst, size_t dstlen, const char *src);

#endif /* LOG_H */
