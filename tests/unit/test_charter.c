/* The charter (DESIGN §10.4): the default passes; each rule refuses its breach at the exact
 * JSON pointer, and accepts what lies on its edge; the lock-in refusal; currencies; the
 * reads FreeCoop makes of a valid charter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json_pointer.h>

#include "coop/charter.h"

#define YES "1111111111111111111111111111111111111111111111111111111111111111"
#define TWO "2222222222222222222222222222222222222222222222222222222222222222"

static struct json_object *
fresh(void)
{
	struct json_object *c = charter_default(YES, TWO);

	assert_non_null(c);
	return c;
}

/* Sets the member at path to the JSON text value; NULL removes it. */
static void
mutate(struct json_object *c, const char *path, const char *value)
{
	const char *slash = strrchr(path, '/');
	struct json_object *parent = c, *v;
	char up[256];

	if (value != NULL) {
		v = json_tokener_parse(value);
		assert_true(v != NULL || strcmp(value, "null") == 0);
		assert_int_equal(json_pointer_set(&c, path, v), 0);
		return;
	}
	snprintf(up, sizeof(up), "%.*s", (int)(slash - path), path);
	if (up[0] != '\0')
		assert_int_equal(json_pointer_get(c, up, &parent), 0);
	assert_true(json_object_object_get_ex(parent, slash + 1, NULL));
	json_object_object_del(parent, slash + 1);
}

static const struct charter_held *
holding(const char *const *roles, size_t n, struct charter_held *h)
{
	h->roles = roles;
	h->n = n;
	return h;
}

/* Asserts that c is refused at pointer, with a sentence saying why. */
static void
refused_at(struct json_object *c, const struct charter_held *held, const char *pointer)
{
	struct charter_fault f;

	memset(&f, 0x55, sizeof(f));
	assert_int_equal(charter_validate(c, held, &f), -1);
	assert_string_equal(f.pointer, pointer);
	assert_true(strlen(f.detail) > 10);
	assert_int_equal(f.detail[strlen(f.detail) - 1], '.');
}

static void
accepted(struct json_object *c, const struct charter_held *held)
{
	struct charter_fault f = {{0}, {0}};
	int r = charter_validate(c, held, &f);

	if (r != 0)
		fail_msg("refused at \"%s\": %s", f.pointer, f.detail);
}

static void
test_default(void **state)
{
	static const char *const founders[] = {"member", "treasurer"};
	static const char *const members[] = {"member"};
	struct json_object *c = fresh();
	struct charter_held h;

	accepted(c, NULL);
	accepted(c, holding(founders, 2, &h));
	/* Ordinary members alone can still amend it. */
	accepted(c, holding(members, 1, &h));
	/* Not an id: refused rather than written into the text. */
	assert_null(charter_default("1111\"", TWO));
	assert_null(charter_default(YES, "ABCDEF"));
	json_object_put(c);
}

