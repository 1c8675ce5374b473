/* main — start-up checks, the event loop, and orderly shutdown of the api-server.
 *
 *   api-server [--config FILE]        serve (started as root: reads its keys, then becomes
 *                                     the configured user)
 *   api-server --migrate CONNINFO     apply pending migrations (as a superuser) and exit
 *   api-server --check-config [--config FILE]   print the effective settings and exit */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>

#include "conclude/conclude.h"
#include "coop/coop.h"
#include "core/keys.h"
#include "core/store.h"
#include "core/store_authorities.h"
#include "core/store_conclude.h"
#include "core/store_events.h"
#include "core/store_tokens.h"
#include "db/migrate.h"
#include "events/events.h"
#include "http/download.h"
#include "http/guard.h"
#include "http/http.h"
#include "http/metrics.h"
#include "log.h"
#include "privs.h"
#include "core/deckeys.h"
#include "v1/v1.h"
#include "web/web.h"
#include "worker/worker.h"

#define PURGE_INTERVAL_S 600
#define MAX_ROUTES 128

/* The routes the server answers: the HTTP API's, then FreeCoop's, then the web page's. */
static struct route routes[MAX_ROUTES];

/* The statements every connection of the server's pool prepares: the core's, FreeCoop's. */
static const struct db_stmt *statements[256];
static size_t nstatements;

static int
usage(void)
{
	fprintf(stderr, "usage: api-server [--config FILE]\n"
			"       api-server --check-config [--config FILE]\n"
			"       api-server --migrate CONNINFO\n");
	return 2;
}

