/* effects — a group's decisions take effect (see the header). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "books.h"
#include "charter.h"
#include "decisions.h"
#include "effects.h"
#include "glog.h"
#include "log.h"
#include "result.h"
#include "store.h"
#include "util.h"

/* Times an application starts again after another write to the group came first. */
#define TRIES 8

/* One decision being applied, across its steps. */
struct apply {
	struct coop *c;
	core_event_done done;
	void *token;
	char decision[UTIL_UUID_LEN + 1], group[UTIL_UUID_LEN + 1];
	int tries;
	uint64_t started_us; /* when the event was delivered */
	enum charter_effect effect;
	char type[CHARTER_NAME_MAX + 1];
	char started_by[UTIL_UUID_LEN + 1]; /* who started it: an expense's poster */
	char *jws; /* the result as published, NUL-terminated */
	size_t jwslen;
	struct result res;
	/* The voting methods the amendments name: {"<id>": "<name>" or null (unusable)}. */
	struct json_object *methods;
	const char *ids[256];
	size_t nids, next;
	struct json_object *ctx; /* the group now (coop_stmt_effect_context) */
	/* The books of each fiscal year an allocation names, read after ctx:
	 * {"<year>": coop_stmt_surplus_context's answer} (allocate_surplus only). */
	struct json_object *years;
	int year_ids[64];
	size_t nyears, next_year;
};

static void
finish(struct apply *a, const char *why)
{
	if (why != NULL)
		log_error("FreeCoop could not apply decision %s (it is retried): %s", a->decision,
			  why);
	a->done(a->token, why);
	result_free(&a->res);
	json_object_put(a->methods);
	json_object_put(a->ctx);
	json_object_put(a->years);
	free(a->jws);
	free(a);
}

static void begin(struct apply *a);

/* ---- the group's state, as the actions change it ---- */

/* The group as the actions find it and leave it. */
struct state {
	struct json_object *charter;    /* in force (borrowed) */
	int version;                    /* its version */
	struct json_object *members;    /* {"<person>": ["<role>", ...]} (borrowed from ctx) */
	struct json_object *applicants; /* {"<person>": null} (owned) */
	struct json_object *changes;    /* what coop_stmt_effect_apply writes (owned) */
	struct json_object *accounts;   /* {"<code>": "<type>"} (borrowed from ctx) */
	struct json_object *closed;     /* [["<starts_on>", "<ends_on>"]] (borrowed from ctx) */
	struct json_object *capital;    /* {"<member>": balance of capital:<member>} (borrowed) */
	const char *today;              /* YYYY-MM-DD (UTC): the date of what it posts itself */
	struct json_object *years;      /* the books of the years allocations name (borrowed) */
	struct json_object *applied, *refused;
};

/* The distinct roles members hold (bounded by the charter's roles). */
static struct charter_held
held(struct state *st, const char **names, size_t cap)
{
	size_t n = 0;

	json_object_object_foreach(st->members, person, roles) {
		(void)person;
		for (size_t i = 0; i < json_object_array_length(roles); i++) {
			const char *r = json_object_get_string(json_object_array_get_idx(roles, i));
			bool seen = false;
			for (size_t k = 0; k < n && !seen; k++)
				seen = strcmp(names[k], r) == 0;
			if (!seen && n < cap)
				names[n++] = r;
		}
	}
	return (struct charter_held){names, n};
}

/* Whether the group, as it is in st, could still start and adopt an amendment. */
static bool
can_amend(struct state *st)
{
	const char *names[CHARTER_MAX_ROLES];
	struct charter_held h = held(st, names, CHARTER_MAX_ROLES);
	struct charter_fault fault;

	return charter_validate(st->charter, &h, &fault) == 0;
}

static int
role_index(struct json_object *roles, const char *role)
{
	for (size_t i = 0; i < json_object_array_length(roles); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(roles, i)), role) == 0)
			return (int)i;
	return -1;
}

static void
push(struct json_object *changes, const char *key, struct json_object *v)
{
	struct json_object *list;

	if (!json_object_object_get_ex(changes, key, &list)) {
		list = json_object_new_array();
		json_object_object_add(changes, key, list);
	}
	json_object_array_add(list, v);
}

static struct json_object *
pair(const char *person, const char *role)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "person", json_object_new_string(person));
	json_object_object_add(o, "role", json_object_new_string(role));
	return o;
}

/* The methods of a new charter {"<type>": {"id", "name"}}, or NULL with the id of one that
 * is not stored with an unrevoked auditor's signature in *unusable. */
