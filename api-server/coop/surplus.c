/* surplus — a year's surplus allocation (see the header).
 *
 * Every case is one split: an amount t >= 0 shared between the reserve, quota t x rn/rd,
 * and the members, quota t x (rd - rn)/rd x p_i/P (P the total patronage). All quotas have
 * the common denominator M = rd x P, below 2^30 x 2^63 = 2^93, so each fractional part is
 * an exact 128-bit numerator over M and the largest remainders are plain comparisons. A
 * member's numerator t x (rd - rn) x p_i can reach 2^53 x 2^30 x 2^53 = 2^136, beyond 128
 * bits: muldiv takes it in two halves of p_i instead.
 *
 * The units left after the floors go to the largest fractional parts without sorting the
 * members by them: a radix selection finds the cut, the part of the last member served,
 * and the members stay in person order throughout, which settles ties. */
#include <stdlib.h>
#include <string.h>

#include "surplus.h"

__extension__ typedef unsigned __int128 u128;

/* ---- checks ---- */

static bool
amount_ok(int64_t v)
{
	return v >= -SURPLUS_AMOUNT_MAX && v <= SURPLUS_AMOUNT_MAX;
}

static bool
share_ok(int64_t n, int64_t d)
{
	return d > 0 && d <= SURPLUS_SHARE_D_MAX && n >= 0 && n <= d;
}

/* What each character of a lowercase UUID may be: '-' at 8, 13, 18 and 23, else a hex
 * digit. */
