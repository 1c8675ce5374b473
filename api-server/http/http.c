/* http — request life cycle: accept, check, route, authenticate, handle, reply, account.
 *
 * Raw paths are never logged: an account id in a path is a claim secret until claimed, so
 * logs and metrics name the route pattern only. */
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "auth.h"
#include "framer.h"
#include "guard.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "routes.h"

#define PROBLEM_PREFIX "urn:freecoop:problem:"
#define SHUTDOWN_TICK_US 5000
#define SHUTDOWN_QUIET_US 50000   /* no request for this long: none is still on its way */
#define SHUTDOWN_DRAIN_US 1000000 /* the accept queue is served for at most this long */
#define SHUTDOWN_UNSENT_US 1000000 /* an answer unwritten this long: its client went away */
#define STREAM_READ_MAX 4096 /* what a client may send while a streamed body goes out */

struct problem_kind {
	const char *slug;
	const char *title;
};

static const struct problem_kind problem_kinds[] = {
	{"malformed-json", "Malformed JSON"},
	{"invalid-request", "Invalid request"},
	{"body-too-large", "Request body too large"},
	{"unsupported-media-type", "Unsupported media type"},
	{"malformed-request", "Malformed request"},
	{"length-required", "Content-Length required"},
	{"uri-too-long", "Request line too long"},
	{"headers-too-large", "Request headers too large"},
	{"expectation-failed", "Expectation failed"},
	{"method-not-implemented", "Method not implemented"},
	{"invalid-id", "Invalid id"},
	{"missing-credentials", "Missing credentials"},
	{"malformed-credentials", "Malformed credentials"},
	{"wrong-credential-kind", "Wrong kind of credential"},
	{"invalid-credentials", "Invalid credentials"},
	{"token-expired", "Access token expired"},
	{"token-revoked", "Access token revoked"},
	{"not-found", "Not found"},
	{"route-not-found", "No such route"},
	{"method-not-allowed", "Method not allowed"},
	{"already-claimed", "Already claimed"},
	{"service-unavailable", "Service unavailable"},
	{"not-ready", "Not ready"},
	{"internal-error", "Internal error"},
	{"not-enfranchised", "Not enfranchised"},
	{"outside-phase", "Outside the phase"},
	{"limit-reached", "Limit reached"},
	{"not-concluded", "Not concluded yet"},
	{"result-purged", "Result purged"},
	{"method-too-large", "Voting method too large"},
	{"payload-too-large", "Payload too large"},
	{"invalid-phases", "Invalid phases"},
	{"foreign-account", "Account of another service"},
	{"method-not-usable", "Voting method not usable"},
	{"unknown-auditor", "Unknown code auditor"},
	{"invalid-signature", "Invalid signature"},
	{"invalid-method", "Invalid voting method"},
	{"worker-unavailable", "Count-worker unavailable"},
	{"invalid-webhook-url", "Invalid webhook URL"},
	{"webhook-url-not-public", "Webhook URL not public"},
	{"signup-closed", "Sign-up closed"},
	{"invalid-charter", "Invalid charter"},
	{"already-member", "Already a member"},
	{"already-applied", "Already applied"},
	{"unknown-type", "Unknown decision type"},
	{"not-permitted", "Not permitted"},
	{"invalid-action", "Invalid action"},
	{"effect-not-available", "Effect not available"},
	{"not-applied", "Not applied yet"},
	{"invalid-entry", "Invalid entry"},
	{"unbalanced", "Unbalanced entry"},
	{"unknown-account", "Unknown account"},
	{"over-limit", "Over the limit"},
	{"period-closed", "Period closed"},
	{"already-reversed", "Already reversed"},
	{"ledger-not-empty", "Ledger not empty"},
	{"account-exists", "Account exists"},
	{"rate-limited", "Too many requests"},
	{"document-too-large", "Result document too large"},
	{"too-many-downloads", "Too many downloads"},
};

