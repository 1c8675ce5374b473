/* Unit tests for framer: which request heads reach evhttp, where each request ends, and the
 * answer a client gets for each head the server refuses before evhttp reads it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/framer.h"

static const struct framer_limits lim = {.max_head = 256, .max_body = 1000};

#define GET "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
#define POST5 "POST /v1/accounts HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"

/* Feeds text whole to a new framer; returns framer_feed's result. */
static int
feed(struct framer *f, const char *text)
{
	framer_init(f, &lim);
	return framer_feed(f, text, strlen(text));
}

/* Feeds text one byte at a time; returns the last result. */
static int
feed_bytewise(struct framer *f, const char *text)
{
	int r = 0;

	framer_init(f, &lim);
	for (size_t i = 0; text[i] != '\0'; i++)
		r = framer_feed(f, text + i, 1);
	return r;
}

/* Checks that text is refused with status and slug, fed whole and byte by byte alike, and that
 * the detail is a sentence. */
static void
refused(const char *text, int status, const char *slug)
{
	struct framer f, g;

	if (feed(&f, text) != -1)
		fail_msg("taken: %s", text);
	assert_int_equal(feed_bytewise(&g, text), -1);
	assert_int_equal(f.refusal.status, status);
	assert_string_equal(f.refusal.slug, slug);
	assert_string_equal(f.refusal.detail, g.refusal.detail);
	assert_true(f.refusal.detail[0] >= 'A' && f.refusal.detail[0] <= 'Z');
	assert_int_equal(f.refusal.detail[strlen(f.refusal.detail) - 1], '.');
}

/* Checks that text is taken whole, as heads requests, fed whole and byte by byte alike. */
static void
taken(const char *text, uint64_t heads)
{
	struct framer f, g;

	if (feed(&f, text) != 0)
		fail_msg("refused (%s): %s", f.refusal.detail, text);
	assert_int_equal(feed_bytewise(&g, text), 0);
	assert_int_equal(f.heads, heads);
	assert_int_equal(g.heads, heads);
	assert_int_equal(f.ready, strlen(text));
	assert_int_equal(g.ready, strlen(text));
}

static void
test_plain_requests_are_taken(void **state)
{
	taken(GET, 1);
	taken(POST5, 1);
	taken("GET / HTTP/1.0\r\n\r\n", 1);
	taken("DELETE /v1/access-tokens/current HTTP/1.1\r\nAuthorization: Bearer x\r\n\r\n", 1);
	taken("OPTIONS /x HTTP/1.1\r\n\r\nPATCH /y HTTP/1.1\r\n\r\nHEAD /z HTTP/1.1\r\n\r\n", 3);
	/* bare LF ends lines too, as evhttp reads them */
	taken("GET /healthz HTTP/1.1\nHost: x\n\n", 1);
	/* whitespace around a value, obs-text, a query */
	taken("GET /v1/decisions?limit=5&after=x%20y HTTP/1.1\r\nContent-Length:\t 0 \r\n"
	      "X-Note: caf\xc3\xa9\r\nEmpty:\r\n\r\n",
	      1);
}

static void
test_pipelined_requests_are_framed_by_content_length(void **state)
{
	struct framer f;
	/* the body holds what would be a refused head if it were read as one */
	const char *text = "POST /a HTTP/1.1\r\nContent-Length: 20\r\n\r\nTRACE / HTTP/1.1\r\n\r\n"
	                   "GET / HTTP/1.1\r\n\r\n";

	assert_int_equal(feed(&f, text), 0);
	assert_int_equal(f.heads, 2);
	assert_int_equal(f.ready, strlen(text));
	taken(POST5 POST5 GET, 3);
}

static void
test_an_unfinished_head_is_not_ready(void **state)
{
	struct framer f;
	size_t first = strlen(POST5);
	const char *text = POST5 "GET /healthz HTTP/1.1\r\nHo";

	assert_int_equal(feed(&f, text), 0);
	assert_int_equal(f.heads, 1);
	assert_int_equal(f.fed, strlen(text));
	assert_int_equal(f.ready, first); /* the second head is held back */
	assert_int_equal(framer_feed(&f, "st: x\r\n\r\n", 9), 0);
	assert_int_equal(f.heads, 2);
	assert_int_equal(f.ready, f.fed);
	/* the body is ready as it arrives */
	framer_init(&f, &lim);
	assert_int_equal(framer_feed(&f, POST5, first - 3), 0);
	assert_int_equal(f.ready, first - 3);
}

