/* The result document's payload is written by hand (DESIGN §7): it must be JSON that
 * json-c reads back to the same values, escapes included, with the keys in §7's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
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

/* The writer (the head while the worker counts, then the rest) gives the very signing
 * input document_payload and document_jws_new give, over payloads of every length mod 3
 * and of several megabytes (drained into the JWS a megabyte at a time). */
static void
test_writer_same_jws(void **state)
{
	static const size_t sizes[] = {0, 1, 2, 3, 5, 40000, 40001, 40002};
	const char *aud[] = {"a1"}, *libs[] = {"json"};
	unsigned char pay[100];

	for (size_t i = 0; i < sizeof(pay); i++)
		pay[i] = (unsigned char)(i * 7 + 1);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		struct wire_ballot *ballots = calloc(n + 1, sizeof(*ballots));
		char (*ids)[16] = calloc(n + 1, sizeof(*ids));
		struct wire_count in = {0};
		struct document d = {
			.decision_id = "d", .title = "T\"\n", .service = "s", .created_at = "t0",
			.phases = {"t1", "t2", "t3", "t4"}, .method_id = "m", .method_name = "plurality",
			.auditors = aud, .nauditors = 1, .inputs = &in, .ok = n % 2 == 0,
			.result = pay, .result_len = n % 7, .error = "timeout", .message = "m\"",
			.counted_at = "t5", .python = "3.11.2", .libraries = libs, .nlibraries = 1,
		};
		struct document_writer *w;
		char *payload, *a, *b;
		size_t plen, alen, blen;

		for (size_t i = 0; i < n; i++) {
			int m = snprintf(ids[i], sizeof(ids[i]), "b%zu", i);
			ballots[i] = (struct wire_ballot){{(const unsigned char *)ids[i], (uint32_t)m},
							  {pay, (uint32_t)(i % 100)}};
		}
		in.ballots = ballots;
		in.nballots = (uint32_t)n;
		assert_int_equal(document_payload(&d, &payload, &plen), 0);
		assert_int_equal(document_jws_new("kid-1", payload, plen, &a, &alen), 0);
		assert_non_null(w = document_writer_new("kid-1", NULL));
		assert_int_equal(document_writer_head(w, &d), 0);
		assert_int_equal(document_writer_finish(w, &d, &b, &blen), 0);
		document_writer_free(w);
		assert_int_equal(blen, alen);
		assert_memory_equal(a, b, alen);
		if (n == 40002)
			assert_true(plen > 2 * (1 << 20)); /* drained more than once */
		free(payload);
		free(a);
		free(b);
		free(ballots);
		free(ids);
	}
}

/* A writer told to stop fails instead of writing on. */
static void
test_writer_stops(void **state)
{
	static unsigned char pay[3] = {1, 2, 3};
	struct wire_ballot ballots[10000];
	struct wire_count in = {0};
	struct document d = {.decision_id = "d", .title = "t", .service = "s", .created_at = "c",
			     .phases = {"1", "2", "3", "4"}, .method_id = "m", .method_name = "n",
			     .inputs = &in};
	atomic_bool stop = true;
	struct document_writer *w;

	for (size_t i = 0; i < 10000; i++)
		ballots[i] = (struct wire_ballot){{pay, 3}, {pay, 3}};
	in.ballots = ballots;
	in.nballots = 10000;
	assert_non_null(w = document_writer_new("k", &stop));
	assert_int_equal(document_writer_head(w, &d), -1);
	document_writer_free(w);
	assert_null(document_writer_new("bad\"kid", NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_reads_back),
		cmocka_unit_test(test_writer_same_jws),
		cmocka_unit_test(test_writer_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
