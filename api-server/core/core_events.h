/* core_events — service events delivered in this process (DESIGN §6, §10.1): FreeCoop,
 * running inside the api-server, takes its events from the same outbox as webhooks do,
 * with the same contract.
 *
 * A service subscribed here has an in-process endpoint instead of a webhook URL. Its
 * events are delivered by this process's delivery job (events/): at least once (a
 * redelivery carries the same ev->id: apply each id once), in order (the next event only
 * after done was called for this one without an error, or after it was given up on), one
 * at a time. The consumer calls done once, from the event loop, within webhook_lease_ms:
 * done(token, NULL) once it applied the event durably, done(token, "why") to have it
 * retried on the webhook schedule. Every instance running the consumer subscribes; any of
 * them may deliver a given event. */
#ifndef FREECOOP_CORE_EVENTS_H
#define FREECOOP_CORE_EVENTS_H

#include "principal.h"
#include "problem.h"
#include "types.h"

/* Subscribes deliver(arg, ...) to the events of service (its id): the service's endpoint
 * becomes this in-process consumer (replacing a webhook URL). cb tells when that is
 * recorded, or why not (409 limit-reached: CORE_MAX_CONSUMERS already). */
void core_events_subscribe(struct core *c, const char *service,
			   void (*deliver)(void *arg, const struct core_event *ev,
					   core_event_done done, void *token),
			   void *arg, void (*cb)(void *arg, const struct problem *no),
			   void *cbarg);

/* The consumer of service in this process, or NULL. */
const struct core_consumer *core_events_consumer(const struct core *c, const char *service);

#endif