static int
run_migrate(const char *conninfo)
{
	char err[1024];
	PGconn *conn = PQconnectdb(conninfo);
	int n;

	if (PQstatus(conn) != CONNECTION_OK) {
		log_error("could not connect to database: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	n = migrate_apply(conn, err, sizeof(err));
	PQfinish(conn);
	if (n < 0) {
		log_error("migration failed: %s", err);
		return 1;
	}
	log_info("database schema is current (%d migrations applied now)", n);
	return 0;
}


static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	log_info("received %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
	http_shutdown(arg);
}

static void
purge_done_cb(void *arg, const struct problem *no)
{
	if (no != NULL)
		log_warn("could not purge expired access tokens");
}

static void
purge_decisions_cb(void *arg, const struct problem *no, long purged)
{
	if (no != NULL)
		log_warn("could not purge decisions past their retention period");
	else if (purged > 0)
		log_info("purged %ld decisions past their retention period", purged);
}

static void
purge_events_cb(void *arg, const struct problem *no)
{
	if (no != NULL)
		log_warn("could not purge settled service events");
}

static void
purge_cb(evutil_socket_t fd, short what, void *arg)
{
	struct app *app = arg;

	store_access_purge(app->db, purge_done_cb, NULL);
	store_decisions_purge(app->db, purge_decisions_cb, NULL);
	store_events_purge(app->db, purge_events_cb, NULL);
}

/* The resolver of webhook hosts: the system's resolv.conf and hosts file, short
 * timeouts (a delivery's whole attempt has webhook_timeout_ms). */
static struct evdns_base *
dns_new(struct event_base *base)
{
	struct evdns_base *dns = evdns_base_new(base, 0);

	if (dns == NULL)
		return NULL;
	if (evdns_base_resolv_conf_parse(dns, DNS_OPTIONS_ALL, "/etc/resolv.conf") != 0)
		log_info("no usable /etc/resolv.conf: webhook hosts resolve only as IP addresses "
			 "and from /etc/hosts");
	evdns_base_set_option(dns, "timeout:", "3");
	evdns_base_set_option(dns, "attempts:", "2");
	return dns;
}

static int
serve(struct app *app, const char *authority_id, const struct coop_keys *coop_keys)
{
	const char *methods[MAX_ROUTES], *patterns[MAX_ROUTES];
	struct db_opts opts = {app->cfg->db_pool_size,        app->cfg->db_query_timeout_ms,
			       app->cfg->db_reconnect_min_ms, app->cfg->db_reconnect_max_ms,
			       app->cfg->db_queue_max,        app->cfg->db_pipeline_depth};
	struct timeval purge_tv = {PURGE_INTERVAL_S, 0};
	/* The conclusion's large reads and writes get a connection and a time limit of their
	 * own, so they never hold up requests. */
	struct db_opts bulk_opts = {app->cfg->conclude_concurrency, app->cfg->conclude_db_timeout_ms,
				    app->cfg->db_reconnect_min_ms,
				    app->cfg->db_reconnect_max_ms, 64, 4};
	struct event *ev_int = NULL, *ev_term = NULL, *ev_purge = NULL;
	struct db_pool *bulk = NULL;
	struct conclusion *conclusion = NULL;
	struct events *events = NULL;
	int r = 1;

	for (size_t i = 0; i < app->nroutes; i++) {
		methods[i] = app->routes[i].method;
		patterns[i] = app->routes[i].pattern;
	}
	app->metrics = metrics_new(app->nroutes, methods, patterns);
	struct worker_opts wopts = {app->cfg->worker_socket, app->cfg->worker_connections,
				    app->cfg->worker_retry_min_ms, app->cfg->worker_retry_max_ms};
	app->db = db_pool_new(app->base, app->cfg->db_conninfo, &opts, statements, nstatements);
	app->core.db = app->db;
	app->core.cfg = app->cfg; /* issuing: zeroed with app, an empty keylock */
	app->worker = worker_new(app->base, &wopts);
	app->core.worker = app->worker;
	app->core.keys = app->keys;
	app->core.deckeys = deckeys_new((size_t)app->cfg->decision_key_cache);
	app->core.dns = dns_new(app->base);
	bulk = db_pool_new(app->base, app->cfg->db_conninfo, &bulk_opts, store_statements,
			   store_nstatements);
	ev_int = evsignal_new(app->base, SIGINT, signal_cb, app);
	ev_term = evsignal_new(app->base, SIGTERM, signal_cb, app);
	ev_purge = event_new(app->base, -1, EV_PERSIST, purge_cb, app);
	app->downloads = download_new(app);
	if (app->metrics == NULL || app->db == NULL || app->worker == NULL || bulk == NULL ||
	    core_credentials_cache(&app->core, (size_t)app->cfg->credential_cache,
				   app->cfg->cache_ttl_ms) != 0 ||
	    app->downloads == NULL || app->core.dns == NULL || ev_int == NULL || ev_term == NULL ||
	    ev_purge == NULL || (events = events_new(app)) == NULL ||
	    (app->events = events, conclusion = conclude_new(app, bulk, authority_id)) == NULL ||
	    http_start(app) != 0)
		goto out;
	app->conclusion = conclusion;
	app->coop = coop_new(app, coop_keys);
	event_add(ev_int, NULL);
	event_add(ev_term, NULL);
	event_add(ev_purge, &purge_tv);
	event_base_dispatch(app->base);
	log_info("stopped");
	r = 0;
out:
	if (ev_int != NULL)
		event_free(ev_int);
	if (ev_term != NULL)
		event_free(ev_term);
	if (ev_purge != NULL)
		event_free(ev_purge);
	if (app->ev_shutdown != NULL)
		event_free(app->ev_shutdown);
	if (app->ev_shutdown_tick != NULL)
		event_free(app->ev_shutdown_tick);
	/* The conclusion stops first (its callbacks then only clean up); then the pools: what
	 * still waits on the database gets its answer (503) while the requests it belongs to
	 * are alive; evhttp_free then closes their connections. */
	conclude_stop(conclusion);
	events_stop(events);
	db_pool_free(app->db);
	db_pool_free(bulk);
	download_stop(app->downloads);
	worker_free(app->worker);
	conclude_free(conclusion);
	app->conclusion = NULL;
	coop_free(app->coop);
	app->coop = NULL;
	events_free(events); /* after the pools: their last answers have come */
	app->events = NULL;
	if (app->core.dns != NULL)
		evdns_base_free(app->core.dns, 1); /* lookups still out are answered, failed */
	app->core.dns = NULL;
	deckeys_free(app->core.deckeys);
	app->core.deckeys = NULL;
	core_credentials_free(&app->core); /* after the pool, which notified it */
	if (app->http != NULL)
		evhttp_free(app->http); /* ends the downloads still streaming */
	download_free(app->downloads);
	guard_free(app->guard);
	metrics_free(app->metrics);
	return r;
}

int
main(int argc, char **argv)
{
	const char *config_path = NULL;
	struct config cfg;
	struct keys keys;
	struct coop_keys coop_keys;
	struct app app;
	enum log_level level;
	int check_only = 0, r = 1;
	char err[512], authority_id[UTIL_UUID_LEN + 1] = "";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--migrate") == 0 && i + 1 < argc)
			return run_migrate(argv[i + 1]);
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_path = argv[++i];
		else if (strcmp(argv[i], "--check-config") == 0)
			check_only = 1;
		else
			return usage();
	}
	signal(SIGPIPE, SIG_IGN);
	if (config_load(&cfg, config_path, err, sizeof(err)) != 0) {
		log_error("invalid configuration: %s", err);
		config_cleanup(&cfg);
		return 1;
	}
	if (log_parse_level(cfg.log_level, &level) != 0) {
		log_error("invalid configuration: log_level must be debug, info, warn or error");
		config_cleanup(&cfg);
		return 1;
	}
	log_set_level(level);
	if (check_only) {
		config_print(&cfg, stdout);
		config_cleanup(&cfg);
		return 0;
	}
	if (keys_load(&keys, cfg.authority_key_file, cfg.master_key_file, err, sizeof(err)) != 0) {
		log_error("%s", err);
		config_cleanup(&cfg);
		return 1;
	}
	if (coop_keys_load(&coop_keys, &cfg, err, sizeof(err)) != 0) {
		log_error("%s", err);
		keys_cleanup(&keys);
		config_cleanup(&cfg);
		return 1;
	}
	/* The keys are read: from here on the server is its dedicated user, never root. */
	if (privs_drop(cfg.user, "user (FREECOOP_USER)", err, sizeof(err)) != 0) {
		log_error("%s", err);
		coop_keys_cleanup(&coop_keys);
		keys_cleanup(&keys);
		config_cleanup(&cfg);
		return 1;
	}
	memset(&app, 0, sizeof(app));
	app.cfg = &cfg;
	if (v1_nroutes + coop_nroutes + web_nroutes > MAX_ROUTES ||
	    store_nstatements + coop_nstatements > sizeof(statements) / sizeof(statements[0])) {
		log_error("too many routes or statements for this build");
		return 1;
	}
	for (size_t i = 0; i < store_nstatements; i++)
		statements[nstatements++] = store_statements[i];
	for (size_t i = 0; i < coop_nstatements; i++)
		statements[nstatements++] = coop_statements[i];
	for (size_t i = 0; i < v1_nroutes; i++)
		routes[app.nroutes++] = v1_routes[i];
	for (size_t i = 0; i < coop_nroutes; i++)
		routes[app.nroutes++] = coop_routes[i];
	for (size_t i = 0; i < web_nroutes; i++)
		routes[app.nroutes++] = web_routes[i];
	app.routes = routes;
	app.keys = &keys;
	app.json_limits.max_depth = (unsigned)cfg.max_json_depth;
	app.json_limits.max_string = (size_t)cfg.max_string_length;
	if (store_startup_check(cfg.db_conninfo, cfg.startup_db_wait, keys.authority_pub,
				cfg.authority_key_file, authority_id) == 0 &&
	    (app.base = event_base_new()) != NULL)
		r = serve(&app, authority_id, &coop_keys);
	if (app.base != NULL)
		event_base_free(app.base);
	coop_keys_cleanup(&coop_keys);
	keys_cleanup(&keys);
	config_cleanup(&cfg);
	return r;
}
