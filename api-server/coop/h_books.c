/* h_books — a group's books over HTTP: its accounts, and its ledger's entries (posted,
 * read): HTTP and JSON in, the books' operations (books.h), JSON out. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "books.h"
#include "reports.h"
#include "util.h"
#include "coop.h"
#include "http/http.h"
#include "log.h"

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

static const struct body_field account_fields[] = {
	{"code", BODY_STRING, true, false, 1, 32},
	{"name", BODY_STRING, true, false, 1, 200},
	{"type", BODY_STRING, true, false, 1, 16},
	{"patronage", BODY_BOOL, false, false, 0, 0},
};

void
h_coop_ledger_account_open(struct req *r)
{
	struct coop *c = coop_of(r);
	struct json_object *body, *v;
	int patronage = -1;

	if (c == NULL || req_body(r, account_fields,
				  sizeof(account_fields) / sizeof(account_fields[0]), false,
				  &body) != 0)
		return;
	if (json_object_object_get_ex(body, "patronage", &v))
		patronage = json_object_get_boolean(v);
	books_account_open(c, &r->who, r->param, body_get_string(body, "code"),
			   body_get_string(body, "name"), body_get_string(body, "type"), patronage,
			   posted_cb, r);
	json_object_put(body);
}

static const struct body_field patronage_fields[] = {
	{"person", BODY_UUID, true, false, 0, 0},
	{"date", BODY_STRING, true, false, 10, 10},
	{"amount", BODY_INT, true, false, LLONG_MIN, LLONG_MAX},
};

void
h_coop_patronage_record(struct req *r)
{
	struct coop *c = coop_of(r);
	struct json_object *body;

	if (c == NULL || req_body(r, patronage_fields,
				  sizeof(patronage_fields) / sizeof(patronage_fields[0]), false,
				  &body) != 0)
		return;
	books_patronage_record(c, &r->who, r->param, body_get_string(body, "person"),
			       body_get_string(body, "date"),
			       json_object_get_int64(json_object_object_get(body, "amount")),
			       posted_cb, r);
	json_object_put(body);
}

void
h_coop_patronage(struct req *r)
{
	struct coop *c = coop_of(r);
	long long after;

	if (c != NULL && coop_query_after(r, &after) == 0)
		books_patronage(c, &r->who, r->param, after, read_cb, r);
}

void
h_coop_ledger_surplus(struct req *r)
{
	struct coop *c = coop_of(r);
	int year;

	if (c != NULL && coop_query_year(r, &year) == 0)
		books_surplus(c, &r->who, r->param, year, read_cb, r);
}

/* An export streamed out: each piece of text written out before the next is read. */
struct export_out {
	struct req *r; /* NULL once its connection closed */
	struct books_export *x;
	enum books_format format;
	bool reading; /* a piece is being read */
	bool started; /* the status line and headers are out */
};

static void export_written(void *arg);
static void export_gone(void *arg);

static void
export_out_free(struct export_out *s)
{
	books_export_free(s->x);
	free(s);
}

/* The first piece (the head) starts the reply: a problem before it is the answer. */
static int
export_begin(struct export_out *s, const struct problem *no)
{
	bool journal = s->format == BOOKS_HLEDGER;

	if (no != NULL) {
		req_reply_refusal(s->r, no);
		return -1;
	}
	req_add_header(s->r, "Content-Disposition", journal
			   ? "attachment; filename=\"books.journal\""
			   : "attachment; filename=\"books.csv\"");
	if (req_stream_start(s->r, 200, journal ? "text/plain; charset=utf-8"
						: "text/csv; charset=utf-8",
			     REQ_STREAM_UNKNOWN, export_written, export_gone, s) != 0) {
		req_reply_problem(s->r, 503, "service-unavailable",
				  "The export cannot be sent now; retry shortly.");
		return -1;
	}
	s->started = true;
	return 0;
}

static void
export_piece(void *arg, const struct problem *no, struct books_export *x, const char *text)
{
	struct export_out *s = arg;
	struct evbuffer *buf;

	s->reading = false;
	s->x = x;
	if (s->r == NULL) { /* the client left meanwhile */
		export_out_free(s);
		return;
	}
	if (!s->started && export_begin(s, no) != 0) {
		export_out_free(s);
		return;
	}
	if (no != NULL) { /* mid-body: the client sees the body cut (no last chunk) */
		req_log(s->r, LOGL_WARN, "export of group %s cut: %s", s->r->param, no->detail);
		req_stream_cut(s->r); /* runs export_gone, which frees s */
		return;
	}
	if (text[0] == '\0') { /* none left */
		req_stream_end(s->r);
		export_out_free(s);
		return;
	}
	if ((buf = evbuffer_new()) == NULL || evbuffer_add(buf, text, strlen(text)) != 0) {
		if (buf != NULL)
			evbuffer_free(buf);
		req_log(s->r, LOGL_WARN, "export of group %s cut: out of memory", s->r->param);
		req_stream_cut(s->r);
		return;
	}
	req_stream_write(s->r, buf);
	evbuffer_free(buf);
}

