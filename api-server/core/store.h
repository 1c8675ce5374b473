/* store — every SQL statement the server runs, one store module per resource.
 *
 * Each store function sends one prepared statement and calls its caller back with what the
 * rows hold, as structs (types.h); only the store reads SQL results. Nothing above the
 * store holds SQL. */
#ifndef FREECOOP_STORE_H
#define FREECOOP_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"
#include "principal.h"
#include "problem.h"
#include "types.h"
#include "util.h"

/* RFC 3339 UTC text of a timestamptz column, for SELECT lists. */
#define STORE_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* What a credential stands for: who (valid during the call) when found is CRED_OK, and
 * left_us, the time an access token had left when the database read it (0 for a credential
 * that does not expire); no != NULL when the database failed. */
typedef void (*store_principal_cb)(void *arg, const struct problem *no,
				   enum core_credential found, const struct principal *who,
				   uint64_t left_us);

/* A store call in flight: the caller's typed callback (called through its own type), its
 * argument, and the hash the answer is checked against. */
struct store_call {
	void (*cb)(void);
	void *arg;
	unsigned char hash[UTIL_SHA256_LEN];
};

/* A new call for cb(arg) (free it once cb ran); NULL without memory. */
struct store_call *store_call_new(void (*cb)(void), void *arg);

/* Sets c to a new call for cb(arg); without memory, runs fail — cb's own call with the
 * problem p_ (a 500) — and returns from the calling function. */
#define STORE_CALL(c, cb, arg, fail)                                                         \
	do {                                                                                 \
		struct problem no_;                                                          \
		if (((c) = store_call_new((void (*)(void))(cb), (arg))) == NULL) {           \
			const struct problem *p_ =                                           \
				problem_set(&no_, 500, "internal-error", "Out of memory.");  \
			fail;                                                                \
			return;                                                              \
		}                                                                            \
	} while (0)

/* The outcome of a statement whose rows say nothing: NULL, or why it failed. */
typedef void (*store_done_cb)(void *arg, const struct problem *no);

/* Runs stmt with params, then cb (at once with a 500 when memory ran out). */
void store_exec(struct db_pool *db, const struct db_stmt *stmt, const struct db_param *params,
		store_done_cb cb, void *arg);

/* Whether a statement found its row (exactly one), or why not. */
typedef void (*store_found_cb)(void *arg, const struct problem *no, bool found);

/* Runs stmt with params, then cb with whether it returned exactly one row. */
void store_found(struct db_pool *db, const struct db_stmt *stmt, const struct db_param *params,
		 store_found_cb cb, void *arg);

/* Whether the hex text "\\x..." the database returned equals hash, in constant time. */
bool store_hash_matches(const char *db_hex, const unsigned char hash[UTIL_SHA256_LEN]);

/* Sets who from row of an account lookup: columns 1 account id, 2 account name (NULL if
 * none), 3 account created_at, 4 service id, 5 service name. */
void store_account_principal(const PGresult *res, int row, struct principal *who);

/* Before serving, on a connection of its own (blocking; waiting up to wait_s seconds for
 * the database): the schema must be exactly the one this server was built for, every
 * statement must prepare, and authority_pub (read from key_file) must be a registered,
 * unrevoked decision authority, whose id goes to authority_id. Returns 0, or -1 (logged). */
int store_startup_check(const char *conninfo, int wait_s, const unsigned char authority_pub[32],
			const char *key_file, char authority_id[UTIL_UUID_LEN + 1]);

/* Every statement, to prepare on each connection (store.c). */
extern const struct db_stmt *const store_statements[];
extern const size_t store_nstatements;

#endif
