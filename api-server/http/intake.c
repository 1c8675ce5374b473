/* intake — the framer between a connection's socket and evhttp (see intake.h).
 *
 * The input buffer's callback sees how many bytes were just added: they are the buffer's
 * last n (nothing but the socket adds to it; evhttp only drains it). In stream offsets, the
 * framer has read fed bytes, of which the first ready are evhttp's; ic->held holds the
 * bytes from there to the end of what was read before, the head still being read. Moving
 * bytes between buffers runs the callback again, for changes of our own: the busy flag
 * tells them apart. The input buffer's end is frozen by bufferevent except while it reads
 * from the socket, so bytes are only ever added to it from within the callback. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "intake.h"
#include "util.h"

#define STAND_IN "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
#define LINGER_CHUNK 16384 /* bytes read and discarded at once while lingering */
#define LINGER_READS 4     /* reads per wake-up, so that one client cannot hog the loop */

struct lingering {
	struct event *ev;
	evutil_socket_t fd;
	uint64_t until_us;
	LIST_ENTRY(lingering) link;
};

struct intake {
	struct event_base *base;
	struct framer_limits lim;
	int linger_s;
	struct evbuffer *scratch; /* empty between uses */
	LIST_HEAD(, lingering) lingering;
};

struct intake_conn {
	struct intake *in;
	struct bufferevent *bev;
	struct evbuffer_cb_entry *cb;
	struct evbuffer *held; /* read, but not yet evhttp's: the start of a head */
	struct framer framer;
	uint64_t released;  /* bytes evhttp was given: framer.ready as of the last callback */
	uint64_t delivered; /* requests evhttp handed to http.c */
	bool busy;          /* moving bytes: changes to the input are ours */
	bool answered;      /* the stand-in reached http.c */
};

/* ---- lingering close ---- */

static void
linger_free(struct lingering *l)
{
	LIST_REMOVE(l, link);
	event_free(l->ev);
	evutil_closesocket(l->fd);
	free(l);
}

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lingering *l = arg;
	char buf[LINGER_CHUNK];
	ssize_t r = -1;
	uint64_t now = util_now_us();
	struct timeval tv;

	for (int i = 0; (what & EV_READ) && i < LINGER_READS; i++)
		if ((r = read(fd, buf, sizeof(buf))) <= 0)
			break;
	if ((what & EV_TIMEOUT) || now >= l->until_us || r == 0 ||
	    (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		linger_free(l);
		return;
	}
	tv.tv_sec = (time_t)((l->until_us - now) / 1000000);
	tv.tv_usec = (suseconds_t)((l->until_us - now) % 1000000);
	event_add(l->ev, &tv);
}

/* Keeps the socket of fd (about to be closed) open for reading only, what arrives discarded,
 * until the client closes it or in->linger_s seconds pass. Without it, closing a socket with
 * unread bytes sends a reset, and the client may lose the answer it has not read yet. */
static void
linger_start(struct intake *in, evutil_socket_t fd)
{
	struct lingering *l = calloc(1, sizeof(*l));
	struct timeval tv = {in->linger_s, 0};

	if (l == NULL)
		return;
	l->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (l->fd < 0 || evutil_make_socket_nonblocking(l->fd) != 0 ||
	    (l->ev = event_new(in->base, l->fd, EV_READ, linger_cb, l)) == NULL) {
		if (l->fd >= 0)
			evutil_closesocket(l->fd);
		free(l);
		return;
	}
	shutdown(l->fd, SHUT_WR); /* the answer is written: end it */
	l->until_us = util_now_us() + (uint64_t)in->linger_s * 1000000;
	LIST_INSERT_HEAD(&in->lingering, l, link);
	event_add(l->ev, &tv);
}

/* ---- the input buffer ---- */

/* Copies buf[off..off+k) to the end of dst. Copied, not moved: a chain moved from the input
 * buffer may hold one byte in a block of kilobytes, and a client trickling its head a byte
 * at a time would make the head held back thousands of times its size. */
static void
copy_range(struct evbuffer *buf, size_t off, size_t k, struct evbuffer *dst)
{
	struct evbuffer_ptr at;
	struct evbuffer_iovec v;
	size_t n;

	while (k > 0 && evbuffer_ptr_set(buf, &at, off, EVBUFFER_PTR_SET) == 0 &&
	       evbuffer_peek(buf, (ev_ssize_t)k, &at, &v, 1) >= 1) {
		n = v.iov_len < k ? v.iov_len : k;
		evbuffer_add(dst, v.iov_base, n);
		off += n;
		k -= n;
	}
}

