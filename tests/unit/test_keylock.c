/* Key locks: one holder per key, waiters served in order, keys independent (also in one
 * bucket), a key free again once its last holder gave it up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/keylock.h"

static int order[16];
static int norder;

struct owner {
	struct keylock_waiter w; /* first: the callback finds its owner */
	int id;
};

static void
granted(struct keylock_waiter *w)
{
	order[norder++] = ((struct owner *)w)->id;
}

/* Owner id of key k; keys with the same low 32 bits share a bucket. */
static void
owner_init(struct owner *o, int id, uint32_t k, uint32_t high)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->w.key, &k, sizeof(k));
	memcpy(o->w.key + 12, &high, sizeof(high));
	o->w.granted = granted;
	o->id = id;
}

static int
setup(void **state)
{
	norder = 0;
	return 0;
}

static void
test_one_holder_fifo(void **state)
{
	static struct keylock kl; /* zeroed: empty */
	struct owner a, b, c, other;

	owner_init(&a, 1, 7, 0);
	owner_init(&b, 2, 7, 0);
	owner_init(&c, 3, 7, 0);
	owner_init(&other, 4, 8, 0);
	keylock_take(&kl, &a.w);
	keylock_take(&kl, &b.w);
	keylock_take(&kl, &c.w);
	keylock_take(&kl, &other.w); /* another key is not held up */
	assert_int_equal(norder, 2);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 4);
	keylock_give(&kl, &a.w);
	assert_int_equal(norder, 3);
	assert_int_equal(order[2], 2);
	keylock_give(&kl, &b.w);
	assert_int_equal(order[3], 3);
	keylock_give(&kl, &c.w);
	keylock_give(&kl, &other.w);
	/* All free again: a new taker holds the key at once. */
	keylock_take(&kl, &a.w);
	assert_int_equal(norder, 5);
	keylock_give(&kl, &a.w);
	for (int i = 0; i < KEYLOCK_BUCKETS; i++)
		assert_null(kl.buckets[i]);
}

static void
test_shared_bucket(void **state)
{
	static struct keylock kl;
	struct owner x[4], y;

	/* Four keys in one bucket, each held; a waiter behind the second. */
	for (int i = 0; i < 4; i++) {
		owner_init(&x[i], 10 + i, 42, (uint32_t)i);
		keylock_take(&kl, &x[i].w);
	}
	owner_init(&y, 20, 42, 1);
	keylock_take(&kl, &y.w);
	assert_int_equal(norder, 4);
	/* Giving up a key in the middle of the chain hands it over, the others stay held. */
	keylock_give(&kl, &x[1].w);
	assert_int_equal(norder, 5);
	assert_int_equal(order[4], 20);
	keylock_give(&kl, &x[2].w);
	keylock_give(&kl, &x[0].w);
	keylock_give(&kl, &y.w);
	keylock_give(&kl, &x[3].w);
	for (int i = 0; i < KEYLOCK_BUCKETS; i++)
		assert_null(kl.buckets[i]);
}

/* A waiter that, once granted, gives up at once (as an issuance answered from the
 * callback would): the rest of the queue is still served, in order. */
static struct keylock chained;

static void
give_at_once(struct keylock_waiter *w)
{
	granted(w);
	keylock_give(&chained, w);
}

static void
test_give_from_callback(void **state)
{
	struct owner o[5];

	for (int i = 0; i < 5; i++) {
		owner_init(&o[i], i, 99, 0);
		o[i].w.granted = i == 0 ? granted : give_at_once;
		keylock_take(&chained, &o[i].w);
	}
	assert_int_equal(norder, 1);
	keylock_give(&chained, &o[0].w);
	assert_int_equal(norder, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(order[i], i);
	for (int i = 0; i < KEYLOCK_BUCKETS; i++)
		assert_null(chained.buckets[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_one_holder_fifo, setup),
		cmocka_unit_test_setup(test_shared_bucket, setup),
		cmocka_unit_test_setup(test_give_from_callback, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