static const char *
problem_title(const char *slug)
{
	for (size_t i = 0; i < sizeof(problem_kinds) / sizeof(problem_kinds[0]); i++)
		if (strcmp(problem_kinds[i].slug, slug) == 0)
			return problem_kinds[i].title;
	return "Error";
}

static const char *
method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_PATCH: return "PATCH";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	default: return "OTHER";
	}
}

static const char *
route_label(const struct req *r)
{
	return r->route_idx >= 0 ? r->app->routes[r->route_idx].pattern : "unmatched";
}

static void
sent_cb(struct evhttp_request *ev, void *arg)
{
	struct app *app = arg;

	app->unsent--;
	app->last_sent_us = util_now_us();
	guard_request_sent(app->guard, ev);
}

/* The level of a request's log line: error for a fault of the server (500 and the other
 * 5xx), warn for 503 (the database or the worker away, or a shutdown: the service degrades
 * and says so), info for the rest: 4xx, 501 (a method no server here implements) and a
 * readiness probe's 503, its answer while the server is not ready (as at every start). */
static enum log_level
finish_level(const struct req *r, int status)
{
	if (status < 500 || status == 501 || (status == 503 && r->probe))
		return LOGL_INFO;
	return status == 503 ? LOGL_WARN : LOGL_ERROR;
}

/* Ends the request: logs it, counts it, frees it (a shutdown's tick watches in_flight). */
static void
req_finish(struct req *r, int status)
{
	struct app *app = r->app;
	double secs = (double)(util_now_us() - r->start_us) / 1e6;
	struct log_req lr = {r->id, r->method, route_label(r), status, secs * 1000.0};

	log_req_msg(finish_level(r, status), &lr, "request");
	metrics_observe(app->metrics, r->route_idx, status, secs);
	if (r->state_free != NULL)
		r->state_free(r->state);
	free(r);
	app->in_flight--;
}

void
req_add_header(struct req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value);
}

void
req_log(struct req *r, int level, const char *fmt, ...)
{
	struct log_req lr = {r->id, r->method, route_label(r), 0, -1};
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_req_msg((enum log_level)level, &lr, "%s", msg);
}

static void
send_reply(struct req *r, int status, struct evbuffer *buf)
{
	req_add_header(r, "X-Request-Id", r->id);
	r->app->unsent++;
	evhttp_request_set_on_complete_cb(r->ev, sent_cb, r->app);
	evhttp_send_reply(r->ev, status, NULL, buf);
	req_finish(r, status);
}

void
req_reply_buffer(struct req *r, int status, const char *content_type, struct evbuffer *buf)
{
	req_add_header(r, "Content-Type", content_type);
	send_reply(r, status, buf);
}

void
req_reply_json_type(struct req *r, int status, const char *content_type, struct json_object *body)
{
	struct evbuffer *buf = evbuffer_new();
	const char *text;

	if (buf == NULL) {
		json_object_put(body);
		evhttp_send_error(r->ev, 500, NULL);
		req_finish(r, 500);
		return;
	}
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	evbuffer_add(buf, text, strlen(text));
	evbuffer_add(buf, "\n", 1); /* a text ends its last line: curl's output ends, too */
	json_object_put(body);
	req_reply_buffer(r, status, content_type, buf);
	evbuffer_free(buf);
}

void
req_reply_json(struct req *r, int status, struct json_object *body)
{
	req_reply_json_type(r, status, "application/json", body);
}

void
req_reply_empty(struct req *r, int status)
{
	send_reply(r, status, NULL);
}

/* ---- streamed replies ---- */

/* The connection of a streamed reply closed before its end (guard_watch_close). */
static void
stream_closed_cb(void *arg)
{
	struct req *r = arg;
	struct evhttp_request *ev = r->ev;
	bool let_go = evhttp_request_get_connection(ev) == NULL;

	r->app->unsent--; /* sent_cb will not run */
	r->stream.gone(r->stream.arg);
	req_finish(r, r->stream.status);
	/* A connection that failed (EOF, timeout) lets go of its unfinished request before it
	 * is freed, leaving it to its owner; otherwise evhttp frees it with the connection. */
	if (let_go)
		evhttp_request_free(ev);
}

