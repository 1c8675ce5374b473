/* charter — a group's charter (DESIGN §10.4): its validation against the fixed schema, the
 * default worker co-op charter, and the few reads FreeCoop makes of a valid one.
 *
 * Pure: json-c objects in, values out; no I/O, no core. Whether each method a charter names
 * is a stored, audited method is checked elsewhere, asynchronously (charter_methods lists
 * them). Every read below other than charter_validate assumes a charter it accepted. */
#ifndef FREECOOP_CHARTER_H
#define FREECOOP_CHARTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define CHARTER_NAME_MAX 32             /* bytes of a role's or a decision type's name */
#define CHARTER_MAX_ROLES 64            /* roles in a charter */
#define CHARTER_MAX_TYPES 64            /* decision types in a charter */
#define CHARTER_METHOD_LEN 64           /* a method id: lowercase hex SHA-256 */
#define CHARTER_PHASE_MAX (366 * 86400) /* seconds of a proposal or voting phase */
#define CHARTER_POINTER_MAX 160         /* holds the pointer of any fault */
#define CHARTER_DETAIL_MAX 256
#define CHARTER_SIZE_MAX 65536          /* bytes of a charter's JSON (413 beyond) */

/* The role names held by at least one member of the group (at founding: the charter's
 * founder_roles). Borrowed by whoever reads it. */
struct charter_held {
	const char *const *roles;
	size_t n;
};

/* What charter_validate refuses: where (an RFC 6901 JSON pointer into the charter, "" for
 * the charter itself, e.g. "/decision_types/admit/vote/0") and why, as a sentence. */
struct charter_fault {
	char pointer[CHARTER_POINTER_MAX];
	char detail[CHARTER_DETAIL_MAX];
};

enum charter_effect {
	CHARTER_RESOLUTION,
	CHARTER_ADMIT_MEMBER,
	CHARTER_REMOVE_MEMBER,
	CHARTER_ASSIGN_ROLE,
	CHARTER_REVOKE_ROLE,
	CHARTER_AMEND_CHARTER,
	CHARTER_APPROVE_EXPENSE,
	CHARTER_ALLOCATE_SURPLUS,
};

/* A decision type, read from a valid charter; everything is borrowed from it. */
struct charter_type {
	enum charter_effect effect;
	struct json_object *start, *propose, *vote; /* arrays of role names */
	const char *method;                         /* CHARTER_METHOD_LEN lowercase hex */
	int64_t proposal_seconds, voting_seconds;   /* 1 to CHARTER_PHASE_MAX */
};

/* Checks charter whole against §10.4, and that a group whose members hold the roles in held
 * (NULL: the charter's own founder_roles, as at founding) could still start and adopt an
 * amend_charter decision. Returns 0, or -1 with the first fault in fault (members are
 * checked in the schema's order, each object's unknown members before its missing ones).
 * Allocates nothing; reads at most a bounded number of items whatever the charter holds. */
int charter_validate(struct json_object *charter, const struct charter_held *held,
		     struct charter_fault *fault);

/* The distinct method ids a valid charter names, in its decision types' order: writes the
 * first cap of them into out (borrowed from charter) and returns how many there are (at most
 * CHARTER_MAX_TYPES). */
size_t charter_methods(struct json_object *charter, const char **out, size_t cap);

/* The minor-unit exponent of ISO 4217 code code (EUR 2, JPY 0, BHD 3, CLF 4), or -1 when
 * code is not an active code of a currency or fund that has a minor unit. */
int charter_currency_exponent(const char *code);

/* A new default worker co-op charter (README) whose types use the methods yes_no_id and,
 * for amend_charter and remove_member, two_thirds_id (each CHARTER_METHOD_LEN lowercase
 * hex). The caller puts it. NULL when an id is not one, or without memory. */
struct json_object *charter_default(const char *yes_no_id, const char *two_thirds_id);

/* Whether role is a role of charter that grants permission (e.g. "record_expense"). */
bool charter_role_permits(struct json_object *charter, const char *role, const char *permission);

/* Role role's limit named limit ("expense_per_entry" or "expense_per_month") in minor units,
 * or -1 when the role sets none (no limit). */
int64_t charter_role_limit(struct json_object *charter, const char *role, const char *limit);

/* Whether one of the role names in held is in roles (an array of role names: a decision
 * type's start, propose or vote, or founder_roles). */
bool charter_held_any(const struct charter_held *held, struct json_object *roles);

/* Reads decision type name of charter into *out; returns 0, or -1 when there is no such
 * type. */
int charter_type_get(struct json_object *charter, const char *name, struct charter_type *out);

/* The effect's name in a charter ("amend_charter"); a static string. */
const char *charter_effect_name(enum charter_effect effect);

/* The effect named name into *out; 0, or -1 when there is none of that name. */
int charter_effect_parse(const char *name, enum charter_effect *out);

/* The share key ("reserve_share" or "cash_share") of a valid charter's accounting as n/d
 * (0 <= n <= d, 0 < d < 10^9); returns 0, or -1 for another key. */
int charter_share(struct json_object *charter, const char *key, int64_t *n, int64_t *d);

#endif
