/* reports — what a group's books say (DESIGN §10.7): the balance sheet at a date, the
 * income statement of a period, and the members' capital and patronage. Members only.
 * Amounts are minor units; in the reports, each side's natural sign is positive (assets
 * as debits, liabilities, equity and income as credits), so the sheet reads assets =
 * liabilities + equity + the result not yet allocated. */
#ifndef FREECOOP_REPORTS_H
#define FREECOOP_REPORTS_H

#include "groups.h"

/* The balance sheet at the end of day at (YYYY-MM-DD, checked by the caller). */
void reports_balance_sheet(struct coop *c, const struct principal *who, const char *gid,
			   const char *at, groups_cb cb, void *arg);

/* The income statement from from to to (days included; closing entries left out). */
void reports_income_statement(struct coop *c, const struct principal *who, const char *gid,
			      const char *from, const char *to, groups_cb cb, void *arg);

/* Every person with a capital account: capital (flagged when negative), what is payable
 * to them as a former member, their patronage in all. */
void reports_members(struct coop *c, const struct principal *who, const char *gid,
		     groups_cb cb, void *arg);

/* Person's signed statement for fiscal year year (DESIGN §10.7): a compact JWS by
 * FreeCoop's log key (the kid of GET /coop/v1/keys; cty "member-statement+json") of their
 * patronage, allocation (cash and retained) and capital at the year's end, "allocated" or
 * "provisional" (the year not closed yet), with the log's seq and head it was read at.
 * Members only; 404 for a person who never had a capital account in the group. */
void reports_statement(struct coop *c, const struct principal *who, const char *gid,
		       const char *person, int year, groups_cb cb, void *arg);

#endif
