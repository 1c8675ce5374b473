/* groups — founding a group, and members' reads (see the header). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "charter.h"
#include "glog.h"
#include "groups.h"
#include "ncache.h"
#include "store.h"
#include "util.h"

bool
groups_person_check(struct coop *c, const struct principal *who, struct problem *no)
{
	if (who->kind == PRINCIPAL_ACCOUNT && strcmp(who->service_id, c->service.service_id) == 0)
		return true;
	problem_set(no, 403, "foreign-account",
		    "Only people who signed up to FreeCoop (POST /coop/v1/people) use it.");
	return false;
}

bool
groups_is_person(struct coop *c, const struct principal *who, groups_cb cb, void *arg)
{
	struct problem no;

	if (groups_person_check(c, who, &no))
		return true;
	cb(arg, &no, NULL, NULL);
	return false;
}

/* A founding across its steps: the charter's methods checked one by one at the core. */
struct founding {
	struct coop *c;
	groups_cb cb;
	void *arg;
	char id[UTIL_UUID_LEN + 1];
	char founder[UTIL_UUID_LEN + 1];
	char *name;
	struct json_object *charter; /* owned */
	struct json_object *methods; /* {"<type>": {"id", "name"}} */
	const char *ids[CHARTER_MAX_TYPES];
	size_t nids, next;
};

static void
founding_free(struct founding *f)
{
	json_object_put(f->charter);
	json_object_put(f->methods);
	free(f->name);
	free(f);
}

static void
refuse(struct founding *f, int status, const char *slug, const char *pointer, const char *detail)
{
	struct problem no;

	f->cb(f->arg, problem_set(&no, status, slug, "%s", detail), pointer, NULL);
	founding_free(f);
}

/* The key of a person's GET /coop/v1/me in c->me: the SHA-256 of their id. */
static void
me_key(const char *person, unsigned char key[NCACHE_KEY_LEN])
{
	util_sha256(person, strlen(person), key);
}

static void
stored_cb(void *arg, const struct problem *no, const char *json)
{
	struct founding *f = arg;
	unsigned char key[NCACHE_KEY_LEN];

	if (no == NULL) { /* the founder's groups changed: not kept here from now on */
		me_key(f->founder, key);
		ncache_forget(f->c->me, key);
	}
	f->cb(f->arg, no, NULL, json);
	founding_free(f);
}

/* The founder's roles as a text[] literal (role names are [a-z0-9_]: nothing to quote). */
static void
roles_literal(struct json_object *charter, char *out, size_t cap)
{
	struct json_object *roles = json_object_object_get(charter, "founder_roles");
	size_t n = 0;

	n += (size_t)snprintf(out + n, cap - n, "{");
	for (size_t i = 0; i < json_object_array_length(roles) && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i > 0 ? "," : "",
				      json_object_get_string(json_object_array_get_idx(roles, i)));
	if (n < cap)
		snprintf(out + n, cap - n, "}");
}

/* Every method is known: the first log entry, signed, and the whole founding stored. */
static void
store(struct founding *f)
{
	struct json_object *entry = json_object_new_object();
	char at[40], roles[CHARTER_MAX_ROLES * (CHARTER_NAME_MAX + 1) + 4], *text = NULL;
	size_t len;
	struct coop_founding row;

	util_time_format(util_realtime_us(), at);
	json_object_object_add(entry, "group", json_object_new_string(f->id));
	json_object_object_add(entry, "seq", json_object_new_int64(1));
	json_object_object_add(entry, "prev", json_object_new_string(GLOG_GENESIS_PREV));
	json_object_object_add(entry, "at", json_object_new_string(at));
	json_object_object_add(entry, "kind", json_object_new_string("founded"));
	json_object_object_add(entry, "charter_version", json_object_new_int64(1));
	if (glog_entry_seal(entry, f->c->keys->signing, f->c->keys->kid) != 0 ||
	    glog_canonical(entry, &text, &len) != 0) {
		json_object_put(entry);
		refuse(f, 500, "internal-error", NULL, "Could not sign the log's first entry.");
		return;
	}
	roles_literal(f->charter, roles, sizeof(roles));
	row = (struct coop_founding){
	    .id = f->id,
	    .name = f->name,
	    .at = at,
	    .charter = json_object_to_json_string_ext(f->charter, JSON_C_TO_STRING_PLAIN),
	    .methods = json_object_to_json_string_ext(f->methods, JSON_C_TO_STRING_PLAIN),
	    .founder = f->founder,
	    .roles = roles,
	    .entry = text,
	    .hash = json_object_get_string(json_object_object_get(entry, "hash")),
	};
	coop_store_group_found(f->c->app->db, &row, stored_cb, f);
	free(text);
	json_object_put(entry);
}

