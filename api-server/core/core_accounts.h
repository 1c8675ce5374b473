/* core_accounts — a service's accounts: creation, reading, and the one-time claim of an
 * account's authorization token. */
#ifndef FREECOOP_CORE_ACCOUNTS_H
#define FREECOOP_CORE_ACCOUNTS_H

#include "principal.h"
#include "problem.h"
#include "types.h"

/* The account, or why not (no). */
typedef void (*core_account_cb)(void *arg, const struct problem *no,
				const struct core_account *a);

/* Creates an account of the calling service, named name (NULL: none). */
void core_account_create(struct core *c, const struct principal *caller, const char *name,
			 core_account_cb cb, void *arg);

/* Account id as caller sees it: a service, any of its own accounts; an account, only
 * itself. Anything else is 404 not-found, as an unknown id is. */
void core_account_get(struct core *c, const struct principal *caller, const char *id,
		      core_account_cb cb, void *arg);

/* The new authorization token (valid during the call; the caller wipes what it copied),
 * or why not. */
typedef void (*core_claim_cb)(void *arg, const struct problem *no, const char *token);

/* Issues account id's authorization token: once ever (409 already-claimed after), and
 * only while its service is enabled (404 otherwise, as for an unknown id). Needs no
 * caller: knowing the id is the claim. */
void core_account_claim(struct core *c, const char *id, core_claim_cb cb, void *arg);

#endif
