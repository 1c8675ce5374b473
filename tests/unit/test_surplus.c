/* The surplus allocation (DESIGN §10.7) on cases computed by hand, the arithmetic written
 * out above each: largest remainders, ties (the reserve first, then person id in byte
 * order), no patronage, non-patronage income, a loss under each policy, a former member,
 * cash floors, the edges of the shares, one member, 10,000 members, amounts at the limits
 * of 128-bit arithmetic, and what is refused. Every answer is also checked whole: the
 * reserve and the allocations sum to net, members come in person order, cash + retained is
 * the allocation. tests/unit/surplus_reference.py compares thousands of random cases with
 * an implementation in Python's fractions (ctest surplus_property). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "coop/surplus.h"

#define MAX SURPLUS_AMOUNT_MAX
#define D_MAX SURPLUS_SHARE_D_MAX
#define MANY 10000

/* Person ids in byte order: id(1) < id(2) < ... */
static void
id(char out[SURPLUS_PERSON_LEN + 1], unsigned k)
{
	snprintf(out, SURPLUS_PERSON_LEN + 1, "00000000-0000-4000-8000-%012x", k);
}

#define A 1
#define B 2
#define C 3

/* Fills member m: person id(k), patronage p. */
static void
member(struct surplus_member *m, unsigned k, int64_t p, bool former)
{
	memset(m, 0, sizeof(*m));
	id(m->person, k);
	m->patronage = p;
	m->former = former;
}

/* A year of net over the members m: reserve_share rn/rd, cash_share 1/5, allocate,
 * no non-patronage income, a reserve of 0. */
static struct surplus_in
year(int64_t net, int64_t rn, int64_t rd, struct surplus_member *m, size_t n)
{
	struct surplus_in in = {
	    .net = net,
	    .reserve_n = rn,
	    .reserve_d = rd,
	    .cash_n = 1,
	    .cash_d = 5,
	    .loss_policy = SURPLUS_LOSS_ALLOCATE,
	    .members = m,
	    .n = n,
	};

	return in;
}

/* Computes in, asserting it is accepted and what holds of every answer. */
static struct surplus_out
compute(const struct surplus_in *in)
{
	struct surplus_out out;
	int64_t sum;

	memset(&out, 0x55, sizeof(out));
	assert_int_equal(surplus_compute(in, &out), 0);
	assert_int_equal(out.net, in->net);
	assert_int_equal(out.non_patronage, in->non_patronage);
	assert_int_equal(out.patronage_surplus, in->net - in->non_patronage);
	sum = out.reserve;
	for (size_t i = 0; i < in->n; i++) {
		const struct surplus_member *m = &in->members[i];

		if (i > 0)
			assert_true(strcmp(in->members[i - 1].person, m->person) < 0);
		assert_int_equal(m->cash + m->retained, m->allocation);
		assert_true(m->cash >= 0 && (m->cash == 0 || m->cash <= m->allocation));
		sum += m->allocation;
	}
	assert_int_equal(sum, in->net);
	return out;
}

/* Asserts the reserve and the allocations, in person order. */
static void
allocated(const struct surplus_in *in, const struct surplus_out *out, int64_t reserve,
          const int64_t *alloc)
{
	assert_int_equal(out->reserve, reserve);
	for (size_t i = 0; i < in->n; i++)
		assert_int_equal(in->members[i].allocation, alloc[i]);
}

static void
split_is(const struct surplus_member *m, int64_t allocation, int64_t cash, int64_t retained)
{
	assert_int_equal(m->allocation, allocation);
	assert_int_equal(m->cash, cash);
	assert_int_equal(m->retained, retained);
}

