/* http — the evhttp front: request context, dispatch through the route table, replies.
 *
 * Every request gets a struct req that lives until exactly one reply is sent; every reply
 * function ends the request (logs it, counts it, frees it). Handlers may reply at once or
 * later from a database callback. */
#ifndef FREECOOP_HTTP_H
#define FREECOOP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "app.h"
#include "auth.h"
#include "body.h"
#include "config.h"
#include "db/db.h"
#include "routes.h"
#include "util.h"

/* A callback of a streamed reply (req_stream_start). */
typedef void (*req_stream_cb)(void *arg);

struct req {
	struct app *app;
	struct evhttp_request *ev;
	int route_idx; /* into app->routes, or -1 */
	char id[17];   /* request id, also sent as X-Request-Id */
	char method[8]; /* "GET", ...; the refused method of a framer refusal, or "OTHER" */
	uint64_t start_us;
	char param[ROUTE_PARAM_MAX + 1];  /* the path's first parameter ({id}, ...), lowercase */
	char param2[ROUTE_PARAM_MAX + 1]; /* its second, or "" */
	struct credential cred; /* the bearer token presented, by its kind and hash */
	struct principal who;   /* who made the request, once auth admitted it */
	struct auth_call auth;  /* the admission in progress (auth.h) */
	const char *body; /* the request body (not NUL-terminated), body_len bytes */
	size_t body_len;
	bool probe; /* a readiness probe: its 503 is its answer, not a fault (logged at info) */
	void *state;                     /* a handler's state across its callbacks */
	void (*state_free)(void *state); /* called on state when the request ends */
	struct {                         /* a streamed reply (req_stream_start) */
		req_stream_cb written, gone;
		void *arg;
		int status;
	} stream;
};

/* Binds cfg->listen_address:port and serves on app->base; returns 0 or -1 (logged). */
int http_start(struct app *app);

/* Graceful shutdown: serves the connections already waiting in the accept queue (up to
 * one second), then closes the listener, answers further requests on open connections
 * with 503 and Connection: close, and exits the loop once no request is in flight, every
 * answer is written and no request came for 50 ms — or when the shutdown timeout ends.
 * A second call exits at once. */
void http_shutdown(struct app *app);

/* Parses the request body as a JSON object of the given fields (see body_parse). Returns 0
 * with *out set (caller puts it), or -1 after replying with a 400/422 problem. */
int req_body(struct req *r, const struct body_field *fields, size_t nfields, bool allow_empty,
	     struct json_object **out);

/* Replies with a JSON body, ended by a newline, and status; takes ownership of body. */
void req_reply_json(struct req *r, int status, struct json_object *body);

/* Like req_reply_json, with another JSON media type (e.g. application/jwk-set+json). */
void req_reply_json_type(struct req *r, int status, const char *content_type,
			 struct json_object *body);

/* Replies with status and no body. */
void req_reply_empty(struct req *r, int status);

/* An operation's callback for the request arg when it returns nothing: 204 No Content, or
 * its refusal. */
void req_reply_done(void *arg, const struct problem *no);

/* Replies with a body of the given content type, taking the buffer's contents. */
void req_reply_buffer(struct req *r, int status, const char *content_type,
		      struct evbuffer *buf);

/* Replies with an RFC 9457 problem: type urn:freecoop:problem:<slug>, the slug's title, and
 * detail formatted printf-style. ext (may be NULL; ownership taken) adds members. */
void req_reply_problem_ext(struct req *r, int status, const char *slug, struct json_object *ext,
			   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define req_reply_problem(r, status, slug, ...)                                               \
	req_reply_problem_ext((r), (status), (slug), NULL, __VA_ARGS__)

/* Replies with a refusal (core/problem.h): its problem, with Retry-After when it has one,
 * or the database's outcome: 503 service-unavailable (with Retry-After) when the database
 * is unreachable or slow, 500 internal-error otherwise. */
void req_reply_refusal(struct req *r, const struct problem *no);

/* A streamed reply, for a body too large to hold at once. req_stream_start sends the
 * status line and headers (with Content-Type and Content-Length: length — or, for a length
 * of REQ_STREAM_UNKNOWN, chunked transfer encoding, whose last chunk says the body is
 * whole, so a cut body is seen as cut); the body follows
 * in pieces, each given to req_stream_write once the previous one is written out; after
 * the last, req_stream_end ends the request. While the body goes out the client is not
 * expected to say anything (no read timeout), and a write that makes no progress for
 * connection_timeout closes the connection.
 *
 * If the connection closes before req_stream_end (the client left or stalled, the server
 * closed it with req_stream_cut, or shut down), gone(arg) runs once, and then the request
 * ends: no req_* call may follow gone. Returns 0, or -1 when the connection cannot be
 * watched (nothing sent; r still needs a reply). */
#define REQ_STREAM_UNKNOWN UINT64_MAX
int req_stream_start(struct req *r, int status, const char *content_type, uint64_t length,
		     req_stream_cb written, req_stream_cb gone, void *arg);

/* Moves buf's contents to the connection; written(arg) runs once they are all handed to
 * the kernel (never from inside this call). */
void req_stream_write(struct req *r, struct evbuffer *buf);

/* After the last piece is written out: ends the request (gone does not run). */
void req_stream_end(struct req *r);

/* Closes the connection mid-body (the client sees fewer bytes than Content-Length);
 * gone runs from inside this call, and the request ends. */
void req_stream_cut(struct req *r);

/* Adds a response header. */
void req_add_header(struct req *r, const char *name, const char *value);

/* Logs a message with the request's id and route. */
void req_log(struct req *r, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
