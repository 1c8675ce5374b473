/* auth — admission of a request to a route that takes credentials: the bearer token
 * checked against the route's flags (routes.h), the token's limit, a lookup of the service
 * or account it stands for, then the account's and the service's limits.
 *
 * auth decides; it never answers. Its verdict goes to the caller's callback, which
 * answers a refusal or starts the handler (http.c, the dispatcher). */
#ifndef FREECOOP_AUTH_H
#define FREECOOP_AUTH_H

#include "core/principal.h"
#include "core/problem.h"
#include "util.h"

struct app;

/* no is NULL when the request is admitted, else why not. */
typedef void (*auth_done_cb)(void *arg, const struct problem *no);

/* One admission in progress. The caller fills the first part and owns the memory (with
 * cred and who) until done has run. */
struct auth_call {
	struct app *app;
	int flags;                 /* the route's flags: which credentials it takes */
	const char *authorization; /* the Authorization header, or NULL */
	struct credential *cred;   /* out: the token presented */
	struct principal *who;     /* out: whom it stands for */
	auth_done_cb done;
	void *arg;
	struct problem refusal; /* auth's own: the one given to done */
};

/* Admits c (at once, or later from a database callback) and calls c->done exactly once.
 * Refusals: 401 (missing, malformed, wrong kind, unknown, revoked or expired credentials),
 * 429 rate-limited, or the database's outcome. */
void auth_resolve(struct auth_call *c);

#endif
