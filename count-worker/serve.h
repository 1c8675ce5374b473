/* serve — the supervisor's loop: accept connections on the Unix socket, read one request
 * frame at a time from each, run it as a job (at most `jobs` children at once, the others
 * waiting in arrival order), write the answer, and enforce every job's deadline.
 *
 * A connection that sends a malformed or oversized frame is closed (the api-server
 * reconnects); one that goes away while its job runs gets its child killed. The loop
 * never runs method code and never blocks except in ppoll. */
#ifndef FREECOOP_SERVE_H
#define FREECOOP_SERVE_H

#include <stddef.h>

#include "job.h"

struct serve_config {
	int listen_fd; /* bound, not yet listening */
	int jobs;      /* children at once */
	int max_connections;
	size_t max_job_bytes;
	const struct job_env *env;
};

/* Listens and serves until SIGTERM, SIGINT or SIGHUP; then kills running children and
 * returns 0. Returns -1 if it could not start. */
int serve_run(const struct serve_config *cfg);

#endif
