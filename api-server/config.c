/* config — the server's settings table, loaded by common/conf. */
#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "config.h"
#include "netaddr.h"

#define STR(f, d) CONF_STR(struct config, f, d)
#define INT(f, d, lo, hi) CONF_INT(struct config, f, d, lo, hi)

static const struct conf_key keys[] = {
    STR(listen_address, "127.0.0.1"),
    INT(port, "8080", 0, 65535),
    CONF_CONNINFO(struct config, db_conninfo, NULL),
    INT(db_pool_size, "8", 1, 256),
    INT(db_query_timeout_ms, "5000", 100, 600000),
    INT(db_reconnect_min_ms, "100", 10, 60000),
    INT(db_reconnect_max_ms, "5000", 10, 600000),
    INT(db_queue_max, "4096", 1, 1000000),
    INT(db_pipeline_depth, "32", 1, 1024),
    STR(authority_key_file, NULL),
    STR(master_key_file, NULL),
    INT(access_token_ttl, "3600", 1, 31 * 24 * 3600),
    INT(max_access_tokens, "20", 1, 1000000),
    INT(max_body_size, "1048576", 64, 256 * 1024 * 1024),
    /* A request line and its headers, line ends included. */
    INT(max_header_size, "16384", 256, 1024 * 1024),
    INT(max_json_depth, "16", 1, 256),
    INT(max_string_length, "1048576", 16, 256 * 1024 * 1024),
    INT(connection_timeout, "30", 1, 3600),
    INT(request_timeout, "20", 1, 3600),
    /* Seconds a refused connection is still read (and what comes discarded) after its
     * answer, so that a client still sending reads the answer instead of a reset. */
    INT(linger_timeout, "2", 0, 60),
    INT(rate_limit_token, "20", 0, 1000000000),
    INT(rate_limit_token_burst, "60", 1, 1000000000),
    INT(rate_limit_service, "2000", 0, 1000000000),
    INT(rate_limit_service_burst, "4000", 1, 1000000000),
    /* An account: its access tokens and its authorization token together. */
    INT(rate_limit_account, "40", 0, 1000000000),
    INT(rate_limit_account_burst, "120", 1, 1000000000),
    /* A client address (an IPv6 /64) on the public routes that write or verify; which
     * peers may name the client in X-Forwarded-For. */
    INT(rate_limit_address, "5", 0, 1000000000),
    INT(rate_limit_address_burst, "50", 1, 1000000000),
    STR(trusted_proxies, ""),
    INT(rate_limit_keys, "100000", 16, 100000000),
    INT(shutdown_timeout, "10", 0, 3600),
    INT(startup_db_wait, "30", 0, 3600),
    STR(log_level, "info"),
    /* Working on the web page: its files read from this folder at each request, instead
     * of the ones built into the server. */
    STR(web_dir, ""),
    /* The count-worker: where it listens, how many jobs run at once, reconnection. */
    STR(worker_socket, NULL),
    INT(worker_connections, "4", 1, 256),
    INT(worker_retry_min_ms, "100", 10, 60000),
    INT(worker_retry_max_ms, "2000", 10, 600000),
    /* How long the worker's check of a submitted method may take, waiting included. */
    INT(method_validate_ms, "15000", 100, 600000),
    /* Limits of one count: CPU and wall-clock time, address space, result size. */
    INT(count_cpu_ms, "60000", 100, 3600 * 1000),
    INT(count_wall_ms, "120000", 100, 7200 * 1000),
    INT(count_memory_mb, "2048", 64, 1024 * 1024),
    INT(count_result_max, "1048576", 1, 64 * 1024 * 1024),
    /* Decisions: sizes of what requests may carry, and list pages. */
    INT(max_method_size, "262144", 64, 16 * 1024 * 1024),
    INT(max_payload_size, "65536", 1, 16 * 1024 * 1024),
    INT(max_franchise_batch, "10000", 1, 10 * 1000 * 1000),
    INT(max_proposals, "1000", 1, 1000 * 1000),
    INT(max_page_size, "500", 1, 100000),
    /* The conclusion job: how often an instance looks for closed decisions, how long its
     * claim lasts without renewal, how many times a count that reached the worker is
     * tried, and the time allowed to its reads and writes. */
    INT(conclude_poll_ms, "1000", 50, 60000),
    INT(conclude_lease_ms, "30000", 1000, 3600 * 1000),
    INT(conclude_max_attempts, "5", 1, 100),
    INT(conclude_db_timeout_ms, "600000", 1000, 3600 * 1000),
    /* Unwrapped decision keys kept in memory for casting ballots. */
    INT(decision_key_cache, "1024", 1, 1000000),
    /* What the database said kept in memory, each thing at most cache_ttl_ms and trusted
     * only while its changes are heard (ncache.h): service keys and access tokens
     * resolved, and people's GET /coop/v1/me (0: none kept). */
    INT(cache_ttl_ms, "10000", 0, 3600 * 1000),
    INT(credential_cache, "16384", 0, 10000000),
    INT(coop_me_cache, "16384", 0, 10000000),
    /* The longest result document a decision may come to (PostgreSQL stores at most 1 GB
     * in one value): larger franchises x ballot sizes are refused at creation. */
    INT(max_document_size, "536870912", 65536, 1000 * 1024 * 1024),
    /* Conclusions one instance runs at once (picked fairly across services). */
    INT(conclude_concurrency, "2", 1, 64),
    /* How often the authority key's registration is checked again (a revoked key stops
     * signing without a restart). */
    INT(authority_check_ms, "60000", 100, 3600 * 1000),
    /* The user the server runs as: when started as root it reads its keys, then becomes
     * this user; it refuses to serve as root. */
    STR(user, ""),
    /* Result documents larger than one chunk are streamed from the database a chunk at a
     * time, by at most max_downloads at once, over connections of their own. */
    INT(download_chunk_size, "262144", 1024, 64 * 1024 * 1024),
    INT(max_downloads, "32", 1, 100000),
    INT(download_db_connections, "2", 1, 64),
    /* Service events (webhooks): hosts a webhook URL may name although they are not
     * public (exact host names or IP literals, e.g. "127.0.0.1" in the tests); one
     * attempt's time limit, from resolving the host to the answer's last byte; how long an
     * instance holds an event it is delivering; the seconds before each retry (Standard
     * Webhooks' schedule: the event fails after the last); how often an idle instance looks
     * for due deliveries; how many it makes at once. */
    STR(webhook_allow_hosts, ""),
    INT(webhook_timeout_ms, "10000", 100, 600000),
    INT(webhook_lease_ms, "60000", 1000, 3600 * 1000),
    STR(webhook_retry_delays, "5,300,1800,7200,18000,36000,36000"),
    INT(webhook_poll_ms, "1000", 10, 600000),
    INT(webhook_concurrency, "32", 1, 1024),
    /* FreeCoop (DESIGN §10): its service key at the core and its own log signing key,
     * both made by set-up; neither: FreeCoop is off. */
    STR(coop_service_key_file, ""),
    STR(coop_signing_key_file, ""),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* The list is parsed again where it is used (guard.c); here a bad entry stops the start. */
static int
check_trusted_proxies(const char *text, char *err, size_t errlen)
{
	struct netaddr_list *l;
	char why[160];

	if (netaddr_list_parse(text, &l, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "trusted_proxies: %s", why);
		return -1;
	}
	netaddr_list_free(l);
	return 0;
}

/* webhook_retry_delays: seconds, comma or space separated, at least one. */
static int
parse_delays(struct config *cfg, char *err, size_t errlen)
{
	const char *p = cfg->webhook_retry_delays;
	char *end;

	cfg->webhook_ndelays = 0;
	while (*p != '\0') {
		long v;
		if (*p == ',' || *p == ' ') {
			p++;
			continue;
		}
		v = strtol(p, &end, 10);
		if (end == p || v < 0 || v > 7 * 24 * 3600 ||
		    cfg->webhook_ndelays == CONFIG_MAX_RETRIES) {
			snprintf(err, errlen, "webhook_retry_delays: up to %d delays in seconds "
					      "(0 to 604800), comma separated",
				 CONFIG_MAX_RETRIES);
			return -1;
		}
		cfg->webhook_delays[cfg->webhook_ndelays++] = (int)v;
		p = end;
	}
	if (cfg->webhook_ndelays == 0) {
		snprintf(err, errlen, "webhook_retry_delays: at least one delay");
		return -1;
	}
	if (cfg->webhook_lease_ms < cfg->webhook_timeout_ms + 1000) {
		snprintf(err, errlen, "webhook_lease_ms must exceed webhook_timeout_ms by a second");
		return -1;
	}
	return 0;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	*cfg = (struct config){0};
	if (conf_load(keys, NKEYS, cfg, path, "FREECOOP_", err, errlen) != 0)
		return -1;
	if (cfg->db_reconnect_min_ms > cfg->db_reconnect_max_ms) {
		snprintf(err, errlen, "db_reconnect_min_ms exceeds db_reconnect_max_ms");
		return -1;
	}
	if (cfg->worker_retry_min_ms > cfg->worker_retry_max_ms) {
		snprintf(err, errlen, "worker_retry_min_ms exceeds worker_retry_max_ms");
		return -1;
	}
	if (cfg->count_wall_ms < cfg->count_cpu_ms) {
		snprintf(err, errlen, "count_wall_ms is less than count_cpu_ms");
		return -1;
	}
	if (parse_delays(cfg, err, errlen) != 0)
		return -1;
	return check_trusted_proxies(cfg->trusted_proxies, err, errlen);
}

void
config_cleanup(struct config *cfg)
{
	conf_cleanup(keys, NKEYS, cfg);
}

void
config_print(const struct config *cfg, FILE *out)
{
	conf_print(keys, NKEYS, cfg, out);
}