static void
test_remainders(void **state)
{
	struct surplus_member m[3];
	struct surplus_in in;
	struct surplus_out out;

	/* 1000, reserve 1/4: 250 exactly. Members 750 x 2/7, 4/7, 1/7 = 214 2/7, 428 4/7,
	 * 107 1/7. Floors 250 + 214 + 428 + 107 = 999; the one unit left goes to the largest
	 * fraction, 4/7: B. Given in the order C, A, B, they come back as A, B, C. Cash 1/5:
	 * 214/5 = 42.8, 429/5 = 85.8, 107/5 = 21.4. */
	member(&m[0], C, 1, false);
	member(&m[1], A, 2, false);
	member(&m[2], B, 4, false);
	in = year(1000, 1, 4, m, 3);
	out = compute(&in);
	allocated(&in, &out, 250, (int64_t[]){214, 429, 107});
	split_is(&m[0], 214, 42, 172);
	split_is(&m[1], 429, 85, 344);
	split_is(&m[2], 107, 21, 86);

	/* 1000, reserve 1/3: 333 1/3 = 333 7/21. Members 2000/3 x 2/7, 4/7, 1/7 = 4000/21,
	 * 8000/21, 2000/21 = 190 10/21, 380 20/21, 95 5/21. Floors 333 + 190 + 380 + 95 = 998;
	 * two units left: 20/21 (B), then 10/21 (A), both above the reserve's 7/21, which
	 * itself beats C's 5/21 but is not reached. */
	member(&m[0], A, 2, false);
	member(&m[1], B, 4, false);
	member(&m[2], C, 1, false);
	in = year(1000, 1, 3, m, 3);
	out = compute(&in);
	allocated(&in, &out, 333, (int64_t[]){191, 381, 95});
}

static void
test_ties(void **state)
{
	struct surplus_member m[3];
	struct surplus_in in;
	struct surplus_out out;

	/* 10, reserve 1/3: 3 1/3. Members 20/3 x 1/5, 3/5, 1/5 = 1 1/3, 4, 1 1/3. Floors
	 * 3 + 1 + 4 + 1 = 9; one unit left, three fractions of 1/3: the reserve's first. */
	member(&m[0], C, 1, false);
	member(&m[1], B, 3, false);
	member(&m[2], A, 1, false);
	in = year(10, 1, 3, m, 3);
	out = compute(&in);
	allocated(&in, &out, 4, (int64_t[]){1, 4, 1});

	/* 11: the reserve 3 2/3 = 3 10/15; members 22/3 x 1/5, 3/5, 1/5 = 1 7/15, 4 6/15,
	 * 1 7/15. Floors 9, two units left: the reserve's 10/15, then of A's and C's equal
	 * 7/15 the first by person id, A (whatever the input order). */
	member(&m[0], C, 1, false);
	member(&m[1], B, 3, false);
	member(&m[2], A, 1, false);
	in = year(11, 1, 3, m, 3);
	out = compute(&in);
	allocated(&in, &out, 4, (int64_t[]){2, 4, 1});

	/* No reserve share: 2 among three equal members, 2/3 each; the units go to the first
	 * two by person id. */
	member(&m[0], C, 5, false);
	member(&m[1], B, 5, false);
	member(&m[2], A, 5, false);
	in = year(2, 0, 1, m, 3);
	out = compute(&in);
	allocated(&in, &out, 0, (int64_t[]){1, 1, 0});

	/* Byte order: "...9" (0x39) before "...a" (0x61); 1 between two, 1/2 each. */
	member(&m[0], 0xa, 1, false);
	member(&m[1], 0x9, 1, false);
	in = year(1, 0, 1, m, 2);
	out = compute(&in);
	assert_string_equal(m[0].person, "00000000-0000-4000-8000-000000000009");
	allocated(&in, &out, 0, (int64_t[]){1, 0});
}

static void
test_no_patronage(void **state)
{
	struct surplus_member m[3];
	struct surplus_in in;
	struct surplus_out out;

	/* Nobody earned patronage: all to the reserve, non-patronage income or not. */
	member(&m[0], A, 0, false);
	member(&m[1], B, 0, true);
	in = year(100, 1, 4, m, 2);
	in.non_patronage = 20;
	out = compute(&in);
	allocated(&in, &out, 100, (int64_t[]){0, 0});
	split_is(&m[0], 0, 0, 0);

	/* No members at all. */
	in = year(100, 1, 4, NULL, 0);
	out = compute(&in);
	assert_int_equal(out.reserve, 100);

	/* A loss likewise, under both policies: under reserve_first the reserve goes below
	 * zero (it held 400). */
	in = year(-1000, 1, 4, m, 2);
	out = compute(&in);
	allocated(&in, &out, -1000, (int64_t[]){0, 0});
	in.loss_policy = SURPLUS_LOSS_RESERVE_FIRST;
	in.reserve_balance = 400;
	out = compute(&in);
	allocated(&in, &out, -1000, (int64_t[]){0, 0});

	/* A member without patronage among others gets nothing, not even a unit: 3 x 1/2 =
	 * 1 1/2 for B and C, one unit left, B's by person id; A's fraction is 0. */
	member(&m[0], A, 0, false);
	member(&m[1], B, 1, false);
	member(&m[2], C, 1, false);
	in = year(3, 0, 1, m, 3);
	out = compute(&in);
	allocated(&in, &out, 0, (int64_t[]){0, 2, 1});
}

