/* web — the web page (DESIGN §10.8): the files of api-server/web/site, embedded in the
 * server when it is built (cmake/embed_web.cmake), served at / (index.html) and at
 * /web/<name>. Each answer carries its ETag (a GET with If-None-Match of it is answered
 * 304), Cache-Control no-cache (always revalidated, so a new page is seen at once) and a
 * content security policy that lets the page load nothing but its own files and talk to
 * nothing but this server. */
#ifndef FREECOOP_WEB_H
#define FREECOOP_WEB_H

#include <stddef.h>

#include "http/routes.h"

/* One embedded file. */
struct web_asset {
	const char *name;
	const unsigned char *bytes;
	size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_nassets;

/* The policy every file of the page is served with. */
#define WEB_CSP                                                                              \
	"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; "  \
	"object-src 'none'"

/* The page's routes, appended to the HTTP API's. */
extern const struct route web_routes[];
extern const size_t web_nroutes;

#endif
