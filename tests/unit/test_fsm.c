/* The transition tables of the state machines (common/fsm.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fsm.h"

static const char *const names[] = {"closed", "open", "gone"};
static const unsigned char moves[3][3] = {
	/* closed */ {0, 1, 1},
	/* open */   {1, 0, 1},
	/* gone */   {0, 0, 0},
};
static const struct fsm door = {"door", 3, names, &moves[0][0]};

static void
test_allowed_moves_pass(void **state)
{
	assert_true(fsm_allowed(&door, 0, 1, "front"));
	assert_true(fsm_allowed(&door, 1, 0, "front"));
	assert_true(fsm_allowed(&door, 1, 2, "front"));
}

static void
test_moves_outside_the_table_are_refused(void **state)
{
	assert_false(fsm_allowed(&door, 2, 0, "front")); /* gone is final */
	assert_false(fsm_allowed(&door, 0, 0, "front")); /* no self-loop in the table */
	assert_false(fsm_allowed(&door, 0, 3, "front")); /* no such state */
	assert_false(fsm_allowed(&door, -1, 1, "front"));
}

static void
test_state_names(void **state)
{
	assert_string_equal(fsm_state_name(&door, 1), "open");
	assert_string_equal(fsm_state_name(&door, 7), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allowed_moves_pass),
	    cmocka_unit_test(test_moves_outside_the_table_are_refused),
	    cmocka_unit_test(test_state_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
