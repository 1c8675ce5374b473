/* h_health — liveness, readiness and metrics. */
#include <event2/buffer.h>

#include "conclude/conclude.h"
#include "ncache.h"
#include "db/migrate.h"
#include "events/events.h"
#include "http/download.h"
#include "http/guard.h"
#include "http/http.h"
#include "http/metrics.h"
#include "log.h"
#include "v1.h"
#include "worker/worker.h"

void
h_health_live(struct req *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("ok"));
	req_reply_json(r, 200, o);
}

static struct json_object *
checks_new(const char *database, const char *migrations, const char *worker)
{
	struct json_object *checks = json_object_new_object();

	json_object_object_add(checks, "database", json_object_new_string(database));
	json_object_object_add(checks, "migrations", json_object_new_string(migrations));
	json_object_object_add(checks, "worker", json_object_new_string(worker));
	return checks;
}

static void
not_ready(struct req *r, const char *database, const char *migrations, const char *detail)
{
	struct json_object *ext = json_object_new_object();
	const char *worker = worker_ready(r->app->worker) ? "ok" : "unavailable";

	json_object_object_add(ext, "checks", checks_new(database, migrations, worker));
	req_reply_problem_ext(r, 503, "not-ready", ext, "%s", detail);
}

static void
ready_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct json_object *o;
	char err[256], detail[300];

	if (res->status != DB_OK) {
		not_ready(r, "unavailable", "unavailable", "The database is unavailable.");
		return;
	}
	if (migrate_compare(res->res, err, sizeof(err)) != 0) {
		snprintf(detail, sizeof(detail), "The migrations do not match: %s.", err);
		not_ready(r, "ok", "mismatch", detail);
		return;
	}
	if (!worker_ready(r->app->worker)) {
		not_ready(r, "ok", "ok", "The count-worker is unreachable.");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ready"));
	json_object_object_add(o, "checks", checks_new("ok", "ok", "ok"));
	req_reply_json(r, 200, o);
}

void
h_health_ready(struct req *r)
{
	r->probe = true;
	if (!db_pool_ready(r->app->db)) {
		not_ready(r, "unavailable", "unavailable", "No database connection is up.");
		return;
	}
	db_query(r->app->db, &stmt_migrations_list, NULL, ready_cb, r);
}

void
h_health_metrics(struct req *r)
{
	struct evbuffer *buf = evbuffer_new();
	struct db_stats st;
	struct worker_stats wk;
	struct guard_stats gs;
	struct conclude_stats cs;
	struct download_stats ds;
	struct events_stats es;
	struct ncache_stats cc;

	if (buf == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	db_pool_stats(r->app->db, &st);
	worker_get_stats(r->app->worker, &wk);
	if (r->app->conclusion != NULL)
		conclude_get_stats(r->app->conclusion, &cs);
	guard_get_stats(r->app->guard, &gs);
	metrics_render(r->app->metrics, &st, &wk, &gs, r->app->conclusion != NULL ? &cs : NULL,
		       r->app->in_flight, buf);
	download_get_stats(r->app->downloads, &ds);
	metrics_render_downloads(&ds, buf);
	events_get_stats(r->app->events, &es);
	metrics_render_events(&es, buf);
	ncache_get_stats(r->app->core.creds, &cc);
	metrics_render_cache("credential", &cc, buf);
	req_reply_buffer(r, 200, "text/plain; version=0.0.4; charset=utf-8", buf);
	evbuffer_free(buf);
}