static void
stream_written_cb(struct evhttp_connection *evcon, void *arg)
{
	struct req *r = arg;

	r->stream.written(r->stream.arg);
}

int
req_stream_start(struct req *r, int status, const char *content_type, uint64_t length,
		 req_stream_cb written, req_stream_cb gone, void *arg)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);
	struct timeval tv = {r->app->cfg->connection_timeout, 0};
	struct bufferevent *bev;
	char len[24];

	if (evcon == NULL || guard_watch_close(r->app->guard, r->ev, stream_closed_cb, r) != 0)
		return -1;
	r->stream.written = written;
	r->stream.gone = gone;
	r->stream.arg = arg;
	r->stream.status = status;
	snprintf(len, sizeof(len), "%" PRIu64, length);
	req_add_header(r, "Content-Type", content_type);
	if (length != REQ_STREAM_UNKNOWN)
		req_add_header(r, "Content-Length", len); /* else evhttp sends it chunked */
	req_add_header(r, "X-Request-Id", r->id);
	/* evhttp's read timeout would end a download that lasts connection_timeout; bytes
	 * the client sends meanwhile (a pipelined request) wait, up to a few KiB. */
	bev = evhttp_connection_get_bufferevent(evcon);
	bufferevent_set_timeouts(bev, NULL, &tv);
	bufferevent_setwatermark(bev, EV_READ, 0, STREAM_READ_MAX);
	r->app->unsent++;
	evhttp_request_set_on_complete_cb(r->ev, sent_cb, r->app);
	evhttp_send_reply_start(r->ev, status, NULL);
	return 0;
}

void
req_stream_write(struct req *r, struct evbuffer *buf)
{
	evhttp_send_reply_chunk_with_cb(r->ev, buf, stream_written_cb, r);
}

void
req_stream_end(struct req *r)
{
	struct evhttp_request *ev = r->ev;
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);

	guard_watch_close(r->app->guard, ev, NULL, NULL);
	if (evcon != NULL) {
		bufferevent_setwatermark(evhttp_connection_get_bufferevent(evcon), EV_READ, 0, 0);
		evhttp_connection_set_timeout(evcon, r->app->cfg->connection_timeout);
	}
	req_finish(r, r->stream.status);
	evhttp_send_reply_end(ev); /* may free ev at once */
}

void
req_stream_cut(struct req *r)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r->ev);

	if (evcon != NULL)
		evhttp_connection_free(evcon); /* its close callback runs stream_closed_cb */
	else
		stream_closed_cb(r);
}

void
req_reply_problem_ext(struct req *r, int status, const char *slug, struct json_object *ext,
		      const char *fmt, ...)
{
	struct json_object *p = json_object_new_object();
	char type[128], detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(type, sizeof(type), PROBLEM_PREFIX "%s", slug);
	json_object_object_add(p, "type", json_object_new_string(type));
	json_object_object_add(p, "title", json_object_new_string(problem_title(slug)));
	json_object_object_add(p, "status", json_object_new_int(status));
	json_object_object_add(p, "detail", json_object_new_string(detail));
	json_object_object_add(p, "request_id", json_object_new_string(r->id));
	if (ext != NULL) {
		json_object_object_foreach(ext, key, val)
			json_object_object_add(p, key, json_object_get(val));
		json_object_put(ext);
	}
	if (status == 401)
		req_add_header(r, "WWW-Authenticate", "Bearer realm=\"freecoop\"");
	if (status == 503)
		req_add_header(r, "Retry-After", "2");
	if (status == 400 && strcmp(slug, "malformed-request") == 0)
		req_add_header(r, "Connection", "close");
	req_reply_json_type(r, status, "application/problem+json", p);
}

