/* app — the process-wide state of the api-server: its settings and the parts main() sets
 * up, reached by every part through a pointer (r->app for a request). Only main.c fills
 * it; the parts keep their own state behind their own pointers. */
#ifndef FREECOOP_APP_H
#define FREECOOP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "jsonv.h"

struct config;
struct event;
struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct db_pool;
struct worker;
struct conclusion;
struct events;
struct coop;
struct keys;
struct metrics;
struct guard;
struct downloads;
struct route;

struct app {
	struct config *cfg;
	const struct route *routes; /* the route table the front serves (v1.h) */
	size_t nroutes;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct db_pool *db;
	struct core core; /* the Decision API's operations (core/core.h): db and cfg */
	struct worker *worker; /* client of the count-worker */
	struct conclusion *conclusion; /* the conclusion job */
	struct events *events;         /* the delivery of service events */
	struct coop *coop;             /* FreeCoop (coop/coop.h); NULL: off */
	struct keys *keys;
	struct metrics *metrics;
	struct guard *guard; /* rate limits and request deadlines */
	struct downloads *downloads; /* result documents streamed in chunks */
	struct jsonv_limits json_limits;
	struct event *ev_shutdown; /* the shutdown deadline */
	struct event *ev_shutdown_tick; /* drives the steps of a graceful shutdown */
	uint64_t drain_until_us;   /* the accept queue is served until then */
	uint64_t last_request_us, last_sent_us;
	int in_flight; /* requests not yet answered */
	int unsent;    /* answers not yet written out to their connection */
	bool shutting_down; /* a signal came: finish what arrived, then exit */
	bool closing;       /* the listener is closed: new requests get 503 */
};

#endif
