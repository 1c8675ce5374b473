/* web — the web page's files (see the header). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <openssl/evp.h>

#include "app.h"
#include "config.h"
#include "http/http.h"
#include "util.h"
#include "web.h"

static void h_web_index(struct req *r);
static void h_web_file(struct req *r);

const struct route web_routes[] = {
	{"GET", "/", h_web_index, ROUTE_PUBLIC},
	{"GET", "/web/{name}", h_web_file, ROUTE_PUBLIC},
};

const size_t web_nroutes = sizeof(web_routes) / sizeof(web_routes[0]);

/* A file as served: its type, and its ETag (the first 128 bits of its SHA-256), made once. */
struct served {
	const char *type;
	char etag[35];
};

static const struct {
	const char *ext, *type;
} types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".svg", "image/svg+xml"},
};

static const char *
type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* The ETag of bytes[0..len): the first 128 bits of their SHA-256 in hex, quoted. */
static void
etag_of(const void *bytes, size_t len, char etag[35])
{
	unsigned char md[UTIL_SHA256_LEN];
	unsigned int mdlen = sizeof(md);

	if (EVP_Digest(bytes, len, md, &mdlen, util_md_sha256(), NULL) != 1)
		memset(md, 0, sizeof(md));
	etag[0] = '"';
	for (size_t b = 0; b < 16; b++)
		snprintf(etag + 1 + 2 * b, 3, "%02x", md[b]);
	memcpy(etag + 33, "\"", 2);
}

/* The served form of asset i, made on first use (NULL past the files, or out of memory). */
static const struct served *
served(size_t i)
{
	static struct served *all;

	if (all == NULL) {
		if ((all = calloc(web_nassets + 1, sizeof(*all))) == NULL)
			return NULL;
		for (size_t k = 0; k < web_nassets; k++) {
			all[k].type = type_of(web_assets[k].name);
			etag_of(web_assets[k].bytes, web_assets[k].len, all[k].etag);
		}
	}
	return i < web_nassets ? &all[i] : NULL;
}

/* Whether If-None-Match (a list of ETags, or "*") names etag. */
static bool
matches(const char *header, const char *etag)
{
	size_t n = strlen(etag);

	if (header == NULL)
		return false;
	for (const char *p = header; *p != '\0'; p++) {
		if (*p == '*')
			return true;
		if (strncmp(p, etag, n) == 0 || (strncmp(p, "W/", 2) == 0 && strncmp(p + 2, etag, n) == 0))
			return true;
	}
	return false;
}

/* The headers every file of the page is sent with, its ETag among them. */
static void
headers(struct req *r, const char *etag)
{
	req_add_header(r, "ETag", etag);
	req_add_header(r, "Cache-Control", "no-cache");
	req_add_header(r, "Content-Security-Policy", WEB_CSP);
	req_add_header(r, "X-Content-Type-Options", "nosniff");
	req_add_header(r, "Referrer-Policy", "no-referrer");
	req_add_header(r, "X-Frame-Options", "DENY");
}

/* Working on the page (web_dir set): the file read from the folder now. */
static void
serve_dir(struct req *r, const char *dir, const char *name)
{
	char path[4096], etag[35];
	struct evbuffer *buf = NULL;
	FILE *f = NULL;
	char chunk[8192];
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL) {
		req_reply_problem(r, 404, "not-found", "The page has no file of this name.");
		return;
	}
	if ((buf = evbuffer_new()) == NULL) {
		fclose(f);
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		evbuffer_add(buf, chunk, n);
	fclose(f);
	etag_of(evbuffer_pullup(buf, -1), evbuffer_get_length(buf), etag);
	headers(r, etag);
	if (matches(evhttp_find_header(evhttp_request_get_input_headers(r->ev), "If-None-Match"),
		    etag))
		req_reply_empty(r, 304);
	else
		req_reply_buffer(r, 200, type_of(name), buf);
	evbuffer_free(buf);
}

static void
serve(struct req *r, const char *name)
{
	const struct served *s = NULL;
	struct evbuffer *buf;
	size_t i;

	if (r->app->cfg->web_dir != NULL && r->app->cfg->web_dir[0] != '\0') {
		serve_dir(r, r->app->cfg->web_dir, name);
		return;
	}
	for (i = 0; i < web_nassets; i++)
		if (strcmp(web_assets[i].name, name) == 0)
			break;
	if (i == web_nassets || (s = served(i)) == NULL) {
		req_reply_problem(r, 404, "not-found", "The page has no file of this name.");
		return;
	}
	headers(r, s->etag);
	if (matches(evhttp_find_header(evhttp_request_get_input_headers(r->ev), "If-None-Match"),
		    s->etag)) {
		req_reply_empty(r, 304);
		return;
	}
	if ((buf = evbuffer_new()) == NULL ||
	    evbuffer_add_reference(buf, web_assets[i].bytes, web_assets[i].len, NULL, NULL) != 0) {
		if (buf != NULL)
			evbuffer_free(buf);
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	req_reply_buffer(r, 200, s->type, buf);
	evbuffer_free(buf);
}

static void
h_web_index(struct req *r)
{
	serve(r, "index.html");
}

static void
h_web_file(struct req *r)
{
	serve(r, r->param);
}
