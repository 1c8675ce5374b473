/* store_tokens — access tokens. */
#ifndef FREECOOP_STORE_TOKENS_H
#define FREECOOP_STORE_TOKENS_H

#include "db.h"
#include "util.h"

extern const struct db_stmt stmt_access_issue, stmt_access_lookup, stmt_access_revoke,
	stmt_access_purge;

/* Issues an access token (stored as new_hash) valid for ttl seconds (the same for every
 * call) to the account whose authorization token hashes to aut_hash, if its service is
 * enabled. Batched: cb gets the row (column 1 expires_at) or -1 if there is no such
 * authorization token. */
void store_access_issue(struct db_pool *db, const unsigned char new_hash[UTIL_SHA256_LEN],
			const unsigned char aut_hash[UTIL_SHA256_LEN], int ttl, db_batch_cb cb,
			void *arg);

/* The account behind an access token, if its service is enabled. Batched: cb gets the
 * row, or -1. Columns: 1 account id, 2 account name (NULL if none), 3 account created_at,
 * 4 service id, 5 service name, 6 expired ("t"/"f"), 7 revoked ("t"/"f"), 8 token_hash
 * (bytea hex text). */
void store_access_lookup(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN],
			 db_batch_cb cb, void *arg);

/* Revokes the access token hashing to hash. */
void store_access_revoke(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN],
			 db_cb cb, void *arg);

/* Deletes access tokens that expired more than a day ago. */
void store_access_purge(struct db_pool *db, db_cb cb, void *arg);

#endif
