/* ncache — the notified cache (see the header). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ncache.h"

struct entry {
	unsigned char key[NCACHE_KEY_LEN];
	uint64_t epoch;    /* the cache's when put: an older one is gone */
	uint64_t until_us; /* 0: empty */
	void *value;
	size_t len, cap;
};

struct ncache {
	size_t n;
	uint64_t ttl_us;
	int listening;
	uint64_t changes; /* changes heard so far: the tickets */
	uint64_t epoch;   /* forgetting everything moves it on, touching no entry */
	uint64_t hits, misses;
	struct entry entries[];
};

struct ncache *
ncache_new(size_t n, int ttl_ms)
{
	struct ncache *nc;

	if (ttl_ms <= 0)
		n = 0;
	if ((nc = calloc(1, sizeof(*nc) + n * sizeof(struct entry))) == NULL)
		return NULL;
	nc->n = n;
	nc->epoch = 1;
	nc->ttl_us = (uint64_t)(ttl_ms > 0 ? ttl_ms : 0) * 1000u;
	return nc;
}

void
ncache_free(struct ncache *nc)
{
	if (nc == NULL)
		return;
	for (size_t i = 0; i < nc->n; i++) {
		if (nc->entries[i].value != NULL)
			OPENSSL_cleanse(nc->entries[i].value, nc->entries[i].cap);
		free(nc->entries[i].value);
	}
	free(nc);
}

static struct entry *
slot_of(struct ncache *nc, const unsigned char key[NCACHE_KEY_LEN])
{
	uint64_t x;

	memcpy(&x, key, sizeof(x));
	return &nc->entries[x % nc->n];
}

const void *
ncache_get(struct ncache *nc, const unsigned char key[NCACHE_KEY_LEN], uint64_t now_us,
	   size_t *len)
{
	struct entry *e;

	if (nc == NULL || nc->n == 0 || !nc->listening)
		return NULL;
	e = slot_of(nc, key);
	if (e->epoch != nc->epoch || e->until_us <= now_us ||
	    memcmp(e->key, key, NCACHE_KEY_LEN) != 0) {
		nc->misses++;
		return NULL;
	}
	nc->hits++;
	*len = e->len;
	return e->value;
}

uint64_t
ncache_ticket(const struct ncache *nc)
{
	return nc != NULL ? nc->changes : 0;
}

void
ncache_put(struct ncache *nc, uint64_t ticket, const unsigned char key[NCACHE_KEY_LEN],
	   const void *value, size_t len, uint64_t deadline_us, uint64_t now_us)
{
	struct entry *e;
	uint64_t until;

	if (nc == NULL || nc->n == 0 || !nc->listening || ticket != nc->changes)
		return;
	until = now_us + nc->ttl_us;
	if (deadline_us != 0 && deadline_us < until)
		until = deadline_us;
	if (until <= now_us)
		return;
	e = slot_of(nc, key);
	if (len > e->cap) {
		void *p = malloc(len);
		if (p == NULL)
			return;
		if (e->value != NULL)
			OPENSSL_cleanse(e->value, e->cap);
		free(e->value);
		e->value = p;
		e->cap = len;
	}
	memcpy(e->key, key, NCACHE_KEY_LEN);
	e->epoch = nc->epoch;
	memcpy(e->value, value, len);
	e->len = len;
	e->until_us = until;
}

void
ncache_forget(struct ncache *nc, const unsigned char key[NCACHE_KEY_LEN])
{
	struct entry *e;

	if (nc == NULL)
		return;
	nc->changes++;
	if (nc->n == 0)
		return;
	e = slot_of(nc, key);
	if (memcmp(e->key, key, NCACHE_KEY_LEN) == 0)
		e->until_us = 0;
}

void
ncache_forget_all(struct ncache *nc)
{
	if (nc == NULL)
		return;
	nc->changes++;
	nc->epoch++;
}

void
ncache_listening(struct ncache *nc, int on)
{
	if (nc == NULL)
		return;
	nc->listening = on;
	ncache_forget_all(nc);
}

void
ncache_get_stats(const struct ncache *nc, struct ncache_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (nc == NULL)
		return;
	st->hits = nc->hits;
	st->misses = nc->misses;
	st->changes = nc->changes;
	st->listening = nc->listening;
}
