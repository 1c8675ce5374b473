/* Route lookup: which handler a method + path reaches, 404/405/400 otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "v1/v1.h"

static void
find(const char *method, const char *path, enum route_match want, const char *pattern)
{
	char param[ROUTE_PARAM_MAX + 1] = "", allow[64];
	int idx = -1;

	assert_int_equal(
	    route_find(v1_routes, v1_nroutes, method, path, &idx, param, allow, sizeof(allow)),
	    want);
	if (want == ROUTE_FOUND) {
		assert_string_equal(v1_routes[idx].pattern, pattern);
		assert_string_equal(v1_routes[idx].method, method);
	}
}

static void
test_exact_paths(void **state)
{
	find("GET", "/healthz", ROUTE_FOUND, "/healthz");
	find("GET", "/v1/me", ROUTE_FOUND, "/v1/me");
	find("POST", "/v1/accounts", ROUTE_FOUND, "/v1/accounts");
	find("DELETE", "/v1/access-tokens/current", ROUTE_FOUND, "/v1/access-tokens/current");
}

static void
test_id_segment_is_lowercased(void **state)
{
	char param[ROUTE_PARAM_MAX + 1], allow[64];
	int idx = -1;

	assert_int_equal(route_find(v1_routes, v1_nroutes, "POST",
				    "/v1/accounts/3F2C1A9E-7B4D-4E21-9C3A-1D2E3F4A5B6C/"
				    "authorization-token",
				    &idx, param, allow, sizeof(allow)),
			 ROUTE_FOUND);
	assert_string_equal(v1_routes[idx].pattern, "/v1/accounts/{id}/authorization-token");
	assert_string_equal(param, "3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6c");
}

static void
test_bad_id(void **state)
{
	find("GET", "/v1/accounts/not-a-uuid", ROUTE_BAD_ID, NULL);
	find("GET", "/v1/accounts/3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6c0", ROUTE_BAD_ID, NULL);
	find("GET", "/v1/accounts/3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6", ROUTE_BAD_ID, NULL);
	find("GET", "/v1/accounts/3f2c1a9e_7b4d-4e21-9c3a-1d2e3f4a5b6c", ROUTE_BAD_ID, NULL);
}

static void
test_unknown_paths(void **state)
{
	find("GET", "/", ROUTE_NO_PATH, NULL);
	find("GET", "/v1/me/", ROUTE_NO_PATH, NULL);
	find("GET", "/v1/accounts/", ROUTE_NO_PATH, NULL);
	find("GET", "/v1/accounts//authorization-token", ROUTE_NO_PATH, NULL);
	find("GET", "/V1/ME", ROUTE_NO_PATH, NULL);
}

static void
test_wrong_method_lists_allowed(void **state)
{
	char param[ROUTE_PARAM_MAX + 1], allow[64];
	int idx = -1;

	assert_int_equal(route_find(v1_routes, v1_nroutes, "PUT", "/v1/me", &idx, param, allow,
				    sizeof(allow)),
			 ROUTE_NO_METHOD);
	assert_string_equal(allow, "GET");
	assert_int_equal(route_find(v1_routes, v1_nroutes, "PATCH", "/v1/accounts", &idx, param,
				    allow, sizeof(allow)),
			 ROUTE_NO_METHOD);
	assert_string_equal(allow, "POST");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_paths),
		cmocka_unit_test(test_id_segment_is_lowercased),
		cmocka_unit_test(test_bad_id),
		cmocka_unit_test(test_unknown_paths),
		cmocka_unit_test(test_wrong_method_lists_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