/* Writes a head of exactly n bytes (n > 23) into buf, NUL-terminated. */
static void
make_head(char *buf, size_t n)
{
	const char *start = "GET / HTTP/1.1\r\nX: ";
	size_t k = strlen(start);

	memcpy(buf, start, k);
	memset(buf + k, 'x', n - k - 4);
	memcpy(buf + n - 4, "\r\n\r\n", 5);
}

static void
test_head_size_limit(void **state)
{
	char text[600];
	struct framer f;

	make_head(text, lim.max_head);
	taken(text, 1);
	make_head(text, lim.max_head + 1);
	refused(text, 431, "headers-too-large");
	/* refused as soon as the limit is passed, without waiting for the line to end */
	memset(text, 'a', sizeof(text));
	memcpy(text, "GET /", 5);
	framer_init(&f, &lim);
	assert_int_equal(framer_feed(&f, text, lim.max_head + 1), -1);
	assert_int_equal(f.refusal.status, 414);
	assert_string_equal(f.refusal.slug, "uri-too-long");
	assert_string_equal(f.refusal.method, "GET");
	assert_non_null(strstr(f.refusal.detail, "256 bytes"));
	/* each head of a connection has the whole limit */
	taken(GET GET GET GET GET GET GET GET GET GET, 10);
}

static void
test_content_length_over_the_limit_is_refused_before_the_body(void **state)
{
	struct framer f;

	assert_int_equal(feed(&f, "POST /a HTTP/1.1\r\nContent-Length: 1001\r\n\r\n"), -1);
	assert_int_equal(f.refusal.status, 413);
	assert_string_equal(f.refusal.slug, "body-too-large");
	assert_string_equal(f.refusal.detail,
	                    "The request body has 1001 bytes; the limit is 1000.");
	assert_int_equal(f.ready, 0);
	refused("PUT /a HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n", 413,
	        "body-too-large");
	assert_int_equal(feed(&f, "GET /a HTTP/1.1\r\nContent-Length: 67108864\r\n\r\n"), -1);
	assert_int_equal(f.refusal.status, 413);
	/* at the limit: taken, and the body is skipped to the next request */
	{
		char *text = malloc(2000);
		int n = snprintf(text, 2000, "POST /a HTTP/1.1\r\nContent-Length: 1000\r\n\r\n");

		memset(text + n, '{', 1000);
		strcpy(text + n + 1000, GET);
		taken(text, 2);
		free(text);
	}
}

