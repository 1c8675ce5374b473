/* reports — what a group's books say (see the header). */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "reports.h"
#include "store.h"

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
	struct db_param p[] = {db_text(gid), db_text(who->account_id)};

	if (groups_is_person(c, who, cb, arg))
		groups_one_row(c, &coop_stmt_members_report, p, GROUPS_NO_GROUP, cb, arg);
}
