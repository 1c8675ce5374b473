/* db — a pool of non-blocking libpq connections, in pipeline mode, on one event loop.
 *
 * Every statement is prepared on every connection when it connects; queries are sent as
 * one statement per pipeline sync (each its own implicit transaction), several in flight
 * per connection. A broken connection fails its in-flight queries (DB_UNAVAILABLE) and is
 * re-established with exponential back-off; while no connection is up, queries fail at once
 * rather than wait, so the API answers 503 quickly and recovers by itself. */
#ifndef FREECOOP_DB_H
#define FREECOOP_DB_H

#include <stddef.h>

#include <event2/event.h>
#include <libpq-fe.h>

#define DB_MAX_PARAMS 24

/* A statement prepared on every connection. sql uses $n parameters only.
 *
 * A batched statement (batched = 1) serves many requests at once: each parameter is an
 * array with one element per request, in the order the requests were made — written
 * $n::bytea[] in sql for a binary parameter, $n::text[] for a text one (the arrays travel
 * in binary and must match) — to be read with unnest(...) WITH ORDINALITY; each result row
 * starts with the 1-based ordinal of the request it answers (see db_query_batched). */
struct db_stmt {
	const char *sql;
	int nparams;
	int batched;
	int binary_results; /* columns come in binary format (e.g. bytea as raw bytes) */
};

enum db_status {
	DB_OK,          /* res holds the command's result */
	DB_UNAVAILABLE, /* no connection, or it broke: the statement may or may not have run */
	DB_TIMEOUT,     /* over db_query_timeout_ms (queued or running) */
	DB_FAILED,      /* the statement raised an error; res and sqlstate say which */
};

struct db_result {
	enum db_status status;
	const PGresult *res;  /* DB_OK and DB_FAILED; borrowed, valid during the callback */
	const char *sqlstate; /* DB_FAILED: the SQLSTATE; otherwise "" */
	PGresult **slot;      /* where the pool keeps res (see db_result_take); may be NULL */
};

/* Takes res out of a callback's result: the caller owns it (PQclear) and the pool no
 * longer frees it. Returns NULL when the result cannot be taken (a batched statement's). */
PGresult *db_result_take(const struct db_result *r);

typedef void (*db_cb)(const struct db_result *r, void *arg);

/* One parameter: text (binary = 0, length ignored, NUL-terminated) or binary bytes. A NULL
 * value is SQL NULL. The pool copies parameters; they need not outlive db_query. */
struct db_param {
	const void *value;
	int length;
	int binary;
};

static inline struct db_param
db_text(const char *s)
{
	return (struct db_param){s, 0, 0};
}

static inline struct db_param
db_bytes(const void *p, int len)
{
	return (struct db_param){p, len, 1};
}

struct db_opts {
	int pool_size;
	int query_timeout_ms;
	int reconnect_min_ms;
	int reconnect_max_ms;
	int queue_max;
	int pipeline_depth; /* queries in flight on one connection */
};

struct db_stats {
	int size, ready, connecting, down; /* connections by state */
	int in_flight, queued;
	unsigned long long queries, failed_unavailable, failed_timeout, reconnects;
	unsigned long long batches, batched_requests;
};

struct db_pool;

/* Creates a pool that starts connecting at once. stmts[0..nstmts) are prepared on each
 * connection and must outlive the pool. Returns NULL on allocation failure. */
struct db_pool *db_pool_new(struct event_base *base, const char *conninfo,
			    const struct db_opts *opts, const struct db_stmt *const *stmts,
			    size_t nstmts);

/* Closes every connection and frees the pool. Queries still pending fail with
 * DB_UNAVAILABLE, their callbacks running inside this call (queries they start fail too),
 * so that nothing waiting on them leaks. Call it once the event loop has stopped; NULL is
 * a no-op. */
void db_pool_free(struct db_pool *pool);

/* Runs stmt (one of the pool's statements) with params[0..stmt->nparams). cb always runs
 * later from the event loop, never from inside db_query, exactly once. */
void db_query(struct db_pool *pool, const struct db_stmt *stmt, const struct db_param *params,
	      db_cb cb, void *arg);

/* Called once per request of a batched statement: row is the row of r->res that answers
 * it, or -1 if no row does (or r->status is not DB_OK). */
typedef void (*db_batch_cb)(const struct db_result *r, int row, void *arg);

/* Queues one request of a batched statement: params[0..stmt->nparams) are its elements of
 * the statement's arrays (copied; each parameter always text, or always binary). Requests
 * made in the same turn of the event loop, or while earlier batches of the statement run,
 * go to the database as one statement, one round trip and (for writes) one commit. cb
 * runs later, exactly once — or at once, with DB_UNAVAILABLE, if memory ran out. */
void db_query_batched(struct db_pool *pool, const struct db_stmt *stmt,
		      const struct db_param *params, db_batch_cb cb, void *arg);

/* Called with each notification's payload on the pool's channel, and with payload NULL when
 * the pool starts (listening 1) or stops (0) receiving them: it starts anew after every
 * reconnection, and notifications made while it was not listening are lost. */
typedef void (*db_notify_cb)(void *arg, const char *payload, int listening);

/* Makes the pool's first connection LISTEN on channel (a plain identifier) from its next
 * (re)connection on; at most DB_MAX_LISTEN channels. Call it before the event loop runs.
 * Returns 0, or -1 when there are too many. */
#define DB_MAX_LISTEN 4
int db_pool_listen(struct db_pool *pool, const char *channel, db_notify_cb cb, void *arg);

/* Current connection and queue figures. */
void db_pool_stats(const struct db_pool *pool, struct db_stats *st);

/* Whether at least one connection is up and prepared. */
int db_pool_ready(const struct db_pool *pool);

#endif
