/* Token buckets: bursts, refusals with the right wait, refills, sweeping, a full table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/ratelimit.h"

#define S 1000000ull /* a second in µs */

static void
key_of(unsigned char key[16], unsigned n)
{
	memset(key, 0, 16);
	memcpy(key, &n, sizeof(n)); /* spread over the slots like a hash's first bytes */
	key[15] = (unsigned char)n;
}

static void
test_burst_then_refusal_then_refill(void **state)
{
	struct ratelimit *rl = ratelimit_new(2, 5, 100);
	unsigned char k[16];
	uint64_t t = 10 * S;

	key_of(k, 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(rl, k, t), 0);
	assert_int_equal(ratelimit_take(rl, k, t), 1); /* one token back in half a second */
	assert_int_equal(ratelimit_take(rl, k, t + S / 4), 1);
	assert_int_equal(ratelimit_take(rl, k, t + S / 2), 0);
	assert_int_equal(ratelimit_take(rl, k, t + S / 2), 1);
	/* Long idle: back to the burst, not beyond. */
	t += 100 * S;
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(rl, k, t), 0);
	assert_int_not_equal(ratelimit_take(rl, k, t), 0);
	ratelimit_free(rl);
}

static void
test_slow_rate_waits_longer(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 1, 100);
	unsigned char k[16];

	key_of(k, 7);
	assert_int_equal(ratelimit_take(rl, k, S), 0);
	assert_int_equal(ratelimit_take(rl, k, S), 1);
	ratelimit_free(rl);
	rl = ratelimit_new(1, 3, 100);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ratelimit_take(rl, k, S), 0);
	assert_int_equal(ratelimit_take(rl, k, S + S / 10), 1); /* 0.1 token: 0.9 s to go */
	ratelimit_free(rl);
}

static void
test_keys_are_separate(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 2, 1000);
	unsigned char a[16], b[16];

	key_of(a, 1);
	key_of(b, 2);
	assert_int_equal(ratelimit_take(rl, a, S), 0);
	assert_int_equal(ratelimit_take(rl, a, S), 0);
	assert_int_not_equal(ratelimit_take(rl, a, S), 0);
	assert_int_equal(ratelimit_take(rl, b, S), 0);
	ratelimit_free(rl);
}

static void
test_sweep_drops_full_buckets_only(void **state)
{
	struct ratelimit *rl = ratelimit_new(10, 10, 10000);
	unsigned char k[16];

	/* 1000 keys, colliding in chains: half of them drained, half used once. */
	for (unsigned i = 0; i < 1000; i++) {
		key_of(k, i * 64);
		for (int j = 0; j < (i % 2 ? 10 : 1); j++)
			assert_int_equal(ratelimit_take(rl, k, S), 0);
	}
	assert_int_equal(ratelimit_size(rl), 1000);
	/* 0.1 s later the lightly used ones are full again; the drained ones are not. */
	ratelimit_sweep(rl, S + S / 10);
	assert_int_equal(ratelimit_size(rl), 500);
	for (unsigned i = 1; i < 1000; i += 2) { /* still found, still nearly empty */
		key_of(k, i * 64);
		assert_int_equal(ratelimit_take(rl, k, S + S / 10), 0);
		assert_int_not_equal(ratelimit_take(rl, k, S + S / 10), 0);
	}
	assert_int_equal(ratelimit_size(rl), 500);
	ratelimit_sweep(rl, 100 * S);
	assert_int_equal(ratelimit_size(rl), 0);
	ratelimit_free(rl);
}

/* Swept in place: the keys left behind a removal, in runs that go round the end of the
 * table to its start, are still found (a lost key would get a fresh, full bucket). */
static void
test_sweep_keeps_runs_that_wrap(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 1, 32); /* 64 slots */
	unsigned char k[16];

	for (unsigned round = 0; round < 50; round++) {
		uint64_t t = (10 + 10 * round) * S;

		/* 30 keys homed in the last 4 slots, so most of them wrap to the start; every
		 * third one (a different third each round) used long enough ago to be full. */
		for (unsigned i = 0; i < 30; i++) {
			key_of(k, 60 + (i * 7 + round) % 4 + 64 * (i + 1));
			assert_int_equal(ratelimit_take(rl, k, (i + round) % 3 == 0 ? t : t + 9 * S / 10), 0);
		}
		ratelimit_sweep(rl, t + S);
		assert_int_equal(ratelimit_size(rl), 20);
		for (unsigned i = 0; i < 30; i++) {
			key_of(k, 60 + (i * 7 + round) % 4 + 64 * (i + 1));
			if ((i + round) % 3 != 0) /* kept: still empty for most of a second */
				assert_int_not_equal(ratelimit_take(rl, k, t + S), 0);
		}
		ratelimit_sweep(rl, t + 5 * S);
		assert_int_equal(ratelimit_size(rl), 0);
	}
	ratelimit_free(rl);
}

static void
test_full_table_admits_unlimited(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 1, 16);
	unsigned char k[16];

	for (unsigned i = 0; i < 16; i++) {
		key_of(k, i);
		assert_int_equal(ratelimit_take(rl, k, S), 0);
	}
	key_of(k, 99);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(rl, k, S), 0);
	assert_int_equal(ratelimit_overflows(rl), 5);
	key_of(k, 3); /* the keys it holds are still limited */
	assert_int_not_equal(ratelimit_take(rl, k, S), 0);
	ratelimit_free(rl);
}

static void
test_rate_zero_is_no_limit(void **state)
{
	struct ratelimit *rl = ratelimit_new(0, 1, 16);
	unsigned char k[16];

	key_of(k, 1);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ratelimit_take(rl, k, S), 0);
	assert_int_equal(ratelimit_size(rl), 0);
	ratelimit_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_refusal_then_refill),
	    cmocka_unit_test(test_slow_rate_waits_longer),
	    cmocka_unit_test(test_keys_are_separate),
	    cmocka_unit_test(test_sweep_drops_full_buckets_only),
	    cmocka_unit_test(test_sweep_keeps_runs_that_wrap),
	    cmocka_unit_test(test_full_table_admits_unlimited),
	    cmocka_unit_test(test_rate_zero_is_no_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
