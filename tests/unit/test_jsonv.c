/* Unit tests for jsonv: every rule of strict RFC 8259, the limits, and the messages. Each
 * input is copied into a heap buffer of exactly its length, so a read past len trips ASan. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "jsonv.h"
#include "util.h"

struct jcase {
	const char *text;
	size_t len;
	const char *want; /* NULL: valid; else the exact message */
};

/* clang-format off */
#define OK(t) {t, sizeof(t) - 1, NULL}
#define BAD(t, msg) {t, sizeof(t) - 1, msg}

static const struct jsonv_limits lim = {.max_depth = 8, .max_string = 64};

static const struct jcase cases[] = {
	/* valid texts */
	OK("{}"),
	OK("[]"),
	OK("\"x\""),
	OK("0"),
	OK("-0"),
	OK("1.5e10"),
	OK("-1.0E-5"),
	OK("1E+2"),
	OK("1e400"),
	OK("123456789012345678901234567890"),
	OK("true"),
	OK("false"),
	OK("null"),
	OK(" \t\r\n{\"a\":1} \n"),
	OK("{\"a\":{\"b\":[1,2,{\"c\":null}]}}"),
	OK("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
	OK("\"\\u00e9\\u00E9\\u0001\\u001f\""),
	OK("\"\\ud83d\\ude00\""),
	OK("\"\\uDBFF\\uDFFF\""),
	OK("\"\xf0\x9f\x98\x80\""), /* U+1F600, raw */
	OK("\"\xc3\xa9\xe2\x82\xac\x7f\""), /* é € DEL */
	OK("\"\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\""), /* U+D7FF U+E000 U+FFFF */
	OK("\"\xf4\x8f\xbf\xbf\xf0\x90\x80\x80\""), /* U+10FFFF U+10000 */
	OK("{\"a\":1,\"b\":1,\"A\":1,\"\":1}"),
	OK("[{\"a\":1},{\"a\":2}]"),
	OK("{\"a\":{\"a\":1}}"),
	OK("{\"a\":{\"x\":1},\"x\":2,\"b\":{\"x\":{\"a\":3}}}"),
	OK("{\"ab\":1,\"a\\u0062c\":2}"),
	OK("[[], {}, [{}], \"\", 0]"),
	/* structure */
	BAD("", "unexpected end of input at byte 0"),
	BAD("   ", "unexpected end of input at byte 3"),
	BAD("{", "unexpected end of input at byte 1"),
	BAD("[1,2", "unexpected end of input at byte 4"),
	BAD("{\"a\"", "unexpected end of input at byte 4"),
	BAD("{\"a\":", "unexpected end of input at byte 5"),
	BAD("]", "unexpected character ']' at byte 0"),
	BAD("[1,]", "unexpected character ']' at byte 3"),
	BAD("{\"a\":1,}", "unexpected character '}' at byte 7"),
	BAD("[,1]", "unexpected character ',' at byte 1"),
	BAD("{,}", "unexpected character ',' at byte 1"),
	BAD("[1 2]", "unexpected character '2' at byte 3"),
	BAD("{\"a\" 1}", "unexpected character '1' at byte 5"),
	BAD("{\"a\":1]", "unexpected character ']' at byte 6"),
	BAD("[1}", "unexpected character '}' at byte 2"),
	BAD("{a:1}", "unexpected character 'a' at byte 1"),
	BAD("{'a':1}", "unexpected character ''' at byte 1"),
	BAD("{1:1}", "unexpected character '1' at byte 1"),
	BAD("/* c */ {}", "unexpected character '/' at byte 0"),
	BAD("{\"a\":1 // c\n}", "unexpected character '/' at byte 7"),
	BAD("\xef\xbb\xbf{}", "unexpected character 0xef at byte 0"),
	BAD("{\"a\":1}x", "trailing data at byte 7"),
	BAD("{} {}", "trailing data at byte 3"),
	BAD("1 2", "trailing data at byte 2"),
	BAD("[1]\0", "trailing data at byte 3"),
	/* literals and numbers */
	BAD("NaN", "unexpected character 'N' at byte 0"),
	BAD("[Infinity]", "unexpected character 'I' at byte 1"),
	BAD("[-Infinity]", "unexpected character 'I' at byte 2"),
	BAD("[True]", "unexpected character 'T' at byte 1"),
	BAD("[tru]", "unexpected character ']' at byte 4"),
	BAD("nul", "unexpected end of input at byte 3"),
	BAD("[nulL]", "unexpected character 'L' at byte 4"),
	BAD("[01]", "leading zero in number at byte 1"),
	BAD("[-01]", "leading zero in number at byte 1"),
	BAD("00", "leading zero in number at byte 0"),
	BAD("[1.]", "unexpected character ']' at byte 3"),
	BAD("[1.e5]", "unexpected character 'e' at byte 3"),
	BAD("[.5]", "unexpected character '.' at byte 1"),
	BAD("[+1]", "unexpected character '+' at byte 1"),
	BAD("[1e]", "unexpected character ']' at byte 3"),
	BAD("[1e+]", "unexpected character ']' at byte 4"),
	BAD("[-]", "unexpected character ']' at byte 2"),
	BAD("-", "unexpected end of input at byte 1"),
	BAD("[0x10]", "unexpected character 'x' at byte 2"),
	BAD("1.5.3", "trailing data at byte 3"),
	/* strings and escapes */
	BAD("\"abc", "unexpected end of input at byte 4"),
	BAD("'a'", "unexpected character ''' at byte 0"),
	BAD("\"a\x01"
	    "b\"",
	    "unescaped control character 0x01 at byte 2"),
	BAD("\"a\tb\"", "unescaped control character 0x09 at byte 2"),
	BAD("\"a\x1f\"", "unescaped control character 0x1f at byte 2"),
	OK("\" !~\""),
	BAD("\"a\nb\"", "unescaped control character 0x0a at byte 2"),
	BAD("\"a\0\"", "unescaped control character 0x00 at byte 2"),
	BAD("\"\\u0000\"", "escape \\u0000 (NUL) is not allowed at byte 1"),
	BAD("{\"a\\u0000b\":1}", "escape \\u0000 (NUL) is not allowed at byte 3"),
	BAD("\"\\x\"", "invalid escape '\\x' at byte 1"),
	BAD("\"\\'\"", "invalid escape '\\'' at byte 1"),
	BAD("\"\\U00e9\"", "invalid escape '\\U' at byte 1"),
	BAD("\"\\uZZZZ\"", "invalid \\u escape at byte 1"),
	BAD("\"\\u12\"", "invalid \\u escape at byte 1"),
	BAD("\"\\u12", "unexpected end of input at byte 5"),
	BAD("\"\\", "unexpected end of input at byte 2"),
	/* surrogates */
	BAD("\"\\ud800\"", "lone surrogate \\ud800 at byte 1"),
	BAD("\"\\udc00\"", "lone surrogate \\udc00 at byte 1"),
	BAD("\"a\\ude00\\ud83d\"", "lone surrogate \\ude00 at byte 2"),
	BAD("\"\\ud800\\u0041\"", "lone surrogate \\ud800 at byte 1"),
	BAD("\"\\ud800\\ud800\"", "lone surrogate \\ud800 at byte 1"),
	BAD("\"\\ud800x\"", "lone surrogate \\ud800 at byte 1"),
	BAD("\"\\ud800\\n\"", "lone surrogate \\ud800 at byte 1"),
	BAD("\"\\ud83d\\ude0g\"", "invalid \\u escape at byte 7"),
	/* UTF-8 */
	BAD("\"\xc0\xaf\"", "invalid UTF-8 at byte 1"), /* overlong '/' */
	BAD("\"\xc1\xbf\"", "invalid UTF-8 at byte 1"), /* overlong */
	BAD("\"\xe0\x80\x80\"", "invalid UTF-8 at byte 1"), /* overlong NUL */
	BAD("\"\xe0\x9f\xbf\"", "invalid UTF-8 at byte 1"), /* overlong U+07FF */
	BAD("\"\xf0\x80\x80\x80\"", "invalid UTF-8 at byte 1"), /* overlong NUL */
	BAD("\"\xf0\x8f\xbf\xbf\"", "invalid UTF-8 at byte 1"), /* overlong U+FFFF */
	BAD("\"\xed\xa0\x80\"", "invalid UTF-8 at byte 1"), /* U+D800 encoded */
	BAD("\"\xed\xbf\xbf\"", "invalid UTF-8 at byte 1"), /* U+DFFF encoded */
	BAD("\"\xf4\x90\x80\x80\"", "invalid UTF-8 at byte 1"), /* U+110000 */
	BAD("\"\xf5\x80\x80\x80\"", "invalid UTF-8 at byte 1"),
	BAD("\"ab\x80\"", "invalid UTF-8 at byte 3"), /* lone continuation byte */
	BAD("\"\xff\"", "invalid UTF-8 at byte 1"),
	BAD("\"\xc3\"", "invalid UTF-8 at byte 1"), /* cut short by the quote */
	BAD("\"\xe2\x82\"", "invalid UTF-8 at byte 1"), /* cut short by the quote */
	BAD("\"\xf0\x9f\x98\"", "invalid UTF-8 at byte 1"), /* cut short by the quote */
	BAD("\"\xf0\x9f\x98", "invalid UTF-8 at byte 1"), /* cut short by the end */
	BAD("\"\xc3", "invalid UTF-8 at byte 1"),
	BAD("\"\xc3\xa9\xc3(\"", "invalid UTF-8 at byte 3"),
	BAD("[\xc3\xa9]", "unexpected character 0xc3 at byte 1"),
	/* duplicate keys */
	BAD("{\"a\":1,\"a\":2}", "duplicate key \"a\" at byte 7"),
	BAD("{\"a\":1,\"\\u0061\":2}", "duplicate key \"a\" at byte 7"),
	BAD("{\"\\u00e9\":1,\"\xc3\xa9\":2}", "duplicate key \"\\xc3\\xa9\" at byte 12"),
	BAD("{\"\\/\":1,\"/\":2}", "duplicate key \"/\" at byte 8"),
	BAD("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}",
	    "duplicate key \"\\xf0\\x9f\\x98\\x80\" at byte 18"),
	BAD("{\"b\":1,\"a\":2,\"b\":3}", "duplicate key \"b\" at byte 13"),
	BAD("{\"b\":1,\"a\":2,\"a\":3,\"b\":4}", "duplicate key \"a\" at byte 13"),
	BAD("{\"a\":{\"a\":1,\"b\":2},\"a\":3}", "duplicate key \"a\" at byte 19"),
	BAD("[{\"x\":{\"y\":1,\"y\":2}}]", "duplicate key \"y\" at byte 13"),
	BAD("{\"\":1,\"\":2}", "duplicate key \"\" at byte 6"),
	BAD("{\"q\\\"\\\\\\u0001\":1,\"q\\\"\\\\\\u0001\":2}",
	    "duplicate key \"q\\\"\\\\\\x01\" at byte 17"),
};
/* clang-format on */

/* Runs jsonv_check on an exact-size heap copy of text; returns its result, message in err. */
static int
run(const char *text, size_t len, const struct jsonv_limits *l, char *err, size_t errlen)
{
	char *buf = malloc(len ? len : 1);
	int r;

	assert_non_null(buf);
	memcpy(buf, text, len);
	r = jsonv_check(len ? buf : NULL, len, l, err, errlen);
	free(buf);
	return r;
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
expect(const char *text, size_t len, const struct jsonv_limits *l, const char *want)
{
	char err[256];
	int r = run(text, len, l, err, sizeof err);

	if (want == NULL && r != 0)
		fail_msg("rejected valid %.*s: %s", (int)len, text, err);
	if (want != NULL && (r != -1 || strcmp(err, want) != 0))
		fail_msg("for %.*s: got %d \"%s\", want \"%s\"", (int)len, text, r, err, want);
	if (!printable(err))
		fail_msg("message for %.*s is not printable ASCII", (int)len, text);
}

static void
test_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect(cases[i].text, cases[i].len, &lim, cases[i].want);
}

static void
test_depth_limit(void **state)
{
	const struct jsonv_limits l3 = {.max_depth = 3, .max_string = 64};
	const struct jsonv_limits l0 = {.max_depth = 0, .max_string = 64};

	expect("[[[]]]", 6, &l3, NULL);
	expect("[[[1]]]", 7, &l3, NULL);
	expect("[[[[]]]]", 8, &l3, "nesting deeper than 3 at byte 3");
	expect("{\"a\":{\"b\":{\"c\":1}}}", 19, &l3, NULL);
	expect("{\"a\":{\"b\":{\"c\":{}}}}", 20, &l3, "nesting deeper than 3 at byte 15");
	expect("[{\"a\":[]},[[]]]", 15, &l3, NULL);
	expect("[{\"a\":[]},[[{}]]]", 17, &l3, "nesting deeper than 3 at byte 12");
	expect("1", 1, &l0, NULL);
	expect("[]", 2, &l0, "nesting deeper than 0 at byte 0");
}

/* Nesting a million deep must not recurse on the C stack. */
static void
test_deep_nesting_uses_no_c_stack(void **state)
{
	const size_t n = 1000000;
	struct jsonv_limits big = {.max_depth = (unsigned)n, .max_string = 8};
	char *text = malloc(2 * n);

	assert_non_null(text);
	memset(text, '[', n);
	memset(text + n, ']', n);
	expect(text, 2 * n, &big, NULL);
	big.max_depth = (unsigned)n - 1;
	expect(text, 2 * n, &big, "nesting deeper than 999999 at byte 999999");
	free(text);
}

static void
test_string_limit(void **state)
{
	const struct jsonv_limits l4 = {.max_depth = 4, .max_string = 4};
	const struct jsonv_limits l0 = {.max_depth = 4, .max_string = 0};

	expect("\"abcd\"", 6, &l4, NULL);
	expect("\"abcde\"", 7, &l4, "string longer than 4 bytes at byte 0");
	expect("[\"\", \"abcde\"]", 13, &l4, "string longer than 4 bytes at byte 5");
	expect("{\"abcd\":1}", 10, &l4, NULL);
	expect("{\"abcde\":1}", 11, &l4, "string longer than 4 bytes at byte 1");
	/* bytes after unescaping: 12 escaped characters make one 4-byte emoji */
	expect("\"\\ud83d\\ude00\"", 14, &l4, NULL);
	expect("\"\\u00e9\\u00e9\"", 14, &l4, NULL);
	expect("\"\\u00e9\\u00e9a\"", 15, &l4, "string longer than 4 bytes at byte 0");
	expect("\"\xc3\xa9\xc3\xa9\"", 6, &l4, NULL);
	expect("\"\xf0\x9f\x98\x80x\"", 7, &l4, "string longer than 4 bytes at byte 0");
	expect("\"\"", 2, &l0, NULL);
	expect("\"a\"", 3, &l0, "string longer than 0 bytes at byte 0");
}

static void
test_long_key_is_cut_in_message(void **state)
{
	static const char key[] = "k0123456789012345678901234567890123456789xyz"; /* 44 bytes */
	char text[256], want[128], err[256];
	size_t n;

	n = (size_t)snprintf(text, sizeof text, "{\"%s\":1,\"%s\":2}", key, key);
	assert_int_equal(run(text, n, &lim, err, sizeof err), -1);
	/* the second key's quote: '{' '"' key '"' ':' '1' ',' */
	snprintf(want, sizeof want, "duplicate key \"%.40s...\" at byte %zu", key,
		 2 + strlen(key) + 4);
	assert_string_equal(err, want);
}

static void
test_message_buffer(void **state)
{
	char err[10];

	memset(err, 'x', sizeof err);
	assert_int_equal(run("[1,]", 4, &lim, err, sizeof err), -1);
	assert_string_equal(err, "unexpecte"); /* cut, still terminated */
	assert_int_equal(run("[1,]", 4, &lim, NULL, 0), -1);
	assert_int_equal(run("[1]", 3, &lim, NULL, 0), 0);
	strcpy(err, "stale");
	assert_int_equal(run("[1]", 3, &lim, err, sizeof err), 0);
	assert_string_equal(err, "");
}

/* Builds {"k0":0,"k1":0,...} with n keys, optionally repeating key 0 at the end. */
static char *
many_keys(size_t n, bool dup, size_t *len, size_t *dup_at)
{
	char *text = malloc(n * 24 + 32);
	size_t o = 0, i;

	assert_non_null(text);
	text[o++] = '{';
	for (i = 0; i < n; i++)
		o +=
		    (size_t)sprintf(text + o, "%s\"key-%zu-%zu\":0", i ? "," : "", i * 7919 % n, i);
	if (dup) {
		*dup_at = o + 1;
		o += (size_t)sprintf(text + o, ",\"key-0-0\":1");
	}
	text[o++] = '}';
	*len = o;
	return text;
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* 10k keys, and 200k keys: a quadratic duplicate check would take minutes on the latter. */
static void
test_many_keys_stay_fast(void **state)
{
	const struct jsonv_limits l = {.max_depth = 4, .max_string = 64};
	char want[64], *text;
	size_t len, at = 0;
	struct timespec t0;

	text = many_keys(10000, true, &len, &at);
	snprintf(want, sizeof want, "duplicate key \"key-0-0\" at byte %zu", at);
	expect(text, len, &l, want);
	free(text);
	text = many_keys(200000, false, &len, &at);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect(text, len, &l, NULL);
	assert_true(seconds_since(&t0) < 5.0);
	free(text);
}

/* Many sibling objects reuse the same keys: each object's keys are its own. */
static void
test_sibling_objects(void **state)
{
	const size_t n = 20000;
	char *text = malloc(n * 16 + 8);
	size_t o = 0, i;

	assert_non_null(text);
	text[o++] = '[';
	for (i = 0; i < n; i++)
		o += (size_t)sprintf(text + o, "%s{\"a\":{\"a\":1}}", i ? "," : "");
	text[o++] = ']';
	expect(text, o, &lim, NULL);
	free(text);
}

/* The first unsafe number of text (jsonv-valid) from offset 0, as an exact heap copy: its
 * text ("" when there is none, or it is too long to show); *why gets the reason (NULL: none). */
static const char *
unsafe(const char *text, const char **why)
{
	static char shown[128];
	size_t len = strlen(text);
	char *buf = malloc(len);
	struct jsonv_number n;
	int r;

	assert_non_null(buf);
	memcpy(buf, text, len);
	assert_int_equal(jsonv_check(buf, len, &lim, NULL, 0), 0);
	r = jsonv_unsafe_number(buf, len, 0, &n);
	assert_true(r == 0 || r == 1);
	shown[0] = '\0';
	*why = NULL;
	if (r == 1) {
		assert_true(n.at + n.len <= len);
		if (n.len < sizeof(shown)) {
			memcpy(shown, buf + n.at, n.len);
			shown[n.len] = '\0';
		}
		*why = n.why;
	}
	free(buf);
	return shown;
}

static void
test_numbers_every_reader_holds(void **state)
{
	const char *safe[] = {
	    "0", "-0", "0.0e999999999999", "1", "-1", "9007199254740991", "-9007199254740991",
	    "900719925474099.1e1", "1e15", "1.5", "0.1", "-1.25e-3", "123456789012345678.5",
	    "0.000000000000000000000000000001", "5e-324", "4.9e-324", "2.5e-324", "1e-323",
	    "10000000000000000000e-4", "1.5e-300",
	};
	const char *why;

	for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++) {
		char text[96];

		snprintf(text, sizeof(text), "[%s]", safe[i]);
		if (unsafe(text, &why)[0] != '\0')
			fail_msg("%s refused: %s", safe[i], why);
	}
}

static void
test_numbers_not_every_reader_holds(void **state)
{
	static const struct {
		const char *number, *why;
	} bad[] = {
	    {"9007199254740992", "whole"}, {"-9007199254740992", "whole"},
	    {"9007199254740993", "whole"}, {"18446744073709551615", "whole"},
	    {"123456789012345678901234567890", "whole"}, {"-9223372036854775808", "whole"},
	    {"1e20", "whole"}, {"1.0e20", "whole"}, {"90071992547409.93e2", "whole"},
	    {"1e300", "whole"}, {"1e1001", "range"}, {"-1e400", "range"},
	    {"1e308", "whole"}, {"1.7976931348623159e308", "whole"},
	    {"1e-1001", "smallest"}, {"1e-400", "smallest"},
	    {"2e-324", "smallest"}, {"-2.4e-324", "smallest"}, {"1e999999999999999999999", "range"},
	};
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[96];

		snprintf(text, sizeof(text), "{\"a\":[1,\"%s\",%s]}", bad[i].number, bad[i].number);
		if (strcmp(unsafe(text, &why), bad[i].number) != 0)
			fail_msg("%s not found in %s", bad[i].number, text);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("%s: %s", bad[i].number, why);
	}
}