static struct json_object *
methods_of(struct apply *a, struct json_object *charter, const char **unusable)
{
	struct json_object *out = json_object_new_object(), *name;

	json_object_object_foreach(json_object_object_get(charter, "decision_types"), type, t) {
		const char *id = json_object_get_string(json_object_object_get(t, "method"));
		struct json_object *o;
		if (!json_object_object_get_ex(a->methods, id, &name) || name == NULL) {
			*unusable = id;
			json_object_put(out);
			return NULL;
		}
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "name", json_object_get(name));
		json_object_object_add(out, type, o);
	}
	return out;
}

/* Posts an entry on the decision's authority (its starter posting it): id, date, memo,
 * postings (borrowed). */
static void
post_on_authority(struct apply *a, struct state *st, const char *date, struct json_object *memo,
		  struct json_object *postings)
{
	struct json_object *e = json_object_new_object(), *auth = json_object_new_object();
	char id[UTIL_UUID_LEN + 1] = "";

	util_uuid_v4(id);
	json_object_object_add(auth, "decision", json_object_new_string(a->decision));
	json_object_object_add(e, "id", json_object_new_string(id));
	json_object_object_add(e, "date", json_object_new_string(date));
	json_object_object_add(e, "memo", memo);
	json_object_object_add(e, "postings", json_object_get(postings));
	json_object_object_add(e, "posted_by", json_object_new_string(a->started_by));
	json_object_object_add(e, "authorised_by", auth);
	push(st->changes, "entries", e);
}

/* A removed member's capital moves to capital payable to them as a former member
 * (former:<person>, opened now), dated today. */
static void
move_capital(struct apply *a, struct state *st, const char *person)
{
	int64_t balance = json_object_get_int64(json_object_object_get(st->capital, person));
	struct json_object *postings, *x;
	char capital[UTIL_UUID_LEN + 16], former[UTIL_UUID_LEN + 16];

	push(st->changes, "former", json_object_new_string(person));
	if (balance == 0)
		return;
	snprintf(capital, sizeof(capital), "capital:%s", person);
	snprintf(former, sizeof(former), "former:%s", person);
	postings = json_object_new_array();
	x = json_object_new_object();
	json_object_object_add(x, "account", json_object_new_string(capital));
	json_object_object_add(x, "amount", json_object_new_int64(-balance));
	json_object_array_add(postings, x);
	x = json_object_new_object();
	json_object_object_add(x, "account", json_object_new_string(former));
	json_object_object_add(x, "amount", json_object_new_int64(balance));
	json_object_array_add(postings, x);
	post_on_authority(a, st, st->today,
			  json_object_new_string("Capital of a member who left, now payable to them"),
			  postings);
	json_object_put(postings);
}

/* An approved expense's entry, posted by the decision's starter on its authority: NULL, or
 * why it cannot be posted now (in why). */
static const char *
post_expense(struct apply *a, struct state *st, struct json_object *entry, char *why, size_t cap)
{
	struct json_object *postings = json_object_object_get(entry, "postings");
	const char *date = json_object_get_string(json_object_object_get(entry, "date"));
	struct json_object *memo = json_object_object_get(entry, "memo");

	for (size_t i = 0; i < json_object_array_length(postings); i++) {
		const char *code = json_object_get_string(
		    json_object_object_get(json_object_array_get_idx(postings, i), "account"));
		if (!json_object_object_get_ex(st->accounts, code, NULL)) {
			snprintf(why, cap, "books changed: the group has no account %.64s", code);
			return why;
		}
		if (strcmp(code, "reserve") == 0 || strcmp(code, "undistributed") == 0)
			return "the reserve and undistributed surplus are posted only by "
			       "allocate_surplus";
	}
	for (size_t i = 0; i < json_object_array_length(st->closed); i++) {
		struct json_object *y = json_object_array_get_idx(st->closed, i);
		if (strcmp(date, json_object_get_string(json_object_array_get_idx(y, 0))) >= 0 &&
		    strcmp(date, json_object_get_string(json_object_array_get_idx(y, 1))) <= 0)
			return "period closed: the fiscal year of its date is closed";
	}
	post_on_authority(a, st, date,
			  memo != NULL ? json_object_get(memo) : json_object_new_string(""), postings);
	return NULL;
}

static void
add_posting(struct json_object *postings, const char *account, int64_t amount)
{
	struct json_object *x;

	if (amount == 0)
		return;
	x = json_object_new_object();
	json_object_object_add(x, "account", json_object_new_string(account));
	json_object_object_add(x, "amount", json_object_new_int64(amount));
	json_object_array_add(postings, x);
}

