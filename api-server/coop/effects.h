/* effects — a group's decisions take effect (DESIGN §10.6).
 *
 * FreeCoop takes its service's events from the core (core_events_subscribe). For each
 * decision concluded or failed it reads the result the core published, verifies it as any
 * service would (result.h), and applies the adopted proposals' actions in proposal-id order
 * to the group, checked against the group as it is now: an action that no longer applies
 * is refused with a reason and the others still apply. The changes, the decision's outcome,
 * the result JWS and the group's signed log entry are written in one statement, only if
 * the log still ends where it was read and the decision is not applied yet: each decision
 * is applied once, whatever is redelivered or runs on two instances at once. */
#ifndef FREECOOP_EFFECTS_H
#define FREECOOP_EFFECTS_H

#include "coop.h"

/* The largest result document FreeCoop reads whole to apply it (a group of some 100,000
 * members voting). */
#define EFFECTS_RESULT_MAX (64u * 1024 * 1024)

/* Subscribes FreeCoop to its service's events (once its service is resolved). */
void effects_start(struct coop *c);

#endif
