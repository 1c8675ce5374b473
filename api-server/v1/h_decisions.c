/* h_decisions — decisions: creation by a service, franchise batches, listing, reading,
 * and the signed result: HTTP and JSON in, the core's decision operations
 * (core/core_decisions.h), JSON out. */
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "b64.h"
#include "core/core_decisions.h"
#include "http/download.h"
#include "http/http.h"
#include "v1.h"

static struct json_object *
text_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static struct json_object *
phase_json(const char *opens, const char *closes)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "opens_at", text_or_null(opens));
	json_object_object_add(o, "closes_at", text_or_null(closes));
	return o;
}

/* The counts and, for a franchise member, what the caller may do. */
static void
add_counts(struct json_object *o, const struct core_decision *d)
{
	struct json_object *c = json_object_new_object(), *you;

	json_object_object_add(c, "proposer_franchise", json_object_new_int64(d->proposer_franchise));
	json_object_object_add(c, "voter_franchise", json_object_new_int64(d->voter_franchise));
	json_object_object_add(c, "proposals", json_object_new_int64(d->proposals));
	json_object_object_add(c, "voted", json_object_new_int64(d->voted));
	json_object_object_add(o, "counts", c);
	if (!d->has_you)
		return;
	you = json_object_new_object();
	json_object_object_add(you, "proposer", json_object_new_boolean(d->you_proposer));
	json_object_object_add(you, "voter", json_object_new_boolean(d->you_voter));
	json_object_object_add(you, "voted", json_object_new_boolean(d->you_voted));
	json_object_object_add(o, "you", you);
}

static struct json_object *
decision_json(const struct core_decision *d)
{
	struct json_object *o = json_object_new_object(), *m = json_object_new_object();
	char url[96];

	json_object_object_add(o, "id", json_object_new_string(d->id));
	json_object_object_add(o, "title", json_object_new_string(d->title));
	json_object_object_add(o, "state", json_object_new_string(d->state));
	json_object_object_add(m, "id", json_object_new_string(d->method_id));
	json_object_object_add(m, "name", json_object_new_string(d->method_name));
	json_object_object_add(o, "method", m);
	json_object_object_add(o, "proposal_phase",
			       phase_json(d->proposal_opens_at, d->proposal_closes_at));
	json_object_object_add(o, "voting_phase", phase_json(d->voting_opens_at, d->voting_closes_at));
	json_object_object_add(o, "metadata",
			       d->metadata != NULL ? json_tokener_parse(d->metadata) : NULL);
	json_object_object_add(o, "service", json_object_new_string(d->service));
	json_object_object_add(o, "created_at", text_or_null(d->created_at));
	json_object_object_add(o, "concluded_at", text_or_null(d->concluded_at));
	snprintf(url, sizeof(url), "/v1/decisions/%s/result", d->id);
	json_object_object_add(o, "result", d->concluded_at == NULL || d->purged
						     ? NULL
						     : json_object_new_string(url));
	json_object_object_add(o, "ballot_size",
			       d->ballot_size > 0 ? json_object_new_int64(d->ballot_size) : NULL);
	if (d->has_counts)
		add_counts(o, d);
	return o;
}

/* The strings of a JSON array, NULL for an item that is not one (the core refuses it);
 * *items is NULL for an empty or absent array. -1 without memory. */
static int
strings_of(struct json_object *arr, const char ***items, size_t *n)
{
	*n = arr != NULL ? json_object_array_length(arr) : 0;
	*items = NULL;
	if (*n > 0 && (*items = calloc(*n, sizeof(**items))) == NULL)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		(*items)[i] = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
									: NULL;
	}
	return 0;
}

/* The proposals' payloads: each item must be {"payload": string}, else NULL. */
static int
payloads_of(struct json_object *arr, const char ***items, size_t *n)
{
	*items = NULL;
	*n = arr != NULL ? json_object_array_length(arr) : 0;
	if (*n > 0 && (*items = calloc(*n, sizeof(**items))) == NULL)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		struct json_object *p = json_object_array_get_idx(arr, i), *v;
		if (json_object_is_type(p, json_type_object) && json_object_object_length(p) == 1 &&
		    json_object_object_get_ex(p, "payload", &v) &&
		    json_object_is_type(v, json_type_string))
			(*items)[i] = json_object_get_string(v);
	}
	return 0;
}

/* A phase's time i (0: proposal opens, ...), NULL unless the phase is an object of exactly
 * opens_at and closes_at and this one is a string. */
