/* serve — connections, the job queue and deadlines, around one ppoll(). */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fsm.h"
#include "log.h"
#include "pyrt.h"
#include "serve.h"
#include "util.h"

enum conn_state {
	CONN_READING, /* reading a request frame; a new connection (zeroed) starts here */
	CONN_WAITING, /* a whole frame, waiting for a free job slot */
	CONN_RUNNING, /* its job's child runs */
	CONN_WRITING, /* sending the answer */
};

struct conn {
	int fd;
	enum conn_state state;
	uint64_t seq; /* arrival order of its waiting request */
	unsigned char head[WIRE_HEADER_LEN];
	size_t head_got;
	unsigned char *frame; /* header included */
	size_t frame_len, frame_got;
	struct job job;
	struct wire_buf answer;
	size_t answer_sent;
};

static volatile sig_atomic_t stop_signal;

static struct {
	const struct serve_config *cfg;
	struct conn **conns;
	int nconns;
	uint64_t seq;
} sv;

/* A request frame this large makes its job's end return the heap's free pages. */
#define TRIM_AFTER (16u << 20)

static void
on_signal(int sig)
{
	stop_signal = sig;
}

/* Zeroes and frees a request frame: it holds ballots. */
static void
drop_frame(struct conn *c)
{
	if (c->frame != NULL) {
		explicit_bzero(c->frame, c->frame_len);
		free(c->frame);
	}
	c->frame = NULL;
	c->frame_len = c->frame_got = c->head_got = 0;
}

static void
drop_answer(struct conn *c)
{
	if (c->answer.p != NULL)
		explicit_bzero(c->answer.p, c->answer.cap);
	wire_buf_reset(&c->answer);
	c->answer_sent = 0;
}

/* The one way a connection ends: its child killed and reaped, its buffers zeroed. */
static void
conn_close(int i)
{
	struct conn *c = sv.conns[i];

	job_cleanup(&c->job);
	drop_frame(c);
	drop_answer(c);
	close(c->fd);
	free(c);
	sv.conns[i] = sv.conns[--sv.nconns];
}

static const char *const conn_state_names[] = {"reading", "waiting", "running", "writing"};

/* A request is read, waits for a job slot, runs, and its answer is written; a job that
 * cannot start is answered at once. A connection closes from any state. */
static const unsigned char conn_moves[4][4] = {
	/*            reading waiting running writing */
	/* reading */ {0, 1, 0, 0},
	/* waiting */ {0, 0, 1, 1},
	/* running */ {0, 0, 0, 1},
	/* writing */ {1, 0, 0, 0},
};
static const struct fsm conn_fsm = {"connection", 4, conn_state_names, &conn_moves[0][0]};

/* The one place a connection changes state. */
static void
conn_set_state(struct conn *c, enum conn_state to)
{
	char who[16];

	if (to == c->state)
		return;
	snprintf(who, sizeof(who), "fd %d", c->fd);
	fsm_allowed(&conn_fsm, (int)c->state, (int)to, who);
	if (to == CONN_WAITING)
		c->seq = ++sv.seq;
	c->state = to;
}

