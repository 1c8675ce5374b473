/* routes — the map of the API: every path, method, handler and credential it accepts. */
#include <ctype.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "routes.h"
#include "util.h"

const struct route routes[] = {
	{"GET", "/healthz", h_health_live, ROUTE_PUBLIC},
	{"GET", "/readyz", h_health_ready, ROUTE_PUBLIC},
	{"GET", "/metrics", h_health_metrics, ROUTE_PUBLIC},
	{"GET", "/v1/authorities", h_authorities_list, ROUTE_PUBLIC},
	{"POST", "/v1/accounts", h_accounts_create, ROUTE_SERVICE},
	{"GET", "/v1/accounts/{id}", h_accounts_get, ROUTE_SERVICE | ROUTE_ACCOUNT},
	{"POST", "/v1/accounts/{id}/authorization-token", h_accounts_claim, ROUTE_LIMIT_ADDRESS},
	{"POST", "/v1/access-tokens", h_access_tokens_create, ROUTE_AUTHZ},
	{"DELETE", "/v1/access-tokens/current", h_access_tokens_revoke, ROUTE_ACCOUNT},
	{"GET", "/v1/me", h_me_get, ROUTE_ACCOUNT},
	{"GET", "/v1/voting-methods", h_methods_list, ROUTE_PUBLIC},
	{"POST", "/v1/voting-methods", h_methods_submit, ROUTE_LIMIT_ADDRESS},
	{"GET", "/v1/voting-methods/{sha}", h_methods_get, ROUTE_PUBLIC},
	{"POST", "/v1/decisions", h_decisions_create, ROUTE_SERVICE},
	{"GET", "/v1/decisions", h_decisions_list, ROUTE_SERVICE | ROUTE_ACCOUNT},
	{"GET", "/v1/decisions/{id}", h_decisions_get, ROUTE_SERVICE | ROUTE_ACCOUNT},
	{"POST", "/v1/decisions/{id}/franchise", h_decisions_franchise, ROUTE_SERVICE},
	{"POST", "/v1/decisions/{id}/proposals", h_proposals_create, ROUTE_ACCOUNT},
	{"GET", "/v1/decisions/{id}/proposals", h_proposals_list, ROUTE_SERVICE | ROUTE_ACCOUNT},
	{"POST", "/v1/decisions/{id}/ballots", h_ballots_cast, ROUTE_ACCOUNT},
	{"GET", "/v1/decisions/{id}/ballot", h_ballots_mine, ROUTE_ACCOUNT},
	{"GET", "/v1/decisions/{id}/result", h_decisions_result, ROUTE_PUBLIC},
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);

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
route_find(const char *method, const char *path, int *idx, char *param, char *allow,
	   size_t allowlen)
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
