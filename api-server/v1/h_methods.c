/* h_methods — voting methods: submission with an auditor's signature, listing, reading
 * (core/core_methods.h). */
#include <string.h>

#include "core/core_methods.h"
#include "http/http.h"
#include "v1.h"

/* {id, name, created_at, auditors}, plus code and signatures when full. Auditors are the
 * signers still in good standing. */
static struct json_object *
method_json(const struct core_method *m, bool full)
{
	struct json_object *o = json_object_new_object(), *auditors = json_object_new_array();
	struct json_object *sigs = json_object_new_array();

	for (size_t i = 0; i < m->nsignatures; i++) {
		const struct core_signature *s = &m->signatures[i];
		struct json_object *j = json_object_new_object();

		if (!s->revoked)
			json_object_array_add(auditors, json_object_new_string(s->auditor));
		json_object_object_add(j, "auditor", json_object_new_string(s->auditor));
		json_object_object_add(j, "signature", json_object_new_string(s->signature));
		json_object_object_add(j, "created_at", json_object_new_string(s->created_at));
		json_object_object_add(j, "revoked", json_object_new_boolean(s->revoked));
		json_object_array_add(sigs, j);
	}
	json_object_object_add(o, "id", json_object_new_string(m->id));
	json_object_object_add(o, "name", json_object_new_string(m->name));
	if (full && m->code != NULL)
		json_object_object_add(o, "code",
				       json_object_new_string_len(m->code, (int)m->code_len));
	json_object_object_add(o, "created_at", json_object_new_string(m->created_at));
	json_object_object_add(o, "auditors", auditors);
	if (full)
		json_object_object_add(o, "signatures", sigs);
	else
		json_object_put(sigs);
	return o;
}

static void
submitted_cb(void *arg, const struct problem *no, const struct core_method *m, bool created)
{
	struct req *r = arg;
	char location[128];

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	snprintf(location, sizeof(location), "/v1/voting-methods/%s", m->id);
	req_add_header(r, "Location", location);
	req_reply_json(r, created ? 201 : 200, method_json(m, false));
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
	struct core_method_submission in;
	char auditor[UTIL_UUID_LEN + 1];
	struct json_object *body, *code;

	if (req_body(r, fields, sizeof(fields) / sizeof(fields[0]), false, &body) != 0)
		return;
	code = json_object_object_get(body, "code");
	util_uuid_parse(body_get_string(body, "auditor"), auditor);
	in.name = body_get_string(body, "name");
	in.code = json_object_get_string(code);
	in.code_len = (size_t)json_object_get_string_len(code);
	in.auditor = auditor;
	in.signature = body_get_string(body, "signature");
	core_method_submit(&r->app->core, &in, submitted_cb, r);
	json_object_put(body);
}

static void
listed_cb(void *arg, const struct problem *no, const struct core_method *ms, size_t n)
{
	struct req *r = arg;
	struct json_object *o, *list;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	list = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, method_json(&ms[i], false));
	o = json_object_new_object();
	json_object_object_add(o, "voting_methods", list);
	req_reply_json(r, 200, o);
}

void
h_methods_list(struct req *r)
{
	core_methods_list(&r->app->core, listed_cb, r);
}

static void
got_cb(void *arg, const struct problem *no, const struct core_method *m, size_t n)
{
	struct req *r = arg;

	if (no != NULL)
		req_reply_refusal(r, no);
	else
		req_reply_json(r, 200, method_json(m, true));
}

void
h_methods_get(struct req *r)
{
	core_method_get(&r->app->core, r->param, got_cb, r);
}
