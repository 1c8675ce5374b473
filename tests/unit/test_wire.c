/* The server <-> worker protocol: round trips, and a decoder that refuses every truncated,
 * oversized, mistyped or inconsistent frame without crashing or over-allocating. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

#define MAX (1u << 20)
#define B(s) ((struct wire_bytes){(const unsigned char *)(s), (uint32_t)strlen(s)})

static int
bytes_eq(struct wire_bytes b, const char *s)
{
	return b.len == strlen(s) && memcmp(b.p, s, b.len) == 0;
}

static int
inside(struct wire_bytes x, const unsigned char *frame, size_t len)
{
	return x.len == 0 || (x.p >= frame && x.p + x.len <= frame + len);
}

/* A COUNT request with two proposals, three ballots and small sets, encoded into b. */
static void
sample_count(struct wire_buf *b)
{
	struct wire_proposal props[] = {{B("p1"), B(""), B("{\"x\":1}")},
					{B("p2"), B("ab12"), B("")}};
	struct wire_ballot ballots[] = {{B("b1"), B("[1,2]")}, {B("b2"), B("[2,1]")},
					{B("b3"), B("")}};
	struct wire_bytes part[] = {B("aa"), B("bb")}, prop[] = {B("aa")}, vote[] = {B("aa"), B("bb")};
	struct wire_count c = {.method = B("def count(a, b, c, d, e):\n    return b''\n"),
			       .limits = {1000, 2000, 256, 65536},
			       .proposals = props, .nproposals = 2,
			       .ballots = ballots, .nballots = 3,
			       .sets = {part, prop, vote}, .nsets = {2, 1, 2}};

	assert_int_equal(wire_encode_count(b, &c, MAX), 0);
}

static void
test_count_round_trip(void **state)
{
	struct wire_buf b = {0};
	struct wire_count c;
	size_t flen;

	sample_count(&b);
	assert_int_equal(wire_frame_ready(b.p, b.len, MAX, &flen), 1);
	assert_int_equal(flen, b.len);
	assert_int_equal(wire_frame_type(b.p, b.len), WIRE_COUNT);
	assert_int_equal(wire_decode_count(b.p, b.len, &c), 0);
	assert_true(bytes_eq(c.method, "def count(a, b, c, d, e):\n    return b''\n"));
	assert_int_equal(c.limits.cpu_ms, 1000);
	assert_int_equal(c.limits.result_max, 65536);
	assert_int_equal(c.nproposals, 2);
	assert_true(bytes_eq(c.proposals[0].payload, "{\"x\":1}"));
	assert_true(bytes_eq(c.proposals[1].proposer, "ab12"));
	assert_int_equal(c.nballots, 3);
	assert_true(bytes_eq(c.ballots[1].payload, "[2,1]"));
	assert_int_equal(c.nsets[1], 1);
	assert_true(bytes_eq(c.sets[2][1], "bb"));
	wire_count_free(&c);
	wire_buf_reset(&b);
}

