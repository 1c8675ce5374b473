/* deckeys — decisions' keys (their ballot and slot keys, crypto.h), unwrapped with the
 * master key on first use and kept in a direct-mapped cache of decision_key_cache entries,
 * wiped when it is freed. Casting needs them on every ballot. */
#ifndef FREECOOP_DECKEYS_H
#define FREECOOP_DECKEYS_H

#include <stddef.h>

#include "crypto.h"
#include "problem.h"
#include "types.h"

/* A decision's keys and the size its ballots are padded to (0: unpadded, made before
 * migration 0005). */
struct deckey {
	struct crypto_deckey k;
	int ballot_size;
};

/* The keys of the decision (borrowed, valid during the call), NULL when it was purged
 * (its key is gone); or why not: 404 not-found when there is no such decision, 500 when
 * its key does not open with the master key. */
typedef void (*deckeys_cb)(void *arg, const struct problem *no, const struct deckey *k);

/* A cache of n entries; NULL without memory. */
struct deckeys *deckeys_new(size_t n);

/* Wipes and frees the cache; NULL-safe. */
void deckeys_free(struct deckeys *dk);

/* The keys of decision id (a canonical UUID): from the cache, or read and unwrapped. */
void deckeys_get(struct core *c, const char *id, deckeys_cb cb, void *arg);

#endif