static const char *
phase_time(struct json_object *body, int i)
{
	struct json_object *phase, *v;

	if (!json_object_object_get_ex(body, i < 2 ? "proposal_phase" : "voting_phase", &phase) ||
	    json_object_object_length(phase) != 2 ||
	    !json_object_object_get_ex(phase, i % 2 == 0 ? "opens_at" : "closes_at", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void
created_cb(void *arg, const struct problem *no, const struct core_decision *d, size_t n)
{
	struct req *r = arg;
	char location[64];

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	snprintf(location, sizeof(location), "/v1/decisions/%s", d->id);
	req_add_header(r, "Location", location);
	req_reply_json(r, 201, decision_json(d));
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
	struct core_decision_new in = {0};
	const char **proposers = NULL, **voters = NULL, **payloads = NULL;
	struct json_object *body, *meta, *v;

	if (req_body(r, fields, sizeof(fields) / sizeof(fields[0]), false, &body) != 0)
		return;
	if (strings_of(json_object_object_get(body, "proposer_franchise"), &proposers,
		       &in.nproposers) != 0 ||
	    strings_of(json_object_object_get(body, "voter_franchise"), &voters, &in.nvoters) != 0 ||
	    payloads_of(json_object_object_get(body, "proposals"), &payloads, &in.nproposals) != 0) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		goto out;
	}
	in.title = body_get_string(body, "title");
	in.method = body_get_string(body, "method");
	if (json_object_object_get_ex(body, "ballot_size", &v))
		in.ballot_size = json_object_get_int(v);
	for (int i = 0; i < 4; i++)
		in.phases[i] = phase_time(body, i);
	in.proposers = proposers;
	in.voters = voters;
	in.proposals = payloads;
	meta = json_object_object_get(body, "metadata");
	in.metadata = meta != NULL ? json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN)
				   : NULL;
	core_decision_create(&r->app->core, &r->who, &in, created_cb, r);
out:
	free(proposers);
	free(voters);
	free(payloads);
	json_object_put(body);
}

static void
got_cb(void *arg, const struct problem *no, const struct core_decision *d, size_t n)
{
	struct req *r = arg;

	if (no != NULL)
		req_reply_refusal(r, no);
	else
		req_reply_json(r, 200, decision_json(d));
}

void
h_decisions_get(struct req *r)
{
	core_decision_get(&r->app->core, &r->who, r->param, got_cb, r);
}

static void
listed_cb(void *arg, const struct problem *no, const struct core_decision *ds, size_t n)
{
	struct req *r = arg;
	struct json_object *o, *list;
	size_t limit = r->state != NULL ? (size_t)*(int *)r->state : 0;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	list = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, decision_json(&ds[i]));
	o = json_object_new_object();
	json_object_object_add(o, "decisions", list);
	if (n == limit && n > 0) {
		/* The cursor: base64url of "created_at id" of the last row. */
		char raw[UTIL_TIME_LEN + UTIL_UUID_LEN + 2], enc[128];
		snprintf(raw, sizeof(raw), "%s %s", ds[n - 1].created_at, ds[n - 1].id);
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
	core_decisions_list(&r->app->core, &r->who, ts[0] ? ts : NULL, ts[0] ? id : NULL, limit,
			    listed_cb, r);
}

static void
franchise_cb(void *arg, const struct problem *no, long long proposers, long long voters)
{
	struct req *r = arg;
	struct json_object *o;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "proposer_franchise", json_object_new_int64(proposers));
	json_object_object_add(o, "voter_franchise", json_object_new_int64(voters));
	req_reply_json(r, 200, o);
}

/* The batch's list of kind ("proposer" or "voter"): {kind}_franchise, or the name it had
 * before (proposers, voters), not both; *field is the name used. -1 after replying. */
static int
franchise_list(struct req *r, struct json_object *body, const char *kind, const char **field,
	       const char ***items, size_t *n)
{
	static const char *const names[2][2] = {{"proposer_franchise", "proposers"},
						 {"voter_franchise", "voters"}};
	const char *const *name = names[strcmp(kind, "voter") == 0];
	struct json_object *v = NULL, *w = NULL;

	json_object_object_get_ex(body, name[0], &v);
	json_object_object_get_ex(body, name[1], &w);
	if (v != NULL && w != NULL) {
		req_reply_problem(r, 422, "invalid-request", "Give %s or its former name %s, not "
				  "both.", name[0], name[1]);
		return -1;
	}
	*field = v != NULL || w == NULL ? name[0] : name[1];
	if (strings_of(v != NULL ? v : w, items, n) != 0) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return -1;
	}
	return 0;
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
	struct core_franchise_batch in = {0};
	const char **proposers = NULL, **voters = NULL;
	struct json_object *body;

	if (req_body(r, fields, sizeof(fields) / sizeof(fields[0]), false, &body) != 0)
		return;
	if (franchise_list(r, body, "proposer", &in.proposers_field, &proposers,
			   &in.nproposers) == 0 &&
	    franchise_list(r, body, "voter", &in.voters_field, &voters, &in.nvoters) == 0) {
		in.proposers = proposers;
		in.voters = voters;
		core_franchise_add(&r->app->core, &r->who, r->param, &in, franchise_cb, r);
	}
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
result_cb(void *arg, const struct problem *no, const struct core_result *res)
{
	struct req *r = arg;
	struct evbuffer *buf;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	if (res->jws == NULL) { /* larger than a chunk */
		download_start(r->app->downloads, r, &res->version,
			       result_cache_control(res->state));
		return;
	}
	if ((buf = evbuffer_new()) == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	evbuffer_add(buf, res->jws, res->jws_len);
	req_add_header(r, "Cache-Control", result_cache_control(res->state));
	req_reply_buffer(r, 200, "application/jose", buf);
	evbuffer_free(buf);
}

void
h_decisions_result(struct req *r)
{
	core_result_get(&r->app->core, r->param, result_cb, r);
}
