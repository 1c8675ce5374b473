/* db — pipelined libpq connections driven by libevent.
 *
 * Each connection goes DOWN → CONNECTING → PREPARING → READY, and back to DOWN when it
 * breaks (conn_set_state makes every transition). Queries wait in the pool's queue until a
 * READY connection has room, then join that connection's in-flight list, whose order is the
 * order of the results. Callbacks never run from inside libpq processing: finished queries
 * go to the pool's done list and a deferred event delivers them, so a callback may start
 * new queries freely. A 100 ms tick enforces deadlines and starts reconnections. */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "db.h"
#include "fsm.h"
#include "log.h"
#include "util.h"

#define TICK_MS 100

struct batch;

struct query {
	TAILQ_ENTRY(query) link;
	const struct db_stmt *stmt;
	int stmt_idx;  /* the statement's index in the pool, which names it "s<idx>" */
	int internal;  /* a PREPARE (or the LISTEN) sent while connecting, with no callback */
	int direct;    /* sent as its SQL text, not prepared: the LISTEN */
	db_cb cb;
	void *arg;
	uint64_t deadline_us;
	enum db_status status;
	PGresult *res;
	int nparams;
	const char *values[DB_MAX_PARAMS];
	int lengths[DB_MAX_PARAMS];
	int formats[DB_MAX_PARAMS];
	char data[]; /* copies of the parameters */
};

TAILQ_HEAD(query_list, query);

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_PREPARING, CONN_READY };

struct conn {
	struct db_pool *pool;
	int idx;
	enum conn_state state;
	PGconn *pg;
	struct event *ev_read;  /* persistent while connected */
	struct event *ev_write; /* one-shot: connecting, or flushing */
	struct query_list in_flight;
	int n_in_flight;
	int backoff_ms;
	uint64_t retry_at_us;   /* CONN_DOWN: when to connect again */
	uint64_t started_us;    /* CONN_CONNECTING: when the attempt began */
};

/* One channel listened to, and who hears it. */
struct listener {
	char channel[64];
	char sql[96]; /* LISTEN "<channel>" */
	struct db_stmt stmt;
	db_notify_cb cb;
	void *arg;
};

struct db_pool {
	struct event_base *base;
	char *conninfo;
	char options[256];
	struct db_opts opts;
	const struct db_stmt *const *stmts;
	size_t nstmts;
	struct conn *conns;
	struct query_list queue;
	int n_queued;
	struct query_list done;
	struct event *ev_deliver;
	struct event *ev_tick;
	int n_ready;
	int ever_failed; /* a connection attempt failed since the last success */
	int closing;     /* db_pool_free is failing what is left */
	struct batch **batches; /* per statement; NULL unless it is batched */
	struct event *ev_flush;
	unsigned long long queries, failed_unavailable, failed_timeout, reconnects;
	unsigned long long batches_sent, batched_requests;
	/* Notifications (db_pool_listen): connection 0 listens on every channel. */
	struct listener listeners[DB_MAX_LISTEN];
	int nlisteners;
	int listening;
};

/* At most this many batches of one statement run at once; requests arriving meanwhile
 * wait for one to finish and then go together. Measured on the 2-core bench machine:
 * 1 left PostgreSQL idle between batches, more than 2 made smaller, costlier batches. */
#define BATCH_IN_FLIGHT 2
/* A binary array's header: dimensions, flags, element type, length, lower bound. */
#define ARRAY_HEADER 20
#define OID_BYTEA 17
#define OID_TEXT 25

struct batch_item {
	db_batch_cb cb;
	void *arg;
};

/* One parameter of a batch: the bytes of a binary one-dimensional array, its header
 * written when the batch is sent, then each element as a big-endian length (-1: NULL)
 * and its bytes. */
struct batch_array {
	unsigned char *p;
	size_t len, cap;
	int binary; /* bytea elements; otherwise text */
};

/* Requests of one batched statement gathered since its last batch was sent. */
struct batch {
	const struct db_stmt *stmt;
	int n, cap;
	int in_flight; /* batches of this statement sent and not yet answered */
	struct batch_item *items;
	struct batch_array arrays[DB_MAX_PARAMS];
};

/* One batch sent: the callbacks to fan the result out to. */
struct batch_flight {
	struct db_pool *pool;
	struct batch *b;
	int n;
	struct batch_item items[];
};

