/* guard — the server's abuse limits (DESIGN §6: every limit a configuration key).
 *
 * Rate limits: every request made with an access or authorization token takes one from
 * that token's bucket (rate_limit_token a second, bursts of rate_limit_token_burst), and
 * every request made with a service key or with the token of one of its accounts from the
 * service's bucket (rate_limit_service, rate_limit_service_burst). An empty bucket is
 * answered 429 with Retry-After, before any database work when it is the token's. The
 * buckets are this instance's: behind a balancer over n instances a client gets up to n
 * times the rate.
 *
 * Request deadline: a connection has request_timeout seconds to deliver each request,
 * headers and body, counted from when it was accepted or its previous answer went out.
 * A client trickling bytes (which keeps connection_timeout, an idle timeout, from ever
 * firing) is cut off at the deadline; so is a keep-alive connection left idle that long. */
#ifndef FREECOOP_GUARD_H
#define FREECOOP_GUARD_H

#include <stdint.h>

#include <event2/http.h>

struct app;
struct req;
struct guard;

struct guard_stats {
	uint64_t limited_token;   /* requests refused by a token's limit */
	uint64_t limited_service; /* by a service's limit */
	uint64_t overflows;       /* keys admitted unlimited: the tables were full */
	uint64_t cut_off;         /* connections closed at their request deadline */
	uint64_t connections;     /* connections open now */
};

/* Sets up the limits of app->cfg and installs the deadline on app->http. NULL on
 * allocation failure. */
struct guard *guard_new(struct app *app);
void guard_free(struct guard *g);

/* The token's limit, checked when its credentials are parsed (r->cred_hash). Returns 0,
 * or -1 after answering 429. */
int guard_token(struct req *r);

/* The service's limit, once r->who names it. Returns 0, or -1 after answering 429. */
int guard_service(struct req *r);

/* A request arrived whole (its deadline stops) / its answer was written (the next one
 * starts). */
void guard_request_read(struct guard *g, struct evhttp_request *ev);
void guard_request_sent(struct guard *g, struct evhttp_request *ev);

/* Calls closed(arg) when the connection of ev closes (the client left or stalled past
 * connection_timeout, or the server closed it), from evhttp's close callback: the
 * connection is being freed, and so is ev, unless evhttp had already let go of it
 * (evhttp_request_get_connection(ev) is NULL). One watcher per connection; closed NULL
 * stops watching. Returns 0, or -1 when the connection is not tracked (no memory). */
int guard_watch_close(struct guard *g, struct evhttp_request *ev, void (*closed)(void *arg),
		      void *arg);

void guard_get_stats(const struct guard *g, struct guard_stats *out);

#endif