/* At the top of a double's range only a number that is not whole can be neither refused as
 * whole nor clearly too large: DBL_MAX + 0.5 rounds to DBL_MAX, (DBL_MAX + 2^970) + 0.5, half
 * way to 2^1024, to infinity. */
static void
test_number_at_the_top_of_the_range(void **state)
{
	static const char below[] =
	    "17976931348623157081452742373170435679807056752584499659891747680315726078002853"
	    "87605895586327668781715404589535143824642343213268894641827684675467035375169860"
	    "49910576551282076245490090389328944075868508455133942304583236903222948165808559"
	    "332123348274797826204144723168738177180919299881250404026184124858368.5";
	static const char above[] =
	    "17976931348623158079372897140530341507993413271003782693617377898044496829276475"
	    "09466490179775872070963302864166928879109465555478519404026306574886715058206819"
	    "08902000708383676273854845817711531764475730270069855571366959622842914819860834"
	    "936475292719074168444365510704342711559699508093042880177904174497792.5";
	char text[sizeof(above) + 2];
	const char *why;

	snprintf(text, sizeof(text), "[%s]", below);
	assert_string_equal(unsafe(text, &why), "");
	assert_null(why);
	snprintf(text, sizeof(text), "[%s]", above);
	assert_int_equal(strlen(unsafe(text, &why)), 0); /* longer than unsafe() shows */
	assert_non_null(why);
	assert_non_null(strstr(why, "range"));
}

