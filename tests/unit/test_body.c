/* Unit tests for body: what a client sees for each way a request body can be wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"

static const struct jsonv_limits lim = {.max_depth = 4, .max_string = 256};

/* clang-format off */
static const struct body_field fields[] = {
	{"name", BODY_STRING, true, false, 1, 10},
	{"id", BODY_UUID, false, false, 0, 0},
	{"active", BODY_BOOL, false, true, 0, 0},
	{"count", BODY_INT, false, false, -5, 100},
	{"big", BODY_INT, false, false, LLONG_MIN, 0},
	{"meta", BODY_OBJECT, false, true, 0, 0},
	{"tags", BODY_ARRAY, false, false, 0, 3},
	{"note", BODY_STRING, false, true, 0, 0},
};
/* clang-format on */
#define NFIELDS (sizeof fields / sizeof fields[0])

/* clang-format off */
static const struct body_field optional_only[] = {
	{"note", BODY_STRING, false, false, 0, 0},
	{"owner", BODY_UUID, true, true, 0, 0},
};
/* clang-format on */

/* Parses an exact-size heap copy of text[0..len) against f[0..nf); checks *out matches r. */
static int
parse_ex(const char *text, size_t len, const struct body_field *f, size_t nf, bool allow_empty,
	 struct json_object **out, struct body_error *err)
{
	char *buf = malloc(len ? len : 1);
	int r;

	assert_non_null(buf);
	memcpy(buf, text, len);
	r = body_parse(len ? buf : NULL, len, &lim, f, nf, allow_empty, out, err);
	free(buf);
	if (r != 0)
		assert_null(*out);
	else
		assert_non_null(*out);
	return r;
}

static int
parse(const char *text, struct json_object **out, struct body_error *err)
{
	return parse_ex(text, strlen(text), fields, NFIELDS, false, out, err);
}

/* Expects text to be a 422 with exactly one offending field. */
static void
expect_field(const char *text, const char *name, const char *reason)
{
	struct json_object *out = NULL;
	struct body_error err;

	if (parse(text, &out, &err) != -1)
		fail_msg("accepted %s", text);
	assert_int_equal(err.status, 422);
	assert_string_equal(err.slug, "invalid-request");
	assert_int_equal(err.nparams, 1);
	assert_string_equal(err.params[0].name, name);
	assert_string_equal(err.params[0].reason, reason);
}

static void
expect_ok(const char *text)
{
	struct json_object *out = NULL;
	struct body_error err;

	if (parse(text, &out, &err) != 0)
		fail_msg("rejected %s: %d %s", text, err.status, err.detail);
	json_object_put(out);
}

/* Expects a 400 malformed-json whose detail is want. */
static void
expect_malformed(const char *text, size_t len, const char *want)
{
	struct json_object *out = NULL;
	struct body_error err;

	assert_int_equal(parse_ex(text, len, fields, NFIELDS, false, &out, &err), -1);
	assert_int_equal(err.status, 400);
	assert_string_equal(err.slug, "malformed-json");
	assert_string_equal(err.detail, want);
	assert_int_equal(err.nparams, 0);
}

static void
test_valid_body(void **state)
{
	struct json_object *out = NULL, *v;
	struct body_error err;
	const char *text = "{\"name\":\"Ada\",\"id\":\"123E4567-e89b-12d3-a456-426614174000\","
			   "\"active\":true,\"count\":-5,\"big\":-9007199254740991,"
			   "\"meta\":{\"deep\":[1.5,\"x\"]},\"tags\":[1,2,3],\"note\":null}";

	assert_int_equal(parse(text, &out, &err), 0);
	assert_string_equal(body_get_string(out, "name"), "Ada");
	assert_true(json_object_object_get_ex(out, "big", &v));
	assert_true(json_object_get_int64(v) == -9007199254740991LL);
	assert_null(body_get_string(out, "note"));    /* null */
	assert_null(body_get_string(out, "missing")); /* absent */
	assert_null(body_get_string(out, "count"));   /* not a string */
	json_object_put(out);
}

