/* books — a group's books (see the header). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "books.h"
#include "charter.h"
#include "glog.h"
#include "store.h"
#include "surplus.h"
#include "util.h"

/* Times a posting starts again after another append to the group came first. */
#define TRIES 64

void
books_accounts(struct coop *c, const struct principal *who, const char *gid, groups_cb cb,
	       void *arg)
{
	groups_member_read(c, &coop_stmt_accounts, who, gid, cb, arg);
}

/* A member's read of stmt, records of group gid after log seq after. */
static void
read_after(struct coop *c, const struct db_stmt *stmt, const struct principal *who,
	   const char *gid, long long after, groups_cb cb, void *arg)
{
	char seq[24];
	struct db_param p[] = {db_text(gid), db_text(who->account_id), db_text(seq)};

	snprintf(seq, sizeof(seq), "%lld", after);
	if (groups_is_person(c, who, cb, arg))
		groups_one_row(c, stmt, p, GROUPS_NO_GROUP, cb, arg);
}

void
books_entries(struct coop *c, const struct principal *who, const char *gid, long long after,
	      groups_cb cb, void *arg)
{
	read_after(c, &coop_stmt_entries, who, gid, after, cb, arg);
}

/* ---- appending to the group's log ---- */

/* An operation on the books in flight: what each kind holds first. */
struct op {
	struct coop *c;
	groups_cb cb;
	void *arg;
	char gid[UTIL_UUID_LEN + 1], who[UTIL_UUID_LEN + 1];
	int tries;
	char *answer;                 /* the answer, once written */
	void (*again)(struct op *);   /* reads the group again and decides again */
	void (*release)(struct op *); /* frees the operation */
	struct turn *turn;            /* the group's turn, while this operation has it */
	struct op *waiting_next;      /* the next operation waiting for the turn */
};

/* Operations on one group's books take turns in this instance: each starts (reads the
 * group, decides, appends) only once the one before it has ended, so that they do not
 * start again over one another — only over other instances, or a decision applied. */
#define TURN_BUCKETS 256

struct turn {
	char gid[UTIL_UUID_LEN + 1];
	struct op *first, *last; /* the operations waiting, in order */
	struct turn *next;       /* in its bucket */
};

struct books_turns {
	struct turn *bucket[TURN_BUCKETS];
};

static struct turn **
turn_slot(struct books_turns *t, const char *gid)
{
	uint32_t h = 2166136261u;
	struct turn **slot;

	for (const char *p = gid; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (slot = &t->bucket[h % TURN_BUCKETS]; *slot != NULL; slot = &(*slot)->next)
		if (strcmp((*slot)->gid, gid) == 0)
			break;
	return slot;
}

void
books_turns_free(struct books_turns *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < TURN_BUCKETS; i++)
		while (t->bucket[i] != NULL) {
			struct turn *n = t->bucket[i]->next;
			free(t->bucket[i]);
			t->bucket[i] = n;
		}
	free(t);
}

/* Starts o when its group's books are free here, else queues it behind the others. (Out
 * of memory, it starts at once: the log's check still keeps the books right.) */
static void
op_begin(struct op *o)
{
	struct coop *c = o->c;
	struct turn **slot, *t;

	if (c->turns == NULL)
		c->turns = calloc(1, sizeof(*c->turns));
	if (c->turns != NULL) {
		slot = turn_slot(c->turns, o->gid);
		if ((t = *slot) != NULL) {
			if (t->last != NULL)
				t->last->waiting_next = o;
			else
				t->first = o;
			t->last = o;
			return;
		}
		if ((t = calloc(1, sizeof(*t))) != NULL) {
			memcpy(t->gid, o->gid, UTIL_UUID_LEN);
			*slot = t;
			o->turn = t;
		}
	}
	o->again(o);
}

/* o ended: the next operation waiting on its group starts. */
static void
turn_pass(struct coop *c, struct turn *t)
{
	struct op *next = t->first;
	struct turn **slot;

	if (next == NULL) {
		slot = turn_slot(c->turns, t->gid);
		*slot = t->next;
		free(t);
		return;
	}
	if ((t->first = next->waiting_next) == NULL)
		t->last = NULL;
	next->waiting_next = NULL;
	next->turn = t;
	next->again(next);
}

static void
op_done(struct op *o, const struct problem *no, const char *pointer, const char *json)
{
	struct coop *c = o->c;
	struct turn *t = o->turn;

	o->cb(o->arg, no, pointer, json);
	free(o->answer);
	o->release(o);
	if (t != NULL)
		turn_pass(c, t);
}

static void
op_init(struct op *o, struct coop *c, const struct principal *who, const char *gid, groups_cb cb,
	void *arg, void (*again)(struct op *), void (*release)(struct op *))
{
	o->c = c;
	o->cb = cb;
	o->arg = arg;
	memcpy(o->gid, gid, UTIL_UUID_LEN);
	memcpy(o->who, who->account_id, UTIL_UUID_LEN);
	o->again = again;
	o->release = release;
}