static void
test_non_patronage(void **state)
{
	struct surplus_member m[2];
	struct surplus_in in;
	struct surplus_out out;

	/* 1000 with 200 of it non-patronage: S = 800; the reserve 200 + 800 x 1/4 = 400; the
	 * members 600 x 1/3, 2/3 = 200, 400; cash 1/5 = 40, 80. */
	member(&m[0], A, 1, false);
	member(&m[1], B, 2, false);
	in = year(1000, 1, 4, m, 2);
	in.non_patronage = 200;
	out = compute(&in);
	assert_int_equal(out.patronage_surplus, 800);
	allocated(&in, &out, 400, (int64_t[]){200, 400});
	split_is(&m[0], 200, 40, 160);
	split_is(&m[1], 400, 80, 320);

	/* Non-patronage income above the net (100, of which 150 non-patronage): S = -50 is
	 * answered, but the reserve takes the whole 100 and the members nothing. */
	in = year(100, 1, 4, m, 2);
	in.non_patronage = 150;
	out = compute(&in);
	assert_int_equal(out.patronage_surplus, -50);
	allocated(&in, &out, 100, (int64_t[]){0, 0});

	/* Exactly equal: S = 0, the reserve takes the net. A year at 0: nothing anywhere. */
	in.non_patronage = 100;
	out = compute(&in);
	allocated(&in, &out, 100, (int64_t[]){0, 0});
	in = year(0, 1, 4, m, 2);
	out = compute(&in);
	allocated(&in, &out, 0, (int64_t[]){0, 0});
}

static void
test_loss_allocate(void **state)
{
	struct surplus_member m[3];
	struct surplus_in in;
	struct surplus_out out;

	/* -1000 (with 200 of non-patronage income, which a loss ignores): the split of 1000 as
	 * in test_remainders, 250 | 214, 429, 107, negated. A loss is all retained, against
	 * capital: no cash. */
	member(&m[0], A, 2, false);
	member(&m[1], B, 4, false);
	member(&m[2], C, 1, false);
	in = year(-1000, 1, 4, m, 3);
	in.non_patronage = 200;
	in.reserve_balance = 5000; /* read only under reserve_first */
	out = compute(&in);
	assert_int_equal(out.patronage_surplus, -1200);
	allocated(&in, &out, -250, (int64_t[]){-214, -429, -107});
	split_is(&m[1], -429, 0, -429);

	/* -10, reserve 1/3: the split of 10 as in test_ties, 4 | 1, 4, 1, where the reserve
	 * won the tie of three 1/3s; negated, the reserve bears that unit of loss. (Splitting
	 * the quotas -3 1/3 | -1 1/3, -4, -1 1/3 from their floors -4 | -2, -4, -2 would hand
	 * the two units back to the reserve and A first: -3 | -1, -4, -2.) */
	member(&m[0], A, 1, false);
	member(&m[1], B, 3, false);
	member(&m[2], C, 1, false);
	in = year(-10, 1, 3, m, 3);
	out = compute(&in);
	allocated(&in, &out, -4, (int64_t[]){-1, -4, -1});
}

