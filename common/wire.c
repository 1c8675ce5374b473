/* wire — encoding and defensive decoding of protocol frames. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "wire.h"

/* The smallest encodings: a string is its u32 length; a proposal three strings. */
#define MIN_STRING 4u
#define MIN_PROPOSAL (3u * MIN_STRING)
#define MIN_BALLOT (2u * MIN_STRING)

static void
reserve(struct wire_buf *b, size_t more)
{
	size_t cap = b->cap != 0 ? b->cap : 256;
	unsigned char *p;

	if (b->failed || b->len + more <= b->cap)
		return;
	while (cap < b->len + more) {
		if (cap > SIZE_MAX / 2) {
			b->failed = 1;
			return;
		}
		cap *= 2;
	}
	if ((p = realloc(b->p, cap)) == NULL) {
		b->failed = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void
put(struct wire_buf *b, const void *p, size_t n)
{
	reserve(b, n);
	if (b->failed)
		return;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
wire_put_u32(struct wire_buf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};

	put(b, x, sizeof(x));
}

void
wire_put_u64(struct wire_buf *b, uint64_t v)
{
	wire_put_u32(b, (uint32_t)(v >> 32));
	wire_put_u32(b, (uint32_t)v);
}

void
wire_put_bytes(struct wire_buf *b, const void *p, uint32_t len)
{
	wire_put_u32(b, len);
	put(b, p, len);
}

void
wire_begin(struct wire_buf *b, enum wire_type type)
{
	unsigned char t = (unsigned char)type;

	b->start = b->len;
	wire_put_u32(b, 0);
	put(b, &t, 1);
}

int
wire_finish(struct wire_buf *b, size_t max)
{
	size_t n;

	if (b->failed)
		return -1;
	n = b->len - b->start - WIRE_HEADER_LEN;
	if (n > max || n > UINT32_MAX)
		return -1;
	b->p[b->start] = (unsigned char)(n >> 24);
	b->p[b->start + 1] = (unsigned char)(n >> 16);
	b->p[b->start + 2] = (unsigned char)(n >> 8);
	b->p[b->start + 3] = (unsigned char)n;
	return 0;
}

void
wire_buf_reset(struct wire_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int
wire_frame_ready(const unsigned char *p, size_t avail, size_t max, size_t *frame_len)
{
	uint32_t n;

	if (avail < WIRE_HEADER_LEN)
		return 0;
	n = get_u32(p);
	if (n == 0 || n > max)
		return -1;
	*frame_len = WIRE_HEADER_LEN + (size_t)n;
	return avail - WIRE_HEADER_LEN < n ? 0 : 1;
}

int
wire_frame_type(const unsigned char *p, size_t len)
{
	if (len < WIRE_HEADER_LEN + 1 || get_u32(p) != len - WIRE_HEADER_LEN)
		return -1;
	return p[WIRE_HEADER_LEN];
}

/* A cursor over one frame's fields; any overrun sets bad and yields zeroes. */
struct reader {
	const unsigned char *p;
	size_t len, off;
	int bad;
};

/* Starts reading the fields of frame p[0..len) if it is complete and of type want. */
static int
reader_open(struct reader *r, const unsigned char *p, size_t len, enum wire_type want)
{
	memset(r, 0, sizeof(*r));
	if (wire_frame_type(p, len) != (int)want)
		return -1;
	r->p = p;
	r->len = len;
	r->off = WIRE_HEADER_LEN + 1;
	return 0;
}

static size_t
remaining(const struct reader *r)
{
	return r->len - r->off;
}

static uint32_t
read_u32(struct reader *r)
{
	uint32_t v;

	if (r->bad || remaining(r) < 4) {
		r->bad = 1;
		return 0;
	}
	v = get_u32(r->p + r->off);
	r->off += 4;
	return v;
}

static uint64_t
read_u64(struct reader *r)
{
	uint64_t hi = read_u32(r);

	return hi << 32 | read_u32(r);
}

static struct wire_bytes
read_bytes(struct reader *r)
{
	struct wire_bytes b = {NULL, read_u32(r)};

	if (r->bad || remaining(r) < b.len) {
		r->bad = 1;
		b.len = 0;
		return b;
	}
	b.p = r->p + r->off;
	r->off += b.len;
	return b;
}

/* Reads an element count and checks that count elements of at least min_size bytes each
 * can fit in what remains, before anyone allocates for them. */
static uint32_t
read_count(struct reader *r, size_t min_size)
{
	uint32_t n = read_u32(r);

	if (!r->bad && (size_t)n > remaining(r) / min_size)
		r->bad = 1;
	return r->bad ? 0 : n;
}

/* Ends reading: the frame must have been consumed exactly. */
static int
reader_close(const struct reader *r)
{
	return r->bad || r->off != r->len ? -1 : 0;
}

int
wire_decode_validate(const unsigned char *p, size_t len, struct wire_bytes *method)
{
	struct reader r;

	if (reader_open(&r, p, len, WIRE_VALIDATE) != 0)
		return -1;
	*method = read_bytes(&r);
	return reader_close(&r);
}

static int
decode_sets(struct reader *r, struct wire_count *c)
{
	for (int s = 0; s < 3; s++) {
		uint32_t n = read_count(r, MIN_STRING);
		if (r->bad || (n > 0 && (c->sets[s] = calloc(n, sizeof(struct wire_bytes))) == NULL))
			return -1;
		c->nsets[s] = n;
		for (uint32_t i = 0; i < n; i++)
			c->sets[s][i] = read_bytes(r);
	}
	return r->bad ? -1 : 0;
}

int
wire_decode_count(const unsigned char *p, size_t len, struct wire_count *c)
{
	struct reader r;
	uint32_t n;

	memset(c, 0, sizeof(*c));
	if (reader_open(&r, p, len, WIRE_COUNT) != 0)
		return -1;
	c->method = read_bytes(&r);
	c->limits.cpu_ms = read_u32(&r);
	c->limits.wall_ms = read_u32(&r);
	c->limits.memory_mb = read_u32(&r);
	c->limits.result_max = read_u32(&r);
	n = read_count(&r, MIN_PROPOSAL);
	if (r.bad || (n > 0 && (c->proposals = calloc(n, sizeof(*c->proposals))) == NULL))
		goto fail;
	c->nproposals = n;
	for (uint32_t i = 0; i < n; i++) {
		c->proposals[i].id = read_bytes(&r);
		c->proposals[i].proposer = read_bytes(&r);
		c->proposals[i].payload = read_bytes(&r);
	}
	n = read_count(&r, MIN_BALLOT);
	if (r.bad || (n > 0 && (c->ballots = calloc(n, sizeof(*c->ballots))) == NULL))
		goto fail;
	c->nballots = n;
	for (uint32_t i = 0; i < n; i++) {
		c->ballots[i].id = read_bytes(&r);
		c->ballots[i].payload = read_bytes(&r);
	}
	if (decode_sets(&r, c) != 0 || reader_close(&r) != 0)
		goto fail;
	return 0;
fail:
	wire_count_free(c);
	return -1;
}

int
wire_decode_result(const unsigned char *p, size_t len, struct wire_result *out)
{
	struct reader r;

	if (reader_open(&r, p, len, WIRE_RESULT) != 0)
		return -1;
	out->result = read_bytes(&r);
	out->cpu_us = read_u64(&r);
	out->count_cpu_us = read_u64(&r);
	out->peak_rss_kb = read_u64(&r);
	out->runtime = read_bytes(&r);
	if (out->runtime.len > WIRE_RUNTIME_MAX)
		return -1;
	return reader_close(&r);
}

int
wire_decode_error(const unsigned char *p, size_t len, struct wire_error *out)
{
	struct reader r;
	uint32_t kind;

	if (reader_open(&r, p, len, WIRE_ERROR) != 0)
		return -1;
	kind = read_u32(&r);
	out->kind = (enum wire_error_kind)kind;
	out->message = read_bytes(&r);
	out->runtime = read_bytes(&r);
	if (wire_error_kind_name(out->kind) == NULL || out->message.len > WIRE_ERROR_MESSAGE_MAX ||
	    out->runtime.len > WIRE_RUNTIME_MAX)
		return -1;
	return reader_close(&r);
}

void
wire_count_free(struct wire_count *c)
{
	free(c->proposals);
	free(c->ballots);
	for (int s = 0; s < 3; s++)
		free(c->sets[s]);
	memset(c, 0, sizeof(*c));
}

int
wire_encode_validate(struct wire_buf *b, const void *method, uint32_t len, size_t max)
{
	wire_begin(b, WIRE_VALIDATE);
	wire_put_bytes(b, method, len);
	return wire_finish(b, max);
}

int
wire_encode_count(struct wire_buf *b, const struct wire_count *c, size_t max)
{
	wire_begin(b, WIRE_COUNT);
	wire_put_bytes(b, c->method.p, c->method.len);
	wire_put_u32(b, c->limits.cpu_ms);
	wire_put_u32(b, c->limits.wall_ms);
	wire_put_u32(b, c->limits.memory_mb);
	wire_put_u32(b, c->limits.result_max);
	wire_put_u32(b, c->nproposals);
	for (uint32_t i = 0; i < c->nproposals; i++) {
		const struct wire_proposal *pr = &c->proposals[i];
		wire_put_bytes(b, pr->id.p, pr->id.len);
		wire_put_bytes(b, pr->proposer.p, pr->proposer.len);
		wire_put_bytes(b, pr->payload.p, pr->payload.len);
	}
	wire_put_u32(b, c->nballots);
	for (uint32_t i = 0; i < c->nballots; i++) {
		wire_put_bytes(b, c->ballots[i].id.p, c->ballots[i].id.len);
		wire_put_bytes(b, c->ballots[i].payload.p, c->ballots[i].payload.len);
	}
	for (int s = 0; s < 3; s++) {
		wire_put_u32(b, c->nsets[s]);
		for (uint32_t i = 0; i < c->nsets[s]; i++)
			wire_put_bytes(b, c->sets[s][i].p, c->sets[s][i].len);
	}
	return wire_finish(b, max);
}

int
wire_encode_result(struct wire_buf *b, const struct wire_result *res, size_t max)
{
	wire_begin(b, WIRE_RESULT);
	wire_put_bytes(b, res->result.p, res->result.len);
	wire_put_u64(b, res->cpu_us);
	wire_put_u64(b, res->count_cpu_us);
	wire_put_u64(b, res->peak_rss_kb);
	wire_put_bytes(b, res->runtime.p, res->runtime.len);
	return wire_finish(b, max);
}

int
wire_encode_error(struct wire_buf *b, const char *runtime, enum wire_error_kind kind,
		  const char *message, size_t max)
{
	char msg[WIRE_ERROR_MESSAGE_MAX + 1];
	size_t n = utf8_sanitize(message, strlen(message), msg, sizeof(msg));
	size_t rn = runtime != NULL ? strlen(runtime) : 0;

	wire_begin(b, WIRE_ERROR);
	wire_put_u32(b, (uint32_t)kind);
	wire_put_bytes(b, msg, (uint32_t)n);
	wire_put_bytes(b, runtime, (uint32_t)(rn > WIRE_RUNTIME_MAX ? WIRE_RUNTIME_MAX : rn));
	return wire_finish(b, max);
}

int
wire_encode_errorf(struct wire_buf *b, const char *runtime, enum wire_error_kind kind,
		   size_t max, const char *fmt, ...)
{
	char msg[2 * WIRE_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return wire_encode_error(b, runtime, kind, msg, max);
}

const char *
wire_error_kind_name(enum wire_error_kind kind)
{
	switch (kind) {
	case WIRE_ERR_EXCEPTION: return "exception";
	case WIRE_ERR_TIMEOUT: return "timeout";
	case WIRE_ERR_MEMORY: return "memory";
	case WIRE_ERR_SANDBOX_VIOLATION: return "sandbox_violation";
	case WIRE_ERR_BAD_RESULT: return "bad_result";
	case WIRE_ERR_INTERNAL: return "internal";
	}
	return NULL;
}