/* Things strict JSON allows that json-c must parse the same way after jsonv. */
static void
test_strict_json_reaches_the_object(void **state)
{
	struct json_object *out = NULL;
	struct body_error err;
	const char *text = " \r\n\t{\"name\":\"\\/\\u00E9\\ud83d\\ude00\",\"count\":-0,"
			   "\"meta\":{\"x\":1E5,\"y\":0e0,\"z\":[true,false,null]}} \n";

	assert_int_equal(parse(text, &out, &err), 0);
	assert_string_equal(body_get_string(out, "name"), "/\xc3\xa9\xf0\x9f\x98\x80");
	json_object_put(out);
}

static void
test_empty_body(void **state)
{
	struct json_object *out = NULL;
	struct body_error err;

	expect_malformed("", 0, "The request body is empty.");
	expect_malformed(" \r\n\t", 4, "The request body is empty.");
	/* allowed: counts as {}, so required fields are still required */
	assert_int_equal(parse_ex("", 0, fields, NFIELDS, true, &out, &err), -1);
	assert_int_equal(err.status, 422);
	assert_string_equal(err.params[0].name, "name");
	assert_string_equal(err.params[0].reason, "is required");
	assert_int_equal(parse_ex("  \n", 3, optional_only, 1, true, &out, &err), 0);
	assert_int_equal(json_object_object_length(out), 0);
	json_object_put(out);
}

static void
test_not_an_object(void **state)
{
	const char *want = "The request body must be a JSON object.";

	expect_malformed("[{\"name\":\"x\"}]", 14, want);
	expect_malformed(" 42", 3, want);
	expect_malformed("-1.5e3", 6, want);
	expect_malformed("\"name\"", 6, want);
	expect_malformed("null", 4, want);
	expect_malformed("true", 4, want);
}

static void
test_not_strict_json(void **state)
{
	expect_malformed("{\"name\":\"a\",\"name\":\"b\"}", 23,
			 "Duplicate key \"name\" at byte 12.");
	expect_malformed("{\"name\":\"x\",}", 13, "Unexpected character '}' at byte 12.");
	expect_malformed("{\"name\":\"x\"}\0", 13, "Trailing data at byte 12.");
	expect_malformed("{\"count\":NaN}", 13, "Unexpected character 'N' at byte 9.");
	expect_malformed("{\"name\":\"\xed\xa0\x80\"}", 14, "Invalid UTF-8 at byte 9.");
	expect_malformed("{\"name\":\"\\udc00\"}", 17, "Lone surrogate \\udc00 at byte 9.");
	expect_malformed("{\"name\":\"x\"", 11, "Unexpected end of input at byte 11.");
}

/* lim.max_depth is 4: json-c must accept exactly what jsonv accepts at the limit. */
static void
test_depth(void **state)
{
	expect_ok("{\"name\":\"x\",\"meta\":{\"a\":{\"b\":{}}}}");
	expect_ok("{\"name\":\"x\",\"meta\":{\"a\":{\"b\":[1]}}}");
	expect_ok("{\"name\":\"x\",\"meta\":{\"a\":{\"b\":{\"c\":\"d\"}}}}");
	expect_malformed("{\"name\":\"x\",\"meta\":{\"a\":{\"b\":[[]]}}}", 36,
			 "Nesting deeper than 4 at byte 30.");
}

static void
test_unknown_and_missing(void **state)
{
	struct json_object *out = NULL;
	struct body_error err;

	expect_field("{\"name\":\"x\",\"colour\":\"red\"}", "colour", "unknown field");
	expect_field("{\"name\":\"x\",\"Name\":\"y\"}", "Name", "unknown field");
	expect_field("{}", "name", "is required");
	/* members in text order, then missing required fields */
	assert_int_equal(parse("{\"zzz\":1,\"count\":\"x\"}", &out, &err), -1);
	assert_int_equal(err.nparams, 3);
	assert_string_equal(err.params[0].name, "zzz");
	assert_string_equal(err.params[1].name, "count");
	assert_string_equal(err.params[1].reason, "must be an integer");
	assert_string_equal(err.params[2].name, "name");
	assert_string_equal(err.params[2].reason, "is required");
}

