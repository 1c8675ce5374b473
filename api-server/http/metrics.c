/* metrics — fixed-size counters; rendering walks them in route order. */
#include <stdint.h>
#include <stdlib.h>

#include "conclude/conclude.h"
#include "ncache.h"
#include "download.h"
#include "events/events.h"
#include "guard.h"
#include "metrics.h"

#define MAX_STATUSES 24

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				0.05,   0.1,   0.25,   0.5,   1,    2.5, 5};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

struct status_count {
	int status;
	uint64_t count;
};

struct route_metrics {
	struct status_count statuses[MAX_STATUSES];
	uint64_t buckets[NBOUNDS + 1]; /* the last is +Inf */
	uint64_t count;
	double sum;
};

struct metrics {
	size_t nroutes;
	const char *const *methods;
	const char *const *patterns;
	struct route_metrics routes[]; /* nroutes + 1: the last is "unmatched" */
};

struct metrics *
metrics_new(size_t nroutes, const char *const *methods, const char *const *patterns)
{
	struct metrics *m = calloc(1, sizeof(*m) + (nroutes + 1) * sizeof(struct route_metrics));

	if (m == NULL)
		return NULL;
	m->nroutes = nroutes;
	m->methods = methods;
	m->patterns = patterns;
	return m;
}

void
metrics_free(struct metrics *m)
{
	free(m);
}

void
metrics_observe(struct metrics *m, int route, int status, double seconds)
{
	struct route_metrics *rm = &m->routes[route < 0 ? m->nroutes : (size_t)route];
	size_t b = 0;

	for (int i = 0; i < MAX_STATUSES; i++) {
		if (rm->statuses[i].status == status || rm->statuses[i].status == 0) {
			rm->statuses[i].status = status;
			rm->statuses[i].count++;
			break;
		}
	}
	while (b < NBOUNDS && seconds > bounds[b])
		b++;
	rm->buckets[b]++;
	rm->count++;
	rm->sum += seconds;
}

static void
labels(const struct metrics *m, size_t i, char *buf, size_t len)
{
	if (i == m->nroutes)
		snprintf(buf, len, "method=\"\",route=\"unmatched\"");
	else
		snprintf(buf, len, "method=\"%s\",route=\"%s\"", m->methods[i], m->patterns[i]);
}

static void
render_requests(const struct metrics *m, struct evbuffer *out)
{
	char l[256];

	evbuffer_add_printf(out, "# HELP freecoop_http_requests_total HTTP requests answered, "
				 "by route and status.\n"
				 "# TYPE freecoop_http_requests_total counter\n");
	for (size_t i = 0; i <= m->nroutes; i++) {
		labels(m, i, l, sizeof(l));
		for (int s = 0; s < MAX_STATUSES && m->routes[i].statuses[s].status != 0; s++)
			evbuffer_add_printf(out, "freecoop_http_requests_total{%s,status=\"%d\"} %llu\n",
					    l, m->routes[i].statuses[s].status,
					    (unsigned long long)m->routes[i].statuses[s].count);
	}
}

static void
render_latency(const struct metrics *m, struct evbuffer *out)
{
	char l[256];

	evbuffer_add_printf(out, "# HELP freecoop_http_request_duration_seconds Time from "
				 "request to reply, by route.\n"
				 "# TYPE freecoop_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= m->nroutes; i++) {
		const struct route_metrics *rm = &m->routes[i];
		uint64_t cum = 0;

		if (rm->count == 0)
			continue;
		labels(m, i, l, sizeof(l));
		for (size_t b = 0; b < NBOUNDS; b++) {
			cum += rm->buckets[b];
			evbuffer_add_printf(out, "freecoop_http_request_duration_seconds_bucket{%s,"
						 "le=\"%g\"} %llu\n", l, bounds[b], (unsigned long long)cum);
		}
		evbuffer_add_printf(out,
				    "freecoop_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n"
				    "freecoop_http_request_duration_seconds_sum{%s} %.6f\n"
				    "freecoop_http_request_duration_seconds_count{%s} %llu\n",
				    l, (unsigned long long)rm->count, l, rm->sum, l,
				    (unsigned long long)rm->count);
	}
}

static void
gauge(struct evbuffer *out, const char *name, const char *help, const char *type,
      unsigned long long v)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type,
			    name, v);
}

