/* decisions — starting a group's decisions, and listing them (see the header). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "b64.h"
#include "books.h"
#include "charter.h"
#include "config.h"
#include "decisions.h"
#include "glog.h"
#include "store.h"
#include "util.h"

#define TEXT_MAX 10000

/* A start across its steps. */
struct start {
	struct coop *c;
	groups_cb cb;
	void *arg;
	char gid[UTIL_UUID_LEN + 1], who[UTIL_UUID_LEN + 1];
	char *type, *title;
	struct json_object *actions; /* owned */
	struct json_object *ctx;     /* the group's charter, the caller's roles, the holders */
	struct charter_type t;
	char version[16];
	char phases[4][40];
	char **payloads; /* base64 of each action's canonical JSON */
	size_t npayloads;
	const char **proposers, **voters;
	size_t nproposers, nvoters;
};

static void
start_free(struct start *s)
{
	for (size_t i = 0; i < s->npayloads; i++)
		free(s->payloads[i]);
	free(s->payloads);
	free(s->proposers);
	free(s->voters);
	json_object_put(s->actions);
	json_object_put(s->ctx);
	free(s->type);
	free(s->title);
	free(s);
}

static void
fail(struct start *s, const struct problem *no, const char *pointer)
{
	s->cb(s->arg, no, pointer, NULL);
	start_free(s);
}

