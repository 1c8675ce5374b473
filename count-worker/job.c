/* job — fork, watch, reap and judge one jailed child. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsm.h"
#include "job.h"
#include "log.h"
#include "pyrt.h"
#include "utf8.h"
#include "util.h"

#define EXIT_LOCKDOWN_FAILED 125 /* the child could not lock itself down */
#define MAX_ERROR (WIRE_ERROR_MESSAGE_MAX + WIRE_ANSWER_OVERHEAD)


static const char *const job_state_names[] = {"new", "running", "ended", "reaped"};

/* A job's child is started, ends (closes its pipe, or is killed) and is reaped; a child
 * that could not be started is reaped at once. */
static const unsigned char job_moves[4][4] = {
	/*            new running ended reaped */
	/* new */     {0, 1, 0, 1},
	/* running */ {0, 0, 1, 1},
	/* ended */   {0, 0, 0, 1},
	/* reaped */  {0, 0, 0, 0},
};
static const struct fsm job_fsm = {"job", 4, job_state_names, &job_moves[0][0]};

/* The one place a job changes state. */
static void
job_set_state(struct job *j, enum job_state to)
{
	char who[16];

	if (to == j->state)
		return;
	snprintf(who, sizeof(who), "%ld", (long)j->pid);
	fsm_allowed(&job_fsm, (int)j->state, (int)to, who);
	j->state = to;
}
static uint32_t
clamp(uint32_t want, uint32_t max)
{
	return want == 0 || want > max ? max : want;
}

/* Whether every id and pseudonym of c is UTF-8 text, as the count contract's str are. */
static bool
inputs_are_text(const struct wire_count *c)
{
	for (uint32_t i = 0; i < c->nproposals; i++)
		if (!utf8_valid(c->proposals[i].id.p, c->proposals[i].id.len) ||
		    !utf8_valid(c->proposals[i].proposer.p, c->proposals[i].proposer.len))
			return false;
	for (uint32_t i = 0; i < c->nballots; i++)
		if (!utf8_valid(c->ballots[i].id.p, c->ballots[i].id.len))
			return false;
	for (int s = 0; s < 3; s++)
		for (uint32_t i = 0; i < c->nsets[s]; i++)
			if (!utf8_valid(c->sets[s][i].p, c->sets[s][i].len))
				return false;
	return true;
}

int
job_prepare(struct job *j, const struct job_env *env, const unsigned char *p, size_t len)
{
	memset(j, 0, sizeof(*j));
	j->fd = -1;
	j->pid = -1;
	j->type = (enum wire_type)wire_frame_type(p, len);
	if (j->type == WIRE_VALIDATE) {
		if (wire_decode_validate(p, len, &j->source) != 0)
			return -1;
		j->limits = env->validate;
	} else if (j->type == WIRE_COUNT) {
		if (wire_decode_count(p, len, &j->count) != 0)
			return -1;
		j->limits.cpu_ms = clamp(j->count.limits.cpu_ms, env->max.cpu_ms);
		j->limits.wall_ms = clamp(j->count.limits.wall_ms, env->max.wall_ms);
		j->limits.memory_mb = clamp(j->count.limits.memory_mb, env->max.memory_mb);
		j->limits.result_max = clamp(j->count.limits.result_max, env->max.result_max);
		j->count.limits = j->limits;
		/* checked here, so that a child never has a reason to report "internal" */
		if (!inputs_are_text(&j->count))
			j->refused = "inputs: an id or pseudonym is not valid UTF-8";
	} else {
		return -1;
	}
	j->out_max = (size_t)j->limits.result_max + WIRE_ERROR_MESSAGE_MAX + WIRE_ANSWER_OVERHEAD;
	return 0;
}

