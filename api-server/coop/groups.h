/* groups — FreeCoop's groups (DESIGN §10.3): founding under a charter, and what members
 * read of their group. Anyone else gets 404, as for a group that does not exist: a group's
 * existence is not revealed to strangers. */
#ifndef FREECOOP_GROUPS_H
#define FREECOOP_GROUPS_H

#include <json-c/json.h>

#include "coop.h"

/* The answer, as JSON text (borrowed for the callback), or why not: a problem, with the
 * JSON pointer of the faulty member when the charter was refused (else NULL). */
typedef void (*groups_cb)(void *arg, const struct problem *no, const char *pointer,
			  const char *json);

/* Whether who is a person of this FreeCoop (an account of its service); otherwise answers
 * cb with 403 foreign-account. */
bool groups_is_person(struct coop *c, const struct principal *who, groups_cb cb, void *arg);

/* The same check: true, or false with the 403 foreign-account in *no. */
bool groups_person_check(struct coop *c, const struct principal *who, struct problem *no);

/* The 404 of a group one is not a member of, as of one that does not exist. */
#define GROUPS_NO_GROUP "There is no such group, or you are not a member of it."

/* Runs stmt with p, a read or write whose one row is the answer as JSON text; no row is
 * 404 not-found with the detail what. */
void groups_one_row(struct coop *c, const struct db_stmt *stmt, const struct db_param *p,
		    const char *what, groups_cb cb, void *arg);

/* A member's read of group gid by stmt ($1 the group, $2 the member): groups_one_row
 * with the 404 of a group one is not a member of; 403 for anyone not a person here. */
void groups_member_read(struct coop *c, const struct db_stmt *stmt, const struct principal *who,
			const char *gid, groups_cb cb, void *arg);

/* Whether method m carries a signature of an unrevoked auditor (a charter may name it). */
bool groups_method_usable(const struct core_method *m);

/* Founds a group named name under charter (NULL: the default worker co-op charter), with
 * who, a person, its first member holding the charter's founder_roles; the log's first
 * entry ("founded") is signed in the same transaction. The charter is validated whole
 * (422 invalid-charter with a pointer), each of its voting methods must be stored at the
 * core with an unrevoked auditor's signature. */
void groups_found(struct coop *c, const struct principal *who, const char *name,
		  struct json_object *charter, groups_cb cb, void *arg);

/* What a member reads: the group, its members, its charter (version 0: the one in force),
 * its log after seq; who's own groups. 404 not-found for anyone but a member. */
void groups_get(struct coop *c, const struct principal *who, const char *gid, groups_cb cb,
		void *arg);
void groups_members(struct coop *c, const struct principal *who, const char *gid,
		    groups_cb cb, void *arg);
void groups_charter(struct coop *c, const struct principal *who, const char *gid, int version,
		    groups_cb cb, void *arg);
void groups_log(struct coop *c, const struct principal *who, const char *gid, long long after,
		groups_cb cb, void *arg);
/* who's name and groups with their roles, as compact JSON text: kept in memory (c->me, n
 * entries, each at most ttl_ms) while the database's changes of people are heard
 * (migration 0015). */
void groups_me(struct coop *c, const struct principal *who, groups_cb cb, void *arg);
#define GROUPS_ME_CHANNEL "freecoop_people"
int groups_me_cache(struct coop *c, size_t n, int ttl_ms); /* 0, or -1: no memory */

/* who asks to join group gid, with message (NULL: none): the application, or 404
 * not-found (no such group), 409 already-member, 409 already-applied (one is pending).
 * Only an adopted admit_member decision makes the applicant a member. */
void groups_apply(struct coop *c, const struct principal *who, const char *gid,
		  const char *message, groups_cb cb, void *arg);

/* The group's applications, oldest first; members only. */
void groups_applications(struct coop *c, const struct principal *who, const char *gid,
			 groups_cb cb, void *arg);

#endif
