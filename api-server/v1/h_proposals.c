/* h_proposals — proposals: by proposer-franchise members during the proposal phase;
 * visible to the owning service and the franchise (core/core_proposals.h). */
#include "core/core_proposals.h"
#include "http/http.h"
#include "v1.h"

static void
added_cb(void *arg, const struct problem *no, const char *id, const char *created_at)
{
	struct req *r = arg;
	struct json_object *o;
	char location[128];

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "created_at", json_object_new_string(created_at));
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
	struct json_object *body, *payload;

	if (req_body(r, fields, 1, false, &body) != 0)
		return;
	payload = json_object_object_get(body, "payload");
	core_proposal_add(&r->app->core, &r->who, r->param, json_object_get_string(payload),
			  (size_t)json_object_get_string_len(payload), added_cb, r);
	json_object_put(body);
}

static void
listed_cb(void *arg, const struct problem *no, const struct core_proposal *ps, size_t n)
{
	struct req *r = arg;
	struct json_object *o, *list;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	list = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "id", json_object_new_string(ps[i].id));
		json_object_object_add(p, "proposer", json_object_new_string(ps[i].proposer));
		if (r->who.kind == PRINCIPAL_SERVICE)
			json_object_object_add(p, "proposer_account",
					       ps[i].proposer_account != NULL
						       ? json_object_new_string(ps[i].proposer_account)
						       : NULL);
		else
			json_object_object_add(p, "mine", json_object_new_boolean(ps[i].mine));
		json_object_object_add(p, "payload", json_object_new_string(ps[i].payload));
		json_object_object_add(p, "created_at", json_object_new_string(ps[i].created_at));
		json_object_array_add(list, p);
	}
	o = json_object_new_object();
	json_object_object_add(o, "proposals", list);
	req_reply_json(r, 200, o);
}

void
h_proposals_list(struct req *r)
{
	core_proposals_list(&r->app->core, &r->who, r->param, listed_cb, r);
}