/* One breach of each rule, and where it is refused. */
static const struct breach {
	const char *path, *value; /* value NULL: the member is removed */
	const char *pointer;
} breaches[] = {
	/* The charter's own members. */
	{"/extra", "1", "/extra"},
	{"/roles", NULL, "/roles"},
	{"/founder_roles", NULL, "/founder_roles"},
	{"/member_roles", NULL, "/member_roles"},
	{"/accounting", NULL, "/accounting"},
	{"/decision_types", NULL, "/decision_types"},
	/* Roles. */
	{"/roles", "[]", "/roles"},
	{"/roles", "{}", "/roles"},
	{"/roles/Member", "{\"permissions\": []}", "/roles/Member"},
	{"/roles/9lives", "{\"permissions\": []}", "/roles/9lives"},
	{"/roles/a-b", "{\"permissions\": []}", "/roles/a-b"},
	{"/roles/abcdefghijklmnopqrstuvwxyz0123456", "{\"permissions\": []}", "/roles"},
	{"/roles/member", "[]", "/roles/member"},
	{"/roles/member/colour", "1", "/roles/member/colour"},
	{"/roles/member/permissions", NULL, "/roles/member/permissions"},
	{"/roles/member/permissions", "\"record_patronage\"", "/roles/member/permissions"},
	{"/roles/member/permissions/0", "\"fly\"", "/roles/member/permissions/0"},
	{"/roles/member/permissions/0", "7", "/roles/member/permissions/0"},
	{"/roles/treasurer/permissions/2", "\"record_income\"", "/roles/treasurer/permissions/2"},
	{"/roles/treasurer/limits", "[]", "/roles/treasurer/limits"},
	{"/roles/treasurer/limits/per_day", "1", "/roles/treasurer/limits/per_day"},
	{"/roles/treasurer/limits/expense_per_entry", "-1",
	 "/roles/treasurer/limits/expense_per_entry"},
	{"/roles/treasurer/limits/expense_per_entry", "9007199254740992",
	 "/roles/treasurer/limits/expense_per_entry"},
	{"/roles/treasurer/limits/expense_per_month", "18446744073709551615",
	 "/roles/treasurer/limits/expense_per_month"},
	{"/roles/treasurer/limits/expense_per_month", "1.5",
	 "/roles/treasurer/limits/expense_per_month"},
	{"/roles/treasurer/limits/expense_per_month", "100.0",
	 "/roles/treasurer/limits/expense_per_month"},
	{"/roles/treasurer/limits/expense_per_month", "\"100\"",
	 "/roles/treasurer/limits/expense_per_month"},
	{"/roles/treasurer/limits/expense_per_month", "null",
	 "/roles/treasurer/limits/expense_per_month"},
	/* founder_roles and member_roles. */
	{"/founder_roles", "[]", "/founder_roles"},
	{"/founder_roles", "\"member\"", "/founder_roles"},
	{"/founder_roles/1", "\"boss\"", "/founder_roles/1"},
	{"/founder_roles/1", "\"member\"", "/founder_roles/1"},
	{"/member_roles", "[]", "/member_roles"},
	{"/member_roles/0", "{}", "/member_roles/0"},
	/* Accounting. */
	{"/accounting", "\"EUR\"", "/accounting"},
	{"/accounting/vat", "\"20/100\"", "/accounting/vat"},
	{"/accounting/currency", NULL, "/accounting/currency"},
	{"/accounting/loss_policy", NULL, "/accounting/loss_policy"},
	{"/accounting/currency", "\"XYZ\"", "/accounting/currency"},
	{"/accounting/currency", "\"eur\"", "/accounting/currency"},
	{"/accounting/currency", "\"EURO\"", "/accounting/currency"},
	{"/accounting/currency", "\"XAU\"", "/accounting/currency"},
	{"/accounting/currency", "\"HRK\"", "/accounting/currency"},
	{"/accounting/currency", "978", "/accounting/currency"},
	{"/accounting/fiscal_year_start", "\"02-29\"", "/accounting/fiscal_year_start"},
	{"/accounting/fiscal_year_start", "\"13-01\"", "/accounting/fiscal_year_start"},
	{"/accounting/fiscal_year_start", "\"00-10\"", "/accounting/fiscal_year_start"},
	{"/accounting/fiscal_year_start", "\"04-31\"", "/accounting/fiscal_year_start"},
	{"/accounting/fiscal_year_start", "\"01-00\"", "/accounting/fiscal_year_start"},
	{"/accounting/fiscal_year_start", "\"1-01\"", "/accounting/fiscal_year_start"},
	{"/accounting/fiscal_year_start", "\"01/01\"", "/accounting/fiscal_year_start"},
	{"/accounting/fiscal_year_start", "\"2026-01-01\"", "/accounting/fiscal_year_start"},
	{"/accounting/reserve_share", "\"2/1\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"01/2\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"1/02\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"-1/2\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"+1/2\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"1/0\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"0/0\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"0.3\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"1\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"/2\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"1/\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"1/2/3\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"1 /2\"", "/accounting/reserve_share"},
	{"/accounting/reserve_share", "\"1/1000000000\"", "/accounting/reserve_share"},
	{"/accounting/cash_share", "0.2", "/accounting/cash_share"},
	{"/accounting/patronage_unit", "\"hours\"", "/accounting/patronage_unit"},
	{"/accounting/loss_policy", "\"ignore\"", "/accounting/loss_policy"},
	/* Decision types. */
	{"/decision_types", "{}", "/decision_types"},
	{"/decision_types/Admit", "{}", "/decision_types/Admit"},
	{"/decision_types/admit_member", "[]", "/decision_types/admit_member"},
	{"/decision_types/admit_member/quorum", "3", "/decision_types/admit_member/quorum"},
	{"/decision_types/admit_member/method", NULL, "/decision_types/admit_member/method"},
	{"/decision_types/admit_member/effect", "\"admit\"", "/decision_types/admit_member/effect"},
	{"/decision_types/admit_member/start", "[]", "/decision_types/admit_member/start"},
	{"/decision_types/admit_member/propose/0", "\"boss\"",
	 "/decision_types/admit_member/propose/0"},
	{"/decision_types/admit_member/vote/0", "\"boss\"", "/decision_types/admit_member/vote/0"},
	{"/decision_types/admit_member/vote", "[\"member\", \"member\"]",
	 "/decision_types/admit_member/vote/1"},
	{"/decision_types/admit_member/method", "\"" YES "1\"",
	 "/decision_types/admit_member/method"},
	{"/decision_types/admit_member/method",
	 "\"ABCDEF1111111111111111111111111111111111111111111111111111111111\"",
	 "/decision_types/admit_member/method"},
	{"/decision_types/admit_member/method", "\"yes_no\"",
	 "/decision_types/admit_member/method"},
	{"/decision_types/admit_member/proposal_seconds", "0",
	 "/decision_types/admit_member/proposal_seconds"},
	{"/decision_types/admit_member/proposal_seconds", "31622401",
	 "/decision_types/admit_member/proposal_seconds"},
	{"/decision_types/admit_member/voting_seconds", "-5",
	 "/decision_types/admit_member/voting_seconds"},
	{"/decision_types/admit_member/voting_seconds", "1e3",
	 "/decision_types/admit_member/voting_seconds"},
	{"/decision_types/admit_member/voting_seconds", "true",
	 "/decision_types/admit_member/voting_seconds"},
};

