/* verdict — a refusal that a part of the front decides and the dispatcher answers, so that
 * only the dispatcher (http.c) replies to a request before its handler runs. */
#ifndef FREECOOP_VERDICT_H
#define FREECOOP_VERDICT_H

struct db_result;

struct verdict {
	int status;       /* the HTTP status of the refusal */
	const char *slug; /* its problem type, urn:freecoop:problem:<slug> */
	char detail[256];
	int retry_after; /* seconds, sent as Retry-After; 0: none */
	/* Instead of the above: a database outcome other than DB_OK, answered as every
	 * handler's is (503 or 500); valid only during the callback that gives the verdict. */
	const struct db_result *db;
};

#endif
