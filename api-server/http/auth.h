/* auth — resolving the Authorization header into the request's principal. */
#ifndef FREECOOP_AUTH_H
#define FREECOOP_AUTH_H

#include "http.h"

/* Admits a request to its route (any route with a flag; see http.h) and runs the
 * route's handler: for ROUTE_LIMIT_ADDRESS, the client address's limit; for a route that
 * takes credentials, the bearer token checked against the route's flags, the token's
 * limit, a lookup of the service or account it stands for (r->who, r->cred_*), then the
 * account's and the service's limits. A refusal is answered here: 401, 429 rate-limited,
 * or 503 when the database is down. */
void auth_resolve(struct req *r);

#endif
