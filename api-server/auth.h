/* auth — resolving the Authorization header into the request's principal. */
#ifndef FREECOOP_AUTH_H
#define FREECOOP_AUTH_H

#include "http.h"

/* Checks the request's bearer token against its route's flags, looks up the service or
 * account it stands for, fills r->who and r->cred_*, then runs the route's handler. Any
 * failure is answered here with a 401 problem (or 503 when the database is down). */
void auth_resolve(struct req *r);

#endif