static void refuse(struct op *o, int status, const char *slug, const char *pointer,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
refuse(struct op *o, int status, const char *slug, const char *pointer, const char *fmt, ...)
{
	struct problem no;
	char detail[PROBLEM_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	op_done(o, problem_set(&no, status, slug, "%s", detail), pointer, NULL);
}

static void
appended_cb(void *arg, const struct problem *no, const char *json)
{
	struct op *o = arg;

	if (no != NULL)
		op_done(o, no, NULL, NULL);
	else if (json != NULL && strcmp(json, "1") == 0)
		op_done(o, NULL, NULL, o->answer);
	else if (++o->tries < TRIES)
		o->again(o); /* another append came first: check everything again */
	else
		refuse(o, 503, "service-unavailable", NULL, "The group's books are busy; try again.");
}

/* Appends to the group's log, after the end read in ctx (log_seq, head, charter_version),
 * a ledger entry holding entry, and writes what with it (coop_stmt_ledger_append); once
 * written, answers answer, with the log seq added as "seq" when with_seq. Answers at once
 * on failure. */
static void
append(struct op *o, struct json_object *ctx, struct json_object *entry, struct json_object *what,
       struct json_object *answer, bool with_seq)
{
	struct json_object *log = json_object_new_object();
	char at[40], seq[24], *canon = NULL;
	size_t len;
	int64_t after = json_object_get_int64(json_object_object_get(ctx, "log_seq"));

	util_time_format(util_realtime_us(), at);
	json_object_object_add(log, "group", json_object_new_string(o->gid));
	json_object_object_add(log, "seq", json_object_new_int64(after + 1));
	json_object_object_add(log, "prev", json_object_get(json_object_object_get(ctx, "head")));
	json_object_object_add(log, "at", json_object_new_string(at));
	json_object_object_add(log, "kind", json_object_new_string("ledger"));
	json_object_object_add(log, "charter_version",
			       json_object_get(json_object_object_get(ctx, "charter_version")));
	json_object_object_add(log, "entry", json_object_get(entry));
	if (glog_entry_seal(log, o->c->keys->signing, o->c->keys->kid) == 0 &&
	    glog_canonical(log, &canon, &len) == 0) {
		/* (answer may be entry itself: only now that its bytes are signed) */
		if (with_seq)
			json_object_object_add(answer, "seq", json_object_new_int64(after + 1));
		free(o->answer);
		o->answer = strdup(json_object_to_json_string_ext(answer, JSON_C_TO_STRING_PLAIN));
	}
	if (canon == NULL || o->answer == NULL) {
		refuse(o, 500, "internal-error", NULL, "The log entry could not be signed.");
	} else {
		struct coop_append row = {
		    .group = o->gid,
		    .after_seq = seq,
		    .hash = json_object_get_string(json_object_object_get(log, "hash")),
		    .entry = canon,
		    .at = at,
		    .what = json_object_to_json_string_ext(what, JSON_C_TO_STRING_PLAIN),
		};
		snprintf(seq, sizeof(seq), "%" PRId64, after);
		coop_store_ledger_append(o->c->app->db, &row, appended_cb, o);
	}
	free(canon);
	json_object_put(log);
}

/* ---- a posting ---- */

struct posting {
	struct op op;
	char id[UTIL_UUID_LEN + 1];
	char reverses[UTIL_UUID_LEN + 1]; /* "" when none */
	char date[11];
	char *memo;
	bool opening;
	struct json_object *postings; /* [{"account", "amount"}] (owned) */
	char *codes;                  /* the accounts named, a text[] literal */
};

static void
posting_free(struct op *o)
{
	struct posting *p = (struct posting *)o;

	json_object_put(p->postings);
	free(p->memo);
	free(p->codes);
	free(p);
}

bool
books_valid_date(const char *s)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, n = 0;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* amount (minor units) as a decimal of the currency's exponent (0 to 4), e.g. 60000 ->
 * "600.00". */
static void
money(int64_t amount, int exponent, char *out, size_t cap)
{
	uint64_t a = amount < 0 ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount, scale = 1;
	uint64_t rest;
	char digits[8];

	if (exponent <= 0 || exponent > 4) {
		snprintf(out, cap, "%s%" PRIu64, amount < 0 ? "-" : "", a);
		return;
	}
	for (int i = 0; i < exponent; i++)
		scale *= 10;
	rest = a % scale;
	for (int i = exponent - 1; i >= 0; i--) {
		digits[i] = (char)('0' + rest % 10);
		rest /= 10;
	}
	digits[exponent] = '\0';
	snprintf(out, cap, "%s%" PRIu64 ".%s", amount < 0 ? "-" : "", a / scale, digits);
}

int
books_postings_check(struct json_object *postings, char *pointer, size_t pcap, char *detail,
		     size_t dcap)
{
	size_t n = json_object_is_type(postings, json_type_array) ? json_object_array_length(postings)
								    : 0;
	int64_t sum = 0;

	if (n < 2 || n > BOOKS_MAX_POSTINGS) {
		snprintf(pointer, pcap, "/postings");
		snprintf(detail, dcap, "An entry has 2 to %d postings.", BOOKS_MAX_POSTINGS);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(postings, i), *acc, *amt;
		if (!json_object_is_type(x, json_type_object) || json_object_object_length(x) != 2 ||
		    !json_object_object_get_ex(x, "account", &acc) ||
		    !json_object_object_get_ex(x, "amount", &amt) ||
		    !json_object_is_type(acc, json_type_string)) {
			snprintf(pointer, pcap, "/postings/%zu", i);
			snprintf(detail, dcap, "A posting is {\"account\": \"<code>\", \"amount\": "
				 "<integer>}.");
			return -1;
		}
		if (!json_object_is_type(amt, json_type_int) || json_object_get_int64(amt) == 0 ||
		    json_object_get_int64(amt) > GLOG_INT_MAX ||
		    json_object_get_int64(amt) < -GLOG_INT_MAX) {
			snprintf(pointer, pcap, "/postings/%zu/amount", i);
			snprintf(detail, dcap, "An amount is a non-zero integer in minor units of the "
				 "group's currency (cents for EUR), below 2^53: no fraction, no string.");
			return -1;
		}
		sum += json_object_get_int64(amt); /* each < 2^53, at most 200: no overflow */
	}
	if (sum != 0) {
		snprintf(pointer, pcap, "/postings");
		snprintf(detail, dcap, "The postings sum to %" PRId64 ", not zero: debits (positive) "
			 "and credits (negative) must balance.", sum);
		return 1;
	}
	return 0;
}

int
books_entry_check(struct json_object *entry, char *pointer, size_t pcap, char *detail,
		  size_t dcap)
{
	struct json_object *date = NULL, *memo = NULL, *postings = NULL;
	size_t members = 0;

	if (!json_object_is_type(entry, json_type_object)) {
		snprintf(pointer, pcap, "%s", "");
		snprintf(detail, dcap, "An entry is {\"date\", \"memo\"?, \"postings\"}.");
		return -1;
	}
	members += json_object_object_get_ex(entry, "date", &date);
	members += json_object_object_get_ex(entry, "memo", &memo);
	members += json_object_object_get_ex(entry, "postings", &postings);
	if ((size_t)json_object_object_length(entry) != members || date == NULL ||
	    postings == NULL) {
		snprintf(pointer, pcap, "%s", "");
		snprintf(detail, dcap, "An entry is {\"date\", \"memo\"?, \"postings\"}.");
		return -1;
	}
	if (!json_object_is_type(date, json_type_string) ||
	    !books_valid_date(json_object_get_string(date))) {
		snprintf(pointer, pcap, "/date");
		snprintf(detail, dcap, "A date is YYYY-MM-DD, a day of the calendar (years 1900 to "
			 "9999).");
		return -1;
	}
	if (memo != NULL && (!json_object_is_type(memo, json_type_string) ||
			     json_object_get_string_len(memo) > BOOKS_MEMO_MAX)) {
		snprintf(pointer, pcap, "/memo");
		snprintf(detail, dcap, "A memo is text of at most %d bytes.", BOOKS_MEMO_MAX);
		return -1;
	}
	return books_postings_check(postings, pointer, pcap, detail, dcap) != 0 ? -1 : 0;
}

/* Checks the postings' shape: 2 to BOOKS_MAX_POSTINGS objects {"account": string, "amount":
 * a non-zero integer}, summing to zero; their account codes into p->codes. 0, or -1 having
 * answered. */
static int
check_postings(struct posting *p)
{
	size_t n = json_object_array_length(p->postings), len = 3;
	char pointer[48], detail[PROBLEM_DETAIL_MAX];
	int r;

	if ((r = books_postings_check(p->postings, pointer, sizeof(pointer), detail,
				      sizeof(detail))) != 0) {
		refuse(&p->op, 422, r > 0 ? "unbalanced" : "invalid-entry", pointer, "%s", detail);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		len += (size_t)json_object_get_string_len(json_object_object_get(
			   json_object_array_get_idx(p->postings, i), "account")) + 3;
	/* account codes are [a-z0-9_:-] (checked against the chart): a bare text[] literal */
	if ((p->codes = malloc(len)) == NULL)
		return -2;
	strcpy(p->codes, "{");
	for (size_t i = 0; i < n; i++) {
		const char *code = json_object_get_string(
		    json_object_object_get(json_object_array_get_idx(p->postings, i), "account"));
		if (strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_:-") != strlen(code) ||
		    code[0] == '\0') {
			snprintf(pointer, sizeof(pointer), "/postings/%zu/account", i);
			refuse(&p->op, 422, "unknown-account", pointer,
			       "The group has no account of this code.");
			return -1;
		}
		strcat(p->codes, i > 0 ? "," : "");
		strcat(p->codes, code);
	}
	strcat(p->codes, "}");
	return 0;
}

/* What an entry touches, by account type. */
struct touches {
	bool expense, income, equity, reserve, own_capital;
	int64_t expense_amount; /* the sum of its postings to expense accounts */
};

/* The roles of the member (ctx "roles") that grant permission, the first into *role. */
static bool
permitted(struct json_object *ctx, const char *permission, const char **role)
{
	struct json_object *roles = json_object_object_get(ctx, "roles");
	struct json_object *charter = json_object_object_get(ctx, "charter");

	for (size_t i = 0; i < json_object_array_length(roles); i++) {
		const char *r = json_object_get_string(json_object_array_get_idx(roles, i));
		if (charter_role_permits(charter, r, permission)) {
			*role = r;
			return true;
		}
	}
	return false;
}

/* The most generous limit named limit among the member's roles granting record_expense,
 * and the role that sets it (*role); -1: no limit. */
static int64_t
expense_limit(struct json_object *ctx, const char *limit, const char **role)
{
	struct json_object *roles = json_object_object_get(ctx, "roles");
	struct json_object *charter = json_object_object_get(ctx, "charter");
	int64_t best = 0;
	bool any = false;

	for (size_t i = 0; i < json_object_array_length(roles); i++) {
		const char *r = json_object_get_string(json_object_array_get_idx(roles, i));
		int64_t l;
		if (!charter_role_permits(charter, r, "record_expense"))
			continue;
		l = charter_role_limit(charter, r, limit);
		if (l < 0) {
			*role = r;
			return -1;
		}
		if (!any || l > best) {
			best = l;
			*role = r;
		}
		any = true;
	}
	return best;
}

/* Whether the entry's postings negate exactly those of the entry it reverses (the same
 * accounts, each amount negated, in any order). */
static bool
negates(struct json_object *postings, struct json_object *reversed)
{
	size_t n = json_object_array_length(postings);
	bool used[BOOKS_MAX_POSTINGS] = {false};

	if (reversed == NULL || json_object_array_length(reversed) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(postings, i);
		const char *acc = json_object_get_string(json_object_object_get(x, "account"));
		int64_t amt = json_object_get_int64(json_object_object_get(x, "amount"));
		bool found = false;
		for (size_t j = 0; j < n && !found; j++) {
			struct json_object *y = json_object_array_get_idx(reversed, j);
			if (!used[j] &&
			    strcmp(acc, json_object_get_string(json_object_object_get(y, "account"))) == 0 &&
			    amt == -json_object_get_int64(json_object_object_get(y, "amount")))
				used[j] = found = true;
		}
		if (!found)
			return false;
	}
	return true;
}

/* The group as it is now: the rules checked, the entry and its log entry signed and
 * written. */
static void
context_cb(void *arg, const struct problem *no, const char *json)
{
	struct posting *p = arg;
	struct json_object *ctx, *accounts, *entry = NULL, *what = NULL, *answer = NULL, *auth;
	struct json_object *reversed;
	struct touches t = {0};
	struct problem none;
	const char *role = NULL, *needed = NULL;
	char own[UTIL_UUID_LEN + 16], pointer[48];
	int exponent;

	if (no == NULL && json == NULL)
		no = problem_set(&none, 404, "not-found", GROUPS_NO_GROUP);
	if (no != NULL) {
		op_done(&p->op, no, NULL, NULL);
		return;
	}
	if ((ctx = json_tokener_parse(json)) == NULL) {
		refuse(&p->op, 500, "internal-error", NULL, "The group could not be read.");
		return;
	}
	accounts = json_object_object_get(ctx, "accounts");
	exponent = charter_currency_exponent(json_object_get_string(json_object_object_get(
	    json_object_object_get(json_object_object_get(ctx, "charter"), "accounting"),
	    "currency")));
	snprintf(own, sizeof(own), "capital:%s", p->op.who);
	for (size_t i = 0; i < json_object_array_length(p->postings); i++) {
		struct json_object *x = json_object_array_get_idx(p->postings, i), *type;
		const char *code = json_object_get_string(json_object_object_get(x, "account"));
		const char *ty;
		if (!json_object_object_get_ex(accounts, code, &type)) {
			snprintf(pointer, sizeof(pointer), "/postings/%zu/account", i);
			refuse(&p->op, 422, "unknown-account", pointer,
			       "The group has no account of this code (GET .../ledger/accounts).");
			goto out;
		}
		ty = json_object_get_string(type);
		if (strcmp(ty, "expense") == 0) {
			t.expense = true;
			t.expense_amount += json_object_get_int64(json_object_object_get(x, "amount"));
		}
		t.income |= strcmp(ty, "income") == 0;
		t.equity |= strcmp(ty, "equity") == 0;
		t.reserve |= strcmp(code, "reserve") == 0 || strcmp(code, "undistributed") == 0;
		t.own_capital |= strcmp(code, own) == 0;
	}
	if (json_object_get_boolean(json_object_object_get(ctx, "closed"))) {
		refuse(&p->op, 409, "period-closed", "/date",
		       "The fiscal year of this date is closed: its surplus was allocated.");
		goto out;
	}
	if (t.reserve) {
		refuse(&p->op, 403, "not-permitted", "/postings",
		       "The reserve and the undistributed surplus are posted only by an adopted "
		       "allocate_surplus decision.");
		goto out;
	}
	if (p->reverses[0] != '\0') {
		reversed = json_object_object_get(ctx, "reversed");
		if (reversed == NULL || json_object_is_type(reversed, json_type_null)) {
			refuse(&p->op, 422, "invalid-entry", "/reverses",
			       "The group has no entry of this id to reverse.");
			goto out;
		}
		if (json_object_get_boolean(json_object_object_get(reversed, "reversed"))) {
			refuse(&p->op, 409, "already-reversed", "/reverses",
			       "This entry was reversed already.");
			goto out;
		}
		if (!negates(p->postings, json_object_object_get(reversed, "postings"))) {
			refuse(&p->op, 422, "invalid-entry", "/postings",
			       "A reversing entry negates the postings of the entry it reverses "
			       "exactly: the same accounts, each amount with the other sign.");
			goto out;
		}
	}
	if (p->opening) {
		needed = "manage_accounts";
		if (!json_object_get_boolean(json_object_object_get(ctx, "empty"))) {
			refuse(&p->op, 409, "ledger-not-empty", "/opening",
			       "The opening-balances entry is posted while the ledger is empty, once.");
			goto out;
		}
	} else if (t.own_capital) {
		refuse(&p->op, 403, "not-permitted", "/postings",
		       "No one posts to their own capital account: another member holding "
		       "record_capital does.");
		goto out;
	} else if (t.equity) {
		needed = "record_capital";
	} else if (t.expense) {
		needed = "record_expense";
	} else if (t.income) {
		needed = "record_income";
	}
	if (needed != NULL ? !permitted(ctx, needed, &role)
			   : !permitted(ctx, "record_income", &role) &&
				 !permitted(ctx, "record_expense", &role) &&
				 !permitted(ctx, "record_capital", &role)) {
		refuse(&p->op, 403, "not-permitted", NULL,
		       "None of your roles in this group may post this entry (it needs %s).",
		       needed != NULL ? needed : "record_income, record_expense or record_capital");
		goto out;
	}
	if (t.expense && !p->opening && t.expense_amount > 0 &&
	    (needed == NULL || strcmp(needed, "record_expense") == 0)) {
		int64_t per_entry = expense_limit(ctx, "expense_per_entry", &role);
		int64_t per_month = expense_limit(ctx, "expense_per_month", &role);
		int64_t spent = json_object_get_int64(json_object_object_get(ctx, "month_expenses"));
		char a[32], l[32], left[32];
		if (per_entry >= 0 && t.expense_amount > per_entry) {
			money(t.expense_amount, exponent, a, sizeof(a));
			money(per_entry, exponent, l, sizeof(l));
			refuse(&p->op, 403, "over-limit", "/postings",
			       "This expense of %s is over your limit of %s an entry: an "
			       "approve_expense decision makes it.", a, l);
			goto out;
		}
		if (per_month >= 0 && spent + t.expense_amount > per_month) {
			money(t.expense_amount, exponent, a, sizeof(a));
			money(per_month, exponent, l, sizeof(l));
			money(per_month - spent > 0 ? per_month - spent : 0, exponent, left, sizeof(left));
			refuse(&p->op, 403, "over-limit", "/postings",
			       "This expense of %s is over your monthly limit of %s: %s is left this "
			       "month; an approve_expense decision makes it.", a, l, left);
			goto out;
		}
	}
	/* the entry, as the log holds it */
	auth = json_object_new_object();
	json_object_object_add(auth, "role", json_object_new_string(role));
	entry = json_object_new_object();
	json_object_object_add(entry, "id", json_object_new_string(p->id));
	json_object_object_add(entry, "date", json_object_new_string(p->date));
	json_object_object_add(entry, "memo", json_object_new_string(p->memo));
	json_object_object_add(entry, "postings", json_object_get(p->postings));
	json_object_object_add(entry, "posted_by", json_object_new_string(p->op.who));
	json_object_object_add(entry, "authorised_by", auth);
	if (p->reverses[0] != '\0')
		json_object_object_add(entry, "reverses", json_object_new_string(p->reverses));
	if (p->opening)
		json_object_object_add(entry, "opening", json_object_new_boolean(true));
	what = json_object_new_object();
	json_object_object_add(what, "entry", json_object_get(entry));
	answer = json_object_get(entry);
	append(&p->op, ctx, entry, what, answer, true);
out:
	json_object_put(answer);
	json_object_put(what);
	json_object_put(entry);
	json_object_put(ctx);
}

static void
post(struct op *o)
{
	struct posting *p = (struct posting *)o;
	struct db_param q[] = {db_text(o->gid), db_text(o->who), db_text(p->date),
			       db_text(p->reverses[0] != '\0' ? p->reverses : NULL),
			       db_text(p->codes)};

	coop_store_json(o->c->app->db, &coop_stmt_post_context, q, context_cb, p);
}

void
books_post(struct coop *c, const struct principal *who, const char *gid,
	   struct json_object *body, groups_cb cb, void *arg)
{
	struct posting *p;
	struct json_object *v;
	struct problem no;
	const char *date = json_object_get_string(json_object_object_get(body, "date"));
	const char *memo = json_object_get_string(json_object_object_get(body, "memo"));
	int r;

	if (!groups_is_person(c, who, cb, arg))
		return;
	if ((p = calloc(1, sizeof(*p))) == NULL || util_uuid_v4(p->id) != 0 ||
	    (p->memo = strdup(memo != NULL ? memo : "")) == NULL) {
		free(p);
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	op_init(&p->op, c, who, gid, cb, arg, post, posting_free);
	json_object_object_get_ex(body, "postings", &v);
	p->postings = json_object_get(v);
	if (json_object_object_get_ex(body, "reverses", &v) && v != NULL)
		util_uuid_parse(json_object_get_string(v), p->reverses);
	p->opening = json_object_object_get_ex(body, "opening", &v) && json_object_get_boolean(v);
	if (date == NULL || !books_valid_date(date)) {
		refuse(&p->op, 422, "invalid-entry", "/date", "A date is YYYY-MM-DD, a day of the "
		       "calendar (years 1900 to 9999).");
		return;
	}
	memcpy(p->date, date, 10);
	if ((r = check_postings(p)) == -2)
		refuse(&p->op, 500, "internal-error", NULL, "Out of memory.");
	else if (r == 0)
		op_begin(&p->op);
}

/* ---- patronage ---- */

struct record {
	struct op op;
	char id[UTIL_UUID_LEN + 1], person[UTIL_UUID_LEN + 1];
	char date[11];
	int64_t amount;
};

static void
record_free(struct op *o)
{
	free(o);
}

/* Whether the member (ctx "roles") holds a role granting permission. */
static bool
holds(struct json_object *ctx, const char *permission)
{
	const char *role;

	return permitted(ctx, permission, &role);
}

static void
record_context_cb(void *arg, const struct problem *no, const char *json)
{
	struct record *r = arg;
	struct json_object *ctx, *rec = NULL, *entry = NULL, *what = NULL;
	struct problem none;

	if (no == NULL && json == NULL)
		no = problem_set(&none, 404, "not-found", GROUPS_NO_GROUP);
	if (no != NULL) {
		op_done(&r->op, no, NULL, NULL);
		return;
	}
	if ((ctx = json_tokener_parse(json)) == NULL) {
		refuse(&r->op, 500, "internal-error", NULL, "The group could not be read.");
		return;
	}
	if (!holds(ctx, "record_patronage"))
		refuse(&r->op, 403, "not-permitted", NULL,
		       "None of your roles in this group may record patronage.");
	else if (!json_object_get_boolean(json_object_object_get(ctx, "member")))
		refuse(&r->op, 422, "invalid-entry", "/person",
		       "Patronage is recorded for members of the group.");
	else if (json_object_get_boolean(json_object_object_get(ctx, "closed")))
		refuse(&r->op, 409, "period-closed", "/date",
		       "The fiscal year of this date is closed: its surplus was allocated.");
	else {
		rec = json_object_new_object();
		json_object_object_add(rec, "id", json_object_new_string(r->id));
		json_object_object_add(rec, "person", json_object_new_string(r->person));
		json_object_object_add(rec, "date", json_object_new_string(r->date));
		json_object_object_add(rec, "amount", json_object_new_int64(r->amount));
		json_object_object_add(rec, "recorded_by", json_object_new_string(r->op.who));
		entry = json_object_new_object();
		json_object_object_add(entry, "patronage", json_object_get(rec));
		what = json_object_get(entry);
		append(&r->op, ctx, entry, what, rec, true);
	}
	json_object_put(rec);
	json_object_put(entry);
	json_object_put(what);
	json_object_put(ctx);
}

static void
record_read(struct op *o)
{
	struct record *r = (struct record *)o;
	struct db_param q[] = {db_text(o->gid), db_text(o->who), db_text(r->date),
			       db_text(r->person)};

	coop_store_json(o->c->app->db, &coop_stmt_patronage_context, q, record_context_cb, r);
}

void
books_patronage_record(struct coop *c, const struct principal *who, const char *gid,
		       const char *person, const char *date, int64_t amount, groups_cb cb,
		       void *arg)
{
	struct record *r;
	struct problem no;

	if (!groups_is_person(c, who, cb, arg))
		return;
	if ((r = calloc(1, sizeof(*r))) == NULL || util_uuid_v4(r->id) != 0) {
		free(r);
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	op_init(&r->op, c, who, gid, cb, arg, record_read, record_free);
	util_uuid_parse(person, r->person);
	r->amount = amount;
	if (!books_valid_date(date)) {
		refuse(&r->op, 422, "invalid-entry", "/date", "A date is YYYY-MM-DD, a day of the "
		       "calendar (years 1900 to 9999).");
		return;
	}
	memcpy(r->date, date, 10);
	if (amount == 0) {
		refuse(&r->op, 422, "invalid-entry", "/amount", "An amount of patronage is a "
		       "non-zero integer (a correction is negative).");
		return;
	}
	op_begin(&r->op);
}

void
books_patronage(struct coop *c, const struct principal *who, const char *gid, long long after,
		groups_cb cb, void *arg)
{
	read_after(c, &coop_stmt_patronage, who, gid, after, cb, arg);
}

/* ---- opening an account ---- */

struct opening {
	struct op op;
	struct json_object *account; /* {"code", "name", "type", "patronage"?} (owned) */
};

static void
opening_free(struct op *o)
{
	json_object_put(((struct opening *)o)->account);
	free(o);
}

static void
account_context_cb(void *arg, const struct problem *no, const char *json)
{
	struct opening *a = arg;
	struct json_object *ctx, *entry = NULL, *answer = NULL;
	struct problem none;

	if (no == NULL && json == NULL)
		no = problem_set(&none, 404, "not-found", GROUPS_NO_GROUP);
	if (no != NULL) {
		op_done(&a->op, no, NULL, NULL);
		return;
	}
	if ((ctx = json_tokener_parse(json)) == NULL) {
		refuse(&a->op, 500, "internal-error", NULL, "The group could not be read.");
		return;
	}
	if (!holds(ctx, "manage_accounts"))
		refuse(&a->op, 403, "not-permitted", NULL,
		       "None of your roles in this group may open accounts (manage_accounts).");
	else if (json_object_get_boolean(json_object_object_get(ctx, "taken")))
		refuse(&a->op, 409, "account-exists", "/code", "The group has an account of this "
		       "code already.");
	else {
		entry = json_object_new_object();
		json_object_object_add(entry, "account", json_object_get(a->account));
		answer = json_object_new_object();
		json_object_object_foreach(a->account, k, v)
			json_object_object_add(answer, k, json_object_get(v));
		json_object_object_add(answer, "balance", json_object_new_int64(0));
		append(&a->op, ctx, entry, entry, answer, false);
	}
	json_object_put(entry);
	json_object_put(answer);
	json_object_put(ctx);
}

static void
account_read(struct op *o)
{
	struct opening *a = (struct opening *)o;
	struct db_param q[] = {
	    db_text(o->gid), db_text(o->who),
	    db_text(json_object_get_string(json_object_object_get(a->account, "code")))};

	coop_store_json(o->c->app->db, &coop_stmt_account_context, q, account_context_cb, a);
}

void
books_account_open(struct coop *c, const struct principal *who, const char *gid,
		   const char *code, const char *name, const char *type, int patronage,
		   groups_cb cb, void *arg)
{
	static const char *const types[] = {"asset", "liability", "equity", "income", "expense"};
	struct opening *a;
	struct problem no;
	bool known = false;
	size_t n = strlen(code);

	if (!groups_is_person(c, who, cb, arg))
		return;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->account = json_object_new_object()) == NULL) {
		free(a);
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	op_init(&a->op, c, who, gid, cb, arg, account_read, opening_free);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		known |= strcmp(types[i], type) == 0;
	if (n == 0 || n > 32 || code[0] < 'a' || code[0] > 'z' ||
	    strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_") != n) {
		refuse(&a->op, 422, "invalid-entry", "/code", "An account's code matches "
		       "^[a-z][a-z0-9_]{0,31}$ (members' capital:<person> accounts open themselves).");
		return;
	}
	if (!known) {
		refuse(&a->op, 422, "invalid-entry", "/type", "An account's type is asset, "
		       "liability, equity, income or expense.");
		return;
	}
	if (patronage >= 0 && strcmp(type, "income") != 0) {
		refuse(&a->op, 422, "invalid-entry", "/patronage", "Only an income account says "
		       "whether members' work earned it.");
		return;
	}
	json_object_object_add(a->account, "code", json_object_new_string(code));
	json_object_object_add(a->account, "name", json_object_new_string(name));
	json_object_object_add(a->account, "type", json_object_new_string(type));
	if (strcmp(type, "income") == 0)
		json_object_object_add(a->account, "patronage", json_object_new_boolean(patronage != 0));
	op_begin(&a->op);
}

/* ---- a year's surplus ---- */

struct surplus_read {
	groups_cb cb;
	void *arg;
	int year;
};

struct json_object *
books_allocation(struct json_object *ctx, int year, const char **why)
{
	struct json_object *charter = json_object_object_get(ctx, "charter"), *o, *list;
	struct json_object *pat = json_object_object_get(ctx, "patronage");
	size_t n = json_object_array_length(pat);
	struct surplus_member *m = calloc(n + 1, sizeof(*m));
	struct surplus_in in = {0};
	struct surplus_out out;

	*why = "The year's figures are beyond what can be allocated exactly.";
	if (m == NULL) {
		*why = "Out of memory.";
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(pat, i);
		snprintf(m[i].person, sizeof(m[i].person), "%s",
			 json_object_get_string(json_object_array_get_idx(x, 0)));
		m[i].patronage = json_object_get_int64(json_object_array_get_idx(x, 1));
		m[i].former = json_object_get_boolean(json_object_array_get_idx(x, 2));
	}
	in.net = json_object_get_int64(json_object_object_get(ctx, "income")) -
		 json_object_get_int64(json_object_object_get(ctx, "expenses"));
	in.non_patronage = json_object_get_int64(json_object_object_get(ctx, "non_patronage"));
	in.reserve_balance = json_object_get_int64(json_object_object_get(ctx, "reserve"));
	in.members = m;
	in.n = n;
	if (charter_share(charter, "reserve_share", &in.reserve_n, &in.reserve_d) != 0 ||
	    charter_share(charter, "cash_share", &in.cash_n, &in.cash_d) != 0 ||
	    surplus_loss_policy_parse(json_object_get_string(json_object_object_get(
					  json_object_object_get(charter, "accounting"), "loss_policy")),
				      &in.loss_policy) != 0 ||
	    surplus_compute(&in, &out) != 0) {
		free(m);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "year", json_object_new_int(year));
	json_object_object_add(o, "net", json_object_new_int64(out.net));
	json_object_object_add(o, "non_patronage", json_object_new_int64(out.non_patronage));
	json_object_object_add(o, "patronage_surplus", json_object_new_int64(out.patronage_surplus));
	json_object_object_add(o, "reserve", json_object_new_int64(out.reserve));
	list = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "person", json_object_new_string(m[i].person));
		json_object_object_add(x, "patronage", json_object_new_int64(m[i].patronage));
		json_object_object_add(x, "allocation", json_object_new_int64(m[i].allocation));
		json_object_object_add(x, "cash", json_object_new_int64(m[i].cash));
		json_object_object_add(x, "retained", json_object_new_int64(m[i].retained));
		json_object_array_add(list, x);
	}
	json_object_object_add(o, "members", list);
	free(m);
	return o;
}

static void
surplus_cb(void *arg, const struct problem *no, const char *json)
{
	struct surplus_read *sr = arg;
	struct json_object *ctx = NULL, *o = NULL;
	struct problem why;
	const char *detail = NULL;

	if (no == NULL && json == NULL)
		no = problem_set(&why, 404, "not-found", GROUPS_NO_GROUP);
	else if (no == NULL && (ctx = json_tokener_parse(json)) == NULL)
		no = problem_set(&why, 500, "internal-error", "The books could not be read.");
	else if (no == NULL && (o = books_allocation(ctx, sr->year, &detail)) == NULL)
		no = problem_set(&why, 422, "invalid-request", "%s", detail);
	sr->cb(sr->arg, no, NULL, o != NULL ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)
					     : NULL);
	json_object_put(o);
	json_object_put(ctx);
	free(sr);
}

void
books_surplus(struct coop *c, const struct principal *who, const char *gid, int year,
	      groups_cb cb, void *arg)
{
	struct surplus_read *sr;
	char y[16];
	struct db_param p[] = {db_text(gid), db_text(who->account_id), db_text(y)};
	struct problem no;

	if (!groups_is_person(c, who, cb, arg))
		return;
	if ((sr = malloc(sizeof(*sr))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	*sr = (struct surplus_read){cb, arg, year};
	snprintf(y, sizeof(y), "%d", year);
	coop_store_json(c->app->db, &coop_stmt_surplus_context, p, surplus_cb, sr);
}

/* ---- the export ---- */

#define EXPORT_PAGE 1000 /* entries a page: coop_stmt_export_page's limit */

struct books_export {
	struct coop *c;
	char gid[UTIL_UUID_LEN + 1], who[UTIL_UUID_LEN + 1];
	enum books_format format;
	char currency[8];
	int exponent;
	long long after, upto; /* the entries sent go up to seq after; the export to upto */
	books_export_cb cb;
	void *arg;
};

/* text as one line of a journal's description or a CSV field's content: control
 * characters become spaces, and (hledger) ';', which would start a comment, becomes ','. */
static void
put_text(FILE *f, const char *text, bool journal)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fputc(' ', f);
		else if (journal && *p == ';')
			fputc(',', f);
		else if (!journal && *p == '"')
			fputs("\"\"", f);
		else
			fputc(*p, f);
	}
}

/* The head of the export read in x (coop_stmt_export's answer) as text (malloc'd): the
 * journal's commodity and account declarations, or the CSV's header line. */
static char *
export_head(struct json_object *x, enum books_format format)
{
	const char *currency = json_object_get_string(json_object_object_get(x, "currency"));
	int exponent = charter_currency_exponent(currency);
	struct json_object *accounts = json_object_object_get(x, "accounts");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	if (format == BOOKS_HLEDGER) {
		static const struct { const char *type, *tag; } tags[] = {
		    {"asset", "A"}, {"liability", "L"}, {"equity", "E"},
		    {"income", "R"}, {"expense", "X"}};
		char unit[16] = "1000";
		if (exponent > 0)
			snprintf(unit, sizeof(unit), "1000.%.*s", exponent, "0000");
		fputs("; FreeCoop: the books of ", f);
		put_text(f, json_object_get_string(json_object_object_get(x, "name")), true);
		fprintf(f, "\n; amounts in %s, to its minor unit\n\ndecimal-mark .\ncommodity %s %s\n\n",
			currency, unit, currency);
		for (size_t i = 0; i < json_object_array_length(accounts); i++) {
			struct json_object *a = json_object_array_get_idx(accounts, i);
			const char *type = json_object_get_string(json_object_array_get_idx(a, 1));
			const char *tag = "A";
			for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]); k++)
				if (strcmp(tags[k].type, type) == 0)
					tag = tags[k].tag;
			fprintf(f, "account %s  ; type: %s, name: ",
				json_object_get_string(json_object_array_get_idx(a, 0)), tag);
			put_text(f, json_object_get_string(json_object_array_get_idx(a, 2)), true);
			fputc('\n', f);
		}
	} else {
		fputs("seq,entry,date,account,amount_minor,amount,currency,memo\r\n", f);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Entries of the export (a page of coop_stmt_export_page's answer) as text (malloc'd);
 * the last one's seq into *last — or the export's end, when the page is not full (no
 * more entries up to it). */
static char *
export_entries(const struct books_export *x, struct json_object *entries, long long *last)
{
	char *out = NULL, amount[40];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	for (size_t i = 0; i < json_object_array_length(entries); i++) {
		struct json_object *e = json_object_array_get_idx(entries, i);
		struct json_object *postings = json_object_array_get_idx(e, 4);
		int64_t seq = json_object_get_int64(json_object_array_get_idx(e, 0));
		const char *id = json_object_get_string(json_object_array_get_idx(e, 1));
		const char *date = json_object_get_string(json_object_array_get_idx(e, 2));
		const char *memo = json_object_get_string(json_object_array_get_idx(e, 3));
		if (x->format == BOOKS_HLEDGER) {
			fprintf(f, "\n%s ", date);
			put_text(f, memo[0] != '\0' ? memo : "(no memo)", true);
			fprintf(f, "  ; id:%s, seq:%" PRId64 "\n", id, seq);
		}
		for (size_t k = 0; k < json_object_array_length(postings); k++) {
			struct json_object *p = json_object_array_get_idx(postings, k);
			const char *account = json_object_get_string(json_object_array_get_idx(p, 0));
			int64_t v = json_object_get_int64(json_object_array_get_idx(p, 1));
			money(v, x->exponent, amount, sizeof(amount));
			if (x->format == BOOKS_HLEDGER) {
				fprintf(f, "    %-50s  %s %s\n", account, amount, x->currency);
			} else {
				fprintf(f, "%" PRId64 ",%s,%s,%s,%" PRId64 ",%s,%s,\"", seq, id, date,
					account, v, amount, x->currency);
				put_text(f, memo, false);
				fputs("\"\r\n", f);
			}
		}
		*last = seq;
	}
	if (json_object_array_length(entries) < EXPORT_PAGE)
		*last = x->upto;
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void
export_head_cb(void *arg, const struct problem *no, const char *json)
{
	struct books_export *x = arg;
	struct json_object *o = NULL;
	struct problem why;
	char *text = NULL;
	const char *currency;

	if (no == NULL && json == NULL)
		no = problem_set(&why, 404, "not-found", GROUPS_NO_GROUP);
	else if (no == NULL && ((o = json_tokener_parse(json)) == NULL ||
				(text = export_head(o, x->format)) == NULL))
		no = problem_set(&why, 500, "internal-error", "The export could not be made.");
	if (no != NULL) {
		x->cb(x->arg, no, NULL, NULL);
		books_export_free(x);
	} else {
		currency = json_object_get_string(json_object_object_get(o, "currency"));
		snprintf(x->currency, sizeof(x->currency), "%s", currency != NULL ? currency : "");
		x->exponent = charter_currency_exponent(x->currency);
		x->upto = json_object_get_int64(json_object_object_get(o, "upto"));
		x->cb(x->arg, NULL, x, text);
	}
	free(text);
	json_object_put(o);
}

void
books_export_start(struct coop *c, const struct principal *who, const char *gid,
		   enum books_format format, books_export_cb cb, void *arg)
{
	struct books_export *x;
	struct db_param p[] = {db_text(gid), db_text(who->account_id)};
	struct problem no;

	if (!groups_person_check(c, who, &no)) {
		cb(arg, &no, NULL, NULL);
		return;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL);
		return;
	}
	x->c = c;
	memcpy(x->gid, gid, UTIL_UUID_LEN);
	memcpy(x->who, who->account_id, UTIL_UUID_LEN);
	x->format = format;
	x->cb = cb;
	x->arg = arg;
	coop_store_json(c->app->db, &coop_stmt_export, p, export_head_cb, x);
}

static void
export_page_cb(void *arg, const struct problem *no, const char *json)
{
	struct books_export *x = arg;
	struct json_object *o = NULL;
	struct problem why;
	char *text = NULL;

	if (no == NULL && json == NULL)
		no = problem_set(&why, 404, "not-found", GROUPS_NO_GROUP);
	else if (no == NULL && ((o = json_tokener_parse(json)) == NULL ||
				!json_object_is_type(o, json_type_array) ||
				(text = export_entries(x, o, &x->after)) == NULL))
		no = problem_set(&why, 500, "internal-error", "The export could not be made.");
	x->cb(x->arg, no, x, text);
	free(text);
	json_object_put(o);
}

void
books_export_next(struct books_export *x, books_export_cb cb, void *arg)
{
	char after[24], upto[24];
	struct db_param p[] = {db_text(x->gid), db_text(x->who), db_text(after), db_text(upto)};

	x->cb = cb;
	x->arg = arg;
	if (x->after >= x->upto) {
		cb(arg, NULL, x, "");
		return;
	}
	snprintf(after, sizeof(after), "%lld", x->after);
	snprintf(upto, sizeof(upto), "%lld", x->upto);
	coop_store_json(x->c->app->db, &coop_stmt_export_page, p, export_page_cb, x);
}

void
books_export_free(struct books_export *x)
{
	free(x);
}
