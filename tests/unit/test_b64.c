/* Unit tests for b64: RFC 4648 vectors in both alphabets, round trips, strict rejection. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "b64.h"

struct vector {
	const char *plain;
	size_t plen;
	const char *std;
	const char *url;
};

/* clang-format off */
#define V(plain, std, url) {plain, sizeof(plain) - 1, std, url}

/* RFC 4648 §10, plus inputs whose encodings use symbols 62 and 63, and a NUL byte. */
static const struct vector vectors[] = {
	V("", "", ""),
	V("f", "Zg==", "Zg"),
	V("fo", "Zm8=", "Zm8"),
	V("foo", "Zm9v", "Zm9v"),
	V("foob", "Zm9vYg==", "Zm9vYg"),
	V("fooba", "Zm9vYmE=", "Zm9vYmE"),
	V("foobar", "Zm9vYmFy", "Zm9vYmFy"),
	V("\xfb\xff", "+/8=", "-_8"),
	V("\xff\xff\xfe", "///+", "___-"),
	V("\x00", "AA==", "AA"),
};
/* clang-format on */

static void
check_encode(const struct vector *v, bool url)
{
	const char *want = url ? v->url : v->std;
	char out[64];

	assert_int_equal(b64_encoded_len(v->plen, url), strlen(want));
	assert_int_equal(b64_encode((const unsigned char *)v->plain, v->plen, out, url),
			 strlen(want));
	assert_string_equal(out, want);
}

static void
check_decode(const struct vector *v, bool url)
{
	const char *text = url ? v->url : v->std;
	unsigned char out[64];

	assert_true(b64_decoded_max(strlen(text)) >= v->plen);
	assert_int_equal(b64_decode(text, strlen(text), out, sizeof out, url), v->plen);
	assert_memory_equal(out, v->plain, v->plen);
}

static void
test_rfc_vectors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		check_encode(&vectors[i], false);
		check_encode(&vectors[i], true);
		check_decode(&vectors[i], false);
		check_decode(&vectors[i], true);
	}
}

static void
round_trip(size_t n, bool url)
{
	unsigned char src[100], back[100];
	char text[160];
	size_t i, tlen;

	for (i = 0; i < n; i++)
		src[i] = (unsigned char)(rand() & 0xff);
	tlen = b64_encode(src, n, text, url);
	assert_int_equal(tlen, b64_encoded_len(n, url));
	assert_int_equal(strlen(text), tlen);
	assert_true(b64_decoded_max(tlen) >= n);
	assert_int_equal(b64_decode(text, tlen, back, n, url), n);
	assert_memory_equal(back, src, n);
}

static void
test_round_trips(void **state)
{
	size_t n;
	int rep;

	srand(4648);
	for (rep = 0; rep < 5; rep++) {
		for (n = 0; n <= 100; n++) {
			round_trip(n, false);
			round_trip(n, true);
		}
	}
}

static void
assert_rejected(const char *text, size_t n, bool url)
{
	unsigned char out[64];

	if (b64_decode(text, n, out, sizeof out, url) != -1)
		fail_msg("accepted %s text \"%.*s\"", url ? "base64url" : "base64", (int)n, text);
}

static void
test_rejects_std(void **state)
{
	/* clang-format off */
	static const char *bad[] = {
		"Zg", /* padding missing */
		"Zg=", /* padding short */
		"Zg===", /* padding long */
		"Z===", /* three pads */
		"====", /* pads only */
		"=", /* a lone pad */
		"Zh==", /* leftover bits set (one byte) */
		"Zm9=", /* leftover bits set (two bytes) */
		"Z=9v", /* pad in the middle */
		"Zg==Zg==", /* data after padding */
		"Zm9-", /* base64url symbol */
		"Zm9_", /* base64url symbol */
		"Zm 9v", /* space */
		"Zm9v\n", /* newline */
		" Zm9v", /* leading space */
		"Zm9v\r\n", /* CRLF */
		"Zm9\xc3", /* non-ASCII */
		"Zm.v", /* stray punctuation */
		"A===", /* three pads after a zero symbol */
		"Zm 9", /* space, length otherwise right */
		"Zm9v    ", /* trailing spaces, length otherwise right */
		"Zm9v\r\nZm9v", /* line break, length otherwise right */
	};
	/* clang-format on */
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_rejected(bad[i], strlen(bad[i]), false);
	assert_rejected("Zm\0v", 4, false); /* NUL inside */
}

static void
test_rejects_url(void **state)
{
	/* clang-format off */
	static const char *bad[] = {
		"Zg==", /* padding is not allowed */
		"Zm8=", /* padding is not allowed */
		"Z", /* a single leftover symbol */
		"Zm9vY", /* a single leftover symbol */
		"Zh", /* leftover bits set */
		"Zm9", /* leftover bits set */
		"Zm+v", /* standard symbol */
		"Zm/v", /* standard symbol */
		"Zm9v ", /* trailing space */
		"Zm\t9v", /* tab */
		"Zm9v=", /* a pad */
		"A", /* a single zero symbol */
		"Zm9vA", /* a single zero symbol left over */
		"Zm 9", /* space, length otherwise right */
		"Zm9v  ", /* trailing spaces, length otherwise right */
	};
	/* clang-format on */
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_rejected(bad[i], strlen(bad[i]), true);
}

static void
test_capacity(void **state)
{
	unsigned char out[8];

	memset(out, 0xaa, sizeof out);
	assert_int_equal(b64_decode("Zm9vYmFy", 8, out, 5, false), -1);
	assert_int_equal(b64_decode("Zm9vYmE", 7, out, 4, true), -1);
	assert_int_equal(b64_decode("Zm9vYmE", 7, out, 5, true), 5);
	assert_memory_equal(out, "fooba", 5);
	assert_int_equal(out[5], 0xaa); /* nothing written past the decoded length */
	assert_int_equal(b64_decode("", 0, out, 0, false), 0);
	assert_int_equal(b64_decode("", 0, out, 0, true), 0);
}

static void
test_lengths(void **state)
{
	assert_int_equal(b64_encoded_len(0, false), 0);
	assert_int_equal(b64_encoded_len(1, false), 4);
	assert_int_equal(b64_encoded_len(32, false), 44);
	assert_int_equal(b64_encoded_len(32, true), 43);
	assert_int_equal(b64_decoded_max(44), 33);
	assert_int_equal(b64_decoded_max(43), 32);
	assert_int_equal(b64_decoded_max(2), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc_vectors), cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_rejects_std), cmocka_unit_test(test_rejects_url),
	    cmocka_unit_test(test_capacity),    cmocka_unit_test(test_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
