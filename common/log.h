/* log — one JSON object per line on stderr.
 *
 * Messages follow PostgreSQL's style ("could not connect to database: %s"). Never pass a
 * token, key, ballot or request body to these functions. */
#ifndef FREECOOP_LOG_H
#define FREECOOP_LOG_H

#include <stdbool.h>

enum log_level { LOGL_DEBUG, LOGL_INFO, LOGL_WARN, LOGL_ERROR };

/* Context of one HTTP request, added to its log lines. Strings are borrowed. */
struct log_req {
	const char *request_id;
	const char *method;
	const char *route;
	int status;     /* 0: not yet known */
	double dur_ms;  /* < 0: not yet known */
};

/* Sets the lowest level written (default LOGL_INFO). */
void log_set_level(enum log_level level);

/* Parses "debug", "info", "warn" or "error"; returns 0, or -1 if s is none of them. */
int log_parse_level(const char *s, enum log_level *out);

/* Returns whether a message at level would be written. */
bool log_enabled(enum log_level level);

/* Writes {"ts","level","msg"} with msg formatted printf-style. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like log_msg, with the request's context members added. */
void log_req_msg(enum log_level level, const struct log_req *req, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(...) log_msg(LOGL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOGL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOGL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOGL_ERROR, __VA_ARGS__)

#endif