static void
render_worker(const struct worker_stats *wk, struct evbuffer *out)
{
	gauge(out, "freecoop_worker_up", "Whether a connection to the count-worker is up.",
	      "gauge", wk->up);
	gauge(out, "freecoop_worker_connections", "Connections to the count-worker.", "gauge",
	      (unsigned long long)wk->connections);
	gauge(out, "freecoop_worker_jobs_queued", "Jobs waiting for a count-worker connection.",
	      "gauge", (unsigned long long)wk->queued);
	gauge(out, "freecoop_worker_jobs_running", "Jobs sent to the count-worker, not answered.",
	      "gauge", (unsigned long long)wk->running);
	evbuffer_add_printf(out, "# HELP freecoop_worker_jobs_total Count-worker jobs by outcome.\n"
				 "# TYPE freecoop_worker_jobs_total counter\n"
				 "freecoop_worker_jobs_total{outcome=\"ok\"} %llu\n"
				 "freecoop_worker_jobs_total{outcome=\"failed\"} %llu\n"
				 "freecoop_worker_jobs_total{outcome=\"unavailable\"} %llu\n",
			    (unsigned long long)wk->ok, (unsigned long long)wk->failed,
			    (unsigned long long)wk->unavailable);
	gauge(out, "freecoop_worker_jobs_resent_total",
	      "Jobs sent again after their connection broke.", "counter", wk->resent);
	gauge(out, "freecoop_worker_protocol_violations_total",
	      "Answers from the count-worker that broke the protocol.", "counter", wk->violations);
}

static void
render_conclusions(const struct conclude_stats *cs, struct evbuffer *out)
{
	evbuffer_add_printf(out, "# HELP freecoop_conclusions_total Conclusions by outcome: "
				 "concluded, failed (signed failure document), retried (attempt "
				 "given back), lost (the lease expired).\n"
				 "# TYPE freecoop_conclusions_total counter\n"
				 "freecoop_conclusions_total{outcome=\"concluded\"} %llu\n"
				 "freecoop_conclusions_total{outcome=\"failed\"} %llu\n"
				 "freecoop_conclusions_total{outcome=\"retried\"} %llu\n"
				 "freecoop_conclusions_total{outcome=\"lost\"} %llu\n",
			    (unsigned long long)cs->concluded, (unsigned long long)cs->failed,
			    (unsigned long long)cs->retried, (unsigned long long)cs->lost);
	gauge(out, "freecoop_events_queued_total",
	      "Service events written to the outbox with this instance's conclusions.", "counter",
	      cs->events);
	gauge(out, "freecoop_conclusions_running", "Conclusions under way on this instance.",
	      "gauge", (uint64_t)cs->running);
	gauge(out, "freecoop_authority_valid",
	      "1 while the instance's key is a registered, unrevoked decision authority (checked "
	      "every authority_check_ms); 0: no result is signed.", "gauge",
	      cs->authority_valid ? 1 : 0);
}

static void
render_guard(const struct guard_stats *gs, struct evbuffer *out)
{
	evbuffer_add_printf(out, "# HELP freecoop_http_rate_limited_total Requests refused with "
				 "429, by the limit they hit.\n"
				 "# TYPE freecoop_http_rate_limited_total counter\n"
				 "freecoop_http_rate_limited_total{limit=\"token\"} %llu\n"
				 "freecoop_http_rate_limited_total{limit=\"account\"} %llu\n"
				 "freecoop_http_rate_limited_total{limit=\"service\"} %llu\n"
				 "freecoop_http_rate_limited_total{limit=\"address\"} %llu\n",
			    (unsigned long long)gs->limited_token,
			    (unsigned long long)gs->limited_account,
			    (unsigned long long)gs->limited_service,
			    (unsigned long long)gs->limited_address);
	gauge(out, "freecoop_http_rate_limit_overflows_total",
	      "Clients admitted without a limit because a rate_limit_keys table was full.",
	      "counter", gs->overflows);
	gauge(out, "freecoop_http_connections", "Client connections open.", "gauge",
	      gs->connections);
	gauge(out, "freecoop_http_connections_cut_off_total",
	      "Connections closed for not delivering a request within request_timeout.",
	      "counter", gs->cut_off);
}

void
metrics_render(const struct metrics *m, const struct db_stats *db, const struct worker_stats *wk,
	       const struct guard_stats *gs, const struct conclude_stats *cs, int in_flight,
	       struct evbuffer *out)
{
	render_requests(m, out);
	render_latency(m, out);
	gauge(out, "freecoop_http_requests_in_flight", "Requests not yet answered.", "gauge",
	      (unsigned long long)in_flight);
	evbuffer_add_printf(out, "# HELP freecoop_db_connections Database connections by state.\n"
				 "# TYPE freecoop_db_connections gauge\n"
				 "freecoop_db_connections{state=\"ready\"} %d\n"
				 "freecoop_db_connections{state=\"connecting\"} %d\n"
				 "freecoop_db_connections{state=\"down\"} %d\n",
			    db->ready, db->connecting, db->down);
	gauge(out, "freecoop_db_pool_size", "Configured database connections.", "gauge",
	      (unsigned long long)db->size);
	gauge(out, "freecoop_db_queries_in_flight", "Queries sent, not yet answered.", "gauge",
	      (unsigned long long)db->in_flight);
	gauge(out, "freecoop_db_queries_queued", "Queries waiting for a connection.", "gauge",
	      (unsigned long long)db->queued);
	gauge(out, "freecoop_db_queries_total", "Queries submitted.", "counter", db->queries);
	gauge(out, "freecoop_db_queries_unavailable_total",
	      "Queries failed because the database was unreachable.", "counter",
	      db->failed_unavailable);
	gauge(out, "freecoop_db_queries_timeout_total", "Queries that timed out.", "counter",
	      db->failed_timeout);
	gauge(out, "freecoop_db_connect_attempts_total", "Connection attempts.", "counter",
	      db->reconnects);
	gauge(out, "freecoop_db_batches_total", "Batched statements sent.", "counter",
	      db->batches);
	gauge(out, "freecoop_db_batched_requests_total", "Requests served by batched statements.",
	      "counter", db->batched_requests);
	render_worker(wk, out);
	render_guard(gs, out);
	if (cs != NULL)
		render_conclusions(cs, out);
}

