/* reports — what a group's books say (see the header). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "app.h"
#include "b64.h"
#include "books.h"
#include "reports.h"
#include "store.h"
#include "util.h"

struct report {
	groups_cb cb;
	void *arg;
	char from[11], to[11];
	bool sheet; /* the balance sheet; else the income statement */
};

/* A section: {"accounts": [{"code", "name", "balance"}], "total"}, each balance signed
 * with sign (1: debits positive, -1: credits positive); its total into *total. */
static struct json_object *
section(struct json_object *accounts, const char *type, int sign, int64_t *total)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();

	*total = 0;
	for (size_t i = 0; i < json_object_array_length(accounts); i++) {
		struct json_object *a = json_object_array_get_idx(accounts, i), *x;
		int64_t b = json_object_get_int64(json_object_array_get_idx(a, 3)) * sign;
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, 2)), type) != 0)
			continue;
		x = json_object_new_object();
		json_object_object_add(x, "code", json_object_get(json_object_array_get_idx(a, 0)));
		json_object_object_add(x, "name", json_object_get(json_object_array_get_idx(a, 1)));
		json_object_object_add(x, "balance", json_object_new_int64(b));
		json_object_array_add(list, x);
		*total += b;
	}
	json_object_object_add(o, "accounts", list);
	json_object_object_add(o, "total", json_object_new_int64(*total));
	return o;
}