static void
test_loss_reserve_first(void **state)
{
	struct surplus_member m[3];
	struct surplus_in in;
	struct surplus_out out;

	/* The reserve holds more than the loss: it absorbs the whole 300. */
	member(&m[0], A, 1, false);
	member(&m[1], B, 2, false);
	member(&m[2], C, 4, false);
	in = year(-300, 1, 4, m, 3);
	in.loss_policy = SURPLUS_LOSS_RESERVE_FIRST;
	in.reserve_balance = 1000;
	out = compute(&in);
	allocated(&in, &out, -300, (int64_t[]){0, 0, 0});

	/* Exactly the loss. */
	in.reserve_balance = 300;
	out = compute(&in);
	allocated(&in, &out, -300, (int64_t[]){0, 0, 0});

	/* Less than the loss: -1000 with 400 in the reserve. The reserve absorbs 400; the rest,
	 * 600, by patronage alone (reserve_share plays no part): 600 x 1/7, 2/7, 4/7 = 85 5/7,
	 * 171 3/7, 342 6/7. Floors 598, two units left: C's 6/7, A's 5/7. Negated. */
	in = year(-1000, 1, 4, m, 3);
	in.loss_policy = SURPLUS_LOSS_RESERVE_FIRST;
	in.reserve_balance = 400;
	out = compute(&in);
	allocated(&in, &out, -400, (int64_t[]){-86, -171, -343});
	split_is(&m[2], -343, 0, -343);

	/* A reserve already below zero absorbs nothing: -10 by patronage 1:2:4 = 1 3/7, 2 6/7,
	 * 5 5/7; floors 8, two units: B's 6/7, C's 5/7. */
	in = year(-10, 1, 4, m, 3);
	in.loss_policy = SURPLUS_LOSS_RESERVE_FIRST;
	in.reserve_balance = -5;
	out = compute(&in);
	allocated(&in, &out, 0, (int64_t[]){-1, -3, -6});

	/* A surplus is split the same under either policy: 70 x 1/4 = 17 1/2; members
	 * 52 1/2 x 1/7, 2/7, 4/7 = 7 1/2, 15, 30. Floors 17 + 7 + 15 + 30 = 69: the reserve's
	 * 1/2 ties A's and comes first. */
	in = year(70, 1, 4, m, 3);
	in.loss_policy = SURPLUS_LOSS_RESERVE_FIRST;
	in.reserve_balance = 1000;
	out = compute(&in);
	allocated(&in, &out, 18, (int64_t[]){7, 15, 30});
}

static void
test_former(void **state)
{
	struct surplus_member m[2];
	struct surplus_in in;
	struct surplus_out out;

	/* A left mid-year with patronage 3; B stays with 1. 400, reserve 1/4: 100; members 300
	 * x 3/4, 1/4 = 225, 75; cash 1/5 = 45, 15. A's part is allocated like B's; former
	 * travels with A through the sort. */
	member(&m[0], B, 1, false);
	member(&m[1], A, 3, true);
	in = year(400, 1, 4, m, 2);
	out = compute(&in);
	assert_int_equal(out.reserve, 100);
	assert_string_equal(m[0].person, "00000000-0000-4000-8000-000000000001");
	assert_true(m[0].former);
	assert_false(m[1].former);
	split_is(&m[0], 225, 45, 180);
	split_is(&m[1], 75, 15, 60);
}

/* The split of a lone member's allocation a by cash_share cn/cd. */
static void
cash_is(int64_t a, int64_t cn, int64_t cd, int64_t cash)
{
	struct surplus_member m;
	struct surplus_in in;

	member(&m, A, 1, false);
	in = year(a, 0, 1, &m, 1);
	in.cash_n = cn;
	in.cash_d = cd;
	compute(&in);
	split_is(&m, a, cash, a - cash);
}

static void
test_cash(void **state)
{
	cash_is(7, 1, 3, 2);  /* 7/3 = 2 1/3 */
	cash_is(7, 2, 3, 4);  /* 14/3 = 4 2/3: floored, not rounded */
	cash_is(1, 1, 2, 0);  /* 1/2: a unit too small to share is retained */
	cash_is(7, 1, 1, 7);  /* all paid out */
	cash_is(7, 0, 1, 0);  /* all retained */
	cash_is(-7, 1, 2, 0); /* a loss pays nothing */
	cash_is(0, 1, 2, 0);
	/* (2^53 - 1) x (10^9 - 2) / (10^9 - 1): a product of 2^83, floored to
	 * 9007199254740991 - 9007199.25... = 9007199245733791.74... */
	cash_is(MAX, D_MAX - 1, D_MAX, 9007199245733791LL);
}

