/* intake — what evhttp gets to read of each connection: the requests the framer takes, and in
 * place of the first one it refuses, a stand-in that http.c answers with the refusal.
 *
 * libevent 2.1 has no hook between reading a request's bytes and parsing them, and no way to
 * replace evhttp's HTML error pages. The bytes of a connection land in its bufferevent's
 * input buffer, and a callback on that buffer runs as they come off the socket, before
 * evhttp's read callback. There they go through the framer (framer.h). Only what it has
 * taken stays in the buffer for evhttp: whole heads, and body bytes as they arrive; the
 * start of a head still being read is held back, so evhttp never parses a head that may yet
 * be refused. When the framer refuses a head, nothing more of the stream reaches evhttp: in
 * its place goes a stand-in request (GET / HTTP/1.1 with Connection: close), which evhttp
 * parses and dispatches after the requests before it, in order, like any other. http.c asks
 * intake_conn_request whether the request it was handed is the stand-in, and answers it
 * with the refusal's problem, logged and counted like any answer. evhttp closes the
 * connection once that answer is written; the socket then stays open for up to linger_s
 * seconds, read and discarded, so that a client still sending a body it was refused reads
 * the answer rather than a reset. */
#ifndef FREECOOP_INTAKE_H
#define FREECOOP_INTAKE_H

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "framer.h"

struct intake;      /* the server's: limits, and the sockets lingering after a refusal */
struct intake_conn; /* one connection's */

/* For connections served on base, with the framer's limits (copied) and the lingering time
 * (0: none). NULL on allocation failure. */
struct intake *intake_new(struct event_base *base, const struct framer_limits *lim, int linger_s);

/* Closes the sockets still lingering. NULL is a no-op. */
void intake_free(struct intake *in);

/* Starts watching what comes in on bev, a connection's bufferevent that evhttp has not read
 * from yet. Returns the connection's state (freed by intake_conn_close or _free), or NULL on
 * allocation failure: the connection is then not watched, and evhttp's own limits apply. */
struct intake_conn *intake_conn_new(struct intake *in, struct bufferevent *bev);

/* evhttp handed http.c the next request of this connection. Returns the refusal (borrowed;
 * valid until the connection closes) when that request is the stand-in, else NULL. NULL ic:
 * NULL. */
const struct framer_refusal *intake_conn_request(struct intake_conn *ic);

/* The connection is closing (evhttp's close callback; its bufferevent is still open): stops
 * watching, lingers on the socket if the stand-in was answered, and frees ic. NULL is a
 * no-op. */
void intake_conn_close(struct intake_conn *ic);

/* Stops watching and frees ic, without lingering; its bufferevent must still be allocated.
 * NULL is a no-op. */
void intake_conn_free(struct intake_conn *ic);

#endif