static void
refuse(struct start *s, int status, const char *slug, const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
refuse(struct start *s, int status, const char *slug, const char *pointer, const char *fmt, ...)
{
	struct problem no;
	char detail[PROBLEM_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	fail(s, problem_set(&no, status, slug, "%s", detail), pointer);
}

/* Whether o is an object with exactly the members named (NULL-terminated). */
static bool
exactly(struct json_object *o, const char *const *names)
{
	size_t n = 0;

	if (!json_object_is_type(o, json_type_object))
		return false;
	for (; names[n] != NULL; n++)
		if (!json_object_object_get_ex(o, names[n], NULL))
			return false;
	return (size_t)json_object_object_length(o) == n;
}

static bool
is_uuid(struct json_object *v)
{
	char out[UTIL_UUID_LEN + 1];

	return json_object_is_type(v, json_type_string) &&
	       util_uuid_parse(json_object_get_string(v), out) &&
	       strcmp(out, json_object_get_string(v)) == 0;
}

/* The roles members hold now (for an amendment's lock-in check). */
static struct charter_held
held_now(struct json_object *ctx, const char **names, size_t cap)
{
	size_t n = 0;

	json_object_object_foreach(json_object_object_get(ctx, "holders"), role, people) {
		(void)people;
		if (n < cap)
			names[n++] = role;
	}
	return (struct charter_held){names, n};
}

int
decisions_action_check(enum charter_effect effect, struct json_object *charter,
		       const struct charter_held *held, struct json_object *a,
		       struct decisions_fault *f)
{
	static const char *const text[] = {"text", NULL}, *const person[] = {"person", NULL},
				 *const role[] = {"person", "role", NULL},
				 *const new_charter[] = {"charter", NULL};
	struct charter_fault fault;

	f->pointer[0] = '\0';
	switch (effect) {
	case CHARTER_RESOLUTION: {
		struct json_object *v = json_object_object_get(a, "text");
		if (!exactly(a, text) || !json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) == 0 || json_object_get_string_len(v) > TEXT_MAX) {
			snprintf(f->detail, sizeof(f->detail), "A resolution's action is {\"text\": "
				 "\"...\"} (1 to %d bytes).", TEXT_MAX);
			return -1;
		}
		return 0;
	}
	case CHARTER_ADMIT_MEMBER:
	case CHARTER_REMOVE_MEMBER:
		if (!exactly(a, person) || !is_uuid(json_object_object_get(a, "person"))) {
			snprintf(f->detail, sizeof(f->detail), "This action is {\"person\": \"<person "
				 "id>\"} (a lowercase UUID).");
			return -1;
		}
		return 0;
	case CHARTER_ASSIGN_ROLE:
	case CHARTER_REVOKE_ROLE:
		if (!exactly(a, role) || !is_uuid(json_object_object_get(a, "person")) ||
		    !json_object_is_type(json_object_object_get(a, "role"), json_type_string)) {
			snprintf(f->detail, sizeof(f->detail), "This action is {\"person\": \"<person "
				 "id>\", \"role\": \"<role>\"}.");
			return -1;
		}
		if (!json_object_object_get_ex(json_object_object_get(charter, "roles"),
					       json_object_get_string(json_object_object_get(a, "role")),
					       NULL)) {
			snprintf(f->pointer, sizeof(f->pointer), "/role");
			snprintf(f->detail, sizeof(f->detail), "The charter in force has no such role.");
			return -1;
		}
		return 0;
	case CHARTER_AMEND_CHARTER:
		if (!exactly(a, new_charter)) {
			snprintf(f->detail, sizeof(f->detail), "An amendment's action is {\"charter\": "
				 "{...}}, the whole new charter.");
			return -1;
		}
		if (charter_validate(json_object_object_get(a, "charter"), held, &fault) != 0) {
			snprintf(f->pointer, sizeof(f->pointer), "/charter%s", fault.pointer);
			fault.detail[0] = (char)toupper((unsigned char)fault.detail[0]);
			snprintf(f->detail, sizeof(f->detail), "%s", fault.detail);
			return -1;
		}
		return 0;
	case CHARTER_APPROVE_EXPENSE: {
		static const char *const entry[] = {"entry", NULL};
		char pointer[48];
		if (!exactly(a, entry)) {
			snprintf(f->detail, sizeof(f->detail), "An expense's approval is {\"entry\": "
				 "{\"date\", \"memo\"?, \"postings\"}}.");
			return -1;
		}
		if (books_entry_check(json_object_object_get(a, "entry"), pointer, sizeof(pointer),
				      f->detail, sizeof(f->detail)) != 0) {
			snprintf(f->pointer, sizeof(f->pointer), "/entry%s", pointer);
			return -1;
		}
		return 0;
	}
	case CHARTER_ALLOCATE_SURPLUS: {
		static const char *const alloc[] = {"year", "allocation", NULL};
		struct json_object *y = json_object_object_get(a, "year");
		if (!exactly(a, alloc) || !json_object_is_type(y, json_type_int) ||
		    json_object_get_int64(y) < 1900 || json_object_get_int64(y) > 9998 ||
		    !json_object_is_type(json_object_object_get(a, "allocation"), json_type_object)) {
			snprintf(f->detail, sizeof(f->detail), "An allocation is {\"year\": YYYY, "
				 "\"allocation\": GET .../ledger/surplus?year=YYYY's answer}.");
			return -1;
		}
		return 0;
	}
	default:
		snprintf(f->detail, sizeof(f->detail), "Not an effect this instance applies.");
		return 1;
	}
}

/* Checks action i against the effect: 0, or -1 having answered with its pointer. */
static int
check_action(struct start *s, size_t i, struct json_object *a)
{
	const char *names[CHARTER_MAX_ROLES];
	struct charter_held held = held_now(s->ctx, names, CHARTER_MAX_ROLES);
	struct decisions_fault f;
	char pointer[sizeof(f.pointer) + 32];
	int r;

	if (s->t.effect == CHARTER_AMEND_CHARTER &&
	    strlen(json_object_to_json_string_ext(json_object_object_get(a, "charter"),
						  JSON_C_TO_STRING_PLAIN)) > CHARTER_SIZE_MAX) {
		snprintf(pointer, sizeof(pointer), "/proposals/%zu/charter", i);
		refuse(s, 413, "payload-too-large", pointer, "A charter has at most 65536 bytes of "
		       "JSON.");
		return -1;
	}
	r = decisions_action_check(s->t.effect, json_object_object_get(s->ctx, "charter"), &held, a,
				   &f);
	if (r > 0)
		refuse(s, 422, "effect-not-available", "/type", "%s", f.detail);
	else if (r < 0) {
		snprintf(pointer, sizeof(pointer), "/proposals/%zu%s", i, f.pointer);
		refuse(s, 422, "invalid-action", pointer, "%s", f.detail);
	}
	return r == 0 ? 0 : -1;
}

/* The distinct holders of any of roles, into a new array (*n of them). */
static const char **
holders_of(struct json_object *ctx, struct json_object *roles, size_t *n)
{
	struct json_object *holders = json_object_object_get(ctx, "holders");
	size_t cap = 0, k = 0;
	const char **out;

	json_object_object_foreach(holders, role, people) {
		(void)role;
		cap += json_object_array_length(people);
	}
	if ((out = calloc(cap + 1, sizeof(*out))) == NULL)
		return NULL;
	for (size_t i = 0; i < json_object_array_length(roles); i++) {
		struct json_object *them = json_object_object_get(
		    holders, json_object_get_string(json_object_array_get_idx(roles, i)));
		for (size_t j = 0; them != NULL && j < json_object_array_length(them); j++) {
			const char *id = json_object_get_string(json_object_array_get_idx(them, j));
			bool seen = false;
			for (size_t x = 0; x < k && !seen; x++)
				seen = strcmp(out[x], id) == 0;
			if (!seen)
				out[k++] = id;
		}
	}
	*n = k;
	return out;
}

static void
recorded_cb(void *arg, const struct problem *no, const char *json)
{
	struct start *s = arg;

	s->cb(s->arg, no, NULL, json);
	start_free(s);
}

static void
created_cb(void *arg, const struct problem *no, const struct core_decision *d, size_t n)
{
	struct start *s = arg;
	struct coop_decision_row row;

	if (no != NULL) {
		fail(s, no, NULL);
		return;
	}
	row = (struct coop_decision_row){
	    .id = d->id,
	    .group = s->gid,
	    .type = s->type,
	    .effect = charter_effect_name(s->t.effect),
	    .title = s->title,
	    .charter_version = s->version,
	    .started_by = s->who,
	    .phases = {d->proposal_opens_at, d->proposal_closes_at, d->voting_opens_at,
		       d->voting_closes_at},
	};
	coop_store_decision_add(s->c->app->db, &row, recorded_cb, s);
}

/* The ballot size of a decision of n actions: room for a vote on each of them, and on as
 * many again that members may propose (64 bytes each: a proposal id and a vote, as
 * yes_no's {"votes": {"<id>": "abstain", ...}}), within the core's max_payload_size. */
static int
ballot_size(struct coop *c, size_t n)
{
	long long size = 256 + 64 * (long long)(2 * n + 32);

	return size < c->app->cfg->max_payload_size ? (int)size : (int)c->app->cfg->max_payload_size;
}

/* Everything checked: the decision at the core. */
static void
create(struct start *s)
{
	uint64_t now = util_realtime_us();
	char metadata[256];
	struct core_decision_new in;

	util_time_format(now, s->phases[0]);
	util_time_format(now + (uint64_t)s->t.proposal_seconds * 1000000, s->phases[1]);
	memcpy(s->phases[2], s->phases[1], sizeof(s->phases[2]));
	util_time_format(now + (uint64_t)(s->t.proposal_seconds + s->t.voting_seconds) * 1000000,
			 s->phases[3]);
	snprintf(metadata, sizeof(metadata), "{\"freecoop\":{\"group\":\"%s\",\"type\":\"%s\"}}",
		 s->gid, s->type);
	s->proposers = holders_of(s->ctx, s->t.propose, &s->nproposers);
	s->voters = holders_of(s->ctx, s->t.vote, &s->nvoters);
	if (s->proposers == NULL || s->voters == NULL) {
		refuse(s, 500, "internal-error", NULL, "Out of memory.");
		return;
	}
	in = (struct core_decision_new){
	    .title = s->title,
	    .method = s->t.method,
	    .ballot_size = ballot_size(s->c, s->npayloads),
	    .phases = {s->phases[0], s->phases[1], s->phases[2], s->phases[3]},
	    .proposers = s->proposers,
	    .nproposers = s->nproposers,
	    .voters = s->voters,
	    .nvoters = s->nvoters,
	    .proposals = (const char *const *)s->payloads,
	    .nproposals = s->npayloads,
	    .metadata = metadata,
	};
	core_decision_create(s->c->core, &s->c->service, &in, created_cb, s);
}

/* The actions as proposals: each checked, then its canonical JSON in base64. */
static int
encode_actions(struct start *s)
{
	size_t n = json_object_array_length(s->actions);

	if ((s->payloads = calloc(n + 1, sizeof(*s->payloads))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(s->actions, i);
		char *text = NULL, pointer[32];
		size_t len;
		if (check_action(s, i, a) != 0)
			return 1; /* answered */
		if (glog_canonical(a, &text, &len) != 0) {
			snprintf(pointer, sizeof(pointer), "/proposals/%zu", i);
			refuse(s, 422, "invalid-action", pointer,
			       "An action holds only strings, whole numbers, true, false, null, "
			       "arrays and objects.");
			return 1;
		}
		s->payloads[i] = malloc(b64_encoded_len(len, false) + 1);
		if (s->payloads[i] == NULL) {
			free(text);
			return -1;
		}
		b64_encode((const unsigned char *)text, len, s->payloads[i], false);
		s->npayloads++;
		free(text);
	}
	return 0;
}

static void
context_cb(void *arg, const struct problem *no, const char *json)
{
	struct start *s = arg;
	struct problem none;
	struct json_object *mine;
	const char *names[CHARTER_MAX_ROLES];
	struct charter_held held = {names, 0};
	int r;

	if (no == NULL && json == NULL)
		no = problem_set(&none, 404, "not-found", GROUPS_NO_GROUP);
	if (no != NULL) {
		fail(s, no, NULL);
		return;
	}
	if ((s->ctx = json_tokener_parse(json)) == NULL) {
		refuse(s, 500, "internal-error", NULL, "The group could not be read.");
		return;
	}
	snprintf(s->version, sizeof(s->version), "%d",
		 json_object_get_int(json_object_object_get(s->ctx, "charter_version")));
	if (charter_type_get(json_object_object_get(s->ctx, "charter"), s->type, &s->t) != 0) {
		refuse(s, 422, "unknown-type", "/type",
		       "The group's charter has no decision type of this name.");
		return;
	}
	mine = json_object_object_get(s->ctx, "mine");
	for (size_t i = 0; i < json_object_array_length(mine) && held.n < CHARTER_MAX_ROLES; i++)
		names[held.n++] = json_object_get_string(json_object_array_get_idx(mine, i));
	if (!charter_held_any(&held, s->t.start)) {
		refuse(s, 403, "not-permitted", NULL,
		       "None of your roles in this group may start a decision of this type.");
		return;
	}
	if ((r = encode_actions(s)) < 0)
		refuse(s, 500, "internal-error", NULL, "Out of memory.");
	else if (r == 0)
		create(s);
}

void
decisions_start(struct coop *c, const struct principal *who, const char *gid, const char *type,
		const char *title, struct json_object *actions, groups_cb cb, void *arg)
{
	struct start *s;
	struct problem no;
	struct db_param p[] = {db_text(gid), db_text(who->account_id)};

	if (!groups_is_person(c, who, cb, arg))
		return;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->type = strdup(type)) == NULL ||
	    (s->title = strdup(title)) == NULL) {
		if (s != NULL) {
			free(s->type);
			free(s);
		}
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	s->c = c;
	s->cb = cb;
	s->arg = arg;
	s->actions = json_object_get(actions);
	memcpy(s->gid, gid, sizeof(s->gid) - 1);
	memcpy(s->who, who->account_id, sizeof(s->who) - 1);
	coop_store_json(c->app->db, &coop_stmt_decision_context, p, context_cb, s);
}

#define NO_DECISION "There is no such decision in this group, or you are not a member of it."

void
decisions_list(struct coop *c, const struct principal *who, const char *gid, groups_cb cb,
	       void *arg)
{
	groups_member_read(c, &coop_stmt_decisions_list, who, gid, cb, arg);
}

/* The characters of UTF-8 text (its bytes that do not continue a sequence). */
static size_t
characters(const char *text)
{
	size_t n = 0;

	for (; *text != '\0'; text++)
		n += ((unsigned char)*text & 0xC0) != 0x80;
	return n;
}

void
decisions_comment(struct coop *c, const struct principal *who, const char *gid, const char *id,
		  const char *text, groups_cb cb, void *arg)
{
	char cid[UTIL_UUID_LEN + 1];
	struct db_param p[] = {db_text(gid), db_text(who->account_id), db_text(id), db_text(cid),
			       db_text(text)};
	struct problem no;

	if (!groups_is_person(c, who, cb, arg))
		return;
	if (characters(text) > DECISIONS_COMMENT_MAX) {
		cb(arg, problem_set(&no, 413, "payload-too-large", "A comment has at most %d "
				    "characters.", DECISIONS_COMMENT_MAX), NULL, NULL);
		return;
	}
	if (util_uuid_v4(cid) != 0) {
		cb(arg, problem_set(&no, 500, "internal-error", "Could not make an id."), NULL, NULL);
		return;
	}
	groups_one_row(c, &coop_stmt_comment_add, p, NO_DECISION, cb, arg);
}

void
decisions_comments(struct coop *c, const struct principal *who, const char *gid, const char *id,
		   groups_cb cb, void *arg)
{
	struct db_param p[] = {db_text(gid), db_text(who->account_id), db_text(id)};

	if (groups_is_person(c, who, cb, arg))
		groups_one_row(c, &coop_stmt_comments, p, NO_DECISION, cb, arg);
}

/* A result read across its callback. */
struct kept_read {
	groups_cb cb;
	void *arg;
};

static void
result_cb(void *arg, const struct problem *no, const char *state, const char *jws, size_t len)
{
	struct kept_read *rr = arg;
	struct problem why;

	(void)len; /* a JWS is ASCII text, NUL-terminated as read */
	if (no == NULL && state == NULL)
		no = problem_set(&why, 404, "not-found", NO_DECISION);
	else if (no == NULL && jws == NULL) {
		no = problem_set(&why, 409, "not-applied", "The decision is %s; its result is kept "
				 "here once it is applied.", state);
		why.retry_after = 2;
	}
	rr->cb(rr->arg, no, NULL, no == NULL ? jws : NULL);
	free(rr);
}

void
decisions_result(struct coop *c, const struct principal *who, const char *gid, const char *id,
		 groups_cb cb, void *arg)
{
	struct kept_read *rr;
	struct problem no;

	if (!groups_is_person(c, who, cb, arg))
		return;
	if ((rr = malloc(sizeof(*rr))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	*rr = (struct kept_read){cb, arg};
	coop_store_result(c->app->db, gid, who->account_id, id, result_cb, rr);
}
