/* keylock — at most one holder per 16-byte key in this process; the others wait in order.
 *
 * The issuance of access tokens holds its account's key while its statement runs, so the
 * batches this instance has in flight never name the same account: they run side by side,
 * rather than one waiting for the other's row lock (and then, unable to see the tokens the
 * other issued, telling every instance to forget every token it keeps), and one account's
 * burst of issuances queues here without slowing other accounts'.
 *
 * Waiters are embedded in their owners' state: nothing is allocated, nothing can fail. A
 * zeroed struct keylock is empty; it needs no cleanup once no key is held. Not thread-safe
 * (the event loop's). */
#ifndef FREECOOP_KEYLOCK_H
#define FREECOOP_KEYLOCK_H

#define KEYLOCK_BUCKETS 1024

struct keylock_waiter;

/* Runs when w holds its key. */
typedef void (*keylock_granted_cb)(struct keylock_waiter *w);

struct keylock_waiter {
	unsigned char key[16]; /* set by the owner; keys are random (uniform first bytes) */
	keylock_granted_cb granted;
	/* private */
	struct keylock_waiter *chain; /* the next holder in the same bucket */
	struct keylock_waiter *next;  /* the next waiter for the same key */
	struct keylock_waiter *last;  /* the holder's last waiter */
};

struct keylock {
	struct keylock_waiter *buckets[KEYLOCK_BUCKETS]; /* holders */
};

/* Queues w for w->key: w->granted runs at once, inside this call, when nobody holds the
 * key, or else when the waiters before it have given it up. w must stay valid until it
 * gives the key up itself. */
void keylock_take(struct keylock *kl, struct keylock_waiter *w);

/* Gives up the key w holds (its granted callback ran): the next waiter, if any, holds it
 * now and its granted callback runs inside this call. */
void keylock_give(struct keylock *kl, struct keylock_waiter *w);

#endif