/* Replies for a database outcome other than DB_OK (see req_reply_refusal). */
static void
reply_db_error(struct req *r, const struct db_result *res)
{
	switch (res->status) {
	case DB_UNAVAILABLE:
		req_reply_problem(r, 503, "service-unavailable",
				  "The database is unavailable; try again shortly.");
		return;
	case DB_TIMEOUT:
		req_reply_problem(r, 503, "service-unavailable",
				  "The database did not answer in time; try again shortly.");
		return;
	default:
		req_log(r, LOGL_ERROR, "query failed: SQLSTATE %s: %s", res->sqlstate,
			res->res != NULL ? PQresultErrorField(res->res, PG_DIAG_MESSAGE_PRIMARY)
					 : "");
		req_reply_problem(r, 500, "internal-error",
				  "The request failed unexpectedly; request id %s.", r->id);
	}
}

int
req_body(struct req *r, const struct body_field *fields, size_t nfields, bool allow_empty,
	 struct json_object **out)
{
	struct body_error e;
	struct json_object *ext, *list;

	if (body_parse(r->body, r->body_len, &r->app->json_limits, fields, nfields, allow_empty,
		       out, &e) == 0)
		return 0;
	if (e.nparams == 0) {
		req_reply_problem(r, e.status, e.slug, "%s", e.detail);
		return -1;
	}
	ext = json_object_new_object();
	list = json_object_new_array();
	for (int i = 0; i < e.nparams; i++) {
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "name", json_object_new_string(e.params[i].name));
		json_object_object_add(p, "reason", json_object_new_string(e.params[i].reason));
		json_object_array_add(list, p);
	}
	json_object_object_add(ext, "invalid_params", list);
	req_reply_problem_ext(r, e.status, e.slug, ext, "%s", e.detail);
	return -1;
}

/* Request ids only tie log lines and answers together; they are no secret. A counter
 * from a random start, mixed (splitmix64), costs nothing per request, unlike the CSPRNG. */