static void conn_connect(struct conn *c);
static void conn_fail(struct conn *c, const char *why);
static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static void pool_dispatch(struct db_pool *pool);
static void flush_cb(evutil_socket_t fd, short what, void *arg);
static void batch_free(struct batch *b);

static const char *const state_names[] = {"down", "connecting", "preparing", "ready"};

/* From a row's state to a column's: a connection is made, prepared, used, and may break
 * at any step. */
static const unsigned char conn_moves[4][4] = {
	/*               down connecting preparing ready */
	/* down */       {0, 1, 0, 0},
	/* connecting */ {1, 0, 1, 0},
	/* preparing */  {1, 0, 0, 1},
	/* ready */      {1, 0, 0, 0},
};
static const struct fsm conn_fsm = {"database connection", 4, state_names, &conn_moves[0][0]};

/* The one place a connection changes state; keeps the pool's ready count in step. */
static void
conn_set_state(struct conn *c, enum conn_state next)
{
	char who[16];

	if (next == c->state)
		return;
	snprintf(who, sizeof(who), "%d", c->idx);
	fsm_allowed(&conn_fsm, (int)c->state, (int)next, who);
	if (c->state == CONN_READY)
		c->pool->n_ready--;
	if (next == CONN_READY)
		c->pool->n_ready++;
	log_debug("database connection %d: %s -> %s", c->idx, state_names[c->state],
		  state_names[next]);
	c->state = next;
}

/* Moves q to the done list with status; the deliver event runs its callback. */
static void
query_finish(struct db_pool *pool, struct query *q, enum db_status status)
{
	q->status = status;
	if (status == DB_UNAVAILABLE)
		pool->failed_unavailable++;
	else if (status == DB_TIMEOUT)
		pool->failed_timeout++;
	TAILQ_INSERT_TAIL(&pool->done, q, link);
	event_active(pool->ev_deliver, EV_TIMEOUT, 0);
}

static void
deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_pool *pool = arg;
	struct query_list batch = TAILQ_HEAD_INITIALIZER(batch);
	struct query *q;

	/* Take the whole list first: callbacks may finish more queries. */
	TAILQ_CONCAT(&batch, &pool->done, link);
	while ((q = TAILQ_FIRST(&batch)) != NULL) {
		struct db_result r = {q->status, q->res, "", &q->res};
		TAILQ_REMOVE(&batch, q, link);
		if (q->status == DB_FAILED && q->res != NULL) {
			const char *s = PQresultErrorField(q->res, PG_DIAG_SQLSTATE);
			r.sqlstate = s != NULL ? s : "";
		}
		if (q->cb != NULL)
			q->cb(&r, q->arg);
		PQclear(q->res);
		free(q);
	}
}

static struct query *
query_new(const struct db_stmt *stmt, int idx, const struct db_param *params)
{
	size_t size = 0;
	struct query *q;
	char *p;

	for (int i = 0; params != NULL && i < stmt->nparams; i++) {
		if (params[i].value != NULL)
			size += params[i].binary ? (size_t)params[i].length
						 : strlen(params[i].value) + 1;
	}
	if ((q = calloc(1, sizeof(*q) + size)) == NULL)
		return NULL;
	q->stmt = stmt;
	q->stmt_idx = idx;
	q->nparams = stmt->nparams;
	p = q->data;
	for (int i = 0; params != NULL && i < stmt->nparams; i++) {
		size_t n;
		if (params[i].value == NULL)
			continue;
		n = params[i].binary ? (size_t)params[i].length : strlen(params[i].value) + 1;
		memcpy(p, params[i].value, n);
		q->values[i] = p;
		q->lengths[i] = (int)n;
		q->formats[i] = params[i].binary ? 1 : 0;
		p += n;
	}
	return q;
}

/* Flushes libpq's output buffer; waits for writability if it could not finish. */
static int
conn_flush(struct conn *c)
{
	int r = PQflush(c->pg);

	if (r < 0)
		return -1;
	if (r > 0)
		event_add(c->ev_write, NULL);
	return 0;
}

