/* store_tokens — access tokens. */
#ifndef FREECOOP_STORE_TOKENS_H
#define FREECOOP_STORE_TOKENS_H

#include "store.h"

extern const struct db_stmt stmt_access_issue, stmt_authorization_lookup, stmt_access_lookup,
	stmt_access_revoke, stmt_access_purge;

/* What an issuance did: issued (expires_at is set), nothing because the account is gone
 * or its service disabled, or nothing because a concurrent statement issued to the account
 * meanwhile: call again (the next call comes after that statement committed). */
enum store_issue { STORE_ISSUED, STORE_ISSUE_GONE, STORE_ISSUE_AGAIN };
typedef void (*store_issue_cb)(void *arg, const struct problem *no, enum store_issue done,
			       const char *expires_at, const char *revoked);

/* Issues an access token (stored as new_hash) valid for ttl seconds to account_id, if its
 * service is enabled, and revokes the account's oldest live tokens past max_live (ttl and
 * max_live the same for every call). Batched. The callback's revoked lists the hex hashes
 * of the account's tokens this revoked, comma-separated (NULL: none). */
void store_access_issue(struct db_pool *db, const unsigned char new_hash[UTIL_SHA256_LEN],
			const char *account_id, int ttl, int max_live, store_issue_cb cb,
			void *arg);

/* The account behind an authorization token, if its service is enabled (batched with
 * other lookups): CRED_OK with the account, or CRED_UNKNOWN. */
void store_authorization_lookup(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN],
				store_principal_cb cb, void *arg);

/* The account behind an access token, if its service is enabled (batched): CRED_OK with
 * the account, CRED_REVOKED, CRED_EXPIRED (revoked wins), or CRED_UNKNOWN. */
void store_access_lookup(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN],
			 store_principal_cb cb, void *arg);

/* Revokes the access token hashing to hash. */
void store_access_revoke(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN],
			 store_done_cb cb, void *arg);

/* Deletes access tokens that expired more than a day ago. */
void store_access_purge(struct db_pool *db, store_done_cb cb, void *arg);

#endif
