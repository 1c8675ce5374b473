/* events — the delivery of service events (see the header). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "app.h"
#include "client.h"
#include "config.h"
#include "core/core.h"
#include "core/crypto.h"
#include "core/keys.h"
#include "core/store_events.h"
#include "events.h"
#include "log.h"
#include "util.h"

#define BODY_MAX 512 /* an event's JSON: UUIDs, a type, a state, a time */

const double events_latency_bounds[EVENTS_LATENCY_BUCKETS] = {
	0.1, 0.5, 1, 5, 30, 300, 1800, 7200, 36000, 1e300,
};

/* One event being delivered: from its claim until it is settled. */
struct delivery {
	struct events *e; /* NULL: the job was freed first (a late in-process done) */
	struct delivery *prev, *next;
	long long seq;
	int attempt;
	double age_s;        /* the event's age when it was claimed */
	uint64_t claimed_us; /* monotonic */
	struct client_call *call; /* the POST in flight */
	bool in_process;          /* waiting for a consumer's done */
	char id[UTIL_UUID_LEN + 1], service[UTIL_UUID_LEN + 1];
};

struct events {
	struct app *app;
	char owner[UTIL_UUID_LEN + 1]; /* this instance's leases */
	struct event *poll;
	struct ssl_ctx_st *tls;
	struct delivery *list; /* in flight */
	int in_flight;
	bool claiming; /* a claim is in flight */
	bool again;    /* claim once more when it returns */
	bool stopped;
	struct events_stats stats;
};

static void claim(struct events *e);

static void
unlink_delivery(struct delivery *d)
{
	struct events *e = d->e;

	if (e == NULL)
		return;
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		e->list = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	e->in_flight--;
	d->e = NULL;
}

static void
settled_cb(void *arg, const struct problem *no, bool found)
{
	struct delivery *d = arg;
	struct events *e = d->e;

	if (no != NULL && e != NULL && !e->stopped)
		log_warn("event %s: could not record the delivery's outcome (%s); it is "
			 "delivered again once its lease passes", d->id,
			 no->db != NULL ? "database error" : no->detail);
	else if (!found && e != NULL && !e->stopped)
		log_info("event %s: the delivery's lease had passed or its webhook was removed",
			 d->id);
	unlink_delivery(d);
	free(d);
	if (e != NULL && !e->stopped)
		claim(e); /* the service's next event is the head of its queue now */
}

