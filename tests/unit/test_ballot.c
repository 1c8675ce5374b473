/* The sealed ballot (api-server/core/ballot.c): every ballot of a decision seals to one length
 * whatever it holds, opens back to exactly what was sealed, and does not open when moved
 * to another slot or decision, altered, or padded with anything but zeros. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ballot.h"

static const char decision[] = "3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6c";
static const char other[] = "3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6d";
static const char id[] = "8d88348a-7eed-4d14-b06d-3fef701966a0";

static unsigned char key[CRYPTO_KEY_LEN], slot[BALLOT_SLOT_LEN];

static int
setup(void **state)
{
	memset(key, 0x42, sizeof(key));
	memset(slot, 0x17, sizeof(slot));
	return 0;
}

/* Seals payload[0..len) padded to size, checks the length and opens it again. */
static void
round_trip(const unsigned char *payload, size_t len, int size)
{
	size_t n = ballot_sealed_len(size, len);
	unsigned char *sealed = malloc(n), *out = malloc(n);
	struct ballot_plain p;

	assert_int_equal(ballot_seal(key, decision, slot, id, payload, len, size, sealed), 0);
	assert_int_equal(ballot_open(NULL, key, decision, slot, sealed, n, size, out, &p), 0);
	assert_memory_equal(p.id, id, BALLOT_ID_LEN);
	assert_int_equal(p.len, len);
	if (len > 0)
		assert_memory_equal(p.payload, payload, len);
	free(sealed);
	free(out);
}

static void
test_one_length(void **state)
{
	unsigned char big[1024];

	memset(big, 0xff, sizeof(big));
	/* "yes", "no", "abstain", nothing, all of it: one sealed length. */
	for (size_t len = 0; len <= sizeof(big); len += len < 8 ? 1 : 97)
		assert_int_equal(ballot_sealed_len(1024, len), 1024 + 36 + 4 + 28);
	round_trip((const unsigned char *)"yes", 3, 1024);
	round_trip((const unsigned char *)"no", 2, 1024);
	round_trip((const unsigned char *)"abstain", 7, 1024);
	round_trip(big, 0, 1024);
	round_trip(big, sizeof(big), 1024);
	round_trip(big, 1, 1);
	/* unpadded, as decisions made before padding were sealed */
	round_trip((const unsigned char *)"yes", 3, 0);
	assert_int_equal(ballot_sealed_len(0, 3), 3 + 36 + 28);
}

static void
test_too_long(void **state)
{
	unsigned char payload[17] = {0}, sealed[BALLOT_SEALED_LEN(16)];

	assert_int_equal(ballot_seal(key, decision, slot, id, payload, 17, 16, sealed), -1);
	assert_int_equal(ballot_seal(key, decision, slot, id, payload, 16, 16, sealed), 0);
}

static void
test_refused(void **state)
{
	unsigned char sealed[BALLOT_SEALED_LEN(32)], out[sizeof(sealed)], moved[BALLOT_SLOT_LEN];
	unsigned char pt[BALLOT_HEAD_LEN + 32] = {0}, aad[36 + BALLOT_SLOT_LEN];
	struct ballot_plain p;

	assert_int_equal(ballot_seal(key, decision, slot, id, (const unsigned char *)"yes", 3, 32,
				     sealed), 0);
	memcpy(moved, slot, sizeof(moved));
	moved[0] ^= 1;
	assert_int_equal(ballot_open(NULL, key, decision, moved, sealed, sizeof(sealed), 32, out, &p), -1);
	assert_int_equal(ballot_open(NULL, key, other, slot, sealed, sizeof(sealed), 32, out, &p), -1);
	assert_int_equal(ballot_open(NULL, key, decision, slot, sealed, sizeof(sealed), 31, out, &p), -1);
	sealed[20] ^= 1;
	assert_int_equal(ballot_open(NULL, key, decision, slot, sealed, sizeof(sealed), 32, out, &p), -1);

	/* Sealed by someone holding the key, but padded with a non-zero byte, or saying it is
	 * longer than the ballot: not a ballot of this decision's form. */
	memcpy(aad, decision, 36);
	memcpy(aad + 36, slot, BALLOT_SLOT_LEN);
	memcpy(pt, id, 36);
	pt[39] = 3;
	memcpy(pt + 40, "yes", 3);
	pt[sizeof(pt) - 1] = 1;
	assert_int_equal(crypto_seal(NULL, key, aad, sizeof(aad), pt, sizeof(pt), sealed), 0);
	assert_int_equal(ballot_open(NULL, key, decision, slot, sealed, sizeof(sealed), 32, out, &p), -1);
	pt[sizeof(pt) - 1] = 0;
	pt[39] = 33;
	assert_int_equal(crypto_seal(NULL, key, aad, sizeof(aad), pt, sizeof(pt), sealed), 0);
	assert_int_equal(ballot_open(NULL, key, decision, slot, sealed, sizeof(sealed), 32, out, &p), -1);
	pt[39] = 3;
	assert_int_equal(crypto_seal(NULL, key, aad, sizeof(aad), pt, sizeof(pt), sealed), 0);
	assert_int_equal(ballot_open(NULL, key, decision, slot, sealed, sizeof(sealed), 32, out, &p), 0);
	assert_memory_equal(p.payload, "yes", 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_one_length, setup),
		cmocka_unit_test_setup(test_too_long, setup),
		cmocka_unit_test_setup(test_refused, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
