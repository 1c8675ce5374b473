/* batch — a batched statement's requests (db_query_batched): those that arrive while the
 * statement's earlier batches run are gathered, and go together as one statement whose
 * every parameter is an array (one element per request), answered by rows that start
 * with the request's ordinal. At most BATCH_IN_FLIGHT batches of a statement run at once.
 * The pool (db.c) owns one per batched statement. */
#ifndef FREECOOP_BATCH_H
#define FREECOOP_BATCH_H

#include <stdbool.h>

#include "db.h"

struct batch;

/* The batch of stmt (at most DB_MAX_PARAMS parameters) on pool; NULL otherwise, or
 * without memory. */
struct batch *batch_new(struct db_pool *pool, const struct db_stmt *stmt);
void batch_free(struct batch *b);

/* Gathers one request; -1 without memory (nothing gathered, cb not called). */
int batch_add(struct batch *b, const struct db_param *params, db_batch_cb cb, void *arg);

/* Sends what gathered, unless BATCH_IN_FLIGHT batches run (closing: whatever runs). */
void batch_send(struct batch *b, bool closing);

/* Adds the batches b sent, and the requests they carried, to the counts. */
void batch_count(const struct batch *b, unsigned long long *sent, unsigned long long *requests);

#endif
