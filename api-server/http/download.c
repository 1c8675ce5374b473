/* download — a result document streamed a chunk at a time (see the header).
 *
 * A stream alternates between two waits: for a chunk from the database (reading), then
 * for that chunk to be written out (req_stream_write's callback), and only then reads the
 * next. The status line waits for the first chunk, so that a database that fails at once
 * gets its 503 rather than a 200 cut short. A chunk goes from libpq's result to the
 * connection by reference, not copied: the result is freed once its bytes are written. A
 * stream ends when its last chunk is written out, or when its connection closes (gone); a
 * chunk query still in flight then keeps it until its answer comes, which it ignores. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "core/store.h"
#include "core/store_decisions.h"
#include "download.h"
#include "http.h"
#include "log.h"

#define DOWNLOAD_PIPELINE_DEPTH 2 /* chunk queries in flight on one connection */

struct downloads {
	struct app *app;
	struct db_pool *db;
	struct download_stats stats;
};

struct stream {
	struct downloads *d;
	struct req *r; /* NULL once the request ended: its connection closed */
	char decision[UTIL_UUID_LEN + 1];
	struct core_result_version v;
	uint64_t sent;             /* bytes written out */
	size_t pending;            /* bytes of the chunk being read or written */
	const char *cache_control; /* static */
	bool reading;              /* a chunk query is in flight */
	bool started;              /* the status line and headers are out */
	bool cut;                  /* the server closed the connection (and said why) */
};

static void chunk_cb(void *arg, const struct problem *no, bool current,
		     const unsigned char *bytes, size_t len, void *owner);

static void
stream_free(struct stream *s)
{
	s->d->stats.active--;
	free(s);
}

static void
read_next(struct stream *s)
{
	uint64_t left = s->v.length - s->sent;
	size_t chunk = (size_t)s->d->app->cfg->download_chunk_size;

	s->pending = left < chunk ? (size_t)left : chunk;
	s->reading = true;
	store_result_chunk(s->d->db, s->decision, &s->v, s->sent, s->pending, chunk_cb, s);
}

/* The download cannot go on: before its first chunk, r is answered with a problem (no,
 * or a 503 saying why); afterwards its connection is closed mid-body. Logs why; s is freed
 * on return. */
static void
fail(struct stream *s, const struct problem *no, const char *why)
{
	if (no != NULL && no->db != NULL && no->db->status == DB_FAILED)
		req_log(s->r, LOGL_ERROR, "chunk query failed: SQLSTATE %s: %s", no->db->sqlstate,
		        no->db->res != NULL
		                ? PQresultErrorField(no->db->res, PG_DIAG_MESSAGE_PRIMARY)
		                : "");
	if (!s->started) {
		if (no != NULL)
			req_reply_refusal(s->r, no);
		else
			req_reply_problem(s->r, 503, "service-unavailable",
			                  "The result could not be read (%s); fetch it again.",
			                  why);
		stream_free(s);
		return;
	}
	req_log(s->r, LOGL_WARN,
	        "download of the result of decision %s cut after %" PRIu64 " of %" PRIu64
	        " bytes: %s",
	        s->decision, s->sent, s->v.length, why);
	s->cut = true;
	req_stream_cut(s->r); /* runs gone_cb */
}

/* Why a chunk's answer cannot be sent, or NULL. */
static const char *
chunk_problem(const struct stream *s, const struct problem *no, bool current, size_t len)
{
	if (no != NULL && no->db != NULL && no->db->status == DB_FAILED)
		return "the chunk query failed";
	if (no != NULL)
		return "the database is unavailable or slow";
	if (!current)
		return "the document was withdrawn or replaced meanwhile";
	if (len != s->pending)
		return "the database returned a chunk of the wrong length";
	return NULL;
}

static void
release_cb(const void *data, size_t len, void *owner)
{
	store_chunk_release(owner);
}

static void written_cb(void *arg);
static void gone_cb(void *arg);

