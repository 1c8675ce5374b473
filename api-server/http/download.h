/* download — result documents streamed from the database a chunk at a time.
 *
 * A result larger than download_chunk_size is not read whole: its answer carries its
 * Content-Length, then its bytes follow one chunk at a time, each read from the database
 * (on connections of the downloads' own) only once the previous one has been handed to
 * the kernel. A download thus holds at most one chunk, however slowly its client reads;
 * a client that stalls for connection_timeout, or leaves, ends it. At most max_downloads
 * run at once per instance; past that the answer is 503 too-many-downloads.
 *
 * Every chunk is read on the condition that the stored document is still the one the
 * download started with (its length and counted_at): an operator may withdraw a failed
 * decision's document and have it counted again (admin.requeue_conclusion). If it changed,
 * the connection is closed mid-body — the client sees fewer bytes than Content-Length —
 * rather than given a body spliced from two documents. */
#ifndef FREECOOP_DOWNLOAD_H
#define FREECOOP_DOWNLOAD_H

#include <stdint.h>

struct app;
struct downloads;
struct req;
struct core_result_version;

struct download_stats {
	uint64_t active;    /* downloads streaming now */
	uint64_t started;   /* downloads begun */
	uint64_t completed; /* bodies written out whole */
	uint64_t cut;       /* ended early: the client left or stalled, the document changed,
	                     * the database failed, or the server shut down */
	uint64_t refused;   /* 503 too-many-downloads */
};

/* The downloads of app (its config; app->guard must exist when the first starts), with
 * their own database pool. NULL on allocation failure. */
struct downloads *download_new(struct app *app);

/* Closes the downloads' database pool: a download waiting for a chunk ends (its
 * connection is closed). Call before evhttp_free, which ends the others. */
void download_stop(struct downloads *d);

/* Frees d, after download_stop and evhttp_free; NULL is a no-op. */
void download_free(struct downloads *d);

/* Answers r with the result document of decision r->param, version v, streamed: 200,
 * Content-Type application/jose, Content-Length v->length, Cache-Control cache_control
 * (a static string), once the first chunk is read — or 503 too-many-downloads when
 * max_downloads are streaming, or the database's problem if that first read fails. Ends
 * r in every case. */
void download_start(struct downloads *d, struct req *r, const struct core_result_version *v,
                    const char *cache_control);

void download_get_stats(const struct downloads *d, struct download_stats *out);

#endif
