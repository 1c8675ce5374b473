/* body — parse a request body: jsonv's strict check, json-c's parse, then the field table,
 * and no number that not every reader holds (jsonv_unsafe_number).
 *
 * json-c clamps integers beyond int64 without a trace in the object, and PostgreSQL's jsonb
 * turns 1e20 into 100000000000000000000, which json-c then clamps: such numbers are found in
 * the text and refused, each against the top-level member that holds it. Members are in text
 * order (json-c keeps insertion order and jsonv has ruled out duplicates), so a number's
 * member is found by counting top-level colons before it. */
#include "body.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SLUG_MALFORMED "malformed-json"
#define SLUG_INVALID "invalid-request"
#define SLUG_INTERNAL "internal-error"
#define NUMBER_SHOWN 24 /* characters of a refused number quoted in its reason */
#define UNKNOWN "unknown field"

/* Fills err for a failure of the whole body; returns -1. */
static int fail_body(struct body_error *err, int status, const char *slug, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail_body(struct body_error *err, int status, const char *slug, const char *fmt, ...)
{
	va_list ap;

	err->status = status;
	err->slug = slug;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof err->detail, fmt, ap);
	va_end(ap);
	return -1;
}

/* Fills err for a 400 whose detail is msg, a message of jsonv or json-c in their style
 * ("duplicate key ... at byte 17"), made a sentence: a capital, a full stop. Returns -1. */
static int
fail_malformed(struct body_error *err, const char *msg)
{
	if (msg[0] == '\0')
		return fail_body(err, 400, SLUG_MALFORMED, "The request body is not JSON.");
	return fail_body(err, 400, SLUG_MALFORMED, "%c%s.", toupper((unsigned char)msg[0]),
			 msg + 1);
}

/* Writes a reason into reason[cap]; returns -1 so a check can end with it. */
static int say(char *reason, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
say(char *reason, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, cap, fmt, ap);
	va_end(ap);
	return -1;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_blank(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_ws(buf[i]))
			return false;
	return true;
}

/* Writes byte c of a name as printable ASCII into unit (at most 5 bytes with the NUL): '\'
 * doubled, bytes outside 0x20..0x7e as \xNN. Returns the length. */
static size_t
escape_byte(unsigned char c, char unit[5])
{
	if (c == '\\')
		return (size_t)snprintf(unit, 5, "\\\\");
	if (c >= 0x20 && c < 0x7f)
		return (size_t)snprintf(unit, 5, "%c", c);
	return (size_t)snprintf(unit, 5, "\\x%02x", c);
}

/* Copies name into out[cap] (cap >= 4) escaped as by escape_byte; a name that does not fit
 * is cut and ends in "...". */