static void
test_share_edges(void **state)
{
	struct surplus_member m[2];
	struct surplus_in in;
	struct surplus_out out;

	/* reserve_share 0: 10 x 1/3, 2/3 = 3 1/3, 6 2/3; the unit goes to B's 2/3. */
	member(&m[0], A, 1, false);
	member(&m[1], B, 2, false);
	in = year(10, 0, 7, m, 2);
	out = compute(&in);
	allocated(&in, &out, 0, (int64_t[]){3, 7});

	/* reserve_share 1: all to the reserve, of a surplus and of a loss. */
	in = year(10, 7, 7, m, 2);
	out = compute(&in);
	allocated(&in, &out, 10, (int64_t[]){0, 0});
	in = year(-10, 1, 1, m, 2);
	out = compute(&in);
	allocated(&in, &out, -10, (int64_t[]){0, 0});
}

static void
test_one_member(void **state)
{
	struct surplus_member m;
	struct surplus_in in;
	struct surplus_out out;

	/* 10, reserve 1/3: 3 1/3 against the member's 6 2/3; the unit goes to the member. */
	member(&m, A, 480, false);
	in = year(10, 1, 3, &m, 1);
	out = compute(&in);
	allocated(&in, &out, 3, (int64_t[]){7});
	split_is(&m, 7, 1, 6);

	/* -10: the same, negated. */
	in = year(-10, 1, 3, &m, 1);
	out = compute(&in);
	allocated(&in, &out, -3, (int64_t[]){-7});
}

