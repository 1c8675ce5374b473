/* routes — the route table and how a request finds its route. */
#ifndef FREECOOP_ROUTES_H
#define FREECOOP_ROUTES_H

#include <stddef.h>

struct req;

/* What a route accepts as credentials, and what limits it (flags). A route without any
 * flag goes straight to its handler; every other one through auth_resolve first. */
#define ROUTE_PUBLIC 0
#define ROUTE_SERVICE 0x1 /* a service key; the service is looked up before the handler */
#define ROUTE_ACCOUNT 0x2 /* an access token; the account is looked up before the handler */
#define ROUTE_AUTHZ 0x4   /* an authorization token; its account is looked up likewise */
#define ROUTE_CREDENTIALS (ROUTE_SERVICE | ROUTE_ACCOUNT | ROUTE_AUTHZ)
/* Limited per client address (rate_limit_address) before the handler: the public routes
 * whose work a stranger could multiply (a write, a lookup, a signature check). */
#define ROUTE_LIMIT_ADDRESS 0x8

typedef void (*route_handler)(struct req *r);

/* The longest path parameter: {sha}, a SHA-256 in hex. */
#define ROUTE_PARAM_MAX 64
/* Parameters one path may hold: /coop/v1/groups/{gid}/decisions/{id}. */
#define ROUTE_MAX_PARAMS 2

struct route {
	const char *method;  /* "GET", "POST", "DELETE" */
	/* "/v1/accounts/{id}": {id} and {gid} match one UUID segment, {sha} 64 hexadecimal
	 * digits, {n} a whole number from 1 to 999999999, {name} a file name of the web page
	 * ([a-z0-9_-]+ and .html, .js, .css or .svg) */
	const char *pattern;
	route_handler handler;
	int flags;
};

enum route_match {
	ROUTE_FOUND,     /* *idx is the route; params hold its parameters in path order,
			  * lowercased */
	ROUTE_NO_PATH,   /* no pattern matches the path */
	ROUTE_NO_METHOD, /* patterns match but not with this method; allow lists the methods */
	ROUTE_BAD_ID,    /* the route matches but a parameter is not what it names (a UUID,
			  * 64 hexadecimal digits, a whole number) */
};

/* Looks up method + path (the URI's path, without query) in the table routes of nroutes
 * routes; params gets the route's parameters (unused ones empty); allow gets e.g.
 * "GET, POST" (NUL-terminated, truncated to allowlen). */
enum route_match route_find(const struct route *routes, size_t nroutes, const char *method,
			    const char *path, int *idx,
			    char params[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX + 1], char *allow,
			    size_t allowlen);

#endif