/* Sends q on c and appends it to the in-flight list; returns 0 or -1 if c is broken. */
static int
conn_send(struct conn *c, struct query *q)
{
	char name[16];
	int ok;

	snprintf(name, sizeof(name), "s%d", q->stmt_idx);
	if (q->direct)
		ok = PQsendQueryParams(c->pg, q->stmt->sql, 0, NULL, NULL, NULL, NULL, 0);
	else if (q->internal)
		ok = PQsendPrepare(c->pg, name, q->stmt->sql, 0, NULL);
	else
		ok = PQsendQueryPrepared(c->pg, name, q->nparams, q->values, q->lengths,
					 q->formats, q->stmt->binary_results ? 1 : 0);
	if (!ok || !PQpipelineSync(c->pg))
		return -1;
	TAILQ_INSERT_TAIL(&c->in_flight, q, link);
	c->n_in_flight++;
	return conn_flush(c);
}

static void
conn_close(struct conn *c)
{
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	c->ev_read = c->ev_write = NULL;
	PQfinish(c->pg);
	c->pg = NULL;
}

/* Fails what was in flight on a closed connection: DB_UNAVAILABLE (it may or may not have
 * run), or DB_TIMEOUT for the query that timed out. */
static void
conn_drop_in_flight(struct conn *c)
{
	struct query *q;

	while ((q = TAILQ_FIRST(&c->in_flight)) != NULL) {
		TAILQ_REMOVE(&c->in_flight, q, link);
		if (q->internal) {
			PQclear(q->res);
			free(q);
		} else {
			query_finish(c->pool, q,
				     q->status == DB_TIMEOUT ? DB_TIMEOUT : DB_UNAVAILABLE);
		}
	}
	c->n_in_flight = 0;
}

/* Closes c after an error, fails what was in flight, and schedules a reconnection. */
static void
conn_fail(struct conn *c, const char *why)
{
	struct db_pool *pool = c->pool;
	struct query *q;
	unsigned jitter;
	char reason[256];
	size_t n;

	snprintf(reason, sizeof(reason), "%s", why);
	n = strlen(reason);
	while (n > 0 && (reason[n - 1] == '\n' || reason[n - 1] == ' '))
		reason[--n] = '\0';
	log_warn("database connection %d %s: %s", c->idx,
		 c->state == CONN_CONNECTING ? "could not connect" : "lost", reason);
	conn_close(c);
	conn_drop_in_flight(c);
	conn_set_state(c, CONN_DOWN);
	pool->ever_failed = 1;
	if (c->idx == 0 && pool->listening) {
		pool->listening = 0;
		for (int i = 0; i < pool->nlisteners; i++)
			pool->listeners[i].cb(pool->listeners[i].arg, NULL, 0);
	}
	util_random(&jitter, sizeof(jitter));
	c->retry_at_us = util_now_us() + (uint64_t)c->backoff_ms * 1000u +
			 jitter % ((unsigned)c->backoff_ms * 250u + 1);
	c->backoff_ms = c->backoff_ms * 2 > pool->opts.reconnect_max_ms
				? pool->opts.reconnect_max_ms
				: c->backoff_ms * 2;
	if (pool->n_ready == 0) {
		/* Nothing can serve the queue now: fail it rather than let it wait. */
		while ((q = TAILQ_FIRST(&pool->queue)) != NULL) {
			TAILQ_REMOVE(&pool->queue, q, link);
			pool->n_queued--;
			query_finish(pool, q, DB_UNAVAILABLE);
		}
	}
}

/* Maps one result of the head query onto it. */
static void
conn_take_result(struct conn *c, struct query *q, PGresult *res)
{
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
		q->status = DB_OK;
		break;
	default: {
		const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		/* 57014: statement timeout; classes 08, 57, 53: the server, not the query */
		if (s != NULL && strcmp(s, "57014") == 0)
			q->status = DB_TIMEOUT;
		else if (s != NULL && (strncmp(s, "08", 2) == 0 || strncmp(s, "57", 2) == 0 ||
				       strncmp(s, "53", 2) == 0))
			q->status = DB_UNAVAILABLE;
		else
			q->status = DB_FAILED;
		if (q->internal)
			log_error("could not prepare statement: %s", PQresultErrorMessage(res));
	}
	}
	if (q->res == NULL)
		q->res = res;
	else
		PQclear(res);
}

/* Completes the head query of c at its pipeline sync point. */
static void
conn_complete_head(struct conn *c, int *prepare_failed)
{
	struct query *q = TAILQ_FIRST(&c->in_flight);

	TAILQ_REMOVE(&c->in_flight, q, link);
	c->n_in_flight--;
	if (q->internal) {
		if (q->status != DB_OK)
			*prepare_failed = 1;
		PQclear(q->res);
		free(q);
		return;
	}
	query_finish(c->pool, q, q->status);
}