static void
test_breaches(void **state)
{
	struct json_object *c;
	size_t i;

	for (i = 0; i < sizeof(breaches) / sizeof(breaches[0]); i++) {
		c = fresh();
		mutate(c, breaches[i].path, breaches[i].value);
		print_message("%s = %s\n", breaches[i].path,
			      breaches[i].value ? breaches[i].value : "(removed)");
		refused_at(c, NULL, breaches[i].pointer);
		json_object_put(c);
	}
}

/* What lies on the edge of each rule, and what §10.4 leaves open, is accepted. */
static const struct edge {
	const char *path, *value;
} edges[] = {
	{"/roles/treasurer/limits", NULL},
	{"/roles/treasurer/limits", "{}"},
	{"/roles/treasurer/limits/expense_per_entry", "0"},
	{"/roles/treasurer/limits/expense_per_entry", "9007199254740991"},
	{"/roles/member/permissions", "[]"},
	{"/roles/member/permissions",
	 "[\"manage_accounts\", \"record_patronage\", \"record_capital\", \"record_expense\", "
	 "\"record_income\"]"},
	{"/roles/a", "{\"permissions\": []}"},
	{"/roles/abcdefghijklmnopqrstuvwxyz0_2345", "{\"permissions\": []}"},
	{"/founder_roles", "[\"treasurer\", \"member\"]"},
	{"/accounting/currency", "\"JPY\""},
	{"/accounting/currency", "\"CLF\""},
	{"/accounting/fiscal_year_start", "\"02-28\""},
	{"/accounting/fiscal_year_start", "\"12-31\""},
	{"/accounting/fiscal_year_start", "\"07-01\""},
	{"/accounting/reserve_share", "\"1/1\""},
	{"/accounting/reserve_share", "\"0/5\""},
	{"/accounting/reserve_share", "\"0/1\""},
	{"/accounting/reserve_share", "\"999999999/999999999\""},
	{"/accounting/cash_share", "\"2/4\""},
	{"/accounting/patronage_unit", "\"wages\""},
	{"/accounting/loss_policy", "\"reserve_first\""},
	{"/decision_types/admit_member/proposal_seconds", "1"},
	{"/decision_types/admit_member/voting_seconds", "31622400"},
	{"/decision_types/admit_member/vote", "[\"member\", \"treasurer\"]"},
	{"/decision_types/resolution", NULL},
	{"/decision_types/second_resolution",
	 "{\"effect\": \"resolution\", \"start\": [\"treasurer\"], \"propose\": [\"member\"], "
	 "\"vote\": [\"member\"], \"method\": \"" YES "\", \"proposal_seconds\": 60, "
	 "\"voting_seconds\": 60}"},
};

static void
test_edges(void **state)
{
	struct json_object *c;
	size_t i;

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		c = fresh();
		mutate(c, edges[i].path, edges[i].value);
		print_message("%s = %s\n", edges[i].path,
			      edges[i].value ? edges[i].value : "(removed)");
		accepted(c, NULL);
		json_object_put(c);
	}
}