static void
export_written(void *arg)
{
	struct export_out *s = arg;

	s->reading = true;
	books_export_next(s->x, export_piece, s);
}

static void
export_gone(void *arg)
{
	struct export_out *s = arg;

	s->r = NULL;
	if (!s->reading)
		export_out_free(s);
}

void
h_coop_ledger_export(struct req *r)
{
	struct coop *c = coop_of(r);
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->ev)), *v = NULL;
	struct evkeyvalq q;
	struct export_out *s;
	int format = -1;

	if (c == NULL)
		return;
	TAILQ_INIT(&q);
	if (query != NULL && evhttp_parse_query_str(query, &q) == 0)
		v = evhttp_find_header(&q, "format");
	if (v != NULL && strcmp(v, "hledger") == 0)
		format = BOOKS_HLEDGER;
	else if (v != NULL && strcmp(v, "csv") == 0)
		format = BOOKS_CSV;
	evhttp_clear_headers(&q);
	if (format < 0) {
		req_reply_problem(r, 422, "invalid-request",
				  "Give the format as ?format=hledger or ?format=csv.");
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	s->r = r;
	s->format = (enum books_format)format;
	s->reading = true;
	books_export_start(c, &r->who, r->param, s->format, export_piece, s);
}

/* The query's date parameter name into out (YYYY-MM-DD), or def when absent (NULL: it is
 * required); 0, or -1 having answered 422. */
static int
query_date(struct req *r, struct evkeyvalq *q, const char *name, const char *def, char out[11])
{
	const char *v = evhttp_find_header(q, name);

	if (v == NULL && def != NULL)
		v = def;
	if (v == NULL || !books_valid_date(v)) {
		req_reply_problem(r, 422, "invalid-request", "The query's %s is a date YYYY-MM-DD.",
				  name);
		return -1;
	}
	memcpy(out, v, 10);
	out[10] = '\0';
	return 0;
}

static int
query_parse(struct req *r, struct evkeyvalq *q)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->ev));

	TAILQ_INIT(q);
	if (query != NULL && evhttp_parse_query_str(query, q) != 0) {
		req_reply_problem(r, 422, "invalid-request", "The query cannot be read.");
		return -1;
	}
	return 0;
}

void
h_coop_balance_sheet(struct req *r)
{
	struct coop *c = coop_of(r);
	struct evkeyvalq q;
	char today[40], at[11];

	if (c == NULL || query_parse(r, &q) != 0)
		return;
	util_time_format(util_realtime_us(), today);
	today[10] = '\0';
	if (query_date(r, &q, "at", today, at) == 0)
		reports_balance_sheet(c, &r->who, r->param, at, read_cb, r);
	evhttp_clear_headers(&q);
}

void
h_coop_income_statement(struct req *r)
{
	struct coop *c = coop_of(r);
	struct evkeyvalq q;
	char from[11], to[11];

	if (c == NULL || query_parse(r, &q) != 0)
		return;
	if (query_date(r, &q, "from", NULL, from) == 0 && query_date(r, &q, "to", NULL, to) == 0) {
		if (strcmp(from, to) > 0)
			req_reply_problem(r, 422, "invalid-request", "The period ends before it "
					  "starts (from is after to).");
		else
			reports_income_statement(c, &r->who, r->param, from, to, read_cb, r);
	}
	evhttp_clear_headers(&q);
}

void
h_coop_members_report(struct req *r)
{
	struct coop *c = coop_of(r);

	if (c != NULL)
		reports_members(c, &r->who, r->param, read_cb, r);
}

static void
statement_cb(void *arg, const struct problem *no, const char *pointer, const char *jws)
{
	(void)pointer;
	coop_reply_text(arg, no, jws, "application/jose", "Cache-Control", "private, no-store");
}

void
h_coop_statement(struct req *r)
{
	struct coop *c = coop_of(r);
	int year;

	if (c != NULL && coop_query_year(r, &year) == 0)
		reports_statement(c, &r->who, r->param, r->param2, year, statement_cb, r);
}
