/* framer — a byte-at-a-time reader of request heads (see framer.h).
 *
 * Each byte of a head moves through one state: the request line's method, target and
 * version, then each header line's name and value. A CR must be followed by LF, and LF ends
 * a line with or without it (evhttp reads lines with EVBUFFER_EOL_CRLF). Values are looked
 * into only for the headers that frame the body (Content-Length, Transfer-Encoding) and for
 * Expect, and the verdict on those waits for the empty line, so the order of the header
 * lines does not change the answer. Body bytes are counted, not read. */
#include "framer.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum state { ST_METHOD, ST_TARGET, ST_VERSION, ST_LINE, ST_NAME, ST_VALUE, ST_CR, ST_BODY };
enum line { LINE_REQUEST, LINE_FIELD, LINE_EMPTY };
enum field { FIELD_OTHER, FIELD_LENGTH, FIELD_ENCODING, FIELD_EXPECT };

#define MALFORMED "malformed-request"
#define REQUEST_LINE "The request line is not of the form METHOD /path HTTP/1.1."
#define FIELD_LINE "A header line is not of the form Name: value."
#define CONTINUE "100-continue"

/* The methods http.c lets evhttp take (evhttp_set_allowed_methods): the two lists agree. */
static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"};

/* Refuses the head being read; returns -1. */
static int refuse(struct framer *f, int status, const char *slug, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
refuse(struct framer *f, int status, const char *slug, const char *fmt, ...)
{
	const struct framer_head *h = &f->head;
	va_list ap;

	f->refused = true;
	f->refusal.status = status;
	f->refusal.slug = slug;
	f->refusal.method[0] = '\0';
	if (f->state != ST_METHOD && h->method_len < sizeof(f->refusal.method))
		memcpy(f->refusal.method, h->method, sizeof(f->refusal.method));
	va_start(ap, fmt);
	vsnprintf(f->refusal.detail, sizeof(f->refusal.detail), fmt, ap);
	va_end(ap);
	return -1;
}

/* RFC 9110 tchar: the bytes of a method or a header name. */
static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

static void
head_start(struct framer *f)
{
	memset(&f->head, 0, sizeof(f->head));
	f->state = ST_METHOD;
}

/* ---- the request line ---- */

static int
method_end(struct framer *f)
{
	struct framer_head *h = &f->head;

	if (h->method_len == 0)
		return refuse(f, 400, MALFORMED, REQUEST_LINE);
	f->state = ST_TARGET;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strcmp(h->method, methods[i]) == 0 && h->method_len == strlen(methods[i])) {
			h->is_head = strcmp(h->method, "HEAD") == 0;
			return 0;
		}
	}
	return refuse(f, 501, "method-not-implemented",
	              "The server does not implement %s; it takes GET, POST, PUT, DELETE, PATCH, "
	              "HEAD and OPTIONS.",
	              h->method_len < sizeof(h->method) ? h->method : "this method");
}

static int
method_byte(struct framer *f, unsigned char c)
{
	struct framer_head *h = &f->head;

	if (c == ' ')
		return method_end(f);
	if (!is_tchar(c))
		return refuse(f, 400, MALFORMED, REQUEST_LINE);
	if (h->method_len < sizeof(h->method) - 1)
		h->method[h->method_len] = (char)c;
	h->method_len++;
	return 0;
}

/* The target in origin form, as evhttp's URI parser takes it: a path starting with one '/'
 * ("//x" would be read as a host), then printable ASCII (anything else is percent-encoded). */
static int
target_byte(struct framer *f, unsigned char c)
{
	struct framer_head *h = &f->head;

	if (c == ' ' && h->target_len > 0) {
		f->state = ST_VERSION;
		return 0;
	}
	if ((h->target_len == 0 && c != '/') || (h->target_len == 1 && c == '/'))
		return refuse(f, 400, MALFORMED,
		              "The request target must be a path that starts with a single /.");
	if (c == '\r' || c == '\n')
		return refuse(f, 400, MALFORMED, "The request line has no HTTP version.");
	if (c < 0x21 || c > 0x7e)
		return refuse(f, 400, MALFORMED,
		              "The request target holds a byte that is not printable ASCII "
		              "(0x%02x); percent-encode it.",
		              c);
	h->target_len++;
	return 0;
}

static int line_break(struct framer *f, unsigned char c, enum line kind);

static int
version_byte(struct framer *f, unsigned char c)
{
	struct framer_head *h = &f->head;

	if (c == '\r' || c == '\n')
		return line_break(f, c, LINE_REQUEST);
	if (h->version_len < sizeof(h->version) - 1)
		h->version[h->version_len] = (char)c;
	h->version_len++;
	return 0;
}

