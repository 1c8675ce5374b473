/* body — parse and validate a JSON request body against a field table. */
#ifndef FREECOOP_BODY_H
#define FREECOOP_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "jsonv.h"

enum body_type {
	BODY_STRING, /* a JSON string; min_len..max_len counts Unicode code points */
	BODY_UUID,   /* a JSON string holding a UUID (8-4-4-4-12 hex, any case) */
	BODY_BOOL,
	BODY_INT,    /* a JSON integer (no fraction, no exponent) in [min_len, max_len] (and,
		      * as every number, within +/-(2^53 - 1)); min_len always applies (use
		      * LLONG_MIN for no lower bound) */
	BODY_OBJECT, /* any JSON object */
	BODY_ARRAY,  /* a JSON array of min_len to max_len items (max_len 0 = unlimited) */
};

struct body_field {
	const char *name;
	enum body_type type;
	bool required;
	bool nullable;  /* JSON null is accepted */
	long long min_len;
	long long max_len; /* 0 = no upper bound */
};

#define BODY_MAX_PARAMS 8

struct body_param_error {
	char name[64];    /* the field, printable ASCII ('\' doubled, other bytes as \xNN, cut
			   * with "..." if long) */
	char reason[160]; /* e.g. "unknown field", "must be a string",
			   * "must be at most 200 characters" */
};

struct body_error {
	int status;        /* 400 (malformed-json), 422 (invalid-request), or 500
			    * (internal-error) when memory ran out */
	const char *slug;  /* "malformed-json", "invalid-request" or "internal-error" */
	char detail[512];  /* the problem's detail: a sentence, and one naming the fields the
			    * body may have when it has an unknown one */
	struct body_param_error params[BODY_MAX_PARAMS]; /* 422 only: each offending field */
	int nparams;
};

/* Parses buf[0..len) as a JSON object holding only fields from the table fields[0..nfields)
 * (unknown fields are errors; every offending field is listed, up to BODY_MAX_PARAMS, members
 * in text order then missing required fields; the 422 detail is a sentence counting them all,
 * and, when a field is unknown, one naming the table's fields).
 * An empty or all-whitespace body counts as {} when allow_empty, else it is a 400.
 * The text is first checked with jsonv_check(lim), so a non-strict text is a 400
 * malformed-json whose detail is jsonv's message; a top-level value that is not an
 * object is a 400 too. A member holding a number that not every reader holds exactly
 * (jsonv_unsafe_number: a whole number beyond +/-(2^53 - 1), or beyond a double's range) is
 * a 422 field error, whatever its field's type, unless the member has another error. On success returns 0 and stores a new object in *out (the caller
 * releases it with json_object_put). On failure returns -1, *out is NULL and err is filled. */
int body_parse(const char *buf, size_t len, const struct jsonv_limits *lim,
	       const struct body_field *fields, size_t nfields, bool allow_empty,
	       struct json_object **out, struct body_error *err);

/* Returns the string member name of obj, or NULL if it is absent, null or not a string
 * (borrowed from obj). */
const char *body_get_string(struct json_object *obj, const char *name);

#endif