/* A year's surplus allocated (DESIGN §10.7): only if the allocation recomputed from the
 * books now is the one adopted; then the year's income and expenses close into the
 * undistributed surplus (a closing entry), the allocation empties it into the reserve,
 * the members' capital and patronage payable (a former member's whole part: capital
 * payable to them), and the year is closed. NULL, or why not (in why). */
static const char *
allocate(struct apply *a, struct state *st, struct json_object *action, char *why, size_t cap)
{
	int year = json_object_get_int(json_object_object_get(action, "year"));
	char key[16], code[UTIL_UUID_LEN + 16];
	struct json_object *books, *now, *closing, *alloc, *members, *balances, *e, *c;
	const char *detail = NULL, *ends;
	char *a1 = NULL, *a2 = NULL;
	size_t l1, l2;
	bool same;
	int64_t total = 0, cash = 0;

	snprintf(key, sizeof(key), "%d", year);
	if (!json_object_object_get_ex(st->years, key, &books))
		return "the books of that year could not be read";
	if (json_object_get_boolean(json_object_object_get(books, "closed")) ||
	    json_object_object_get_ex(st->changes, key, NULL))
		return "period closed: the year's surplus was allocated already";
	if ((now = books_allocation(books, year, &detail)) == NULL) {
		snprintf(why, cap, "books changed: %s", detail);
		return why;
	}
	same = glog_canonical(now, &a1, &l1) == 0 &&
	       glog_canonical(json_object_object_get(action, "allocation"), &a2, &l2) == 0 &&
	       l1 == l2 && memcmp(a1, a2, l1) == 0;
	free(a1);
	free(a2);
	if (!same) {
		json_object_put(now);
		return "books changed: the allocation recomputed from the books now differs";
	}
	ends = json_object_get_string(json_object_object_get(books, "ends_on"));
	/* the closing entry */
	closing = json_object_new_array();
	balances = json_object_object_get(books, "balances");
	for (size_t i = 0; i < json_object_array_length(balances); i++) {
		struct json_object *b = json_object_array_get_idx(balances, i);
		int64_t v = json_object_get_int64(json_object_array_get_idx(b, 1));
		add_posting(closing, json_object_get_string(json_object_array_get_idx(b, 0)), -v);
		total += v;
	}
	add_posting(closing, "undistributed", total);
	if (json_object_array_length(closing) > 0) {
		post_on_authority(a, st, ends, json_object_new_string("Closing the year"), closing);
		e = json_object_array_get_idx(json_object_object_get(st->changes, "entries"),
					      json_object_array_length(json_object_object_get(
						  st->changes, "entries")) - 1);
		json_object_object_add(e, "closing", json_object_new_boolean(true));
	}
	json_object_put(closing);
	/* the allocation entry */
	alloc = json_object_new_array();
	add_posting(alloc, "undistributed",
		    json_object_get_int64(json_object_object_get(now, "net")));
	add_posting(alloc, "reserve", -json_object_get_int64(json_object_object_get(now, "reserve")));
	members = json_object_object_get(now, "members");
	for (size_t i = 0; i < json_object_array_length(members); i++) {
		struct json_object *m = json_object_array_get_idx(members, i);
		const char *person = json_object_get_string(json_object_object_get(m, "person"));
		int64_t mc = json_object_get_int64(json_object_object_get(m, "cash"));
		int64_t mr = json_object_get_int64(json_object_object_get(m, "retained"));
		if (json_object_object_get_ex(st->members, person, NULL)) {
			snprintf(code, sizeof(code), "capital:%s", person);
			add_posting(alloc, code, -mr);
			cash += mc;
		} else {
			snprintf(code, sizeof(code), "former:%s", person);
			add_posting(alloc, code, -(mc + mr));
			push(st->changes, "former", json_object_new_string(person));
		}
	}
	add_posting(alloc, "patronage_payable", -cash);
	if (json_object_array_length(alloc) > 0)
		post_on_authority(a, st, ends, json_object_new_string("Allocating the year's result"),
				  alloc);
	json_object_put(alloc);
	c = json_object_new_object();
	json_object_object_add(c, "starts_on", json_object_get(json_object_object_get(books, "starts_on")));
	json_object_object_add(c, "ends_on", json_object_get(json_object_object_get(books, "ends_on")));
	push(st->changes, "closes", c);
	json_object_object_add(st->changes, key, json_object_new_boolean(true)); /* once */
	json_object_put(now);
	return NULL;
}

