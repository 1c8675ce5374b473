/* Service events delivered in-process (core/core_events.h), as FreeCoop will take them:
 * the real delivery job (events/) on a real database (scripts/test's), with the events
 * queued in the outbox as a conclusion queues them. A consumer that refuses the first
 * event sees it again with the same id, and the later events only after it accepted it,
 * in the order they were written; each ends delivered in the outbox.
 *
 * Needs FREECOOP_TEST_CONNINFO_SERVER and _OPERATOR (scripts/test exports them); the
 * events are written with the server's rights, as its conclusions write them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <libpq-fe.h>

#include "app.h"
#include "config.h"
#include "core/core.h"
#include "core/keys.h"
#include "core/store.h"
#include "events/events.h"
#include "util.h"

#define NEVENTS 3

struct seen {
	char id[UTIL_UUID_LEN + 1];
	int attempt;
};

struct state {
	struct event_base *base;
	char service[UTIL_UUID_LEN + 1];
	char queued[NEVENTS][UTIL_UUID_LEN + 1]; /* the ids, in the order written */
	struct seen seen[16];
	int nseen;
	bool subscribed;
	/* an answer given later, from the loop */
	struct event *later;
	core_event_done done;
	void *token;
};

/* One value from a blocking query on conninfo (NULL on no row); exits on an error. */
static char *
query1(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, sql);
	char *v = NULL;

	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

static void
later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct state *s = arg;

	s->done(s->token, NULL);
}

static void
deliver(void *arg, const struct core_event *ev, core_event_done done, void *token)
{
	struct state *s = arg;
	struct timeval soon = {0, 20000};

	assert_string_equal(ev->service, s->service);
	assert_string_equal(ev->type, "decision.concluded");
	assert_string_equal(ev->state, "concluded");
	assert_true(s->nseen < 16);
	snprintf(s->seen[s->nseen].id, sizeof(s->seen[0].id), "%s", ev->id);
	s->seen[s->nseen].attempt = ev->attempt;
	s->nseen++;
	if (s->nseen == 1) {
		done(token, "not applied yet"); /* refused at once: retried */
		return;
	}
	/* Accepted a moment later, as a consumer that writes to the database does. */
	s->done = done;
	s->token = token;
	evtimer_add(s->later, &soon);
	if (s->nseen == NEVENTS + 1)
		event_base_loopexit(s->base, &(struct timeval){1, 0});
}

static void
subscribed_cb(void *arg, const struct problem *no)
{
	struct state *s = arg;
	const char *server = getenv("FREECOOP_TEST_CONNINFO_SERVER");
	char sql[512];

	assert_null(no);
	s->subscribed = true;
	for (int i = 0; i < NEVENTS; i++) {
		char *id;
		snprintf(sql, sizeof(sql),
			 "INSERT INTO decision.events (service_id, type, decision_id, state) "
			 "VALUES ('%s', 'decision.concluded', gen_random_uuid(), 'concluded') "
			 "RETURNING id",
			 s->service);
		id = query1(server, sql);
		snprintf(s->queued[i], sizeof(s->queued[i]), "%s", id);
		free(id);
	}
}

static void
test_in_order_at_least_once(void **unused)
{
	const char *server = getenv("FREECOOP_TEST_CONNINFO_SERVER");
	const char *operator= getenv("FREECOOP_TEST_CONNINFO_OPERATOR");
	struct state s = {0};
	struct config cfg;
	struct keys keys = {0};
	struct app app = {0};
	struct events *ev;
	char err[256], name[64], sql[512], *id, *left;

	if (server == NULL || operator== NULL)
		skip();
	setenv("FREECOOP_DB_CONNINFO", server, 1);
	setenv("FREECOOP_AUTHORITY_KEY_FILE", "/nonexistent", 1);
	setenv("FREECOOP_MASTER_KEY_FILE", "/nonexistent", 1);
	setenv("FREECOOP_WORKER_SOCKET", "/nonexistent", 1);
	setenv("FREECOOP_WEBHOOK_RETRY_DELAYS", "0", 1);
	setenv("FREECOOP_WEBHOOK_POLL_MS", "50", 1);
	if (config_load(&cfg, NULL, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);

	snprintf(name, sizeof(name), "inprocess-%u", (unsigned)util_now_us());
	snprintf(sql, sizeof(sql), "SELECT admin.create_service('%s')", name);
	free(query1(operator, sql));
	snprintf(sql, sizeof(sql), "SELECT id FROM decision.services WHERE name = '%s'", name);
	id = query1(server, sql);
	snprintf(s.service, sizeof(s.service), "%s", id);
	free(id);

	s.base = event_base_new();
	s.later = evtimer_new(s.base, later_cb, &s);
	app.cfg = &cfg;
	app.base = s.base;
	app.keys = &keys;
	app.db = db_pool_new(s.base, server,
			     &(struct db_opts){2, 5000, 100, 1000, 64, 4}, store_statements,
			     store_nstatements);
	app.core.db = app.db;
	app.core.cfg = &cfg;
	assert_non_null(ev = events_new(&app));
	app.events = ev;
	core_events_subscribe(&app.core, s.service, deliver, &s, subscribed_cb, &s);
	event_base_loopexit(s.base, &(struct timeval){20, 0});
	event_base_dispatch(s.base);

	/* Refused once, then each in the order written, the refused one with its id again. */
	assert_true(s.subscribed);
	assert_int_equal(s.nseen, NEVENTS + 1);
	assert_string_equal(s.seen[0].id, s.queued[0]);
	assert_int_equal(s.seen[0].attempt, 1);
	assert_string_equal(s.seen[1].id, s.queued[0]);
	assert_int_equal(s.seen[1].attempt, 2);
	for (int i = 1; i < NEVENTS; i++) {
		assert_string_equal(s.seen[i + 1].id, s.queued[i]);
		assert_int_equal(s.seen[i + 1].attempt, 1);
	}
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM decision.events WHERE service_id = '%s' "
		 "AND status <> 'delivered'",
		 s.service);
	left = query1(server, sql);
	assert_string_equal(left, "0");
	free(left);

	events_stop(ev);
	db_pool_free(app.db);
	events_free(ev);
	event_free(s.later);
	event_base_free(s.base);
	config_cleanup(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_at_least_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
