/* fuzz_framer — api-server/http/framer.c, which reads every byte a client sends before evhttp
 * does. Input: a limits byte (bits 0-3: max_head = 32 << (b & 15) capped at 16384; bits 4-7:
 * max_body = 16 << (b >> 4)), a split byte, then the stream.
 *
 * Properties: the verdict does not depend on how the stream arrives: whole, cut in two at
 * the split byte, or one byte at a time give the same heads, refusal (status, slug, detail,
 * method) and ready/fed counts; ready never passes fed, nor is anything ready before a
 * head is taken; a stream never refused is read whole; a refusal has one of the documented
 * statuses with its slug, a detail that is a printable sentence (a capital, a full stop),
 * a method that is a short token or empty, and once refused the framer reads nothing more.
 * `--write-seeds DIR` writes the seed corpus. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http/framer.h"

static const struct {
	int status;
	const char *slug;
} refusals[] = {
    {400, "malformed-request"},      {411, "length-required"},    {413, "body-too-large"},
    {414, "uri-too-long"},           {417, "expectation-failed"}, {431, "headers-too-large"},
    {501, "method-not-implemented"},
};

static void
check_refusal(const struct framer_refusal *no)
{
	size_t i, n = strlen(no->detail);
	bool known = false;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		known = known || (refusals[i].status == no->status &&
		                  strcmp(refusals[i].slug, no->slug) == 0);
	FUZZ_CHECK(known);
	FUZZ_CHECK(n > 1 && no->detail[0] >= 'A' && no->detail[0] <= 'Z' &&
	           no->detail[n - 1] == '.');
	for (i = 0; i < n; i++)
		FUZZ_CHECK(no->detail[i] >= 0x20 && no->detail[i] < 0x7f);
	FUZZ_CHECK(strlen(no->method) < sizeof(no->method));
	for (i = 0; no->method[i] != '\0'; i++)
		FUZZ_CHECK(no->method[i] > 0x20 && no->method[i] < 0x7f);
}

static void
same(const struct framer *a, const struct framer *b)
{
	FUZZ_CHECK(a->refused == b->refused && a->heads == b->heads && a->ready == b->ready &&
	           a->fed == b->fed);
	if (a->refused)
		FUZZ_CHECK(a->refusal.status == b->refusal.status &&
		           strcmp(a->refusal.slug, b->refusal.slug) == 0 &&
		           strcmp(a->refusal.detail, b->refusal.detail) == 0 &&
		           strcmp(a->refusal.method, b->refusal.method) == 0);
}

/* What evhttp may have never passes what was read, and nothing before the first head. */
static void
check_progress(const struct framer *f, size_t n)
{
	FUZZ_CHECK(f->ready <= f->fed && f->fed <= n);
	FUZZ_CHECK(f->heads > 0 || f->ready == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct framer_limits lim;
	struct framer whole, split, bytes;
	uint8_t *s;
	size_t n, cut;
	uint64_t fed;

	if (size < 2)
		return 0;
	lim.max_head = (size_t)32 << (data[0] & 15);
	lim.max_head = lim.max_head > 16384 ? 16384 : lim.max_head;
	lim.max_body = (uint64_t)16 << (data[0] >> 4);
	n = size - 2;
	cut = n > 0 ? data[1] % (n + 1) : 0;
	s = fuzz_dup(data + 2, n);
	framer_init(&whole, &lim);
	framer_init(&split, &lim);
	framer_init(&bytes, &lim);
	FUZZ_CHECK(framer_feed(&whole, s, n) == (whole.refused ? -1 : 0));
	framer_feed(&split, s, cut);
	framer_feed(&split, s + cut, n - cut);
	for (size_t i = 0; i < n; i++)
		framer_feed(&bytes, s + i, 1);
	same(&whole, &split);
	same(&whole, &bytes);
	check_progress(&whole, n);
	if (whole.refused) {
		check_refusal(&whole.refusal);
		fed = whole.fed;
		FUZZ_CHECK(framer_feed(&whole, s, n) == -1 && whole.fed == fed);
	} else {
		FUZZ_CHECK(whole.fed == n);
	}
	free(s);
	return 0;
}

/* ---- seeds ---- */

static void
seed(const char *name, uint8_t limits, const char *stream)
{
	size_t n = strlen(stream);
	unsigned char *p = malloc(n + 2);

	FUZZ_CHECK(p != NULL);
	p[0] = limits;
	p[1] = (uint8_t)(n / 2);
	memcpy(p + 2, stream, n);
	fuzz_seed(name, p, n + 2);
	free(p);
}

static void
write_seeds(void)
{
	const uint8_t big = 0x99; /* max_head 16384, max_body 8192 */

	seed("get", big, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	seed("get-lf", big, "GET /healthz HTTP/1.0\nHost: x\n\n");
	seed("post-pipelined", big,
	     "POST /v1/accounts HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: "
	     "13\r\n\r\n{\"name\":\"a\"}GET /v1/me HTTP/1.1\r\nAuthorization: Bearer x\r\n\r\n");
	seed("body-too-large", 0x01, "POST /a HTTP/1.1\r\nContent-Length: 17\r\n\r\n");
	seed("chunked", big, "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
	seed(
	    "smuggle", big,
	    "POST /a HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
	seed("two-lengths", big,
	     "POST /a HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx");
	seed("expect", big,
	     "PUT /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}");
	seed("head-long", 0x00, "GET /healthz HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n");
	seed("line-long", 0x00, "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n");
	seed("trace", big, "TRACE / HTTP/1.1\r\n\r\n");
	seed("folded", big, "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n");
	seed("no-colon", big, "GET / HTTP/1.1\r\nno colon\r\n\r\n");
	seed("bare-cr", big, "GET / HTTP/1.1\rX: a\r\n\r\n");
	seed("head-body", big, "HEAD / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_seeds_mode(*argc, *argv, write_seeds);
	return 0;
}
