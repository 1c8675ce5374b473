/* coop — FreeCoop's keys, identity and routes (see the header). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "app.h"
#include "b64.h"
#include "config.h"
#include "coop.h"
#include "effects.h"
#include "http/http.h"
#include "books.h"
#include "groups.h"
#include "log.h"
#include "ncache.h"
#include "store.h"
#include "util.h"

#define RESOLVE_RETRY_S 5

const struct route coop_routes[] = {
	{"POST", "/coop/v1/people", h_coop_people_create, ROUTE_LIMIT_ADDRESS},
	{"GET", "/coop/v1/keys", h_coop_keys, ROUTE_PUBLIC},
	{"GET", "/coop/v1/me", h_coop_me, ROUTE_ACCOUNT},
	{"POST", "/coop/v1/groups", h_coop_groups_found, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}", h_coop_groups_get, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/members", h_coop_groups_members, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/charter", h_coop_groups_charter, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/charter/versions/{n}", h_coop_groups_charter,
	 ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/log", h_coop_groups_log, ROUTE_ACCOUNT},
	{"POST", "/coop/v1/groups/{gid}/applications", h_coop_groups_apply, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/applications", h_coop_groups_applications, ROUTE_ACCOUNT},
	{"POST", "/coop/v1/groups/{gid}/decisions", h_coop_decisions_start, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/decisions", h_coop_decisions_list, ROUTE_ACCOUNT},
	{"POST", "/coop/v1/groups/{gid}/decisions/{id}/comments", h_coop_comments_add,
	 ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/decisions/{id}/comments", h_coop_comments_list,
	 ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/decisions/{id}/result", h_coop_decisions_result,
	 ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/ledger/accounts", h_coop_ledger_accounts, ROUTE_ACCOUNT},
	{"POST", "/coop/v1/groups/{gid}/ledger/accounts", h_coop_ledger_account_open,
	 ROUTE_ACCOUNT},
	{"POST", "/coop/v1/groups/{gid}/ledger/entries", h_coop_ledger_post, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/ledger/entries", h_coop_ledger_entries, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/ledger/surplus", h_coop_ledger_surplus, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/ledger/export", h_coop_ledger_export, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/reports/balance-sheet", h_coop_balance_sheet, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/reports/income-statement", h_coop_income_statement,
	 ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/reports/members", h_coop_members_report, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/reports/members/{person}/statement", h_coop_statement,
	 ROUTE_ACCOUNT},
	{"POST", "/coop/v1/groups/{gid}/patronage", h_coop_patronage_record, ROUTE_ACCOUNT},
	{"GET", "/coop/v1/groups/{gid}/patronage", h_coop_patronage, ROUTE_ACCOUNT},
};

/* The library's code as this server was built with it (cmake/embed_text.cmake). */
extern const char coop_yes_no_py[], coop_yes_no_two_thirds_py[];

const size_t coop_nroutes = sizeof(coop_routes) / sizeof(coop_routes[0]);

const struct db_stmt *const coop_statements[] = {COOP_STORE_STATEMENTS};

const size_t coop_nstatements = sizeof(coop_statements) / sizeof(coop_statements[0]);

/* The service key file: one line, "svc_" and its token. */
static int
load_service(struct coop_keys *k, const char *path, char *err, size_t errlen)
{
	char line[128] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "could not open FreeCoop's service key \"%s\": %s", path,
			 strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (strncmp(line, "svc_", 4) != 0 || !util_token_well_formed(line)) {
		OPENSSL_cleanse(line, sizeof(line));
		snprintf(err, errlen, "FreeCoop's service key \"%s\" is not a service key (svc_...)",
			 path);
		return -1;
	}
	memcpy(k->service.prefix, line, 4);
	k->service.prefix[4] = '\0';
	util_sha256(line, n, k->service.hash);
	OPENSSL_cleanse(line, sizeof(line));
	return 0;
}

/* The JWK thumbprint (RFC 7638) of an Ed25519 public key: base64url(SHA-256 of
 * {"crv":"Ed25519","kty":"OKP","x":"<x>"}). */
