/* events — the delivery of service events (DESIGN §6): the job that takes due events from
 * the outbox (core/store_events.h) and delivers each to its service's endpoint — a signed
 * POST to its webhook (client.h), or a call of its in-process consumer
 * (core/core_events.h) — then settles it: delivered, retried later on the schedule
 * (webhook_retry_delays, with up to 10% jitter), or failed after the last retry.
 *
 * It runs on every instance: a claim leases each event (webhook_lease_ms), so instances
 * share the work without doing it twice, and an event whose instance died is delivered
 * by another once the lease has passed. At most webhook_concurrency deliveries are in
 * flight; an idle instance looks for due events every webhook_poll_ms, and at once when
 * its own conclusion wrote one (events_kick). */
#ifndef FREECOOP_EVENTS_H
#define FREECOOP_EVENTS_H

#include <stdint.h>

struct app;
struct events;

#define EVENTS_LATENCY_BUCKETS 10

/* Upper bounds (seconds) of the delivery latency histogram's buckets, +Inf last. */
extern const double events_latency_bounds[EVENTS_LATENCY_BUCKETS];

struct events_stats {
	uint64_t delivered; /* settled as delivered by this instance */
	uint64_t retried;   /* attempts that failed, to be retried */
	uint64_t failed;    /* events given up on after the last retry */
	int in_flight;
	/* From an event's writing to its delivery: counts per bucket (not cumulative). */
	uint64_t latency[EVENTS_LATENCY_BUCKETS];
	double latency_sum;
};

/* Starts the job on app's loop. NULL on allocation failure. */
struct events *events_new(struct app *app);

/* Looks for due events now (an event was just written). NULL-safe. */
void events_kick(struct events *e);

/* Stops: POSTs in flight are abandoned (their leases pass and they are retried); an
 * in-process consumer still working may call its done later (it is then ignored). */
void events_stop(struct events *e);

void events_free(struct events *e);

void events_get_stats(const struct events *e, struct events_stats *st);

#endif