static void check_next(struct founding *f);

bool
groups_method_usable(const struct core_method *m)
{
	for (size_t i = 0; i < m->nsignatures; i++)
		if (!m->signatures[i].revoked)
			return true;
	return false;
}

/* The first type of the charter using method id, for the refusal's pointer. */
static void
pointer_of(struct json_object *charter, const char *id, char *out, size_t cap)
{
	json_object_object_foreach(json_object_object_get(charter, "decision_types"), type, t) {
		if (strcmp(json_object_get_string(json_object_object_get(t, "method")), id) == 0) {
			snprintf(out, cap, "/decision_types/%s/method", type);
			return;
		}
	}
	snprintf(out, cap, "/decision_types");
}

static void
method_cb(void *arg, const struct problem *no, const struct core_method *m, size_t n)
{
	struct founding *f = arg;
	const char *id = f->ids[f->next];
	char pointer[CHARTER_POINTER_MAX];

	if (no != NULL && no->status != 404) {
		f->cb(f->arg, no, NULL, NULL);
		founding_free(f);
		return;
	}
	if (no != NULL || n != 1 || !groups_method_usable(m)) {
		pointer_of(f->charter, id, pointer, sizeof(pointer));
		refuse(f, 422, "invalid-charter", pointer,
		       no != NULL ? "No voting method of this id is stored at this instance: an "
				    "auditor submits it first (POST /v1/voting-methods)."
				  : "This voting method has no signature of an unrevoked auditor.");
		return;
	}
	json_object_object_foreach(json_object_object_get(f->charter, "decision_types"), type, t) {
		if (strcmp(json_object_get_string(json_object_object_get(t, "method")), id) == 0) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_string(id));
			json_object_object_add(o, "name", json_object_new_string(m->name));
			json_object_object_add(f->methods, type, o);
		}
	}
	f->next++;
	check_next(f);
}

static void
check_next(struct founding *f)
{
	if (f->next == f->nids)
		store(f);
	else
		core_method_get(f->c->core, f->ids[f->next], method_cb, f);
}

void
groups_found(struct coop *c, const struct principal *who, const char *name,
	     struct json_object *charter, groups_cb cb, void *arg)
{
	struct founding *f;
	struct charter_fault fault;
	struct problem no;

	if (!groups_is_person(c, who, cb, arg))
		return;
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->name = strdup(name)) == NULL ||
	    util_uuid_v4(f->id) != 0) {
		if (f != NULL)
			free(f->name);
		free(f);
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	f->c = c;
	f->cb = cb;
	f->arg = arg;
	memcpy(f->founder, who->account_id, sizeof(f->founder));
	f->charter = charter != NULL ? json_object_get(charter)
				     : charter_default(c->yes_no_id, c->two_thirds_id);
	f->methods = json_object_new_object();
	if (f->charter == NULL || f->methods == NULL) {
		refuse(f, 500, "internal-error", NULL, "Out of memory.");
		return;
	}
	if (strlen(json_object_to_json_string_ext(f->charter, JSON_C_TO_STRING_PLAIN)) >
	    CHARTER_SIZE_MAX) {
		refuse(f, 413, "payload-too-large", "/charter", "A charter has at most 65536 bytes "
		       "of JSON.");
		return;
	}
	if (charter_validate(f->charter, NULL, &fault) != 0) {
		fault.detail[0] = (char)toupper((unsigned char)fault.detail[0]); /* a sentence */
		refuse(f, 422, "invalid-charter", fault.pointer, fault.detail);
		return;
	}
	f->nids = charter_methods(f->charter, f->ids, CHARTER_MAX_TYPES);
	check_next(f);
}