/* Applies action (valid for the effect) to st; NULL, or why it no longer applies (in why). */
static const char *
apply_action(struct apply *a, struct state *st, struct json_object *action, char *why,
	     size_t cap)
{
	const char *person = json_object_get_string(json_object_object_get(action, "person"));
	const char *role = json_object_get_string(json_object_object_get(action, "role"));
	struct json_object *roles = NULL, *o;
	bool member = person != NULL && json_object_object_get_ex(st->members, person, &roles);
	int i;

	switch (a->effect) {
	case CHARTER_RESOLUTION:
		return NULL;
	case CHARTER_ADMIT_MEMBER:
		if (member)
			return "already a member";
		if (!json_object_object_get_ex(st->applicants, person, NULL))
			return "has no pending application to join the group";
		json_object_object_del(st->applicants, person);
		roles = json_object_get(json_object_object_get(st->charter, "member_roles"));
		json_object_object_add(st->members, person, roles);
		o = json_object_new_object();
		json_object_object_add(o, "person", json_object_new_string(person));
		json_object_object_add(o, "roles", json_object_get(roles));
		push(st->changes, "admit", o);
		return NULL;
	case CHARTER_REMOVE_MEMBER:
		if (!member)
			return "not a member";
		json_object_get(roles);
		json_object_object_del(st->members, person);
		if (!can_amend(st)) {
			json_object_object_add(st->members, person, roles);
			return "removing them would leave no one able to start and adopt an "
			       "amendment of the charter";
		}
		json_object_put(roles);
		push(st->changes, "remove", json_object_new_string(person));
		move_capital(a, st, person);
		return NULL;
	case CHARTER_ASSIGN_ROLE:
		if (!member)
			return "not a member";
		if (role_index(roles, role) >= 0)
			return "already holds the role";
		/* the list may be shared with another member's (member_roles): copy it */
		o = json_object_new_array();
		for (size_t k = 0; k < json_object_array_length(roles); k++)
			json_object_array_add(o, json_object_get(json_object_array_get_idx(roles, k)));
		json_object_array_add(o, json_object_new_string(role));
		json_object_object_add(st->members, person, o);
		push(st->changes, "assign", pair(person, role));
		return NULL;
	case CHARTER_REVOKE_ROLE:
		if (!member)
			return "not a member";
		if ((i = role_index(roles, role)) < 0)
			return "does not hold the role";
		o = json_object_new_array();
		for (size_t k = 0; k < json_object_array_length(roles); k++)
			if ((int)k != i)
				json_object_array_add(
				    o, json_object_get(json_object_array_get_idx(roles, k)));
		json_object_get(roles);
		json_object_object_add(st->members, person, o);
		if (!can_amend(st)) {
			json_object_object_add(st->members, person, roles);
			return "revoking it would leave no one able to start and adopt an amendment "
			       "of the charter";
		}
		json_object_put(roles);
		push(st->changes, "revoke", pair(person, role));
		return NULL;
	case CHARTER_AMEND_CHARTER: {
		struct json_object *charter = json_object_object_get(action, "charter"), *m, *keep;
		const char *unusable = NULL;
		if ((m = methods_of(a, charter, &unusable)) == NULL) {
			snprintf(why, cap, "the charter names voting method %s, which is not stored "
				 "here with an unrevoked auditor's signature", unusable);
			return why;
		}
		st->charter = charter;
		st->version++;
		o = json_object_new_object();
		json_object_object_add(o, "version", json_object_new_int(st->version));
		json_object_object_add(o, "charter", json_object_get(charter));
		json_object_object_add(o, "methods", m);
		push(st->changes, "charters", o);
		/* roles the new charter no longer has are no longer held */
		keep = json_object_new_array();
		json_object_object_foreach(json_object_object_get(charter, "roles"), name, r) {
			(void)r;
			json_object_array_add(keep, json_object_new_string(name));
		}
		json_object_object_add(st->changes, "roles", keep);
		json_object_object_foreach(st->members, who, held_roles) {
			struct json_object *left = json_object_new_array();
			for (size_t k = 0; k < json_object_array_length(held_roles); k++) {
				struct json_object *h = json_object_array_get_idx(held_roles, k);
				if (role_index(keep, json_object_get_string(h)) >= 0)
					json_object_array_add(left, json_object_get(h));
			}
			json_object_object_add(st->members, who, left);
		}
		return NULL;
	}
	case CHARTER_APPROVE_EXPENSE:
		return post_expense(a, st, json_object_object_get(action, "entry"), why, cap);
	case CHARTER_ALLOCATE_SURPLUS:
		return allocate(a, st, action, why, cap);
	default:
		return "not an effect this instance applies";
	}
}