static void
test_many(void **state)
{
	static struct surplus_member m[MANY];
	struct surplus_in in;
	struct surplus_out out;
	struct timespec t0, t1;
	double ms;

	/* 1,000,003 among 10,000 equal members, reserve 3/10: the reserve 300,000 9/10; each
	 * member 700,002.1 / 10,000 = 70.00021. Floors 300,000 + 700,000; three units left: the
	 * reserve's 9/10, then the first two members by person id (given last to first). */
	for (size_t i = 0; i < MANY; i++)
		member(&m[i], (unsigned)(MANY - i), 480, i % 7 == 0);
	in = year(1000003, 3, 10, m, MANY);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(surplus_compute(&in, &out), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("10,000 members: %.3f ms\n", ms);
	/* Linear but for the sort by person: a few milliseconds under the sanitizers, a
	 * millisecond without. A quadratic pass over 10^8 pairs would take far longer. */
	assert_true(ms < 100.0);
	out = compute(&in);
	assert_int_equal(out.reserve, 300001);
	for (size_t i = 0; i < MANY; i++) {
		char want[SURPLUS_PERSON_LEN + 1];

		id(want, (unsigned)(i + 1));
		assert_string_equal(m[i].person, want);
		assert_int_equal(m[i].allocation, i < 2 ? 71 : 70);
		assert_int_equal(m[i].former, (MANY - (i + 1)) % 7 == 0);
	}
}

static void
test_limits(void **state)
{
	static struct surplus_member m[1025];
	struct surplus_in in;
	struct surplus_out out;

	/* The largest net, a reserve share of 1/(10^9 - 1), and a total patronage of exactly
	 * 2^63 - 1: 1024 members of 2^53 - 1 and one of 1023. Every quota's denominator is
	 * (10^9 - 1)(2^63 - 1), near 2^93, and a member's numerator near 2^136. The reserve
	 * 9007199.25...; the large members 8796093013411.9...; the small one 0.999...: floors
	 * leave 928 units, for the small one and the first 927 large ones by person id (their
	 * fractions exceed the reserve's). Expected values from surplus_reference.py. */
	for (unsigned i = 0; i < 1024; i++)
		member(&m[i], i + 1, MAX, false);
	member(&m[1024], 1025, 1023, true);
	in = year(MAX, 1, D_MAX, m, 1025);
	in.cash_n = D_MAX - 1;
	in.cash_d = D_MAX;
	out = compute(&in);
	assert_int_equal(out.reserve, 9007199);
	for (unsigned i = 0; i < 1024; i++)
		assert_int_equal(m[i].allocation, i < 927 ? 8796093013412LL : 8796093013411LL);
	split_is(&m[0], 8796093013412LL, 8796093004615LL, 8797);
	split_is(&m[1024], 1, 0, 1);

	/* The same as a loss, at -(2^53 - 1): the negated split. */
	in.net = -MAX;
	out = compute(&in);
	assert_int_equal(out.reserve, -9007199);
	assert_int_equal(m[0].allocation, -8796093013412LL);
	assert_int_equal(m[1024].allocation, -1);

	/* One more unit of patronage is beyond 2^63 - 1. */
	m[1024].patronage = 1024;
	memset(&out, 0x55, sizeof(out));
	assert_int_equal(surplus_compute(&in, &out), -1);
}

/* Asserts that in is refused and that neither *out nor a member's allocation was written. */
static void
refused(const struct surplus_in *in)
{
	struct surplus_out out, before;

	memset(&out, 0x55, sizeof(out));
	before = out;
	for (size_t i = 0; in->members != NULL && i < in->n; i++)
		in->members[i].allocation = in->members[i].cash = in->members[i].retained = -42;
	assert_int_equal(surplus_compute(in, &out), -1);
	assert_memory_equal(&out, &before, sizeof(out));
	for (size_t i = 0; in->members != NULL && i < in->n; i++) {
		assert_int_equal(in->members[i].allocation, -42);
		assert_int_equal(in->members[i].cash, -42);
		assert_int_equal(in->members[i].retained, -42);
	}
}

static void
test_refusals(void **state)
{
	struct surplus_member m[2];
	struct surplus_in in, ok;

	member(&m[0], A, 1, false);
	member(&m[1], B, 2, false);
	ok = year(100, 1, 4, m, 2);
	ok.reserve_balance = MAX;
	ok.non_patronage = MAX;
	compute(&ok); /* the edges themselves are accepted */

#define REFUSED(field, value)                                                                      \
	do {                                                                                       \
		in = ok;                                                                           \
		in.field = (value);                                                                \
		refused(&in);                                                                      \
	} while (0)
	REFUSED(net, MAX + 1);
	REFUSED(net, -MAX - 1);
	REFUSED(non_patronage, -1);
	REFUSED(non_patronage, MAX + 1);
	REFUSED(reserve_balance, MAX + 1);
	REFUSED(reserve_balance, -MAX - 1);
	REFUSED(reserve_n, 5); /* 5/4 */
	REFUSED(reserve_n, -1);
	REFUSED(reserve_d, 0);
	REFUSED(reserve_d, -4);
	REFUSED(reserve_d, D_MAX + 1);
	REFUSED(cash_n, 6); /* 6/5 */
	REFUSED(cash_d, 0);
	REFUSED(cash_d, D_MAX + 1);
	REFUSED(loss_policy, (enum surplus_loss_policy)7);
	REFUSED(members, NULL);
#undef REFUSED

	m[1].patronage = -1;
	refused(&ok);
	m[1].patronage = MAX + 1;
	refused(&ok);
	m[1].patronage = 2;

	/* Persons: upper case, another shape, no NUL in the 37 bytes, or one person twice. */
	strcpy(m[1].person, "00000000-0000-4000-8000-00000000000A");
	refused(&ok);
	strcpy(m[1].person, "00000000000040008000000000000002");
	refused(&ok);
	memset(m[1].person, 'a', sizeof(m[1].person));
	refused(&ok);
	id(m[1].person, A);
	refused(&ok);
	id(m[1].person, B);
	compute(&ok);
}

static void
test_policy_names(void **state)
{
	enum surplus_loss_policy p = SURPLUS_LOSS_RESERVE_FIRST;

	assert_int_equal(surplus_loss_policy_parse("allocate", &p), 0);
	assert_int_equal(p, SURPLUS_LOSS_ALLOCATE);
	assert_int_equal(surplus_loss_policy_parse("reserve_first", &p), 0);
	assert_int_equal(p, SURPLUS_LOSS_RESERVE_FIRST);
	assert_int_equal(surplus_loss_policy_parse("Allocate", &p), -1);
	assert_int_equal(surplus_loss_policy_parse("", &p), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_remainders),    cmocka_unit_test(test_ties),
	    cmocka_unit_test(test_no_patronage),  cmocka_unit_test(test_non_patronage),
	    cmocka_unit_test(test_loss_allocate), cmocka_unit_test(test_loss_reserve_first),
	    cmocka_unit_test(test_former),        cmocka_unit_test(test_cash),
	    cmocka_unit_test(test_share_edges),   cmocka_unit_test(test_one_member),
	    cmocka_unit_test(test_many),          cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_refusals),      cmocka_unit_test(test_policy_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