static void
test_summary_detail(void **state)
{
	struct json_object *out = NULL;
	struct body_error err;

	assert_int_equal(parse("{\"name\":5,\"colour\":\"red\"}", &out, &err), -1);
	assert_string_equal(err.detail, "The request body has 2 invalid fields: name (must be a "
					"string), colour (unknown field). Its fields are name, id, "
					"active, count, big, meta, tags and note.");
	assert_int_equal(parse_ex("{\"x\":1}", 7, optional_only, 2, false, &out, &err), -1);
	assert_string_equal(err.detail, "The request body has 2 invalid fields: x (unknown field), "
					"owner (is required). Its fields are note and owner.");
	assert_int_equal(parse_ex("{\"x\":1}", 7, optional_only, 1, false, &out, &err), -1);
	assert_string_equal(err.detail, "The request body has 1 invalid field: x (unknown field). "
					"Its only field is note.");
	assert_int_equal(parse_ex("{\"x\":1}", 7, optional_only, 0, true, &out, &err), -1);
	assert_string_equal(err.detail, "The request body has 1 invalid field: x (unknown field). "
					"It takes no fields.");
	assert_int_equal(parse("{\"name\":\"\"}", &out, &err), -1);
	assert_string_equal(
	    err.detail,
	    "The request body has 1 invalid field: name (must be at least 1 character).");
}

static void
test_too_many_errors(void **state)
{
	struct json_object *out = NULL;
	struct body_error err;
	char text[512], tail[48];
	const char *p;
	size_t o = 0;
	int i, listed;

	o += (size_t)snprintf(text + o, sizeof text - o, "{\"name\":\"x\"");
	for (i = 0; i < 12; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, ",\"extra%02d\":%d", i, i);
	snprintf(text + o, sizeof text - o, "}");
	assert_int_equal(parse(text, &out, &err), -1);
	assert_int_equal(err.nparams, BODY_MAX_PARAMS);
	assert_string_equal(err.params[7].name, "extra07");
	assert_non_null(strstr(err.detail, "The request body has 12 invalid fields: extra00 ("));
	/* as many as fit are listed, and the rest are counted */
	for (p = err.detail, listed = 0; (p = strstr(p, " (unknown field)")) != NULL; p++)
		listed++;
	assert_true(listed >= 1 && listed <= BODY_MAX_PARAMS);
	snprintf(tail, sizeof tail, ", and %d more. Its fields", 12 - listed);
	assert_non_null(strstr(err.detail, tail));
	/* the fields are named whatever the errors before */
	p = " Its fields are name, id, active, count, big, meta, tags and note.";
	assert_string_equal(err.detail + strlen(err.detail) - strlen(p), p);
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static void
test_names_are_printable(void **state)
{
	struct json_object *out = NULL;
	struct body_error err;
	char text[1024], longname[201];
	size_t i;

	expect_field("{\"name\":\"x\",\"\\u0001\xc3\xa9\\\\\":1}", "\\x01\\xc3\\xa9\\\\",
		     "unknown field");
	memset(longname, 'w', 200);
	longname[200] = '\0';
	for (i = 0; i < sizeof longname - 1; i += 37)
		longname[i] = '\x7f';
	snprintf(text, sizeof text, "{\"name\":\"x\",\"%s\":1,\"%s\\u00e9\":2}", longname,
		 longname);
	assert_int_equal(parse(text, &out, &err), -1);
	assert_int_equal(err.nparams, 2);
	for (i = 0; i < 2; i++) {
		assert_true(printable(err.params[i].name));
		assert_true(strlen(err.params[i].name) <= sizeof err.params[i].name - 1);
		assert_string_equal(err.params[i].name + strlen(err.params[i].name) - 3, "...");
	}
	assert_true(printable(err.detail));
	assert_non_null(strstr(err.detail, "has 2 invalid fields: \\x7fwww"));
}

static void
test_type_mismatches(void **state)
{
	expect_field("{\"name\":5}", "name", "must be a string");
	expect_field("{\"name\":[\"x\"]}", "name", "must be a string");
	expect_field("{\"name\":\"x\",\"id\":5}", "id", "must be a UUID");
	expect_field("{\"name\":\"x\",\"active\":\"yes\"}", "active", "must be a boolean");
	expect_field("{\"name\":\"x\",\"active\":1}", "active", "must be a boolean");
	expect_field("{\"name\":\"x\",\"count\":\"1\"}", "count", "must be an integer");
	expect_field("{\"name\":\"x\",\"count\":1.0}", "count", "must be an integer");
	expect_field("{\"name\":\"x\",\"count\":1e2}", "count", "must be an integer");
	expect_field("{\"name\":\"x\",\"count\":true}", "count", "must be an integer");
	expect_field("{\"name\":\"x\",\"meta\":[]}", "meta", "must be an object");
	expect_field("{\"name\":\"x\",\"meta\":\"{}\"}", "meta", "must be an object");
	expect_field("{\"name\":\"x\",\"tags\":{}}", "tags", "must be an array");
	expect_field("{\"name\":\"x\",\"tags\":[1,2,3,4]}", "tags", "must have at most 3 items");
	expect_ok("{\"name\":\"x\",\"tags\":[]}");
}

static void
test_array_lengths(void **state)
{
	static const struct body_field list[] = {{"items", BODY_ARRAY, true, false, 1, 0}};
	struct json_object *out = NULL;
	struct body_error err;
	const char *many = "{\"items\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}";

	assert_int_equal(parse_ex("{\"items\":[]}", 12, list, 1, false, &out, &err), -1);
	assert_string_equal(err.params[0].name, "items");
	assert_string_equal(err.params[0].reason, "must have at least 1 item");
	assert_int_equal(parse_ex(many, strlen(many), list, 1, false, &out, &err), 0);
	assert_int_equal(json_object_array_length(json_object_object_get(out, "items")), 17);
	json_object_put(out);
}

static void
test_string_lengths_count_code_points(void **state)
{
	/* ten é: 20 bytes, 10 characters */
	expect_ok("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
		  "\xa9\xc3\xa9\"}");
	expect_ok("{\"name\":\"\\ud83d\\ude00\xf0\x9f\x98\x80\\u00e9abcdefg\"}");
	expect_field("{\"name\":\"abcdefghijk\"}", "name", "must be at most 10 characters");
	expect_field("{\"name\":\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
		     "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98"
		     "\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"}",
		     "name", "must be at most 10 characters");
	expect_field("{\"name\":\"\"}", "name", "must be at least 1 character");
}

