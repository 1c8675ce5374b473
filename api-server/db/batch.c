/* batch — the requests of one statement gathered while its earlier batches run, sent as
 * one statement whose parameters are arrays, and answered each from its row (see the
 * header). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "log.h"

/* At most this many batches of one statement run at once; requests arriving meanwhile
 * wait for one to finish and then go together. Measured on the 2-core bench machine:
 * 1 left PostgreSQL idle between batches, more than 2 made smaller, costlier batches. */
#define BATCH_IN_FLIGHT 2
/* A binary array's header: dimensions, flags, element type, length, lower bound. */
#define ARRAY_HEADER 20
#define OID_BYTEA 17
#define OID_TEXT 25

struct batch_item {
	db_batch_cb cb;
	void *arg;
};

/* One parameter of a batch: the bytes of a binary one-dimensional array, its header
 * written when the batch is sent, then each element as a big-endian length (-1: NULL)
 * and its bytes. */
struct batch_array {
	unsigned char *p;
	size_t len, cap;
	int binary; /* bytea elements; otherwise text */
};

/* Requests of one batched statement gathered since its last batch was sent. */
struct batch {
	struct db_pool *pool;
	const struct db_stmt *stmt;
	unsigned long long sent, requests; /* batches sent, and the requests they carried */
	int n, cap;
	int in_flight; /* batches of this statement sent and not yet answered */
	struct batch_item *items;
	struct batch_array arrays[DB_MAX_PARAMS];
};

/* One batch sent: the callbacks to fan the result out to. */
struct batch_flight {
	struct batch *b;
	int n;
	struct batch_item items[];
};

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	for (int i = 0; i < DB_MAX_PARAMS; i++)
		free(b->arrays[i].p);
	free(b->items);
	free(b);
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Appends one element (NULL when value is NULL) to a batch's array; -1 without memory. */
static int
array_put(struct batch_array *a, const struct db_param *v)
{
	size_t n = v->value == NULL ? 0 : v->binary ? (size_t)v->length : strlen(v->value);
	size_t need = (a->len == 0 ? ARRAY_HEADER : a->len) + 4 + n;

	if (need > a->cap) {
		size_t cap = a->cap == 0 ? 4096 : a->cap;
		unsigned char *p;
		while (cap < need)
			cap *= 2;
		if ((p = realloc(a->p, cap)) == NULL)
			return -1;
		a->p = p;
		a->cap = cap;
	}
	if (a->len == 0) {
		a->len = ARRAY_HEADER;
		a->binary = v->binary;
	}
	put_u32(a->p + a->len, v->value == NULL ? 0xffffffffu : (uint32_t)n);
	if (n > 0)
		memcpy(a->p + a->len + 4, v->value, n);
	a->len += 4 + n;
	return 0;
}


/* Fans the result of one batch out to its requests by the ordinal in column 0. */
static void
batch_done_cb(const struct db_result *r, void *arg)
{
	struct batch_flight *f = arg;
	int *row_of = NULL;

	/* What gathered while this one ran goes now, as one batch. */
	f->b->in_flight--;
	batch_send(f->b, db_pool_closing(f->b->pool));

	if (r->status == DB_OK && (row_of = malloc((size_t)f->n * sizeof(int))) != NULL) {
		for (int i = 0; i < f->n; i++)
			row_of[i] = -1;
		for (int row = 0; row < PQntuples(r->res); row++) {
			int i = atoi(PQgetvalue(r->res, row, 0)) - 1;
			if (i >= 0 && i < f->n)
				row_of[i] = row;
		}
	}
	for (int i = 0; i < f->n; i++) {
		struct db_result one = *r;

		one.slot = NULL; /* shared by the batch: nobody takes it */
		if (r->status == DB_OK && row_of == NULL)
			one.status = DB_UNAVAILABLE; /* out of memory: fail, don't guess */
		f->items[i].cb(&one, row_of != NULL ? row_of[i] : -1, f->items[i].arg);
	}
	free(row_of);
	free(f);
}

void
batch_send(struct batch *b, bool closing)
{
	struct db_param params[DB_MAX_PARAMS];
	struct batch_flight *f;

	if (b->n == 0 || (b->in_flight >= BATCH_IN_FLIGHT && !closing))
		return;
	if ((f = malloc(sizeof(*f) + (size_t)b->n * sizeof(struct batch_item))) == NULL) {
		/* No memory: the requests stay gathered; the next send, or the tick, tries
		 * again. */
		log_error("could not send a batch of %d requests: out of memory", b->n);
		return;
	}
	f->b = b;
	f->n = b->n;
	b->in_flight++;
	memcpy(f->items, b->items, (size_t)b->n * sizeof(struct batch_item));
	for (int i = 0; i < b->stmt->nparams; i++) {
		struct batch_array *a = &b->arrays[i];
		put_u32(a->p, 1);
		put_u32(a->p + 4, 1); /* may hold NULLs */
		put_u32(a->p + 8, a->binary ? OID_BYTEA : OID_TEXT);
		put_u32(a->p + 12, (uint32_t)b->n);
		put_u32(a->p + 16, 1);
		params[i] = db_bytes(a->p, (int)a->len);
		a->len = 0;
	}
	b->sent++;
	b->requests += (unsigned long long)b->n;
	b->n = 0;
	db_query(b->pool, b->stmt, params, batch_done_cb, f);
}

/* Makes room for one more request in b; -1 without memory. */
static int
batch_reserve(struct batch *b)
{
	struct batch_item *items;
	int cap;

	if (b->n < b->cap)
		return 0;
	cap = b->cap == 0 ? 64 : 2 * b->cap;
	if ((items = realloc(b->items, (size_t)cap * sizeof(*items))) == NULL)
		return -1;
	b->items = items;
	b->cap = cap;
	return 0;
}

struct batch *
batch_new(struct db_pool *pool, const struct db_stmt *stmt)
{
	struct batch *b;

	if (stmt->nparams > DB_MAX_PARAMS || (b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->pool = pool;
	b->stmt = stmt;
	return b;
}

int
batch_add(struct batch *b, const struct db_param *params, db_batch_cb cb, void *arg)
{
	size_t len[DB_MAX_PARAMS];
	int i;

	for (i = 0; i < b->stmt->nparams; i++)
		len[i] = b->arrays[i].len;
	if (batch_reserve(b) == 0) {
		for (i = 0; i < b->stmt->nparams; i++)
			if (array_put(&b->arrays[i], &params[i]) != 0)
				break;
	}
	if (b->n >= b->cap || i < b->stmt->nparams) {
		for (i = 0; i < b->stmt->nparams; i++) /* restored: nothing was added */
			b->arrays[i].len = len[i];
		return -1;
	}
	b->items[b->n].cb = cb;
	b->items[b->n].arg = arg;
	b->n++;
	return 0;
}

void
batch_count(const struct batch *b, unsigned long long *sent, unsigned long long *requests)
{
	*sent += b->sent;
	*requests += b->requests;
}
