/* h_decisions — decisions: creation by a service, franchise batches, listing, reading,
 * and the signed result. */
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "b64.h"
#include "core/keys.h"
#include "core/store_decisions.h"
#include "decision_view.h"
#include "http/download.h"
#include "http/http.h"
#include "v1.h"

#define DEFAULT_BALLOT_SIZE 1024

static const char *const phase_names[4] = {"proposal_phase.opens_at", "proposal_phase.closes_at",
					   "voting_phase.opens_at", "voting_phase.closes_at"};

/* Reads the two phases into canonical RFC 3339 UTC text; replies 422 and returns -1 when a
 * time is missing or malformed or the phases are out of order (DESIGN §5). */
static int
read_phases(struct req *r, struct json_object *body, char out[4][UTIL_TIME_LEN + 1])
{
	int64_t t[4];

	for (int i = 0; i < 4; i++) {
		struct json_object *phase, *v;
		const char *name = i < 2 ? "proposal_phase" : "voting_phase";
		if (!json_object_object_get_ex(body, name, &phase) ||
		    json_object_object_length(phase) != 2 ||
		    !json_object_object_get_ex(phase, i % 2 == 0 ? "opens_at" : "closes_at", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    !util_time_parse(json_object_get_string(v), &t[i])) {
			req_reply_problem(r, 422, "invalid-request",
					  "The field %s must be an RFC 3339 time such as "
					  "2026-12-01T09:00:00Z (a phase has exactly opens_at and "
					  "closes_at).", phase_names[i]);
			return -1;
		}
		util_time_format(t[i], out[i]);
	}
	for (int i = 0; i < 3; i++) {
		if (i == 1 ? t[1] > t[2] : t[i] >= t[i + 1]) {
			req_reply_problem(r, 422, "invalid-phases",
					  "The phases are out of order: %s must be %s %s.",
					  phase_names[i], i == 1 ? "at or before" : "before",
					  phase_names[i + 1]);
			return -1;
		}
	}
	return 0;
}

/* The service's proposals as two array literals (ids, bytea payloads); caller frees. */
static int
read_proposals(struct req *r, struct json_object *arr, char **ids, char **payloads)
{
	size_t n = arr != NULL ? json_object_array_length(arr) : 0;
	struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
	size_t max = (size_t)r->app->cfg->max_payload_size;
	unsigned char *bin = malloc(max + 3);
	char *hex = malloc(2 * max + 1);
	int rc = -1;

	if (a == NULL || b == NULL || bin == NULL || hex == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		goto out;
	}
	evbuffer_add(a, "{", 1);
	evbuffer_add(b, "{", 1);
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(arr, i), *v;
		char id[UTIL_UUID_LEN + 1];
		ssize_t len = -1;
		if (json_object_is_type(p, json_type_object) && json_object_object_length(p) == 1 &&
		    json_object_object_get_ex(p, "payload", &v) && json_object_is_type(v, json_type_string))
			len = b64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v),
					 bin, max, false);
		if (len < 0) {
			req_reply_problem(r, 422, "invalid-request",
					  "Item %zu of proposals must be {\"payload\": base64} "
					  "of at most %d bytes.", i, r->app->cfg->max_payload_size);
			goto out;
		}
		util_uuid_v4(id);
		evbuffer_add_printf(a, "%s%s", i > 0 ? "," : "", id);
		evbuffer_add_printf(b, "%s\"\\\\x", i > 0 ? "," : "");
		util_hex(bin, (size_t)len, hex);
		evbuffer_add(b, hex, 2 * (size_t)len);
		evbuffer_add(b, "\"", 1);
	}
	evbuffer_add(a, "}", 2);
	evbuffer_add(b, "}", 2);
	*ids = strdup((const char *)evbuffer_pullup(a, -1));
	*payloads = strdup((const char *)evbuffer_pullup(b, -1));
	rc = *ids != NULL && *payloads != NULL ? 0 : -1;
	if (rc != 0)
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
out:
	if (a != NULL)
		evbuffer_free(a);
	if (b != NULL)
		evbuffer_free(b);
	free(bin);
	free(hex);
	return rc;
}

static void
created_get_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	char location[64];

	if (res->status != DB_OK || PQntuples(res->res) != 1) {
		req_reply_db_error(r, res);
		return;
	}
	snprintf(location, sizeof(location), "/v1/decisions/%s", PQgetvalue(res->res, 0, DC_ID));
	req_add_header(r, "Location", location);
	req_reply_json(r, 201, dv_decision_json(res->res, 0, true));
}

