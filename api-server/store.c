/* store — the list of statements every database connection prepares. */
#include "migrate.h"
#include "store.h"
#include "store_accounts.h"
#include "store_authorities.h"
#include "store_tokens.h"

const struct db_stmt *const store_statements[] = {
	&stmt_service_by_key, &stmt_account_insert, &stmt_account_get,  &stmt_account_claim,
	&stmt_access_issue,   &stmt_access_lookup,  &stmt_access_revoke, &stmt_access_purge,
	&stmt_authorities_list, &stmt_authority_is_decision, &stmt_migrations_list,
};

const size_t store_nstatements = sizeof(store_statements) / sizeof(store_statements[0]);