static void
thumbprint(const unsigned char pub[COOP_KEY_LEN], char kid[COOP_KID_LEN + 1])
{
	char x[64], jwk[128];
	unsigned char h[UTIL_SHA256_LEN];
	int n;

	b64_encode(pub, COOP_KEY_LEN, x, true);
	n = snprintf(jwk, sizeof(jwk), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
	util_sha256(jwk, (size_t)n, h);
	b64_encode(h, sizeof(h), kid, true);
}

static int
load_signing(struct coop_keys *k, const char *path, char *err, size_t errlen)
{
	size_t len = COOP_KEY_LEN;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "could not open FreeCoop's signing key \"%s\": %s", path,
			 strerror(errno));
		return -1;
	}
	k->signing = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k->signing == NULL || EVP_PKEY_get_base_id(k->signing) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_public_key(k->signing, k->pub, &len) != 1 || len != COOP_KEY_LEN) {
		snprintf(err, errlen, "FreeCoop's signing key \"%s\" is not a PEM Ed25519 private key",
			 path);
		return -1;
	}
	thumbprint(k->pub, k->kid);
	return 0;
}

int
coop_keys_load(struct coop_keys *k, const struct config *cfg, char *err, size_t errlen)
{
	memset(k, 0, sizeof(*k));
	if (cfg->coop_service_key_file[0] == '\0' && cfg->coop_signing_key_file[0] == '\0')
		return 0;
	if (cfg->coop_service_key_file[0] == '\0' || cfg->coop_signing_key_file[0] == '\0') {
		snprintf(err, errlen, "FreeCoop needs both coop_service_key_file and "
				      "coop_signing_key_file (or neither: FreeCoop off)");
		return -1;
	}
	if (load_service(k, cfg->coop_service_key_file, err, errlen) != 0 ||
	    load_signing(k, cfg->coop_signing_key_file, err, errlen) != 0) {
		coop_keys_cleanup(k);
		return -1;
	}
	k->enabled = true;
	return 0;
}

void
coop_keys_cleanup(struct coop_keys *k)
{
	EVP_PKEY_free(k->signing);
	k->signing = NULL;
	OPENSSL_cleanse(&k->service, sizeof(k->service));
}

static void resolve(struct coop *c);

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	resolve(arg);
}

static void
resolved_cb(void *arg, const struct problem *no, const struct principal *who)
{
	struct coop *c = arg;
	struct timeval later = {RESOLVE_RETRY_S, 0};

	if (no != NULL || who->kind != PRINCIPAL_SERVICE) {
		log_error("FreeCoop's service key is not a valid service key (%s); retrying in %d s",
			  no != NULL ? no->detail : "not a service", RESOLVE_RETRY_S);
		event_base_once(c->app->base, -1, EV_TIMEOUT, retry_cb, c, &later);
		return;
	}
	c->service = *who;
	c->ready = true;
	log_info("FreeCoop acts as service %s (\"%s\")", who->service_id, who->service_name);
	effects_start(c);
}

static void
resolve(struct coop *c)
{
	core_credential_resolve(c->core, &c->keys->service, resolved_cb, c);
}

/* A voting method's id: the hex SHA-256 of its code. */
static void
method_id(const char *code, char out[65])
{
	unsigned char h[UTIL_SHA256_LEN];

	util_sha256(code, strlen(code), h);
	util_hex(h, sizeof(h), out);
}

