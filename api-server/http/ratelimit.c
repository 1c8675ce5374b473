/* ratelimit — token buckets in an open-addressing table (see ratelimit.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

struct bucket {
	unsigned char key[16];
	uint64_t last_us; /* when tokens was last brought up to date; 0: a free slot */
	double tokens;
};

struct ratelimit {
	double rate, burst;
	size_t max_keys;
	size_t cap; /* slots, a power of two, at least twice max_keys */
	size_t used;
	uint64_t overflows;
	struct bucket *slots;
};

struct ratelimit *
ratelimit_new(int rate, int burst, size_t max_keys)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return NULL;
	rl->rate = rate;
	rl->burst = burst < 1 ? 1 : burst;
	rl->max_keys = max_keys;
	for (rl->cap = 64; rl->cap < max_keys * 2; rl->cap *= 2)
		;
	if (rate > 0 && (rl->slots = calloc(rl->cap, sizeof(*rl->slots))) == NULL) {
		free(rl);
		return NULL;
	}
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->slots);
	free(rl);
}

/* The key is a cryptographic hash already: its first bytes are a good slot number. */
static size_t
slot_of(const struct ratelimit *rl, const unsigned char key[16])
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	return (size_t)h & (rl->cap - 1);
}

static void
refill(const struct ratelimit *rl, struct bucket *b, uint64_t now_us)
{
	if (now_us > b->last_us) {
		b->tokens += (double)(now_us - b->last_us) * rl->rate / 1e6;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
		b->last_us = now_us;
	}
}

int
ratelimit_take(struct ratelimit *rl, const unsigned char key[16], uint64_t now_us)
{
	struct bucket *b;
	size_t i;

	if (rl->rate <= 0)
		return 0;
	now_us = now_us == 0 ? 1 : now_us;
	for (i = slot_of(rl, key);; i = (i + 1) & (rl->cap - 1)) {
		b = &rl->slots[i];
		if (b->last_us == 0)
			break;
		if (memcmp(b->key, key, 16) == 0) {
			refill(rl, b, now_us);
			if (b->tokens < 1)
				return (int)ceil((1 - b->tokens) / rl->rate);
			b->tokens -= 1;
			return 0;
		}
	}
	if (rl->used >= rl->max_keys) {
		rl->overflows++;
		return 0;
	}
	memcpy(b->key, key, 16);
	b->last_us = now_us;
	b->tokens = rl->burst - 1;
	rl->used++;
	return 0;
}

/* Empties slot i of the table, moving back the keys after it that probed past it, so
 * every key stays reachable from its home slot (backward-shift deletion). */
static void
remove_at(struct ratelimit *rl, size_t i)
{
	size_t mask = rl->cap - 1, j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (rl->slots[j].last_us == 0)
			break;
		home = slot_of(rl, rl->slots[j].key);
		/* The key at j may fill the hole at i unless its home lies after i and up to j
		 * (going round the table from i). */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			rl->slots[i] = rl->slots[j];
			i = j;
		}
	}
	rl->slots[i].last_us = 0;
	rl->used--;
}

void
ratelimit_sweep(struct ratelimit *rl, uint64_t now_us)
{
	size_t mask, start, n;

	if (rl->rate <= 0 || rl->used == 0)
		return;
	/* In place: a walk once round the table from an empty slot, so that no run of keys
	 * crosses where it begins; a removal may move a later key back into the slot just
	 * emptied, which is therefore looked at again. */
	mask = rl->cap - 1;
	for (start = 0; rl->slots[start].last_us != 0; start++)
		;
	for (n = 1; n < rl->cap;) {
		struct bucket *b = &rl->slots[(start + n) & mask];

		if (b->last_us != 0) {
			refill(rl, b, now_us);
			if (b->tokens >= rl->burst) {
				remove_at(rl, (start + n) & mask);
				continue;
			}
		}
		n++;
	}
}

size_t
ratelimit_size(const struct ratelimit *rl)
{
	return rl->used;
}

uint64_t
ratelimit_overflows(const struct ratelimit *rl)
{
	return rl->overflows;
}
