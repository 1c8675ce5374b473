/* fuzz_wire_server — the api-server's side of the wire (common/wire.c): the input is what a
 * count-worker, or something posing as one, wrote back: a stream cut with wire_frame_ready
 * at the answer maximum api-server/worker/worker.c allows a COUNT, each frame decoded as
 * RESULT or ERROR like take_answer() does.
 *
 * Properties: framing holds (fuzz_next_frame); a frame decodes only as its own type; a
 * RESULT's bytes and runtime lie inside the frame and re-encode to the very frame; an ERROR
 * has a known kind, at most WIRE_ERROR_MESSAGE_MAX bytes of message and WIRE_RUNTIME_MAX of
 * runtime, and re-encodes to its own frame when the message and the runtime are what
 * take_answer() accepts (UTF-8 without NUL), else to the sanitized message. Besides, the whole input as a message: wire_encode_error writes valid UTF-8
 * without NUL, the message itself when it fits, else a prefix cut on a character boundary.
 * `--write-seeds DIR` writes the seed corpus, frames made by the real encoders. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "utf8.h"
#include "wire.h"

/* worker.c's answer_max for a COUNT at the default count_result_max */
#define ANSWER_MAX ((size_t)1048576 + WIRE_ERROR_MESSAGE_MAX + WIRE_ANSWER_OVERHEAD)
#define RUNTIME FUZZ_BYTES("{\"libraries\":[\"json\",\"math\"],\"python\":\"3.11.2\"}")

static bool
is_text(const struct wire_bytes *m)
{
	return utf8_valid(m->p, m->len) && (m->len == 0 || memchr(m->p, '\0', m->len) == NULL);
}

static void
check_result(const unsigned char *f, size_t len, int type)
{
	struct wire_result r, again;
	struct wire_buf b = {0};

	if (wire_decode_result(f, len, &r) != 0)
		return;
	FUZZ_CHECK(type == WIRE_RESULT);
	FUZZ_CHECK(fuzz_bytes_inside(r.result, f, len));
	FUZZ_CHECK(fuzz_bytes_inside(r.runtime, f, len) && r.runtime.len <= WIRE_RUNTIME_MAX);
	FUZZ_CHECK(wire_encode_result(&b, &r, len - WIRE_HEADER_LEN - 1) == -1);
	wire_buf_reset(&b);
	FUZZ_CHECK(wire_encode_result(&b, &r, len - WIRE_HEADER_LEN) == 0);
	FUZZ_CHECK(b.len == len && memcmp(b.p, f, len) == 0);
	FUZZ_CHECK(wire_decode_result(b.p, b.len, &again) == 0);
	FUZZ_CHECK(fuzz_bytes_eq(r.result, again.result) && r.cpu_us == again.cpu_us &&
	           r.count_cpu_us == again.count_cpu_us && r.peak_rss_kb == again.peak_rss_kb &&
	           fuzz_bytes_eq(r.runtime, again.runtime));
	wire_buf_reset(&b);
}

static void
check_error(const unsigned char *f, size_t len, int type)
{
	char *msg, *rt, want[WIRE_ERROR_MESSAGE_MAX + 1];
	struct wire_buf b = {0};
	struct wire_error e, again;
	size_t n;

	if (wire_decode_error(f, len, &e) != 0)
		return;
	FUZZ_CHECK(type == WIRE_ERROR);
	FUZZ_CHECK(wire_error_kind_name(e.kind) != NULL);
	FUZZ_CHECK(e.message.len <= WIRE_ERROR_MESSAGE_MAX);
	FUZZ_CHECK(fuzz_bytes_inside(e.message, f, len));
	FUZZ_CHECK(e.runtime.len <= WIRE_RUNTIME_MAX && fuzz_bytes_inside(e.runtime, f, len));
	msg = fuzz_strdup(e.message.p, e.message.len);
	rt = fuzz_strdup(e.runtime.p, e.runtime.len);
	FUZZ_CHECK(wire_encode_error(&b, rt, e.kind, msg, ANSWER_MAX) == 0);
	FUZZ_CHECK(wire_decode_error(b.p, b.len, &again) == 0 && again.kind == e.kind);
	FUZZ_CHECK(is_text(&again.message));
	if (is_text(&e.message) &&
	    (e.runtime.len == 0 || memchr(e.runtime.p, '\0', e.runtime.len) == NULL)) {
		FUZZ_CHECK(b.len == len && memcmp(b.p, f, len) == 0);
	} else {
		n = utf8_sanitize(msg, strlen(msg), want, sizeof(want));
		FUZZ_CHECK(again.message.len == n && memcmp(again.message.p, want, n) == 0);
	}
	free(msg);
	free(rt);
	wire_buf_reset(&b);
}