static void
test_answers_round_trip(void **state)
{
	struct wire_result in = {B("\x00\x01result"), 1234, 777, 56789, B("{\"python\":\"3\"}")},
			   out;
	struct wire_buf b = {0};
	struct wire_error e;
	struct wire_bytes m;

	in.result.len = 8;
	assert_int_equal(wire_encode_result(&b, &in, MAX), 0);
	assert_int_equal(wire_decode_result(b.p, b.len, &out), 0);
	assert_int_equal(out.result.len, 8);
	assert_memory_equal(out.result.p, "\x00\x01result", 8);
	assert_int_equal(out.cpu_us, 1234);
	assert_int_equal(out.count_cpu_us, 777);
	assert_int_equal(out.peak_rss_kb, 56789);
	assert_true(bytes_eq(out.runtime, "{\"python\":\"3\"}"));
	wire_buf_reset(&b);

	assert_int_equal(wire_encode_error(&b, "{\"python\":\"3\"}", WIRE_ERR_TIMEOUT, "too slow",
					   MAX),
			 0);
	assert_int_equal(wire_decode_error(b.p, b.len, &e), 0);
	assert_int_equal(e.kind, WIRE_ERR_TIMEOUT);
	assert_string_equal(wire_error_kind_name(e.kind), "timeout");
	assert_true(bytes_eq(e.message, "too slow"));
	assert_true(bytes_eq(e.runtime, "{\"python\":\"3\"}"));
	wire_buf_reset(&b);

	/* A runtime description over WIRE_RUNTIME_MAX is refused by the decoders. */
	{
		char *big = calloc(1, WIRE_RUNTIME_MAX + 2);
		memset(big, 'x', WIRE_RUNTIME_MAX + 1);
		in.runtime = B(big);
		assert_int_equal(wire_encode_result(&b, &in, MAX), 0);
		assert_int_equal(wire_decode_result(b.p, b.len, &out), -1);
		wire_buf_reset(&b);
		/* the error encoder cuts it to the maximum */
		assert_int_equal(wire_encode_error(&b, big, WIRE_ERR_TIMEOUT, "x", MAX), 0);
		assert_int_equal(wire_decode_error(b.p, b.len, &e), 0);
		assert_int_equal(e.runtime.len, WIRE_RUNTIME_MAX);
		wire_buf_reset(&b);
		free(big);
	}

	assert_int_equal(wire_encode_validate(&b, "x = 1", 5, MAX), 0);
	assert_int_equal(wire_decode_validate(b.p, b.len, &m), 0);
	assert_true(bytes_eq(m, "x = 1"));
	/* the right frame, the wrong decoder */
	assert_int_equal(wire_decode_result(b.p, b.len, &out), -1);
	wire_buf_reset(&b);
}

static void
test_every_truncation_is_refused(void **state)
{
	struct wire_buf b = {0};
	struct wire_count c;
	size_t flen;

	sample_count(&b);
	for (size_t n = 0; n < b.len; n++) {
		/* A short prefix is "need more", never a frame. */
		assert_int_equal(wire_frame_ready(b.p, n, MAX, &flen), 0);
		/* A frame whose header is patched to the shorter length is malformed. */
		unsigned char *copy = malloc(n > 0 ? n : 1);
		memcpy(copy, b.p, n);
		if (n >= WIRE_HEADER_LEN) {
			uint32_t l = (uint32_t)(n - WIRE_HEADER_LEN);
			copy[0] = (unsigned char)(l >> 24);
			copy[1] = (unsigned char)(l >> 16);
			copy[2] = (unsigned char)(l >> 8);
			copy[3] = (unsigned char)l;
		}
		assert_int_equal(wire_decode_count(copy, n, &c), -1);
		free(copy);
	}
	wire_buf_reset(&b);
}

static void
test_oversized_and_empty_frames(void **state)
{
	unsigned char big[] = {0x00, 0x10, 0x00, 0x01, WIRE_COUNT};
	unsigned char zero[] = {0, 0, 0, 0};
	size_t flen;

	assert_int_equal(wire_frame_ready(big, sizeof(big), MAX, &flen), -1);
	assert_int_equal(wire_frame_ready(zero, sizeof(zero), MAX, &flen), -1);
	assert_int_equal(wire_frame_type(zero, sizeof(zero)), -1);
}

static void
test_impossible_counts_allocate_nothing(void **state)
{
	/* COUNT with an empty method, zero limits, and 4 billion proposals in 4 bytes. */
	unsigned char f[5 + 4 + 16 + 4];
	struct wire_count c;

	memset(f, 0, sizeof(f));
	f[3] = sizeof(f) - 4;
	f[4] = WIRE_COUNT;
	memset(f + 5 + 4 + 16, 0xff, 4);
	assert_int_equal(wire_decode_count(f, sizeof(f), &c), -1);
	assert_null(c.proposals);
}