static void
accept_one(void)
{
	struct conn *c;
	int fd = accept4(sv.cfg->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (sv.nconns >= sv.cfg->max_connections || (c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("refusing a connection: %d connections open", sv.nconns);
		close(fd);
		return;
	}
	c->fd = fd;
	c->job.fd = -1; /* CONN_READING, zeroed */
	sv.conns[sv.nconns++] = c;
}

/* Reads what is there of the request frame. Returns 1 when it is whole, 0 when more is
 * to come, -1 when the connection must close (end of file, error, protocol violation). */
static int
read_request(struct conn *c)
{
	ssize_t n;
	size_t len;

	while (c->frame == NULL) {
		if ((n = read(c->fd, c->head + c->head_got, WIRE_HEADER_LEN - c->head_got)) <= 0)
			return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		if ((c->head_got += (size_t)n) < WIRE_HEADER_LEN)
			continue;
		if (wire_frame_ready(c->head, WIRE_HEADER_LEN, sv.cfg->max_job_bytes, &len) < 0) {
			log_warn("closing a connection: request frame too large or empty");
			return -1;
		}
		if ((c->frame = malloc(len)) == NULL) {
			log_error("no memory for a request of %zu bytes", len);
			return -1;
		}
		memcpy(c->frame, c->head, WIRE_HEADER_LEN);
		c->frame_len = len;
		c->frame_got = WIRE_HEADER_LEN;
	}
	while (c->frame_got < c->frame_len) {
		if ((n = read(c->fd, c->frame + c->frame_got, c->frame_len - c->frame_got)) <= 0)
			return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		c->frame_got += (size_t)n;
	}
	return 1;
}

static void
on_readable(int i)
{
	struct conn *c = sv.conns[i];
	int r = read_request(c);

	if (r < 0) {
		conn_close(i);
		return;
	}
	if (r == 0)
		return;
	if (job_prepare(&c->job, sv.cfg->env, c->frame, c->frame_len) != 0) {
		log_warn("closing a connection: malformed request frame");
		conn_close(i);
		return;
	}
	conn_set_state(c, CONN_WAITING);
}

/* Writes the answer; returns -1 if the connection must close. */
static int
write_answer(struct conn *c)
{
	while (c->answer_sent < c->answer.len) {
		ssize_t n = send(c->fd, c->answer.p + c->answer_sent,
		                 c->answer.len - c->answer_sent, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->answer_sent += (size_t)n;
	}
	drop_answer(c);
	conn_set_state(c, CONN_READING);
	return 0;
}

static void
log_outcome(const struct conn *c)
{
	struct wire_result res;
	struct wire_error e;
	const char *what = c->job.type == WIRE_VALIDATE ? "validate" : "count";
	double ms = (double)(util_now_us() - c->job.started_us) / 1000.0;

	if (wire_decode_result(c->answer.p, c->answer.len, &res) == 0)
		log_info("%s job done in %.1f ms: %u result bytes, %llu us CPU, %llu kB peak", what,
		         ms, res.result.len, (unsigned long long)res.cpu_us,
		         (unsigned long long)res.peak_rss_kb);
	else if (wire_decode_error(c->answer.p, c->answer.len, &e) == 0)
		log_info("%s job failed in %.1f ms: %s", what, ms, wire_error_kind_name(e.kind));
}

/* The child finished (or was killed): reap, answer, forget the request. */
static void
finish_job(int i)
{
	struct conn *c = sv.conns[i];
	bool big;

	job_finish(&c->job, &c->answer);
	if (c->answer.failed) {
		log_error("no memory for an answer");
		conn_close(i);
		return;
	}
	log_outcome(c);
	job_cleanup(&c->job);
	big = c->frame_len >= TRIM_AFTER;
	drop_frame(c);
	/* The inputs of a big count leave the heap large and holey, and every later fork
	 * copies its page tables: give the free pages back. */
	if (big)
		malloc_trim(0);
	conn_set_state(c, CONN_WRITING);
	if (write_answer(c) != 0)
		conn_close(i);
}

/* Starts waiting jobs, oldest first, while slots are free. */
static void
start_jobs(void)
{
	for (;;) {
		struct conn *next = NULL;
		int running = 0;
		for (int i = 0; i < sv.nconns; i++) {
			running += sv.conns[i]->state == CONN_RUNNING;
			if (sv.conns[i]->state == CONN_WAITING &&
			    (next == NULL || sv.conns[i]->seq < next->seq))
				next = sv.conns[i];
		}
		if (running >= sv.cfg->jobs)
			return;
		if (next == NULL)
			return;
		if (job_start(&next->job, sv.cfg->env) != 0) {
			const char *why =
			    next->job.refused != NULL ? next->job.refused : "could not start a job";
			wire_encode_error(&next->answer, pyrt_runtime(), WIRE_ERR_INTERNAL, why,
			                  WIRE_ERROR_MESSAGE_MAX + WIRE_ANSWER_OVERHEAD);
			job_cleanup(&next->job);
			drop_frame(next);
			conn_set_state(next, CONN_WRITING);
			continue;
		}
		conn_set_state(next, CONN_RUNNING);
	}
}

/* The poll set: the listener, then two entries per connection (its socket, its child's
 * pipe). Returns the timeout until the nearest deadline, in ms (-1: none). */
static int
fill_pollfds(struct pollfd *pf)
{
	uint64_t now = util_now_us(), next = UINT64_MAX;

	pf[0] = (struct pollfd){sv.nconns < sv.cfg->max_connections ? sv.cfg->listen_fd : -1,
	                        POLLIN, 0};
	for (int i = 0; i < sv.nconns; i++) {
		struct conn *c = sv.conns[i];
		short ev = c->state == CONN_READING   ? POLLIN
		           : c->state == CONN_WRITING ? POLLOUT
		                                      : POLLRDHUP;
		pf[1 + 2 * i] = (struct pollfd){c->fd, ev, 0};
		pf[2 + 2 * i] =
		    (struct pollfd){c->state == CONN_RUNNING ? c->job.fd : -1, POLLIN, 0};
		if (c->state == CONN_RUNNING && c->job.deadline_us < next)
			next = c->job.deadline_us;
	}
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)((next - now + 999) / 1000);
}

/* Handles what poll reported for connection i (which may close it). */
static void
handle(int i, const struct pollfd *sock, const struct pollfd *pipe)
{
	struct conn *c = sv.conns[i];

	if (c->state == CONN_RUNNING) {
		if (sock->revents & (POLLRDHUP | POLLHUP | POLLERR)) {
			conn_close(i); /* the requester is gone: kill its child */
			return;
		}
		if ((pipe->revents != 0 && job_read(&c->job) == 1) ||
		    (c->job.state == JOB_RUNNING && util_now_us() >= c->job.deadline_us &&
		     (job_kill(&c->job, JOB_KILL_DEADLINE), 1)))
			finish_job(i);
	} else if (c->state == CONN_READING && sock->revents != 0) {
		on_readable(i);
	} else if (c->state == CONN_WRITING && sock->revents != 0) {
		if (write_answer(c) != 0)
			conn_close(i);
	} else if (c->state == CONN_WAITING && sock->revents != 0) {
		conn_close(i);
	}
}

static int
install_signals(sigset_t *during_poll)
{
	struct sigaction sa = {0};
	sigset_t block;

	sa.sa_handler = on_signal;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &block, during_poll) != 0)
		return -1;
	sigdelset(during_poll, SIGTERM);
	sigdelset(during_poll, SIGINT);
	sigdelset(during_poll, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	return sigaction(SIGTERM, &sa, NULL) | sigaction(SIGINT, &sa, NULL) |
	       sigaction(SIGHUP, &sa, NULL);
}

int
serve_run(const struct serve_config *cfg)
{
	struct pollfd *pf;
	sigset_t during_poll;

	sv.cfg = cfg;
	sv.conns = calloc((size_t)cfg->max_connections, sizeof(*sv.conns));
	pf = calloc(1 + 2 * (size_t)cfg->max_connections, sizeof(*pf));
	if (sv.conns == NULL || pf == NULL || install_signals(&during_poll) != 0 ||
	    listen(cfg->listen_fd, 64) != 0) {
		log_error("could not start serving: %s", strerror(errno));
		free(pf);
		return -1;
	}
	log_info("count-worker ready: %d jobs at once", cfg->jobs);
	while (!stop_signal) {
		int n = sv.nconns, timeout = fill_pollfds(pf);
		struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000L};

		if (ppoll(pf, 1 + 2 * (nfds_t)n, timeout < 0 ? NULL : &ts, &during_poll) < 0 &&
		    errno != EINTR)
			log_error("poll failed: %s", strerror(errno));
		/* from the last: closing connection i moves the last one into its place */
		for (int i = n - 1; i >= 0; i--)
			handle(i, &pf[1 + 2 * i], &pf[2 + 2 * i]);
		if (pf[0].revents & POLLIN)
			accept_one();
		start_jobs();
	}
	log_info("received signal %d: stopping", (int)stop_signal);
	while (sv.nconns > 0)
		conn_close(sv.nconns - 1);
	free(sv.conns);
	free(pf);
	return 0;
}
