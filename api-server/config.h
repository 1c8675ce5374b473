/* config — the server's settings: defaults, then a key = value file, then FREECOOP_* env. */
#ifndef FREECOOP_CONFIG_H
#define FREECOOP_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define CONFIG_MAX_RETRIES 16

struct config {
	char *listen_address;
	int port;
	char *db_conninfo;
	int db_pool_size;
	int db_query_timeout_ms;
	int db_reconnect_min_ms;
	int db_reconnect_max_ms;
	int db_queue_max;
	int db_pipeline_depth;
	char *authority_key_file;
	char *master_key_file;
	int access_token_ttl;
	int max_access_tokens; /* live access tokens per account */
	int max_body_size;
	int max_header_size;
	int max_json_depth;
	int max_string_length;
	int connection_timeout;
	int request_timeout;
	int linger_timeout;
	int rate_limit_token, rate_limit_token_burst;
	int rate_limit_service, rate_limit_service_burst;
	int rate_limit_account, rate_limit_account_burst;
	int rate_limit_address, rate_limit_address_burst;
	char *trusted_proxies; /* addresses and CIDR networks, comma or space separated */
	int rate_limit_keys;
	int shutdown_timeout;
	int startup_db_wait;
	char *log_level;
	char *web_dir; /* "" : the web page built in */
	char *worker_socket;
	int worker_connections;
	int worker_retry_min_ms;
	int worker_retry_max_ms;
	int method_validate_ms;
	int count_cpu_ms;
	int count_wall_ms;
	int count_memory_mb;
	int count_result_max;
	int max_method_size;
	int max_payload_size;
	int max_franchise_batch;
	int max_proposals;
	int max_page_size;
	int conclude_poll_ms;
	int conclude_lease_ms;
	int conclude_max_attempts;
	int conclude_db_timeout_ms;
	int decision_key_cache;
	int cache_ttl_ms;
	int credential_cache;
	int coop_me_cache;
	int max_document_size;
	int conclude_concurrency;
	int authority_check_ms;
	char *user;
	int download_chunk_size;
	int max_downloads;
	int download_db_connections;
	char *webhook_allow_hosts; /* hosts a webhook may name though not public */
	int webhook_timeout_ms;
	int webhook_lease_ms;
	char *webhook_retry_delays;
	int webhook_poll_ms;
	int webhook_concurrency;
	char *coop_service_key_file; /* FreeCoop's service key ("": FreeCoop off) */
	char *coop_signing_key_file; /* FreeCoop's Ed25519 log key */
	/* webhook_retry_delays parsed: seconds before each retry */
	int webhook_delays[CONFIG_MAX_RETRIES];
	int webhook_ndelays;
};

/* Fills cfg with the defaults, then the file at path (if path is not NULL), then the
 * FREECOOP_<KEY> environment variables, and checks ranges and required keys. Returns 0, or
 * -1 with a message in err. Call config_cleanup afterwards in both cases. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* Releases the strings in cfg. */
void config_cleanup(struct config *cfg);

/* Writes every key = value to out; conninfo passwords are masked. */
void config_print(const struct config *cfg, FILE *out);

#endif