/* The delay before the next attempt after attempt failed, in ms, or -1: none is left. */
static int
retry_delay_ms(const struct config *cfg, int attempt)
{
	uint32_t r = 0;
	long long ms;

	if (attempt > cfg->webhook_ndelays)
		return -1;
	ms = (long long)cfg->webhook_delays[attempt - 1] * 1000;
	util_random(&r, sizeof(r));
	ms += (long long)((double)ms * 0.1 * (r / 4294967296.0)); /* a little jitter */
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

static void
observe_latency(struct events *e, double s)
{
	int b = 0;

	while (b < EVENTS_LATENCY_BUCKETS - 1 && s > events_latency_bounds[b])
		b++;
	e->stats.latency[b]++;
	e->stats.latency_sum += s;
}

/* The attempt's outcome, recorded under the lease. */
static void
settle(struct delivery *d, bool ok, const char *error)
{
	struct events *e = d->e;
	int delay;

	d->call = NULL;
	d->in_process = false;
	if (e == NULL || e->stopped) {
		unlink_delivery(d);
		free(d);
		return;
	}
	if (ok) {
		e->stats.delivered++;
		observe_latency(e, d->age_s + (double)(util_now_us() - d->claimed_us) / 1e6);
		log_debug("event %s of service %s delivered (attempt %d)", d->id, d->service,
			  d->attempt);
		store_events_delivered(e->app->db, d->seq, e->owner, settled_cb, d);
		return;
	}
	delay = retry_delay_ms(e->app->cfg, d->attempt);
	if (delay < 0) {
		e->stats.failed++;
		log_warn("event %s of service %s: attempt %d failed (%s); no retry is left, the "
			 "delivery failed", d->id, d->service, d->attempt, error);
	} else {
		e->stats.retried++;
		log_info("event %s of service %s: attempt %d failed (%s); retried in %d s", d->id,
			 d->service, d->attempt, error, (delay + 999) / 1000);
	}
	store_events_failed(e->app->db, d->seq, e->owner, error, delay, settled_cb, d);
}

static void
posted_cb(void *arg, bool ok, const char *error)
{
	settle(arg, ok, error);
}

static void
consumed_cb(void *token, const char *error)
{
	struct delivery *d = token;

	if (!d->in_process)
		return; /* done twice: the first one counted */
	if (d->e == NULL) { /* the job is gone: the lease passes and it comes again */
		free(d);
		return;
	}
	settle(d, error == NULL, error);
}

/* The event's body (compact JSON; every value is a UUID or a fixed word). */
static int
event_body(const struct core_event *ev, char *out, size_t cap)
{
	int n = snprintf(out, cap,
			 "{\"id\":\"%s\",\"type\":\"%s\",\"timestamp\":\"%s\",\"data\":{"
			 "\"decision\":\"%s\",\"state\":\"%s\","
			 "\"result\":\"/v1/decisions/%s/result\"}}",
			 ev->id, ev->type, ev->timestamp, ev->decision, ev->state, ev->decision);

	return n > 0 && (size_t)n < cap ? n : -1;
}

static void
deliver_webhook(struct events *e, struct delivery *d, const struct store_delivery *s)
{
	const struct config *cfg = e->app->cfg;
	unsigned char key[CLIENT_KEY_LEN];
	char body[BODY_MAX];
	int n = event_body(&s->ev, body, sizeof(body));
	struct client_post p = {s->url, cfg->webhook_allow_hosts, cfg->webhook_timeout_ms,
				s->ev.id, body, 0, key};

	if (n < 0 || crypto_webhook_open(e->app->keys->master, s->ev.service, s->sealed,
					 s->sealed_len, key) != 0) {
		settle(d, false, "the webhook's secret cannot be opened with this master key");
		return;
	}
	p.body_len = (size_t)n;
	d->call = client_post(e->app->base, e->app->core.dns, e->tls, &p, posted_cb, d);
	OPENSSL_cleanse(key, sizeof(key));
	if (d->call == NULL)
		settle(d, false, "out of memory");
}

static void
start_delivery(struct events *e, const struct store_delivery *s)
{
	struct delivery *d = calloc(1, sizeof(*d));
	const struct core_consumer *k;

	if (d == NULL)
		return; /* the lease passes and it comes again */
	*d = (struct delivery){.e = e, .next = e->list, .seq = s->seq, .attempt = s->ev.attempt,
			       .age_s = s->age_s, .claimed_us = util_now_us()};
	snprintf(d->id, sizeof(d->id), "%s", s->ev.id);
	snprintf(d->service, sizeof(d->service), "%s", s->ev.service);
	if (e->list != NULL)
		e->list->prev = d;
	e->list = d;
	e->in_flight++;
	if (s->url != NULL) {
		deliver_webhook(e, d, s);
	} else if ((k = core_events_consumer(&e->app->core, s->ev.service)) == NULL) {
		settle(d, false, "no in-process consumer of this service on this instance");
	} else {
		d->in_process = true;
		k->deliver(k->arg, &s->ev, consumed_cb, d); /* may settle at once */
	}
}

static void
claimed_cb(void *arg, const struct problem *no, const struct store_delivery *d, size_t n)
{
	struct events *e = arg;
	int limit = e->app->cfg->webhook_concurrency - e->in_flight;

	e->claiming = false;
	if (e->stopped)
		return; /* what was claimed is delivered by another once the leases pass */
	if (no != NULL) {
		log_debug("could not look for due events (%s)",
			  no->db != NULL ? "database error" : no->detail);
		return; /* the next poll tries again */
	}
	for (size_t i = 0; i < n; i++)
		start_delivery(e, &d[i]);
	if ((int)n >= limit || e->again) {
		e->again = false;
		claim(e);
	}
}

static void
claim(struct events *e)
{
	const struct core *core = &e->app->core;
	char consumers[2 + CORE_MAX_CONSUMERS * (UTIL_UUID_LEN + 1)] = "{";
	int limit = e->app->cfg->webhook_concurrency - e->in_flight;

	if (e->stopped || limit <= 0)
		return;
	if (e->claiming) {
		e->again = true;
		return;
	}
	for (size_t i = 0; i < core->nconsumers; i++) {
		strcat(consumers, core->consumers[i].service);
		if (i + 1 < core->nconsumers)
			strcat(consumers, ",");
	}
	strcat(consumers, "}");
	e->claiming = true;
	store_events_claim(e->app->db, e->owner, e->app->cfg->webhook_lease_ms, consumers, limit,
			   claimed_cb, e);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	claim(arg);
}

struct events *
events_new(struct app *app)
{
	struct events *e = calloc(1, sizeof(*e));
	struct timeval tv = {app->cfg->webhook_poll_ms / 1000,
			     (app->cfg->webhook_poll_ms % 1000) * 1000};

	if (e == NULL)
		return NULL;
	e->app = app;
	if (util_uuid_v4(e->owner) != 0 || (e->tls = client_tls_new()) == NULL ||
	    (e->poll = event_new(app->base, -1, EV_PERSIST, poll_cb, e)) == NULL) {
		events_free(e);
		return NULL;
	}
	event_add(e->poll, &tv);
	return e;
}

void
events_kick(struct events *e)
{
	if (e != NULL)
		claim(e);
}

void
events_stop(struct events *e)
{
	if (e == NULL || e->stopped)
		return;
	e->stopped = true;
	if (e->poll != NULL)
		event_del(e->poll);
	for (struct delivery *d = e->list; d != NULL; d = d->next)
		if (d->call != NULL) {
			client_cancel(d->call);
			d->call = NULL;
		}
}

void
events_free(struct events *e)
{
	struct delivery *d, *next;

	if (e == NULL)
		return;
	events_stop(e);
	/* What is left waits for a consumer's done or a settlement's answer: those free it. */
	for (d = e->list; d != NULL; d = next) {
		next = d->next;
		d->e = NULL;
		if (!d->in_process)
			free(d);
	}
	if (e->poll != NULL)
		event_free(e->poll);
	if (e->tls != NULL)
		SSL_CTX_free(e->tls);
	free(e);
}

void
events_get_stats(const struct events *e, struct events_stats *st)
{
	if (e == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = e->stats;
	st->in_flight = e->in_flight;
}
