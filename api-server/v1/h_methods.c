/* h_methods — voting methods: submission with an auditor's signature, listing, reading.
 *
 * A submission is checked in order: the body, the auditor (an unrevoked code auditor),
 * the Ed25519 signature over the exact code bytes, then — for code not stored yet — the
 * count-worker's VALIDATE. Only then is anything stored. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "core/crypto.h"
#include "core/store_methods.h"
#include "http/http.h"
#include "log.h"
#include "v1.h"
#include "worker/worker.h"


/* What a submission carries across its callbacks. */
struct submission {
	char id[2 * UTIL_SHA256_LEN + 1];
	char auditor[UTIL_UUID_LEN + 1];
	unsigned char sig[CRYPTO_SIG_LEN];
	char *name;
	char *code;
	size_t code_len;
	bool created;
	struct worker_job *job;
};

static void
submission_free(void *p)
{
	struct submission *s = p;

	if (s->job != NULL)
		worker_job_cancel(s->job);
	free(s->name);
	free(s->code);
	free(s);
}

/* A signature list (JSON text from the store) as an array, and the kids that count. */
static struct json_object *
signatures_parse(const char *text, struct json_object **auditors)
{
	struct json_object *sigs = json_tokener_parse(text);
	size_t n = sigs != NULL ? json_object_array_length(sigs) : 0;

	*auditors = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(sigs, i), *v;
		if (json_object_object_get_ex(s, "revoked", &v) && !json_object_get_boolean(v) &&
		    json_object_object_get_ex(s, "auditor", &v))
			json_object_array_add(*auditors, json_object_get(v));
	}
	return sigs != NULL ? sigs : json_object_new_array();
}

/* {id, name, created_at, auditors} from row i, plus code and signatures when full. The
 * row is id, name, [code,] created_at, signatures: has_code says whether code is there. */
static struct json_object *
method_json(const PGresult *res, int i, bool has_code, bool full)
{
	struct json_object *o = json_object_new_object(), *auditors;
	int c = has_code ? 3 : 2;
	struct json_object *sigs = signatures_parse(PQgetvalue(res, i, c + 1), &auditors);

	json_object_object_add(o, "id", json_object_new_string(PQgetvalue(res, i, 0)));
	json_object_object_add(o, "name", json_object_new_string(PQgetvalue(res, i, 1)));
	if (full && has_code)
		json_object_object_add(o, "code", json_object_new_string_len(
							  PQgetvalue(res, i, 2), PQgetlength(res, i, 2)));
	json_object_object_add(o, "created_at", json_object_new_string(PQgetvalue(res, i, c)));
	json_object_object_add(o, "auditors", auditors);
	if (full)
		json_object_object_add(o, "signatures", sigs);
	else
		json_object_put(sigs);
	return o;
}

static void
submitted_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct submission *s = r->state;
	struct json_object *o;
	char location[128];

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	if (PQntuples(res->res) != 1) {
		req_reply_problem(r, 500, "internal-error", "The method vanished once stored.");
		return;
	}
	o = method_json(res->res, 0, true, false);
	snprintf(location, sizeof(location), "/v1/voting-methods/%s", s->id);
	req_add_header(r, "Location", location);
	req_reply_json(r, s->created ? 201 : 200, o);
}

static void
stored_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct submission *s = r->state;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	s->created = strcmp(PQgetvalue(res->res, 0, 0), "1") == 0;
	req_log(r, LOGL_INFO, "voting method %s %s, signed by auditor %s", s->id,
		s->created ? "stored" : "already known", s->auditor);
	store_method_get(r->app->db, s->id, submitted_cb, r);
}

static void
store_submission(struct req *r)
{
	struct submission *s = r->state;

	store_method_add(r->app->db, s->id, s->name, s->code, s->code_len, s->auditor, s->sig,
			 stored_cb, r);
}

static void
validated_cb(const struct worker_answer *a, void *arg)
{
	struct req *r = arg;
	struct submission *s = r->state;

	s->job = NULL;
	switch (a->status) {
	case WORKER_OK:
		store_submission(r);
		return;
	case WORKER_FAILED:
		if (a->kind == WIRE_ERR_INTERNAL)
			break; /* the worker's trouble, not the code's */
		req_reply_problem(r, 422, "invalid-method",
				  "The count-worker rejected the code (%s): %s",
				  wire_error_kind_name(a->kind), a->message);
		return;
	case WORKER_UNAVAILABLE:
		break;
	}
	req_reply_problem(r, 503, "worker-unavailable",
			  "The count-worker could not check the code now; try again.");
}

