/* The result document's payload is written by hand (DESIGN §7): it must be JSON that
 * json-c reads back to the same values, escapes included, with the keys in §7's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "conclude/document.h"

static const char *
get(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k != NULL; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	}
	return json_object_get_string(o);
}

static void
test_payload_reads_back(void **state)
{
	const char *title = "Q\"uote\\back\nnew\tline \x01 caf\xc3\xa9 end";
	const char *aud[] = {"a1"}, *libs[] = {"json", "math"};
	unsigned char pay[] = {0xff, 0x00, 0x41};
	struct wire_bytes set[] = {{(const unsigned char *)"p\"1", 3}, {(const unsigned char *)"p2", 2}};
	struct wire_ballot ballots[] = {{{(const unsigned char *)"b1", 2}, {pay, 3}}};
	struct wire_count in = {0};
	struct document d = {
		.decision_id = "d", .title = title, .service = "s", .created_at = "t0",
		.phases = {"t1", "t2", "t3", "t4"}, .method_id = "m", .method_name = "plu\\rality",
		.auditors = aud, .nauditors = 1, .inputs = &in, .ok = true,
		.result = pay, .result_len = 3, .counted_at = "t5", .python = "3.11.2",
		.libraries = libs, .nlibraries = 2,
	};
	struct json_object *o;
	char *out = NULL;
	size_t len = 0;

	in.ballots = ballots;
	in.nballots = 1;
	in.sets[0] = set;
	in.nsets[0] = 2;
	assert_int_equal(document_payload(&d, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	assert_non_null(o = json_tokener_parse(out));
	assert_string_equal(get(o, "decision.title"), title);
	assert_string_equal(get(o, "method.name"), "plu\\rality");
	assert_string_equal(get(o, "inputs.participants.0"), "p\"1");
	assert_string_equal(get(o, "inputs.ballots.0.payload"), "/wBB");
	assert_string_equal(get(o, "outcome.result"), "/wBB");
	assert_string_equal(get(o, "runtime.libraries.1"), "math");
	/* §7's order of the top-level keys. */
	assert_non_null(strstr(out, "{\"version\":1,\"decision\":{\"id\":\"d\",\"title\":"));
	assert_non_null(strstr(out, "\\u0001"));
	json_object_put(o);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_reads_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