static void
test_trailing_bytes_and_bad_values(void **state)
{
	struct wire_buf b = {0};
	struct wire_error e;
	char longmsg[WIRE_ERROR_MESSAGE_MAX + 50];

	/* trailing garbage inside the frame */
	wire_begin(&b, WIRE_ERROR);
	wire_put_u32(&b, WIRE_ERR_MEMORY);
	wire_put_bytes(&b, "m", 1);
	wire_put_bytes(&b, "", 0); /* the runtime */
	wire_put_u32(&b, 7);
	assert_int_equal(wire_finish(&b, MAX), 0);
	assert_int_equal(wire_decode_error(b.p, b.len, &e), -1);
	wire_buf_reset(&b);

	/* an unknown error kind */
	wire_begin(&b, WIRE_ERROR);
	wire_put_u32(&b, 99);
	wire_put_bytes(&b, "m", 1);
	wire_put_bytes(&b, "", 0);
	assert_int_equal(wire_finish(&b, MAX), 0);
	assert_int_equal(wire_decode_error(b.p, b.len, &e), -1);
	wire_buf_reset(&b);

	/* a message over the bound is cut by the encoder, refused by the decoder */
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	assert_int_equal(wire_encode_error(&b, NULL, WIRE_ERR_EXCEPTION, longmsg, MAX), 0);
	assert_int_equal(wire_decode_error(b.p, b.len, &e), 0);
	assert_int_equal(e.message.len, WIRE_ERROR_MESSAGE_MAX);
	wire_buf_reset(&b);
	wire_begin(&b, WIRE_ERROR);
	wire_put_u32(&b, WIRE_ERR_EXCEPTION);
	wire_put_bytes(&b, longmsg, sizeof(longmsg) - 1);
	wire_put_bytes(&b, "", 0);
	assert_int_equal(wire_finish(&b, MAX), 0);
	assert_int_equal(wire_decode_error(b.p, b.len, &e), -1);
	wire_buf_reset(&b);

	/* an encoder refuses a frame over the maximum */
	assert_int_equal(wire_encode_validate(&b, longmsg, sizeof(longmsg) - 1, 100), -1);
	wire_buf_reset(&b);
}

static void
test_random_mutations_never_crash(void **state)
{
	struct wire_buf b = {0};
	unsigned int seed = 12345;

	sample_count(&b);
	for (int round = 0; round < 20000; round++) {
		unsigned char *m = malloc(b.len);
		struct wire_count c;
		struct wire_result r;
		struct wire_error e;
		struct wire_bytes v;

		memcpy(m, b.p, b.len);
		for (int k = 0; k < 1 + round % 4; k++)
			m[(size_t)rand_r(&seed) % b.len] = (unsigned char)rand_r(&seed);
		if (wire_decode_count(m, b.len, &c) == 0) {
			/* whatever it accepted points inside the frame */
			assert_true(inside(c.method, m, b.len));
			for (uint32_t i = 0; i < c.nballots; i++)
				assert_true(inside(c.ballots[i].payload, m, b.len));
			for (uint32_t i = 0; i < c.nsets[2]; i++)
				assert_true(inside(c.sets[2][i], m, b.len));
			wire_count_free(&c);
		}
		(void)wire_decode_result(m, b.len, &r);
		(void)wire_decode_error(m, b.len, &e);
		(void)wire_decode_validate(m, b.len, &v);
		free(m);
	}
	wire_buf_reset(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_round_trip),
		cmocka_unit_test(test_answers_round_trip),
		cmocka_unit_test(test_every_truncation_is_refused),
		cmocka_unit_test(test_oversized_and_empty_frames),
		cmocka_unit_test(test_impossible_counts_allocate_nothing),
		cmocka_unit_test(test_trailing_bytes_and_bad_values),
		cmocka_unit_test(test_random_mutations_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