static void
test_not_objects(void **state)
{
	struct json_object *c = json_tokener_parse("[]");

	refused_at(c, NULL, "");
	json_object_put(c);
	c = json_object_new_string("charter");
	refused_at(c, NULL, "");
	json_object_put(c);
	refused_at(NULL, NULL, ""); /* JSON null */
}

/* The first fault in the schema's order, whatever order the members came in; within an
 * object, an unknown member before a missing one. */
static void
test_first_fault(void **state)
{
	struct json_object *c = fresh();

	mutate(c, "/decision_types/admit_member/vote/0", "\"boss\"");
	mutate(c, "/accounting/currency", "\"XYZ\"");
	refused_at(c, NULL, "/accounting/currency");
	mutate(c, "/member_roles", "[]");
	refused_at(c, NULL, "/member_roles");
	mutate(c, "/roles/member/zz", "1");
	mutate(c, "/roles/member/permissions", NULL);
	refused_at(c, NULL, "/roles/member/zz");
	json_object_put(c);
}

/* A member name that RFC 6901 escapes, and one too long to be any member's. */
static void
test_pointer_escapes(void **state)
{
	struct json_object *c = fresh();
	char key[300];

	json_object_object_add(c, "a/b~c", json_object_new_int(1));
	refused_at(c, NULL, "/a~1b~0c");
	json_object_object_del(c, "a/b~c");
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	json_object_object_add(json_object_object_get(c, "accounting"), key,
			       json_object_new_int(1));
	refused_at(c, NULL, "/accounting");
	json_object_put(c);
}

/* Adds n roles, or decision types (copies of admit_member), named x0, x1, ... */
static void
add_many(struct json_object *c, const char *where, int n)
{
	struct json_object *parent = json_object_object_get(c, where), *copy;
	struct json_object *model = json_object_object_get(parent, "admit_member");
	char name[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "x%d", i);
		copy = NULL;
		if (model == NULL)
			copy = json_tokener_parse("{\"permissions\": []}");
		else
			assert_int_equal(json_object_deep_copy(model, &copy, NULL), 0);
		json_object_object_add(parent, name, copy);
	}
}

static void
test_sizes(void **state)
{
	struct json_object *c = fresh();

	add_many(c, "roles", 62); /* 64 in all */
	accepted(c, NULL);
	add_many(c, "roles", 63);
	refused_at(c, NULL, "/roles");
	json_object_put(c);
	c = fresh();
	add_many(c, "decision_types", 56); /* 64 in all */
	accepted(c, NULL);
	add_many(c, "decision_types", 57);
	refused_at(c, NULL, "/decision_types");
	json_object_put(c);
}

static void
test_lock_in(void **state)
{
	static const char *const members[] = {"member"};
	static const char *const treasurers[] = {"treasurer"};
	static const char *const nobody[] = {"nobody"};
	static const char *const both[] = {"treasurer", "member"};
	struct json_object *c = fresh();
	struct charter_held h;

	/* Members start amendments and only treasurers vote: both roles must be held. */
	mutate(c, "/decision_types/amend_charter/vote", "[\"treasurer\"]");
	accepted(c, NULL);
	accepted(c, holding(both, 2, &h));
	refused_at(c, holding(members, 1, &h), "/decision_types");
	refused_at(c, holding(treasurers, 1, &h), "/decision_types");
	refused_at(c, holding(nobody, 1, &h), "/decision_types");
	refused_at(c, holding(NULL, 0, &h), "/decision_types");
	/* Treasurers start, members vote: both must be held. */
	mutate(c, "/decision_types/amend_charter/vote", "[\"member\"]");
	mutate(c, "/decision_types/amend_charter/start", "[\"treasurer\"]");
	refused_at(c, holding(members, 1, &h), "/decision_types");
	refused_at(c, holding(treasurers, 1, &h), "/decision_types");
	accepted(c, NULL);
	/* A role no founder holds. */
	mutate(c, "/roles/board", "{\"permissions\": []}");
	mutate(c, "/decision_types/amend_charter/start", "[\"board\"]");
	refused_at(c, NULL, "/decision_types");
	/* One amend_charter type anyone can use is enough. */
	mutate(c, "/decision_types/amend_by_all",
	       "{\"effect\": \"amend_charter\", \"start\": [\"member\"], \"propose\": [\"board\"], "
	       "\"vote\": [\"member\"], \"method\": \"" TWO "\", \"proposal_seconds\": 1, "
	       "\"voting_seconds\": 1}");
	accepted(c, holding(members, 1, &h));
	json_object_put(c);
	/* No amend_charter type at all. */
	c = fresh();
	mutate(c, "/decision_types/amend_charter", NULL);
	refused_at(c, NULL, "/decision_types");
	mutate(c, "/decision_types/resolution/effect", "\"amend_charter\"");
	accepted(c, NULL);
	json_object_put(c);
}

