/* guard — rate limits and request deadlines (see guard.h).
 *
 * libevent 2.1's evhttp says nothing when a connection opens, only when a request is
 * complete, so a client that never completes one is invisible to the handlers. The hook
 * is evhttp_set_bevcb: it makes the bufferevent of every accepted connection. One event
 * later (still before anything is read from it) the evhttp connection owning that
 * bufferevent is known, and gets a close callback and a deadline timer; a reference on
 * the bufferevent covers the moment between. Connections are found again by their
 * descriptor, unique while they are open. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "config.h"
#include "guard.h"
#include "http.h"
#include "log.h"
#include "ratelimit.h"
#include "util.h"

#define SWEEP_INTERVAL_S 1

struct conn {
	struct guard *g;
	struct bufferevent *bev;
	struct evhttp_connection *evcon; /* NULL until attached */
	struct event *ev;                /* attach, then the request deadline */
	evutil_socket_t fd;
	void (*closed)(void *arg); /* guard_watch_close's */
	void *closed_arg;
};

struct guard {
	struct app *app;
	struct ratelimit *tokens, *services;
	struct event *ev_sweep;
	struct timeval deadline;
	struct conn **by_fd; /* open connections by descriptor */
	size_t nby_fd;
	struct guard_stats stats;
};

/* ---- request deadlines ---- */

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg);

static void
conn_free(struct conn *c)
{
	event_free(c->ev);
	free(c);
}

static void
conn_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	struct conn *c = arg;
	struct guard *g = c->g;

	if (c->fd >= 0 && (size_t)c->fd < g->nby_fd && g->by_fd[c->fd] == c)
		g->by_fd[c->fd] = NULL;
	g->stats.connections--;
	if (c->closed != NULL)
		c->closed(c->closed_arg);
	conn_free(c);
}

static int
remember(struct guard *g, struct conn *c)
{
	if (c->fd < 0)
		return -1;
	if ((size_t)c->fd >= g->nby_fd) {
		size_t n = (size_t)c->fd * 2 + 64;
		struct conn **p = realloc(g->by_fd, n * sizeof(*p));

		if (p == NULL)
			return -1;
		memset(p + g->nby_fd, 0, (n - g->nby_fd) * sizeof(*p));
		g->by_fd = p;
		g->nby_fd = n;
	}
	g->by_fd[c->fd] = c;
	return 0;
}

/* The connection's first event: find its evhttp connection, or free what evhttp already
 * dropped. */
static void
attach(struct conn *c)
{
	struct guard *g = c->g;
	bufferevent_event_cb eventcb = NULL;
	void *cbarg = NULL;

	bufferevent_getcb(c->bev, NULL, NULL, &eventcb, &cbarg);
	if (eventcb == NULL || cbarg == NULL) { /* evhttp freed it: callbacks are cleared */
		bufferevent_decref(c->bev);
		conn_free(c);
		return;
	}
	c->evcon = cbarg;
	c->fd = bufferevent_getfd(c->bev);
	if (remember(g, c) != 0) { /* unguarded: connection_timeout still applies */
		bufferevent_decref(c->bev);
		conn_free(c);
		return;
	}
	evhttp_connection_set_closecb(c->evcon, conn_closed_cb, c);
	g->stats.connections++;
	event_add(c->ev, &g->deadline);
	bufferevent_decref(c->bev); /* evhttp holds its own */
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (c->evcon == NULL) {
		attach(c);
		return;
	}
	evhttp_connection_get_peer(c->evcon, &addr, &port);
	log_info("closing a connection from %s:%u: no complete request within %ld s",
		 addr != NULL ? addr : "?", (unsigned)port, (long)c->g->deadline.tv_sec);
	c->g->stats.cut_off++;
	evhttp_connection_free(c->evcon); /* runs conn_closed_cb */
}

static struct bufferevent *
bev_cb(struct event_base *base, void *arg)
{
	struct guard *g = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	struct conn *c;

	if (bev == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return bev;
	if ((c->ev = evtimer_new(base, conn_timer_cb, c)) == NULL) {
		free(c);
		return bev;
	}
	c->g = g;
	c->bev = bev;
	c->fd = -1;
	bufferevent_incref(bev);
	event_active(c->ev, EV_TIMEOUT, 0);
	return bev;
}

static struct conn *
conn_of(struct guard *g, struct evhttp_request *ev)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	evutil_socket_t fd;
	struct conn *c;

	if (evcon == NULL)
		return NULL;
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	if (fd < 0 || (size_t)fd >= g->nby_fd || (c = g->by_fd[fd]) == NULL || c->evcon != evcon)
		return NULL;
	return c;
}

