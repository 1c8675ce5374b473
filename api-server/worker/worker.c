/* worker — connections to the count-worker, the job queue, answer checks, deadlines. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fsm.h"
#include "log.h"
#include "utf8.h"
#include "util.h"
#include "worker.h"

#define REQUEST_MAX ((size_t)WIRE_JOB_MAX_MB_DEFAULT << 20) /* the worker's default */
#define MAX_ATTEMPTS 3 /* connections a job may be sent on before it is given up */

enum conn_state {
	CONN_CONNECTING, /* a new connection (zeroed) starts here */
	CONN_IDLE,
	CONN_BUSY, /* a job was sent; its answer is awaited */
};

static const char *const conn_state_names[] = {"connecting", "idle", "busy"};

/* A connection connects, then takes one job at a time; it is freed from any state. */
static const unsigned char conn_moves[3][3] = {
	/*               connecting idle busy */
	/* connecting */ {0, 1, 0},
	/* idle */       {0, 0, 1},
	/* busy */       {0, 1, 0},
};
static const struct fsm conn_fsm = {"count-worker connection", 3, conn_state_names,
				    &conn_moves[0][0]};

enum job_state {
	JOB_QUEUED, /* a new job (zeroed) starts here */
	JOB_SENT,
	JOB_DONE, /* the callback is due: it runs from the job's timer */
};

static const char *const job_state_names[] = {"queued", "sent", "done"};

/* A job is sent, and queued again when its connection breaks; it is done (answered, given
 * up or past its deadline) from either. */
static const unsigned char job_moves[3][3] = {
	/*           queued sent done */
	/* queued */ {0, 1, 1},
	/* sent */   {1, 0, 1},
	/* done */   {0, 0, 0},
};
static const struct fsm job_fsm = {"count-worker job", 3, job_state_names, &job_moves[0][0]};

struct conn {
	struct worker *w;
	struct bufferevent *bev;
	enum conn_state state;
	struct worker_job *job;
	TAILQ_ENTRY(conn) link;
};

struct worker_job {
	struct worker *w;
	enum job_state state;
	struct wire_buf frame; /* the request; zeroed when the job ends */
	uint32_t result_max;   /* WIRE_RUNTIME_MAX for VALIDATE */
	size_t answer_max;
	struct event *ev_timer; /* the deadline, then the deferred callback */
	worker_cb cb;
	void *arg;
	struct conn *conn;
	uint64_t submitted_us;
	struct worker_answer answer;
	unsigned char *result; /* owned copies behind answer */
	char message[WIRE_ERROR_MESSAGE_MAX + 1];
	char runtime[WIRE_RUNTIME_MAX + 1]; /* the answer's runtime description */
	TAILQ_ENTRY(worker_job) link;
};

TAILQ_HEAD(conn_list, conn);
TAILQ_HEAD(job_list, worker_job);

struct worker {
	struct event_base *base;
	struct sockaddr_un addr;
	int max_conns, retry_min_ms, retry_max_ms, backoff_ms;
	struct conn_list conns;
	int nconns;
	struct job_list queue; /* JOB_QUEUED, oldest first */
	struct event *ev_retry;
	bool warned;
	bool closing; /* worker_free runs: no new connections */
	struct worker_stats stats;
};

static void dispatch(struct worker *w);

/* The one place a connection changes state. */
static void
conn_set_state(struct conn *c, enum conn_state to)
{
	char who[32];

	if (to == c->state)
		return;
	snprintf(who, sizeof(who), "%p", (void *)c);
	fsm_allowed(&conn_fsm, (int)c->state, (int)to, who);
	c->state = to;
}

/* The one place a job changes state. */
static void
job_set_state(struct worker_job *j, enum job_state to)
{
	char who[32];

	if (to == j->state)
		return;
	snprintf(who, sizeof(who), "%p", (void *)j);
	fsm_allowed(&job_fsm, (int)j->state, (int)to, who);
	j->state = to;
}

/* ---- jobs ---- */

static void job_done_cb(evutil_socket_t fd, short what, void *arg);

/* Ends job j with its answer filled in: the callback runs from the event loop. */
static void
job_complete(struct worker_job *j)
{
	struct timeval now = {0, 0};

	if (j->state == JOB_QUEUED)
		TAILQ_REMOVE(&j->w->queue, j, link);
	j->conn = NULL;
	job_set_state(j, JOB_DONE);
	j->answer.elapsed_us = util_now_us() - j->submitted_us;
	explicit_bzero(j->frame.p, j->frame.len);
	event_del(j->ev_timer);
	event_assign(j->ev_timer, j->w->base, -1, 0, job_done_cb, j);
	event_add(j->ev_timer, &now);
}

