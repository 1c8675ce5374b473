/* guard — the server's abuse limits (DESIGN §6: every limit a configuration key).
 *
 * Rate limits, each a token bucket (rate_limit_<what> a second, bursts of
 * rate_limit_<what>_burst); an empty bucket gives a verdict of 429 rate-limited with
 * Retry-After, which the dispatcher answers:
 * - token: every request made with an access or authorization token takes one from that
 *   token's bucket, before any database work;
 * - account: every request made with one of an account's tokens (all its access tokens
 *   and its authorization token together), once the lookup named the account, so minting
 *   more tokens gains nothing;
 * - service: every request made with a service key or the token of one of its accounts
 *   (checked after the account's, so an account held back does not drain its service's);
 * - address: every request to a route flagged ROUTE_LIMIT_ADDRESS (the public routes
 *   that write or verify: claim, method submission), by client address — the peer's, or
 *   when the peer is one of trusted_proxies the one it names in X-Forwarded-For (see
 *   netaddr_client) — an IPv6 client by its /64; before the handler's work.
 * The buckets are this instance's: behind a balancer over n instances a client gets up to
 * n times the rate.
 *
 * Request deadline: a connection has request_timeout seconds to deliver each request,
 * headers and body, counted from when it was accepted or its previous answer went out.
 * A client trickling bytes (which keeps connection_timeout, an idle timeout, from ever
 * firing) is cut off at the deadline; so is a keep-alive connection left idle that long.
 *
 * Request heads: each connection's bytes go through the framer (framer.h, intake.h) before
 * evhttp reads them; a head over max_header_size, a body over max_body_size, a malformed
 * or ambiguously framed request is refused before it is read, with a problem. */
#ifndef FREECOOP_GUARD_H
#define FREECOOP_GUARD_H

#include <stdint.h>

#include <event2/http.h>

struct app;
struct credential;
struct guard;
struct framer_refusal;
struct problem;

struct guard_stats {
	uint64_t limited_token;   /* requests refused by a token's limit */
	uint64_t limited_service; /* by a service's limit */
	uint64_t limited_account; /* by an account's limit */
	uint64_t limited_address; /* by a client address's limit */
	uint64_t overflows;       /* keys admitted unlimited: the tables were full */
	uint64_t cut_off;         /* connections closed at their request deadline */
	uint64_t connections;     /* connections open now */
};

/* Sets up the limits of app->cfg and installs the deadline on app->http. NULL on
 * failure (memory, randomness, or a trusted_proxies that config_load would refuse). */
struct guard *guard_new(struct app *app);
void guard_free(struct guard *g);

/* The token's limit, checked when its credentials are parsed. Returns 0, or -1 with the
 * 429 in v. */
int guard_token(struct guard *g, const struct credential *cred, struct problem *v);

/* The account's limit, once the lookup named it. Returns 0, or -1 with the 429 in v. */
int guard_account(struct guard *g, const char *account_id, struct problem *v);

/* The service's limit, once the lookup named it. Returns 0, or -1 with the 429 in v. */
int guard_service(struct guard *g, const char *service_id, struct problem *v);

/* The limit of ev's client address (peer, or as a trusted proxy reports it). Returns 0,
 * or -1 with the 429 in v. */
int guard_address(struct guard *g, struct evhttp_request *ev, struct problem *v);

/* A request arrived whole (its deadline stops) / its answer was written (the next one
 * starts). */
void guard_request_read(struct guard *g, struct evhttp_request *ev);
void guard_request_sent(struct guard *g, struct evhttp_request *ev);

/* evhttp handed over its next request on ev's connection (call once per request): the
 * refusal to answer it with when it stands in for a head the framer refused, else NULL.
 * Borrowed, valid until the connection closes. */
const struct framer_refusal *guard_refusal(struct guard *g, struct evhttp_request *ev);

/* Calls closed(arg) when the connection of ev closes (the client left or stalled past
 * connection_timeout, or the server closed it), from evhttp's close callback: the
 * connection is being freed, and so is ev, unless evhttp had already let go of it
 * (evhttp_request_get_connection(ev) is NULL). One watcher per connection; closed NULL
 * stops watching. Returns 0, or -1 when the connection is not tracked (no memory). */
int guard_watch_close(struct guard *g, struct evhttp_request *ev, void (*closed)(void *arg),
		      void *arg);

void guard_get_stats(const struct guard *g, struct guard_stats *out);

#endif
