/* Route lookup: which handler a method + path reaches, 404/405/400 otherwise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "v1/v1.h"

static void
find(const char *method, const char *path, enum route_match want, const char *pattern)
{
	char param[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1], allow[64];
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
	char param[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1], allow[64];
	int idx = -1;

	assert_int_equal(route_find(v1_routes, v1_nroutes, "POST",
				    "/v1/accounts/3F2C1A9E-7B4D-4E21-9C3A-1D2E3F4A5B6C/"
				    "authorization-token",
				    &idx, param, allow, sizeof(allow)),
			 ROUTE_FOUND);
	assert_string_equal(v1_routes[idx].pattern, "/v1/accounts/{id}/authorization-token");
	assert_string_equal(param[0], "3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6c");
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
	char param[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1], allow[64];
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

/* A table of FreeCoop's shapes: two parameters, and a number. */
static const struct route two[] = {
	{"GET", "/coop/v1/groups/{gid}", NULL, 0},
	{"GET", "/coop/v1/groups/{gid}/decisions/{id}/comments", NULL, 0},
	{"GET", "/coop/v1/groups/{gid}/charter/versions/{n}", NULL, 0},
};

static enum route_match
find_two(const char *path, char param[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1], int *idx)
{
	char allow[64];

	return route_find(two, 3, "GET", path, idx, param, allow, sizeof(allow));
}

static void
test_two_parameters(void **state)
{
	char param[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1];
	int idx = -1;

	assert_int_equal(find_two("/coop/v1/groups/3F2C1A9E-7B4D-4E21-9C3A-1D2E3F4A5B6C/decisions/"
				  "0b7f6a52-3c1e-4d8a-9f21-5e6d7c8b9a01/comments",
				  param, &idx),
			 ROUTE_FOUND);
	assert_int_equal(idx, 1);
	assert_string_equal(param[0], "3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6c");
	assert_string_equal(param[1], "0b7f6a52-3c1e-4d8a-9f21-5e6d7c8b9a01");
	/* One parameter: the second is empty. */
	assert_int_equal(find_two("/coop/v1/groups/3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6c", param,
				  &idx),
			 ROUTE_FOUND);
	assert_int_equal(idx, 0);
	assert_string_equal(param[1], "");
	/* A bad second id, a bad first one. */
	assert_int_equal(find_two("/coop/v1/groups/3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6c/decisions/"
				  "nope/comments",
				  param, &idx),
			 ROUTE_BAD_ID);
	assert_int_equal(find_two("/coop/v1/groups/nope/decisions/"
				  "0b7f6a52-3c1e-4d8a-9f21-5e6d7c8b9a01/comments",
				  param, &idx),
			 ROUTE_BAD_ID);
}

static void
test_number_parameter(void **state)
{
	const char *base = "/coop/v1/groups/3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6c/charter/versions/";
	const char *good[] = {"1", "7", "42", "999999999"};
	const char *bad[] = {"0", "01", "-1", "+1", "1.5", "1e3", "x", "1000000000",
			     "12345678901234567890"};
	char param[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1], path[160];
	int idx = -1;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", base, good[i]);
		assert_int_equal(find_two(path, param, &idx), ROUTE_FOUND);
		assert_int_equal(idx, 2);
		assert_string_equal(param[1], good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", base, bad[i]);
		if (find_two(path, param, &idx) != ROUTE_BAD_ID)
			fail_msg("accepted version %s", bad[i]);
	}
}

/* The web page's file names: exactly [a-z0-9_-]+ and one of its four extensions. */
static void
test_name_parameter(void **state)
{
	static const struct route web[] = {{"GET", "/", NULL, 0}, {"GET", "/web/{name}", NULL, 0}};
	const char *good[] = {"app.js", "index.html", "app.css", "icon.svg", "vote-forms_2.js"};
	const char *bad[] = {"App.js", "app.JS", "app.php", "app", ".js", "a.b.js", "..%2fmain.c",
			     "app.js.map", "a b.js"};
	char param[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1], path[160], allow[64];
	int idx = -1;

	(void)state;
	assert_int_equal(route_find(web, 2, "GET", "/", &idx, param, allow, sizeof(allow)),
			 ROUTE_FOUND);
	assert_int_equal(idx, 0);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(path, sizeof(path), "/web/%s", good[i]);
		assert_int_equal(route_find(web, 2, "GET", path, &idx, param, allow, sizeof(allow)),
				 ROUTE_FOUND);
		assert_string_equal(param[0], good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/web/%s", bad[i]);
		if (route_find(web, 2, "GET", path, &idx, param, allow, sizeof(allow)) != ROUTE_BAD_ID)
			fail_msg("accepted the name %s", bad[i]);
	}
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
		cmocka_unit_test(test_two_parameters),
		cmocka_unit_test(test_number_parameter),
		cmocka_unit_test(test_name_parameter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
