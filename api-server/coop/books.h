/* books — a group's books (DESIGN §10.7): its chart of accounts with their balances, and
 * its double-entry ledger, posted by members within what their roles permit.
 *
 * Amounts are integers in minor units of the charter's currency (|amount| < 2^53), debits
 * positive and credits negative, each entry summing to zero; no floating point anywhere.
 * Entries are immutable: a correction is a reversing entry. Each entry is also an entry
 * ("ledger") of the group's signed log, appended in the same statement, serialised with
 * every other append to the group: the monthly limits hold against concurrent posters.
 *
 * Who may post what, by the accounts an entry touches:
 *   - an expense account: record_expense, within the most generous expense_per_entry and
 *     expense_per_month of the poster's roles that grant it (the month: the entry's date's
 *     calendar month, summing the poster's entries authorised by a role); beyond either,
 *     403 over-limit (an approve_expense decision makes such an expense);
 *   - an income account: record_income;
 *   - an equity account (members' capital): record_capital, never the poster's own
 *     capital:<person>; the reserve and undistributed surplus: only allocate_surplus;
 *   - assets and liabilities only (a transfer): any of the three;
 *   - the opening-balances entry ("opening": true): manage_accounts, while the ledger is
 *     empty, touching any account but the reserve and undistributed surplus.
 * An entry dated in a closed fiscal year is 409 period-closed. */
#ifndef FREECOOP_BOOKS_H
#define FREECOOP_BOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "groups.h"

#define BOOKS_MAX_POSTINGS 200
#define BOOKS_MEMO_MAX 500

/* Checks postings' shape: 2 to BOOKS_MAX_POSTINGS objects {"account": string, "amount": a
 * non-zero integer below 2^53 in magnitude}. Returns 0; -1 with the pointer of the faulty
 * member (relative to an entry: "/postings/1/amount") and why; 1 when they do not sum to
 * zero. */
int books_postings_check(struct json_object *postings, char *pointer, size_t pcap,
			 char *detail, size_t dcap);

/* Checks an entry's shape as an approve_expense action carries it: exactly {"date":
 * YYYY-MM-DD, "memo"?: text, "postings"}. 0, or -1 with the pointer and why. */
int books_entry_check(struct json_object *entry, char *pointer, size_t pcap, char *detail,
		      size_t dcap);

/* Whether s is a date YYYY-MM-DD of the Gregorian calendar, years 1900 to 9999. */
bool books_valid_date(const char *s);

/* The group's accounts with their balances; members only. */
void books_accounts(struct coop *c, const struct principal *who, const char *gid,
		    groups_cb cb, void *arg);

/* who posts an entry to group gid: body is the request's JSON ({"date", "memo", "postings",
 * "reverses"?, "opening"?}, its members' types checked). The entry as posted, or why not,
 * with the pointer of the faulty member when there is one. */
void books_post(struct coop *c, const struct principal *who, const char *gid,
		struct json_object *body, groups_cb cb, void *arg);

/* The group's entries in order, after log seq after; members only. */
void books_entries(struct coop *c, const struct principal *who, const char *gid,
		   long long after, groups_cb cb, void *arg);

/* who records patronage of person (a member) in group gid: amount (non-zero; a correction
 * is negative) in the charter's patronage_unit, dated date; record_patronage, not in a
 * closed year. The record, or why not. */
void books_patronage_record(struct coop *c, const struct principal *who, const char *gid,
			    const char *person, const char *date, int64_t amount, groups_cb cb,
			    void *arg);

/* The group's patronage records in order, after log seq after; members only. */
void books_patronage(struct coop *c, const struct principal *who, const char *gid,
		     long long after, groups_cb cb, void *arg);

/* who opens an account (manage_accounts): code ^[a-z][a-z0-9_]{0,31}$, name, type, and
 * for an income account whether members' work earns it (patronage 1 or 0; -1: not given,
 * which for income means 1). The account, or why not (409 account-exists). */
void books_account_open(struct coop *c, const struct principal *who, const char *gid,
			const char *code, const char *name, const char *type, int patronage,
			groups_cb cb, void *arg);

/* Fiscal year year's surplus (or loss) of group gid and its allocation (DESIGN §10.7),
 * computed from the books now: {"year", "net", "non_patronage", "patronage_surplus",
 * "reserve", "members": [{"person", "patronage", "allocation", "cash", "retained"}]};
 * members only. */
void books_surplus(struct coop *c, const struct principal *who, const char *gid, int year,
		   groups_cb cb, void *arg);

/* The allocation of year from its books as coop_stmt_surplus_context reads them (the
 * object books_surplus answers; the caller puts it), or NULL with why. */
struct json_object *books_allocation(struct json_object *ctx, int year, const char **why);

enum books_format { BOOKS_HLEDGER, BOOKS_CSV };

/* Frees the table of the groups whose books are being written (coop_free); NULL is a
 * no-op. */
struct books_turns;
void books_turns_free(struct books_turns *t);

/* The group's books as text, streamed; members only. BOOKS_HLEDGER: an hledger journal
 * (account declarations with their types, the entries in order, amounts in the currency
 * with its minor unit); BOOKS_CSV: one row per posting (seq, entry, date, account,
 * amount_minor, amount, currency, memo). Memos lose their control characters (and, in the
 * journal, ';' becomes ',').
 *
 * books_export_start reads the export's head (the group's name, currency and accounts,
 * and how far its log goes now) and answers its text with the export x, or a problem with
 * x NULL; each books_export_next then answers the text of the next entries up to that
 * point (at most 1,000 at a time, read when asked: the export holds one page), "" once
 * none are left, or a problem. Entries never change, so the pages read one after another
 * are the books as they were at the start. books_export_free frees x, with no call on it
 * in flight. */
struct books_export;
typedef void (*books_export_cb)(void *arg, const struct problem *no, struct books_export *x,
				const char *text);
void books_export_start(struct coop *c, const struct principal *who, const char *gid,
			enum books_format format, books_export_cb cb, void *arg);
void books_export_next(struct books_export *x, books_export_cb cb, void *arg);
void books_export_free(struct books_export *x);

#endif
