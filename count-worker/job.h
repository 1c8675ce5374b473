/* job — one VALIDATE or COUNT run in a forked, jailed child, seen from the supervisor.
 *
 * job_prepare decodes the request frame (borrowed: the frame must outlive the job) and
 * fixes the limits; job_start forks the child; the caller polls job->fd and calls
 * job_read when it is readable until it returns 1, or job_kill when the deadline passes
 * or the requester went away; job_finish reaps the child, maps how it ended to an answer
 * frame, and zeroes what the child sent. The supervisor never decodes the method's inputs
 * into Python objects and never runs method code: only the child does. */
#ifndef FREECOOP_JOB_H
#define FREECOOP_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jail.h"
#include "wire.h"

/* What every job shares: the filter, /dev/null, the supervisor's pid, the ceilings. */
struct job_env {
	const struct jail_filter *filter;
	int devnull;
	pid_t supervisor;
	struct wire_limits max;      /* ceilings; a request's limits are clamped to them */
	struct wire_limits validate; /* limits of a VALIDATE */
};

enum job_state {
	JOB_NEW,
	JOB_RUNNING,
	JOB_ENDED, /* the child closed its pipe, or was killed */
	JOB_REAPED,
};

enum job_kill_reason {
	JOB_KILL_NONE,
	JOB_KILL_DEADLINE,
	JOB_KILL_OVERFLOW,
	JOB_KILL_CANCEL,
};

struct job {
	enum job_state state;
	enum wire_type type;
	struct wire_bytes source; /* VALIDATE */
	struct wire_count count;  /* COUNT: arrays owned, strings borrowed from the frame */
	struct wire_limits limits;
	pid_t pid;
	int fd; /* read end of the child's result pipe, or -1 */
	uint64_t started_us, deadline_us;
	unsigned char *out; /* what the child wrote */
	size_t out_len, out_cap, out_max;
	enum job_kill_reason killed;
	const char *refused; /* why the job cannot run (inputs not UTF-8), or NULL */
};

/* Decodes frame p[0..len) into j with limits clamped to env's. Returns 0, or -1 if the
 * frame is not a well-formed VALIDATE or COUNT (a protocol violation). */
int job_prepare(struct job *j, const struct job_env *env, const unsigned char *p, size_t len);

/* Forks the child. Returns 0, or -1 if it could not or must not (then j->refused may say
 * why; j needs only job_cleanup). */
int job_start(struct job *j, const struct job_env *env);

/* After job_start (whatever it returned): frees the arrays decoded from the request and
 * forgets the strings borrowed from it, so that the caller may free the frame while the
 * child, which has its own copy, runs. */
void job_release_request(struct job *j);

/* Reads what the child wrote. Returns 1 once the child is done writing (end of file, or
 * more than the answer may hold, in which case the child has been killed), else 0. */
int job_read(struct job *j);

/* Kills the child for the given reason (deadline passed, requester gone). */
void job_kill(struct job *j, enum job_kill_reason why);

/* Reaps the child and appends the answer frame to answer. */
void job_finish(struct job *j, struct wire_buf *answer);

/* Kills and reaps a child still running, then frees and zeroes j's buffers. */
void job_cleanup(struct job *j);

#endif