static int
version_end(struct framer *f)
{
	const struct framer_head *h = &f->head;

	if (h->version_len != 8 ||
	    (strcmp(h->version, "HTTP/1.1") != 0 && strcmp(h->version, "HTTP/1.0") != 0))
		return refuse(f, 400, MALFORMED,
		              "The request line must end with HTTP/1.1 or HTTP/1.0.");
	f->state = ST_LINE;
	return 0;
}

/* ---- header lines ---- */

/* A header line begins (c is its first byte), or the empty line that ends the head. */
static int name_byte(struct framer *f, unsigned char c);

static int
line_byte(struct framer *f, unsigned char c)
{
	struct framer_head *h = &f->head;

	if (c == '\r' || c == '\n')
		return line_break(f, c, LINE_EMPTY);
	if (c == ' ' || c == '\t')
		return refuse(f, 400, MALFORMED,
		              "A header line starts with whitespace (a folded line, which is not "
		              "taken).");
	memset(h->name, 0, sizeof(h->name));
	h->name_len = 0;
	h->field = FIELD_OTHER;
	h->value_started = h->value_ws = h->value_bad = false;
	f->state = ST_NAME;
	return name_byte(f, c);
}

static void
name_end(struct framer_head *h)
{
	if (h->name_len >= sizeof(h->name))
		return;
	if (strcmp(h->name, "content-length") == 0) {
		h->field = FIELD_LENGTH;
		h->n_length++;
		h->length = 0;
	} else if (strcmp(h->name, "transfer-encoding") == 0) {
		h->field = FIELD_ENCODING;
		h->n_encoding++;
	} else if (strcmp(h->name, "expect") == 0) {
		h->field = FIELD_EXPECT;
		memset(h->expect, 0, sizeof(h->expect));
		h->expect_len = 0;
	}
}

static int
name_byte(struct framer *f, unsigned char c)
{
	struct framer_head *h = &f->head;

	if (c == ':' && h->name_len > 0) {
		name_end(h);
		f->state = ST_VALUE;
		return 0;
	}
	if (!is_tchar(c))
		return refuse(f, 400, MALFORMED, FIELD_LINE);
	if (h->name_len < sizeof(h->name) - 1)
		h->name[h->name_len] = (char)lower(c);
	h->name_len++;
	return 0;
}

/* One byte of a Content-Length: a decimal number, saturated at UINT64_MAX. */
static void
length_byte(struct framer_head *h, unsigned char c)
{
	uint64_t d = (uint64_t)(c - '0');

	if (c < '0' || c > '9')
		h->value_bad = true;
	else if (h->length > (UINT64_MAX - d) / 10)
		h->length = UINT64_MAX;
	else
		h->length = h->length * 10 + d;
}

/* A byte of a value: printable, obs-text, SP or HTAB. Whitespace around the value is not
 * part of it; whitespace inside makes a Content-Length or Expect value wrong. */
static int
value_byte(struct framer *f, unsigned char c)
{
	struct framer_head *h = &f->head;

	if (c == '\r' || c == '\n')
		return line_break(f, c, LINE_FIELD);
	if ((c < 0x20 && c != '\t') || c == 0x7f)
		return refuse(f, 400, MALFORMED,
		              "A header value holds a control character (0x%02x).", c);
	if (c == ' ' || c == '\t') {
		h->value_ws = h->value_started;
		return 0;
	}
	h->value_bad = h->value_bad || h->value_ws;
	h->value_started = true;
	if (h->field == FIELD_LENGTH)
		length_byte(h, c);
	else if (h->field == FIELD_EXPECT && h->expect_len++ < sizeof(h->expect) - 1)
		h->expect[h->expect_len - 1] = (char)lower(c);
	return 0;
}

static void
field_end(struct framer *f)
{
	struct framer_head *h = &f->head;

	if (h->field == FIELD_LENGTH && (!h->value_started || h->value_bad))
		h->length_bad = true;
	if (h->field == FIELD_EXPECT &&
	    (h->value_bad || h->expect_len != strlen(CONTINUE) || strcmp(h->expect, CONTINUE) != 0))
		h->expect_bad = true;
	f->state = ST_LINE;
}

/* ---- the end of the head ---- */