/* The supervisor's current address space in bytes: the child starts with all of it. */
static uint64_t
address_space_now(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* In the child: lock down, then run. Never returns. */
static _Noreturn void
child(struct job *j, const struct job_env *env, int result_fd, uint64_t address_space)
{
	struct jail_limits l = {j->limits.cpu_ms, address_space};

	pyrt_after_fork_child();
	if (jail_enter(env->filter, env->supervisor, result_fd, env->devnull, &l) != 0)
		_exit(EXIT_LOCKDOWN_FAILED);
	if (j->type == WIRE_VALIDATE)
		pyrt_child_validate(j->source, JAIL_RESULT_FD);
	pyrt_child_count(&j->count, JAIL_RESULT_FD);
}

int
job_start(struct job *j, const struct job_env *env)
{
	uint64_t as = address_space_now() + ((uint64_t)j->limits.memory_mb << 20);
	int p[2];

	if (j->refused != NULL)
		return -1;
	if ((j->out = malloc(4096)) == NULL)
		return -1;
	j->out_cap = 4096;
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	pyrt_before_fork();
	j->pid = fork();
	if (j->pid == 0)
		child(j, env, p[1], as);
	pyrt_after_fork_parent();
	close(p[1]);
	if (j->pid < 0) {
		log_error("could not fork a job: %s", strerror(errno));
		close(p[0]);
		return -1;
	}
	j->fd = p[0];
	fcntl(j->fd, F_SETFL, O_NONBLOCK);
	j->started_us = util_now_us();
	j->deadline_us = j->started_us + (uint64_t)j->limits.wall_ms * 1000u;
	job_set_state(j, JOB_RUNNING);
	return 0;
}

void
job_release_request(struct job *j)
{
	struct wire_limits limits = j->count.limits;

	wire_count_free(&j->count);
	j->count.limits = limits;
	j->source = (struct wire_bytes){NULL, 0};
}

/* Makes room for at least one more read in j->out, up to out_max + 1 bytes (one byte
 * past the maximum is how an overlong answer shows). */
static int
out_reserve(struct job *j)
{
	size_t want = j->out_cap * 2 > j->out_max + 1 ? j->out_max + 1 : j->out_cap * 2;
	unsigned char *p;

	if (j->out_len < j->out_cap)
		return 0;
	if (want <= j->out_cap || (p = malloc(want)) == NULL)
		return -1;
	memcpy(p, j->out, j->out_len);
	explicit_bzero(j->out, j->out_len);
	free(j->out);
	j->out = p;
	j->out_cap = want;
	return 0;
}

int
job_read(struct job *j)
{
	for (;;) {
		ssize_t n;
		if (out_reserve(j) != 0) {
			job_kill(j, JOB_KILL_OVERFLOW);
			return 1;
		}
		n = read(j->fd, j->out + j->out_len, j->out_cap - j->out_len);
		if (n > 0) {
			j->out_len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		job_set_state(j, JOB_ENDED);
		return 1;
	}
}

void
job_kill(struct job *j, enum job_kill_reason why)
{
	if (j->state != JOB_RUNNING)
		return;
	kill(j->pid, SIGKILL);
	j->killed = why;
	job_set_state(j, JOB_ENDED);
}

static void
reap(struct job *j, int *status, struct rusage *ru)
{
	memset(ru, 0, sizeof(*ru));
	*status = 0;
	while (wait4(j->pid, status, 0, ru) < 0 && errno == EINTR)
		;
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	job_set_state(j, JOB_REAPED);
}

static uint64_t
cpu_us(const struct rusage *ru)
{
	return (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec);
}

/* The kinds a child reports itself. Timeouts and sandbox violations are the supervisor's
 * to establish, and the child has no internal errors to report: a method that writes one
 * of those on its pipe is forging, and gets bad_result. */
static bool
child_may_report(enum wire_error_kind kind)
{
	return kind == WIRE_ERR_EXCEPTION || kind == WIRE_ERR_MEMORY || kind == WIRE_ERR_BAD_RESULT;
}

/* The answer when the child exited normally: exactly the one frame it wrote, checked. */
static void
judge_frame(struct job *j, const struct rusage *ru, struct wire_buf *a)
{
	struct wire_result res;
	struct wire_error e;
	size_t flen;

	if (wire_frame_ready(j->out, j->out_len, j->out_max, &flen) != 1 || flen != j->out_len) {
		wire_encode_errorf(a, pyrt_runtime(), WIRE_ERR_BAD_RESULT, MAX_ERROR,
		                   "the method ended without returning a result");
		return;
	}
	if (wire_decode_result(j->out, j->out_len, &res) == 0 &&
	    res.result.len <= j->limits.result_max &&
	    (j->type == WIRE_COUNT || res.result.len == 0)) {
		/* the child's own figure, which the method could forge, is capped by the kernel's
		 */
		res.cpu_us = cpu_us(ru);
		if (res.count_cpu_us > res.cpu_us)
			res.count_cpu_us = res.cpu_us;
		res.peak_rss_kb = (uint64_t)ru->ru_maxrss;
		/* the supervisor's description, not the child's */
		res.runtime = (struct wire_bytes){(const unsigned char *)pyrt_runtime(),
						  (uint32_t)strlen(pyrt_runtime())};
		if (j->type == WIRE_VALIDATE)
			res.result = res.runtime;
		wire_encode_result(a, &res, (size_t)j->limits.result_max + WIRE_ANSWER_OVERHEAD);
	} else if (wire_decode_error(j->out, j->out_len, &e) == 0 && child_may_report(e.kind)) {
		wire_encode_errorf(a, pyrt_runtime(), e.kind, MAX_ERROR, "%.*s", (int)e.message.len,
		                   (const char *)e.message.p);
	} else {
		wire_encode_errorf(a, pyrt_runtime(), WIRE_ERR_BAD_RESULT, MAX_ERROR,
		                   "the method wrote a malformed answer");
	}
}

static void
judge_signal(struct job *j, int sig, const struct rusage *ru, struct wire_buf *a)
{
	const char *name = sigabbrev_np(sig);

	switch (sig) {
	case SIGSYS:
		wire_encode_errorf(a, pyrt_runtime(), WIRE_ERR_SANDBOX_VIOLATION, MAX_ERROR,
		                   "the method made a system call that the sandbox forbids");
		return;
	case SIGPROF:
	case SIGXCPU:
		wire_encode_errorf(a, pyrt_runtime(), WIRE_ERR_TIMEOUT, MAX_ERROR,
		                   "the method exceeded its CPU time limit of %u ms",
		                   j->limits.cpu_ms);
		return;
	case SIGKILL:
		if (cpu_us(ru) >= (uint64_t)j->limits.cpu_ms * 1000u)
			wire_encode_errorf(a, pyrt_runtime(), WIRE_ERR_TIMEOUT, MAX_ERROR,
			                   "the method exceeded its CPU time limit of %u ms",
			                   j->limits.cpu_ms);
		else
			wire_encode_errorf(a, pyrt_runtime(), WIRE_ERR_MEMORY, MAX_ERROR,
			                   "the job was killed by the system (out of memory?)");
		return;
	}
	wire_encode_errorf(a, pyrt_runtime(), WIRE_ERR_EXCEPTION, MAX_ERROR, "the interpreter crashed (SIG%s)",
	                   name != NULL ? name : "?");
}

void
job_finish(struct job *j, struct wire_buf *a)
{
	struct rusage ru;
	int status;

	reap(j, &status, &ru);
	if (j->killed == JOB_KILL_DEADLINE)
		wire_encode_errorf(a, pyrt_runtime(), WIRE_ERR_TIMEOUT, MAX_ERROR,
		                   "the method exceeded its wall-clock limit of %u ms",
		                   j->limits.wall_ms);
	else if (j->killed == JOB_KILL_OVERFLOW)
		wire_encode_errorf(a, pyrt_runtime(), WIRE_ERR_BAD_RESULT, MAX_ERROR,
		                   "the method's answer exceeded the result limit of %u bytes",
		                   j->limits.result_max);
	else if (WIFSIGNALED(status))
		judge_signal(j, WTERMSIG(status), &ru, a);
	else if (WEXITSTATUS(status) == EXIT_LOCKDOWN_FAILED)
		wire_encode_errorf(a, pyrt_runtime(), WIRE_ERR_INTERNAL, MAX_ERROR,
		                   "the job could not lock itself down");
	else if (WEXITSTATUS(status) != 0)
		wire_encode_errorf(a, pyrt_runtime(), WIRE_ERR_BAD_RESULT, MAX_ERROR,
		                   "the method exited (status %d) without returning a result",
		                   WEXITSTATUS(status));
	else
		judge_frame(j, &ru, a);
	explicit_bzero(j->out, j->out_len);
	j->out_len = 0;
}

void
job_cleanup(struct job *j)
{
	struct rusage ru;
	int status;

	if (j->state == JOB_RUNNING)
		job_kill(j, JOB_KILL_CANCEL);
	if (j->state == JOB_ENDED)
		reap(j, &status, &ru);
	if (j->out != NULL) {
		explicit_bzero(j->out, j->out_cap);
		free(j->out);
	}
	wire_count_free(&j->count);
	memset(j, 0, sizeof(*j));
	j->fd = -1;
	j->pid = -1;
}
