/* conclude — the conclusion job (DESIGN §5): every instance looks for decisions whose
 * voting phase has closed, claims one with a lease (store_conclude.h), reads its inputs,
 * opens the ballots, pseudonymises every account id (§7), has the count-worker count,
 * builds and signs the result document, and stores it — concluded, or failed with a
 * signed failure document when the method erred.
 *
 * Up to conclude_concurrency conclusions at a time per instance, claimed fairly across
 * services (store_conclude.h); the CPU-heavy steps (opening a million ballots, writing and
 * signing the document) run on threads so the event loop keeps serving. The lease is
 * renewed while a conclusion runs; if it is lost, it ends without storing. A
 * count the worker could not run (it was down) is retried without counting the attempt;
 * other failures (the database, a broken worker) are retried with back-off, and after
 * conclude_max_attempts the decision fails with a signed document saying why.
 *
 * The authority key's registration is checked again every authority_check_ms, and once
 * more in the transaction that stores each document: a revoked key stops signing without
 * a restart, and conclusions wait until the key is registered again. */
#ifndef FREECOOP_CONCLUDE_H
#define FREECOOP_CONCLUDE_H

#include <stdbool.h>
#include <stdint.h>

struct db_pool;

struct app;
struct conclusion;

struct conclude_stats {
	uint64_t concluded, failed, retried, lost;
	uint64_t events; /* service events written with the results */
	int running;          /* conclusions under way now */
	bool authority_valid; /* the key may sign (last check) */
};

/* Starts the job on app's loop (polling every conclude_poll_ms). bulk is the pool for the
 * large reads and the store. authority_id is the kid of app->keys->authority. Returns
 * NULL on allocation failure. */
struct conclusion *conclude_new(struct app *app, struct db_pool *bulk, const char *authority_id);

/* Stops the job: a running count is abandoned (its lease expires and an instance retries
 * it); waits for a running thread step. Call it before freeing the pools and the worker
 * client (their callbacks then only clean up), and conclude_free after them. NULL-safe. */
void conclude_stop(struct conclusion *c);

/* Frees the job (stopping it first if needed). NULL-safe. */
void conclude_free(struct conclusion *c);

void conclude_get_stats(const struct conclusion *c, struct conclude_stats *st);

#endif
