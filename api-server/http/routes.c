/* routes — finding a request's route in a route table (see the header). */
#include <ctype.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "routes.h"
#include "util.h"

/* Matches path against pattern segment by segment; {id} and {sha} take one non-empty
 * segment, copied to seg (at most seglen - 1 bytes, longer ones truncated so they fail the
 * check that follows). Returns whether the whole path matched. */
static int
pattern_match(const char *pattern, const char *path, char *seg, size_t seglen)
{
	while (*pattern != '\0' && *path != '\0') {
		size_t tok = *pattern != '{'                       ? 0
			     : strncmp(pattern, "{id}", 4) == 0  ? 4
			     : strncmp(pattern, "{sha}", 5) == 0 ? 5
								  : 0;
		if (tok > 0) {
			size_t n = strcspn(path, "/");
			if (n == 0)
				return 0;
			snprintf(seg, seglen, "%.*s", (int)(n < seglen ? n : seglen), path);
			pattern += tok;
			path += n;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
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

enum route_match
route_find(const struct route *routes, size_t nroutes, const char *method, const char *path,
	   int *idx, char *param, char *allow, size_t allowlen)
{
	char seg[ROUTE_PARAM_MAX + 2] = "";
	int path_found = 0;

	allow[0] = '\0';
	for (size_t i = 0; i < nroutes; i++) {
		if (!pattern_match(routes[i].pattern, path, seg, sizeof(seg)))
			continue;
		path_found = 1;
		if (strcmp(routes[i].method, method) != 0) {
			size_t used = strlen(allow);
			snprintf(allow + used, allowlen - used, "%s%s", used > 0 ? ", " : "",
				 routes[i].method);
			continue;
		}
		*idx = (int)i;
		if (strstr(routes[i].pattern, "{id}") != NULL && !util_uuid_parse(seg, param))
			return ROUTE_BAD_ID;
		if (strstr(routes[i].pattern, "{sha}") != NULL && !sha_parse(seg, param))
			return ROUTE_BAD_ID;
		return ROUTE_FOUND;
	}
	return path_found ? ROUTE_NO_METHOD : ROUTE_NO_PATH;
}