static void
request_id_new(char id[17])
{
	static uint64_t next;
	static bool seeded;
	uint64_t z;
	unsigned char b[8];

	if (!seeded) {
		util_random(&next, sizeof(next));
		seeded = true;
	}
	z = (next += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	z ^= z >> 31;
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(z >> (8 * i));
	util_hex(b, sizeof(b), id);
}

static int
is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Takes the body; 413 or 415 when it cannot be accepted. Returns 0, or -1 if replied. (The
 * framer refuses a larger body before it is read; this holds for a connection it could not
 * watch.) */
static int
take_body(struct req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	const char *ct;

	if (len > (size_t)r->app->cfg->max_body_size) {
		req_reply_problem(r, 413, "body-too-large",
				  "The request body has %zu bytes; the limit is %d.", len,
				  r->app->cfg->max_body_size);
		return -1;
	}
	ct = evhttp_find_header(evhttp_request_get_input_headers(r->ev), "Content-Type");
	if (len > 0 && !is_json_type(ct)) {
		req_reply_problem(r, 415, "unsupported-media-type",
				  "The request body must be application/json, not %s.",
				  ct != NULL ? "another type" : "untyped");
		return -1;
	}
	r->body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	r->body_len = len;
	return 0;
}

void
req_reply_done(void *arg, const struct problem *no)
{
	struct req *r = arg;

	if (no != NULL)
		req_reply_refusal(r, no);
	else
		req_reply_empty(r, 204);
}

void
req_reply_refusal(struct req *r, const struct problem *v)
{
	char s[16];

	if (v->db != NULL) {
		reply_db_error(r, v->db);
		return;
	}
	if (v->retry_after > 0) {
		snprintf(s, sizeof(s), "%d", v->retry_after);
		req_add_header(r, "Retry-After", s);
	}
	req_reply_problem(r, v->status, v->slug, "%s", v->detail);
}

/* The verdict on a request (auth's, or none needed): its refusal, or its handler. The one
 * place a handler is started. */
static void
admitted(void *arg, const struct problem *v)
{
	struct req *r = arg;

	if (v != NULL)
		req_reply_refusal(r, v);
	else
		r->app->routes[r->route_idx].handler(r);
}

/* Finds the request's route and admits it: the body's checks, the client address's limit,
 * then the credentials (auth.h); the one place that starts a handler. */
static void
dispatch(struct req *r)
{
	const struct route *rt;
	struct problem no;
	const char *method = r->method;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(r->ev));
	char allow[64], params[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1];
	enum route_match m = route_find(r->app->routes, r->app->nroutes, method,
					path != NULL ? path : "", &r->route_idx, params, allow,
					sizeof(allow));

	memcpy(r->param, params[0], sizeof(r->param));
	memcpy(r->param2, params[1], sizeof(r->param2));
	switch (m) {
	case ROUTE_NO_PATH:
		req_reply_problem(r, 404, "route-not-found", "There is no %s %s.", method,
				  "route at this path");
		return;
	case ROUTE_NO_METHOD:
		req_add_header(r, "Allow", allow);
		req_reply_problem(r, 405, "method-not-allowed",
				  "This path does not take %s; it takes %s.", method, allow);
		return;
	case ROUTE_BAD_ID:
		if (strstr(r->app->routes[r->route_idx].pattern, "{name}") != NULL)
			req_reply_problem(r, 404, "not-found", "The page has no file of this name.");
		else if (strstr(r->app->routes[r->route_idx].pattern, "{sha}") != NULL)
			req_reply_problem(r, 400, "invalid-id",
					  "The id in the path is not a voting method id (the "
					  "SHA-256 of its code: 64 hexadecimal digits).");
		else if (strstr(r->app->routes[r->route_idx].pattern, "{n}") != NULL)
			req_reply_problem(r, 400, "invalid-id",
					  "The path's ids are UUIDs (like "
					  "3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6c) and its number a "
					  "whole number from 1.");
		else
			req_reply_problem(r, 400, "invalid-id",
					  "The id in the path is not a UUID (like "
					  "3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6c).");
		return;
	case ROUTE_FOUND:
		break;
	}
	if (take_body(r) != 0)
		return;
	rt = &r->app->routes[r->route_idx];
	if ((rt->flags & ROUTE_LIMIT_ADDRESS) != 0 &&
	    guard_address(r->app->guard, r->ev, &no) != 0) {
		req_reply_refusal(r, &no);
		return;
	}
	if ((rt->flags & ROUTE_CREDENTIALS) == 0) {
		admitted(r, NULL);
		return;
	}
	r->auth = (struct auth_call){
	    .app = r->app,
	    .flags = rt->flags,
	    .authorization = evhttp_find_header(evhttp_request_get_input_headers(r->ev),
						"Authorization"),
	    .cred = &r->cred,
	    .who = &r->who,
	    .done = admitted,
	    .arg = r,
	};
	auth_resolve(&r->auth);
}

/* The request stands in for a head the framer refused (guard.h): answers with the refusal
 * and returns true. */
static bool
refused(struct req *r)
{
	const struct framer_refusal *no = guard_refusal(r->app->guard, r->ev);

	if (no == NULL)
		return false;
	snprintf(r->method, sizeof(r->method), "%s", no->method[0] != '\0' ? no->method : "OTHER");
	req_reply_problem(r, no->status, no->slug, "%s", no->detail);
	return true;
}

static void
request_cb(struct evhttp_request *ev, void *arg)
{
	struct app *app = arg;
	struct req *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		evhttp_send_error(ev, 503, NULL);
		return;
	}
	r->app = app;
	r->ev = ev;
	r->route_idx = -1;
	r->start_us = util_now_us();
	snprintf(r->method, sizeof(r->method), "%s", method_name(evhttp_request_get_command(ev)));
	request_id_new(r->id);
	app->in_flight++;
	app->last_request_us = r->start_us;
	guard_request_read(app->guard, ev);
	if (refused(r))
		return;
	if (app->closing) {
		req_add_header(r, "Connection", "close");
		req_reply_problem(r, 503, "service-unavailable",
				  "The server is shutting down; try again shortly.");
		return;
	}
	dispatch(r);
}

