/* auth — admission of a request to a route that takes credentials: the bearer token
 * checked against the route's flags (routes.h), the token's limit, a lookup of the service
 * or account it stands for, then the account's and the service's limits.
 *
 * auth decides; it never answers. Its verdict goes to the caller's callback, which
 * answers a refusal or starts the handler (http.c, the dispatcher). */
#ifndef FREECOOP_AUTH_H
#define FREECOOP_AUTH_H

#include <stdbool.h>

#include "util.h"
#include "verdict.h"

struct app;

enum principal_kind { PRINCIPAL_NONE, PRINCIPAL_SERVICE, PRINCIPAL_ACCOUNT };

/* Who made the request, once the route's credentials are resolved. */
struct principal {
	enum principal_kind kind;
	char service_id[UTIL_UUID_LEN + 1];
	char service_name[256];
	char account_id[UTIL_UUID_LEN + 1];
	char account_name[256];
	bool account_named;
	char account_created_at[40];
};

/* The bearer token presented: its kind and its SHA-256 (the token itself is not kept). */
struct credential {
	char prefix[5];                      /* "svc_", "aut_", "acc_" or "" */
	unsigned char hash[UTIL_SHA256_LEN]; /* SHA-256 of the token */
};

/* v is NULL when the request is admitted, else why not. */
typedef void (*auth_done_cb)(void *arg, const struct verdict *v);

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
	struct verdict v; /* auth's own: the verdict given to done */
};

/* Admits c (at once, or later from a database callback) and calls c->done exactly once.
 * Refusals: 401 (missing, malformed, wrong kind, unknown, revoked or expired credentials),
 * 429 rate-limited, or the database's outcome. */
void auth_resolve(struct auth_call *c);

#endif
