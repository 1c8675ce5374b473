/* framer — where each request of a connection's byte stream begins and ends, and whether the
 * server takes its head, decided before evhttp parses any of it.
 *
 * libevent 2.1's evhttp answers a head it will not take with an HTML page of its own (400 for
 * a malformed line or an over-long head, 501 for a method it does not allow, 417 for an
 * Expect it does not know), and reads a body up to its size limit before refusing it. The
 * framer reads the same bytes first. It follows each request's head — the request line and
 * the header lines, each ended by CRLF or a bare LF as evhttp accepts, up to the empty line —
 * then counts Content-Length bytes of body to reach the next pipelined request. It refuses
 * a head, with the status, problem slug and detail of the answer, when:
 *  - it is longer than max_head bytes, line ends included: 414 uri-too-long while still in
 *    the request line, 431 headers-too-large after;
 *  - the request line is not `METHOD /path HTTP/1.1` (or HTTP/1.0) with a path in origin
 *    form of printable ASCII: 400 malformed-request; the method is none of GET, POST, PUT,
 *    DELETE, PATCH, HEAD, OPTIONS (the seven http.c lets evhttp take): 501
 *    method-not-implemented;
 *  - a header line is not `name: value` with a token for name and no control character in
 *    the value, or is folded onto the line before: 400 malformed-request;
 *  - the body is framed by Transfer-Encoding: 411 length-required, or 400 malformed-request
 *    when a Content-Length comes with it (request smuggling); Content-Length is repeated or is
 *    not a number: 400; it is above max_body: 413 body-too-large, before any body is read;
 *    a HEAD request declares a body (evhttp would not read it): 400;
 *  - Expect is anything but 100-continue: 417 expectation-failed.
 * What the framer takes, evhttp parses into the same requests (where the two differ the
 * framer is the stricter), so evhttp's own limits, set well above these, never trip. Once a
 * head is refused the framer reads nothing more. It allocates nothing. */
#ifndef FREECOOP_FRAMER_H
#define FREECOOP_FRAMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct framer_limits {
	size_t max_head;   /* bytes of a request line and its header lines, line ends included */
	uint64_t max_body; /* bytes a Content-Length may declare */
};

struct framer_refusal {
	int status;       /* 400, 411, 413, 414, 417, 431 or 501 */
	const char *slug; /* the problem's slug, e.g. "headers-too-large" (static) */
	char method[8];   /* the request's method if it is a token of up to 7 characters, else "" */
	char detail[160]; /* one sentence for the problem's detail, starting with a capital */
};

/* The head being read; the framer's own. */
struct framer_head {
	size_t len;        /* bytes so far */
	char method[8];    /* its first bytes, NUL-terminated */
	size_t method_len; /* all of it */
	size_t target_len;
	char version[9];
	size_t version_len;
	char name[18]; /* the header name being read, lowercase, if short enough */
	size_t name_len;
	int field;          /* which header the current line is (framer.c) */
	int line;           /* which kind of line the CR just read ends */
	bool value_started; /* past the value's leading whitespace */
	bool value_ws;      /* whitespace after the value began */
	bool value_bad;     /* the value is not a valid one for its header */
	char expect[13];
	size_t expect_len;
	uint64_t length; /* the Content-Length, saturated at UINT64_MAX */
	int n_length, n_encoding;
	bool length_bad, expect_bad, is_head;
};

struct framer {
	struct framer_limits lim;
	uint64_t fed;   /* bytes read so far */
	uint64_t ready; /* the first bytes of those that evhttp may have: every head taken, and the
	                 * bytes of body read after it; the rest is the head still being read */
	uint64_t heads; /* heads taken */
	bool refused;
	struct framer_refusal refusal; /* once refused */
	int state;                     /* framer.c's */
	uint64_t body_left;
	struct framer_head head;
};

/* Starts a connection's stream with the given limits (copied). */
void framer_init(struct framer *f, const struct framer_limits *lim);

/* Reads the next len bytes of the stream. Returns 0 while every head so far was taken; -1
 * once one is refused, with f->refusal saying why (further calls read nothing and return -1).
 * f->fed, f->ready and f->heads tell how far it got. */
int framer_feed(struct framer *f, const void *buf, size_t len);

#endif