static void
job_unavailable(struct worker_job *j, const char *message)
{
	j->answer.status = WORKER_UNAVAILABLE;
	snprintf(j->message, sizeof(j->message), "%s", message);
	j->answer.message = j->message;
	j->w->stats.unavailable++;
	job_complete(j);
}

static void
job_free(struct worker_job *j)
{
	if (j->ev_timer != NULL)
		event_free(j->ev_timer);
	if (j->frame.p != NULL)
		explicit_bzero(j->frame.p, j->frame.cap);
	wire_buf_reset(&j->frame);
	if (j->result != NULL)
		explicit_bzero(j->result, j->answer.result_len);
	free(j->result);
	free(j);
}

static void
job_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker_job *j = arg;

	j->cb(&j->answer, j->arg);
	job_free(j);
}

/* ---- connections ---- */

static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_event_cb(struct bufferevent *bev, short what, void *arg);

/* The one way a connection ends. A job it carried goes back to the head of the queue,
 * or is given up after MAX_ATTEMPTS. */
static void
conn_close(struct conn *c, const char *why)
{
	struct worker *w = c->w;
	struct worker_job *j = c->job;

	TAILQ_REMOVE(&w->conns, c, link);
	w->nconns--;
	bufferevent_free(c->bev); /* drops the output's reference to a job's frame */
	free(c);
	if (j != NULL && j->state == JOB_SENT) {
		j->conn = NULL;
		if (j->answer.attempts >= MAX_ATTEMPTS) {
			log_error("count-worker job given up after %d broken connections: %s",
			          j->answer.attempts, why);
			job_unavailable(j, "the count-worker connection broke repeatedly");
		} else {
			log_warn(
			    "count-worker connection lost with a job in flight (%s): resending",
			    why);
			w->stats.resent++;
			job_set_state(j, JOB_QUEUED);
			TAILQ_INSERT_HEAD(&w->queue, j, link);
		}
	}
	dispatch(w);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	dispatch(arg);
}

/* After a failed connect: wait, doubling the wait up to the maximum, with jitter. */
static void
schedule_retry(struct worker *w)
{
	uint32_t jitter = 0;
	struct timeval tv;

	util_random(&jitter, sizeof(jitter));
	tv.tv_sec = w->backoff_ms / 1000;
	tv.tv_usec = (w->backoff_ms % 1000) * 1000 + (long)(jitter % 50000u);
	if (tv.tv_usec >= 1000000) {
		tv.tv_sec++;
		tv.tv_usec -= 1000000;
	}
	event_add(w->ev_retry, &tv);
	w->backoff_ms = w->backoff_ms * 2 > w->retry_max_ms ? w->retry_max_ms : w->backoff_ms * 2;
}

static void
conn_open(struct worker *w)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return;
	c->w = w; /* CONN_CONNECTING, zeroed */
	c->bev = bufferevent_socket_new(w->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&w->conns, c, link);
	w->nconns++;
	bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&w->addr, sizeof(w->addr)) != 0)
		conn_event_cb(c->bev, BEV_EVENT_ERROR, c);
}

static void
conn_send(struct conn *c, struct worker_job *j)
{
	TAILQ_REMOVE(&c->w->queue, j, link);
	job_set_state(j, JOB_SENT);
	j->conn = c;
	j->answer.attempts++;
	c->job = j;
	conn_set_state(c, CONN_BUSY);
	/* by reference: the frame outlives the connection's output (conn_close frees it first) */
	evbuffer_add_reference(bufferevent_get_output(c->bev), j->frame.p, j->frame.len, NULL,
	                       NULL);
}

/* Sends queued jobs on idle connections, opens connections while jobs wait, and keeps
 * one connection even when idle, so that a worker restart is noticed. */