/* Every one is found, in text order, from the end of the one before; strings are skipped. */
static void
test_unsafe_numbers_in_order(void **state)
{
	const char *text = "{\"1e400\":1e400,\"b\\\"9007199254740993\":[2,9007199254740993,-0],"
			   "\"c\":{\"d\":1e-999}}";
	const char *want[] = {"1e400", "9007199254740993", "1e-999"};
	size_t len = strlen(text), from = 0, k = 0;
	struct jsonv_number n;

	assert_int_equal(jsonv_check(text, len, &lim, NULL, 0), 0);
	while (jsonv_unsafe_number(text, len, from, &n) == 1) {
		assert_true(k < 3);
		assert_int_equal(n.len, strlen(want[k]));
		assert_memory_equal(text + n.at, want[k], n.len);
		from = n.at + n.len;
		k++;
	}
	assert_int_equal(k, 3);
}

/* util_json_quote writes a string as json-c does (GET /v1/me is written with it): every
 * byte from 1 to 255 alone and in seeded random strings; a buffer too small says so. */
static void
test_json_quote_as_json_c(void **state)
{
	char s[64], out[6 * 64 + 3];
	unsigned seed = 7;

	(void)state;
	for (int t = 0; t < 20000; t++) {
		size_t len = t < 255 ? 1 : (size_t)(rand_r(&seed) % 63);
		struct json_object *o;

		for (size_t i = 0; i < len; i++)
			s[i] = t < 255 ? (char)(t + 1) : (char)(1 + rand_r(&seed) % 255);
		s[len] = '\0';
		o = json_object_new_string(s);
		assert_int_not_equal(util_json_quote(s, out, sizeof(out)), 0);
		assert_string_equal(out, json_object_to_json_string_ext(
					     o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	assert_int_equal(util_json_quote("abc", out, 5), 0);
	assert_int_equal(util_json_quote("", out, 3), 2);
	assert_string_equal(out, "\"\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_json_quote_as_json_c),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_deep_nesting_uses_no_c_stack),
	    cmocka_unit_test(test_string_limit),
	    cmocka_unit_test(test_long_key_is_cut_in_message),
	    cmocka_unit_test(test_message_buffer),
	    cmocka_unit_test(test_many_keys_stay_fast),
	    cmocka_unit_test(test_sibling_objects),
	    cmocka_unit_test(test_numbers_every_reader_holds),
	    cmocka_unit_test(test_numbers_not_every_reader_holds),
	    cmocka_unit_test(test_number_at_the_top_of_the_range),
	    cmocka_unit_test(test_unsafe_numbers_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
