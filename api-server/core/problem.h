/* problem — an operation's refusal, as the HTTP API answers it (RFC 9457): a status, a
 * problem type and a detail for people. The core's operations give one to their callers
 * instead of a result; the HTTP front turns it into application/problem+json, and a caller
 * in the same process (FreeCoop) reads it as it would read the HTTP answer. */
#ifndef FREECOOP_PROBLEM_H
#define FREECOOP_PROBLEM_H

struct db_result;

#define PROBLEM_DETAIL_MAX 512

struct problem {
	int status;       /* the HTTP status: 401, 404, 409, 429, 503, ... */
	const char *slug; /* its type, urn:freecoop:problem:<slug> (a string literal) */
	char detail[PROBLEM_DETAIL_MAX];
	int retry_after; /* seconds, sent as Retry-After; 0: none */
	/* Instead of the above: a database outcome other than DB_OK, which the front answers
	 * as every one (503 service-unavailable, or 500 internal-error with the database's
	 * message in its log); valid only during the callback that gives the problem. */
	const struct db_result *db;
};

/* Fills p (all of it) with status, slug and the detail formatted printf-style; returns p. */
const struct problem *problem_set(struct problem *p, int status, const char *slug,
				  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fills p with the database's outcome res (not DB_OK); returns p. */
const struct problem *problem_db(struct problem *p, const struct db_result *res);

#endif