/* Reads every result that has arrived; returns 0, or -1 if the connection broke. */
static int
conn_read_results(struct conn *c, int *prepare_failed)
{
	int nulls = 0;

	if (!PQconsumeInput(c->pg))
		return -1;
	while (!TAILQ_EMPTY(&c->in_flight) && !PQisBusy(c->pg)) {
		struct query *q = TAILQ_FIRST(&c->in_flight);
		PGresult *res = PQgetResult(c->pg);

		if (res == NULL) {
			/* End of one query's results; two in a row means nothing more now. */
			if (++nulls > 1)
				break;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			conn_complete_head(c, prepare_failed);
		} else if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED) {
			q->status = DB_FAILED;
			PQclear(res);
		} else {
			conn_take_result(c, q, res);
		}
	}
	return PQstatus(c->pg) == CONNECTION_BAD ? -1 : 0;
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	int prepare_failed = 0;
	PGnotify *n;

	struct db_pool *pool = c->pool;

	if (conn_read_results(c, &prepare_failed) != 0) {
		conn_fail(c, PQerrorMessage(c->pg));
		return;
	}
	if (prepare_failed) {
		conn_fail(c, "statements could not be prepared (is the schema current?)");
		return;
	}
	if (c->state == CONN_PREPARING && c->n_in_flight == 0) {
		conn_set_state(c, CONN_READY);
		c->backoff_ms = pool->opts.reconnect_min_ms;
		pool->ever_failed = 0;
		log_info("database connection %d ready", c->idx);
		if (c->idx == 0 && pool->nlisteners > 0) {
			pool->listening = 1;
			for (int i = 0; i < pool->nlisteners; i++)
				pool->listeners[i].cb(pool->listeners[i].arg, NULL, 1);
		}
	}
	/* Notifications arrive only once the LISTENs are done: connection 0 ready. */
	while ((n = PQnotifies(c->pg)) != NULL) {
		for (int i = 0; c->idx == 0 && pool->listening && i < pool->nlisteners; i++)
			if (strcmp(n->relname, pool->listeners[i].channel) == 0)
				pool->listeners[i].cb(pool->listeners[i].arg, n->extra, 1);
		PQfreemem(n);
	}
	pool_dispatch(pool);
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (conn_flush(c) != 0)
		conn_fail(c, PQerrorMessage(c->pg));
}

/* Connected: switch to non-blocking pipeline mode and prepare every statement. */
static void
conn_start_preparing(struct conn *c)
{
	struct db_pool *pool = c->pool;
	evutil_socket_t fd = PQsocket(c->pg);

	if (c->ev_write != NULL)
		event_free(c->ev_write);
	c->ev_read = event_new(pool->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	c->ev_write = event_new(pool->base, fd, EV_WRITE, conn_write_cb, c);
	if (c->ev_read == NULL || c->ev_write == NULL || PQsetnonblocking(c->pg, 1) != 0 ||
	    PQenterPipelineMode(c->pg) != 1) {
		conn_fail(c, "could not enter pipeline mode");
		return;
	}
	event_add(c->ev_read, NULL);
	conn_set_state(c, CONN_PREPARING);
	for (size_t i = 0; i < pool->nstmts; i++) {
		struct query *q = query_new(pool->stmts[i], (int)i, NULL);
		if (q != NULL)
			q->internal = 1;
		if (q == NULL || conn_send(c, q) != 0) {
			if (q != NULL && TAILQ_LAST(&c->in_flight, query_list) != q)
				free(q);
			conn_fail(c, "could not send statements to prepare");
			return;
		}
	}
	/* The listening connection says so in pg_stat_activity, and LISTENs. */
	for (int i = -1; c->idx == 0 && pool->nlisteners > 0 && i < pool->nlisteners; i++) {
		static const struct db_stmt named = {
			.sql = "SELECT set_config('application_name', "
			       "'freecoop-api-server (listening)', false)"};
		struct query *q = query_new(i < 0 ? &named : &pool->listeners[i].stmt, -1, NULL);
		if (q != NULL)
			q->internal = q->direct = 1;
		if (q == NULL || conn_send(c, q) != 0) {
			if (q != NULL && TAILQ_LAST(&c->in_flight, query_list) != q)
				free(q);
			conn_fail(c, "could not send LISTEN");
			return;
		}
	}
}

static void
conn_poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	short wait;

	switch (PQconnectPoll(c->pg)) {
	case PGRES_POLLING_OK:
		conn_start_preparing(c);
		return;
	case PGRES_POLLING_READING:
		wait = EV_READ;
		break;
	case PGRES_POLLING_WRITING:
		wait = EV_WRITE;
		break;
	default:
		conn_fail(c, PQerrorMessage(c->pg));
		return;
	}
	/* The socket may change between rounds (e.g. trying another address). */
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	c->ev_write = event_new(c->pool->base, PQsocket(c->pg), wait, conn_poll_cb, c);
	if (c->ev_write == NULL) {
		conn_fail(c, "out of memory");
		return;
	}
	event_add(c->ev_write, NULL);
}