/* Each adopted action in turn: applied, or refused with its reason. */
static void
apply_all(struct apply *a, struct state *st)
{
	for (size_t i = 0; i < json_object_array_length(a->res.adopted); i++) {
		struct json_object *action =
		    json_object_object_get(json_object_array_get_idx(a->res.adopted, i), "action");
		const char *names[CHARTER_MAX_ROLES];
		struct charter_held h = {names, 0}; /* only an amendment's check reads it */
		struct decisions_fault f;
		char buf[sizeof(f.detail) + 64];
		const char *why = NULL;
		struct json_object *item;

		if (a->effect == CHARTER_AMEND_CHARTER)
			h = held(st, names, CHARTER_MAX_ROLES);
		if (json_object_is_type(action, json_type_string)) {
			why = "not an action: the proposal's payload is not JSON an action can be";
		} else if (decisions_action_check(a->effect, st->charter, &h, action, &f) != 0) {
			snprintf(buf, sizeof(buf), "not a valid %s action now: %s",
				 charter_effect_name(a->effect), f.detail);
			why = buf;
		} else {
			why = apply_action(a, st, action, buf, sizeof(buf));
		}
		if (why == NULL) {
			json_object_array_add(st->applied, json_object_get(action));
			continue;
		}
		item = json_object_new_object();
		json_object_object_add(item, "action", json_object_get(action));
		json_object_object_add(item, "reason", json_object_new_string(why));
		json_object_array_add(st->refused, item);
	}
}

/* ---- writing it ---- */

static void
written_cb(void *arg, const struct problem *no, const char *json)
{
	struct apply *a = arg;
	char why[PROBLEM_DETAIL_MAX + 64];

	if (no != NULL) {
		snprintf(why, sizeof(why), "the database: %s", no->detail);
		finish(a, why);
	} else if (json != NULL && strcmp(json, "1") == 0) {
		log_info("FreeCoop applied decision %s to group %s (%zu actions in %llu ms)",
			 a->decision, a->group, json_object_array_length(a->res.adopted),
			 (unsigned long long)((util_now_us() - a->started_us) / 1000));
		finish(a, NULL);
	} else if (++a->tries < TRIES) {
		begin(a); /* the group's log moved on, or the decision was applied meanwhile */
	} else {
		finish(a, "the group's log kept moving on; tried again later");
	}
}

