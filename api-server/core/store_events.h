/* store_events — SQL of service events (DESIGN §6): each service's endpoint (a webhook URL
 * with its sealed secret, or an in-process consumer) and the outbox its events wait in.
 *
 * Events are written by the conclusion's mark statement (store_conclude.c), in the
 * transaction that concludes or fails the decision. Delivery is leased like a conclusion:
 * a claim takes, for each service, only the oldest pending event (so a service's events
 * are delivered in order), if it is due and no live lease holds it (FOR UPDATE SKIP
 * LOCKED: instances never wait on each other); only the lease's owner settles it. */
#ifndef FREECOOP_STORE_EVENTS_H
#define FREECOOP_STORE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

extern const struct db_stmt stmt_webhook_put, stmt_webhook_get, stmt_webhook_delete,
	stmt_consumer_register, stmt_events_claim, stmt_events_delivered, stmt_events_failed,
	stmt_events_purge;

#define STORE_EVENTS_STATEMENTS                                                              \
	&stmt_webhook_put, &stmt_webhook_get, &stmt_webhook_delete, &stmt_consumer_register, \
		&stmt_events_claim, &stmt_events_delivered, &stmt_events_failed,             \
		&stmt_events_purge

/* A webhook read or written (w NULL: the service has none), or why not. */
typedef void (*store_webhook_cb)(void *arg, const struct problem *no,
				 const struct core_webhook *w);

/* Sets service's webhook to url with its sealed secret (replacing any, and any in-process
 * consumer); w->created says whether it had none. */
void store_webhook_put(struct db_pool *db, const char *service, const char *url,
		       const unsigned char *sealed, size_t sealed_len, store_webhook_cb cb,
		       void *arg);

/* service's webhook with its delivery state (NULL: none). */
void store_webhook_get(struct db_pool *db, const char *service, store_webhook_cb cb, void *arg);

/* Removes service's webhook and drops its queued events: found is whether it had one. */
void store_webhook_delete(struct db_pool *db, const char *service, store_found_cb cb,
			  void *arg);

/* Makes an in-process consumer service's endpoint (replacing a webhook URL). */
void store_consumer_register(struct db_pool *db, const char *service, store_done_cb cb,
			     void *arg);

/* An event claimed for delivery, with its endpoint (strings borrowed for the callback). */
struct store_delivery {
	long long seq; /* the outbox's order; names the delivery when it is settled */
	struct core_event ev;
	double age_s;          /* seconds since the event was written */
	const char *url;       /* NULL: an in-process consumer */
	const unsigned char *sealed; /* the webhook's sealed secret */
	size_t sealed_len;
};

/* The deliveries claimed, n of them (0: none due), or why not. */
typedef void (*store_events_claim_cb)(void *arg, const struct problem *no,
			       const struct store_delivery *d, size_t n);

/* Claims up to limit due events for owner (a UUID) for lease_ms: those of services with a
 * webhook URL, and of the in-process consumers in consumers (a uuid[] literal, "{}" for
 * none); at most one per service, its oldest pending. Counts the attempt. */
void store_events_claim(struct db_pool *db, const char *owner, int lease_ms,
			const char *consumers, int limit, store_events_claim_cb cb, void *arg);

/* Settles delivery seq as delivered; found is false when owner no longer held it (the
 * lease passed, or the webhook was removed). */
void store_events_delivered(struct db_pool *db, long long seq, const char *owner,
			    store_found_cb cb, void *arg);

/* Settles an attempt that failed with error: retried after delay_ms, or (delay_ms < 0)
 * given up on. */
void store_events_failed(struct db_pool *db, long long seq, const char *owner,
			 const char *error, int delay_ms, store_found_cb cb, void *arg);

/* Deletes delivered and dropped events settled more than 30 days ago. */
void store_events_purge(struct db_pool *db, store_done_cb cb, void *arg);

#endif
