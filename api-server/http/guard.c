/* guard — rate limits and request deadlines (see guard.h).
 *
 * libevent 2.1's evhttp says nothing when a connection opens, only when a request is
 * complete, so a client that never completes one is invisible to the handlers. The hook
 * is evhttp_set_bevcb: it makes the bufferevent of every accepted connection. One event
 * later (still before anything is read from it) the evhttp connection owning that
 * bufferevent is known, and gets a close callback and a deadline timer; a reference on
 * the bufferevent covers the moment between. Connections are found again by their
 * descriptor, unique while they are open.
 *
 * The same hook puts the intake (intake.h) on each connection's input, so that heads the
 * framer refuses are answered with a problem and never reach evhttp. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "app.h"
#include "auth.h"
#include "config.h"
#include "guard.h"
#include "intake.h"
#include "log.h"
#include "netaddr.h"
#include "ratelimit.h"
#include "util.h"

#define SWEEP_INTERVAL_S 1
/* X-Forwarded-For lines read, the last ones (the right end is what counts). */
#define XFF_LINES_MAX 16

struct conn {
	struct guard *g;
	struct bufferevent *bev;
	struct evhttp_connection *evcon; /* NULL until attached */
	struct event *ev;                /* attach, then the request deadline */
	struct intake_conn *intake;      /* NULL: not watched (no memory for it) */
	evutil_socket_t fd;
	void (*closed)(void *arg); /* guard_watch_close's */
	void *closed_arg;
};

struct guard {
	struct app *app;
	struct ratelimit *tokens, *services, *accounts, *addresses;
	struct netaddr_list *trusted;  /* trusted_proxies */
	unsigned char address_salt[16]; /* keys the address table (see address_key) */
	struct intake *intake;
	struct event *ev_sweep;
	struct timeval deadline;
	struct conn **by_fd; /* open connections by descriptor */
	size_t nby_fd;
	struct guard_stats stats;
};

/* ---- request deadlines ---- */

static void conn_timer_cb(evutil_socket_t fd, short what, void *arg);

/* Frees c while its bufferevent is still allocated. */
static void
conn_free(struct conn *c)
{
	intake_conn_free(c->intake);
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
	intake_conn_close(c->intake);
	c->intake = NULL;
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
	struct bufferevent *bev = c->bev;
	bufferevent_event_cb eventcb = NULL;
	void *cbarg = NULL;

	bufferevent_getcb(bev, NULL, NULL, &eventcb, &cbarg);
	if (eventcb == NULL || cbarg == NULL) { /* evhttp freed it: callbacks are cleared */
		conn_free(c);
		bufferevent_decref(bev);
		return;
	}
	c->evcon = cbarg;
	c->fd = bufferevent_getfd(bev);
	if (remember(g, c) != 0) { /* unguarded: connection_timeout and evhttp's limits apply */
		conn_free(c);
		bufferevent_decref(bev);
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
	c->intake = intake_conn_new(g->intake, bev);
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

const struct framer_refusal *
guard_refusal(struct guard *g, struct evhttp_request *ev)
{
	struct conn *c = conn_of(g, ev);

	return c != NULL ? intake_conn_request(c->intake) : NULL;
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
	ratelimit_sweep(g->accounts, now);
	ratelimit_sweep(g->addresses, now);
}

/* Fills v with a 429 for what's limits, to be retried in retry seconds; returns -1. */
static int
limited(struct problem *v, int retry, const char *what, int rate, int burst)
{
	memset(v, 0, sizeof(*v));
	v->status = 429;
	v->slug = "rate-limited";
	v->retry_after = retry;
	snprintf(v->detail, sizeof(v->detail),
		 "This %s made more than %d requests a second (in bursts of up to %d); retry in "
		 "%d s.", what, rate, burst, retry);
	return -1;
}

int
guard_token(struct guard *g, const struct credential *cred, struct problem *v)
{
	const struct config *cfg = g->app->cfg;
	int retry;

	if (strcmp(cred->prefix, "svc_") == 0) /* a service key: the service's limit */
		return 0;
	if ((retry = ratelimit_take(g->tokens, cred->hash, util_now_us())) == 0)
		return 0;
	g->stats.limited_token++;
	return limited(v, retry, strcmp(cred->prefix, "acc_") == 0 ? "access token"
								 : "authorization token",
		       cfg->rate_limit_token, cfg->rate_limit_token_burst);
}

/* Takes one request from the bucket of id (a random UUID: its bytes are key enough) in
 * table; 0, or -1 with a 429 in v (counted in *refused) with what's limits. */
static int
take_by_uuid(struct problem *v, struct ratelimit *table, const char *id, uint64_t *refused,
	     const char *what, int rate, int burst)
{
	unsigned char key[16];
	int retry;

	if (!util_uuid_bytes(id, key) || (retry = ratelimit_take(table, key, util_now_us())) == 0)
		return 0;
	(*refused)++;
	return limited(v, retry, what, rate, burst);
}

int
guard_service(struct guard *g, const char *service_id, struct problem *v)
{
	const struct config *cfg = g->app->cfg;

	return take_by_uuid(v, g->services, service_id, &g->stats.limited_service, "service",
			    cfg->rate_limit_service, cfg->rate_limit_service_burst);
}

int
guard_account(struct guard *g, const char *account_id, struct problem *v)
{
	const struct config *cfg = g->app->cfg;

	return take_by_uuid(v, g->accounts, account_id, &g->stats.limited_account, "account",
			    cfg->rate_limit_account, cfg->rate_limit_account_burst);
}

/* Up to XFF_LINES_MAX X-Forwarded-For lines of the request, the last ones, in order. */
static size_t
xff_lines(struct evhttp_request *ev, const char *out[XFF_LINES_MAX])
{
	struct evkeyval *kv;
	size_t n = 0;

	TAILQ_FOREACH(kv, evhttp_request_get_input_headers(ev), next) {
		if (strcasecmp(kv->key, "X-Forwarded-For") != 0)
			continue;
		if (n == XFF_LINES_MAX) {
			memmove(out, out + 1, (XFF_LINES_MAX - 1) * sizeof(*out));
			n--;
		}
		out[n++] = kv->value;
	}
	return n;
}

/* The bucket key of the request's client: its netaddr_key, hashed with a secret of this
 * process, so that clients, who choose their addresses, cannot choose their slots in the
 * table (and lengthen its probe chains). A peer that cannot be read (not expected) counts
 * against one shared bucket rather than none. */
static void
address_key(struct guard *g, struct evhttp_request *ev, unsigned char key[16])
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
	struct netaddr peer = {{0}}, client;
	const char *xff[XFF_LINES_MAX];
	unsigned char buf[32], hash[UTIL_SHA256_LEN];
	char *text = NULL;
	ev_uint16_t port = 0;
	size_t nxff = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &text, &port);
	if (text != NULL)
		netaddr_parse(text, strlen(text), &peer); /* unparsable: peer stays :: */
	if (netaddr_list_contains(g->trusted, &peer))
		nxff = xff_lines(ev, xff);
	netaddr_client(&peer, g->trusted, xff, nxff, &client);
	memcpy(buf, g->address_salt, 16);
	netaddr_key(&client, buf + 16);
	util_sha256(buf, sizeof(buf), hash);
	memcpy(key, hash, 16);
}

