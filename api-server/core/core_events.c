/* core_events — in-process consumers of service events (see the header). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core_events.h"
#include "store_events.h"

void
core_events_subscribe(struct core *c, const char *service,
		      void (*deliver)(void *arg, const struct core_event *ev,
				      core_event_done done, void *token),
		      void *arg, void (*cb)(void *arg, const struct problem *no), void *cbarg)
{
	struct core_consumer *k;
	struct problem no;
	unsigned char id[16];

	if (!util_uuid_bytes(service, id)) {
		cb(cbarg, problem_set(&no, 422, "invalid-id", "A service is named by its id."));
		return;
	}
	if (core_events_consumer(c, service) == NULL) {
		if (c->nconsumers == CORE_MAX_CONSUMERS) {
			cb(cbarg, problem_set(&no, 409, "limit-reached",
					      "At most %d in-process consumers.", CORE_MAX_CONSUMERS));
			return;
		}
		k = &c->consumers[c->nconsumers++];
		snprintf(k->service, sizeof(k->service), "%s", service);
	} else {
		k = (struct core_consumer *)core_events_consumer(c, service);
	}
	k->deliver = deliver;
	k->arg = arg;
	store_consumer_register(c->db, service, cb, cbarg);
}

const struct core_consumer *
core_events_consumer(const struct core *c, const char *service)
{
	for (size_t i = 0; i < c->nconsumers; i++)
		if (strcasecmp(c->consumers[i].service, service) == 0)
			return &c->consumers[i];
	return NULL;
}
