/* store — FreeCoop's SQL, on schema coop only; the only FreeCoop file that reads SQL
 * results. Each function sends one statement on the server's pool and calls back with
 * plain values, or with the database's problem. */
#ifndef FREECOOP_COOP_STORE_H
#define FREECOOP_COOP_STORE_H

#include <stdbool.h>

#include "core/core.h"
#include "db/db.h"

extern const struct db_stmt coop_stmt_signup_open, coop_stmt_person_add, coop_stmt_group_found,
	coop_stmt_group_get, coop_stmt_group_members, coop_stmt_group_charter,
	coop_stmt_group_log, coop_stmt_me, coop_stmt_apply, coop_stmt_applications,
	coop_stmt_decision_context, coop_stmt_decision_add, coop_stmt_decisions_list,
	coop_stmt_comment_add, coop_stmt_comments, coop_stmt_effect_decision,
	coop_stmt_effect_context, coop_stmt_effect_apply, coop_stmt_result, coop_stmt_accounts,
	coop_stmt_post_context, coop_stmt_ledger_append, coop_stmt_entries,
	coop_stmt_patronage_context, coop_stmt_account_context, coop_stmt_patronage,
	coop_stmt_surplus_context, coop_stmt_export, coop_stmt_export_page, coop_stmt_balances_at,
	coop_stmt_income_statement, coop_stmt_members_report, coop_stmt_statement_person;

#define COOP_STORE_STATEMENTS                                                                \
	&coop_stmt_signup_open, &coop_stmt_person_add, &coop_stmt_group_found,               \
		&coop_stmt_group_get, &coop_stmt_group_members, &coop_stmt_group_charter,    \
		&coop_stmt_group_log, &coop_stmt_me, &coop_stmt_apply,                        \
		&coop_stmt_applications, &coop_stmt_decision_context, &coop_stmt_decision_add, \
		&coop_stmt_decisions_list, &coop_stmt_comment_add, &coop_stmt_comments,      \
		&coop_stmt_effect_decision, &coop_stmt_effect_context, &coop_stmt_effect_apply, \
		&coop_stmt_result, &coop_stmt_accounts, &coop_stmt_post_context,             \
		&coop_stmt_ledger_append, &coop_stmt_entries, &coop_stmt_patronage_context,  \
		&coop_stmt_account_context, &coop_stmt_patronage, &coop_stmt_surplus_context, \
		&coop_stmt_export, &coop_stmt_export_page, &coop_stmt_balances_at, &coop_stmt_income_statement,       \
		&coop_stmt_members_report, &coop_stmt_statement_person

/* Whether sign-up is open, or why it could not be read. */
void coop_store_signup_open(struct db_pool *db, void (*cb)(void *arg, const struct problem *no,
							   bool open),
			    void *arg);

/* Records the person whose core account is id, named name: created_at (RFC 3339), or why
 * not. */
void coop_store_person_add(struct db_pool *db, const char *id, const char *name,
			   void (*cb)(void *arg, const struct problem *no,
				      const char *created_at),
			   void *arg);

/* A read whose one row is the answer as JSON text (json NULL: no row, e.g. not a
 * member), or why not. */
typedef void (*coop_store_json_cb)(void *arg, const struct problem *no, const char *json);

/* Runs one of the reads (coop_stmt_group_get ... coop_stmt_me) with params; a batched one
 * (coop_stmt_me) with many others at once. */
void coop_store_json(struct db_pool *db, const struct db_stmt *stmt,
		     const struct db_param *params, coop_store_json_cb cb, void *arg);

/* Whether an application could be made, and the application as JSON when it was. */
enum coop_apply_outcome { COOP_APPLIED, COOP_NO_GROUP, COOP_IS_MEMBER, COOP_PENDING };

/* Person applies to group gid with message (NULL: none), the application's id being id. */
void coop_store_apply(struct db_pool *db, const char *gid, const char *person, const char *id,
		      const char *message,
		      void (*cb)(void *arg, const struct problem *no, enum coop_apply_outcome o,
				 const char *json),
		      void *arg);

/* A decision started: its core id, group, type, effect, title, charter version, starter,
 * and phases (RFC 3339). */
struct coop_decision_row {
	const char *id, *group, *type, *effect, *title, *charter_version, *started_by;
	const char *phases[4];
};

/* Records it; json is the decision as the start answers it. */
void coop_store_decision_add(struct db_pool *db, const struct coop_decision_row *d,
			     coop_store_json_cb cb, void *arg);

/* A group being founded: its id, name and creation time, its charter and the names of its
 * methods (JSON texts), its founder and the founder's roles (a text[] literal), and its
 * log's first entry as signed (canonical JSON) with its hash. */
struct coop_founding {
	const char *id, *name, *at;
	const char *charter, *methods;
	const char *founder, *roles;
	const char *entry, *hash;
};

/* Stores a founding in one transaction; json is the group as GET answers it. */
void coop_store_group_found(struct db_pool *db, const struct coop_founding *f,
			    coop_store_json_cb cb, void *arg);

/* A decision applied to its group (DESIGN §10.6), every value as text: the group, the seq
 * its log ends at now, the new head and the new log entries (a JSON array of {seq, hash,
 * entry}: the decision's, then one for each ledger entry it posts), the decision and its outcome
 * ("applied" or "failed"), the applied actions and the refused ones (JSON arrays), the
 * result JWS and its hex SHA-256, the changes (JSON, see coop_stmt_effect_apply), the
 * charter version after, and the time (RFC 3339). */
struct coop_effect {
	const char *group, *after_seq, *hash, *entry, *decision, *outcome, *applied, *refused;
	const char *jws, *result, *changes, *charter_version, *at;
};

/* Applies it in one transaction: json "1", or "0" when the log no longer ends at after_seq
 * or the decision was applied meanwhile (nothing written). */
void coop_store_effect_apply(struct db_pool *db, const struct coop_effect *e,
			     coop_store_json_cb cb, void *arg);

/* The result kept for decision id of group gid, as member who reads it: the decision's
 * state, and the JWS (len bytes) once applied (else NULL); state NULL when who is not a
 * member or id not a decision of the group. */
void coop_store_result(struct db_pool *db, const char *gid, const char *who, const char *id,
		       void (*cb)(void *arg, const struct problem *no, const char *state,
				  const char *jws, size_t len),
		       void *arg);

/* A ledger entry appended to a group's log, every value as text: the group, the seq its
 * log ends at now, the entry's hash and canonical JSON, its time (RFC 3339), and what it
 * records (JSON: see coop_stmt_ledger_append). */
struct coop_append {
	const char *group, *after_seq, *hash, *entry, *at, *what;
};

/* Appends it, durably, batched with the appends of other requests (one statement, one
 * commit): json "1", or NULL when the log no longer ends at after_seq (nothing written). */
void coop_store_ledger_append(struct db_pool *db, const struct coop_append *a,
			      coop_store_json_cb cb, void *arg);

#endif