static void
created_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;

	if (res->status != DB_OK) {
		dv_reply_error(r, res);
		return;
	}
	store_decision_get(r->app->db, r->state, r->who.service_id, NULL, NULL, created_get_cb, r);
}

/* What bounds a decision's document, from the configuration. */
static struct decision_bounds
bounds(const struct req *r)
{
	return (struct decision_bounds){r->app->cfg->max_document_size,
					r->app->cfg->count_result_max};
}

/* The method's id, lowercased into method; replies 422 and returns -1 when it is not 64
 * hexadecimal digits (a name, most likely). */
static int
read_method(struct req *r, struct json_object *body, char method[65])
{
	const char *v = body_get_string(body, "method");
	size_t n = strlen(v);

	for (size_t i = 0; i < n && i < 64; i++)
		method[i] = (char)(v[i] >= 'A' && v[i] <= 'F' ? v[i] + 32 : v[i]);
	method[n < 64 ? n : 64] = '\0';
	if (n == 64 && strspn(method, "0123456789abcdef") == 64)
		return 0;
	req_reply_problem(r, 422, "invalid-request", "Method must be the id of a voting method: "
			  "the SHA-256 of its code, 64 hexadecimal digits, not its name. "
			  "GET /v1/voting-methods lists every method with its id and name.");
	return -1;
}

/* The ballot_size asked for, or the default: 1024 bytes, at most max_payload_size. */
static int
ballot_size(const struct req *r, struct json_object *body)
{
	struct json_object *v;

	if (json_object_object_get_ex(body, "ballot_size", &v))
		return json_object_get_int(v);
	return r->app->cfg->max_payload_size < DEFAULT_BALLOT_SIZE ? r->app->cfg->max_payload_size
								    : DEFAULT_BALLOT_SIZE;
}

/* The parts of a new decision that need freeing. */
struct creation {
	char id[UTIL_UUID_LEN + 1];
	char *proposers, *voters, *pids, *payloads;
};

static void
creation_free(struct creation *c)
{
	free(c->proposers);
	free(c->voters);
	free(c->pids);
	free(c->payloads);
}

void
h_decisions_create(struct req *r)
{
	const struct config *cfg = r->app->cfg;
	const struct body_field fields[] = {
		{"title", BODY_STRING, true, false, 1, 500},
		{"method", BODY_STRING, true, false, 1, 1000},
		{"ballot_size", BODY_INT, false, false, 1, cfg->max_payload_size},
		{"proposal_phase", BODY_OBJECT, true, false, 0, 0},
		{"voting_phase", BODY_OBJECT, true, false, 0, 0},
		{"proposer_franchise", BODY_ARRAY, false, false, 0, cfg->max_franchise_batch},
		{"voter_franchise", BODY_ARRAY, false, false, 0, cfg->max_franchise_batch},
		{"proposals", BODY_ARRAY, false, false, 0, cfg->max_proposals},
		{"metadata", BODY_OBJECT, false, true, 0, 0},
	};
	struct creation c = {0};
	struct crypto_deckey k;
	unsigned char wrapped[CRYPTO_WRAPPED_LEN];
	char phases[4][UTIL_TIME_LEN + 1], method[65];
	struct json_object *body, *meta;

	if (req_body(r, fields, sizeof(fields) / sizeof(fields[0]), false, &body) != 0)
		return;
	if (read_method(r, body, method) != 0 || read_phases(r, body, phases) != 0 ||
	    (c.proposers = dv_uuid_array(r, json_object_object_get(body, "proposer_franchise"),
					 "proposer_franchise")) == NULL ||
	    (c.voters = dv_uuid_array(r, json_object_object_get(body, "voter_franchise"),
				      "voter_franchise")) == NULL ||
	    read_proposals(r, json_object_object_get(body, "proposals"), &c.pids, &c.payloads) != 0)
		goto out;
	if (util_uuid_v4(c.id) != 0 ||
	    crypto_deckey_new(r->app->keys->master, c.id, wrapped, &k) != 0) {
		req_reply_problem(r, 500, "internal-error", "Could not make the decision's key.");
		goto out;
	}
	crypto_deckey_wipe(&k);
	meta = json_object_object_get(body, "metadata");
	if ((r->state = strdup(c.id)) == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		goto out;
	}
	r->state_free = free;
	struct decision_new d = {
		c.id, r->who.service_id, body_get_string(body, "title"), method,
		meta != NULL ? json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN) : NULL,
		{phases[0], phases[1], phases[2], phases[3]}, wrapped, ballot_size(r, body),
		c.proposers, c.voters, c.pids, c.payloads, bounds(r),
	};
	store_decision_create(r->app->db, &d, created_cb, r);
