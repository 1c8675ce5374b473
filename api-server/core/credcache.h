/* credcache — who a service key or an access token stands for, kept in memory so that a
 * person's reads do not each ask the database.
 *
 * A direct-mapped cache of credential hashes (the tokens themselves are never kept), each
 * entry good for at most ttl_ms and never past its token's expiry. It is trusted only while
 * this instance listens for the database's credential notifications (migration 0014: a
 * token revoked, a service disabled, an account or service changed): while the listening
 * connection is down it answers nothing, and it is emptied when listening starts again, for
 * notifications may have been missed meanwhile. Every notification also makes the lookups
 * then in flight unfit to be cached (their answer may predate it): put takes the ticket
 * its lookup was started with, and drops an answer older than the last notification. */
#ifndef FREECOOP_CREDCACHE_H
#define FREECOOP_CREDCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "principal.h"

/* The channel the database notifies on. */
#define CREDCACHE_CHANNEL "freecoop_credentials"

/* A cache of n entries (0: a cache that keeps nothing); NULL without memory. */
struct credcache *credcache_new(size_t n, int ttl_ms);

/* Frees the cache; NULL-safe. */
void credcache_free(struct credcache *cc);

/* The principal cred stands for, as cached and still good at now_us; NULL otherwise. */
const struct principal *credcache_get(struct credcache *cc, const struct credential *cred,
				      uint64_t now_us);

/* What a lookup started now passes to credcache_put when its answer comes. */
uint64_t credcache_ticket(const struct credcache *cc);

/* Keeps who for cred until expires_us (its token's expiry; 0: none) or ttl_ms from now_us,
 * whichever is first — unless a notification came since ticket was taken. */
void credcache_put(struct credcache *cc, uint64_t ticket, const struct credential *cred,
		   const struct principal *who, uint64_t expires_us, uint64_t now_us);

/* An access token revoked by this instance: forgotten at once, before its notification. */
void credcache_forget(struct credcache *cc, const unsigned char hash[UTIL_SHA256_LEN]);

/* Tokens revoked by this instance, as hex hashes separated by commas. */
void credcache_forget_hex(struct credcache *cc, const char *list);

/* The database's notification payload: "t:<hex hash>,<hex hash>..." (access tokens
 * revoked) or anything else (forget everything). */
void credcache_notified(struct credcache *cc, const char *payload);

struct credcache_stats {
	uint64_t hits, misses; /* credcache_get's answers */
	uint64_t forgotten;    /* revocations and notifications */
	int listening;
};

void credcache_get_stats(const struct credcache *cc, struct credcache_stats *st);

/* Listening started (on: the cache starts empty) or stopped (off: the cache answers nothing
 * until it starts again). */
void credcache_listening(struct credcache *cc, int on);

#endif