int
http_start(struct app *app)
{
	const struct config *cfg = app->cfg;

	if ((app->http = evhttp_new(app->base)) == NULL)
		return -1;
	/* The framer (guard.h) refuses, with a problem, every head evhttp would answer with an
	 * HTML page of its own: the methods are the framer's seven, and evhttp's size limits
	 * are twice ours, so that they never trip first. */
	evhttp_set_allowed_methods(app->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						      EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
						      EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
	evhttp_set_max_body_size(app->http, (ev_ssize_t)cfg->max_body_size * 2);
	evhttp_set_max_headers_size(app->http, (ev_ssize_t)cfg->max_header_size * 2);
	evhttp_set_timeout(app->http, cfg->connection_timeout);
	evhttp_set_default_content_type(app->http, "application/json");
	evhttp_set_gencb(app->http, request_cb, app);
	if ((app->guard = guard_new(app)) == NULL)
		return -1;
	app->bound = evhttp_bind_socket_with_handle(app->http, cfg->listen_address,
						    (ev_uint16_t)cfg->port);
	if (app->bound == NULL) {
		log_error("could not listen on %s:%d", cfg->listen_address, cfg->port);
		return -1;
	}
	log_info("listening on http://%s:%d", cfg->listen_address, cfg->port);
	return 0;
}

static void
shutdown_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct app *app = arg;

	log_warn("shutdown timeout: %d requests still in flight", app->in_flight);
	event_base_loopexit(app->base, NULL);
}

/* Whether a closing server is done: nothing in flight, every answer written (or stuck for
 * a second: its client went away), and no request for a moment, so that requests already
 * sent on open connections are read and answered rather than cut off. */
static bool
shutdown_done(const struct app *app, uint64_t now)
{
	if (app->in_flight > 0 || now - app->last_request_us < SHUTDOWN_QUIET_US)
		return false;
	return app->unsent == 0 || now - app->last_sent_us > SHUTDOWN_UNSENT_US;
}

/* Every few milliseconds after a signal: first serve the connections already waiting in
 * the accept queue (up to a second), then close the listener, then wait until done. */
static void
shutdown_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct app *app = arg;
	struct timeval tick = {0, SHUTDOWN_TICK_US};
	uint64_t now = util_now_us();

	if (!app->closing) {
		struct pollfd p = {evhttp_bound_socket_get_fd(app->bound), POLLIN, 0};
		if (poll(&p, 1, 0) == 1 && now < app->drain_until_us) {
			evtimer_add(app->ev_shutdown_tick, &tick);
			return;
		}
		evhttp_del_accept_socket(app->http, app->bound);
		app->bound = NULL;
		app->closing = true;
		log_info("listener closed; %d requests in flight", app->in_flight);
	}
	if (shutdown_done(app, now))
		event_base_loopexit(app->base, NULL);
	else
		evtimer_add(app->ev_shutdown_tick, &tick);
}

void
http_shutdown(struct app *app)
{
	struct timeval tv = {app->cfg->shutdown_timeout, 0};

	if (app->shutting_down) {
		log_warn("second signal: stopping now");
		event_base_loopexit(app->base, NULL);
		return;
	}
	app->shutting_down = true;
	log_info("shutting down: %d requests in flight", app->in_flight);
	app->ev_shutdown = evtimer_new(app->base, shutdown_timeout_cb, app);
	app->ev_shutdown_tick = evtimer_new(app->base, shutdown_tick_cb, app);
	if (app->ev_shutdown == NULL || app->ev_shutdown_tick == NULL) {
		event_base_loopexit(app->base, NULL);
		return;
	}
	evtimer_add(app->ev_shutdown, &tv);
	app->drain_until_us = util_now_us() + SHUTDOWN_DRAIN_US;
	shutdown_tick_cb(-1, 0, app);
}
