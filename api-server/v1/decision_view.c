/* decision_view — the JSON of a decision, pseudonyms, rule problems and the key cache. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "core/keys.h"
#include "core/store_decisions.h"
#include "decision_view.h"
#include "log.h"

static struct json_object *
str_or_null(const PGresult *res, int i, int col)
{
	return PQgetisnull(res, i, col) ? NULL : json_object_new_string(PQgetvalue(res, i, col));
}

static struct json_object *
phase_json(const PGresult *res, int i, int opens)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "opens_at", str_or_null(res, i, opens));
	json_object_object_add(o, "closes_at", str_or_null(res, i, opens + 1));
	return o;
}

static struct json_object *
count_json(const PGresult *res, int i, int col)
{
	return json_object_new_int64(strtoll(PQgetvalue(res, i, col), NULL, 10));
}

static struct json_object *
bool_json(const PGresult *res, int i, int col)
{
	return json_object_new_boolean(strcmp(PQgetvalue(res, i, col), "t") == 0);
}

/* The counts and, for a franchise member, what the caller may do. */
static void
add_counts(struct json_object *o, const PGresult *res, int i)
{
	struct json_object *c = json_object_new_object(), *you;

	json_object_object_add(c, "proposer_franchise", count_json(res, i, DC_NCOLS));
	json_object_object_add(c, "voter_franchise", count_json(res, i, DC_NCOLS + 1));
	json_object_object_add(c, "proposals", count_json(res, i, DC_NCOLS + 2));
	json_object_object_add(c, "voted", count_json(res, i, DC_NCOLS + 3));
	json_object_object_add(o, "counts", c);
	if (PQgetisnull(res, i, DC_NCOLS + 4))
		return;
	you = json_object_new_object();
	json_object_object_add(you, "proposer", bool_json(res, i, DC_NCOLS + 4));
	json_object_object_add(you, "voter", bool_json(res, i, DC_NCOLS + 5));
	json_object_object_add(you, "voted", bool_json(res, i, DC_NCOLS + 6));
	json_object_object_add(o, "you", you);
}

struct json_object *
dv_decision_json(const PGresult *res, int i, bool with_counts)
{
	struct json_object *o = json_object_new_object(), *m = json_object_new_object();
	const char *state = PQgetvalue(res, i, DC_STATE);
	char url[96];

	json_object_object_add(o, "id", json_object_new_string(PQgetvalue(res, i, DC_ID)));
	json_object_object_add(o, "title", json_object_new_string(PQgetvalue(res, i, DC_TITLE)));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(m, "id", json_object_new_string(PQgetvalue(res, i, DC_METHOD_ID)));
	json_object_object_add(m, "name",
			       json_object_new_string(PQgetvalue(res, i, DC_METHOD_NAME)));
	json_object_object_add(o, "method", m);
	json_object_object_add(o, "proposal_phase", phase_json(res, i, DC_PROPOSAL_OPENS));
	json_object_object_add(o, "voting_phase", phase_json(res, i, DC_VOTING_OPENS));
	json_object_object_add(o, "metadata",
			       PQgetisnull(res, i, DC_METADATA)
				       ? NULL
				       : json_tokener_parse(PQgetvalue(res, i, DC_METADATA)));
	json_object_object_add(o, "service",
			       json_object_new_string(PQgetvalue(res, i, DC_SERVICE)));
	json_object_object_add(o, "created_at", str_or_null(res, i, DC_CREATED));
	json_object_object_add(o, "concluded_at", str_or_null(res, i, DC_CONCLUDED));
	snprintf(url, sizeof(url), "/v1/decisions/%s/result", PQgetvalue(res, i, DC_ID));
	json_object_object_add(o, "result",
			       PQgetisnull(res, i, DC_CONCLUDED) ||
					       strcmp(PQgetvalue(res, i, DC_PURGED), "t") == 0
				       ? NULL
				       : json_object_new_string(url));
	json_object_object_add(o, "ballot_size",
			       PQgetisnull(res, i, DC_BALLOT_SIZE)
				       ? NULL
				       : count_json(res, i, DC_BALLOT_SIZE));
	if (with_counts)
		add_counts(o, res, i);
	return o;
}

/* detail: the problem's text, or NULL for the database's own message. */
static const struct {
	const char *sqlstate;
	int status;
	const char *slug;
	const char *detail;
} rule_problems[] = {
	{"FCNF0", 404, "not-found", "There is no such decision."},
	{"FCFB0", 403, "not-enfranchised", NULL},
	{"FCPH0", 409, "outside-phase", NULL},
	{"FCAC0", 422, "foreign-account", NULL},
	{"FCMT0", 422, "method-not-usable", NULL},
	{"FCLM0", 409, "limit-reached", NULL},
	{"FCDS0", 422, "document-too-large", NULL},
};

void
dv_reply_error(struct req *r, const struct db_result *res)
{
	const char *msg;

	if (res->status == DB_FAILED) {
		msg = PQresultErrorField(res->res, PG_DIAG_MESSAGE_PRIMARY);
		for (size_t i = 0; i < sizeof(rule_problems) / sizeof(rule_problems[0]); i++) {
			if (strcmp(res->sqlstate, rule_problems[i].sqlstate) != 0)
				continue;
			if (rule_problems[i].detail != NULL)
				req_reply_problem(r, rule_problems[i].status, rule_problems[i].slug,
						  "%s", rule_problems[i].detail);
			else if (msg != NULL && *msg != '\0') /* PostgreSQL style: a capital */
				req_reply_problem(r, rule_problems[i].status, rule_problems[i].slug,
						  "%c%s.", toupper((unsigned char)*msg), msg + 1);
			else
				req_reply_problem(r, rule_problems[i].status, rule_problems[i].slug,
						  "Refused.");
			return;
		}
	}
	req_reply_db_error(r, res);
}

