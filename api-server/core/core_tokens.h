/* core_tokens — credentials: what a presented token stands for, and an account's access
 * tokens (issued for its authorization token, revoked by their holder). */
#ifndef FREECOOP_CORE_TOKENS_H
#define FREECOOP_CORE_TOKENS_H

#include "principal.h"
#include "problem.h"
#include "types.h"

/* Who the credential stands for (valid during the call), or why not. */
typedef void (*core_principal_cb)(void *arg, const struct problem *no,
				  const struct principal *who);

/* Resolves a credential whose prefix says its kind (util_token_well_formed held): a
 * service key to its service, an authorization or access token to its account. Refusals
 * are 401: invalid-credentials (unknown, or its service disabled), token-revoked,
 * token-expired. What GET /v1/me answers for an access token. */
void core_credential_resolve(struct core *c, const struct credential *cred,
			     core_principal_cb cb, void *arg);

/* Keeps resolved service keys and access tokens in memory (credcache.h: n entries, each
 * at most ttl_ms; 0 for either keeps none), trusted while the pool receives the database's
 * credential notifications. Returns 0, or -1 without memory. Call before the loop runs;
 * core_credentials_free after the pool is freed. Its figures: ncache_get_stats(c->creds). */
int core_credentials_cache(struct core *c, size_t n, int ttl_ms);
void core_credentials_free(struct core *c);

/* The new token, or why not. */
typedef void (*core_token_cb)(void *arg, const struct problem *no,
			      const struct core_access_token *t);

/* Issues an access token to the calling account (resolved from its authorization token),
 * valid access_token_ttl seconds; the account's tokens older than its newest
 * max_access_tokens are revoked (forgotten here at once, told to the other instances right
 * after). One issuance per account at a time in this instance. */
void core_access_token_issue(struct core *c, const struct principal *caller,
			     core_token_cb cb, void *arg);

/* Revokes the access token whose SHA-256 is hash (the caller's own: it presented it). */
void core_access_token_revoke(struct core *c, const unsigned char hash[UTIL_SHA256_LEN],
			      void (*cb)(void *arg, const struct problem *no), void *arg);

#endif