static void
conn_connect(struct conn *c)
{
	struct db_pool *pool = c->pool;
	const char *const kw[] = {"dbname", "application_name", "options", NULL};
	const char *const val[] = {pool->conninfo, "freecoop-api-server", pool->options, NULL};

	conn_set_state(c, CONN_CONNECTING);
	c->started_us = util_now_us();
	c->pg = PQconnectStartParams(kw, val, 1);
	if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
		conn_fail(c, c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory");
		return;
	}
	pool->reconnects++;
	conn_poll_cb(-1, 0, c);
}

static struct conn *
pool_pick(struct db_pool *pool)
{
	struct conn *best = NULL;

	for (int i = 0; i < pool->opts.pool_size; i++) {
		struct conn *c = &pool->conns[i];
		if (c->state != CONN_READY || c->n_in_flight >= pool->opts.pipeline_depth)
			continue;
		if (best == NULL || c->n_in_flight < best->n_in_flight)
			best = c;
	}
	return best;
}

static void
pool_dispatch(struct db_pool *pool)
{
	struct query *q;
	struct conn *c;

	while ((q = TAILQ_FIRST(&pool->queue)) != NULL && (c = pool_pick(pool)) != NULL) {
		TAILQ_REMOVE(&pool->queue, q, link);
		pool->n_queued--;
		if (conn_send(c, q) != 0) {
			if (TAILQ_LAST(&c->in_flight, query_list) != q) {
				TAILQ_INSERT_HEAD(&pool->queue, q, link);
				pool->n_queued++;
			}
			conn_fail(c, PQerrorMessage(c->pg));
		}
	}
}

/* Deadlines of queued and in-flight queries, stuck connection attempts, reconnections,
 * and batches that could not be sent for lack of memory (tried again). */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_pool *pool = arg;
	uint64_t now = util_now_us();
	struct query *q;

	flush_cb(-1, 0, pool);
	while ((q = TAILQ_FIRST(&pool->queue)) != NULL && q->deadline_us <= now) {
		TAILQ_REMOVE(&pool->queue, q, link);
		pool->n_queued--;
		query_finish(pool, q, DB_TIMEOUT);
	}
	for (int i = 0; i < pool->opts.pool_size; i++) {
		struct conn *c = &pool->conns[i];
		uint64_t limit = (uint64_t)pool->opts.query_timeout_ms * 1000u;

		if (c->state == CONN_DOWN && c->retry_at_us <= now) {
			conn_connect(c);
		} else if (c->state == CONN_CONNECTING && now - c->started_us > limit) {
			conn_fail(c, "timed out connecting");
		} else if ((q = TAILQ_FIRST(&c->in_flight)) != NULL && !q->internal &&
			   q->deadline_us + 1000000u <= now) {
			/* The server's statement_timeout should have fired a second ago. */
			q->status = DB_TIMEOUT;
			conn_fail(c, "query timed out without an answer");
		}
	}
}