char *
dv_uuid_array(struct req *r, struct json_object *arr, const char *field)
{
	size_t n = arr != NULL ? json_object_array_length(arr) : 0;
	char *lit = malloc(3 + n * (UTIL_UUID_LEN + 1)), *p = lit;

	if (lit == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return NULL;
	}
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(v, json_type_string) ||
		    !util_uuid_parse(json_object_get_string(v), p)) {
			free(lit);
			req_reply_problem(r, 422, "invalid-request",
					  "Item %zu of %s is not an account id (a UUID).", i, field);
			return NULL;
		}
		p += UTIL_UUID_LEN;
		*p++ = ',';
	}
	if (n > 0)
		p--;
	*p++ = '}';
	*p = '\0';
	return lit;
}

/* Decodes the body's base64 "payload" member into a new buffer (caller frees); replies
 * 422 (or 500) and returns NULL when it is not base64 of at most max_payload_size bytes. */
unsigned char *
dv_payload(struct req *r, struct json_object *body, int *len)
{
	struct json_object *v = json_object_object_get(body, "payload");
	size_t max = (size_t)r->app->cfg->max_payload_size;
	size_t slen = (size_t)json_object_get_string_len(v);
	unsigned char *p;
	ssize_t n;

	if (b64_decoded_max(slen) > max + 3) { /* more than max bytes, whatever the padding */
		req_reply_problem(r, 413, "payload-too-large",
				  "The payload may hold at most %zu bytes.", max);
		return NULL;
	}
	if ((p = malloc(b64_decoded_max(slen) + 1)) == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return NULL;
	}
	n = b64_decode(json_object_get_string(v), slen, p, b64_decoded_max(slen), false);
	if (n < 0 || (size_t)n > max) {
		free(p);
		if (n < 0)
			req_reply_problem(r, 422, "invalid-request",
					  "The payload must be standard base64 (with padding).");
		else
			req_reply_problem(r, 413, "payload-too-large",
					  "The payload may hold at most %zu bytes.", max);
		return NULL;
	}
	*len = (int)n;
	return p;
}

/* ---- the decision key cache: direct-mapped by a hash of the decision id ---- */

struct key_entry {
	char id[UTIL_UUID_LEN + 1];
	struct dv_keys k;
};

static struct key_entry *key_cache;
static size_t key_cache_size;

static struct key_entry *
key_slot(const char *id)
{
	unsigned char h[UTIL_SHA256_LEN];
	size_t x;

	util_sha256(id, strlen(id), h);
	memcpy(&x, h, sizeof(x));
	return &key_cache[x % key_cache_size];
}

struct key_wait {
	struct req *r;
	dv_key_cb cb;
};

static void
key_cb(const struct db_result *res, void *arg)
{
	struct key_wait *w = arg;
	struct req *r = w->r;
	dv_key_cb cb = w->cb;
	unsigned char wrapped[CRYPTO_WRAPPED_LEN];
	struct dv_keys k;

	free(w);
	if (!req_found(r, res, "There is no such decision."))
		return;
	if (PQgetisnull(res->res, 0, 0)) { /* purged: the key is gone */
		cb(r, NULL);
		return;
	}
	k.ballot_size = atoi(PQgetvalue(res->res, 0, 1));
	if (!util_unhex(PQgetvalue(res->res, 0, 0), wrapped, sizeof(wrapped)) ||
	    crypto_deckey_open(r->app->keys->master, r->param, wrapped, sizeof(wrapped), &k.k) != 0) {
		req_log(r, LOGL_ERROR, "the data key of decision %s does not open with the master "
			"key", r->param);
		req_reply_problem(r, 500, "internal-error", "The decision's key does not open.");
		return;
	}
	if (key_cache != NULL) {
		struct key_entry *e = key_slot(r->param);
		snprintf(e->id, sizeof(e->id), "%.36s", r->param);
		e->k = k;
	}
	cb(r, &k);
	crypto_deckey_wipe(&k.k);
}

void
dv_decision_keys(struct req *r, dv_key_cb cb)
{
	struct key_wait *w;

	if (key_cache == NULL) {
		key_cache_size = (size_t)r->app->cfg->decision_key_cache;
		key_cache = calloc(key_cache_size, sizeof(*key_cache));
	}
	if (key_cache != NULL) {
		struct key_entry *e = key_slot(r->param);
		if (strcmp(e->id, r->param) == 0) {
			cb(r, &e->k);
			return;
		}
	}
	if ((w = malloc(sizeof(*w))) == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	*w = (struct key_wait){r, cb};
	store_decision_key(r->app->db, r->param, key_cb, w);
}

void
dv_keys_cleanup(void)
{
	if (key_cache != NULL)
		OPENSSL_cleanse(key_cache, key_cache_size * sizeof(*key_cache));
	free(key_cache);
	key_cache = NULL;
}