static void
dispatch(struct worker *w)
{
	struct conn *c;
	int connecting = 0, idle = 0;

	if (w->closing)
		return;
	TAILQ_FOREACH(c, &w->conns, link)
	{
		if (c->state == CONN_IDLE && !TAILQ_EMPTY(&w->queue))
			conn_send(c, TAILQ_FIRST(&w->queue));
		connecting += c->state == CONN_CONNECTING;
		idle += c->state == CONN_IDLE;
	}
	if (event_pending(w->ev_retry, EV_TIMEOUT, NULL))
		return;
	if (w->nconns == 0 ||
	    (!TAILQ_EMPTY(&w->queue) && idle == 0 && connecting == 0 && w->nconns < w->max_conns))
		conn_open(w);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	struct worker *w = c->w;

	if (what & BEV_EVENT_CONNECTED) {
		conn_set_state(c, CONN_IDLE);
		w->backoff_ms = w->retry_min_ms;
		if (w->warned)
			log_info("count-worker reachable again");
		w->warned = false;
		bufferevent_enable(bev, EV_READ);
		dispatch(w);
		return;
	}
	if (c->state == CONN_CONNECTING) {
		if (!w->warned)
			log_warn("could not connect to the count-worker at %s: %s",
			         w->addr.sun_path,
			         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		w->warned = true;
		schedule_retry(w);
	}
	conn_close(c, what & BEV_EVENT_EOF ? "end of file" : "connection error");
}

/* A protocol violation: the connection goes (its job is resent or given up). */
static void
violation(struct conn *c, const char *what)
{
	log_error("count-worker protocol violation: %s", what);
	c->w->stats.violations++;
	conn_close(c, what);
}

/* Checks a whole answer frame for job j and fills j->answer; returns 0 or -1. */
/* Copies an answer's runtime description (UTF-8 without NUL) into j; -1 if it is not. */
static int
take_runtime(struct worker_job *j, const struct wire_bytes *rt)
{
	if (!utf8_valid(rt->p, rt->len) || (rt->len > 0 && memchr(rt->p, '\0', rt->len) != NULL))
		return -1;
	if (rt->len > 0)
		memcpy(j->runtime, rt->p, rt->len);
	j->runtime[rt->len] = '\0';
	return 0;
}

static int
take_answer(struct worker_job *j, const unsigned char *p, size_t len)
{
	struct wire_result res;
	struct wire_error e;

	if (wire_decode_result(p, len, &res) == 0) {
		if (res.result.len > j->result_max || take_runtime(j, &res.runtime) != 0)
			return -1;
		if (res.result.len > 0 && (j->result = malloc(res.result.len)) == NULL)
			return -1;
		if (res.result.len > 0)
			memcpy(j->result, res.result.p, res.result.len);
		j->answer = (struct worker_answer){.status = WORKER_OK,
		                                   .result = j->result,
		                                   .result_len = res.result.len,
		                                   .cpu_us = res.cpu_us,
		                                   .count_cpu_us = res.count_cpu_us,
		                                   .peak_rss_kb = res.peak_rss_kb,
		                                   .runtime = j->runtime,
		                                   .attempts = j->answer.attempts};
		j->w->stats.ok++;
		return 0;
	}
	if (wire_decode_error(p, len, &e) != 0 || !utf8_valid(e.message.p, e.message.len) ||
	    memchr(e.message.p, '\0', e.message.len) != NULL || take_runtime(j, &e.runtime) != 0)
		return -1;
	memcpy(j->message, e.message.p, e.message.len);
	j->message[e.message.len] = '\0';
	j->answer.status = WORKER_FAILED;
	j->answer.kind = e.kind;
	j->answer.message = j->message;
	j->answer.runtime = j->runtime;
	j->w->stats.failed++;
	return 0;
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct worker_job *j = c->job;
	size_t avail = evbuffer_get_length(in), flen;
	unsigned char *p;
	int r;

	if (c->state != CONN_BUSY) {
		violation(c, "bytes with no job in flight");
		return;
	}
	p = evbuffer_pullup(in, avail < WIRE_HEADER_LEN ? -1 : WIRE_HEADER_LEN);
	if ((r = wire_frame_ready(p, avail, j->answer_max, &flen)) == 0)
		return;
	if (r < 0) {
		violation(c, "answer frame empty or too large");
		return;
	}
	if (avail > flen || evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		violation(c, "answer before the request was read, or more than one answer");
		return;
	}
	if (take_answer(j, evbuffer_pullup(in, (ssize_t)flen), flen) != 0) {
		evbuffer_drain(in, flen);
		violation(c, "malformed answer");
		return;
	}
	evbuffer_drain(in, flen);
	c->job = NULL;
	conn_set_state(c, CONN_IDLE);
	job_complete(j);
	dispatch(c->w);
}

/* ---- the public side ---- */

struct worker *
worker_new(struct event_base *base, const struct worker_opts *o)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->base = base;
	w->addr.sun_family = AF_UNIX;
	snprintf(w->addr.sun_path, sizeof(w->addr.sun_path), "%s", o->socket_path);
	w->max_conns = o->connections;
	w->retry_min_ms = w->backoff_ms = o->retry_min_ms;
	w->retry_max_ms = o->retry_max_ms;
	TAILQ_INIT(&w->conns);
	TAILQ_INIT(&w->queue);
	if ((w->ev_retry = evtimer_new(base, retry_cb, w)) == NULL) {
		free(w);
		return NULL;
	}
	dispatch(w);
	return w;
}