struct db_pool *
db_pool_new(struct event_base *base, const char *conninfo, const struct db_opts *opts,
	    const struct db_stmt *const *stmts, size_t nstmts)
{
	struct timeval tick = {0, TICK_MS * 1000};
	struct db_pool *pool;

	if ((pool = calloc(1, sizeof(*pool))) == NULL)
		return NULL;
	pool->base = base;
	pool->opts = *opts;
	pool->stmts = stmts;
	pool->nstmts = nstmts;
	TAILQ_INIT(&pool->queue);
	TAILQ_INIT(&pool->done);
	/* The server's statements are all key lookups and small writes, written as index
	 * probes (batches resolve each key in a LATERAL subquery). Its sessions use generic
	 * plans only (custom plans for a batch whose size the planner can see cost a full
	 * planning per execution), and forbid sequential scans and hash and merge joins unless
	 * nothing else can run the statement: a plan made while a table was nearly empty would
	 * otherwise stay cached, scanning the table once it has grown, until the next ANALYZE,
	 * which may be a minute or more after a burst of inserts. A scan that is the only way
 * (the claim of service events reads every endpoint) then carries the planner's penalty
 * for a disabled plan, which would make it compile the query to machine code (JIT) on
 * every run, 200 ms for a 1 ms statement: JIT is off. */
	snprintf(pool->options, sizeof(pool->options),
		 "-c statement_timeout=%d -c plan_cache_mode=force_generic_plan "
		 "-c enable_seqscan=off -c enable_hashjoin=off -c enable_mergejoin=off -c jit=off",
		 opts->query_timeout_ms);
	pool->conninfo = strdup(conninfo);
	pool->conns = calloc((size_t)opts->pool_size, sizeof(*pool->conns));
	pool->ev_deliver = event_new(base, -1, 0, deliver_cb, pool);
	pool->ev_tick = event_new(base, -1, EV_PERSIST, tick_cb, pool);
	pool->ev_flush = event_new(base, -1, 0, flush_cb, pool);
	pool->batches = calloc(nstmts, sizeof(*pool->batches));
	if (pool->conninfo == NULL || pool->conns == NULL || pool->ev_deliver == NULL ||
	    pool->ev_tick == NULL || pool->ev_flush == NULL || pool->batches == NULL) {
		db_pool_free(pool);
		return NULL;
	}
	for (size_t i = 0; i < nstmts; i++) {
		if (!stmts[i]->batched)
			continue;
		if (stmts[i]->nparams > DB_MAX_PARAMS ||
		    (pool->batches[i] = calloc(1, sizeof(struct batch))) == NULL) {
			db_pool_free(pool);
			return NULL;
		}
		pool->batches[i]->stmt = stmts[i];
	}
	event_add(pool->ev_tick, &tick);
	for (int i = 0; i < opts->pool_size; i++) {
		struct conn *c = &pool->conns[i];
		c->pool = pool;
		c->idx = i;
		c->backoff_ms = opts->reconnect_min_ms;
		TAILQ_INIT(&c->in_flight);
		conn_connect(c);
	}
	return pool;
}

/* Fails everything still pending with DB_UNAVAILABLE and runs the callbacks now, until
 * none is left (a callback may queue another query, which fails at once). */
static void
pool_fail_all(struct db_pool *pool)
{
	struct query *q;

	pool->closing = 1;
	for (int i = 0; pool->conns != NULL && i < pool->opts.pool_size; i++) {
		conn_close(&pool->conns[i]);
		conn_drop_in_flight(&pool->conns[i]);
	}
	while ((q = TAILQ_FIRST(&pool->queue)) != NULL) {
		TAILQ_REMOVE(&pool->queue, q, link);
		query_finish(pool, q, DB_UNAVAILABLE);
	}
	flush_cb(-1, 0, pool);
	while (!TAILQ_EMPTY(&pool->done))
		deliver_cb(-1, 0, pool);
}

void
db_pool_free(struct db_pool *pool)
{
	if (pool == NULL)
		return;
	if (pool->ev_deliver != NULL && pool->batches != NULL)
		pool_fail_all(pool);
	for (size_t i = 0; pool->batches != NULL && i < pool->nstmts; i++)
		batch_free(pool->batches[i]);
	free(pool->batches);
	if (pool->ev_flush != NULL)
		event_free(pool->ev_flush);
	if (pool->ev_deliver != NULL)
		event_free(pool->ev_deliver);
	if (pool->ev_tick != NULL)
		event_free(pool->ev_tick);
	free(pool->conns);
	free(pool->conninfo);
	free(pool);
}

