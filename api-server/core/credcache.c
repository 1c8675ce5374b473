/* credcache — the credential cache (see the header). */
#include <stdlib.h>
#include <string.h>

#include "credcache.h"
#include "util.h"

struct entry {
	unsigned char hash[UTIL_SHA256_LEN];
	char prefix[5];
	uint64_t until_us; /* 0: empty */
	struct principal who;
};

struct credcache {
	size_t n;
	uint64_t ttl_us;
	int listening;
	uint64_t notified; /* notifications (and listening changes) so far: the tickets */
	uint64_t hits, misses;
	struct entry entries[];
};

struct credcache *
credcache_new(size_t n, int ttl_ms)
{
	struct credcache *cc = calloc(1, sizeof(*cc) + n * sizeof(struct entry));

	if (cc == NULL)
		return NULL;
	cc->n = n;
	cc->ttl_us = ttl_ms > 0 ? (uint64_t)ttl_ms * 1000u : 0;
	return cc;
}

void
credcache_free(struct credcache *cc)
{
	free(cc);
}

/* The slot of a hash: its first bytes (a SHA-256 is as good as random). */
static struct entry *
slot_of(const struct credcache *cc, const unsigned char hash[UTIL_SHA256_LEN])
{
	uint64_t x;

	memcpy(&x, hash, sizeof(x));
	return (struct entry *)&cc->entries[x % cc->n];
}

const struct principal *
credcache_get(struct credcache *cc, const struct credential *cred, uint64_t now_us)
{
	const struct entry *e;

	if (cc == NULL || cc->n == 0 || !cc->listening)
		return NULL;
	e = slot_of(cc, cred->hash);
	if (e->until_us <= now_us || memcmp(e->hash, cred->hash, UTIL_SHA256_LEN) != 0 ||
	    strcmp(e->prefix, cred->prefix) != 0) {
		cc->misses++;
		return NULL;
	}
	cc->hits++;
	return &e->who;
}

void
credcache_get_stats(const struct credcache *cc, struct credcache_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (cc == NULL)
		return;
	st->hits = cc->hits;
	st->misses = cc->misses;
	st->forgotten = cc->notified;
	st->listening = cc->listening;
}

uint64_t
credcache_ticket(const struct credcache *cc)
{
	return cc != NULL ? cc->notified : 0;
}

void
credcache_put(struct credcache *cc, uint64_t ticket, const struct credential *cred,
	      const struct principal *who, uint64_t expires_us, uint64_t now_us)
{
	struct entry *e;
	uint64_t until = now_us + cc->ttl_us;

	if (cc == NULL || cc->n == 0 || cc->ttl_us == 0 || !cc->listening ||
	    ticket != cc->notified)
		return;
	if (expires_us != 0 && expires_us < until)
		until = expires_us;
	if (until <= now_us)
		return;
	e = slot_of(cc, cred->hash);
	memcpy(e->hash, cred->hash, UTIL_SHA256_LEN);
	memcpy(e->prefix, cred->prefix, sizeof(e->prefix));
	e->who = *who;
	e->until_us = until;
}

/* Empties the slot of hash if it holds hash. */
static void
drop(struct credcache *cc, const unsigned char hash[UTIL_SHA256_LEN])
{
	struct entry *e = slot_of(cc, hash);

	if (memcmp(e->hash, hash, UTIL_SHA256_LEN) == 0)
		e->until_us = 0;
}

void
credcache_forget(struct credcache *cc, const unsigned char hash[UTIL_SHA256_LEN])
{
	if (cc == NULL)
		return;
	cc->notified++;
	if (cc->n > 0)
		drop(cc, hash);
}

static void
forget_all(struct credcache *cc)
{
	for (size_t i = 0; i < cc->n; i++)
		cc->entries[i].until_us = 0;
}

void
credcache_forget_hex(struct credcache *cc, const char *list)
{
	unsigned char hash[UTIL_SHA256_LEN];
	const size_t hex = 2 * UTIL_SHA256_LEN;

	if (cc == NULL)
		return;
	cc->notified++;
	for (const char *p = list; cc->n > 0 && *p != '\0'; p += hex + (p[hex] == ',')) {
		char one[2 * UTIL_SHA256_LEN + 1];

		if (strlen(p) < hex || (p[hex] != ',' && p[hex] != '\0')) {
			forget_all(cc); /* not understood: the safe reading */
			return;
		}
		memcpy(one, p, hex);
		one[hex] = '\0';
		if (!util_unhex(one, hash, UTIL_SHA256_LEN)) {
			forget_all(cc); /* not understood: the safe reading */
			return;
		}
		drop(cc, hash);
	}
}

void
credcache_notified(struct credcache *cc, const char *payload)
{
	if (cc == NULL)
		return;
	if (strncmp(payload, "t:", 2) == 0) {
		credcache_forget_hex(cc, payload + 2);
		return;
	}
	cc->notified++;
	if (cc->n > 0)
		forget_all(cc);
}

void
credcache_listening(struct credcache *cc, int on)
{
	if (cc == NULL)
		return;
	cc->notified++;
	cc->listening = on;
	if (on && cc->n > 0)
		forget_all(cc);
}