static void
report_cb(void *arg, const struct problem *no, const char *json)
{
	struct report *rp = arg;
	struct json_object *x = NULL, *o = NULL, *accounts;
	struct problem why;
	int64_t assets, liabilities, equity, income, expenses;

	if (no == NULL && json == NULL)
		no = problem_set(&why, 404, "not-found", GROUPS_NO_GROUP);
	else if (no == NULL && (x = json_tokener_parse(json)) == NULL)
		no = problem_set(&why, 500, "internal-error", "The books could not be read.");
	if (no != NULL) {
		rp->cb(rp->arg, no, NULL, NULL);
		json_object_put(x);
		free(rp);
		return;
	}
	accounts = json_object_object_get(x, "accounts");
	o = json_object_new_object();
	if (rp->sheet) {
		json_object_object_add(o, "at", json_object_new_string(rp->to));
		json_object_object_add(o, "currency",
				       json_object_get(json_object_object_get(x, "currency")));
		json_object_object_add(o, "assets", section(accounts, "asset", 1, &assets));
		json_object_object_add(o, "liabilities",
				       section(accounts, "liability", -1, &liabilities));
		json_object_object_add(o, "equity", section(accounts, "equity", -1, &equity));
		json_object_put(section(accounts, "income", -1, &income));
		json_object_put(section(accounts, "expense", 1, &expenses));
		json_object_object_add(o, "result", json_object_new_int64(income - expenses));
		json_object_object_add(o, "balanced", json_object_new_boolean(
		    assets == liabilities + equity + income - expenses));
	} else {
		json_object_object_add(o, "from", json_object_new_string(rp->from));
		json_object_object_add(o, "to", json_object_new_string(rp->to));
		json_object_object_add(o, "currency",
				       json_object_get(json_object_object_get(x, "currency")));
		json_object_object_add(o, "income", section(accounts, "income", -1, &income));
		json_object_object_add(o, "expenses", section(accounts, "expense", 1, &expenses));
		json_object_object_add(o, "net", json_object_new_int64(income - expenses));
	}
	rp->cb(rp->arg, NULL, NULL, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	json_object_put(x);
	free(rp);
}

static void
report(struct coop *c, const struct principal *who, const char *gid, const char *from,
       const char *to, groups_cb cb, void *arg)
{
	struct report *rp;
	struct problem no;

	if (!groups_is_person(c, who, cb, arg))
		return;
	if ((rp = calloc(1, sizeof(*rp))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	rp->cb = cb;
	rp->arg = arg;
	rp->sheet = from == NULL;
	snprintf(rp->from, sizeof(rp->from), "%s", from != NULL ? from : "");
	snprintf(rp->to, sizeof(rp->to), "%s", to);
	if (rp->sheet) {
		struct db_param p[] = {db_text(gid), db_text(who->account_id), db_text(rp->to)};
		coop_store_json(c->app->db, &coop_stmt_balances_at, p, report_cb, rp);
	} else {
		struct db_param p[] = {db_text(gid), db_text(who->account_id), db_text(rp->from),
				       db_text(rp->to)};
		coop_store_json(c->app->db, &coop_stmt_income_statement, p, report_cb, rp);
	}
}

void
reports_balance_sheet(struct coop *c, const struct principal *who, const char *gid,
		      const char *at, groups_cb cb, void *arg)
{
	report(c, who, gid, NULL, at, cb, arg);
}

void
reports_income_statement(struct coop *c, const struct principal *who, const char *gid,
			 const char *from, const char *to, groups_cb cb, void *arg)
{
	report(c, who, gid, from, to, cb, arg);
}

void
reports_members(struct coop *c, const struct principal *who, const char *gid, groups_cb cb,
		void *arg)
{
	groups_member_read(c, &coop_stmt_members_report, who, gid, cb, arg);
}

/* ---- a member's signed statement ---- */

struct statement {
	struct coop *c;
	groups_cb cb;
	void *arg;
	char gid[UTIL_UUID_LEN + 1], person[UTIL_UUID_LEN + 1];
	int year;
	struct json_object *books; /* the year's figures (coop_stmt_surplus_context) */
};

static void
statement_end(struct statement *st, const struct problem *no, const char *jws)
{
	st->cb(st->arg, no, NULL, jws);
	json_object_put(st->books);
	free(st);
}

/* The compact JWS of payload by FreeCoop's key, or NULL. */
static char *
sign_jws(struct coop *c, struct json_object *payload)
{
	char header[160], *h64 = NULL, *p64 = NULL, *out = NULL, sig64[90];
	const char *p = json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN);
	unsigned char sig[64];
	size_t siglen = sizeof(sig), hl, pl;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	snprintf(header, sizeof(header), "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"JOSE\","
		 "\"cty\":\"member-statement+json\"}", c->keys->kid);
	hl = b64_encoded_len(strlen(header), true);
	pl = b64_encoded_len(strlen(p), true);
	if (md != NULL && (h64 = malloc(hl + 1)) != NULL && (p64 = malloc(pl + 1)) != NULL &&
	    (out = malloc(hl + pl + sizeof(sig64) + 3)) != NULL) {
		b64_encode((const unsigned char *)header, strlen(header), h64, true);
		b64_encode((const unsigned char *)p, strlen(p), p64, true);
		snprintf(out, hl + pl + 2, "%s.%s", h64, p64);
		if (EVP_DigestSignInit(md, NULL, NULL, NULL, c->keys->signing) == 1 &&
		    EVP_DigestSign(md, sig, &siglen, (unsigned char *)out, hl + pl + 1) == 1) {
			b64_encode(sig, siglen, sig64, true);
			strcat(out, ".");
			strcat(out, sig64);
		} else {
			free(out);
			out = NULL;
		}
	}
	EVP_MD_CTX_free(md);
	free(h64);
	free(p64);
	return out;
}

static void
statement_person_cb(void *arg, const struct problem *no, const char *json)
{
	struct statement *st = arg;
	struct json_object *x = NULL, *o, *alloc, *m = NULL, *members;
	struct problem why;
	const char *detail = NULL;
	char at[40], *jws;

	if (no == NULL && json == NULL)
		no = problem_set(&why, 404, "not-found", "This person has no capital account in "
				 "the group: no statement.");
	else if (no == NULL && (x = json_tokener_parse(json)) == NULL)
		no = problem_set(&why, 500, "internal-error", "The books could not be read.");
	if (no != NULL || (alloc = books_allocation(st->books, st->year, &detail)) == NULL) {
		if (no == NULL)
			no = problem_set(&why, 422, "invalid-request", "%s", detail);
		json_object_put(x);
		statement_end(st, no, NULL);
		return;
	}
	members = json_object_object_get(alloc, "members");
	for (size_t i = 0; i < json_object_array_length(members) && m == NULL; i++)
		if (strcmp(json_object_get_string(json_object_object_get(
				   json_object_array_get_idx(members, i), "person")),
			   st->person) == 0)
			m = json_object_array_get_idx(members, i);
	util_time_format(util_realtime_us(), at);
	o = json_object_new_object();
	json_object_object_add(o, "group", json_object_new_string(st->gid));
	json_object_object_add(o, "group_name", json_object_get(json_object_object_get(x, "group_name")));
	json_object_object_add(o, "person", json_object_new_string(st->person));
	json_object_object_add(o, "name", json_object_get(json_object_object_get(x, "name")));
	json_object_object_add(o, "year", json_object_new_int(st->year));
	json_object_object_add(o, "from", json_object_get(json_object_object_get(st->books, "starts_on")));
	json_object_object_add(o, "to", json_object_get(json_object_object_get(st->books, "ends_on")));
	json_object_object_add(o, "currency", json_object_get(json_object_object_get(
		json_object_object_get(json_object_object_get(st->books, "charter"), "accounting"),
		"currency")));
	json_object_object_add(o, "patronage_unit", json_object_get(json_object_object_get(
		json_object_object_get(json_object_object_get(st->books, "charter"), "accounting"),
		"patronage_unit")));
	json_object_object_add(o, "status", json_object_new_string(
		json_object_get_boolean(json_object_object_get(st->books, "closed")) ? "allocated"
										   : "provisional"));
	json_object_object_add(o, "patronage", json_object_new_int64(
		m != NULL ? json_object_get_int64(json_object_object_get(m, "patronage")) : 0));
	json_object_object_add(o, "allocation", json_object_new_int64(
		m != NULL ? json_object_get_int64(json_object_object_get(m, "allocation")) : 0));
	json_object_object_add(o, "cash", json_object_new_int64(
		m != NULL ? json_object_get_int64(json_object_object_get(m, "cash")) : 0));
	json_object_object_add(o, "retained", json_object_new_int64(
		m != NULL ? json_object_get_int64(json_object_object_get(m, "retained")) : 0));
	json_object_object_add(o, "capital", json_object_get(json_object_object_get(x, "capital")));
	json_object_object_add(o, "payable_as_former",
			       json_object_get(json_object_object_get(x, "payable_as_former")));
	json_object_object_add(o, "seq", json_object_get(json_object_object_get(x, "seq")));
	json_object_object_add(o, "head", json_object_get(json_object_object_get(x, "head")));
	json_object_object_add(o, "issued_at", json_object_new_string(at));
	jws = sign_jws(st->c, o);
	statement_end(st, jws != NULL ? NULL
				      : problem_set(&why, 500, "internal-error",
						    "The statement could not be signed."),
		      jws);
	free(jws);
	json_object_put(o);
	json_object_put(alloc);
	json_object_put(x);
}

static void
statement_books_cb(void *arg, const struct problem *no, const char *json)
{
	struct statement *st = arg;
	struct problem why;
	struct db_param p[3];

	if (no == NULL && json == NULL)
		no = problem_set(&why, 404, "not-found", GROUPS_NO_GROUP);
	else if (no == NULL && (st->books = json_tokener_parse(json)) == NULL)
		no = problem_set(&why, 500, "internal-error", "The books could not be read.");
	if (no != NULL) {
		statement_end(st, no, NULL);
		return;
	}
	p[0] = db_text(st->gid);
	p[1] = db_text(st->person);
	p[2] = db_text(json_object_get_string(json_object_object_get(st->books, "ends_on")));
	coop_store_json(st->c->app->db, &coop_stmt_statement_person, p, statement_person_cb, st);
}

void
reports_statement(struct coop *c, const struct principal *who, const char *gid,
		  const char *person, int year, groups_cb cb, void *arg)
{
	struct statement *st;
	char y[16];
	struct db_param p[] = {db_text(gid), db_text(who->account_id), db_text(y)};
	struct problem no;

	if (!groups_is_person(c, who, cb, arg))
		return;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	st->c = c;
	st->cb = cb;
	st->arg = arg;
	st->year = year;
	memcpy(st->gid, gid, UTIL_UUID_LEN);
	util_uuid_parse(person, st->person);
	snprintf(y, sizeof(y), "%d", year);
	coop_store_json(c->app->db, &coop_stmt_surplus_context, p, statement_books_cb, st);
}
