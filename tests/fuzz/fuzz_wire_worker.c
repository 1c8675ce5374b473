/* fuzz_wire_worker — the count-worker's side of the wire (common/wire.c): the input is what
 * the api-server wrote to the socket, a stream of frames, cut with wire_frame_ready and
 * decoded as count-worker/job.c does, VALIDATE and COUNT.
 *
 * Properties: framing holds (fuzz_next_frame); a frame decodes only as its own type; decoded
 * byte strings lie inside the frame; the element counts fit the frame; and a decoded request
 * re-encodes to the very bytes it came from (the encoding is canonical, and the encoder's
 * max is exact), which decode to the same request. `--write-seeds DIR` writes the seed
 * corpus, frames made by the real encoders. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

/* The count-worker's default max_job_mb. */
#define MAX_JOB ((size_t)1024 << 20)

static bool
count_inside(const struct wire_count *c, const unsigned char *f, size_t len)
{
	bool ok = fuzz_bytes_inside(c->method, f, len);

	for (uint32_t i = 0; i < c->nproposals; i++)
		ok = ok && fuzz_bytes_inside(c->proposals[i].id, f, len) &&
		     fuzz_bytes_inside(c->proposals[i].proposer, f, len) &&
		     fuzz_bytes_inside(c->proposals[i].payload, f, len);
	for (uint32_t i = 0; i < c->nballots; i++)
		ok = ok && fuzz_bytes_inside(c->ballots[i].id, f, len) &&
		     fuzz_bytes_inside(c->ballots[i].payload, f, len);
	for (int s = 0; s < 3; s++)
		for (uint32_t i = 0; i < c->nsets[s]; i++)
			ok = ok && fuzz_bytes_inside(c->sets[s][i], f, len);
	return ok;
}

static bool
count_eq(const struct wire_count *a, const struct wire_count *b)
{
	bool eq = fuzz_bytes_eq(a->method, b->method) &&
	          memcmp(&a->limits, &b->limits, sizeof(a->limits)) == 0 &&
	          a->nproposals == b->nproposals && a->nballots == b->nballots;

	for (uint32_t i = 0; eq && i < a->nproposals; i++)
		eq = fuzz_bytes_eq(a->proposals[i].id, b->proposals[i].id) &&
		     fuzz_bytes_eq(a->proposals[i].proposer, b->proposals[i].proposer) &&
		     fuzz_bytes_eq(a->proposals[i].payload, b->proposals[i].payload);
	for (uint32_t i = 0; eq && i < a->nballots; i++)
		eq = fuzz_bytes_eq(a->ballots[i].id, b->ballots[i].id) &&
		     fuzz_bytes_eq(a->ballots[i].payload, b->ballots[i].payload);
	for (int s = 0; eq && s < 3; s++) {
		eq = a->nsets[s] == b->nsets[s];
		for (uint32_t i = 0; eq && i < a->nsets[s]; i++)
			eq = fuzz_bytes_eq(a->sets[s][i], b->sets[s][i]);
	}
	return eq;
}

static void
check_validate(const unsigned char *f, size_t len, int type)
{
	struct wire_bytes method, again;
	struct wire_buf b = {0};

	if (wire_decode_validate(f, len, &method) != 0)
		return;
	FUZZ_CHECK(type == WIRE_VALIDATE);
	FUZZ_CHECK(fuzz_bytes_inside(method, f, len));
	FUZZ_CHECK(wire_encode_validate(&b, method.p, method.len, len - WIRE_HEADER_LEN) == 0);
	FUZZ_CHECK(b.len == len && memcmp(b.p, f, len) == 0);
	FUZZ_CHECK(wire_decode_validate(b.p, b.len, &again) == 0 && fuzz_bytes_eq(method, again));
	wire_buf_reset(&b);
}

