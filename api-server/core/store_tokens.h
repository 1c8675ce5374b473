/* store_tokens — access tokens. */
#ifndef FREECOOP_STORE_TOKENS_H
#define FREECOOP_STORE_TOKENS_H

#include "store.h"

extern const struct db_stmt stmt_access_issue, stmt_authorization_lookup, stmt_access_lookup,
	stmt_access_revoke, stmt_access_purge, stmt_credentials_notify;

/* What an issuance did: issued (expires_at is set), or nothing because the account is
 * gone or its service disabled. */
enum store_issue { STORE_ISSUED, STORE_ISSUE_GONE };
typedef void (*store_issue_cb)(void *arg, const struct problem *no, enum store_issue done,
			       const char *expires_at, const char *revoked);

/* Issues an access token (stored as new_hash) valid for ttl seconds to account_id, if its
 * service is enabled; the account's tokens past the newest max_live are revoked by it
 * (ttl and max_live the same for every call). Batched. The callback's revoked lists the hex
 * hashes of the account's earlier tokens this revoked, comma-separated (NULL: none), or is
 * "*" when some are unknown (another statement issued to the account meanwhile); no
 * notification tells the other instances: see store_credentials_notify. */
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

/* Sends payload as a notification on channel, in a transaction of its own (one that
 * writes nothing and waits for no disk). A transaction that notifies holds PostgreSQL's
 * lock on the notification queue from its commit's start to its end, disk flush included:
 * issuances that notified took turns to commit. */
void store_credentials_notify(struct db_pool *db, const char *channel, const char *payload,
			      store_done_cb cb, void *arg);

/* Deletes access tokens that expired more than a day ago. */
void store_access_purge(struct db_pool *db, store_done_cb cb, void *arg);

#endif