static const char *
text(struct json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

/* Seals the log entries a decision's application appends after seq after: entry (the
 * decision's, unsealed), then a ledger entry for each entry it posts (st's changes'
 * "entries", which get their seq): [{"seq", "hash", "entry": canonical text}], or NULL. */
static struct json_object *
log_rows(struct apply *a, struct json_object *entry, struct state *st, long long after,
	 const char *at)
{
	struct json_object *rows = json_object_new_array(), *posted = NULL;
	struct json_object *e = json_object_get(entry);
	long long seq = after + 1;
	size_t i = 0, n;
	char *canon = NULL;
	size_t len;

	n = json_object_object_get_ex(st->changes, "entries", &posted)
		? json_object_array_length(posted)
		: 0;
	for (;;) {
		struct json_object *row;
		if (glog_entry_seal(e, a->c->keys->signing, a->c->keys->kid) != 0 ||
		    glog_canonical(e, &canon, &len) != 0) {
			json_object_put(e);
			json_object_put(rows);
			return NULL;
		}
		row = json_object_new_object();
		json_object_object_add(row, "seq", json_object_new_int64(seq));
		json_object_object_add(row, "hash", json_object_get(json_object_object_get(e, "hash")));
		json_object_object_add(row, "entry", json_object_new_string_len(canon, (int)len));
		json_object_array_add(rows, row);
		free(canon);
		canon = NULL;
		if (i == n)
			break;
		/* the next: a ledger entry of the next posted entry */
		{
			struct json_object *next = json_object_new_object();
			struct json_object *p = json_object_array_get_idx(posted, i++);
			json_object_object_add(next, "group", json_object_new_string(a->group));
			json_object_object_add(next, "seq", json_object_new_int64(seq + 1));
			json_object_object_add(next, "prev",
					       json_object_get(json_object_object_get(e, "hash")));
			json_object_object_add(next, "at", json_object_new_string(at));
			json_object_object_add(next, "kind", json_object_new_string("ledger"));
			json_object_object_add(next, "charter_version",
					       json_object_get(json_object_object_get(e, "charter_version")));
			json_object_object_add(next, "entry", json_object_get(p));
			json_object_put(e);
			e = next;
			seq++;
		}
	}
	json_object_put(e);
	/* the posted entries learn their seq only now: the log holds them without it */
	for (i = 0; i < n; i++)
		json_object_object_add(json_object_array_get_idx(posted, i), "seq",
				       json_object_new_int64(after + 2 + (long long)i));
	return rows;
}

/* The group as it is now: the actions applied, the entry signed, all written at once. */
static void
compute(struct apply *a)
{
	struct state st = {0};
	struct json_object *entry = NULL, *error, *rows = NULL;
	char at[40], seq[24], version[16], today[11];
	long long after;
	struct coop_effect row;

	after = json_object_get_int64(json_object_object_get(a->ctx, "log_seq"));
	st.charter = json_object_object_get(a->ctx, "charter");
	st.version = json_object_get_int(json_object_object_get(a->ctx, "charter_version"));
	st.members = json_object_object_get(a->ctx, "members");
	st.accounts = json_object_object_get(a->ctx, "accounts");
	st.closed = json_object_object_get(a->ctx, "closed");
	st.capital = json_object_object_get(a->ctx, "capital");
	st.years = a->years;
	st.applicants = json_object_new_object();
	st.changes = json_object_new_object();
	st.applied = json_object_new_array();
	st.refused = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(json_object_object_get(a->ctx, "applicants"));
	     i++)
		json_object_object_add(st.applicants,
				       json_object_get_string(json_object_array_get_idx(
					   json_object_object_get(a->ctx, "applicants"), i)),
				       NULL);
	util_time_format(util_realtime_us(), at);
	snprintf(today, sizeof(today), "%.10s", at);
	st.today = today;
	if (a->res.ok)
		apply_all(a, &st);

	entry = json_object_new_object();
	json_object_object_add(entry, "group", json_object_new_string(a->group));
	json_object_object_add(entry, "seq", json_object_new_int64(after + 1));
	json_object_object_add(entry, "prev",
			       json_object_get(json_object_object_get(a->ctx, "head")));
	json_object_object_add(entry, "at", json_object_new_string(at));
	json_object_object_add(entry, "kind", json_object_new_string("decision"));
	json_object_object_add(entry, "charter_version", json_object_new_int(st.version));
	json_object_object_add(entry, "decision", json_object_new_string(a->decision));
	json_object_object_add(entry, "type", json_object_new_string(a->type));
	json_object_object_add(entry, "result", json_object_new_string(a->res.sha256));
	json_object_object_add(entry, "outcome",
			       json_object_new_string(a->res.ok ? "applied" : "failed"));
	if (!a->res.ok && json_object_object_get_ex(json_object_object_get(a->res.doc, "outcome"),
						    "error", &error))
		json_object_object_add(entry, "error", json_object_get(error));
	json_object_object_add(entry, "applied", json_object_get(st.applied));
	json_object_object_add(entry, "refused", json_object_get(st.refused));
	if ((rows = log_rows(a, entry, &st, after, at)) == NULL) {
		finish(a, "the log entries could not be signed");
		goto out;
	}
	snprintf(seq, sizeof(seq), "%lld", after);
	snprintf(version, sizeof(version), "%d", st.version);
	row = (struct coop_effect){
	    .group = a->group,
	    .after_seq = seq,
	    .hash = json_object_get_string(json_object_object_get(
		json_object_array_get_idx(rows, json_object_array_length(rows) - 1), "hash")),
	    .entry = text(rows),
	    .decision = a->decision,
	    .outcome = a->res.ok ? "applied" : "failed",
	    .applied = text(st.applied),
	    .refused = text(st.refused),
	    .jws = a->jws,
	    .result = a->res.sha256,
	    .changes = text(st.changes),
	    .charter_version = version,
	    .at = at,
	};
	coop_store_effect_apply(a->c->app->db, &row, written_cb, a);
out:
	json_object_put(rows);
	json_object_put(entry);
	json_object_put(st.applicants);
	json_object_put(st.changes);
	json_object_put(st.applied);
	json_object_put(st.refused);
}

static void next_year(struct apply *a);

