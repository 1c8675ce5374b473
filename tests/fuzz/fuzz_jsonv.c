/* fuzz_jsonv — the JSON request layer every POST body goes through: jsonv_check, then
 * body_parse with the field tables of real handlers. The whole input is the body text.
 *
 * Properties: jsonv's verdict does not depend on the room for its message, and a message
 * cut short is a prefix of the whole one, NUL-terminated printable ASCII; what jsonv
 * accepts under tight limits it accepts under loose ones; what it accepts json-c parses at
 * body's depth mapping (body.c relies on that: a 400 for a text jsonv accepted would be
 * json-c's verdict, not ours). body_parse agrees with its field table: a success holds only
 * known members of the right type within bounds and every required one, and no number that
 * jsonv_unsafe_number finds; a failure has a status, slug and params that fit together.
 * jsonv_unsafe_number walks a text jsonv accepted forward, inside it, one number at a time. Leaks are ASan's to find. Seeds come from
 * jsonv_seeds.py. */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "http/body.h"
#include "jsonv.h"

#define ERR_FULL 512 /* as body.c's message buffer (sizeof err->detail) */
#define SAFE_INT 9007199254740991LL /* 2^53 - 1 */

/* clang-format off */
/* From tight to loose: each accepts at least what the one before it accepts. */
static const struct jsonv_limits limits[] = {
	{0, 0},            /* scalars only, empty strings only */
	{3, 12},           /* small enough for short inputs to reach both limits */
	{16, 1024 * 1024}, /* the api-server's defaults (max_json_depth, max_string_length) */
};

/* POST /v1/voting-methods (h_methods.c). */
static const struct body_field method_fields[] = {
	{"name", BODY_STRING, true, false, 1, 200},
	{"code", BODY_STRING, true, false, 1, 0},
	{"auditor", BODY_UUID, true, false, 0, 0},
	{"signature", BODY_STRING, true, false, 1, 200},
};

/* POST /v1/decisions (h_decisions.c, with the default limits). */
static const struct body_field decision_fields[] = {
	{"title", BODY_STRING, true, false, 1, 500},
	{"method", BODY_STRING, true, false, 64, 64},
	{"proposal_phase", BODY_OBJECT, true, false, 0, 0},
	{"voting_phase", BODY_OBJECT, true, false, 0, 0},
	{"proposer_franchise", BODY_ARRAY, false, false, 0, 10000},
	{"voter_franchise", BODY_ARRAY, false, false, 0, 10000},
	{"proposals", BODY_ARRAY, false, false, 0, 1000},
	{"metadata", BODY_OBJECT, false, true, 0, 0},
};

/* Every type, nullable and not, and the integer bounds that need body.c's raw-text check
 * (as tests/unit/test_body.c). */