out:
	creation_free(&c);
	json_object_put(body);
}

static void
get_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;

	if (!req_found(r, res, "There is no such decision."))
		return;
	req_reply_json(r, 200, dv_decision_json(res->res, 0, true));
}

/* An account's view: whether it voted is whether its slot holds a ballot. */
static void
get_with_keys(struct req *r, const struct dv_keys *k)
{
	unsigned char slot[32];

	if (k != NULL)
		crypto_slot(&k->k, r->who.account_id, slot);
	store_decision_get(r->app->db, r->param, NULL, r->who.account_id, k != NULL ? slot : NULL,
			   get_cb, r);
}

void
h_decisions_get(struct req *r)
{
	if (r->who.kind == PRINCIPAL_SERVICE)
		store_decision_get(r->app->db, r->param, r->who.service_id, NULL, NULL, get_cb, r);
	else
		dv_decision_keys(r, get_with_keys);
}

static void
list_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct json_object *o, *list;
	int n, limit = r->state != NULL ? *(int *)r->state : 0;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	n = PQntuples(res->res);
	list = json_object_new_array();
	for (int i = 0; i < n; i++)
		json_object_array_add(list, dv_decision_json(res->res, i, false));
	o = json_object_new_object();
	json_object_object_add(o, "decisions", list);
	if (n == limit && n > 0) {
		/* The cursor: base64url of "created_at id" of the last row. */
		char raw[UTIL_TIME_LEN + UTIL_UUID_LEN + 2], enc[128];
		snprintf(raw, sizeof(raw), "%s %s", PQgetvalue(res->res, n - 1, DC_CREATED),
			 PQgetvalue(res->res, n - 1, DC_ID));
		b64_encode((const unsigned char *)raw, strlen(raw), enc, true);
		json_object_object_add(o, "next", json_object_new_string(enc));
	} else {
		json_object_object_add(o, "next", NULL);
	}
	req_reply_json(r, 200, o);
}

/* Parses ?limit=&after=; replies 422 and returns -1 on a bad one. */
static int
list_params(struct req *r, int *limit, char *ts, char *id)
{
	struct evkeyvalq q;
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->ev)), *v;
	int rc = 0;

	*limit = 50 < r->app->cfg->max_page_size ? 50 : r->app->cfg->max_page_size;
	ts[0] = id[0] = '\0';
	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) != 0)
		rc = -1;
	if (rc == 0 && (v = evhttp_find_header(&q, "limit")) != NULL) {
		char *end;
		long n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || n < 1 || n > r->app->cfg->max_page_size)
			rc = -1;
		*limit = (int)n;
	}
	if (rc == 0 && (v = evhttp_find_header(&q, "after")) != NULL) {
		unsigned char raw[UTIL_TIME_LEN + UTIL_UUID_LEN + 2];
		ssize_t n = b64_decode(v, strlen(v), raw, sizeof(raw) - 1, true);
		int64_t us;
		if (n != UTIL_TIME_LEN + UTIL_UUID_LEN + 1 || raw[UTIL_TIME_LEN] != ' ')
			rc = -1;
		if (rc == 0) {
			raw[n] = '\0';
			raw[UTIL_TIME_LEN] = '\0';
			if (!util_time_parse((char *)raw, &us) ||
			    !util_uuid_parse((char *)raw + UTIL_TIME_LEN + 1, id))
				rc = -1;
			snprintf(ts, UTIL_TIME_LEN + 1, "%.27s", (char *)raw);
		}
	}
	evhttp_clear_headers(&q);
	if (rc != 0)
		req_reply_problem(r, 422, "invalid-request", "The query takes limit (1 to %d) and "
				  "after (the next cursor of the previous page).",
				  r->app->cfg->max_page_size);
	return rc;
}

void
h_decisions_list(struct req *r)
{
	bool svc = r->who.kind == PRINCIPAL_SERVICE;
	char ts[UTIL_TIME_LEN + 1], id[UTIL_UUID_LEN + 1];
	int limit, *state;

	if (list_params(r, &limit, ts, id) != 0)
		return;
	if ((state = malloc(sizeof(*state))) == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	*state = limit;
	r->state = state;
	r->state_free = free;
	store_decisions_list(r->app->db, svc, svc ? r->who.service_id : r->who.account_id,
			     ts[0] ? ts : NULL, ts[0] ? id : NULL, limit, list_cb, r);
}

static void
franchise_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct json_object *o;

	if (res->status != DB_OK) {
		dv_reply_error(r, res);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "proposer_franchise",
			       json_object_new_int64(strtoll(PQgetvalue(res->res, 0, 0), NULL, 10)));
	json_object_object_add(o, "voter_franchise",
			       json_object_new_int64(strtoll(PQgetvalue(res->res, 0, 1), NULL, 10)));
	req_reply_json(r, 200, o);
}