struct reading {
	groups_cb cb;
	void *arg;
	const char *what;
};

static void
read_cb(void *arg, const struct problem *no, const char *json)
{
	struct reading *g = arg;
	struct problem none;

	if (no == NULL && json == NULL)
		no = problem_set(&none, 404, "not-found", "%s", g->what);
	g->cb(g->arg, no, NULL, json);
	free(g);
}

void
groups_one_row(struct coop *c, const struct db_stmt *stmt, const struct db_param *p,
	       const char *what, groups_cb cb, void *arg)
{
	struct reading *g = malloc(sizeof(*g));
	struct problem no;

	if (g == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	*g = (struct reading){cb, arg, what};
	coop_store_json(c->app->db, stmt, p, read_cb, g);
}


void
groups_member_read(struct coop *c, const struct db_stmt *stmt, const struct principal *who,
		   const char *gid, groups_cb cb, void *arg)
{
	struct db_param p[] = {db_text(gid), db_text(who->account_id)};

	if (groups_is_person(c, who, cb, arg))
		groups_one_row(c, stmt, p, GROUPS_NO_GROUP, cb, arg);
}

void
groups_get(struct coop *c, const struct principal *who, const char *gid, groups_cb cb, void *arg)
{
	groups_member_read(c, &coop_stmt_group_get, who, gid, cb, arg);
}

void
groups_members(struct coop *c, const struct principal *who, const char *gid, groups_cb cb,
	       void *arg)
{
	groups_member_read(c, &coop_stmt_group_members, who, gid, cb, arg);
}

void
groups_charter(struct coop *c, const struct principal *who, const char *gid, int version,
	       groups_cb cb, void *arg)
{
	char v[16];
	struct db_param p[] = {db_text(gid), db_text(who->account_id), db_text(v)};

	snprintf(v, sizeof(v), "%d", version);
	if (groups_is_person(c, who, cb, arg))
		groups_one_row(c, &coop_stmt_group_charter, p,
			  version > 0 ? "There is no such group or charter version, or you are "
					"not a member of the group."
				      : GROUPS_NO_GROUP,
			  cb, arg);
}

void
groups_log(struct coop *c, const struct principal *who, const char *gid, long long after,
	   groups_cb cb, void *arg)
{
	char a[24];
	struct db_param p[] = {db_text(gid), db_text(who->account_id), db_text(a)};

	snprintf(a, sizeof(a), "%lld", after);
	if (groups_is_person(c, who, cb, arg))
		groups_one_row(c, &coop_stmt_group_log, p, GROUPS_NO_GROUP, cb, arg);
}

/* A read of GET /coop/v1/me, kept in c->me when it comes. */
struct me_read {
	struct coop *c;
	groups_cb cb;
	void *arg;
	uint64_t ticket;
	unsigned char key[NCACHE_KEY_LEN];
};

/* The answer written as every answer is (compact, as coop_reply writes it), kept so, and
 * passed on so: a kept one is sent as it is. */
static void
me_cb(void *arg, const struct problem *no, const char *pointer, const char *json)
{
	struct me_read *m = arg;
	struct json_object *o = no == NULL && json != NULL ? json_tokener_parse(json) : NULL;
	struct problem unread;

	if (o != NULL) {
		json = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
		ncache_put(m->c->me, m->ticket, m->key, json, strlen(json) + 1, 0, util_now_us());
	} else if (no == NULL && json != NULL) {
		no = problem_set(&unread, 500, "internal-error", "The answer could not be read.");
	}
	m->cb(m->arg, no, pointer, json);
	json_object_put(o);
	free(m);
}

void
groups_me(struct coop *c, const struct principal *who, groups_cb cb, void *arg)
{
	struct db_param p[] = {db_text(who->account_id)};
	unsigned char key[NCACHE_KEY_LEN];
	struct me_read *m;
	struct problem no;
	const char *json;
	size_t len;

	if (!groups_is_person(c, who, cb, arg))
		return;
	me_key(who->account_id, key);
	if ((json = ncache_get(c->me, key, util_now_us(), &len)) != NULL) {
		cb(arg, NULL, NULL, json);
		return;
	}
	if ((m = malloc(sizeof(*m))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	*m = (struct me_read){c, cb, arg, ncache_ticket(c->me), {0}};
	memcpy(m->key, key, sizeof(key));
	groups_one_row(c, &coop_stmt_me, p,
		       "You signed up, but FreeCoop has no record of you: sign up again.", me_cb, m);
}

/* The database's notification on GROUPS_ME_CHANNEL: "p:<person id>,..." (their GET
 * /coop/v1/me changed) or anything else (forget every one); or listening started or
 * stopped. */
static void
me_notified_cb(void *arg, const char *payload, int listening)
{
	struct ncache *nc = arg;
	unsigned char key[NCACHE_KEY_LEN];
	char id[UTIL_UUID_LEN + 1];

	if (payload == NULL) {
		ncache_listening(nc, listening);
		return;
	}
	if (strncmp(payload, "p:", 2) != 0) {
		ncache_forget_all(nc);
		return;
	}
	for (const char *p = payload + 2; *p != '\0'; p += UTIL_UUID_LEN + (p[UTIL_UUID_LEN] == ',')) {
		if (strlen(p) < UTIL_UUID_LEN || (p[UTIL_UUID_LEN] != ',' && p[UTIL_UUID_LEN] != '\0')) {
			ncache_forget_all(nc); /* not understood: the safe reading */
			return;
		}
		memcpy(id, p, UTIL_UUID_LEN);
		id[UTIL_UUID_LEN] = '\0';
		me_key(id, key);
		ncache_forget(nc, key);
	}
}

int
groups_me_cache(struct coop *c, size_t n, int ttl_ms)
{
	if ((c->me = ncache_new(n, ttl_ms)) == NULL)
		return -1;
	if (n > 0 && ttl_ms > 0)
		return db_pool_listen(c->app->db, GROUPS_ME_CHANNEL, me_notified_cb, c->me);
	return 0;
}

void
groups_applications(struct coop *c, const struct principal *who, const char *gid,
		    groups_cb cb, void *arg)
{
	groups_member_read(c, &coop_stmt_applications, who, gid, cb, arg);
}

struct applying {
	groups_cb cb;
	void *arg;
};

static void
applied_cb(void *arg, const struct problem *no, enum coop_apply_outcome o, const char *json)
{
	struct applying *a = arg;
	struct problem refusal;

	if (no == NULL && o == COOP_NO_GROUP)
		no = problem_set(&refusal, 404, "not-found", "There is no such group.");
	else if (no == NULL && o == COOP_IS_MEMBER)
		no = problem_set(&refusal, 409, "already-member", "You are a member of this group.");
	else if (no == NULL && o == COOP_PENDING)
		no = problem_set(&refusal, 409, "already-applied",
				 "Your application to this group is still pending.");
	a->cb(a->arg, no, NULL, no == NULL ? json : NULL);
	free(a);
}

void
groups_apply(struct coop *c, const struct principal *who, const char *gid, const char *message,
	     groups_cb cb, void *arg)
{
	struct applying *a;
	struct problem no;
	char id[UTIL_UUID_LEN + 1];

	if (!groups_is_person(c, who, cb, arg))
		return;
	if ((a = malloc(sizeof(*a))) == NULL || util_uuid_v4(id) != 0) {
		free(a);
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	*a = (struct applying){cb, arg};
	coop_store_apply(c->app->db, gid, who->account_id, id, message, applied_cb, a);
}
