/* keylock — holders chained per bucket, each with its queue of waiters (see keylock.h). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keylock.h"

static struct keylock_waiter **
bucket_of(struct keylock *kl, const unsigned char key[16])
{
	uint32_t h;

	memcpy(&h, key, sizeof(h));
	return &kl->buckets[h % KEYLOCK_BUCKETS];
}

/* Where the holder of key is linked (*result is NULL when nobody holds it). */
static struct keylock_waiter **
holder_link(struct keylock *kl, const unsigned char key[16])
{
	struct keylock_waiter **p = bucket_of(kl, key);

	while (*p != NULL && memcmp((*p)->key, key, 16) != 0)
		p = &(*p)->chain;
	return p;
}

void
keylock_take(struct keylock *kl, struct keylock_waiter *w)
{
	struct keylock_waiter **p = holder_link(kl, w->key), *h = *p;

	w->next = w->last = w->chain = NULL;
	if (h != NULL) {
		if (h->last == NULL)
			h->next = w;
		else
			h->last->next = w;
		h->last = w;
		return;
	}
	*p = w;
	w->granted(w);
}

void
keylock_give(struct keylock *kl, struct keylock_waiter *w)
{
	struct keylock_waiter **p = holder_link(kl, w->key), *n = w->next;

	if (*p != w) /* not the holder: a programming error; nothing to give */
		return;
	if (n == NULL) {
		*p = w->chain;
		return;
	}
	n->chain = w->chain;
	n->last = w->last == n ? NULL : w->last;
	*p = n;
	n->granted(n);
}
