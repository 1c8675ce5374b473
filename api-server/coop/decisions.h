/* decisions — the decisions a group starts (DESIGN §10.5): typed by its charter, created at
 * the core by FreeCoop's service with the type's method, phases from now, franchises
 * snapshotted from the current holders of the type's propose and vote roles, and the
 * actions as the service's own proposals; the group's list of them. */
#ifndef FREECOOP_DECISIONS_H
#define FREECOOP_DECISIONS_H

#include <json-c/json.h>

#include "charter.h"
#include "groups.h"

/* Actions a decision may start with (the core's max_proposals may allow fewer). */
#define DECISIONS_MAX_ACTIONS 1000

/* Why an action is not one: where in it (a JSON pointer relative to the action, "" for the
 * action itself) and a sentence. */
struct decisions_fault {
	char pointer[CHARTER_POINTER_MAX + 16];
	char detail[CHARTER_DETAIL_MAX + 64];
};

/* Checks action a against effect (DESIGN §10.5) and charter, the one in force (its roles;
 * an amendment's new charter is validated whole, with the lock-in check against held, the
 * roles members hold). Returns 0; -1 with the fault; 1 when effect is one this instance
 * cannot apply (none of the charter's effects, today). Checks only the action itself, not the
 * group's state (whether the person is a member, and so on). */
int decisions_action_check(enum charter_effect effect, struct json_object *charter,
			   const struct charter_held *held, struct json_object *a,
			   struct decisions_fault *f);

/* Starts a decision of type in group gid with title and actions (a JSON array), by who, a
 * member holding one of the type's start roles: 404 not-found for a non-member, 422
 * unknown-type, 403 not-permitted (no start role), 422 invalid-action with the pointer of
 * the faulty member (/proposals/i/...), or the core's refusal. */
void decisions_start(struct coop *c, const struct principal *who, const char *gid,
		     const char *type, const char *title, struct json_object *actions,
		     groups_cb cb, void *arg);

/* Every decision the group started, in order; members only. */
void decisions_list(struct coop *c, const struct principal *who, const char *gid,
		    groups_cb cb, void *arg);

/* Adds a comment (1 to DECISIONS_COMMENT_MAX characters of text) by who, a member, to decision id
 * of group gid; its discussion in order. 404 not-found unless who is a member and id a
 * decision of the group. A comment is not a vote and is not in the log. */
#define DECISIONS_COMMENT_MAX 10000

void decisions_comment(struct coop *c, const struct principal *who, const char *gid,
		       const char *id, const char *text, groups_cb cb, void *arg);
void decisions_comments(struct coop *c, const struct principal *who, const char *gid,
			const char *id, groups_cb cb, void *arg);

/* The result JWS FreeCoop applied for decision id of group gid (the compact JWS as text,
 * byte for byte as the core published it), or why not: 404 not-found unless who is a member
 * and id a decision of the group, 409 not-applied before it is applied. */
void decisions_result(struct coop *c, const struct principal *who, const char *gid,
		      const char *id, groups_cb cb, void *arg);

#endif