static const struct body_field all_fields[] = {
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

#define NLIMITS (sizeof(limits) / sizeof(limits[0]))
#define LOOSE (&limits[NLIMITS - 1])
#define TIGHT (&limits[1])

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* A message buffer of errlen bytes holds a NUL-terminated printable-ASCII message. */
static void
check_message(const char *err, size_t errlen)
{
	FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
	FUZZ_CHECK(printable(err));
}

/* Runs jsonv_check with a full message buffer and with a small one (0 to 8 bytes, picked by
 * the input length); returns the verdict. Both buffers are exact heap blocks. */
static int
check_jsonv(const char *text, size_t len, const struct jsonv_limits *lim)
{
	size_t errlen = len % 9, want;
	char *full = malloc(ERR_FULL), *small = errlen > 0 ? malloc(errlen) : NULL;
	int r, r2;

	FUZZ_CHECK(full != NULL && (errlen == 0 || small != NULL));
	r = jsonv_check(text, len, lim, full, ERR_FULL);
	/* -2 is out of memory, which a fuzz run turns into a crash before jsonv sees it */
	FUZZ_CHECK(r == 0 || r == -1);
	check_message(full, ERR_FULL);
	FUZZ_CHECK(r == 0 || full[0] != '\0');
	r2 = jsonv_check(text, len, lim, small, errlen);
	FUZZ_CHECK(r2 == r);
	if (errlen > 0) {
		check_message(small, errlen);
		want = strlen(full) < errlen - 1 ? strlen(full) : errlen - 1;
		FUZZ_CHECK(strlen(small) == want && memcmp(small, full, want) == 0);
	}
	free(full);
	free(small);
	return r;
}

/* What jsonv accepted at max_depth, json-c parses in strict mode at max_depth + 1, the
 * mapping body.c uses. */
static void
check_json_c(const char *text, size_t len, unsigned max_depth)
{
	struct json_tokener *tok = json_tokener_new_ex((int)max_depth + 1);
	struct json_object *o;
	char *z = fuzz_strdup(text, len);

	FUZZ_CHECK(tok != NULL && len < INT_MAX);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/* json-c cannot tell a top-level number is over until it sees the NUL after it */
	o = json_tokener_parse_ex(tok, z, (int)len + 1);
	FUZZ_CHECK(json_tokener_get_error(tok) == json_tokener_success);
	json_object_put(o);
	json_tokener_free(tok);
	free(z);
}

/* Each number jsonv_unsafe_number finds lies inside the text, after the one before, and is
 * a number with a reason. */
static void
check_unsafe_numbers(const char *text, size_t len)
{
	struct jsonv_number num;
	size_t from = 0;
	int r;

	while ((r = jsonv_unsafe_number(text, len, from, &num)) == 1) {
		FUZZ_CHECK(num.at >= from && num.len > 0 && num.at + num.len <= len);
		FUZZ_CHECK(text[num.at] == '-' || (text[num.at] >= '0' && text[num.at] <= '9'));
		FUZZ_CHECK(num.why != NULL && printable(num.why));
		from = num.at + num.len;
	}
	FUZZ_CHECK(r == 0);
}

static const struct body_field *
find_field(const struct body_field *fields, size_t nfields, const char *name)
{
	for (size_t i = 0; i < nfields; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_uuid(const char *s, size_t len)
{
	if (len != 36)
		return false;
	for (size_t i = 0; i < len; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !is_hex(s[i]))
			return false;
	return true;
}

static bool
within(long long n, const struct body_field *f)
{
	return n >= f->min_len && (f->max_len == 0 || n <= f->max_len);
}

/* The field table's verdict on a member body_parse accepted, worked out independently. */
static bool
value_fits(const struct body_field *f, struct json_object *v)
{
	long long cp = 0;
	const char *s;
	int64_t n;

	if (v == NULL)
		return f->nullable;
	switch (f->type) {
	case BODY_STRING:
		if (!json_object_is_type(v, json_type_string))
			return false;
		s = json_object_get_string(v);
		for (int i = 0; i < json_object_get_string_len(v); i++)
			cp += ((unsigned char)s[i] & 0xc0) != 0x80;
		return within(cp, f);
	case BODY_UUID:
		return json_object_is_type(v, json_type_string) &&
		       is_uuid(json_object_get_string(v), (size_t)json_object_get_string_len(v));
	case BODY_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case BODY_INT:
		if (!json_object_is_type(v, json_type_int))
			return false;
		n = json_object_get_int64(v);
		return within(n, f) && n >= -SAFE_INT && n <= SAFE_INT;
	case BODY_OBJECT:
		return json_object_is_type(v, json_type_object);
	case BODY_ARRAY:
		return json_object_is_type(v, json_type_array) &&
		       within((long long)json_object_array_length(v), f);
	}
	return false;
}

static size_t
first_non_ws(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	return i;
}

static void
check_success(struct json_object *o, const struct body_field *fields, size_t nfields,
              const char *text, size_t len)
{
	const struct body_field *f;
	struct jsonv_number num;

	FUZZ_CHECK(json_object_is_type(o, json_type_object));
	FUZZ_CHECK(jsonv_unsafe_number(text, len, 0, &num) == 0);
	json_object_object_foreach(o, name, val)
	{
		FUZZ_CHECK((f = find_field(fields, nfields, name)) != NULL);
		FUZZ_CHECK(value_fits(f, val));
	}
	for (size_t i = 0; i < nfields; i++)
		FUZZ_CHECK(!fields[i].required ||
		           json_object_object_get_ex(o, fields[i].name, NULL));
}

static void
check_failure(const struct body_error *err, const char *text, size_t len, int jsonv_r)
{
	size_t at = first_non_ws(text, len);

	FUZZ_CHECK(memchr(err->detail, '\0', sizeof(err->detail)) != NULL &&
	           err->detail[0] != '\0');
	FUZZ_CHECK(err->nparams >= 0 && err->nparams <= BODY_MAX_PARAMS);
	for (int i = 0; i < err->nparams; i++) {
		FUZZ_CHECK(memchr(err->params[i].name, '\0', sizeof(err->params[i].name)) != NULL);
		FUZZ_CHECK(memchr(err->params[i].reason, '\0', sizeof(err->params[i].reason)) !=
		           NULL);
		FUZZ_CHECK(printable(err->params[i].name) && printable(err->params[i].reason));
	}
	if (err->status == 422) {
		FUZZ_CHECK(strcmp(err->slug, "invalid-request") == 0 && err->nparams > 0);
		FUZZ_CHECK(jsonv_r == 0 || at == len);
		return;
	}
	/* 400 only for a blank body, a text jsonv refused, or one that is not an object; 500
	 * (out of memory) cannot happen here */
	FUZZ_CHECK(err->status == 400 && strcmp(err->slug, "malformed-json") == 0);
	FUZZ_CHECK(err->nparams == 0);
	FUZZ_CHECK(at == len || jsonv_r != 0 || text[at] != '{');
}

static void
check_body(const char *text, size_t len, const struct jsonv_limits *lim,
           const struct body_field *fields, size_t nfields, bool allow_empty, int jsonv_r)
{
	static char sentinel;
	struct json_object *o = (struct json_object *)&sentinel; /* body_parse must set it */
	struct body_error err;
	int r = body_parse(text, len, lim, fields, nfields, allow_empty, &o, &err);

	FUZZ_CHECK(r == 0 || r == -1);
	if (r == 0) {
		FUZZ_CHECK(o != NULL);
		FUZZ_CHECK(jsonv_r == 0 || (allow_empty && first_non_ws(text, len) == len));
		check_success(o, fields, nfields, text, len);
		json_object_put(o);
	} else {
		FUZZ_CHECK(o == NULL);
		check_failure(&err, text, len, jsonv_r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = (char *)fuzz_dup(data, size);
	int r[NLIMITS];

	for (size_t i = 0; i < NLIMITS; i++) {
		r[i] = check_jsonv(text, size, &limits[i]);
		FUZZ_CHECK(i == 0 || r[i - 1] != 0 || r[i] == 0);
	}
	if (r[NLIMITS - 1] == 0) {
		check_json_c(text, size, LOOSE->max_depth);
		check_unsafe_numbers(text, size);
	}
	check_body(text, size, LOOSE, method_fields, N(method_fields), false, r[NLIMITS - 1]);
	check_body(text, size, LOOSE, decision_fields, N(decision_fields), false, r[NLIMITS - 1]);
	check_body(text, size, LOOSE, all_fields, N(all_fields), true, r[NLIMITS - 1]);
	check_body(text, size, TIGHT, all_fields, N(all_fields), true, r[1]);
	free(text);
	return 0;
}
