/* routes — finding a request's route in a route table (see the header). */
#include <ctype.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "routes.h"
#include "util.h"

/* The kinds of path parameter, as a pattern names them. */
enum param_kind { P_NONE, P_UUID, P_SHA, P_NUMBER, P_NAME };

static const struct {
	const char *token;
	enum param_kind kind;
} param_tokens[] = {
	{"{id}", P_UUID},
	{"{gid}", P_UUID},
	{"{person}", P_UUID},
	{"{sha}", P_SHA},
	{"{n}", P_NUMBER},
	{"{name}", P_NAME},
};

/* The parameter token pattern starts with (its length in *len), or P_NONE. */
static enum param_kind
token_at(const char *pattern, size_t *len)
{
	for (size_t i = 0; *pattern == '{' && i < sizeof(param_tokens) / sizeof(param_tokens[0]);
	     i++) {
		*len = strlen(param_tokens[i].token);
		if (strncmp(pattern, param_tokens[i].token, *len) == 0)
			return param_tokens[i].kind;
	}
	return P_NONE;
}

/* Matches path against pattern segment by segment; a parameter takes one non-empty
 * segment, copied to segs[k] (at most seglen - 1 bytes, longer ones truncated so they fail
 * the checks that follow), its kind to kinds[k]. Returns whether the whole path matched. */
static int
pattern_match(const char *pattern, const char *path, char segs[][ROUTE_PARAM_MAX + 2],
	      enum param_kind kinds[ROUTE_MAX_PARAMS])
{
	int k = 0;

	while (*pattern != '\0' && *path != '\0') {
		size_t tok = 0;
		enum param_kind kind = token_at(pattern, &tok);
		if (kind != P_NONE) {
			size_t n = strcspn(path, "/");
			if (n == 0 || k == ROUTE_MAX_PARAMS)
				return 0;
			snprintf(segs[k], ROUTE_PARAM_MAX + 2, "%.*s",
				 (int)(n < ROUTE_PARAM_MAX + 1 ? n : ROUTE_PARAM_MAX + 1), path);
			kinds[k++] = kind;
			pattern += tok;
			path += n;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	for (; k < ROUTE_MAX_PARAMS; k++)
		kinds[k] = P_NONE;
	return *pattern == '\0' && *path == '\0';
}

/* Whether s is 64 hexadecimal digits (a SHA-256); copies it lowercased to out. */
static bool
sha_parse(const char *s, char out[ROUTE_PARAM_MAX + 1])
{
	for (int i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[64] = '\0';
	return s[64] == '\0';
}

/* Whether s is a whole number from 1 to 999999999, without sign or leading zero. */
static bool
number_parse(const char *s, char out[ROUTE_PARAM_MAX + 1])
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 9 || s[n] != '\0' || s[0] == '0')
		return false;
	memcpy(out, s, n + 1);
	return true;
}

/* Whether s is a file name of the web page: [a-z0-9_-]+ and .html, .js, .css or .svg. */
static bool
name_parse(const char *s, char out[ROUTE_PARAM_MAX + 1])
{
	static const char *const exts[] = {".html", ".js", ".css", ".svg"};
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-");

	if (n == 0 || strlen(s) > ROUTE_PARAM_MAX)
		return false;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (strcmp(s + n, exts[i]) == 0) {
			memcpy(out, s, strlen(s) + 1);
			return true;
		}
	return false;
}

/* Checks and copies a matched segment of kind into out. */
static bool
param_parse(enum param_kind kind, const char *seg, char out[ROUTE_PARAM_MAX + 1])
{
	switch (kind) {
	case P_UUID:
		return util_uuid_parse(seg, out);
	case P_SHA:
		return sha_parse(seg, out);
	case P_NUMBER:
		return number_parse(seg, out);
	case P_NAME:
		return name_parse(seg, out);
	default:
		return true;
	}
}

enum route_match
route_find(const struct route *routes, size_t nroutes, const char *method, const char *path,
	   int *idx, char params[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1], char *allow,
	   size_t allowlen)
{
	char segs[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 2];
	enum param_kind kinds[ROUTE_MAX_PARAMS];
	int path_found = 0;

	allow[0] = '\0';
	for (int k = 0; k < ROUTE_MAX_PARAMS; k++)
		params[k][0] = '\0';
	for (size_t i = 0; i < nroutes; i++) {
		if (!pattern_match(routes[i].pattern, path, segs, kinds))
			continue;
		path_found = 1;
		if (strcmp(routes[i].method, method) != 0) {
			size_t used = strlen(allow);
			snprintf(allow + used, allowlen - used, "%s%s", used > 0 ? ", " : "",
				 routes[i].method);
			continue;
		}
		*idx = (int)i;
		for (int k = 0; k < ROUTE_MAX_PARAMS && kinds[k] != P_NONE; k++)
			if (!param_parse(kinds[k], segs[k], params[k]))
				return ROUTE_BAD_ID;
		return ROUTE_FOUND;
	}
	return path_found ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}
