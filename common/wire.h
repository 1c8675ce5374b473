/* wire — the api-server ↔ count-worker protocol (DESIGN §8).
 *
 * A frame is a u32 big-endian length (of what follows, checked against a maximum before
 * anything is allocated), then a u8 message type, then typed fields: u32 and u64 in
 * big-endian, byte strings as u32 length + bytes. Requests: VALIDATE (method source) and
 * COUNT (method source, limits, the five sets). Answers: RESULT (bytes, CPU time, peak
 * memory) or ERROR (kind, bounded message), each ending with the worker's runtime
 * description, so a COUNT needs no VALIDATE before it for its result document.
 *
 * Decoders never trust the peer: every length is checked against what remains, every
 * element count against the smallest size an element can take, and decoded strings and
 * byte strings point into the frame (borrowed, valid while the frame is). */
#ifndef FREECOOP_WIRE_H
#define FREECOOP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_HEADER_LEN 4
#define WIRE_ERROR_MESSAGE_MAX 1024
/* Every answer carries the worker's runtime as UTF-8 JSON of at most this many bytes:
 * {"libraries":["json",...],"python":"3.11.2"} (the result document's "runtime"); a
 * VALIDATE's RESULT has it as its bytes too. */
#define WIRE_RUNTIME_MAX 2048
/* What an answer frame holds besides its result or message: header, type, fixed fields
 * and the runtime. An answer to a job is at most result_max (or WIRE_ERROR_MESSAGE_MAX)
 * plus this. */
#define WIRE_ANSWER_OVERHEAD (64 + WIRE_RUNTIME_MAX)
/* The count-worker's default max_job_mb: the largest request frame it reads, in MiB. */
#define WIRE_JOB_MAX_MB_DEFAULT 1024

enum wire_type {
	WIRE_VALIDATE = 1,
	WIRE_COUNT = 2,
	WIRE_RESULT = 3,
	WIRE_ERROR = 4,
};

enum wire_error_kind {
	WIRE_ERR_EXCEPTION = 1,
	WIRE_ERR_TIMEOUT,
	WIRE_ERR_MEMORY,
	WIRE_ERR_SANDBOX_VIOLATION,
	WIRE_ERR_BAD_RESULT,
	WIRE_ERR_INTERNAL,
};

/* A borrowed byte string. */
struct wire_bytes {
	const unsigned char *p;
	uint32_t len;
};

struct wire_proposal {
	struct wire_bytes id, proposer, payload;
};

struct wire_ballot {
	struct wire_bytes id, payload;
};

struct wire_limits {
	uint32_t cpu_ms;     /* CPU time of the count */
	uint32_t wall_ms;    /* wall-clock deadline */
	uint32_t memory_mb;  /* address space */
	uint32_t result_max; /* bytes of the result */
};

/* A COUNT request; arrays are allocated by wire_decode_count (free with wire_count_free),
 * their byte strings borrowed from the frame. */
struct wire_count {
	struct wire_bytes method;
	struct wire_limits limits;
	struct wire_proposal *proposals;
	uint32_t nproposals;
	struct wire_ballot *ballots;
	uint32_t nballots;
	struct wire_bytes *sets[3]; /* participants, proposer_franchise, voter_franchise */
	uint32_t nsets[3];
};

/* A RESULT: for VALIDATE the runtime description (see WIRE_RUNTIME_MAX); for COUNT the
 * bytes count() returned, the CPU time of the whole job (decoding inputs, running the
 * module, count()), the CPU time of count() alone, and the job's peak resident memory;
 * then the runtime (at most WIRE_RUNTIME_MAX bytes; empty between a job's child and the
 * worker, which puts its own). */
struct wire_result {
	struct wire_bytes result;
	uint64_t cpu_us;
	uint64_t count_cpu_us;
	uint64_t peak_rss_kb;
	struct wire_bytes runtime;
};

struct wire_error {
	enum wire_error_kind kind;
	struct wire_bytes message; /* at most WIRE_ERROR_MESSAGE_MAX bytes */
	struct wire_bytes runtime; /* as a RESULT's */
};

/* A growing output buffer. */
struct wire_buf {
	unsigned char *p;
	size_t len, cap;
	size_t start; /* where the frame being built begins */
	int failed; /* an allocation failed: the content is incomplete */
};

/* Starts a frame of the given type in b (which must be zeroed or reset). */
void wire_begin(struct wire_buf *b, enum wire_type type);
void wire_put_u32(struct wire_buf *b, uint32_t v);
void wire_put_u64(struct wire_buf *b, uint64_t v);
void wire_put_bytes(struct wire_buf *b, const void *p, uint32_t len);
/* Writes the frame length into the header. Returns 0, or -1 if an allocation failed or
 * the frame is longer than max. */
int wire_finish(struct wire_buf *b, size_t max);
/* Frees b's memory and zeroes it; b may be reused afterwards. */
void wire_buf_reset(struct wire_buf *b);

/* Given the first avail bytes of a stream, says whether a whole frame is there:
 * returns 1 when it is, 0 when more bytes are needed, -1 when the announced length is 0 or
 * exceeds max (a protocol violation). Once the header has arrived and is valid, sets
 * *frame_len to the frame's whole length (header included), even when returning 0. */
int wire_frame_ready(const unsigned char *p, size_t avail, size_t max, size_t *frame_len);

/* The type of the complete frame p[0..len), or -1 if it has none. */
int wire_frame_type(const unsigned char *p, size_t len);

/* Decoders of complete frames (header included). Each returns 0, or -1 when the frame is
 * truncated, has trailing bytes, the wrong type, or an impossible count or value. */
int wire_decode_validate(const unsigned char *p, size_t len, struct wire_bytes *method);
int wire_decode_count(const unsigned char *p, size_t len, struct wire_count *out);
int wire_decode_result(const unsigned char *p, size_t len, struct wire_result *out);
int wire_decode_error(const unsigned char *p, size_t len, struct wire_error *out);

/* Frees the arrays of a decoded COUNT request (not the frame). NULL-safe fields. */
void wire_count_free(struct wire_count *c);

/* Encoders: append a complete frame to b; return 0 or -1 (see wire_finish). */
int wire_encode_validate(struct wire_buf *b, const void *method, uint32_t len, size_t max);
int wire_encode_count(struct wire_buf *b, const struct wire_count *c, size_t max);
int wire_encode_result(struct wire_buf *b, const struct wire_result *r, size_t max);
/* The message is made valid UTF-8 without NUL (ill-formed bytes become '?') and cut on a
 * character boundary to WIRE_ERROR_MESSAGE_MAX bytes; runtime (NUL-terminated, NULL for
 * none) is cut to WIRE_RUNTIME_MAX bytes. */
int wire_encode_error(struct wire_buf *b, const char *runtime, enum wire_error_kind kind,
		      const char *message, size_t max);
/* Like wire_encode_error, with the message formatted printf-style. */
int wire_encode_errorf(struct wire_buf *b, const char *runtime, enum wire_error_kind kind,
		       size_t max, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "exception", "timeout", "memory", "sandbox_violation", "bad_result", "internal", or
 * NULL for an unknown kind. */
const char *wire_error_kind_name(enum wire_error_kind kind);

#endif