/* The worker's error messages come from Python exceptions: any bytes at all. */
static void
check_encode_error(const uint8_t *data, size_t size)
{
	char *msg = fuzz_strdup(data, size);
	size_t n = strlen(msg);
	struct wire_buf b = {0};
	struct wire_error e;

	FUZZ_CHECK(wire_encode_error(&b, NULL, WIRE_ERR_EXCEPTION, msg, ANSWER_MAX) == 0);
	FUZZ_CHECK(wire_decode_error(b.p, b.len, &e) == 0 && e.kind == WIRE_ERR_EXCEPTION);
	FUZZ_CHECK(e.message.len <= WIRE_ERROR_MESSAGE_MAX && is_text(&e.message));
	if (utf8_valid(msg, n) && n <= WIRE_ERROR_MESSAGE_MAX)
		FUZZ_CHECK(e.message.len == n && memcmp(e.message.p, msg, n) == 0);
	else if (utf8_valid(msg, n)) /* cut before the character that would not fit */
		FUZZ_CHECK(e.message.len > WIRE_ERROR_MESSAGE_MAX - 4 &&
		           memcmp(e.message.p, msg, e.message.len) == 0);
	free(msg);
	wire_buf_reset(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void
check_frame(const unsigned char *f, size_t len, int type)
{
	check_result(f, len, type);
	check_error(f, len, type);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_each_frame(data, size, ANSWER_MAX, check_frame);
	check_encode_error(data, size);
	return 0;
}

/* ---- seeds ---- */

static void
seed_result(const char *name, struct wire_bytes bytes, uint64_t cpu, uint64_t count_cpu,
            uint64_t rss)
{
	struct wire_result r = {bytes, cpu, count_cpu, rss, RUNTIME};
	struct wire_buf b = {0};

	FUZZ_CHECK(wire_encode_result(&b, &r, ANSWER_MAX) == 0);
	fuzz_seed_buf(name, &b);
	wire_buf_reset(&b);
}

static void
seed_error(const char *name, enum wire_error_kind kind, const char *message)
{
	struct wire_buf b = {0};

	FUZZ_CHECK(wire_encode_error(&b, (const char *)RUNTIME.p, kind, message, ANSWER_MAX) == 0);
	fuzz_seed_buf(name, &b);
	wire_buf_reset(&b);
}

/* An ERROR frame built field by field, to hold what wire_encode_error would not write. */
static void
seed_raw_error(const char *name, uint32_t kind, const void *message, uint32_t len)
{
	struct wire_buf b = {0};

	wire_begin(&b, WIRE_ERROR);
	wire_put_u32(&b, kind);
	wire_put_bytes(&b, message, len);
	wire_put_bytes(&b, RUNTIME.p, RUNTIME.len);
	FUZZ_CHECK(wire_finish(&b, ANSWER_MAX) == 0);
	fuzz_seed_buf(name, &b);
	wire_buf_reset(&b);
}

static void
write_seeds(void)
{
	char text[WIRE_ERROR_MESSAGE_MAX + 2];
	struct wire_buf b = {0};

	seed_result("result-runtime",
	            FUZZ_BYTES("{\"libraries\":[\"collections\",\"json\",\"math\"],"
	                       "\"python\":\"3.11.2\"}"),
	            81234, 0, 23456);
	seed_result("result-plurality",
	            FUZZ_BYTES("{\"adopted\":[\"p1\"],\"ballots\":3,\"counts\":{\"p1\":2,\"p2\":1},"
	              "\"invalid\":0}"),
	            152000, 1200, 31000);
	seed_result("result-empty", FUZZ_BYTES(""), 0, 0, 0);
	seed_result("result-binary", FUZZ_BYTES("\x00\xff\xfe\x80"), UINT64_MAX, UINT64_MAX, 1);
	seed_error("error-exception", WIRE_ERR_EXCEPTION,
	           "ZeroDivisionError: division by zero (line 3 in count)");
	seed_error("error-timeout", WIRE_ERR_TIMEOUT, "count() used more than 60000 ms of CPU");
	seed_error("error-memory", WIRE_ERR_MEMORY, "MemoryError");
	seed_error("error-sandbox", WIRE_ERR_SANDBOX_VIOLATION,
	           "the method made a forbidden system call (open)");
	seed_error("error-bad-result", WIRE_ERR_BAD_RESULT, "count() must return bytes, not str");
	seed_error("error-internal", WIRE_ERR_INTERNAL, "could not fork: Resource unavailable");
	seed_error("error-utf8", WIRE_ERR_EXCEPTION, "KeyError: 'caf\xc3\xa9 \xf0\x9f\x98\x80'");
	/* the longest message, in two-byte characters */
	for (size_t i = 0; i < WIRE_ERROR_MESSAGE_MAX; i += 2)
		memcpy(text + i, "\xc3\xa9", 2);
	text[WIRE_ERROR_MESSAGE_MAX] = '\0';
	seed_error("error-longest", WIRE_ERR_EXCEPTION, text);
	/* what the decoder or take_answer() must refuse */
	seed_raw_error("error-kind-0", 0, "x", 1);
	seed_raw_error("error-kind-7", 7, "x", 1);
	memset(text, 'a', sizeof(text));
	seed_raw_error("error-too-long", WIRE_ERR_EXCEPTION, text, WIRE_ERROR_MESSAGE_MAX + 1);
	seed_raw_error("error-not-utf8", WIRE_ERR_EXCEPTION, "bad \xc0\xaf \xed\xa0\x80", 9);
	seed_raw_error("error-nul", WIRE_ERR_INTERNAL, "a\0b", 3);
	{ /* a runtime one byte past the maximum */
		static unsigned char big[WIRE_RUNTIME_MAX + 1];
		memset(big, 'r', sizeof(big));
		wire_begin(&b, WIRE_RESULT);
		wire_put_bytes(&b, "x", 1);
		wire_put_u64(&b, 1);
		wire_put_u64(&b, 1);
		wire_put_u64(&b, 1);
		wire_put_bytes(&b, big, sizeof(big));
		FUZZ_CHECK(wire_finish(&b, ANSWER_MAX) == 0);
		fuzz_seed_buf("result-runtime-too-long", &b);
		wire_buf_reset(&b);
	}
	/* an answer and one more: the server reads one frame per job */
	FUZZ_CHECK(wire_encode_result(&b, &(struct wire_result){FUZZ_BYTES("x"), 1, 1, 1, RUNTIME},
	                              ANSWER_MAX) == 0);
	FUZZ_CHECK(wire_encode_error(&b, NULL, WIRE_ERR_TIMEOUT, "late", ANSWER_MAX) == 0);
	fuzz_seed_buf("stream-result-error", &b);
	b.len -= 3;
	fuzz_seed_buf("stream-truncated", &b);
	wire_buf_reset(&b);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_seeds_mode(*argc, *argv, write_seeds);
	return 0;
}
