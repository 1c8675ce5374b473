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

void
ratelimit_sweep(struct ratelimit *rl, uint64_t now_us)
{
	struct bucket *old = rl->slots, *fresh;
	size_t n = 0;

	if (rl->rate <= 0 || rl->used == 0)
		return;
	/* Removing from a linear-probing table breaks the chains past the hole: what is left
	 * goes into a clean table instead (a few MB at most, once a second). Without memory
	 * for it, the sweep waits for the next second. */
	if ((fresh = calloc(rl->cap, sizeof(*fresh))) == NULL)
		return;
	for (size_t i = 0; i < rl->cap; i++) {
		size_t j;

		if (old[i].last_us == 0)
			continue;
		refill(rl, &old[i], now_us);
		if (old[i].tokens >= rl->burst)
			continue;
		for (j = slot_of(rl, old[i].key); fresh[j].last_us != 0; j = (j + 1) & (rl->cap - 1))
			;
		fresh[j] = old[i];
		n++;
	}
	rl->slots = fresh;
	rl->used = n;
	free(old);
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