void
metrics_render_events(const struct events_stats *es, struct evbuffer *out)
{
	uint64_t cum = 0, count = 0;

	gauge(out, "freecoop_events_delivered_total",
	      "Service events delivered (a 2xx answer, or an in-process consumer's done).",
	      "counter", es->delivered);
	gauge(out, "freecoop_events_retried_total",
	      "Delivery attempts that failed and will be retried.", "counter", es->retried);
	gauge(out, "freecoop_events_failed_total",
	      "Service events given up on after the last retry (admin.failed_deliveries).",
	      "counter", es->failed);
	gauge(out, "freecoop_event_deliveries_in_flight", "Deliveries under way on this instance.",
	      "gauge", (uint64_t)es->in_flight);
	for (int i = 0; i < EVENTS_LATENCY_BUCKETS; i++)
		count += es->latency[i];
	evbuffer_add_printf(out, "# HELP freecoop_event_delivery_seconds From an event's writing "
				 "to its delivery.\n"
				 "# TYPE freecoop_event_delivery_seconds histogram\n");
	for (int i = 0; i < EVENTS_LATENCY_BUCKETS - 1; i++) {
		cum += es->latency[i];
		evbuffer_add_printf(out, "freecoop_event_delivery_seconds_bucket{le=\"%g\"} %llu\n",
				    events_latency_bounds[i], (unsigned long long)cum);
	}
	evbuffer_add_printf(out,
			    "freecoop_event_delivery_seconds_bucket{le=\"+Inf\"} %llu\n"
			    "freecoop_event_delivery_seconds_sum %.6f\n"
			    "freecoop_event_delivery_seconds_count %llu\n",
			    (unsigned long long)count, es->latency_sum, (unsigned long long)count);
}

void
metrics_render_cache(const char *name, const struct ncache_stats *cs, struct evbuffer *out)
{
	evbuffer_add_printf(out,
			    "# HELP freecoop_%1$s_cache_hits_total Reads answered from memory.\n"
			    "# TYPE freecoop_%1$s_cache_hits_total counter\n"
			    "freecoop_%1$s_cache_hits_total %2$llu\n"
			    "# HELP freecoop_%1$s_cache_misses_total Reads that asked the database.\n"
			    "# TYPE freecoop_%1$s_cache_misses_total counter\n"
			    "freecoop_%1$s_cache_misses_total %3$llu\n"
			    "# HELP freecoop_%1$s_cache_invalidations_total Changes heard from the "
			    "database (and listening started or stopped).\n"
			    "# TYPE freecoop_%1$s_cache_invalidations_total counter\n"
			    "freecoop_%1$s_cache_invalidations_total %4$llu\n"
			    "# HELP freecoop_%1$s_cache_listening 1 while the database's changes are "
			    "heard (the cache is used only then).\n"
			    "# TYPE freecoop_%1$s_cache_listening gauge\n"
			    "freecoop_%1$s_cache_listening %5$d\n",
			    name, (unsigned long long)cs->hits, (unsigned long long)cs->misses,
			    (unsigned long long)cs->changes, cs->listening);
}

void
metrics_render_downloads(const struct download_stats *ds, struct evbuffer *out)
{
	gauge(out, "freecoop_downloads_active", "Result documents being streamed now.", "gauge",
	      ds->active);
	evbuffer_add_printf(out, "# HELP freecoop_downloads_total Streamed result downloads by "
				 "outcome: completed, cut (the client left or stalled, the document "
				 "changed, the database failed), refused (503, max_downloads).\n"
				 "# TYPE freecoop_downloads_total counter\n"
				 "freecoop_downloads_total{outcome=\"completed\"} %llu\n"
				 "freecoop_downloads_total{outcome=\"cut\"} %llu\n"
				 "freecoop_downloads_total{outcome=\"refused\"} %llu\n",
			    (unsigned long long)ds->completed, (unsigned long long)ds->cut,
			    (unsigned long long)ds->refused);
}