static void
test_currencies(void **state)
{
	assert_int_equal(charter_currency_exponent("EUR"), 2);
	assert_int_equal(charter_currency_exponent("JPY"), 0);
	assert_int_equal(charter_currency_exponent("BHD"), 3);
	assert_int_equal(charter_currency_exponent("CLF"), 4);
	assert_int_equal(charter_currency_exponent("AED"), 2);
	assert_int_equal(charter_currency_exponent("ZWL"), 2);
	assert_int_equal(charter_currency_exponent("XOF"), 0);
	assert_int_equal(charter_currency_exponent("XYZ"), -1);
	assert_int_equal(charter_currency_exponent("XXX"), -1);
	assert_int_equal(charter_currency_exponent("eur"), -1);
	assert_int_equal(charter_currency_exponent(""), -1);
	assert_int_equal(charter_currency_exponent("EURO"), -1);
}

static void
test_reads(void **state)
{
	static const char *const members[] = {"member"};
	static const char *const treasurers[] = {"nobody", "treasurer"};
	struct json_object *c = fresh();
	struct charter_type t;
	struct charter_held h;
	const char *ids[4];
	int64_t n, d;

	assert_true(charter_role_permits(c, "member", "record_patronage"));
	assert_false(charter_role_permits(c, "member", "record_income"));
	assert_true(charter_role_permits(c, "treasurer", "record_capital"));
	assert_false(charter_role_permits(c, "treasurer", "manage_accounts"));
	assert_false(charter_role_permits(c, "nobody", "record_income"));
	assert_int_equal(charter_role_limit(c, "treasurer", "expense_per_entry"), 50000);
	assert_int_equal(charter_role_limit(c, "treasurer", "expense_per_month"), 200000);
	assert_int_equal(charter_role_limit(c, "member", "expense_per_entry"), -1);
	assert_int_equal(charter_role_limit(c, "nobody", "expense_per_entry"), -1);

	assert_int_equal(charter_type_get(c, "amend_charter", &t), 0);
	assert_int_equal(t.effect, CHARTER_AMEND_CHARTER);
	assert_string_equal(t.method, TWO);
	assert_int_equal(t.proposal_seconds, 2 * 86400);
	assert_int_equal(t.voting_seconds, 5 * 86400);
	assert_int_equal(json_object_array_length(t.vote), 1);
	assert_true(charter_held_any(holding(members, 1, &h), t.start));
	assert_false(charter_held_any(holding(treasurers, 2, &h), t.propose));
	assert_int_equal(charter_type_get(c, "allocate_surplus", &t), 0);
	assert_int_equal(t.effect, CHARTER_ALLOCATE_SURPLUS);
	assert_string_equal(t.method, YES);
	assert_int_equal(charter_type_get(c, "remove_member", &t), 0);
	assert_string_equal(t.method, TWO);
	assert_int_equal(charter_type_get(c, "nope", &t), -1);
	assert_string_equal(charter_effect_name(CHARTER_APPROVE_EXPENSE), "approve_expense");

	/* Each method once, in the types' order; the count even past cap. */
	assert_int_equal(charter_methods(c, ids, 4), 2);
	assert_string_equal(ids[0], YES);
	assert_string_equal(ids[1], TWO);
	assert_int_equal(charter_methods(c, ids, 1), 2);
	assert_string_equal(ids[0], YES);

	assert_int_equal(charter_share(c, "reserve_share", &n, &d), 0);
	assert_true(n == 3 && d == 10);
	assert_int_equal(charter_share(c, "cash_share", &n, &d), 0);
	assert_true(n == 1 && d == 5);
	assert_int_equal(charter_share(c, "currency", &n, &d), -1);
	json_object_put(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),      cmocka_unit_test(test_breaches),
		cmocka_unit_test(test_edges),        cmocka_unit_test(test_not_objects),
		cmocka_unit_test(test_first_fault),  cmocka_unit_test(test_pointer_escapes),
		cmocka_unit_test(test_sizes),        cmocka_unit_test(test_lock_in),
		cmocka_unit_test(test_currencies),   cmocka_unit_test(test_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
