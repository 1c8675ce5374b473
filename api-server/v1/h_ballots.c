/* h_ballots — secret ballots: cast or recast during the voting phase, and "have I voted"
 * (core/core_ballots.h, which seals them). */
#include "core/core_ballots.h"
#include "http/http.h"
#include "v1.h"

static void
cast_cb(void *arg, const struct problem *no, const struct core_cast *c)
{
	struct req *r = arg;
	struct json_object *o;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ballot_id", json_object_new_string(c->ballot_id));
	json_object_object_add(o, "replaced", json_object_new_boolean(c->replaced));
	req_add_header(r, "Cache-Control", "no-store");
	req_reply_json(r, 201, o);
}

void
h_ballots_cast(struct req *r)
{
	const struct body_field fields[] = {
		{"payload", BODY_STRING, true, false, 0, 0},
	};
	struct json_object *body, *payload;

	if (req_body(r, fields, 1, false, &body) != 0)
		return;
	payload = json_object_object_get(body, "payload");
	core_ballot_cast(&r->app->core, &r->who, r->param, json_object_get_string(payload),
			 (size_t)json_object_get_string_len(payload), cast_cb, r);
	json_object_put(body);
}

static void
mine_cb(void *arg, const struct problem *no, const struct core_ballot_status *s)
{
	struct req *r = arg;
	struct json_object *o;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "voter", json_object_new_boolean(s->voter));
	json_object_object_add(o, "voted", json_object_new_boolean(s->voted));
	json_object_object_add(o, "ballot_id",
			       s->ballot_id != NULL ? json_object_new_string(s->ballot_id) : NULL);
	req_add_header(r, "Cache-Control", "no-store");
	req_reply_json(r, 200, o);
}

void
h_ballots_mine(struct req *r)
{
	core_ballot_mine(&r->app->core, &r->who, r->param, mine_cb, r);
}
