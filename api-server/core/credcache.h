/* credcache — who a service key or an access token stands for, kept in memory (an ncache,
 * common/ncache.h, keyed by the token's SHA-256) so that a person's reads do not each ask
 * the database; trusted only while this instance hears the database's credential
 * notifications (migration 0014: tokens revoked, a service or an account changed). */
#ifndef FREECOOP_CREDCACHE_H
#define FREECOOP_CREDCACHE_H

#include <stdint.h>

#include "ncache.h"
#include "principal.h"

/* The channel the database notifies on. */
#define CREDCACHE_CHANNEL "freecoop_credentials"

/* The principal cred stands for, as kept and still good at now_us, copied to out; or false. */
bool credcache_get(struct ncache *nc, const struct credential *cred, uint64_t now_us,
		   struct principal *out);

/* Keeps who for cred until expires_us (its token's expiry; 0: none) or the cache's TTL,
 * unless a change was heard since ticket (ncache_ticket) was taken. */
void credcache_put(struct ncache *nc, uint64_t ticket, const struct credential *cred,
		   const struct principal *who, uint64_t expires_us, uint64_t now_us);

/* Tokens revoked, as hex SHA-256 hashes separated by commas: forgotten (anything not
 * understood: everything). */
void credcache_forget_hex(struct ncache *nc, const char *list);

/* The database's notification payload: "t:<hex hash>,..." (access tokens revoked) or
 * anything else (forget everything). */
void credcache_notified(struct ncache *nc, const char *payload);

#endif