struct coop *
coop_new(struct app *app, const struct coop_keys *keys)
{
	struct coop *c;

	if (!keys->enabled || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->app = app;
	c->core = &app->core;
	c->keys = keys;
	method_id(coop_yes_no_py, c->yes_no_id);
	method_id(coop_yes_no_two_thirds_py, c->two_thirds_id);
	if (groups_me_cache(c, (size_t)app->cfg->coop_me_cache, app->cfg->cache_ttl_ms) != 0)
		log_warn("FreeCoop keeps no GET /coop/v1/me in memory (out of memory)");
	resolve(c);
	return c;
}

void
coop_free(struct coop *c)
{
	if (c != NULL) {
		books_turns_free(c->turns);
		ncache_free(c->me);
	}
	free(c);
}

struct coop *
coop_of(struct req *r)
{
	struct coop *c = r->app->coop;

	if (c == NULL) {
		req_reply_problem(r, 404, "route-not-found", "FreeCoop is not enabled here.");
		return NULL;
	}
	if (!c->ready) {
		req_reply_problem(r, 503, "service-unavailable", "FreeCoop is starting.");
		return NULL;
	}
	return c;
}

void
h_coop_keys(struct req *r)
{
	struct coop *c = coop_of(r);
	struct json_object *o, *list, *k;
	char x[64];

	if (c == NULL)
		return;
	o = json_object_new_object();
	list = json_object_new_array();
	k = json_object_new_object();
	b64_encode(c->keys->pub, COOP_KEY_LEN, x, true);
	json_object_object_add(k, "kty", json_object_new_string("OKP"));
	json_object_object_add(k, "crv", json_object_new_string("Ed25519"));
	json_object_object_add(k, "x", json_object_new_string(x));
	json_object_object_add(k, "kid", json_object_new_string(c->keys->kid));
	json_object_object_add(k, "use", json_object_new_string("sig"));
	json_object_object_add(k, "alg", json_object_new_string("EdDSA"));
	json_object_array_add(list, k);
	json_object_object_add(o, "keys", list);
	req_reply_json_type(r, 200, "application/jwk-set+json", o);
}

void
coop_reply(struct req *r, int status, const struct problem *no, const char *pointer,
	   const char *json)
{
	struct json_object *o;

	if (no != NULL && pointer != NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "pointer", json_object_new_string(pointer));
		req_reply_problem_ext(r, no->status, no->slug, o, "%s", no->detail);
	} else if (no != NULL) {
		req_reply_refusal(r, no);
	} else if ((o = json_tokener_parse(json)) == NULL) {
		req_reply_problem(r, 500, "internal-error", "The answer could not be read.");
	} else {
		req_reply_json(r, status, o);
	}
}

void
coop_reply_written(struct req *r, int status, const struct problem *no, const char *pointer,
		   const char *json)
{
	struct evbuffer *buf;

	if (no != NULL || (buf = evbuffer_new()) == NULL) {
		coop_reply(r, status, no, pointer, json);
		return;
	}
	evbuffer_add(buf, json, strlen(json));
	evbuffer_add(buf, "\n", 1);
	req_reply_buffer(r, status, "application/json", buf);
	evbuffer_free(buf);
}

int
coop_query_after(struct req *r, long long *after)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->ev)), *v;
	struct evkeyvalq q;
	char *end;
	int rc = 0;

	*after = 0;
	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
		req_reply_problem(r, 422, "invalid-request", "The query cannot be read.");
		return -1;
	}
	if ((v = evhttp_find_header(&q, "after")) != NULL) {
		*after = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || *after < 0 || *after > 1000000000000LL) {
			req_reply_problem(r, 422, "invalid-request",
					  "The query's after is the seq of an entry already read (0 or more).");
			rc = -1;
		}
	}
	evhttp_clear_headers(&q);
	return rc;
}

void
coop_reply_text(struct req *r, const struct problem *no, const char *text, const char *type,
		const char *header, const char *value)
{
	struct evbuffer *buf;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	if ((buf = evbuffer_new()) == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	evbuffer_add(buf, text, strlen(text));
	req_add_header(r, header, value);
	req_reply_buffer(r, 200, type, buf);
	evbuffer_free(buf);
}

int
coop_query_year(struct req *r, int *year)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->ev)), *v;
	struct evkeyvalq q;
	long y = 0;
	char *end = NULL;
	int rc = 0;

	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) == 0 &&
	    (v = evhttp_find_header(&q, "year")) != NULL)
		y = strtol(v, &end, 10);
	if (end == NULL || *end != '\0' || y < 1900 || y > 9998) {
		req_reply_problem(r, 422, "invalid-request",
				  "Give the fiscal year as ?year=YYYY (the year it starts in).");
		rc = -1;
	}
	evhttp_clear_headers(&q);
	*year = (int)y;
	return rc;
}
