/* core_webhooks — a service's webhook (DESIGN §6): where its events are POSTed, and the
 * secret they are signed with. */
#ifndef FREECOOP_CORE_WEBHOOKS_H
#define FREECOOP_CORE_WEBHOOKS_H

#include "principal.h"
#include "problem.h"
#include "types.h"

/* The webhook, or why not (no). */
typedef void (*core_webhook_cb)(void *arg, const struct problem *no,
				const struct core_webhook *w);

/* Sets the calling service's webhook to url with a new secret (w->secret, "whsec_" and
 * the standard base64 of 32 random bytes: shown only here, stored only sealed under the
 * master key). 422 invalid-webhook-url for a URL that is not http(s) with a host (see
 * hostcheck.h), 422 webhook-url-not-public for a host that is or resolves to a
 * non-public address, unless the operator allows it. Events still queued go to the new
 * URL, signed with the new secret. */
void core_webhook_set(struct core *c, const struct principal *caller, const char *url,
		      core_webhook_cb cb, void *arg);

/* The calling service's webhook and its delivery state; 404 not-found when none. */
void core_webhook_get(struct core *c, const struct principal *caller, core_webhook_cb cb,
		      void *arg);

/* Removes the calling service's webhook and drops its queued events; 404 when none. */
void core_webhook_delete(struct core *c, const struct principal *caller,
			 void (*cb)(void *arg, const struct problem *no), void *arg);

#endif