int
db_pool_listen(struct db_pool *pool, const char *channel, db_notify_cb cb, void *arg)
{
	struct listener *l;

	if (pool->nlisteners == DB_MAX_LISTEN)
		return -1;
	l = &pool->listeners[pool->nlisteners++];
	snprintf(l->channel, sizeof(l->channel), "%s", channel);
	snprintf(l->sql, sizeof(l->sql), "LISTEN \"%.63s\"", channel);
	l->stmt.sql = l->sql;
	l->cb = cb;
	l->arg = arg;
	return 0;
}

void
db_query(struct db_pool *pool, const struct db_stmt *stmt, const struct db_param *params,
	 db_cb cb, void *arg)
{
	struct query *q;
	int idx = -1;

	for (size_t i = 0; i < pool->nstmts; i++)
		if (pool->stmts[i] == stmt)
			idx = (int)i;
	if (idx < 0 || stmt->nparams > DB_MAX_PARAMS ||
	    (q = query_new(stmt, idx, params)) == NULL) {
		/* A programming error or no memory: still answer through the loop. */
		static const struct db_stmt none = {.sql = ""};
		log_error("could not queue a database query (statement %d)", idx);
		if ((q = query_new(&none, 0, NULL)) == NULL)
			abort();
		q->cb = cb;
		q->arg = arg;
		query_finish(pool, q, DB_UNAVAILABLE);
		return;
	}
	q->cb = cb;
	q->arg = arg;
	q->deadline_us = util_now_us() + (uint64_t)pool->opts.query_timeout_ms * 1000u;
	pool->queries++;
	if ((pool->n_ready == 0 && pool->ever_failed) || pool->n_queued >= pool->opts.queue_max ||
	    pool->closing) {
		query_finish(pool, q, DB_UNAVAILABLE);
		return;
	}
	TAILQ_INSERT_TAIL(&pool->queue, q, link);
	pool->n_queued++;
	pool_dispatch(pool);
}

PGresult *
db_result_take(const struct db_result *r)
{
	PGresult *res = r->slot != NULL ? *r->slot : NULL;

	if (r->slot != NULL)
		*r->slot = NULL;
	return res;
}

void
db_pool_stats(const struct db_pool *pool, struct db_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = pool->opts.pool_size;
	for (int i = 0; i < pool->opts.pool_size; i++) {
		const struct conn *c = &pool->conns[i];
		if (c->state == CONN_READY)
			st->ready++;
		else if (c->state == CONN_DOWN)
			st->down++;
		else
			st->connecting++;
		st->in_flight += c->n_in_flight;
	}
	st->queued = pool->n_queued;
	st->queries = pool->queries;
	st->failed_unavailable = pool->failed_unavailable;
	st->failed_timeout = pool->failed_timeout;
	st->reconnects = pool->reconnects;
	st->batches = pool->batches_sent;
	st->batched_requests = pool->batched_requests;
}

int
db_pool_ready(const struct db_pool *pool)
{
	return pool->n_ready > 0;
}

static void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	for (int i = 0; i < DB_MAX_PARAMS; i++)
		free(b->arrays[i].p);
	free(b->items);
	free(b);
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Appends one element (NULL when value is NULL) to a batch's array; -1 without memory. */
static int
array_put(struct batch_array *a, const struct db_param *v)
{
	size_t n = v->value == NULL ? 0 : v->binary ? (size_t)v->length : strlen(v->value);
	size_t need = (a->len == 0 ? ARRAY_HEADER : a->len) + 4 + n;

	if (need > a->cap) {
		size_t cap = a->cap == 0 ? 4096 : a->cap;
		unsigned char *p;
		while (cap < need)
			cap *= 2;
		if ((p = realloc(a->p, cap)) == NULL)
			return -1;
		a->p = p;
		a->cap = cap;
	}
	if (a->len == 0) {
		a->len = ARRAY_HEADER;
		a->binary = v->binary;
	}
	put_u32(a->p + a->len, v->value == NULL ? 0xffffffffu : (uint32_t)n);
	if (n > 0)
		memcpy(a->p + a->len + 4, v->value, n);
	a->len += 4 + n;
	return 0;
}

/* Fans the result of one batch out to its requests by the ordinal in column 0. */
static void batch_send(struct db_pool *pool, struct batch *b);