static void
year_cb(void *arg, const struct problem *no, const char *json)
{
	struct apply *a = arg;
	struct json_object *y;
	char why[PROBLEM_DETAIL_MAX + 64], key[16];

	if (no != NULL || json == NULL || (y = json_tokener_parse(json)) == NULL) {
		snprintf(why, sizeof(why), "the books could not be read: %s",
			 no != NULL ? no->detail : "no such group");
		finish(a, why);
		return;
	}
	snprintf(key, sizeof(key), "%d", a->year_ids[a->next_year++]);
	json_object_object_add(a->years, key, y);
	next_year(a);
}

/* The books of each year the allocations name, read after the group (so that the log's
 * end read with the group covers them too), then the application. */
static void
next_year(struct apply *a)
{
	char year[16];
	struct db_param p[] = {db_text(a->group), db_text(NULL), db_text(year)};

	if (a->next_year == a->nyears) {
		compute(a);
		return;
	}
	snprintf(year, sizeof(year), "%d", a->year_ids[a->next_year]);
	coop_store_json(a->c->app->db, &coop_stmt_surplus_context, p, year_cb, a);
}

static void
context_cb(void *arg, const struct problem *no, const char *json)
{
	struct apply *a = arg;
	char why[PROBLEM_DETAIL_MAX + 64];

	if (no != NULL || json == NULL || (a->ctx = json_tokener_parse(json)) == NULL) {
		snprintf(why, sizeof(why), "the group could not be read: %s",
			 no != NULL ? no->detail : "no such group");
		finish(a, why);
		return;
	}
	json_object_put(a->years);
	a->years = json_object_new_object();
	a->nyears = a->next_year = 0;
	for (size_t i = 0; a->res.ok && a->effect == CHARTER_ALLOCATE_SURPLUS &&
			   i < json_object_array_length(a->res.adopted); i++) {
		struct json_object *year = json_object_object_get(json_object_object_get(
		    json_object_array_get_idx(a->res.adopted, i), "action"), "year");
		int y = json_object_get_int(year);
		bool seen = false;
		if (!json_object_is_type(year, json_type_int) || y < 1900 || y > 9998)
			continue;
		for (size_t k = 0; k < a->nyears; k++)
			seen |= a->year_ids[k] == y;
		if (!seen && a->nyears < sizeof(a->year_ids) / sizeof(a->year_ids[0]))
			a->year_ids[a->nyears++] = y;
	}
	next_year(a);
}

static void
read_group(struct apply *a)
{
	struct db_param p[] = {db_text(a->group), db_text(charter_effect_name(a->effect))};

	coop_store_json(a->c->app->db, &coop_stmt_effect_context, p, context_cb, a);
}

/* ---- the voting methods amendments name ---- */

static void next_method(struct apply *a);

static void
method_cb(void *arg, const struct problem *no, const struct core_method *m, size_t n)
{
	struct apply *a = arg;
	char why[PROBLEM_DETAIL_MAX + 64];

	if (no != NULL && no->status != 404) {
		snprintf(why, sizeof(why), "a voting method could not be read: %s", no->detail);
		finish(a, why);
		return;
	}
	json_object_object_add(a->methods, a->ids[a->next],
			       no == NULL && n == 1 && groups_method_usable(m)
				   ? json_object_new_string(m->name)
				   : NULL);
	a->next++;
	next_method(a);
}

static void
next_method(struct apply *a)
{
	if (a->next < a->nids)
		core_method_get(a->c->core, a->ids[a->next], method_cb, a);
	else
		read_group(a);
}

/* The method ids the adopted amendments name, each once, to be looked up at the core. */
static void
methods(struct apply *a)
{
	a->methods = json_object_new_object();
	for (size_t i = 0; a->effect == CHARTER_AMEND_CHARTER &&
			   i < json_object_array_length(a->res.adopted); i++) {
		struct json_object *action = json_object_object_get(
		    json_object_array_get_idx(a->res.adopted, i), "action");
		struct json_object *types = json_object_object_get(
		    json_object_object_get(action, "charter"), "decision_types");
		if (!json_object_is_type(types, json_type_object))
			continue;
		json_object_object_foreach(types, name, t) {
			struct json_object *m = json_object_object_get(t, "method");
			const char *id = json_object_get_string(m);
			bool seen = false;
			(void)name;
			if (!json_object_is_type(m, json_type_string) ||
			    json_object_get_string_len(m) != CHARTER_METHOD_LEN)
				continue;
			for (size_t k = 0; k < a->nids && !seen; k++)
				seen = strcmp(a->ids[k], id) == 0;
			if (!seen && a->nids < sizeof(a->ids) / sizeof(a->ids[0]))
				a->ids[a->nids++] = id;
		}
	}
	next_method(a);
}

