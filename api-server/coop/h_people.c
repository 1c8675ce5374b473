/* h_people — POST /coop/v1/people: anyone signs up (limited per client address; the
 * operator can close sign-up). FreeCoop creates the person's core account as its service
 * and records the id and name; the person then claims their tokens at the core
 * (/v1/accounts/{id}/authorization-token, /v1/access-tokens) and calls FreeCoop with the
 * same access token they vote with. FreeCoop never holds a token. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "coop.h"
#include "http/http.h"
#include "store.h"

static const struct body_field signup_fields[] = {
	{"name", BODY_STRING, true, false, 1, 200},
};

/* A sign-up across its steps. */
struct signup {
	struct req *r;
	struct coop *c;
	char *name;
	char id[UTIL_UUID_LEN + 1];
};

static void
signup_free(void *p)
{
	struct signup *s = p;

	free(s->name);
	free(s);
}

static void
recorded_cb(void *arg, const struct problem *no, const char *created_at)
{
	struct signup *s = arg;
	struct json_object *o;

	if (no != NULL) {
		req_reply_refusal(s->r, no);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(s->id));
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "created_at", json_object_new_string(created_at));
	req_reply_json(s->r, 201, o);
}

static void
account_cb(void *arg, const struct problem *no, const struct core_account *a)
{
	struct signup *s = arg;

	if (no != NULL) {
		req_reply_refusal(s->r, no);
		return;
	}
	memcpy(s->id, a->id, sizeof(s->id) - 1);
	coop_store_person_add(s->c->app->db, s->id, s->name, recorded_cb, s);
}

static void
open_cb(void *arg, const struct problem *no, bool open)
{
	struct signup *s = arg;

	if (no != NULL)
		req_reply_refusal(s->r, no);
	else if (!open)
		req_reply_problem(s->r, 403, "signup-closed",
				  "Sign-up is closed on this instance; ask its operator.");
	else
		core_account_create(s->c->core, &s->c->service, s->name, account_cb, s);
}

void
h_coop_people_create(struct req *r)
{
	struct coop *c = coop_of(r);
	struct json_object *body;
	struct signup *s;

	if (c == NULL || req_body(r, signup_fields, 1, false, &body) != 0)
		return;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->name = strdup(body_get_string(body, "name"))) == NULL) {
		free(s);
		json_object_put(body);
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	json_object_put(body);
	s->r = r;
	s->c = c;
	r->state = s;
	r->state_free = signup_free;
	coop_store_signup_open(c->app->db, open_cb, s);
}
