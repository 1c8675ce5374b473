/* h_groups — FreeCoop's groups over HTTP: found one (POST /coop/v1/groups), and what a
 * member reads of it (the group, its members, its charter and its versions, its log), and
 * GET /coop/v1/me: HTTP and JSON in, the group operations (groups.h), JSON out. */
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "coop.h"
#include "decisions.h"
#include "groups.h"
#include "http/http.h"

static const struct body_field found_fields[] = {
	{"name", BODY_STRING, true, false, 1, 200},
	{"charter", BODY_OBJECT, false, false, 0, 0},
};

static void
founded_cb(void *arg, const struct problem *no, const char *pointer, const char *json)
{
	coop_reply(arg, 201, no, pointer, json);
}

static void
read_cb(void *arg, const struct problem *no, const char *pointer, const char *json)
{
	coop_reply(arg, 200, no, pointer, json);
}

void
h_coop_groups_found(struct req *r)
{
	struct coop *c = coop_of(r);
	struct json_object *body, *charter = NULL;

	if (c == NULL || req_body(r, found_fields, 2, false, &body) != 0)
		return;
	json_object_object_get_ex(body, "charter", &charter);
	groups_found(c, &r->who, body_get_string(body, "name"), charter, founded_cb, r);
	json_object_put(body);
}

void
h_coop_groups_get(struct req *r)
{
	struct coop *c = coop_of(r);

	if (c != NULL)
		groups_get(c, &r->who, r->param, read_cb, r);
}

void
h_coop_groups_members(struct req *r)
{
	struct coop *c = coop_of(r);

	if (c != NULL)
		groups_members(c, &r->who, r->param, read_cb, r);
}

void
h_coop_groups_charter(struct req *r)
{
	struct coop *c = coop_of(r);

	if (c != NULL)
		groups_charter(c, &r->who, r->param, r->param2[0] != '\0' ? atoi(r->param2) : 0,
			       read_cb, r);
}

/* The log is sent as stored: each entry the very bytes that were signed. */
static void
log_cb(void *arg, const struct problem *no, const char *pointer, const char *json)
{
	struct req *r = arg;
	struct evbuffer *buf;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	if ((buf = evbuffer_new()) == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	evbuffer_add(buf, json, strlen(json));
	evbuffer_add(buf, "\n", 1);
	req_reply_buffer(r, 200, "application/json", buf);
	evbuffer_free(buf);
}

void
h_coop_groups_log(struct req *r)
{
	struct coop *c = coop_of(r);
	long long after;

	if (c != NULL && coop_query_after(r, &after) == 0)
		groups_log(c, &r->who, r->param, after, log_cb, r);
}

/* GET /coop/v1/me comes written as every answer is: sent as it is. */
static void
me_cb(void *arg, const struct problem *no, const char *pointer, const char *json)
{
	coop_reply_written(arg, 200, no, pointer, json);
}

void
h_coop_me(struct req *r)
{
	struct coop *c = coop_of(r);

	if (c != NULL)
		groups_me(c, &r->who, me_cb, r);
}

static const struct body_field apply_fields[] = {
	{"message", BODY_STRING, false, true, 0, 2000},
};

static void
applied_cb(void *arg, const struct problem *no, const char *pointer, const char *json)
{
	coop_reply(arg, 201, no, pointer, json);
}

void
h_coop_groups_apply(struct req *r)
{
	struct coop *c = coop_of(r);
	struct json_object *body;

	if (c == NULL || req_body(r, apply_fields, 1, true, &body) != 0)
		return;
	groups_apply(c, &r->who, r->param, body != NULL ? body_get_string(body, "message") : NULL,
		     applied_cb, r);
	json_object_put(body);
}

void
h_coop_groups_applications(struct req *r)
{
	struct coop *c = coop_of(r);

	if (c != NULL)
		groups_applications(c, &r->who, r->param, read_cb, r);
}

static const struct body_field start_fields[] = {
	{"type", BODY_STRING, true, false, 1, 32},
	{"title", BODY_STRING, true, false, 1, 200},
	{"proposals", BODY_ARRAY, true, false, 1, DECISIONS_MAX_ACTIONS},
};

static void
started_cb(void *arg, const struct problem *no, const char *pointer, const char *json)
{
	coop_reply(arg, 201, no, pointer, json);
}

void
h_coop_decisions_start(struct req *r)
{
	struct coop *c = coop_of(r);
	struct json_object *body, *actions = NULL;

	if (c == NULL || req_body(r, start_fields, 3, false, &body) != 0)
		return;
	json_object_object_get_ex(body, "proposals", &actions);
	decisions_start(c, &r->who, r->param, body_get_string(body, "type"),
			body_get_string(body, "title"), actions, started_cb, r);
	json_object_put(body);
}

void
h_coop_decisions_list(struct req *r)
{
	struct coop *c = coop_of(r);

	if (c != NULL)
		decisions_list(c, &r->who, r->param, read_cb, r);
}

static const struct body_field comment_fields[] = {
	{"text", BODY_STRING, true, false, 1, 0}, /* longer than a comment may be: 413 */
};

void
h_coop_comments_add(struct req *r)
{
	struct coop *c = coop_of(r);
	struct json_object *body;

	if (c == NULL || req_body(r, comment_fields, 1, false, &body) != 0)
		return;
	decisions_comment(c, &r->who, r->param, r->param2, body_get_string(body, "text"),
			  started_cb, r);
	json_object_put(body);
}

void
h_coop_comments_list(struct req *r)
{
	struct coop *c = coop_of(r);

	if (c != NULL)
		decisions_comments(c, &r->who, r->param, r->param2, read_cb, r);
}

static void
result_cb(void *arg, const struct problem *no, const char *pointer, const char *jws)
{
	(void)pointer;
	/* members only, and never changed once kept */
	coop_reply_text(arg, no, jws, "application/jose", "Cache-Control", "private, max-age=3600");
}

void
h_coop_decisions_result(struct req *r)
{
	struct coop *c = coop_of(r);

	if (c != NULL)
		decisions_result(c, &r->who, r->param, r->param2, result_cb, r);
}
