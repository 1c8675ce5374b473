/* worker — the api-server's client of the count-worker (DESIGN §2, §8), on the event loop.
 *
 * Keeps at least one connection to the worker's Unix socket (so readiness is known at
 * once), opens more up to a maximum while jobs wait (the worker serves one request per
 * connection at a time), and reconnects with back-off when the worker restarts. A job that
 * was in flight when its connection broke is sent again, a bounded number of times.
 *
 * Every answer is checked before anyone sees it — the worker runs hostile code: the frame
 * size, its type, that it decodes exactly, that a result fits the job's result limit, that
 * an error has a known kind and a short UTF-8 message. A connection that breaks any rule
 * is closed. Each job has a deadline of its own; when it passes, the job ends as
 * WORKER_UNAVAILABLE and its connection is closed (which makes the worker kill the job).
 *
 * Callbacks run from the event loop, never from inside the call that submitted the job,
 * exactly once per job unless the job is cancelled first. */
#ifndef FREECOOP_WORKER_H
#define FREECOOP_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct event_base;
struct worker;
struct worker_job;

struct worker_opts {
	const char *socket_path;
	int connections;  /* at most this many at once */
	int retry_min_ms; /* reconnection back-off */
	int retry_max_ms;
};

enum worker_status {
	WORKER_OK,          /* the worker answered RESULT */
	WORKER_FAILED,      /* the worker answered ERROR: the method failed; final */
	WORKER_UNAVAILABLE, /* no valid answer in time: no worker, or a broken one; retry later */
};

/* What a callback gets; pointers are valid only during the callback. */
struct worker_answer {
	enum worker_status status;
	enum wire_error_kind kind;   /* WORKER_FAILED */
	const char *message;         /* WORKER_FAILED and WORKER_UNAVAILABLE: UTF-8, NUL-ended */
	const unsigned char *result; /* WORKER_OK */
	size_t result_len;
	uint64_t cpu_us, count_cpu_us, peak_rss_kb; /* WORKER_OK, as the worker measured */
	const char *runtime; /* WORKER_OK and WORKER_FAILED: the worker's runtime description
			      * (JSON, NUL-ended, WIRE_RUNTIME_MAX at most; "" if it sent none) */
	uint64_t elapsed_us;                        /* from submission to answer */
	int attempts;                               /* connections the job was sent on */
};

typedef void (*worker_cb)(const struct worker_answer *a, void *arg);

struct worker_stats {
	bool up;         /* a connection to the worker is established */
	int connections; /* open or opening */
	int queued;      /* jobs waiting for a connection */
	int running;     /* jobs sent, not yet answered */
	uint64_t ok, failed, unavailable, resent, violations;
};

/* Creates the client and starts connecting. Returns NULL on allocation failure. */
struct worker *worker_new(struct event_base *base, const struct worker_opts *opts);

/* Closes every connection; jobs still pending get WORKER_UNAVAILABLE callbacks first.
 * NULL-safe. */
void worker_free(struct worker *w);

/* Whether a connection to the worker is established now. */
bool worker_ready(const struct worker *w);

void worker_get_stats(const struct worker *w, struct worker_stats *st);

/* Submits VALIDATE of the method source src[0..len) (copied). deadline_ms bounds the
 * whole job, waiting for a connection included. A WORKER_OK answer's result is the
 * worker's runtime description (WIRE_RUNTIME_MAX). Returns a handle, or NULL if memory ran
 * out (cb is then never called). */
struct worker_job *worker_validate(struct worker *w, const void *src, size_t len,
                                   uint32_t deadline_ms, worker_cb cb, void *arg);

/* Submits COUNT of c (encoded at once: c and what it points to may go when this returns;
 * the encoded copy is zeroed when the job ends). Returns a handle, or NULL if memory ran
 * out or the job exceeds the wire's limits (cb is then never called). */
struct worker_job *worker_count(struct worker *w, const struct wire_count *c, uint32_t deadline_ms,
                                worker_cb cb, void *arg);

/* Abandons a job whose callback has not run yet: it never will. */
void worker_job_cancel(struct worker_job *j);

#endif
