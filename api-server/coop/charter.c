/* charter — validating and reading a charter (see the header).
 *
 * The schema is tables: each kind of object lists its members in the schema's order with
 * the check of each value, and check_object walks an object against its table (unknown
 * members, then missing ones, then each value in table order). That order is what makes
 * "the first fault" one answer whatever order the members came in. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "charter.h"

#define AMOUNT_END 9007199254740992LL /* 2^53: amounts stay below it (§10.7) */
/* Digits of a share's numerator or denominator: below 10^9, so the product of two shares'
 * parts (the surplus split weighs one share by another) stays within 64 bits. */
#define SHARE_DIGITS 9

struct vctx {
	struct json_object *roles; /* the charter's roles, once they passed */
	struct charter_fault *f;
};

/* Checks the value v of the member at pointer ptr, whose name (the key, for messages) is
 * name; returns 0, or -1 with the fault set. */
typedef int (*check_fn)(struct vctx *c, struct json_object *v, const char *ptr, const char *name);

struct member {
	const char *key;
	bool required;
	check_fn check;
};

static const char *const permissions[] = {
	"record_income", "record_expense", "record_capital", "record_patronage", "manage_accounts",
};

/* In enum charter_effect's order. */
static const char *const effects[] = {
	"resolution",  "admit_member",  "remove_member",   "assign_role",
	"revoke_role", "amend_charter", "approve_expense", "allocate_surplus",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ISO 4217 list one (currencies and funds), as amended to 2025, with the minor unit of each;
 * codes without one (gold, SDR, bond units, XTS, XXX) cannot keep books and are left out. The
 * old code of a currency being replaced stays while both circulate (ANG, SLL, ZWL). */
static const struct currency {
	char code[4];
	signed char exponent;
} currencies[] = {
	{"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
	{"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
	{"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2},
	{"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2},
	{"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2},
	{"COU", 2}, {"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0},
	{"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2},
	{"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2},
	{"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2},
	{"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2},
	{"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2},
	{"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2},
	{"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2},
	{"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2}, {"MWK", 2},
	{"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2},
	{"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2},
	{"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2},
	{"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2},
	{"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SLL", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2},
	{"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2},
	{"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2},
	{"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2},
	{"VED", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2},
	{"XCG", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
	{"ZWL", 2},
};

int
charter_currency_exponent(const char *code)
{
	size_t i;

	for (i = 0; i < COUNT(currencies); i++)
		if (strcmp(currencies[i].code, code) == 0)
			return currencies[i].exponent;
	return -1;
}

const char *
charter_effect_name(enum charter_effect effect)
{
	return (size_t)effect < COUNT(effects) ? effects[effect] : "";
}

/* The index of s in list[0..n), or -1. */
static int
lookup(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return (int)i;
	return -1;
}

int
charter_effect_parse(const char *name, enum charter_effect *out)
{
	int i = lookup(effects, COUNT(effects), name);

	if (i < 0)
		return -1;
	*out = (enum charter_effect)i;
	return 0;
}

/* ---- faults and pointers ---- */

static int fail(struct charter_fault *f, const char *ptr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets the fault (ptr and the detail formatted); returns -1. */
static int
fail(struct charter_fault *f, const char *ptr, const char *fmt, ...)
{
	va_list ap;

	snprintf(f->pointer, sizeof(f->pointer), "%s", ptr);
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	return -1;
}

/* out = parent's member key, escaped as RFC 6901 says (~ as ~0, / as ~1). Callers keep keys
 * to CHARTER_NAME_MAX bytes, which always fits; a longer one would be cut, never overrun. */
static void
join_key(char out[CHARTER_POINTER_MAX], const char *parent, const char *key)
{
	size_t n = (size_t)snprintf(out, CHARTER_POINTER_MAX, "%s/", parent);

	for (; *key != '\0' && n + 3 < CHARTER_POINTER_MAX; key++) {
		if (*key == '~' || *key == '/') {
			out[n++] = '~';
			out[n++] = *key == '~' ? '0' : '1';
		} else {
			out[n++] = *key;
		}
	}
	out[n] = '\0';
}

static void
join_index(char out[CHARTER_POINTER_MAX], const char *parent, size_t i)
{
	snprintf(out, CHARTER_POINTER_MAX, "%s/%zu", parent, i);
}

/* ---- values ---- */

/* Whether s matches ^[a-z][a-z0-9_]{0,31}$. */
static bool
is_name(const char *s)
{
	size_t i;

	if (s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 1; s[i] != '\0'; i++)
		if (i >= CHARTER_NAME_MAX ||
		    !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Parses s[0..len) as a decimal count without sign or leading zeros ("0" alone is one) of
 * at most SHARE_DIGITS digits. */
static bool
parse_count(const char *s, size_t len, int64_t *out)
{
	size_t i;

	if (len == 0 || len > SHARE_DIGITS || (s[0] == '0' && len > 1))
		return false;
	*out = 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

/* Parses a share "n/d" with 0 <= n/d <= 1. */
static bool
parse_share(const char *s, int64_t *n, int64_t *d)
{
	const char *slash = strchr(s, '/');

	return slash != NULL && parse_count(s, (size_t)(slash - s), n) &&
	       parse_count(slash + 1, strlen(slash + 1), d) && *d > 0 && *n <= *d;
}

/* Whether s is "MM-DD", a day of a year that is not a leap year. */
static bool
is_month_day(const char *s)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int m, d;

	if (strlen(s) != 5 || s[2] != '-')
		return false;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return false;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	d = (s[3] - '0') * 10 + (s[4] - '0');
	return m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1];
}

static bool
is_method_id(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= CHARTER_METHOD_LEN ||
		    !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == CHARTER_METHOD_LEN;
}

/* The string v holds, or NULL when v is not a string. */
static const char *
string_of(struct json_object *v)
{
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The string of item i of array a, or of member key of object o (borrowed; "" for another
 * type, NULL when absent): reads of what the checks have passed. */
static const char *
item_str(struct json_object *a, size_t i)
{
	return json_object_get_string(json_object_array_get_idx(a, i));
}

static const char *
member_str(struct json_object *o, const char *key)
{
	return json_object_get_string(json_object_object_get(o, key));
}

/* Whether item i of array a (strings, checked) repeats an earlier item. */
static bool
repeats(struct json_object *a, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(item_str(a, j), item_str(a, i)) == 0)
			return true;
	return false;
}

/* An integer from lo to hi; json-c clamps one beyond int64 to its bounds, which are out of
 * every range here. Doubles (1.0, 1e3) are refused: counts are written as integers. */
static int
check_int(struct vctx *c, struct json_object *v, const char *ptr, const char *name, int64_t lo,
	  int64_t hi)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return fail(c->f, ptr, "%s must be an integer.", name);
	n = json_object_get_int64(v);
	if (n < lo || n > hi)
		return fail(c->f, ptr, "%s must be from %lld to %lld.", name, (long long)lo,
			    (long long)hi);
	return 0;
}

static int
check_amount(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	return check_int(c, v, ptr, name, 0, AMOUNT_END - 1);
}

static int
check_phase(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	return check_int(c, v, ptr, name, 1, CHARTER_PHASE_MAX);
}

static int
check_method(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	const char *s = string_of(v);

	if (s == NULL || !is_method_id(s))
		return fail(c->f, ptr, "%s must be a voting method id: 64 lowercase hex digits.",
			    name);
	return 0;
}

static int
check_effect(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	const char *s = string_of(v);

	if (s == NULL || lookup(effects, COUNT(effects), s) < 0)
		return fail(c->f, ptr,
			    "%s must be one of resolution, admit_member, remove_member, "
			    "assign_role, revoke_role, amend_charter, approve_expense, "
			    "allocate_surplus.",
			    name);
	return 0;
}

static int
check_currency(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	const char *s = string_of(v);

	if (s == NULL || charter_currency_exponent(s) < 0)
		return fail(c->f, ptr,
			    "%s must be an active ISO 4217 currency code with a minor unit, "
			    "such as \"EUR\".",
			    name);
	return 0;
}

static int
check_month_day(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	const char *s = string_of(v);

	if (s == NULL || !is_month_day(s))
		return fail(c->f, ptr,
			    "%s must be a day of the year as \"MM-DD\", such as \"01-01\" "
			    "(not \"02-29\", which most years lack).",
			    name);
	return 0;
}

static int
check_share(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	const char *s = string_of(v);
	int64_t n, d;

	if (s == NULL || !parse_share(s, &n, &d))
		return fail(c->f, ptr,
			    "%s must be a fraction \"n/d\" from 0 to 1, such as \"3/10\": whole "
			    "numbers of at most %d digits, without sign or leading zeros, d not 0.",
			    name, SHARE_DIGITS);
	return 0;
}

/* A string among list[0..n), described by choices in the message. */
static int
check_choice(struct vctx *c, struct json_object *v, const char *ptr, const char *name,
	     const char *const *list, size_t n, const char *choices)
{
	const char *s = string_of(v);

	if (s == NULL || lookup(list, n, s) < 0)
		return fail(c->f, ptr, "%s must be %s.", name, choices);
	return 0;
}

static int
check_patronage_unit(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	static const char *const units[] = {"minutes", "wages"};

	return check_choice(c, v, ptr, name, units, COUNT(units), "\"minutes\" or \"wages\"");
}

static int
check_loss_policy(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	static const char *const policies[] = {"allocate", "reserve_first"};

	return check_choice(c, v, ptr, name, policies, COUNT(policies),
			    "\"allocate\" or \"reserve_first\"");
}

/* ---- objects and arrays ---- */

/* The keys of table[0..n) as "a, b and c" into out. */
static void
list_keys(const struct member *table, size_t n, char *out, size_t cap)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < n && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s%s",
					 i == 0 ? "" : i + 1 == n ? " and " : ", ", table[i].key);
}

static const struct member *
find_member(const struct member *table, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(table[i].key, key) == 0)
			return &table[i];
	return NULL;
}

/* A member of obj (at ptr, called what) that table[0..n) does not list: the first in obj's
 * order, at its own pointer unless its name is too long to be any member's. */
static int
check_unknown(struct vctx *c, struct json_object *obj, const char *ptr, const char *what,
	      const struct member *table, size_t n)
{
	struct json_object_iterator it = json_object_iter_begin(obj);
	struct json_object_iterator end = json_object_iter_end(obj);
	char p[CHARTER_POINTER_MAX], keys[160];
	const char *key;

	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		if (find_member(table, n, key) != NULL)
			continue;
		list_keys(table, n, keys, sizeof(keys));
		if (strlen(key) > CHARTER_NAME_MAX)
			return fail(c->f, ptr, "%s has a member with a name longer than any of "
				    "its members' (%s).", what, keys);
		join_key(p, ptr, key);
		return fail(c->f, p, "%s has no such member; its members are %s.", what, keys);
	}
	return 0;
}

/* Checks that obj (at ptr, called what in messages) is an object with the members of
 * table[0..n) only, the required ones among them, and each value passing its check. */
static int
check_object(struct vctx *c, struct json_object *obj, const char *ptr, const char *what,
	     const struct member *table, size_t n)
{
	char p[CHARTER_POINTER_MAX];
	struct json_object *v;
	size_t i;
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return fail(c->f, ptr, "%s must be an object.", what);
	if ((r = check_unknown(c, obj, ptr, what, table, n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		join_key(p, ptr, table[i].key);
		if (table[i].required && !json_object_object_get_ex(obj, table[i].key, NULL))
			return fail(c->f, p, "%s must have %s.", what, table[i].key);
	}
	for (i = 0; i < n; i++) {
		join_key(p, ptr, table[i].key);
		if (json_object_object_get_ex(obj, table[i].key, &v) &&
		    (r = table[i].check(c, v, p, table[i].key)) != 0)
			return r;
	}
	return 0;
}

/* An object whose keys are names of kind ("role", "decision type"), at most max of them and
 * at least one, each value passing each (called with the name). */
static int
check_named(struct vctx *c, struct json_object *obj, const char *ptr, const char *name,
	    const char *kind, size_t max, check_fn each)
{
	struct json_object_iterator it, end;
	char p[CHARTER_POINTER_MAX];
	const char *key;
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return fail(c->f, ptr, "%s must be an object.", name);
	if (json_object_object_length(obj) < 1 || (size_t)json_object_object_length(obj) > max)
		return fail(c->f, ptr, "%s must hold from 1 to %zu %ss.", name, max, kind);
	end = json_object_iter_end(obj);
	for (it = json_object_iter_begin(obj); !json_object_iter_equal(&it, &end);
	     json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		if (strlen(key) > CHARTER_NAME_MAX)
			return fail(c->f, ptr, "Each %s name must be at most %d characters.", kind,
				    CHARTER_NAME_MAX);
		join_key(p, ptr, key);
		if (!is_name(key))
			return fail(c->f, p,
				    "A %s name must be a lowercase letter, then up to 31 lowercase "
				    "letters, digits or underscores.",
				    kind);
	}
	for (it = json_object_iter_begin(obj); !json_object_iter_equal(&it, &end);
	     json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		join_key(p, ptr, key);
		if ((r = each(c, json_object_iter_peek_value(&it), p, key)) != 0)
			return r;
	}
	return 0;
}

/* An array of distinct strings, at least min of them; each must pass is_ok (described by
 * want in messages). Stops at the first fault, so a long array costs no more than its
 * distinct items, which are few. */
static int
check_set(struct vctx *c, struct json_object *v, const char *ptr, const char *name, size_t min,
	  bool (*is_ok)(struct vctx *, const char *), const char *want)
{
	char p[CHARTER_POINTER_MAX];
	const char *s;
	size_t i, n;

	if (!json_object_is_type(v, json_type_array))
		return fail(c->f, ptr, "%s must be an array.", name);
	n = json_object_array_length(v);
	if (n < min)
		return fail(c->f, ptr, "%s must not be empty.", name);
	for (i = 0; i < n; i++) {
		join_index(p, ptr, i);
		s = string_of(json_object_array_get_idx(v, i));
		if (s == NULL || !is_ok(c, s))
			return fail(c->f, p, "Each item of %s must be %s.", name, want);
		if (repeats(v, i))
			return fail(c->f, p, "%s repeats an earlier item.", name);
	}
	return 0;
}

static bool
is_permission(struct vctx *c, const char *s)
{
	return lookup(permissions, COUNT(permissions), s) >= 0;
}

static bool
is_role(struct vctx *c, const char *s)
{
	return json_object_object_get_ex(c->roles, s, NULL);
}

static int
check_permissions(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	return check_set(c, v, ptr, name, 0, is_permission,
			 "one of record_income, record_expense, record_capital, "
			 "record_patronage, manage_accounts");
}

/* founder_roles, member_roles, and a decision type's start, propose and vote. */
static int
check_roles_named(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	return check_set(c, v, ptr, name, 1, is_role, "the name of a role in roles");
}

static const struct member limit_members[] = {
	{"expense_per_entry", false, check_amount},
	{"expense_per_month", false, check_amount},
};

static int
check_limits(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	return check_object(c, v, ptr, name, limit_members, COUNT(limit_members));
}

static const struct member role_members[] = {
	{"permissions", true, check_permissions},
	{"limits", false, check_limits},
};

static int
check_role(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	return check_object(c, v, ptr, "A role", role_members, COUNT(role_members));
}

static int
check_roles(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	int r = check_named(c, v, ptr, name, "role", CHARTER_MAX_ROLES, check_role);

	if (r == 0)
		c->roles = v;
	return r;
}

static const struct member accounting_members[] = {
	{"currency", true, check_currency},
	{"fiscal_year_start", true, check_month_day},
	{"reserve_share", true, check_share},
	{"cash_share", true, check_share},
	{"patronage_unit", true, check_patronage_unit},
	{"loss_policy", true, check_loss_policy},
};

static int
check_accounting(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	return check_object(c, v, ptr, name, accounting_members, COUNT(accounting_members));
}

static const struct member type_members[] = {
	{"effect", true, check_effect},
	{"start", true, check_roles_named},
	{"propose", true, check_roles_named},
	{"vote", true, check_roles_named},
	{"method", true, check_method},
	{"proposal_seconds", true, check_phase},
	{"voting_seconds", true, check_phase},
};

static int
check_type(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	return check_object(c, v, ptr, "A decision type", type_members, COUNT(type_members));
}

static int
check_types(struct vctx *c, struct json_object *v, const char *ptr, const char *name)
{
	return check_named(c, v, ptr, name, "decision type", CHARTER_MAX_TYPES, check_type);
}

/* In this order: founder_roles and the rest name roles, so roles pass first. */
static const struct member charter_members[] = {
	{"roles", true, check_roles},
	{"founder_roles", true, check_roles_named},
	{"member_roles", true, check_roles_named},
	{"accounting", true, check_accounting},
	{"decision_types", true, check_types},
};

/* ---- the lock-in check ---- */

bool
charter_held_any(const struct charter_held *held, struct json_object *roles)
{
	size_t i, j, n = json_object_array_length(roles);

	for (i = 0; i < n; i++)
		for (j = 0; j < held->n; j++)
			if (strcmp(item_str(roles, i), held->roles[j]) == 0)
				return true;
	return false;
}

/* Whether someone holding a role of held could start an amend_charter decision of a valid
 * charter and someone could vote in it. Its proposals are the service's (§10.5), so no
 * proposer is needed. */
static int
check_lock_in(struct vctx *c, struct json_object *charter, const struct charter_held *held)
{
	struct json_object *types = json_object_object_get(charter, "decision_types");
	struct json_object_iterator it = json_object_iter_begin(types);
	struct json_object_iterator end = json_object_iter_end(types);
	struct charter_type t;
	bool any = false;

	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		charter_type_get(charter, json_object_iter_peek_name(&it), &t);
		if (t.effect != CHARTER_AMEND_CHARTER)
			continue;
		any = true;
		if (charter_held_any(held, t.start) && charter_held_any(held, t.vote))
			return 0;
	}
	if (!any)
		return fail(c->f, "/decision_types",
			    "No decision type has effect amend_charter, so the group could "
			    "never change its charter.");
	return fail(c->f, "/decision_types",
		    "No amend_charter decision type has both a start role and a vote role "
		    "that a member holds, so the group could never change its charter.");
}

int
charter_validate(struct json_object *charter, const struct charter_held *held,
		 struct charter_fault *fault)
{
	struct vctx c = {.roles = NULL, .f = fault};
	const char *founders[CHARTER_MAX_ROLES];
	struct charter_held founding;
	struct json_object *list;
	size_t i;
	int r;

	if ((r = check_object(&c, charter, "", "The charter", charter_members,
			      COUNT(charter_members))) != 0)
		return r;
	if (held == NULL) {
		/* Distinct names of roles: never more than CHARTER_MAX_ROLES. */
		list = json_object_object_get(charter, "founder_roles");
		founding.n = json_object_array_length(list);
		for (i = 0; i < founding.n; i++)
			founders[i] = item_str(list, i);
		founding.roles = founders;
		held = &founding;
	}
	return check_lock_in(&c, charter, held);
}

/* ---- reads of a valid charter ---- */

size_t
charter_methods(struct json_object *charter, const char **out, size_t cap)
{
	struct json_object *types = json_object_object_get(charter, "decision_types");
	struct json_object_iterator it = json_object_iter_begin(types);
	struct json_object_iterator end = json_object_iter_end(types);
	const char *seen[CHARTER_MAX_TYPES], *m;
	size_t n = 0, i;

	for (; !json_object_iter_equal(&it, &end) && n < CHARTER_MAX_TYPES;
	     json_object_iter_next(&it)) {
		m = member_str(json_object_iter_peek_value(&it), "method");
		for (i = 0; i < n && strcmp(seen[i], m) != 0; i++)
			;
		if (i < n)
			continue;
		if (n < cap)
			out[n] = m;
		seen[n++] = m;
	}
	return n;
}

int
charter_type_get(struct json_object *charter, const char *name, struct charter_type *out)
{
	struct json_object *types = json_object_object_get(charter, "decision_types");
	struct json_object *t, *phases[2];

	if (!json_object_object_get_ex(types, name, &t))
		return -1;
	out->effect = (enum charter_effect)lookup(effects, COUNT(effects), member_str(t, "effect"));
	out->start = json_object_object_get(t, "start");
	out->propose = json_object_object_get(t, "propose");
	out->vote = json_object_object_get(t, "vote");
	out->method = member_str(t, "method");
	phases[0] = json_object_object_get(t, "proposal_seconds");
	phases[1] = json_object_object_get(t, "voting_seconds");
	out->proposal_seconds = json_object_get_int64(phases[0]);
	out->voting_seconds = json_object_get_int64(phases[1]);
	return 0;
}

/* The object of role role, or NULL when the charter has none. */
static struct json_object *
role_of(struct json_object *charter, const char *role)
{
	struct json_object *r;

	if (!json_object_object_get_ex(json_object_object_get(charter, "roles"), role, &r))
		return NULL;
	return r;
}

bool
charter_role_permits(struct json_object *charter, const char *role, const char *permission)
{
	struct json_object *r = role_of(charter, role), *list;
	size_t i, n;

	if (r == NULL)
		return false;
	list = json_object_object_get(r, "permissions");
	n = json_object_array_length(list);
	for (i = 0; i < n; i++)
		if (strcmp(item_str(list, i), permission) == 0)
			return true;
	return false;
}

int64_t
charter_role_limit(struct json_object *charter, const char *role, const char *limit)
{
	struct json_object *r = role_of(charter, role), *limits, *v;

	if (r == NULL || !json_object_object_get_ex(r, "limits", &limits) ||
	    !json_object_object_get_ex(limits, limit, &v))
		return -1;
	return json_object_get_int64(v);
}

int
charter_share(struct json_object *charter, const char *key, int64_t *n, int64_t *d)
{
	struct json_object *accounting = json_object_object_get(charter, "accounting");

	if (strcmp(key, "reserve_share") != 0 && strcmp(key, "cash_share") != 0)
		return -1;
	return parse_share(member_str(accounting, key), n, d) ? 0 : -1;
}

/* ---- the default charter ---- */

/* A type named after its effect: members start, propose and vote; proposals for 2 days
 * (172800 s), votes for 5 (432000 s); its method is the next %s. */
#define DEFAULT_TYPE(effect)                                                                  \
	"\"" effect "\": {\"effect\": \"" effect "\", \"start\": [\"member\"], "                \
	"\"propose\": [\"member\"], \"vote\": [\"member\"], \"method\": \"%s\", "               \
	"\"proposal_seconds\": 172800, \"voting_seconds\": 432000}"

/* The README's default worker co-op charter. Amounts are minor units: 500.00 and 2000.00
 * EUR. */
static const char default_charter[] =
	"{\"roles\": {"
	"\"member\": {\"permissions\": [\"record_patronage\"]}, "
	"\"treasurer\": {\"permissions\": [\"record_income\", \"record_expense\", "
	"\"record_capital\"], \"limits\": {\"expense_per_entry\": 50000, "
	"\"expense_per_month\": 200000}}}, "
	"\"founder_roles\": [\"member\", \"treasurer\"], "
	"\"member_roles\": [\"member\"], "
	"\"accounting\": {\"currency\": \"EUR\", \"fiscal_year_start\": \"01-01\", "
	"\"reserve_share\": \"3/10\", \"cash_share\": \"1/5\", \"patronage_unit\": \"minutes\", "
	"\"loss_policy\": \"allocate\"}, "
	"\"decision_types\": {" DEFAULT_TYPE("resolution") ", " DEFAULT_TYPE("admit_member") ", "
	DEFAULT_TYPE("remove_member") ", " DEFAULT_TYPE("assign_role") ", "
	DEFAULT_TYPE("revoke_role") ", " DEFAULT_TYPE("amend_charter") ", "
	DEFAULT_TYPE("approve_expense") ", " DEFAULT_TYPE("allocate_surplus") "}}";

struct json_object *
charter_default(const char *yes_no_id, const char *two_thirds_id)
{
	char text[sizeof(default_charter) + 8 * CHARTER_METHOD_LEN];
	const char *y = yes_no_id, *t = two_thirds_id;

	/* Checked first: the ids are written into JSON text unescaped. */
	if (!is_method_id(y) || !is_method_id(t))
		return NULL;
	snprintf(text, sizeof(text), default_charter, y, y, t, y, y, t, y, y);
	return json_tokener_parse(text);
}