void
worker_free(struct worker *w)
{
	struct worker_job *j;

	if (w == NULL)
		return;
	w->closing = true;
	while (!TAILQ_EMPTY(&w->conns)) {
		struct conn *c = TAILQ_FIRST(&w->conns);
		if ((j = c->job) != NULL) {
			c->job = NULL;
			job_set_state(j, JOB_QUEUED);
			TAILQ_INSERT_TAIL(&w->queue, j, link);
		}
		conn_close(c, "shutting down");
	}
	while ((j = TAILQ_FIRST(&w->queue)) != NULL) {
		job_unavailable(j, "the server is shutting down");
		job_done_cb(-1, 0, j);
	}
	event_free(w->ev_retry);
	free(w);
}

bool
worker_ready(const struct worker *w)
{
	const struct conn *c;

	TAILQ_FOREACH(c, &w->conns, link)
	if (c->state != CONN_CONNECTING)
		return true;
	return false;
}

void
worker_get_stats(const struct worker *w, struct worker_stats *st)
{
	const struct conn *c;
	const struct worker_job *j;

	*st = w->stats;
	st->up = worker_ready(w);
	st->connections = w->nconns;
	st->queued = st->running = 0;
	TAILQ_FOREACH(j, &w->queue, link)
	st->queued++;
	TAILQ_FOREACH(c, &w->conns, link)
	st->running += c->state == CONN_BUSY;
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker_job *j = arg;

	if (j->conn != NULL) {
		struct conn *c = j->conn;
		c->job = NULL; /* closing it makes the worker kill the job's child */
		conn_close(c, "job deadline");
	}
	log_warn("count-worker job not answered within its deadline");
	job_unavailable(j, "the count-worker did not answer in time");
}

/* A job around the frame already encoded in j->frame. */
static struct worker_job *
submit(struct worker *w, struct worker_job *j, uint32_t deadline_ms, worker_cb cb, void *arg)
{
	struct timeval tv = {deadline_ms / 1000, (deadline_ms % 1000) * 1000};

	j->w = w;
	j->cb = cb;
	j->arg = arg;
	j->submitted_us = util_now_us();
	if ((j->ev_timer = evtimer_new(w->base, deadline_cb, j)) == NULL) {
		job_free(j);
		return NULL;
	}
	event_base_update_cache_time(
	    w->base); /* the deadline counts from now, not the loop's turn */
	event_add(j->ev_timer, &tv); /* JOB_QUEUED, zeroed */
	TAILQ_INSERT_TAIL(&w->queue, j, link);
	dispatch(w);
	return j;
}

struct worker_job *
worker_validate(struct worker *w, const void *src, size_t len, uint32_t deadline_ms, worker_cb cb,
                void *arg)
{
	struct worker_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->result_max = WIRE_RUNTIME_MAX;
	j->answer_max = WIRE_RUNTIME_MAX + WIRE_ERROR_MESSAGE_MAX + WIRE_ANSWER_OVERHEAD;
	if (len > UINT32_MAX ||
	    wire_encode_validate(&j->frame, src, (uint32_t)len, REQUEST_MAX) != 0) {
		job_free(j);
		return NULL;
	}
	return submit(w, j, deadline_ms, cb, arg);
}

struct worker_job *
worker_count(struct worker *w, const struct wire_count *c, uint32_t deadline_ms, worker_cb cb,
             void *arg)
{
	struct worker_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->result_max = c->limits.result_max;
	j->answer_max =
	    (size_t)c->limits.result_max + WIRE_ERROR_MESSAGE_MAX + WIRE_ANSWER_OVERHEAD;
	if (wire_encode_count(&j->frame, c, REQUEST_MAX) != 0) {
		job_free(j);
		return NULL;
	}
	return submit(w, j, deadline_ms, cb, arg);
}

void
worker_job_cancel(struct worker_job *j)
{
	if (j->state == JOB_SENT) {
		struct conn *c = j->conn;
		c->job = NULL;
		conn_close(c, "job cancelled");
	} else if (j->state == JOB_QUEUED) {
		TAILQ_REMOVE(&j->w->queue, j, link);
	}
	job_free(j);
}