/* Takes the last k bytes of src off it, copied to the end of dst unless dst is NULL. */
static void
take_tail(struct intake *in, struct evbuffer *src, struct evbuffer *dst, size_t k)
{
	size_t keep = evbuffer_get_length(src) - k;

	if (k == 0)
		return;
	if (dst != NULL)
		copy_range(src, keep, k, dst);
	evbuffer_remove_buffer(src, in->scratch, keep);
	evbuffer_drain(src, k);
	evbuffer_add_buffer(src, in->scratch);
}

/* Runs the framer over the last n bytes of input, in place. */
static void
feed_tail(struct intake_conn *ic, struct evbuffer *input, size_t n)
{
	size_t off = evbuffer_get_length(input) - n, k;
	struct evbuffer_ptr at;
	struct evbuffer_iovec v;

	while (n > 0 && !ic->framer.refused) {
		if (evbuffer_ptr_set(input, &at, off, EVBUFFER_PTR_SET) != 0 ||
		    evbuffer_peek(input, (ev_ssize_t)n, &at, &v, 1) < 1)
			return;
		k = v.iov_len < n ? v.iov_len : n;
		framer_feed(&ic->framer, v.iov_base, k);
		off += k;
		n -= k;
	}
}

/* The n bytes just read, input's last: the framer reads them; what it has taken stays with
 * (or goes to) evhttp, the head still being read is held back, and a refused head is
 * replaced by the stand-in. */
static void
take(struct intake_conn *ic, struct evbuffer *input, size_t n)
{
	struct framer *f = &ic->framer;
	uint64_t start = f->fed; /* the stream offset of the new bytes */
	bool holding = evbuffer_get_length(ic->held) > 0;

	feed_tail(ic, input, n);
	if (!holding) { /* then ic->released == start */
		take_tail(ic->in, input, ic->held, (size_t)(start + n - f->ready));
	} else {
		take_tail(ic->in, input, ic->held, n);
		evbuffer_remove_buffer(ic->held, input, (size_t)(f->ready - ic->released));
	}
	ic->released = f->ready;
	if (f->refused) {
		evbuffer_drain(ic->held, evbuffer_get_length(ic->held));
		evbuffer_add(input, STAND_IN, sizeof(STAND_IN) - 1);
	}
}

static void
input_cb(struct evbuffer *input, const struct evbuffer_cb_info *info, void *arg)
{
	struct intake_conn *ic = arg;
	size_t n = info->n_added;

	if (ic->busy || n == 0 || n > evbuffer_get_length(input))
		return;
	ic->busy = true;
	if (ic->framer.refused) /* after the stand-in, nothing reaches evhttp */
		take_tail(ic->in, input, NULL, n);
	else
		take(ic, input, n);
	ic->busy = false;
}

/* ---- connections ---- */

struct intake_conn *
intake_conn_new(struct intake *in, struct bufferevent *bev)
{
	struct intake_conn *ic = calloc(1, sizeof(*ic));

	if (ic == NULL)
		return NULL;
	ic->in = in;
	ic->bev = bev;
	framer_init(&ic->framer, &in->lim);
	if ((ic->held = evbuffer_new()) == NULL ||
	    (ic->cb = evbuffer_add_cb(bufferevent_get_input(bev), input_cb, ic)) == NULL) {
		if (ic->held != NULL)
			evbuffer_free(ic->held);
		free(ic);
		return NULL;
	}
	return ic;
}

const struct framer_refusal *
intake_conn_request(struct intake_conn *ic)
{
	if (ic == NULL)
		return NULL;
	ic->delivered++;
	if (!ic->framer.refused || ic->delivered != ic->framer.heads + 1)
		return NULL;
	ic->answered = true;
	return &ic->framer.refusal;
}

void
intake_conn_free(struct intake_conn *ic)
{
	if (ic == NULL)
		return;
	evbuffer_remove_cb_entry(bufferevent_get_input(ic->bev), ic->cb);
	evbuffer_free(ic->held);
	free(ic);
}

void
intake_conn_close(struct intake_conn *ic)
{
	if (ic == NULL)
		return;
	if (ic->answered && ic->in->linger_s > 0)
		linger_start(ic->in, bufferevent_getfd(ic->bev));
	intake_conn_free(ic);
}

/* ---- set-up ---- */

struct intake *
intake_new(struct event_base *base, const struct framer_limits *lim, int linger_s)
{
	struct intake *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	if ((in->scratch = evbuffer_new()) == NULL) {
		free(in);
		return NULL;
	}
	in->base = base;
	in->lim = *lim;
	in->linger_s = linger_s;
	LIST_INIT(&in->lingering);
	return in;
}

void
intake_free(struct intake *in)
{
	if (in == NULL)
		return;
	while (!LIST_EMPTY(&in->lingering))
		linger_free(LIST_FIRST(&in->lingering));
	evbuffer_free(in->scratch);
	free(in);
}