static void
test_uuid_syntax(void **state)
{
	expect_ok("{\"name\":\"x\",\"id\":\"123e4567-e89b-12d3-a456-426614174000\"}");
	expect_ok("{\"name\":\"x\",\"id\":\"ABCDEFAB-CDEF-ABCD-EFAB-CDEFABCDEFAB\"}");
	expect_field("{\"name\":\"x\",\"id\":\"123e4567-e89b-12d3-a456-42661417400\"}", "id",
		     "must be a UUID");
	expect_field("{\"name\":\"x\",\"id\":\"123e4567-e89b-12d3-a456-4266141740000\"}", "id",
		     "must be a UUID");
	expect_field("{\"name\":\"x\",\"id\":\"123e4567-e89b-12d3-a456-42661417400g\"}", "id",
		     "must be a UUID");
	expect_field("{\"name\":\"x\",\"id\":\"123e4567e-89b-12d3-a456-426614174000\"}", "id",
		     "must be a UUID");
	expect_field("{\"name\":\"x\",\"id\":\"{23e4567-e89b-12d3-a456-426614174000}\"}", "id",
		     "must be a UUID");
	expect_field("{\"name\":\"x\",\"id\":\"\"}", "id", "must be a UUID");
}

static void
test_nulls(void **state)
{
	struct json_object *out = NULL;
	struct body_error err;

	expect_ok("{\"name\":\"x\",\"active\":null,\"meta\":null,\"note\":null}");
	expect_field("{\"name\":null}", "name", "must not be null");
	expect_field("{\"name\":\"x\",\"count\":null}", "count", "must not be null");
	expect_field("{\"name\":\"x\",\"tags\":null}", "tags", "must not be null");
	/* required and nullable: null is present, absence is not */
	assert_int_equal(parse_ex("{\"owner\":null}", 14, optional_only, 2, false, &out, &err), 0);
	json_object_put(out);
	assert_int_equal(parse_ex("{\"note\":\"n\"}", 12, optional_only, 2, false, &out, &err), -1);
	assert_string_equal(err.params[0].name, "owner");
	assert_string_equal(err.params[0].reason, "is required");
}