int
guard_address(struct guard *g, struct evhttp_request *ev, struct problem *v)
{
	const struct config *cfg = g->app->cfg;
	unsigned char key[16];
	int retry;

	if (cfg->rate_limit_address <= 0)
		return 0;
	address_key(g, ev, key);
	if ((retry = ratelimit_take(g->addresses, key, util_now_us())) == 0)
		return 0;
	g->stats.limited_address++;
	return limited(v, retry, "client address", cfg->rate_limit_address,
		       cfg->rate_limit_address_burst);
}

/* ---- set-up ---- */

struct guard *
guard_new(struct app *app)
{
	const struct config *cfg = app->cfg;
	struct guard *g = calloc(1, sizeof(*g));
	struct timeval sweep = {SWEEP_INTERVAL_S, 0};
	struct framer_limits lim = {(size_t)cfg->max_header_size, (uint64_t)cfg->max_body_size};
	char err[160];

	if (g == NULL)
		return NULL;
	g->app = app;
	g->deadline.tv_sec = cfg->request_timeout;
	g->tokens = ratelimit_new(cfg->rate_limit_token, cfg->rate_limit_token_burst,
				  (size_t)cfg->rate_limit_keys);
	g->services = ratelimit_new(cfg->rate_limit_service, cfg->rate_limit_service_burst,
				    (size_t)cfg->rate_limit_keys);
	g->intake = intake_new(app->base, &lim, cfg->linger_timeout);
	g->accounts = ratelimit_new(cfg->rate_limit_account, cfg->rate_limit_account_burst,
				    (size_t)cfg->rate_limit_keys);
	g->addresses = ratelimit_new(cfg->rate_limit_address, cfg->rate_limit_address_burst,
				     (size_t)cfg->rate_limit_keys);
	g->ev_sweep = event_new(app->base, -1, EV_PERSIST, sweep_cb, g);
	if (g->tokens == NULL || g->services == NULL || g->accounts == NULL ||
	    g->addresses == NULL || g->intake == NULL || g->ev_sweep == NULL ||
	    util_random(g->address_salt, sizeof(g->address_salt)) != 0) {
		guard_free(g);
		return NULL;
	}
	if (netaddr_list_parse(cfg->trusted_proxies, &g->trusted, err, sizeof(err)) != 0) {
		log_error("trusted_proxies: %s", err);
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
	intake_free(g->intake);
	ratelimit_free(g->accounts);
	ratelimit_free(g->addresses);
	netaddr_list_free(g->trusted);
	free(g->by_fd);
	free(g);
}

void
guard_get_stats(const struct guard *g, struct guard_stats *out)
{
	*out = g->stats;
	out->overflows = ratelimit_overflows(g->tokens) + ratelimit_overflows(g->services) +
			 ratelimit_overflows(g->accounts) + ratelimit_overflows(g->addresses);
}
