/* log — JSON lines on stderr, written with one write(2) each so lines never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static enum log_level min_level = LOGL_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_set_level(enum log_level level)
{
	min_level = level;
}

int
log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

bool
log_enabled(enum log_level level)
{
	return level >= min_level;
}

/* Appends s to buf at *pos as JSON string content, escaping as needed; never overflows. */
static void
put_escaped(char *buf, size_t cap, size_t *pos, const char *s)
{
	for (; *s != '\0' && *pos + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[(*pos)++] = '\\';
			buf[(*pos)++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			*pos += (size_t)snprintf(buf + *pos, cap - *pos, "\\u%04x", c);
		} else {
			buf[(*pos)++] = (char)c;
		}
	}
}

static void
put_raw(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, cap - *pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos = (size_t)n < cap - *pos ? *pos + (size_t)n : cap - 1;
}

static void
put_member(char *buf, size_t cap, size_t *pos, const char *key, const char *value)
{
	put_raw(buf, cap, pos, ",\"%s\":\"", key);
	put_escaped(buf, cap, pos, value);
	put_raw(buf, cap, pos, "\"");
}

static void
log_write(enum log_level level, const struct log_req *req, const char *fmt, va_list ap)
{
	static _Thread_local time_t ts_sec = -1;
	static _Thread_local char ts_text[40];
	char buf[LOG_LINE_MAX], msg[LOG_LINE_MAX / 2];
	struct timespec now;
	struct tm tm;
	size_t pos = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != ts_sec) { /* formatted once a second, per thread */
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts_text, sizeof(ts_text), "%Y-%m-%dT%H:%M:%S", &tm);
		ts_sec = now.tv_sec;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);

	put_raw(buf, sizeof(buf), &pos, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\"", ts_text,
		now.tv_nsec / 1000000, level_names[level]);
	put_member(buf, sizeof(buf), &pos, "msg", msg);
	if (req != NULL) {
		if (req->request_id != NULL)
			put_member(buf, sizeof(buf), &pos, "request_id", req->request_id);
		if (req->method != NULL)
			put_member(buf, sizeof(buf), &pos, "method", req->method);
		if (req->route != NULL)
			put_member(buf, sizeof(buf), &pos, "route", req->route);
		if (req->status > 0)
			put_raw(buf, sizeof(buf), &pos, ",\"status\":%d", req->status);
		if (req->dur_ms >= 0)
			put_raw(buf, sizeof(buf), &pos, ",\"dur_ms\":%.3f", req->dur_ms);
	}
	if (pos > sizeof(buf) - 3)
		pos = sizeof(buf) - 3;
	buf[pos++] = '}';
	buf[pos++] = '\n';
	(void)!write(STDERR_FILENO, buf, pos);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_write(level, NULL, fmt, ap);
	va_end(ap);
}

void
log_req_msg(enum log_level level, const struct log_req *req, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_write(level, req, fmt, ap);
	va_end(ap);
}
