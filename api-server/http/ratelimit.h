/* ratelimit — token buckets per credential and per service, in this instance's memory.
 *
 * A bucket holds up to `burst` requests and refills at `rate` a second; a request takes
 * one. Buckets live in an open-addressing table keyed by 16 bytes (of the token's SHA-256,
 * or of the service id's); ratelimit_sweep drops the ones that have refilled, so the
 * table holds only clients that were busy in the last moments, whatever tokens come. A
 * table that is full admits new keys unlimited rather than refusing them (and counts
 * them): the limits protect the service, they must not become the outage. */
#ifndef FREECOOP_RATELIMIT_H
#define FREECOOP_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* A limiter of rate requests a second (0: none) with bursts of burst, for at most
 * max_keys keys at once. NULL on allocation failure. */
struct ratelimit *ratelimit_new(int rate, int burst, size_t max_keys);

void ratelimit_free(struct ratelimit *rl);

/* Takes one request from key's bucket at time now_us. Returns 0 if it may go on, or the
 * seconds (>= 1) after which it may be retried. */
int ratelimit_take(struct ratelimit *rl, const unsigned char key[16], uint64_t now_us);

/* Drops the buckets that are full again at now_us. */
void ratelimit_sweep(struct ratelimit *rl, uint64_t now_us);

/* Keys held now, and keys admitted unlimited because the table was full. */
size_t ratelimit_size(const struct ratelimit *rl);
uint64_t ratelimit_overflows(const struct ratelimit *rl);

#endif
