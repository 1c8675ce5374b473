/* h_webhook — a service's webhook: PUT /v1/webhook sets it (the answer is the only place
 * its secret ever appears), GET shows it with its delivery state, DELETE removes it:
 * HTTP and JSON in, the core's webhook operations (core/core_webhooks.h), JSON out. */
#include "core/core_webhooks.h"
#include "http/http.h"
#include "v1.h"

/* The URL's own checks (core_webhook_set) name what is wrong with it. */
static const struct body_field put_fields[] = {
	{"url", BODY_STRING, true, false, 1, 0},
};

static struct json_object *
string_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static void
set_cb(void *arg, const struct problem *no, const struct core_webhook *w)
{
	struct req *r = arg;
	struct json_object *o;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "url", json_object_new_string(w->url));
	json_object_object_add(o, "secret", json_object_new_string(w->secret));
	json_object_object_add(o, "created_at", json_object_new_string(w->created_at));
	req_add_header(r, "Cache-Control", "no-store");
	req_reply_json(r, w->created ? 201 : 200, o);
}

void
h_webhook_put(struct req *r)
{
	struct json_object *body;

	if (req_body(r, put_fields, 1, false, &body) != 0)
		return;
	core_webhook_set(&r->app->core, &r->who, body_get_string(body, "url"), set_cb, r);
	json_object_put(body);
}

static void
got_cb(void *arg, const struct problem *no, const struct core_webhook *w)
{
	struct req *r = arg;
	struct json_object *o, *d;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	o = json_object_new_object();
	d = json_object_new_object();
	json_object_object_add(o, "url", json_object_new_string(w->url));
	json_object_object_add(o, "created_at", json_object_new_string(w->created_at));
	json_object_object_add(d, "queued", json_object_new_int64(w->queued));
	json_object_object_add(d, "failed", json_object_new_int64(w->failed));
	json_object_object_add(d, "last_success_at", string_or_null(w->last_success_at));
	json_object_object_add(d, "last_failure_at", string_or_null(w->last_failure_at));
	json_object_object_add(d, "last_failure", string_or_null(w->last_failure));
	json_object_object_add(o, "delivery", d);
	req_reply_json(r, 200, o);
}

void
h_webhook_get(struct req *r)
{
	core_webhook_get(&r->app->core, &r->who, got_cb, r);
}

void
h_webhook_delete(struct req *r)
{
	core_webhook_delete(&r->app->core, &r->who, req_reply_done, r);
}