static const char uuid_form[SURPLUS_PERSON_LEN + 1] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
static const bool lower_hex[256] = {
    ['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true, ['5'] = true,
    ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true, ['a'] = true, ['b'] = true,
    ['c'] = true, ['d'] = true, ['e'] = true, ['f'] = true,
};

/* Whether the SURPLUS_PERSON_LEN + 1 bytes at p are a lowercase UUID, 8-4-4-4-12 hex
 * digits, and its NUL. Not util_uuid_parse, which takes either case, and whose ctype calls
 * and branches were most of the time of a 10,000 member year: here a table and no branch
 * on the characters, which random ids defeat prediction of. */
static bool
person_ok(const char p[SURPLUS_PERSON_LEN + 1])
{
	bool ok = p[SURPLUS_PERSON_LEN] == '\0';

	for (int i = 0; i < SURPLUS_PERSON_LEN; i++) {
		unsigned char c = (unsigned char)p[i];

		ok &= uuid_form[i] == '-' ? c == '-' : lower_hex[c];
	}
	return ok;
}

/* Checks in but for the members' distinctness; writes their total patronage into *total.
 * Returns 0 or -1. */
static int
check_in(const struct surplus_in *in, int64_t *total)
{
	int64_t sum = 0;

	if (!amount_ok(in->net) || !amount_ok(in->reserve_balance) || in->non_patronage < 0 ||
	    in->non_patronage > SURPLUS_AMOUNT_MAX || !share_ok(in->reserve_n, in->reserve_d) ||
	    !share_ok(in->cash_n, in->cash_d) || (in->members == NULL && in->n > 0))
		return -1;
	if (in->loss_policy != SURPLUS_LOSS_ALLOCATE &&
	    in->loss_policy != SURPLUS_LOSS_RESERVE_FIRST)
		return -1;
	for (size_t i = 0; i < in->n; i++) {
		const struct surplus_member *m = &in->members[i];

		if (m->patronage < 0 || m->patronage > SURPLUS_AMOUNT_MAX ||
		    !person_ok(m->person) || sum > SURPLUS_PATRONAGE_TOTAL_MAX - m->patronage)
			return -1;
		sum += m->patronage;
	}
	*total = sum;
	return 0;
}

/* ---- orders ---- */

/* By person id, in byte order; persons were checked, all of SURPLUS_PERSON_LEN bytes. */
static int
by_person(const void *a, const void *b)
{
	const struct surplus_member *x = a, *y = b;

	return memcmp(x->person, y->person, SURPLUS_PERSON_LEN);
}

static u128
frac_of(const struct surplus_member *m)
{
	return (u128)m->work[0] << 64 | m->work[1];
}

static void
frac_set(struct surplus_member *m, u128 frac)
{
	m->work[0] = (uint64_t)(frac >> 64);
	m->work[1] = (uint64_t)frac;
}

/* Sorts the n members m by person unless they came so (as a caller reading them in that
 * order passes them); returns 0, or -1 when two are one person. */
static int
sort_members(struct surplus_member *m, size_t n)
{
	size_t i = 1;

	while (i < n && by_person(&m[i - 1], &m[i]) < 0)
		i++;
	if (i >= n)
		return 0;
	qsort(m, n, sizeof(*m), by_person);
	for (i = 1; i < n; i++) {
		if (by_person(&m[i - 1], &m[i]) == 0)
			return -1;
	}
	return 0;
}

/* ---- the split ---- */

/* floor(a x b / m) into *q and a x b mod m into *r, for a < m < 2^95 and b < 2^63 (so that
 * *q < b). Beyond 128 bits, b is taken in halves of 31 and 32 bits, each partial product
 * below 2^127. */
static void
muldiv(u128 a, uint64_t b, u128 m, uint64_t *q, u128 *r)
{
	uint64_t hi = b >> 32, lo = b & 0xffffffffu;
	u128 p, q1, r1, q2, r2, t;

	if (a >> 64 == 0) {
		p = a * b;
		*q = (uint64_t)(p / m);
		*r = p - *q * m;
		return;
	}
	p = a * hi; /* a x hi = q1 m + r1 */
	q1 = p / m;
	r1 = p - q1 * m;
	p = r1 << 32; /* r1 x 2^32 = q2 m + r2 */
	q2 = p / m;
	r2 = p - q2 * m;
	/* a x b = (q1 2^32 + q2) m + r2 + a lo */
	t = r2 + a * lo;
	*q = (uint64_t)((q1 << 32) + q2 + t / m);
	*r = t % m;
}

/* The k-th largest (1 <= k <= n) of the members' fractional parts, all below bound, by a
 * radix selection a byte at a time from the top (a pass for each byte of bound - 1, 12 at
 * most) without moving them; *greater receives how many are larger. */
static u128
kth_frac(const struct surplus_member *m, size_t n, size_t k, u128 bound, size_t *greater)
{
	u128 prefix = 0, mask = 0; /* the answer's bytes found so far, and which they are */
	size_t above = 0;          /* how many parts are above any value of that prefix */
	int top = 0;

	while (top < 120 && (bound - 1) >> (top + 8) != 0)
		top += 8;
	for (int shift = top; shift >= 0; shift -= 8) {
		size_t count[256] = {0};
		int b = 255;

		for (size_t i = 0; i < n; i++) {
			u128 f = frac_of(&m[i]);

			if ((f & mask) == prefix)
				count[(unsigned)(f >> shift) & 0xff]++;
		}
		/* the k-th largest has this prefix: its next byte is the first b, from the top,
		 * where the parts above it and those of byte b reach k */
		while (above + count[b] < k)
			above += count[b--];
		prefix |= (u128)b << shift;
		mask |= (u128)0xff << shift;
	}
	*greater = above;
	return prefix;
}

/* Splits t >= 0 by largest remainder between the reserve, quota t x rn/rd, and the n
 * members m (sorted by person, total patronage total > 0), quota t x (rd - rn)/rd x p_i /
 * total; writes each member's part into allocation and returns the reserve's. */
static int64_t
split(struct surplus_member *m, size_t n, int64_t total, int64_t t, int64_t rn, int64_t rd)
{
	u128 den = (u128)rd * (u128)total;        /* M, every quota's denominator */
	u128 x = (u128)t * (u128)(rd - rn);       /* a member's numerator over p_i */
	u128 x_whole = x / den, x_frac = x % den; /* x = x_whole M + x_frac */
	int64_t reserve = (int64_t)((u128)t * (u128)rn / (u128)rd);
	u128 reserve_frac = ((u128)t * (u128)rn % (u128)rd) * (u128)total, cut;
	int64_t left = t - reserve;
	size_t above = 0, ties;

	for (size_t i = 0; i < n; i++) {
		uint64_t q;
		u128 r;

		/* x p_i / M = x_whole p_i + x_frac p_i / M, x_whole p_i <= t p_i / total <= t */
		muldiv(x_frac, (uint64_t)m[i].patronage, den, &q, &r);
		m[i].allocation = (int64_t)(x_whole * (u128)m[i].patronage + q);
		frac_set(&m[i], r);
		left -= m[i].allocation;
		above += r > reserve_frac;
	}
	/* left < n + 1: the fractional parts of n + 1 quotas, each below 1, sum to it. The
	 * reserve, first among equals, takes a unit when fewer than left members beat it. */
	if (left > 0 && above < (size_t)left) {
		reserve++;
		left--;
	}
	if (left == 0)
		return reserve;
	/* The members above the left-th largest part take a unit, and of those at it, the
	 * first by person id as many as remain. */
	cut = kth_frac(m, n, (size_t)left, den, &above);
	ties = (size_t)left - above;
	for (size_t i = 0; i < n; i++) {
		u128 f = frac_of(&m[i]);

		if (f > cut || (f == cut && ties > 0)) {
			ties -= f == cut;
			m[i].allocation++;
		}
	}
	return reserve;
}

static void
negate(struct surplus_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m[i].allocation = -m[i].allocation;
}

/* The reserve's part of in's year, writing the members' allocations (all 0 first); the
 * members are sorted by person and in was checked, total being their patronage. */
static int64_t
allocate(const struct surplus_in *in, int64_t total)
{
	int64_t s = in->net - in->non_patronage, loss = -in->net, absorbed;

	for (size_t i = 0; i < in->n; i++)
		in->members[i].allocation = 0;
	if (total == 0 || (in->net >= 0 && s < 0))
		return in->net;
	if (in->net >= 0)
		return in->non_patronage +
		       split(in->members, in->n, total, s, in->reserve_n, in->reserve_d);
	if (in->loss_policy == SURPLUS_LOSS_ALLOCATE) {
		absorbed = split(in->members, in->n, total, loss, in->reserve_n, in->reserve_d);
	} else {
		absorbed = in->reserve_balance <= 0 ? 0 : in->reserve_balance;
		if (absorbed > loss)
			absorbed = loss;
		split(in->members, in->n, total, loss - absorbed, 0, 1);
	}
	negate(in->members, in->n);
	return -absorbed;
}

int
surplus_compute(const struct surplus_in *in, struct surplus_out *out)
{
	int64_t total;

	if (check_in(in, &total) != 0)
		return -1;
	if (sort_members(in->members, in->n) != 0)
		return -1;
	out->net = in->net;
	out->non_patronage = in->non_patronage;
	out->patronage_surplus = in->net - in->non_patronage;
	out->reserve = allocate(in, total);
	for (size_t i = 0; i < in->n; i++) {
		struct surplus_member *m = &in->members[i];

		m->cash = 0;
		if (m->allocation > 0)
			m->cash =
			    (int64_t)((u128)m->allocation * (u128)in->cash_n / (u128)in->cash_d);
		m->retained = m->allocation - m->cash;
	}
	return 0;
}

int
surplus_loss_policy_parse(const char *name, enum surplus_loss_policy *out)
{
	if (strcmp(name, "allocate") == 0)
		*out = SURPLUS_LOSS_ALLOCATE;
	else if (strcmp(name, "reserve_first") == 0)
		*out = SURPLUS_LOSS_RESERVE_FIRST;
	else
		return -1;
	return 0;
}