static void
batch_done_cb(const struct db_result *r, void *arg)
{
	struct batch_flight *f = arg;
	struct db_pool *pool = f->pool;
	int *row_of = NULL;

	/* What gathered while this one ran goes now, as one batch. */
	f->b->in_flight--;
	batch_send(pool, f->b);

	if (r->status == DB_OK && (row_of = malloc((size_t)f->n * sizeof(int))) != NULL) {
		for (int i = 0; i < f->n; i++)
			row_of[i] = -1;
		for (int row = 0; row < PQntuples(r->res); row++) {
			int i = atoi(PQgetvalue(r->res, row, 0)) - 1;
			if (i >= 0 && i < f->n)
				row_of[i] = row;
		}
	}
	for (int i = 0; i < f->n; i++) {
		struct db_result one = *r;

		one.slot = NULL; /* shared by the batch: nobody takes it */
		if (r->status == DB_OK && row_of == NULL)
			one.status = DB_UNAVAILABLE; /* out of memory: fail, don't guess */
		f->items[i].cb(&one, row_of != NULL ? row_of[i] : -1, f->items[i].arg);
	}
	free(row_of);
	free(f);
}

static void
batch_send(struct db_pool *pool, struct batch *b)
{
	struct db_param params[DB_MAX_PARAMS];
	struct batch_flight *f;

	if (b->n == 0 || (b->in_flight >= BATCH_IN_FLIGHT && !pool->closing))
		return;
	if ((f = malloc(sizeof(*f) + (size_t)b->n * sizeof(struct batch_item))) == NULL) {
		/* No memory: the requests stay gathered; the next send, or the tick, tries
		 * again. */
		log_error("could not send a batch of %d requests: out of memory", b->n);
		return;
	}
	f->b = b;
	f->pool = pool;
	f->n = b->n;
	b->in_flight++;
	memcpy(f->items, b->items, (size_t)b->n * sizeof(struct batch_item));
	for (int i = 0; i < b->stmt->nparams; i++) {
		struct batch_array *a = &b->arrays[i];
		put_u32(a->p, 1);
		put_u32(a->p + 4, 1); /* may hold NULLs */
		put_u32(a->p + 8, a->binary ? OID_BYTEA : OID_TEXT);
		put_u32(a->p + 12, (uint32_t)b->n);
		put_u32(a->p + 16, 1);
		params[i] = db_bytes(a->p, (int)a->len);
		a->len = 0;
	}
	pool->batches_sent++;
	pool->batched_requests += (unsigned long long)b->n;
	b->n = 0;
	db_query(pool, b->stmt, params, batch_done_cb, f);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_pool *pool = arg;

	for (size_t i = 0; i < pool->nstmts; i++)
		if (pool->batches[i] != NULL)
			batch_send(pool, pool->batches[i]);
}

/* Makes room for one more request in b; -1 without memory. */
static int
batch_reserve(struct batch *b)
{
	struct batch_item *items;
	int cap;

	if (b->n < b->cap)
		return 0;
	cap = b->cap == 0 ? 64 : 2 * b->cap;
	if ((items = realloc(b->items, (size_t)cap * sizeof(*items))) == NULL)
		return -1;
	b->items = items;
	b->cap = cap;
	return 0;
}

void
db_query_batched(struct db_pool *pool, const struct db_stmt *stmt, const struct db_param *params,
		 db_batch_cb cb, void *arg)
{
	struct batch *b = NULL;
	size_t len[DB_MAX_PARAMS];
	int i;

	for (size_t k = 0; k < pool->nstmts; k++)
		if (pool->stmts[k] == stmt)
			b = pool->batches[k];
	if (b == NULL)
		abort(); /* not a batched statement of this pool: a programming error */
	for (i = 0; i < stmt->nparams; i++)
		len[i] = b->arrays[i].len;
	if (batch_reserve(b) == 0) {
		for (i = 0; i < stmt->nparams; i++)
			if (array_put(&b->arrays[i], &params[i]) != 0)
				break;
	}
	if (b->n >= b->cap || i < stmt->nparams) {
		/* No memory. The arrays are restored, and this request alone fails: from
		 * here, as nothing else can be relied on now. */
		struct db_result r = {DB_UNAVAILABLE, NULL, "", NULL};
		for (i = 0; i < stmt->nparams; i++)
			b->arrays[i].len = len[i];
		log_error("could not queue a batched query: out of memory");
		cb(&r, -1, arg);
		return;
	}
	b->items[b->n].cb = cb;
	b->items[b->n].arg = arg;
	b->n++;
	event_active(pool->ev_flush, EV_TIMEOUT, 0);
}