static void
show_name(const char *name, char *out, size_t cap)
{
	const unsigned char *p;
	size_t o = 0, total = 0, n;
	char unit[5];

	for (p = (const unsigned char *)name; *p != '\0'; p++)
		total += escape_byte(*p, unit);
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		n = escape_byte(*p, unit);
		if (total >= cap && o + n > cap - 4)
			break;
		memcpy(out + o, unit, n);
		o += n;
	}
	if (*p != '\0') {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Counts the error against a field, and keeps it while there is room in err->params. */
static void
add_param(struct body_error *err, int *total, const char *name, const char *reason)
{
	struct body_param_error *p;

	(*total)++;
	if (err->nparams >= BODY_MAX_PARAMS)
		return;
	p = &err->params[err->nparams++];
	show_name(name, p->name, sizeof p->name);
	snprintf(p->reason, sizeof p->reason, "%s", reason);
}

static const struct body_field *
find_field(const struct body_field *fields, size_t nfields, const char *name)
{
	size_t i;

	for (i = 0; i < nfields; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static const char *
plural(long long n)
{
	return n == 1 ? "" : "s";
}

/* Checks an INT member. One beyond +/-(2^53 - 1), clamped by json-c or not, fails here or
 * is refused as a number (check_fields). */
static int
check_int(const struct body_field *f, struct json_object *v, char *reason, size_t cap)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return say(reason, cap, "must be an integer");
	n = json_object_get_int64(v);
	if (n < f->min_len)
		return say(reason, cap, "must be at least %lld", f->min_len);
	if (f->max_len != 0 && n > f->max_len)
		return say(reason, cap, "must be at most %lld", f->max_len);
	return 0;
}

/* Counts Unicode code points in UTF-8 s[0..len) (valid: jsonv checked it). */
static long long
code_points(const char *s, size_t len)
{
	long long n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static int
check_string(const struct body_field *f, struct json_object *v, char *reason, size_t cap)
{
	long long n;

	if (!json_object_is_type(v, json_type_string))
		return say(reason, cap, "must be a string");
	n = code_points(json_object_get_string(v), (size_t)json_object_get_string_len(v));
	if (n < f->min_len)
		return say(reason, cap, "must be at least %lld character%s", f->min_len,
			   plural(f->min_len));
	if (f->max_len != 0 && n > f->max_len)
		return say(reason, cap, "must be at most %lld character%s", f->max_len,
			   plural(f->max_len));
	return 0;
}

/* True for 8-4-4-4-12 hex digits, any case. */
static bool
is_uuid(const char *s, size_t len)
{
	size_t i;
	char c;

	if (len != 36)
		return false;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

static int
check_uuid(struct json_object *v, char *reason, size_t cap)
{
	if (!json_object_is_type(v, json_type_string) ||
	    !is_uuid(json_object_get_string(v), (size_t)json_object_get_string_len(v)))
		return say(reason, cap, "must be a UUID");
	return 0;
}

static int
check_array(const struct body_field *f, struct json_object *v, char *reason, size_t cap)
{
	long long n;

	if (!json_object_is_type(v, json_type_array))
		return say(reason, cap, "must be an array");
	n = (long long)json_object_array_length(v);
	if (n < f->min_len)
		return say(reason, cap, "must have at least %lld item%s", f->min_len,
			   plural(f->min_len));
	if (f->max_len != 0 && n > f->max_len)
		return say(reason, cap, "must have at most %lld item%s", f->max_len,
			   plural(f->max_len));
	return 0;
}

/* Checks a member's value v (NULL is JSON null) against its field f. Returns 0, or -1 with
 * the reason in reason[cap]. */
static int
check_value(const struct body_field *f, struct json_object *v, char *reason, size_t cap)
{
	if (v == NULL)
		return f->nullable ? 0 : say(reason, cap, "must not be null");
	switch (f->type) {
	case BODY_STRING:
		return check_string(f, v, reason, cap);
	case BODY_UUID:
		return check_uuid(v, reason, cap);
	case BODY_BOOL:
		if (json_object_is_type(v, json_type_boolean))
			return 0;
		return say(reason, cap, "must be a boolean");
	case BODY_INT:
		return check_int(f, v, reason, cap);
	case BODY_OBJECT:
		if (json_object_is_type(v, json_type_object))
			return 0;
		return say(reason, cap, "must be an object");
	case BODY_ARRAY:
		return check_array(f, v, reason, cap);
	}
	return say(reason, cap, "has no valid type in the field table");
}

/* The numbers of a body that not every reader holds, in text order, each with the index of
 * the top-level member holding it: one walk over the text serves them all. */
struct numbers {
	const char *buf;
	size_t len;
	size_t from;    /* where to look for the next number */
	size_t pos;     /* the walk over the members: bytes seen */
	size_t colons;  /* top-level colons seen: the members begun */
	size_t depth;
	bool in_string;
	bool found;     /* num is the next one, in member (0-based) */
	struct jsonv_number num;
	size_t member;
	bool nomem;
};

/* Walks the text up to offset at; returns the number of top-level members begun. */
static size_t
walk_to(struct numbers *ns, size_t at)
{
	for (; ns->pos < at; ns->pos++) {
		char c = ns->buf[ns->pos];

		if (ns->in_string) {
			if (c == '\\')
				ns->pos++;
			else if (c == '"')
				ns->in_string = false;
		} else if (c == '"') {
			ns->in_string = true;
		} else if (c == '{' || c == '[') {
			ns->depth++;
		} else if (c == '}' || c == ']') {
			ns->depth--;
		} else if (c == ':' && ns->depth == 1) {
			ns->colons++;
		}
	}
	return ns->colons;
}

/* Finds the next such number and its member. */
static void
next_number(struct numbers *ns)
{
	int r = jsonv_unsafe_number(ns->buf, ns->len, ns->from, &ns->num);

	ns->found = r == 1;
	ns->nomem = ns->nomem || r == -2;
	if (!ns->found)
		return;
	ns->from = ns->num.at + ns->num.len;
	ns->member = walk_to(ns, ns->num.at) - 1;
}

/* The reason for member idx if it holds such a number (the first one), else NULL. */
static const char *
number_in(struct numbers *ns, size_t idx, char *reason, size_t cap)
{
	const char *cut;

	while (ns->found && ns->member < idx)
		next_number(ns);
	if (!ns->found || ns->member != idx)
		return NULL;
	cut = ns->num.len > NUMBER_SHOWN ? "..." : "";
	snprintf(reason, cap, "holds %.*s%s, %s; send it as a string",
		 (int)(ns->num.len > NUMBER_SHOWN ? NUMBER_SHOWN : ns->num.len),
		 ns->buf + ns->num.at, cut, ns->num.why);
	return reason;
}

/* Records every member of obj that is unknown, does not fit its field or holds a number not
 * every reader holds, then every required field that is absent; *total counts them all. */
static void
check_fields(struct json_object *obj, const struct body_field *fields, size_t nfields,
	     struct numbers *ns, struct body_error *err, int *total)
{
	const struct body_field *f;
	char reason[sizeof err->params[0].reason];
	size_t idx = 0, i;

	json_object_object_foreach(obj, name, val)
	{
		if ((f = find_field(fields, nfields, name)) == NULL)
			add_param(err, total, name, UNKNOWN);
		else if (check_value(f, val, reason, sizeof reason) != 0 ||
			 number_in(ns, idx, reason, sizeof reason) != NULL)
			add_param(err, total, name, reason);
		idx++;
	}
	for (i = 0; i < nfields; i++)
		if (fields[i].required && !json_object_object_get_ex(obj, fields[i].name, NULL))
			add_param(err, total, fields[i].name, "is required");
}

/* Writes the sentence naming the fields of the table into out[cap], e.g. ` Its fields are
 * name, id and note.` (with a leading space); names that do not fit end it with "...". */
static void
name_fields(const struct body_field *fields, size_t nfields, char *out, size_t cap)
{
	size_t o, i;

	if (nfields == 0) {
		snprintf(out, cap, " It takes no fields.");
		return;
	}
	o = (size_t)snprintf(out, cap, nfields == 1 ? " Its only field is " : " Its fields are ");
	for (i = 0; i < nfields && o < cap; i++) {
		const char *sep = i == 0 ? "" : i + 1 == nfields ? " and " : ", ";

		o += (size_t)snprintf(out + o, cap - o, "%s%s", sep, fields[i].name);
	}
	if (o >= cap - 1)
		snprintf(out + cap - 5, 5, "...");
	else
		snprintf(out + o, cap - o, ".");
}

/* Makes err a 422 whose detail lists the kept params, as many as fit, e.g. `The request body
 * has 2 invalid fields: name (must be a string), colour (unknown field).`, and names the
 * fields of the table when one of them is unknown. */
static void
summarize(struct body_error *err, int total, const struct body_field *fields, size_t nfields)
{
	char *d = err->detail, item[sizeof err->params[0].name + sizeof err->params[0].reason + 8];
	char known[sizeof err->detail / 2] = "";
	size_t cap, o, n;
	int i;

	for (i = 0; i < err->nparams; i++) {
		if (strcmp(err->params[i].reason, UNKNOWN) == 0) {
			name_fields(fields, nfields, known, sizeof known);
			break;
		}
	}
	cap = sizeof err->detail - strlen(known);
	err->status = 422;
	err->slug = SLUG_INVALID;
	o = (size_t)snprintf(d, cap, "The request body has %d invalid field%s: ", total,
			     plural(total));
	for (i = 0; i < err->nparams; i++) {
		n = (size_t)snprintf(item, sizeof item, "%s%s (%s)", i ? ", " : "",
				     err->params[i].name, err->params[i].reason);
		if (n >= sizeof item || o + n + 24 > cap) /* room for ", and 2147483647 more." */
			break;
		memcpy(d + o, item, n + 1);
		o += n;
	}
	if (i < total)
		o += (size_t)snprintf(d + o, cap - o, "%sand %d more.", i ? ", " : "", total - i);
	else
		o += (size_t)snprintf(d + o, cap - o, ".");
	snprintf(d + o, sizeof err->detail - o, "%s", known);
}

/* Parses buf[0..len), a text jsonv accepted whose top level is an object, with json-c at
 * the same depth limit into *out. On failure *out is NULL and err is filled. */
static int
parse_with_json_c(const char *buf, size_t len, unsigned max_depth, struct json_object **out,
		  struct body_error *err)
{
	struct json_tokener *tok = NULL;
	int r = 0;

	if (len > INT_MAX)
		return fail_body(err, 400, SLUG_MALFORMED,
				 "The request body is too large to parse.");
	/* json-c counts the top-level value as depth 0 and fails one level before its max. */
	tok = json_tokener_new_ex(max_depth < INT_MAX - 1 ? (int)max_depth + 1 : INT_MAX);
	if (tok == NULL)
		return fail_body(err, 500, SLUG_INTERNAL, "Out of memory reading the body.");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*out = json_tokener_parse_ex(tok, buf, (int)len);
	if (*out == NULL || !json_object_is_type(*out, json_type_object)) {
		r = fail_malformed(err, json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(*out);
		*out = NULL;
	}
	json_tokener_free(tok);
	return r;
}

/* Checks buf (not blank) with jsonv, then that it is an object, and parses it into *out. On
 * failure *out is NULL and err is filled. Checking the first byte first also spares json-c
 * a top-level number, which it cannot finish without a terminator after it. */
static int
parse_object(const char *buf, size_t len, const struct jsonv_limits *lim, struct json_object **out,
	     struct body_error *err)
{
	char msg[sizeof err->detail];
	size_t i;
	int r;

	*out = NULL;
	if ((r = jsonv_check(buf, len, lim, msg, sizeof msg)) == -2)
		return fail_body(err, 500, SLUG_INTERNAL, "Out of memory reading the body.");
	if (r != 0)
		return fail_malformed(err, msg);
	for (i = 0; is_ws(buf[i]); i++)
		;
	if (buf[i] != '{')
		return fail_body(err, 400, SLUG_MALFORMED,
				 "The request body must be a JSON object.");
	return parse_with_json_c(buf, len, lim->max_depth, out, err);
}

int
body_parse(const char *buf, size_t len, const struct jsonv_limits *lim,
	   const struct body_field *fields, size_t nfields, bool allow_empty,
	   struct json_object **out, struct body_error *err)
{
	struct json_object *obj = NULL;
	struct numbers ns = {.buf = buf, .len = len};
	int total = 0, r = -1;

	*out = NULL;
	memset(err, 0, sizeof *err);
	if (!is_blank(buf, len)) {
		if (parse_object(buf, len, lim, &obj, err) != 0)
			goto out;
	} else if (!allow_empty) {
		fail_body(err, 400, SLUG_MALFORMED, "The request body is empty.");
		goto out;
	} else if ((obj = json_object_new_object()) == NULL) {
		fail_body(err, 500, SLUG_INTERNAL, "Out of memory reading the body.");
		goto out;
	}
	if (!is_blank(buf, len))
		next_number(&ns);
	check_fields(obj, fields, nfields, &ns, err, &total);
	if (ns.nomem) {
		memset(err, 0, sizeof *err);
		fail_body(err, 500, SLUG_INTERNAL, "Out of memory reading the body.");
		goto out;
	}
	if (total > 0) {
		summarize(err, total, fields, nfields);
		goto out;
	}
	*out = obj;
	obj = NULL;
	r = 0;
out:
	json_object_put(obj);
	return r;
}

const char *
body_get_string(struct json_object *obj, const char *name)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}