static void
auditor_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct submission *s = r->state;
	unsigned char pub[CRYPTO_PUB_LEN];
	const char *hex;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	if (PQntuples(res->res) != 1) {
		req_reply_problem(r, 422, "unknown-auditor",
				  "Authority %s is not an unrevoked code auditor.", s->auditor);
		return;
	}
	hex = PQgetvalue(res->res, 0, 0);
	if (!util_unhex(hex, pub, sizeof(pub))) {
		req_reply_problem(r, 500, "internal-error", "The auditor's key is malformed.");
		return;
	}
	if (!crypto_ed25519_verify(pub, s->code, s->code_len, s->sig)) {
		req_reply_problem(r, 422, "invalid-signature",
				  "The signature is not auditor %s's Ed25519 signature of the "
				  "exact UTF-8 bytes of the code.", s->auditor);
		return;
	}
	if (strcmp(PQgetvalue(res->res, 0, 1), "t") == 0) {
		store_submission(r); /* known code: it was checked when first submitted */
		return;
	}
	s->job = worker_validate(r->app->worker, s->code, s->code_len,
				 (uint32_t)r->app->cfg->method_validate_ms, validated_cb, r);
	if (s->job == NULL)
		req_reply_problem(r, 500, "internal-error", "Could not queue the code check.");
}

/* Fills s from the body; replies and returns -1 on a bad field. */
static int
submission_init(struct req *r, struct json_object *body, struct submission *s)
{
	struct json_object *code = json_object_object_get(body, "code");
	const char *sig = body_get_string(body, "signature");
	unsigned char digest[UTIL_SHA256_LEN];

	s->code_len = (size_t)json_object_get_string_len(code);
	if (s->code_len > (size_t)r->app->cfg->max_method_size) {
		req_reply_problem(r, 413, "method-too-large", "The code is %zu bytes; at most %d "
				  "are accepted.", s->code_len, r->app->cfg->max_method_size);
		return -1;
	}
	if (memchr(json_object_get_string(code), '\0', s->code_len) != NULL) {
		req_reply_problem(r, 422, "invalid-method", "The code contains a NUL character.");
		return -1;
	}
	if (b64_decode(sig, strlen(sig), s->sig, sizeof(s->sig), false) != CRYPTO_SIG_LEN) {
		req_reply_problem(r, 422, "invalid-signature", "The signature must be the standard "
				  "base64 of a 64-byte Ed25519 signature.");
		return -1;
	}
	s->name = strdup(body_get_string(body, "name"));
	s->code = malloc(s->code_len + 1);
	if (s->name == NULL || s->code == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return -1;
	}
	memcpy(s->code, json_object_get_string(code), s->code_len + 1);
	util_sha256(s->code, s->code_len, digest);
	util_hex(digest, sizeof(digest), s->id);
	util_uuid_parse(body_get_string(body, "auditor"), s->auditor);
	return 0;
}

void
h_methods_submit(struct req *r)
{
	const struct body_field fields[] = {
		{"name", BODY_STRING, true, false, 1, 200},
		{"code", BODY_STRING, true, false, 1, 0}, /* bytes: max_method_size */
		{"auditor", BODY_UUID, true, false, 0, 0},
		{"signature", BODY_STRING, true, false, 1, 200},
	};
	struct json_object *body;
	struct submission *s;

	if (req_body(r, fields, sizeof(fields) / sizeof(fields[0]), false, &body) != 0)
		return;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		json_object_put(body);
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	r->state = s;
	r->state_free = submission_free;
	if (submission_init(r, body, s) == 0)
		store_method_auditor(r->app->db, s->auditor, s->id, auditor_cb, r);
	json_object_put(body);
}

static void
list_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct json_object *o, *list;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	list = json_object_new_array();
	for (int i = 0; i < PQntuples(res->res); i++)
		json_object_array_add(list, method_json(res->res, i, false, false));
	o = json_object_new_object();
	json_object_object_add(o, "voting_methods", list);
	req_reply_json(r, 200, o);
}

void
h_methods_list(struct req *r)
{
	store_methods_list(r->app->db, list_cb, r);
}

static void
get_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;

	if (!req_found(r, res, "There is no voting method with this id."))
		return;
	req_reply_json(r, 200, method_json(res->res, 0, true, true));
}

void
h_methods_get(struct req *r)
{
	store_method_get(r->app->db, r->param, get_cb, r);
}