static void
test_int_bounds(void **state)
{
	expect_ok("{\"name\":\"x\",\"count\":-5}");
	expect_ok("{\"name\":\"x\",\"count\":100}");
	expect_ok("{\"name\":\"x\",\"count\":-0}");
	expect_field("{\"name\":\"x\",\"count\":-6}", "count", "must be at least -5");
	expect_field("{\"name\":\"x\",\"count\":101}", "count", "must be at most 100");
	expect_field("{\"name\":\"x\",\"count\":99999999999999999999}", "count",
		     "must be at most 100");
	expect_field("{\"name\":\"x\",\"count\":-99999999999999999999}", "count",
		     "must be at least -5");
}

/* A number not every reader holds exactly is refused, whatever the field's type, against the
 * top-level member holding it, once per member; another error of the member comes first. */
static void
test_numbers_every_reader_holds(void **state)
{
	const char *whole = "holds 9007199254740992, a whole number beyond +/-9007199254740991 "
			    "(2^53 - 1); send it as a string";
	struct json_object *out = NULL;
	struct body_error err;

	expect_ok("{\"name\":\"x\",\"big\":9007199254740991,\"meta\":{\"a\":[1.5,-0,1e-300,"
		  "\"1e400\",0.1234567890123456789012345]}}");
	expect_field("{\"name\":\"x\",\"big\":9007199254740992}", "big", whole);
	expect_field("{\"name\":\"x\",\"big\":-9223372036854775808}", "big",
		     "holds -9223372036854775808, a whole number beyond +/-9007199254740991 "
		     "(2^53 - 1); send it as a string");
	expect_field("{\"name\":\"x\",\"meta\":{\"x\":1e1001}}", "meta",
		     "holds 1e1001, beyond the range of a double (about 1.8e308); send it as a "
		     "string");
	expect_field("{\"name\":\"x\",\"meta\":{\"x\":[1,{\"y\":1e-1001}]}}", "meta",
		     "holds 1e-1001, not zero, but below the smallest double (about 4.9e-324); "
		     "send it as a string");
	expect_field("{\"name\":\"x\",\"tags\":[123456789012345678901234567890]}", "tags",
		     "holds 123456789012345678901234..., a whole number beyond +/-9007199254740991 "
		     "(2^53 - 1); send it as a string");
	/* colons and quotes in strings do not move a number to another member */
	expect_field("{\"name\":\"a:\\\"b\",\"meta\":{\"k:\\\":\":[1e20,1e20]},\"note\":\"1e20\"}",
		     "meta",
		     "holds 1e20, a whole number beyond +/-9007199254740991 (2^53 - 1); send it "
		     "as a string");
	/* the member's own error first; an unknown field is unknown */
	expect_field("{\"name\":1e400}", "name", "must be a string");
	expect_field("{\"name\":\"x\",\"count\":9007199254740993}", "count", "must be at most 100");
	expect_field("{\"name\":\"x\",\"other\":1e400}", "other", "unknown field");
	/* one error for each member that holds such numbers */
	assert_int_equal(parse("{\"meta\":{\"a\":1e400},\"name\":\"x\",\"tags\":[1e400,2e400],"
			       "\"big\":-1e20}",
			       &out, &err),
			 -1);
	assert_int_equal(err.status, 422);
	assert_int_equal(err.nparams, 3);
	assert_string_equal(err.params[0].name, "meta");
	assert_string_equal(err.params[1].name, "tags");
	assert_string_equal(err.params[2].name, "big");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_body),
	    cmocka_unit_test(test_strict_json_reaches_the_object),
	    cmocka_unit_test(test_empty_body),
	    cmocka_unit_test(test_not_an_object),
	    cmocka_unit_test(test_not_strict_json),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_unknown_and_missing),
	    cmocka_unit_test(test_summary_detail),
	    cmocka_unit_test(test_too_many_errors),
	    cmocka_unit_test(test_names_are_printable),
	    cmocka_unit_test(test_type_mismatches),
	    cmocka_unit_test(test_array_lengths),
	    cmocka_unit_test(test_string_lengths_count_code_points),
	    cmocka_unit_test(test_uuid_syntax),
	    cmocka_unit_test(test_nulls),
	    cmocka_unit_test(test_int_bounds),
	    cmocka_unit_test(test_numbers_every_reader_holds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
