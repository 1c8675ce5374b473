/* surplus — the arithmetic of a fiscal year's surplus allocation (DESIGN §10.7): how a
 * year's net result is split, exactly in minor units, between the reserve and the members
 * by their patronage, and how each member's part divides into cash and retained capital.
 *
 * Pure: integers in, integers out; no I/O, no allocation of its own, no floating point
 * (every product is taken in 128 bits). The caller reads the books and the charter, and
 * posts the result.
 *
 * The rules, for net = income - expenses of the year and S = net - non_patronage (the
 * patronage surplus, answered as patronage_surplus whatever its sign):
 *
 *  - net >= 0 and S >= 0 (a surplus): the reserve receives non_patronage whole, and S is
 *    split between the reserve, whose quota is S x reserve_share, and each member i, whose
 *    quota is S x (1 - reserve_share) x patronage_i / total_patronage.
 *  - net >= 0 but S < 0 (non-patronage income above the year's net): the reserve receives
 *    the whole net and every member 0. Members are never charged for a year that made
 *    money; the patronage activity's shortfall is the reserve's, out of non_patronage.
 *  - net < 0 under SURPLUS_LOSS_ALLOCATE: the negation of the split of |net| made as for a
 *    surplus, reserve quota |net| x reserve_share. non_patronage plays no part in a loss: it
 *    is already in net, and DESIGN's "the negated split of its absolute value" is |net|'s.
 *    Negating the split of |net| differs from splitting the negative quotas only in ties:
 *    here, as for a surplus, the reserve and then the lowest person ids take the larger
 *    magnitude, so in a tie the reserve bears the extra unit of loss.
 *  - net < 0 under SURPLUS_LOSS_RESERVE_FIRST: the reserve absorbs min(|net|, the reserve's
 *    balance) (nothing when that balance is 0 or negative), and the rest L is split among the
 *    members alone, member i's quota L x patronage_i / total_patronage, then negated.
 *    non_patronage plays no part here either.
 *  - No patronage at all (total 0, including no members): what would have been split goes
 *    to the reserve whole: reserve = net in every case above, so under reserve_first a loss
 *    beyond the reserve's balance takes the reserve below zero.
 *
 * A split is by largest remainder: every quota is floored, then one unit each goes to the
 * quotas of largest fractional part until the floors sum to the amount split; fractional
 * parts are compared exactly (over one common denominator), and ties go to the reserve
 * first, then to members by person id in ascending byte order. So the reserve plus the sum
 * of the allocations is net, always.
 *
 * Each member's allocation a > 0 divides into cash = floor(a x cash_share) (to patronage
 * payable) and retained = a - cash (to capital); a <= 0 is all retained (cash 0, retained
 * a: a loss is charged against capital). A former member (left during the year) is
 * allocated like everyone else for the patronage they earned; former is carried through
 * for the caller, who posts their part to capital payable to former members. */
#ifndef FREECOOP_SURPLUS_H
#define FREECOOP_SURPLUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SURPLUS_AMOUNT_MAX 9007199254740991LL /* 2^53 - 1: |amount| and each patronage */
#define SURPLUS_SHARE_D_MAX 999999999LL       /* a share's denominator is below 10^9 */
#define SURPLUS_PATRONAGE_TOTAL_MAX INT64_MAX /* the sum of every member's patronage */
#define SURPLUS_PERSON_LEN 36                 /* a lowercase UUID, 8-4-4-4-12 */

enum surplus_loss_policy {
	SURPLUS_LOSS_ALLOCATE,
	SURPLUS_LOSS_RESERVE_FIRST,
};

/* One person who earned patronage in the year: the caller fills person, patronage and
 * former; surplus_compute writes allocation, cash and retained. */
struct surplus_member {
	char person[SURPLUS_PERSON_LEN + 1]; /* a lowercase UUID, NUL-terminated */
	int64_t patronage;                   /* 0 to SURPLUS_AMOUNT_MAX, in patronage_unit */
	bool former;                         /* left the co-op: carried through, not read */
	int64_t allocation;                  /* out: cash + retained; negative for a loss */
	int64_t cash;                        /* out: floor(allocation x cash_share), or 0 */
	int64_t retained;                    /* out: allocation - cash */
	uint64_t work[2];                    /* surplus_compute's own; the caller ignores it */
};

/* A year's books and the charter's accounting terms. Shares are n/d, 0 <= n <= d,
 * 0 < d <= SURPLUS_SHARE_D_MAX (charter_share reads them so). */
struct surplus_in {
	int64_t net;             /* income - expenses; |net| <= SURPLUS_AMOUNT_MAX */
	int64_t non_patronage;   /* the year's non-patronage income, 0 to SURPLUS_AMOUNT_MAX */
	int64_t reserve_balance; /* what the reserve holds before the allocation: the negation
	                          * of its ledger balance (credits are negative), so positive
	                          * for a reserve in credit; read only under reserve_first;
	                          * |balance| <= SURPLUS_AMOUNT_MAX */
	int64_t reserve_n, reserve_d;
	int64_t cash_n, cash_d;
	enum surplus_loss_policy loss_policy;
	struct surplus_member *members; /* n of them, distinct persons; may be NULL if n is 0 */
	size_t n;
};

/* The figures the answer holds besides the members (which stay in surplus_in). */
struct surplus_out {
	int64_t net;
	int64_t non_patronage;
	int64_t patronage_surplus; /* net - non_patronage, whatever its sign */
	int64_t reserve;           /* reserve + the sum of the allocations == net */
};

/* Allocates in's year by the rules above: sorts in->members by person id (ascending byte
 * order) in place, writes each one's allocation, cash and retained, and fills *out.
 * Returns 0; -1 when in is not valid input: an amount or a share out of the ranges above,
 * an unknown loss_policy, members NULL with n > 0, a patronage out of range or a total
 * patronage above SURPLUS_PATRONAGE_TOTAL_MAX, a person that is not a lowercase UUID, or
 * two members of one person. On -1, *out and the members' out fields are not written, but
 * the members may have been sorted. Allocates nothing itself (qsort may, for members not
 * given in person order); O(n log n) time, O(n) for members given in person order (as a
 * query ordered by a uuid column returns them: PostgreSQL orders uuids by their bytes,
 * which is their lowercase text's byte order). */
int surplus_compute(const struct surplus_in *in, struct surplus_out *out);

/* The loss policy named name ("allocate", "reserve_first") into *out; 0, or -1 when there
 * is none of that name. */
int surplus_loss_policy_parse(const char *name, enum surplus_loss_policy *out);

#endif