void
guard_request_read(struct guard *g, struct evhttp_request *ev)
{
	struct conn *c = conn_of(g, ev);

	if (c != NULL)
		event_del(c->ev);
}

void
guard_request_sent(struct guard *g, struct evhttp_request *ev)
{
	struct conn *c = conn_of(g, ev);

	if (c != NULL)
		event_add(c->ev, &g->deadline);
}

int
guard_watch_close(struct guard *g, struct evhttp_request *ev, void (*closed)(void *arg),
		  void *arg)
{
	struct conn *c = conn_of(g, ev);

	if (c == NULL)
		return -1;
	c->closed = closed;
	c->closed_arg = arg;
	return 0;
}

/* ---- rate limits ---- */

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct guard *g = arg;
	uint64_t now = util_now_us();

	ratelimit_sweep(g->tokens, now);
	ratelimit_sweep(g->services, now);
}

static int
limited(struct req *r, int retry, const char *what, int rate, int burst)
{
	char s[16];

	snprintf(s, sizeof(s), "%d", retry);
	req_add_header(r, "Retry-After", s);
	req_reply_problem(r, 429, "rate-limited",
			  "This %s made more than %d requests a second (in bursts of up to %d); "
			  "retry in %d s.", what, rate, burst, retry);
	return -1;
}

int
guard_token(struct req *r)
{
	struct guard *g = r->app->guard;
	const struct config *cfg = r->app->cfg;
	int retry;

	if (strcmp(r->cred_prefix, "svc_") == 0) /* a service key: the service's limit */
		return 0;
	if ((retry = ratelimit_take(g->tokens, r->cred_hash, util_now_us())) == 0)
		return 0;
	g->stats.limited_token++;
	return limited(r, retry, strcmp(r->cred_prefix, "acc_") == 0 ? "access token"
								     : "authorization token",
		       cfg->rate_limit_token, cfg->rate_limit_token_burst);
}

int
guard_service(struct req *r)
{
	struct guard *g = r->app->guard;
	const struct config *cfg = r->app->cfg;
	unsigned char key[16];
	int retry;

	/* A service id is a random UUID: its bytes are key enough. */
	if (!util_uuid_bytes(r->who.service_id, key) ||
	    (retry = ratelimit_take(g->services, key, util_now_us())) == 0)
		return 0;
	g->stats.limited_service++;
	return limited(r, retry, "service", cfg->rate_limit_service, cfg->rate_limit_service_burst);
}

/* ---- set-up ---- */

struct guard *
guard_new(struct app *app)
{
	const struct config *cfg = app->cfg;
	struct guard *g = calloc(1, sizeof(*g));
	struct timeval sweep = {SWEEP_INTERVAL_S, 0};

	if (g == NULL)
		return NULL;
	g->app = app;
	g->deadline.tv_sec = cfg->request_timeout;
	g->tokens = ratelimit_new(cfg->rate_limit_token, cfg->rate_limit_token_burst,
				  (size_t)cfg->rate_limit_keys);
	g->services = ratelimit_new(cfg->rate_limit_service, cfg->rate_limit_service_burst,
				    (size_t)cfg->rate_limit_keys);
	g->ev_sweep = event_new(app->base, -1, EV_PERSIST, sweep_cb, g);
	if (g->tokens == NULL || g->services == NULL || g->ev_sweep == NULL) {
		guard_free(g);
		return NULL;
	}
	event_add(g->ev_sweep, &sweep);
	evhttp_set_bevcb(app->http, bev_cb, g);
	return g;
}

/* After evhttp_free: its connections are closed, and their close callbacks ran. */
void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	if (g->ev_sweep != NULL)
		event_free(g->ev_sweep);
	ratelimit_free(g->tokens);
	ratelimit_free(g->services);
	free(g->by_fd);
	free(g);
}

void
guard_get_stats(const struct guard *g, struct guard_stats *out)
{
	*out = g->stats;
	out->overflows = ratelimit_overflows(g->tokens) + ratelimit_overflows(g->services);
}
