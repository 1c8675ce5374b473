/* h_proposals — proposals: by proposer-franchise members during the proposal phase;
 * visible to the owning service and the franchise. */
#include <stdlib.h>
#include <string.h>

#include "core/store_decisions.h"
#include "decision_view.h"
#include "http/http.h"
#include "v1.h"

static void
added_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct json_object *o;
	char location[128];

	if (res->status != DB_OK) {
		dv_reply_error(r, res);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(r->state));
	json_object_object_add(o, "created_at",
			       json_object_new_string(PQgetvalue(res->res, 0, 0)));
	snprintf(location, sizeof(location), "/v1/decisions/%s/proposals", r->param);
	req_add_header(r, "Location", location);
	req_reply_json(r, 201, o);
}

void
h_proposals_create(struct req *r)
{
	const struct body_field fields[] = {
		{"payload", BODY_STRING, true, false, 0, 0},
	};
	struct decision_bounds b = {r->app->cfg->max_document_size, r->app->cfg->count_result_max};
	struct json_object *body;
	unsigned char *payload;
	char *id;
	int len;

	if (req_body(r, fields, 1, false, &body) != 0)
		return;
	payload = dv_payload(r, body, &len);
	json_object_put(body);
	if (payload == NULL)
		return;
	if ((id = malloc(UTIL_UUID_LEN + 1)) == NULL || util_uuid_v4(id) != 0) {
		free(id);
		free(payload);
		req_reply_problem(r, 500, "internal-error", "Could not make a proposal id.");
		return;
	}
	r->state = id;
	r->state_free = free;
	store_proposal_add(r->app->db, r->param, r->who.account_id, id, payload, len,
			   r->app->cfg->max_proposals, &b, added_cb, r);
	free(payload);
}

static void
list_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct json_object *o, *list;
	char pseudonym[CRYPTO_PSEUDONYM_LEN + 1];

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	if (PQntuples(res->res) == 0) {
		req_reply_problem(r, 404, "not-found", "There is no such decision.");
		return;
	}
	list = json_object_new_array();
	for (int i = 0; i < PQntuples(res->res) && !PQgetisnull(res->res, i, 0); i++) {
		struct json_object *p = json_object_new_object();
		bool by_service = PQgetisnull(res->res, i, 1);
		json_object_object_add(p, "id", json_object_new_string(PQgetvalue(res->res, i, 0)));
		if (by_service)
			pseudonym[0] = '\0';
		else
			crypto_pseudonym(r->param, PQgetvalue(res->res, i, 1), pseudonym);
		json_object_object_add(p, "proposer", json_object_new_string(pseudonym));
		if (r->who.kind == PRINCIPAL_SERVICE)
			json_object_object_add(p, "proposer_account",
					       by_service ? NULL
							  : json_object_new_string(
								    PQgetvalue(res->res, i, 1)));
		else
			json_object_object_add(
				p, "mine",
				json_object_new_boolean(!by_service &&
							strcmp(PQgetvalue(res->res, i, 1),
							       r->who.account_id) == 0));
		json_object_object_add(p, "payload",
				       json_object_new_string(PQgetvalue(res->res, i, 2)));
		json_object_object_add(p, "created_at",
				       json_object_new_string(PQgetvalue(res->res, i, 3)));
		json_object_array_add(list, p);
	}
	o = json_object_new_object();
	json_object_object_add(o, "proposals", list);
	req_reply_json(r, 200, o);
}

void
h_proposals_list(struct req *r)
{
	bool svc = r->who.kind == PRINCIPAL_SERVICE;

	store_proposals_list(r->app->db, r->param, svc ? r->who.service_id : NULL,
			     svc ? NULL : r->who.account_id, list_cb, r);
}