/* The batch's list of kind ("proposer" or "voter"): {kind}_franchise, or the name it
 * had before (proposers, voters), not both. NULL after replying 422. */
static char *
franchise_list(struct req *r, struct json_object *body, const char *kind)
{
	char name[32], old[16];
	struct json_object *v = NULL, *w = NULL;

	snprintf(name, sizeof(name), "%s_franchise", kind);
	snprintf(old, sizeof(old), "%ss", kind);
	json_object_object_get_ex(body, name, &v);
	json_object_object_get_ex(body, old, &w);
	if (v != NULL && w != NULL) {
		req_reply_problem(r, 422, "invalid-request", "Give %s or its former name %s, not "
				  "both.", name, old);
		return NULL;
	}
	return dv_uuid_array(r, v != NULL ? v : w, v != NULL || w == NULL ? name : old);
}

void
h_decisions_franchise(struct req *r)
{
	const struct body_field fields[] = {
		{"proposer_franchise", BODY_ARRAY, false, false, 0, r->app->cfg->max_franchise_batch},
		{"voter_franchise", BODY_ARRAY, false, false, 0, r->app->cfg->max_franchise_batch},
		/* their names before, still taken */
		{"proposers", BODY_ARRAY, false, false, 0, r->app->cfg->max_franchise_batch},
		{"voters", BODY_ARRAY, false, false, 0, r->app->cfg->max_franchise_batch},
	};
	struct decision_bounds b = bounds(r);
	struct json_object *body;
	char *proposers = NULL, *voters = NULL;

	if (req_body(r, fields, sizeof(fields) / sizeof(fields[0]), false, &body) != 0)
		return;
	if ((proposers = franchise_list(r, body, "proposer")) != NULL &&
	    (voters = franchise_list(r, body, "voter")) != NULL)
		store_franchise_add(r->app->db, r->param, r->who.service_id, proposers, voters, &b,
				    franchise_cb, r);
	free(proposers);
	free(voters);
	json_object_put(body);
}

/* A concluded decision's document never changes; a failed one's may, if an operator
 * re-queues it (admin.requeue_conclusion), so caches must check before reusing it. */
static const char *
result_cache_control(const char *state)
{
	return strcmp(state, "concluded") == 0 ? "public, max-age=3600" : "no-cache";
}

static void
result_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	const PGresult *pg;
	struct store_result_version v;
	struct evbuffer *buf;

	if (!req_found(r, res, "There is no such decision."))
		return;
	pg = res->res;
	if (strcmp(PQgetvalue(pg, 0, RC_PURGED), "true") == 0) {
		req_reply_problem(r, 410, "result-purged", "The result of this decision was "
				  "purged at the end of its retention period.");
		return;
	}
	if (PQgetisnull(pg, 0, RC_LENGTH)) {
		req_add_header(r, "Retry-After", "2");
		req_reply_problem(r, 409, "not-concluded", "The decision is %s; its result is "
				  "published once it is counted.", PQgetvalue(pg, 0, RC_STATE));
		return;
	}
	if (PQgetisnull(pg, 0, RC_JWS)) { /* larger than a chunk */
		v.length = strtoull(PQgetvalue(pg, 0, RC_LENGTH), NULL, 10);
		snprintf(v.counted_at, sizeof(v.counted_at), "%s", PQgetvalue(pg, 0, RC_COUNTED_AT));
		download_start(r->app->downloads, r, &v,
			       result_cache_control(PQgetvalue(pg, 0, RC_STATE)));
		return;
	}
	if ((buf = evbuffer_new()) == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	evbuffer_add(buf, PQgetvalue(pg, 0, RC_JWS), (size_t)PQgetlength(pg, 0, RC_JWS));
	req_add_header(r, "Cache-Control", result_cache_control(PQgetvalue(pg, 0, RC_STATE)));
	req_reply_buffer(r, 200, "application/jose", buf);
	evbuffer_free(buf);
}

void
h_decisions_result(struct req *r)
{
	store_result_get(r->app->db, r->param, (size_t)r->app->cfg->download_chunk_size,
			 result_cb, r);
}