/* With the first chunk in hand: the status line and headers. */
static int
start_reply(struct stream *s)
{
	req_add_header(s->r, "Cache-Control", s->cache_control);
	if (req_stream_start(s->r, 200, "application/jose", s->v.length, written_cb, gone_cb, s) !=
	    0) {
		/* (not for the refusal: it would be cached as the result) */
		evhttp_remove_header(evhttp_request_get_output_headers(s->r->ev), "Cache-Control");
		req_reply_problem(s->r, 503, "service-unavailable",
		                  "The result cannot be sent now; retry shortly.");
		stream_free(s);
		return -1;
	}
	s->started = true;
	return 0;
}

static void
chunk_cb(void *arg, const struct problem *no, bool current, const unsigned char *bytes,
	 size_t len, void *owner)
{
	struct stream *s = arg;
	struct evbuffer *buf = NULL;
	const char *why;

	s->reading = false;
	if (s->r == NULL) { /* the connection closed meanwhile */
		store_chunk_release(owner);
		stream_free(s);
		return;
	}
	if ((why = chunk_problem(s, no, current, len)) != NULL) {
		store_chunk_release(owner);
		fail(s, no, why);
		return;
	}
	if ((buf = evbuffer_new()) == NULL ||
	    evbuffer_add_reference(buf, bytes, s->pending, release_cb, owner) != 0) {
		store_chunk_release(owner);
		if (buf != NULL)
			evbuffer_free(buf);
		fail(s, NULL, "out of memory");
		return;
	}
	if (s->started || start_reply(s) == 0)
		req_stream_write(s->r, buf); /* takes the chunk: released once written */
	evbuffer_free(buf);
}

static void
written_cb(void *arg)
{
	struct stream *s = arg;

	s->sent += s->pending;
	if (s->sent < s->v.length) {
		read_next(s);
		return;
	}
	s->d->stats.completed++;
	req_stream_end(s->r);
	stream_free(s);
}

/* The connection closed before the end: the request has ended. */
static void
gone_cb(void *arg)
{
	struct stream *s = arg;

	if (!s->cut)
		req_log(s->r, LOGL_INFO,
		        "download of the result of decision %s ended after %" PRIu64 " of %" PRIu64
		        " bytes: the client left, or stalled for connection_timeout",
		        s->decision, s->sent, s->v.length);
	s->d->stats.cut++;
	s->r = NULL;
	if (!s->reading)
		stream_free(s);
}

void
download_start(struct downloads *d, struct req *r, const struct core_result_version *v,
               const char *cache_control)
{
	const struct config *cfg = d->app->cfg;
	struct stream *s;

	if (d->stats.active >= (uint64_t)cfg->max_downloads) {
		d->stats.refused++;
		req_reply_problem(r, 503, "too-many-downloads",
		                  "This server is already sending %d large results, its limit; "
		                  "retry in a few seconds.",
		                  cfg->max_downloads);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		req_reply_problem(r, 503, "service-unavailable", "Out of memory; retry shortly.");
		return;
	}
	s->d = d;
	s->r = r;
	s->v = *v;
	s->cache_control = cache_control;
	memcpy(s->decision, r->param, UTIL_UUID_LEN); /* a {id} route: a UUID */
	d->stats.active++;
	d->stats.started++;
	read_next(s);
}

struct downloads *
download_new(struct app *app)
{
	const struct config *cfg = app->cfg;
	struct db_opts opts = {cfg->download_db_connections, cfg->db_query_timeout_ms,
	                       cfg->db_reconnect_min_ms,     cfg->db_reconnect_max_ms,
	                       cfg->max_downloads,           DOWNLOAD_PIPELINE_DEPTH};
	struct downloads *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->app = app;
	d->db =
	    db_pool_new(app->base, cfg->db_conninfo, &opts, store_statements, store_nstatements);
	if (d->db == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void
download_stop(struct downloads *d)
{
	if (d == NULL)
		return;
	db_pool_free(d->db);
	d->db = NULL;
}

void
download_free(struct downloads *d)
{
	if (d == NULL)
		return;
	db_pool_free(d->db);
	free(d);
}

void
download_get_stats(const struct downloads *d, struct download_stats *out)
{
	*out = d->stats;
}