static void
test_body_framing_headers(void **state)
{
	refused("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411, "length-required");
	refused("POST /a HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\n\r\n", 411,
	        "length-required");
	/* both: smuggling, whichever comes first */
	refused("POST /a HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
	        "malformed-request");
	refused("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400,
	        "malformed-request");
	/* Content-Length twice, even with the same value */
	refused("POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-length: 5\r\n\r\nhello", 400,
	        "malformed-request");
	refused("POST /a HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello", 400, "malformed-request");
	refused("POST /a HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", 400, "malformed-request");
	refused("POST /a HTTP/1.1\r\nContent-Length: 5 5\r\n\r\nhello", 400, "malformed-request");
	refused("POST /a HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, "malformed-request");
	refused("POST /a HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400, "malformed-request");
	/* HEAD: evhttp reads no body after it, so none may be declared */
	refused("HEAD /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 400, "malformed-request");
	taken("HEAD /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 1);
}

static void
test_methods(void **state)
{
	struct framer f;

	refused("TRACE / HTTP/1.1\r\n\r\n", 501, "method-not-implemented");
	assert_int_equal(feed(&f, "CONNECT example.org:443 HTTP/1.1\r\n\r\n"), -1);
	assert_int_equal(f.refusal.status, 501);
	assert_string_equal(f.refusal.method, "CONNECT");
	assert_non_null(strstr(f.refusal.detail, "CONNECT"));
	refused("get / HTTP/1.1\r\n\r\n", 501, "method-not-implemented");
	assert_int_equal(feed(&f, "PROPFIND / HTTP/1.1\r\n\r\n"), -1);
	assert_int_equal(f.refusal.status, 501);
	assert_string_equal(f.refusal.method, "");
	refused("G(T / HTTP/1.1\r\n\r\n", 400, "malformed-request");
	refused(" GET / HTTP/1.1\r\n\r\n", 400, "malformed-request");
}

static void
test_malformed_request_lines(void **state)
{
	const char *bad[] = {
	    "\r\nGET / HTTP/1.1\r\n\r\n", /* an empty line first */
	    "GET /\r\n\r\n",              /* no version (HTTP/0.9) */
	    "GET\r\n\r\n",
	    "GET  / HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1 \r\n\r\n",
	    "GET / HTTP/2.0\r\n\r\n",
	    "GET / http/1.1\r\n\r\n",
	    "GET / HTTP/1.10\r\n\r\n",
	    "GET http://example.org/ HTTP/1.1\r\n\r\n",
	    "GET * HTTP/1.1\r\n\r\n",
	    "GET //example.org/x HTTP/1.1\r\n\r\n",
	    "GET /a b HTTP/1.1\r\n\r\n",
	    "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n",
	    "GET /a\tb HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1\rX: y\r\n\r\n", /* a CR alone */
	    "\x16\x03\x01\x02",             /* the start of a TLS hello */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i], 400, "malformed-request");
}

static void
test_malformed_header_lines(void **state)
{
	const char *bad[] = {
	    "GET / HTTP/1.1\r\nno colon here\r\n\r\n", "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
	    "GET / HTTP/1.1\r\n: empty name\r\n\r\n",  "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nName : x\r\n\r\n",      "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
	    "GET / HTTP/1.1\r\n\tX: a\r\n\r\n",        "GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
	    "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n",      "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
	    "GET / HTTP/1.1\r\nX: a\r\r\n\r\n",        "GET / HTTP/1.1\r\nX\x00: a\r\n\r\n",
	};
	struct framer f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (i + 1 == sizeof(bad) / sizeof(bad[0])) { /* strlen would stop at the NUL */
			framer_init(&f, &lim);
			assert_int_equal(framer_feed(&f, bad[i], 24), -1);
			assert_int_equal(f.refusal.status, 400);
			continue;
		}
		refused(bad[i], 400, "malformed-request");
	}
}

static void
test_expect(void **state)
{
	taken("POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}", 1);
	taken("POST /a HTTP/1.1\r\nexpect:  100-Continue \r\nContent-Length: 2\r\n\r\n{}", 1);
	refused("POST /a HTTP/1.1\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}", 417,
	        "expectation-failed");
	refused("POST /a HTTP/1.1\r\nExpect: 100-continue-and-more\r\n\r\n", 417,
	        "expectation-failed");
	refused("GET / HTTP/1.1\r\nExpect:\r\n\r\n", 417, "expectation-failed");
}

static void
test_nothing_is_read_after_a_refusal(void **state)
{
	struct framer f;
	const char *text = GET "TRACE / HTTP/1.1\r\n\r\n" GET;

	assert_int_equal(feed(&f, text), -1);
	assert_int_equal(f.heads, 1);
	assert_int_equal(f.ready, strlen(GET));   /* the request before it still goes to evhttp */
	assert_int_equal(f.fed, strlen(GET) + 6); /* "TRACE " */
	assert_int_equal(framer_feed(&f, GET, strlen(GET)), -1);
	assert_int_equal(f.fed, strlen(GET) + 6);
	assert_int_equal(f.heads, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_requests_are_taken),
	    cmocka_unit_test(test_pipelined_requests_are_framed_by_content_length),
	    cmocka_unit_test(test_an_unfinished_head_is_not_ready),
	    cmocka_unit_test(test_head_size_limit),
	    cmocka_unit_test(test_content_length_over_the_limit_is_refused_before_the_body),
	    cmocka_unit_test(test_body_framing_headers),
	    cmocka_unit_test(test_methods),
	    cmocka_unit_test(test_malformed_request_lines),
	    cmocka_unit_test(test_malformed_header_lines),
	    cmocka_unit_test(test_expect),
	    cmocka_unit_test(test_nothing_is_read_after_a_refusal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
