/* store — the list of statements every database connection prepares. */
#include "db/migrate.h"
#include "store.h"
#include "store_accounts.h"
#include "store_authorities.h"
#include "store_conclude.h"
#include "store_decisions.h"
#include "store_methods.h"
#include "store_tokens.h"

const struct db_stmt *const store_statements[] = {
	&stmt_service_by_key, &stmt_account_insert, &stmt_account_get,  &stmt_account_claim,
	&stmt_access_issue,   &stmt_authorization_lookup, &stmt_access_lookup,
	&stmt_access_revoke,  &stmt_access_purge,
	&stmt_authorities_list, &stmt_authority_is_decision, &stmt_migrations_list,
	&stmt_method_auditor, &stmt_method_add, &stmt_method_get, &stmt_methods_list,
	&stmt_decision_create, &stmt_decision_get, &stmt_decisions_list_service,
	&stmt_decisions_list_account, &stmt_franchise_add, &stmt_proposal_add,
	&stmt_proposals_list, &stmt_decision_key, &stmt_ballot_cast, &stmt_ballot_get,
	&stmt_result_get, &stmt_result_chunk, STORE_CONCLUDE_STATEMENTS,
};

const size_t store_nstatements = sizeof(store_statements) / sizeof(store_statements[0]);
