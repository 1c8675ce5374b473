/* ncache — a bounded in-memory cache of what the database said, trusted only while the
 * database's notifications of changes are heard.
 *
 * Direct-mapped by a 32-byte key (a SHA-256: as good as random); each value a copy of its
 * bytes, good for at most ttl_ms and never past the deadline it was put with. While not
 * listening it answers nothing, and it starts empty when listening starts again (changes
 * made meanwhile were not heard). Every change heard (ncache_forget*) also makes the reads
 * then in flight unfit to be kept, for their answer may predate it: ncache_put takes the
 * ticket its read was started with and drops an answer older than the last change. */
#ifndef FREECOOP_NCACHE_H
#define FREECOOP_NCACHE_H

#include <stddef.h>
#include <stdint.h>

#define NCACHE_KEY_LEN 32

struct ncache_stats {
	uint64_t hits, misses; /* ncache_get's answers */
	uint64_t changes;      /* changes heard, and listening started or stopped */
	int listening;
};

/* A cache of n entries (0, or ttl_ms 0: one that keeps nothing); NULL without memory. */
struct ncache *ncache_new(size_t n, int ttl_ms);

/* Wipes and frees the cache; NULL-safe. */
void ncache_free(struct ncache *nc);

/* The value kept for key and its length, still good at now_us; NULL otherwise. Valid
 * until the cache is next changed. */
const void *ncache_get(struct ncache *nc, const unsigned char key[NCACHE_KEY_LEN],
		       uint64_t now_us, size_t *len);

/* What a read started now passes to ncache_put when its answer comes. */
uint64_t ncache_ticket(const struct ncache *nc);

/* Keeps a copy of value[0..len) for key until deadline_us (0: none) or ttl_ms from now_us,
 * whichever is first — unless a change was heard since ticket was taken. */
void ncache_put(struct ncache *nc, uint64_t ticket, const unsigned char key[NCACHE_KEY_LEN],
		const void *value, size_t len, uint64_t deadline_us, uint64_t now_us);

/* A change of key heard: forgotten. */
void ncache_forget(struct ncache *nc, const unsigned char key[NCACHE_KEY_LEN]);

/* A change of anything heard: everything forgotten. */
void ncache_forget_all(struct ncache *nc);

/* Listening started (on: the cache starts empty) or stopped (off: it answers nothing). */
void ncache_listening(struct ncache *nc, int on);

void ncache_get_stats(const struct ncache *nc, struct ncache_stats *st);

#endif