static void
check_count(const unsigned char *f, size_t len, int type)
{
	struct wire_count c, again;
	struct wire_buf b = {0};
	uint64_t least;

	if (wire_decode_count(f, len, &c) != 0) {
		FUZZ_CHECK(c.proposals == NULL && c.ballots == NULL && c.sets[0] == NULL);
		return;
	}
	FUZZ_CHECK(type == WIRE_COUNT);
	FUZZ_CHECK(count_inside(&c, f, len));
	/* no element is shorter than its length prefixes: nothing was allocated on trust */
	least = 12 * (uint64_t)c.nproposals + 8 * (uint64_t)c.nballots +
	        4 * ((uint64_t)c.nsets[0] + c.nsets[1] + c.nsets[2]);
	FUZZ_CHECK(least <= len);
	/* the encoder refuses one byte less than the frame needs and takes exactly that */
	FUZZ_CHECK(wire_encode_count(&b, &c, len - WIRE_HEADER_LEN - 1) == -1);
	wire_buf_reset(&b);
	FUZZ_CHECK(wire_encode_count(&b, &c, len - WIRE_HEADER_LEN) == 0);
	FUZZ_CHECK(b.len == len && memcmp(b.p, f, len) == 0);
	FUZZ_CHECK(wire_decode_count(b.p, b.len, &again) == 0 && count_eq(&c, &again));
	wire_count_free(&again);
	wire_count_free(&c);
	wire_buf_reset(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void
check_frame(const unsigned char *f, size_t len, int type)
{
	check_validate(f, len, type);
	check_count(f, len, type);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_each_frame(data, size, MAX_JOB, check_frame);
	return 0;
}

/* ---- seeds ---- */

static const char plurality[] =
    "def count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n"
    "    tally = collections.Counter()\n"
    "    for b in ballots:\n"
    "        tally[json.loads(b.payload.decode('utf-8'))['choice']] += 1\n"
    "    return json.dumps(dict(tally), sort_keys=True).encode()\n";

static void
seed_validate(void)
{
	struct wire_buf b = {0};

	FUZZ_CHECK(wire_encode_validate(&b, "", 0, MAX_JOB) == 0);
	fuzz_seed_buf("validate-empty", &b);
	wire_buf_reset(&b);
	FUZZ_CHECK(wire_encode_validate(&b, plurality, sizeof(plurality) - 1, MAX_JOB) == 0);
	fuzz_seed_buf("validate-plurality", &b);
	wire_buf_reset(&b);
	/* not UTF-8 and a NUL: the decoder passes bytes on, the worker judges them */
	FUZZ_CHECK(wire_encode_validate(&b, "x = '\xff\x00'", 8, MAX_JOB) == 0);
	fuzz_seed_buf("validate-binary", &b);
	wire_buf_reset(&b);
}

/* A COUNT with two proposals, three ballots and small sets, as tests/unit/test_wire.c. */
static const struct wire_count *
sample_count(void)
{
	static struct wire_proposal props[] = {
	    {FUZZ_BYTES("p1"), FUZZ_BYTES(""), FUZZ_BYTES("{\"x\":1}")},
	    {FUZZ_BYTES("p2"), FUZZ_BYTES("ab12"), FUZZ_BYTES("")},
	};
	static struct wire_ballot ballots[] = {
	    {FUZZ_BYTES("b1"), FUZZ_BYTES("{\"choice\":\"p1\"}")},
	    {FUZZ_BYTES("b2"), FUZZ_BYTES("{\"choice\":\"p2\"}")},
	    {FUZZ_BYTES("b3"), FUZZ_BYTES("")},
	};
	static struct wire_bytes part[] = {FUZZ_BYTES("aa"), FUZZ_BYTES("bb")},
	                         prop[] = {FUZZ_BYTES("aa")},
	                         vote[] = {FUZZ_BYTES("aa"), FUZZ_BYTES("bb")};
	static struct wire_count c = {
	    .method = FUZZ_BYTES(plurality),
	    .limits = {60000, 120000, 2048, 1048576},
	    .proposals = props,
	    .nproposals = 2,
	    .ballots = ballots,
	    .nballots = 3,
	    .sets = {part, prop, vote},
	    .nsets = {2, 1, 2},
	};

	return &c;
}

static void
seed_count(void)
{
	static struct wire_proposal uprops[] = {
	    {FUZZ_BYTES("caf\xc3\xa9"), FUZZ_BYTES("\xe2\x82\xac"), FUZZ_BYTES("\x00\xff")}};
	static struct wire_ballot uballots[] = {
	    {FUZZ_BYTES("\xf0\x9f\x98\x80"), FUZZ_BYTES("\x00\x01\x02")},
	    {FUZZ_BYTES("\xff\xfe"), FUZZ_BYTES("{}")}};
	struct wire_ballot many[40];
	struct wire_count empty = {.method = FUZZ_BYTES("def count(*a): return b''\n")};
	struct wire_count c = *sample_count();
	struct wire_buf b = {0};

	FUZZ_CHECK(wire_encode_count(&b, &empty, MAX_JOB) == 0);
	fuzz_seed_buf("count-empty", &b);
	wire_buf_reset(&b);
	FUZZ_CHECK(wire_encode_count(&b, &c, MAX_JOB) == 0);
	fuzz_seed_buf("count-sample", &b);
	wire_buf_reset(&b);
	/* ids that are UTF-8, and one that is not (the decoder keeps it, job.c refuses it) */
	c.proposals = uprops;
	c.nproposals = 1;
	c.ballots = uballots;
	c.nballots = 2;
	FUZZ_CHECK(wire_encode_count(&b, &c, MAX_JOB) == 0);
	fuzz_seed_buf("count-unicode", &b);
	wire_buf_reset(&b);
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		many[i] = (struct wire_ballot){FUZZ_BYTES("b"), FUZZ_BYTES("{\"choice\":\"p1\"}")};
	c = *sample_count();
	c.ballots = many;
	c.nballots = sizeof(many) / sizeof(many[0]);
	FUZZ_CHECK(wire_encode_count(&b, &c, MAX_JOB) == 0);
	fuzz_seed_buf("count-40-ballots", &b);
	wire_buf_reset(&b);
}

/* Frames the decoder must refuse, each one step from a valid one. */
static void
seed_broken(void)
{
	struct wire_buf b = {0};

	FUZZ_CHECK(wire_encode_count(&b, sample_count(), MAX_JOB) == 0);
	b.len--; /* the last byte has not arrived */
	fuzz_seed_buf("count-truncated", &b);
	b.len++;
	b.p[WIRE_HEADER_LEN] = WIRE_RESULT; /* a COUNT body under another type */
	fuzz_seed_buf("count-wrong-type", &b);
	b.p[WIRE_HEADER_LEN] = WIRE_COUNT;
	wire_put_u32(&b, 0); /* a fourth, empty set the decoder must not ignore */
	FUZZ_CHECK(wire_finish(&b, MAX_JOB) == 0);
	fuzz_seed_buf("count-trailing", &b);
	wire_buf_reset(&b);
	/* two requests back to back, as a stream may hold them */
	FUZZ_CHECK(wire_encode_validate(&b, plurality, sizeof(plurality) - 1, MAX_JOB) == 0);
	FUZZ_CHECK(wire_encode_count(&b, sample_count(), MAX_JOB) == 0);
	fuzz_seed_buf("stream-validate-count", &b);
	wire_buf_reset(&b);
}

static void
write_seeds(void)
{
	seed_validate();
	seed_count();
	seed_broken();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_seeds_mode(*argc, *argv, write_seeds);
	return 0;
}
