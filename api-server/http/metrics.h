/* metrics — request counters and latency histograms per route, rendered for Prometheus. */
#ifndef FREECOOP_METRICS_H
#define FREECOOP_METRICS_H

#include <stddef.h>

#include <event2/buffer.h>

#include "db/db.h"
#include "worker/worker.h"

struct metrics;
struct conclude_stats;
struct download_stats;
struct guard_stats;

/* A registry for nroutes routes, route i labelled method="methods[i]",
 * route="patterns[i]" (borrowed, must outlive it); requests that matched no route are
 * counted under route="unmatched". NULL on allocation failure. */
struct metrics *metrics_new(size_t nroutes, const char *const *methods,
			    const char *const *patterns);

/* Frees m; NULL is a no-op. */
void metrics_free(struct metrics *m);

/* Counts one finished request: route (-1: none), HTTP status, duration in seconds. */
void metrics_observe(struct metrics *m, int route, int status, double seconds);

/* Appends the Prometheus text exposition (format 0.0.4) to out, with the figures of the
 * database pool, of the count-worker client, of the abuse limits and (unless cs is NULL)
 * of the conclusion job. */
void metrics_render(const struct metrics *m, const struct db_stats *db,
		    const struct worker_stats *wk, const struct guard_stats *gs,
		    const struct conclude_stats *cs, int in_flight, struct evbuffer *out);

/* Appends the figures of the streamed result downloads to out. */
void metrics_render_downloads(const struct download_stats *ds, struct evbuffer *out);

struct events_stats;
struct ncache_stats;

/* A cache of what the database said (ncache.h), by name ("credential"): hits, misses,
 * changes heard, whether it listens. */
void metrics_render_cache(const char *name, const struct ncache_stats *cs,
			  struct evbuffer *out);


/* Service events: delivered, retried, failed, in flight, and the delivery latency. */
void metrics_render_events(const struct events_stats *es, struct evbuffer *out);

#endif
