/*
 * log.c - JSON log lines with escaped text.
 */
#include "lib/core/log.h"

#include "lib/core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOG_MSG_MAX  1024
#define LOG_LINE_MAX 4096
/* "YYYY-MM-DDTHH:MM:SS" */
#define LOG_DATE_LEN 19

static int log_fd = STDERR_FILENO;
static enum log_level log_level = LOGL_INFO;
static const char *log_prog = "mcp-fcgi";

static const char *const level_names[LOGL__MAX] = {
    [LOGL_ERROR] = "error",
    [LOGL_WARN] = "warn",
    [LOGL_INFO] = "info",
    [LOGL_DEBUG] = "debug",
};

int
log_open(const char *path)
{
	int fd;

	if (path == NULL || *path == '\0') {
		if (log_fd != STDERR_FILENO)
			close(log_fd);
		log_fd = STDERR_FILENO;
		return 0;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void
log_set_level(enum log_level level)
{
	if (level < LOGL__MAX)
		log_level = level;
}

void
log_set_prog(const char *prog)
{
	log_prog = prog;
}

int
log_level_parse(const char *name, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
	    {"error", LOGL_ERROR},     {"critical", LOGL_ERROR}, {"alert", LOGL_ERROR},
	    {"emergency", LOGL_ERROR}, {"warn", LOGL_WARN},      {"warning", LOGL_WARN},
	    {"notice", LOGL_INFO},     {"info", LOGL_INFO},      {"debug", LOGL_DEBUG},
	};

	if (name == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return -1;
}

size_t
log_escape(char *dst, size_t dstlen, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, left = src != NULL ? strlen(src) : 0;

	if (dstlen == 0)
		return 0;
	while (left > 0) {
		unsigned char c = (unsigned char)*src;
		size_t take = utf8_seq(src, left), len;
		char esc[7];

		if (take == 0) {
			/* Not UTF-8: the line stays valid JSON text (RFC 8259 §8.1). */
			memcpy(esc, "\\ufffd", 6);
			len = 6;
			take = 1;
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			len = 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			len = 6;
		} else {
			memcpy(esc, src, take);
			len = take;
		}
		/* Never split an escape sequence or a character when truncating. */
		if (n + len >= dstlen)
			break;
		memcpy(dst + n, esc, len);
		n += len;
		src += take;
		left -= take;
	}
	dst[n] = '\0';
	return n;
}

/* Writes buf fully; a log line is best effort, so errors are dropped. */
static void
write_all(const char *buf, size_t len)
{
	(void)util_write_all(log_fd, buf, len);
}

void
log_json_line(const char *json)
{
	size_t len = strlen(json);
	char line[LOG_LINE_MAX];

	if (len + 1 < sizeof(line)) {
		/* One write(2) per line keeps concurrent writers from interleaving. */
		memcpy(line, json, len);
		line[len] = '\n';
		write_all(line, len + 1);
		return;
	}
	write_all(json, len);
	write_all("\n", 1);
}

/* "YYYY-MM-DDTHH:MM:SS" of sec into buf (20 bytes with the NUL). */
static void
date_format(char *buf, size_t len, int64_t sec)
{
	/* Days to the proleptic Gregorian date (H. Hinnant, "chrono-compatible
	 * low-level date algorithms"): eras of 400 years from 0000-03-01.  The
	 * range stays within four-digit years (sec at most 9999-12-31T23:59:59). */
	int64_t s = sec < 0 ? 0 : sec > 253402300799 ? 253402300799 : sec;
	int64_t z = s / 86400 + 719468, era = z / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	unsigned day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	unsigned year = (unsigned)(yoe + era * 400 + (month <= 2)) % 10000;
	unsigned tod = (unsigned)(s % 86400);

	snprintf(buf, len, "%04u-%02u-%02uT%02u:%02u:%02u", year, month, day, tod / 3600,
	         tod / 60 % 60, tod % 60);
}

void
log_time_format(char buf[LOG_TIME_LEN], int64_t sec, int ms)
{
	/*
	 * Every log and audit line of a second shares the date: it is formatted
	 * once a second (snprintf was a tenth of the audit line's cost), and
	 * only the milliseconds are written per line.
	 */
	static int64_t memo_sec = -1;
	static char memo[LOG_DATE_LEN + 1];
	unsigned m = (unsigned)ms % 1000;

	if (sec != memo_sec) {
		date_format(memo, sizeof(memo), sec);
		memo_sec = sec;
	}
	memcpy(buf, memo, LOG_DATE_LEN);
	buf[LOG_DATE_LEN] = '.';
	buf[LOG_DATE_LEN + 1] = (char)('0' + m / 100);
	buf[LOG_DATE_LEN + 2] = (char)('0' + m / 10 % 10);
	buf[LOG_DATE_LEN + 3] = (char)('0' + m % 10);
	buf[LOG_DATE_LEN + 4] = 'Z';
	buf[LOG_DATE_LEN + 5] = '\0';
}

void
log_time(char buf[LOG_TIME_LEN])
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	log_time_format(buf, now.tv_sec < 0 ? 0 : (int64_t)now.tv_sec,
	                (int)(now.tv_nsec / 1000000));
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX], esc[LOG_MSG_MAX * 2], line[LOG_LINE_MAX], ts[LOG_TIME_LEN];
	va_list ap;
	int n;

	if (level > log_level || level >= LOGL__MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_escape(esc, sizeof(esc), msg);
	log_time(ts);
	n = snprintf(line, sizeof(line),
	             "{\"time\":\"%s\",\"level\":\"%s\",\"prog\":\"%s\",\"msg\":\"%s\"}", ts,
	             level_names[level], log_prog, esc);
	if (n > 0)
		log_json_line(line);
}
