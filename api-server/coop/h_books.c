/* h_books — a group's books over HTTP: its accounts, and its ledger's entries (posted,
 * read): HTTP and JSON in, the books' operations (books.h), JSON out. */
#include <limits.h>

#include "books.h"
#include "coop.h"
#include "http/http.h"

static void
read_cb(void *arg, const struct problem *no, const char *pointer, const char *json)
{
	coop_reply(arg, 200, no, pointer, json);
}

static void
posted_cb(void *arg, const struct problem *no, const char *pointer, const char *json)
{
	coop_reply(arg, 201, no, pointer, json);
}

void
h_coop_ledger_accounts(struct req *r)
{
	struct coop *c = coop_of(r);

	if (c != NULL)
		books_accounts(c, &r->who, r->param, read_cb, r);
}

static const struct body_field entry_fields[] = {
	{"date", BODY_STRING, true, false, 10, 10},
	{"memo", BODY_STRING, false, false, 0, BOOKS_MEMO_MAX},
	{"postings", BODY_ARRAY, true, false, 2, BOOKS_MAX_POSTINGS},
	{"reverses", BODY_UUID, false, false, 0, 0},
	{"opening", BODY_BOOL, false, false, 0, 0},
};

void
h_coop_ledger_post(struct req *r)
{
	struct coop *c = coop_of(r);
	struct json_object *body;

	if (c == NULL || req_body(r, entry_fields, sizeof(entry_fields) / sizeof(entry_fields[0]),
				  false, &body) != 0)
		return;
	books_post(c, &r->who, r->param, body, posted_cb, r);
	json_object_put(body);
}

void
h_coop_ledger_entries(struct req *r)
{
	struct coop *c = coop_of(r);
	long long after;

	if (c != NULL && coop_query_after(r, &after) == 0)
		books_entries(c, &r->who, r->param, after, read_cb, r);
}