static int
check_length(struct framer *f)
{
	const struct framer_head *h = &f->head;

	if (h->n_encoding > 0 && h->n_length > 0)
		return refuse(f, 400, MALFORMED,
		              "The request has both Content-Length and Transfer-Encoding.");
	if (h->n_encoding > 0)
		return refuse(f, 411, "length-required",
		              "The request body must be sent with a Content-Length, not a "
		              "Transfer-Encoding.");
	if (h->n_length > 1)
		return refuse(f, 400, MALFORMED, "The request has more than one Content-Length.");
	if (h->n_length == 0)
		return 0;
	if (h->length_bad)
		return refuse(f, 400, MALFORMED, "The Content-Length is not a number of bytes.");
	if (h->length > f->lim.max_body)
		return refuse(f, 413, "body-too-large",
		              "The request body has %s%" PRIu64 " bytes; the limit is %" PRIu64 ".",
		              h->length == UINT64_MAX ? "more than " : "", h->length,
		              f->lim.max_body);
	if (h->is_head && h->length > 0)
		return refuse(f, 400, MALFORMED, "A HEAD request cannot have a body.");
	return 0;
}

static int
head_end(struct framer *f)
{
	const struct framer_head *h = &f->head;

	if (check_length(f) != 0)
		return -1;
	if (h->expect_bad)
		return refuse(f, 417, "expectation-failed",
		              "The server meets no Expect but 100-continue.");
	f->heads++;
	f->ready = f->fed;
	f->body_left = h->n_length > 0 ? h->length : 0;
	if (f->body_left > 0)
		f->state = ST_BODY;
	else
		head_start(f);
	return 0;
}

static int
line_end(struct framer *f, enum line kind)
{
	switch (kind) {
	case LINE_REQUEST:
		return version_end(f);
	case LINE_FIELD:
		field_end(f);
		return 0;
	case LINE_EMPTY:
		return head_end(f);
	}
	return -1;
}

/* c, a CR or LF, ends a line of the given kind (a CR only once LF follows). */
static int
line_break(struct framer *f, unsigned char c, enum line kind)
{
	if (c == '\n')
		return line_end(f, kind);
	f->head.line = kind;
	f->state = ST_CR;
	return 0;
}

static int
too_long(struct framer *f)
{
	if (f->state == ST_METHOD || f->state == ST_TARGET || f->state == ST_VERSION ||
	    (f->state == ST_CR && f->head.line == LINE_REQUEST))
		return refuse(f, 414, "uri-too-long", "The request line is longer than %zu bytes.",
		              f->lim.max_head);
	return refuse(f, 431, "headers-too-large",
	              "The request line and headers are longer than %zu bytes.", f->lim.max_head);
}

static int
head_byte(struct framer *f, unsigned char c)
{
	if (++f->head.len > f->lim.max_head)
		return too_long(f);
	switch (f->state) {
	case ST_METHOD:
		return method_byte(f, c);
	case ST_TARGET:
		return target_byte(f, c);
	case ST_VERSION:
		return version_byte(f, c);
	case ST_LINE:
		return line_byte(f, c);
	case ST_NAME:
		return name_byte(f, c);
	case ST_VALUE:
		return value_byte(f, c);
	case ST_CR:
		if (c == '\n')
			return line_end(f, (enum line)f->head.line);
		return refuse(f, 400, MALFORMED,
		              "A line of the request head has a CR that LF does not follow.");
	}
	return -1;
}

void
framer_init(struct framer *f, const struct framer_limits *lim)
{
	memset(f, 0, sizeof(*f));
	f->lim = *lim;
	head_start(f);
}

/* The length of the run of visible bytes (and bytes past ASCII) at p[0..len), which a
 * value other than the framing ones only counts: value_byte gives each the same verdict. */
static size_t
value_run(const unsigned char *p, size_t len)
{
	size_t n = 0;

	while (n < len && p[n] > 0x20 && p[n] != 0x7f)
		n++;
	return n;
}

int
framer_feed(struct framer *f, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i = 0, n;

	while (i < len && !f->refused) {
		if (f->state == ST_VALUE && f->head.field == FIELD_OTHER &&
		    (n = value_run(p + i, len - i)) > 1 && f->head.len + n <= f->lim.max_head) {
			f->head.len += n;
			f->fed += n;
			f->head.value_bad = f->head.value_bad || f->head.value_ws;
			f->head.value_started = true;
			i += n;
			continue;
		}
		if (f->state != ST_BODY) {
			f->fed++;
			head_byte(f, p[i++]);
			continue;
		}
		n = len - i < f->body_left ? len - i : (size_t)f->body_left;
		i += n;
		f->fed += n;
		f->ready = f->fed;
		f->body_left -= n;
		if (f->body_left == 0)
			head_start(f);
	}
	return f->refused ? -1 : 0;
}
