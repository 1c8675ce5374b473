/* The count's inputs are sorted as the count contract says (a re-count must see the same
 * order): inputs_sort must order exactly as qsort with the same comparison, also where ids
 * share their first eight bytes, are shorter than eight, or are equal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conclude/inputs.h"

static int
bytes_cmp(const struct wire_bytes *x, const struct wire_bytes *y)
{
	uint32_t n = x->len < y->len ? x->len : y->len;
	int r = n > 0 ? memcmp(x->p, y->p, n) : 0;

	return r != 0 ? r : (x->len > y->len) - (x->len < y->len);
}

static int
set_cmp(const void *x, const void *y)
{
	return bytes_cmp(x, y);
}

/* Ballots by id, then (to make the order total) by payload. */
static int
ballot_cmp(const void *x, const void *y)
{
	const struct wire_ballot *a = x, *b = y;
	int r = bytes_cmp(&a->id, &b->id);

	return r != 0 ? r : bytes_cmp(&a->payload, &b->payload);
}

static void
test_sorts_as_qsort(void **state)
{
	enum { N = 20000 };
	static const char alphabet[] = "0123456789abcdef\xff";
	struct wire_bytes *v = calloc(N, sizeof(*v)), *w = calloc(N, sizeof(*w));
	struct wire_ballot *b = calloc(N, sizeof(*b)), *c = calloc(N, sizeof(*c));
	unsigned char *text = calloc(N, 16);

	srand(7);
	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < N; i++) {
			/* lengths 0..12 (round 0), else 16; round 2 shares the first eight
			 * bytes among many; round 3 repeats whole ids */
			uint32_t len = round == 0 ? (uint32_t)(rand() % 13) : 16;
			unsigned char *p = text + i * 16;
			for (uint32_t k = 0; k < len; k++)
				p[k] = (unsigned char)alphabet[rand() % (round == 3 ? 2 : 17)];
			if (round == 2)
				memcpy(p, "abcdefgh", 8);
			v[i] = (struct wire_bytes){p, len};
			b[i] = (struct wire_ballot){{p, len}, {p, (uint32_t)(rand() % 3)}};
		}
		memcpy(w, v, N * sizeof(*v));
		memcpy(c, b, N * sizeof(*b));
		qsort(v, N, sizeof(*v), set_cmp);
		inputs_sort(w, N, sizeof(*w), 0, set_cmp);
		for (size_t i = 0; i < N; i++)
			assert_int_equal(set_cmp(&v[i], &w[i]), 0);
		qsort(b, N, sizeof(*b), ballot_cmp);
		inputs_sort(c, N, sizeof(*c), offsetof(struct wire_ballot, id), ballot_cmp);
		for (size_t i = 0; i < N; i++)
			assert_int_equal(ballot_cmp(&b[i], &c[i]), 0);
	}
	inputs_sort(w, 0, sizeof(*w), 0, set_cmp); /* nothing to sort */
	free(v);
	free(w);
	free(b);
	free(c);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorts_as_qsort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