/* ---- the result ---- */

static void
keys_cb(void *arg, const struct problem *no, const struct core_authority *keys, size_t n)
{
	struct apply *a = arg;
	char why[PROBLEM_DETAIL_MAX + RESULT_WHY_MAX];

	if (no != NULL) {
		snprintf(why, sizeof(why), "the core's keys could not be read: %s", no->detail);
		finish(a, why);
		return;
	}
	if (result_read((const unsigned char *)a->jws, a->jwslen, keys, n, a->decision,
			a->c->service.service_id, &a->res, why) != 0) {
		finish(a, why);
		return;
	}
	methods(a);
}

static void
document_cb(void *arg, const struct problem *no, const struct core_result *r)
{
	struct apply *a = arg;
	char why[PROBLEM_DETAIL_MAX + 64];

	if (no != NULL) {
		snprintf(why, sizeof(why), "its result could not be read: %s", no->detail);
		finish(a, why);
		return;
	}
	if ((a->jws = malloc(r->jws_len + 1)) == NULL) {
		finish(a, "out of memory");
		return;
	}
	memcpy(a->jws, r->jws, r->jws_len);
	a->jws[r->jws_len] = '\0';
	a->jwslen = r->jws_len;
	core_authorities_list(a->c->core, keys_cb, a);
}

static void
decision_cb(void *arg, const struct problem *no, const char *json)
{
	struct apply *a = arg;
	struct json_object *d;
	const char *group, *effect, *type;
	char why[PROBLEM_DETAIL_MAX + 64];

	if (no != NULL) {
		snprintf(why, sizeof(why), "the database: %s", no->detail);
		finish(a, why);
		return;
	}
	if (json == NULL) { /* a decision of FreeCoop's service that no group started */
		log_warn("FreeCoop: decision %s is no group's; nothing to apply", a->decision);
		finish(a, NULL);
		return;
	}
	if ((d = json_tokener_parse(json)) == NULL) {
		finish(a, "the decision could not be read");
		return;
	}
	group = json_object_get_string(json_object_object_get(d, "group"));
	effect = json_object_get_string(json_object_object_get(d, "effect"));
	type = json_object_get_string(json_object_object_get(d, "type"));
	if (json_object_get_type(json_object_object_get(d, "outcome")) != json_type_null) {
		json_object_put(d);
		finish(a, NULL); /* applied already: a redelivery, or another instance */
		return;
	}
	if (group == NULL || effect == NULL || type == NULL ||
	    charter_effect_parse(effect, &a->effect) != 0) {
		json_object_put(d);
		finish(a, "the decision's effect is unknown");
		return;
	}
	snprintf(a->group, sizeof(a->group), "%s", group);
	snprintf(a->type, sizeof(a->type), "%s", type);
	snprintf(a->started_by, sizeof(a->started_by), "%s",
		 json_object_get_string(json_object_object_get(d, "started_by")));
	json_object_put(d);
	if (a->jws != NULL) /* again, after another write came first: the result is known */
		read_group(a);
	else
		core_result_document(a->c->core, a->decision, EFFECTS_RESULT_MAX, document_cb, a);
}

static void
begin(struct apply *a)
{
	struct db_param p[] = {db_text(a->decision)};

	json_object_put(a->ctx);
	a->ctx = NULL;
	coop_store_json(a->c->app->db, &coop_stmt_effect_decision, p, decision_cb, a);
}

static void
deliver(void *arg, const struct core_event *ev, core_event_done done, void *token)
{
	struct coop *c = arg;
	struct apply *a;

	if (!util_uuid_parse(ev->decision, (char[UTIL_UUID_LEN + 1]){0})) {
		done(token, NULL); /* nothing FreeCoop could apply */
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		done(token, "out of memory");
		return;
	}
	a->c = c;
	a->done = done;
	a->token = token;
	a->started_us = util_now_us();
	snprintf(a->decision, sizeof(a->decision), "%s", ev->decision);
	begin(a);
}

static void
subscribed_cb(void *arg, const struct problem *no)
{
	(void)arg;
	if (no != NULL)
		log_error("FreeCoop could not subscribe to its decisions' events: %s; decisions "
			  "are not applied until it restarts",
			  no->detail);
}

void
effects_start(struct coop *c)
{
	core_events_subscribe(c->core, c->service.service_id, deliver, c, subscribed_cb, c);
}
