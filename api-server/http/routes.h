/* routes — the route table and how a request finds its route. */
#ifndef FREECOOP_ROUTES_H
#define FREECOOP_ROUTES_H

#include <stddef.h>

#include "http.h"

enum route_match {
	ROUTE_FOUND,     /* *idx is the route; param holds the {id} or {sha} segment, lowercased */
	ROUTE_NO_PATH,   /* no pattern matches the path */
	ROUTE_NO_METHOD, /* patterns match but not with this method; allow lists the methods */
	ROUTE_BAD_ID,    /* the route matches but its {id} segment is not a UUID ({sha}: not
			  * 64 hexadecimal digits) */
};

/* Looks up method + path (the URI's path, without query) in routes[]. param must hold
 * ROUTE_PARAM_MAX + 1 bytes; allow gets e.g. "GET, POST" (NUL-terminated, truncated to
 * allowlen). */
enum route_match route_find(const char *method, const char *path, int *idx, char *param,
			    char *allow, size_t allowlen);

/* The handlers, one file per resource (h_<resource>.c). */
void h_health_live(struct req *r);
void h_health_ready(struct req *r);
void h_health_metrics(struct req *r);
void h_authorities_list(struct req *r);
void h_accounts_create(struct req *r);
void h_accounts_get(struct req *r);
void h_accounts_claim(struct req *r);
void h_me_get(struct req *r);
void h_access_tokens_create(struct req *r);
void h_access_tokens_revoke(struct req *r);
void h_methods_list(struct req *r);
void h_methods_submit(struct req *r);
void h_methods_get(struct req *r);
void h_decisions_create(struct req *r);
void h_decisions_list(struct req *r);
void h_decisions_get(struct req *r);
void h_decisions_franchise(struct req *r);
void h_decisions_result(struct req *r);
void h_proposals_create(struct req *r);
void h_proposals_list(struct req *r);
void h_ballots_cast(struct req *r);
void h_ballots_mine(struct req *r);

#endif
