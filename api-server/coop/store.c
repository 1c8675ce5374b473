/* store — FreeCoop's SQL (see the header). */
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

const struct db_stmt coop_stmt_signup_open = {
	.sql = "SELECT signup_open FROM coop.settings",
	.nparams = 0,
};

const struct db_stmt coop_stmt_person_add = {
	.sql = "INSERT INTO coop.people (id, name) VALUES ($1, $2) RETURNING " TS("created_at"),
	.nparams = 2,
};

/* A member's view of group $1 as person $2 reads it; no row for anyone else. */
#define MEMBER "EXISTS (SELECT 1 FROM coop.members x WHERE x.group_id = $1 AND x.person_id = $2)"

/* The roles of member m, sorted: a text[], which the json functions write as a JSON array.
 * (A json_agg here made GET /coop/v1/me's statement ten times slower: 9 us a person.) */
#define ROLES(m)                                                                             \
	"array(SELECT r.role FROM coop.member_roles r "                                      \
	"  WHERE r.group_id = " m ".group_id AND r.person_id = " m ".person_id ORDER BY r.role)"

#define GROUP_JSON                                                                           \
	"json_build_object('id', g.id, 'name', g.name, 'created_at', " TS("g.created_at") ", " \
	"'charter_version', g.charter_version, "                                             \
	"'members', (SELECT count(*) FROM coop.members y WHERE y.group_id = g.id), "          \
	"'head', g.log_head)::text"

/* The default chart of accounts (DESIGN §10.7), by code; members' capital accounts
 * (capital:<person>) are opened at founding and admission, former:<person> at removal. */
#define DEFAULT_CHART                                                                        \
	"('bank', 'Bank', 'asset', NULL::boolean), ('cash', 'Cash', 'asset', NULL), "       \
	"('receivables', 'Receivables', 'asset', NULL), "                                   \
	"('payables', 'Payables', 'liability', NULL), "                                     \
	"('patronage_payable', 'Patronage dividends payable', 'liability', NULL), "         \
	"('reserve', 'Reserve', 'equity', NULL), "                                          \
	"('undistributed', 'Undistributed surplus', 'equity', NULL), "                      \
	"('sales', 'Sales', 'income', true), ('other_income', 'Other income', 'income', false), " \
	"('wages', 'Wages', 'expense', NULL), ('supplies', 'Supplies', 'expense', NULL), "  \
	"('rent', 'Rent', 'expense', NULL), ('other_expenses', 'Other expenses', 'expense', NULL)"

/* One statement, so one transaction: the group, its charter, its founder and roles, its
 * log's first entry, its chart of accounts. $9 is the founding's time, which the signed entry holds too. */
const struct db_stmt coop_stmt_group_found = {
	.sql = "WITH g AS (INSERT INTO coop.groups (id, name, created_at, charter_version, log_seq, "
	"  log_head) VALUES ($1, $2, $9::timestamptz, 1, 1, $8) RETURNING *), "
	"c AS (INSERT INTO coop.charters (group_id, version, charter, methods, created_at) "
	"  SELECT id, 1, $3::jsonb, $4::jsonb, created_at FROM g), "
	"m AS (INSERT INTO coop.members (group_id, person_id, joined_at) "
	"  SELECT id, $5, created_at FROM g), "
	"r AS (INSERT INTO coop.member_roles (group_id, person_id, role) "
	"  SELECT g.id, $5, unnest($6::text[]) FROM g), "
	"l AS (INSERT INTO coop.log (group_id, seq, hash, entry) SELECT id, 1, $8, $7 FROM g), "
	"a AS (INSERT INTO coop.accounts (group_id, code, name, type, patronage, created_at) "
	"  SELECT g.id, x.code, x.name, x.type, x.patronage, g.created_at FROM g, (VALUES "
	DEFAULT_CHART ") x(code, name, type, patronage) "
	"  UNION ALL SELECT g.id, 'capital:' || p.id, 'Capital: ' || p.name, 'equity', NULL, "
	"  g.created_at FROM g, coop.people p WHERE p.id = $5) "
	"SELECT json_build_object('id', g.id, 'name', g.name, 'created_at', " TS("g.created_at")
	", 'charter_version', 1, 'members', 1, 'head', g.log_head)::text FROM g",
	.nparams = 9,
};

const struct db_stmt coop_stmt_group_get = {
	.sql = "SELECT " GROUP_JSON " FROM coop.groups g WHERE g.id = $1 AND " MEMBER,
	.nparams = 2,
};

const struct db_stmt coop_stmt_group_members = {
	.sql = "SELECT json_build_object('members', coalesce((SELECT json_agg(json_build_object("
	"  'id', p.id, 'name', p.name, 'roles', " ROLES("m") ", 'joined_at', " TS("m.joined_at")
	") ORDER BY m.joined_at, p.id) FROM coop.members m JOIN coop.people p ON p.id = m.person_id "
	"  WHERE m.group_id = $1), '[]'::json))::text WHERE " MEMBER,
	.nparams = 2,
};

/* $3: the version, or 0 for the one in force. */
const struct db_stmt coop_stmt_group_charter = {
	.sql = "SELECT json_build_object('version', c.version, 'charter', c.charter, "
	"'adopted_by', c.adopted_by, 'methods', c.methods)::text "
	"FROM coop.charters c JOIN coop.groups g ON g.id = c.group_id "
	"WHERE c.group_id = $1 AND c.version = CASE WHEN $3::int = 0 THEN g.charter_version "
	"  ELSE $3::int END AND " MEMBER,
	.nparams = 3,
};

/* The entries as they were signed, joined as they are: no re-serialisation. */
const struct db_stmt coop_stmt_group_log = {
	.sql = "SELECT '{\"entries\":[' || coalesce((SELECT string_agg(l.entry, ',' ORDER BY l.seq) "
	"  FROM coop.log l WHERE l.group_id = g.id AND l.seq > $3::bigint), '') "
	"  || '],\"head\":\"' || g.log_head || '\"}' "
	"FROM coop.groups g WHERE g.id = $1 AND " MEMBER,
	.nparams = 3,
};

/* Batched: a person's page is the read people make most, one statement serves many. */
const struct db_stmt coop_stmt_me = {
	.sql = "WITH k AS (SELECT * FROM unnest($1::text[]) WITH ORDINALITY AS u(p, i)) "
	"SELECT k.i, x.j FROM k CROSS JOIN LATERAL (SELECT json_build_object('id', p.id, 'name', "
	"  p.name, 'groups', coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', "
	"  g.name, 'roles', " ROLES("m") ") ORDER BY m.joined_at, g.id) FROM coop.members m "
	"  JOIN coop.groups g ON g.id = m.group_id WHERE m.person_id = p.id), '[]'::json))::text "
	"  AS j FROM coop.people p WHERE p.id = k.p::uuid LIMIT 1) x",
	.nparams = 1,
	.batched = 1,
};

#define APPLICATION_JSON(a)                                                                  \
	"json_build_object('id', " a ".id, 'person', json_build_object('id', p.id, 'name', "   \
	"p.name), 'message', " a ".message, 'created_at', " TS(a ".created_at") ", "          \
	"'status', " a ".status)"

/* An application, unless the group does not exist, the person is a member, or has one
 * pending (the unique index settles a race between two at once: 23505). */
const struct db_stmt coop_stmt_apply = {
	.sql = "WITH ins AS (INSERT INTO coop.applications (id, group_id, person_id, message) "
	"  SELECT $3, g.id, $2, $4 FROM coop.groups g WHERE g.id = $1 "
	"  AND NOT EXISTS (SELECT 1 FROM coop.members m WHERE m.group_id = $1 AND m.person_id = $2) "
	"  AND NOT EXISTS (SELECT 1 FROM coop.applications a WHERE a.group_id = $1 "
	"    AND a.person_id = $2 AND a.status = 'pending') RETURNING *) "
	"SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 'applied' "
	"  WHEN NOT EXISTS (SELECT 1 FROM coop.groups WHERE id = $1) THEN 'no-group' "
	"  WHEN EXISTS (SELECT 1 FROM coop.members m WHERE m.group_id = $1 AND m.person_id = $2) "
	"  THEN 'member' ELSE 'pending' END, "
	"(SELECT " APPLICATION_JSON("ins") "::text FROM ins JOIN coop.people p ON p.id = ins.person_id)",
	.nparams = 4,
};

/* A member reads the group's applications, oldest first. */
const struct db_stmt coop_stmt_applications = {
	.sql = "SELECT json_build_object('applications', coalesce((SELECT json_agg(" APPLICATION_JSON("a")
	"  ORDER BY a.created_at, a.id) FROM coop.applications a JOIN coop.people p "
	"  ON p.id = a.person_id WHERE a.group_id = $1), '[]'::json))::text WHERE " MEMBER,
	.nparams = 2,
};

/* What starting a decision needs to know of group $1 and member $2: the charter in force,
 * the member's roles, the holders of each role. */
const struct db_stmt coop_stmt_decision_context = {
	.sql = "SELECT json_build_object('charter_version', g.charter_version, 'charter', c.charter, "
	"'mine', coalesce((SELECT json_agg(r.role) FROM coop.member_roles r "
	"  WHERE r.group_id = g.id AND r.person_id = $2), '[]'::json), "
	"'holders', coalesce((SELECT json_object_agg(x.role, x.people) FROM (SELECT r.role, "
	"  json_agg(r.person_id ORDER BY r.person_id) AS people FROM coop.member_roles r "
	"  WHERE r.group_id = g.id GROUP BY r.role) x), '{}'::json))::text "
	"FROM coop.groups g JOIN coop.charters c ON c.group_id = g.id AND c.version = g.charter_version "
	"WHERE g.id = $1 AND " MEMBER,
	.nparams = 2,
};

#define PHASE(o, c) "json_build_object('opens_at', " TS(o) ", 'closes_at', " TS(c) ")"

/* A decision's state at the database's clock, until its effects set the outcome. */
#define DECISION_STATE                                                                       \
	"CASE WHEN d.outcome IS NOT NULL THEN d.outcome "                                    \
	"  WHEN now() < d.proposal_closes_at THEN 'proposing' "                              \
	"  WHEN now() < d.voting_closes_at THEN 'voting' ELSE 'counting' END"

const struct db_stmt coop_stmt_decision_add = {
	.sql = "WITH d AS (INSERT INTO coop.decisions (id, group_id, type, effect, title, "
	"  charter_version, started_by, proposal_opens_at, proposal_closes_at, voting_opens_at, "
	"  voting_closes_at) VALUES ($1, $2, $3, $4, $5, $6::int, $7, $8, $9, $10, $11) RETURNING *) "
	"SELECT json_build_object('id', d.id, 'type', d.type, 'title', d.title, 'state', "
	DECISION_STATE ", 'proposal_phase', " PHASE("d.proposal_opens_at", "d.proposal_closes_at")
	", 'voting_phase', " PHASE("d.voting_opens_at", "d.voting_closes_at")
	", 'charter_version', d.charter_version)::text FROM d",
	.nparams = 11,
};

/* Every decision the group started, in the order started; what was applied once it was. */
const struct db_stmt coop_stmt_decisions_list = {
	.sql = "SELECT json_build_object('decisions', coalesce((SELECT json_agg(json_strip_nulls("
	"  json_build_object('id', d.id, 'type', d.type, 'title', d.title, 'charter_version', "
	"  d.charter_version, 'state', " DECISION_STATE ", 'proposal_phase', "
	PHASE("d.proposal_opens_at", "d.proposal_closes_at") ", 'voting_phase', "
	PHASE("d.voting_opens_at", "d.voting_closes_at") ", 'applied', d.applied, "
	"  'refused', d.refused, 'log_seq', d.log_seq)) ORDER BY d.created_at, d.id) "
	"  FROM coop.decisions d WHERE d.group_id = $1), '[]'::json))::text WHERE " MEMBER,
	.nparams = 2,
};

/* What applying decision $1 starts from: its group, effect and type, and whether it was
 * applied already. */
const struct db_stmt coop_stmt_effect_decision = {
	.sql = "SELECT json_build_object('group', d.group_id, 'effect', d.effect, 'type', d.type, "
	"'outcome', d.outcome, 'started_by', d.started_by)::text FROM coop.decisions d WHERE d.id = $1",
	.nparams = 1,
};

/* The state of group $1 that a decision of effect $2 is checked against: the log's end,
 * the charter in force, each member's roles, the people with a pending application; and
 * only for the effects that read them (the rest get null, unread): the accounts and the
 * closed years (an approved expense), the members' capital balances (a removal). */
const struct db_stmt coop_stmt_effect_context = {
	.sql = "SELECT json_build_object('log_seq', g.log_seq, 'head', g.log_head, "
	"'charter_version', g.charter_version, 'charter', c.charter, "
	"'members', coalesce((SELECT json_object_agg(m.person_id, " ROLES("m") ") "
	"  FROM coop.members m WHERE m.group_id = g.id), '{}'::json), "
	"'applicants', coalesce((SELECT json_agg(a.person_id) FROM coop.applications a "
	"  WHERE a.group_id = g.id AND a.status = 'pending'), '[]'::json), "
	"'accounts', CASE WHEN $2 = 'approve_expense' THEN coalesce((SELECT json_object_agg("
	"  a.code, a.type) FROM coop.accounts a WHERE a.group_id = g.id), '{}'::json) END, "
	"'closed', CASE WHEN $2 = 'approve_expense' THEN coalesce((SELECT json_agg("
	"  json_build_array(y.starts_on, y.ends_on)) FROM coop.closed_years y "
	"  WHERE y.group_id = g.id), '[]'::json) END, "
	"'capital', CASE WHEN $2 = 'remove_member' THEN coalesce((SELECT json_object_agg("
	"  m.person_id, (SELECT coalesce(sum(p.amount), 0) FROM coop.postings p "
	"  WHERE p.group_id = g.id AND p.account = 'capital:' || m.person_id)) "
	"  FROM coop.members m WHERE m.group_id = g.id), '{}'::json) END)::text "
	"FROM coop.groups g JOIN coop.charters c ON c.group_id = g.id AND c.version = g.charter_version "
	"WHERE g.id = $1",
	.nparams = 2,
};

/* One statement, so one transaction: decision $5 applied to group $1 whose log ended at
 * seq $2 — its log entries ($4: [{seq, hash, entry}], the decision's first, then one for
 * each ledger entry it posts; $3 the last one's hash, the new head), the decision's
 * outcome ($6, $7 applied, $8 refused), the result kept ($9, $10 its hash), the changes
 * ($11: admit [{person, roles}], remove [person], assign and revoke [{person, role}],
 * charters [{version, charter, methods}], roles: the names a new charter keeps, entries:
 * [{id, seq, date, memo, posted_by, authorised_by, postings}], former: [person] whose
 * former:<person> account opens), the charter version after
 * ($12), at $13. Nothing is written unless the log still ends at $2 and the decision is not
 * applied yet (another instance got there first): the answer is then "0". */
const struct db_stmt coop_stmt_effect_apply = {
	.sql = "WITH g AS (UPDATE coop.groups SET log_seq = $2::bigint + jsonb_array_length($4::jsonb), "
	"  log_head = $3, charter_version = $12::int WHERE id = $1 AND log_seq = $2::bigint "
	"  AND EXISTS (SELECT 1 FROM coop.decisions WHERE id = $5 AND group_id = $1 "
	"  AND outcome IS NULL) RETURNING id, log_seq), "
	"d AS (UPDATE coop.decisions SET outcome = $6, applied = $7::jsonb, refused = $8::jsonb, "
	"  log_seq = $2::bigint + 1 FROM g WHERE coop.decisions.id = $5), "
	"l AS (INSERT INTO coop.log (group_id, seq, hash, entry) SELECT g.id, x.seq, x.hash, x.entry "
	"  FROM g, jsonb_to_recordset($4::jsonb) x(seq bigint, hash text, entry text)), "
	"fa AS (INSERT INTO coop.accounts (group_id, code, name, type, created_at) "
	"  SELECT g.id, 'former:' || p.id, 'Capital payable: ' || p.name, 'liability', "
	"  $13::timestamptz FROM g, jsonb_array_elements_text(coalesce($11::jsonb->'former', '[]')) x "
	"  JOIN coop.people p ON p.id = x::uuid ON CONFLICT DO NOTHING), "
	"le AS (INSERT INTO coop.entries (id, group_id, seq, date, memo, posted_by, authorised_by, "
	"  created_at) SELECT x.id, g.id, x.seq, x.date, x.memo, x.posted_by, x.authorised_by, "
	"  $13::timestamptz FROM g, jsonb_to_recordset(coalesce($11::jsonb->'entries', '[]')) "
	"  x(id uuid, seq bigint, date date, memo text, posted_by uuid, authorised_by jsonb)), "
	"lp AS (INSERT INTO coop.postings (entry_id, n, group_id, account, date, amount, closing) "
	"  SELECT x.id, y.n - 1, g.id, y.account, x.date, y.amount, coalesce(x.closing, false) "
	"  FROM g, jsonb_to_recordset(coalesce($11::jsonb->'entries', '[]')) x(id uuid, date date, "
	"  postings jsonb, closing boolean), ROWS FROM (jsonb_to_recordset(x.postings) AS (account "
	"  text, amount bigint)) WITH ORDINALITY AS y(account, amount, n)), "
	"cy AS (INSERT INTO coop.closed_years (group_id, starts_on, ends_on, decision_id) "
	"  SELECT g.id, x.starts_on, x.ends_on, $5 FROM g, "
	"  jsonb_to_recordset(coalesce($11::jsonb->'closes', '[]')) x(starts_on date, ends_on date)), "
	"r AS (INSERT INTO coop.results (decision_id, group_id, jws, sha256, applied_at) "
	"  SELECT $5, id, $9, $10, $13::timestamptz FROM g), "
	"ch AS (INSERT INTO coop.charters (group_id, version, charter, methods, adopted_by, created_at) "
	"  SELECT g.id, x.version, x.charter, x.methods, $5, $13::timestamptz FROM g, "
	"  jsonb_to_recordset(coalesce($11::jsonb->'charters', '[]')) x(version int, charter jsonb, "
	"  methods jsonb)), "
	"am AS (INSERT INTO coop.members (group_id, person_id, joined_at) "
	"  SELECT g.id, x.person, $13::timestamptz FROM g, "
	"  jsonb_to_recordset(coalesce($11::jsonb->'admit', '[]')) x(person uuid)), "
	"ar AS (INSERT INTO coop.member_roles (group_id, person_id, role) "
	"  SELECT g.id, x.person, jsonb_array_elements_text(x.roles) FROM g, "
	"  jsonb_to_recordset(coalesce($11::jsonb->'admit', '[]')) x(person uuid, roles jsonb)), "
	"ac AS (INSERT INTO coop.accounts (group_id, code, name, type, created_at) "
	"  SELECT g.id, 'capital:' || p.id, 'Capital: ' || p.name, 'equity', $13::timestamptz "
	"  FROM g, jsonb_to_recordset(coalesce($11::jsonb->'admit', '[]')) x(person uuid) "
	"  JOIN coop.people p ON p.id = x.person ON CONFLICT DO NOTHING), "
	"aa AS (UPDATE coop.applications a SET status = 'admitted' FROM g, "
	"  jsonb_to_recordset(coalesce($11::jsonb->'admit', '[]')) x(person uuid) "
	"  WHERE a.group_id = g.id AND a.status = 'pending' AND a.person_id = x.person), "
	"rm AS (DELETE FROM coop.members m USING g, "
	"  jsonb_array_elements_text(coalesce($11::jsonb->'remove', '[]')) x "
	"  WHERE m.group_id = g.id AND m.person_id = x::uuid), "
	"sa AS (INSERT INTO coop.member_roles (group_id, person_id, role) "
	"  SELECT g.id, x.person, x.role FROM g, "
	"  jsonb_to_recordset(coalesce($11::jsonb->'assign', '[]')) x(person uuid, role text)), "
	"sr AS (DELETE FROM coop.member_roles mr USING g, "
	"  jsonb_to_recordset(coalesce($11::jsonb->'revoke', '[]')) x(person uuid, role text) "
	"  WHERE mr.group_id = g.id AND mr.person_id = x.person AND mr.role = x.role), "
	"kr AS (DELETE FROM coop.member_roles mr USING g WHERE mr.group_id = g.id "
	"  AND jsonb_typeof($11::jsonb->'roles') = 'array' AND NOT EXISTS (SELECT 1 FROM "
	"  jsonb_array_elements_text($11::jsonb->'roles') k WHERE k = mr.role)) "
	"SELECT count(*)::text FROM g",
	.nparams = 13,
};

/* The result kept for decision $3 of group $1, read by member $2: the decision's state and
 * the JWS once applied; no row for anyone but a member, or a decision of another group. */
const struct db_stmt coop_stmt_result = {
	.sql = "SELECT " DECISION_STATE ", r.jws FROM coop.decisions d "
	"LEFT JOIN coop.results r ON r.decision_id = d.id "
	"WHERE d.id = $3 AND d.group_id = $1 AND " MEMBER,
	.nparams = 3,
};

/* The group's accounts with their balances, for member $2: the chart's order is by type,
 * then code. */
const struct db_stmt coop_stmt_accounts = {
	.sql = "SELECT json_build_object('accounts', coalesce((SELECT json_agg(json_strip_nulls("
	"  json_build_object('code', a.code, 'name', a.name, 'type', a.type, 'patronage', "
	"  a.patronage, 'balance', coalesce((SELECT sum(p.amount) FROM coop.postings p "
	"  WHERE p.group_id = a.group_id AND p.account = a.code), 0))) ORDER BY "
	"  array_position(ARRAY['asset', 'liability', 'equity', 'income', 'expense'], a.type), "
	"  a.code) FROM coop.accounts a WHERE a.group_id = $1), '[]'::json))::text WHERE " MEMBER,
	.nparams = 2,
};

/* What posting an entry needs to know, batched: for request i, an entry dated $3[i] by
 * member $2[i] of group $1[i]: the log's end, the charter's roles and accounting, the
 * member's roles, the types of the accounts named ($5[i], a text[]), whether the ledger is
 * empty and the date in a closed year, the member's expenses of that month (entries
 * authorised by a role; summed only when the entry touches an expense account), and the
 * entry $4[i] reverses (its postings, and whether it is reversed already). A row (i, JSON)
 * for each request of a member; none for the others. */
const struct db_stmt coop_stmt_post_context = {
	.sql = "SELECT q.i, x.ctx FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
	"  $5::text[]) WITH ORDINALITY AS q(gid, who, day, rev, codes, i) "
	"CROSS JOIN LATERAL (SELECT json_build_object('log_seq', g.log_seq, 'head', g.log_head, "
	"'charter_version', g.charter_version, 'charter', json_build_object('roles', "
	"  c.charter->'roles', 'accounting', c.charter->'accounting'), "
	"'roles', array(SELECT r.role FROM coop.member_roles r WHERE r.group_id = g.id "
	"  AND r.person_id = q.who::uuid ORDER BY r.role), "
	"'accounts', coalesce((SELECT json_object_agg(a.code, a.type) FROM coop.accounts a "
	"  WHERE a.group_id = g.id AND a.code = ANY (q.codes::text[])), '{}'::json), "
	"'empty', NOT EXISTS (SELECT 1 FROM coop.entries e WHERE e.group_id = g.id), "
	"'closed', EXISTS (SELECT 1 FROM coop.closed_years y WHERE y.group_id = g.id "
	"  AND q.day::date BETWEEN y.starts_on AND y.ends_on), "
	"'month_expenses', CASE WHEN EXISTS (SELECT 1 FROM coop.accounts a WHERE a.group_id = g.id "
	"  AND a.code = ANY (q.codes::text[]) AND a.type = 'expense') THEN (SELECT "
	"  coalesce(sum(p.amount), 0) FROM coop.entries e "
	"  JOIN coop.postings p ON p.entry_id = e.id JOIN coop.accounts a "
	"  ON a.group_id = p.group_id AND a.code = p.account "
	"  WHERE e.group_id = g.id AND e.posted_by = q.who::uuid AND e.authorised_by ? 'role' "
	"  AND e.date >= date_trunc('month', q.day::date) "
	"  AND e.date < date_trunc('month', q.day::date) + interval '1 month' "
	"  AND a.type = 'expense') ELSE 0 END, "
	"'reversed', (SELECT json_build_object('postings', (SELECT json_agg(json_build_object("
	"  'account', p.account, 'amount', p.amount) ORDER BY p.n) FROM coop.postings p "
	"  WHERE p.entry_id = e.id), 'reversed', EXISTS (SELECT 1 FROM coop.entries r "
	"  WHERE r.reverses = e.id)) FROM coop.entries e WHERE e.id = q.rev::uuid "
	"  AND e.group_id = g.id))::text AS ctx "
	"FROM coop.groups g JOIN coop.charters c ON c.group_id = g.id AND c.version = g.charter_version "
	"WHERE g.id = q.gid::uuid AND EXISTS (SELECT 1 FROM coop.members m "
	"  WHERE m.group_id = g.id AND m.person_id = q.who::uuid)) x",
	.nparams = 5,
	.batched = 1,
};

/* Ledger entries of groups' logs, batched: request i appends to group $1[i]'s log after
 * seq $2[i] an entry hashed $3[i], of text $4[i] and time $5[i], and writes what it
 * records ($6[i]): {"entry": an entry with its postings} | {"patronage": a record} |
 * {"account": an account opened} — only if that log still ends at $2[i]. A row (i, "1")
 * for each request written; none for the others (another append came first, in this
 * batch or before it). The groups' rows are locked in the order of their ids first, so
 * two batches never wait on each other in a circle. */
const struct db_stmt coop_stmt_ledger_append = {
	.sql = "WITH r AS MATERIALIZED (SELECT x.i, x.gid::uuid AS gid, x.after::bigint AS after, "
	"  x.hash, x.entry, x.at::timestamptz AS at, x.what::jsonb AS what FROM unnest($1::text[], "
	"  $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY "
	"  AS x(gid, after, hash, entry, at, what, i)), "
	"lk AS MATERIALIZED (SELECT id FROM coop.groups WHERE id IN (SELECT gid FROM r) "
	"  ORDER BY id FOR UPDATE), "
	"g AS (UPDATE coop.groups gr SET log_seq = r.after + 1, log_head = r.hash FROM r, lk "
	"  WHERE lk.id = gr.id AND gr.id = r.gid AND gr.log_seq = r.after "
	"  RETURNING gr.id, gr.log_seq, r.i), "
	"w AS (SELECT g.id, g.log_seq, r.* FROM g JOIN r ON r.i = g.i), "
	"l AS (INSERT INTO coop.log (group_id, seq, hash, entry) SELECT id, log_seq, hash, entry FROM w), "
	"e AS (INSERT INTO coop.entries (id, group_id, seq, date, memo, posted_by, authorised_by, "
	"  reverses, opening, created_at) SELECT x.id, w.id, w.log_seq, x.date, coalesce(x.memo, ''), "
	"  x.posted_by, x.authorised_by, x.reverses, coalesce(x.opening, false), w.at "
	"  FROM w, jsonb_to_record(w.what->'entry') AS x(id uuid, date date, memo text, "
	"  posted_by uuid, authorised_by jsonb, reverses uuid, opening boolean) "
	"  WHERE w.what ? 'entry'), "
	"p AS (INSERT INTO coop.postings (entry_id, n, group_id, account, date, amount) "
	"  SELECT (w.what->'entry'->>'id')::uuid, x.n - 1, w.id, x.account, "
	"  (w.what->'entry'->>'date')::date, x.amount FROM w, "
	"  ROWS FROM (jsonb_to_recordset(w.what->'entry'->'postings') AS (account text, "
	"  amount bigint)) WITH ORDINALITY AS x(account, amount, n) WHERE w.what ? 'entry'), "
	"pa AS (INSERT INTO coop.patronage (id, group_id, seq, person_id, date, amount, recorded_by, "
	"  created_at) SELECT x.id, w.id, w.log_seq, x.person, x.date, x.amount, x.recorded_by, "
	"  w.at FROM w, jsonb_to_record(w.what->'patronage') AS x(id uuid, "
	"  person uuid, date date, amount bigint, recorded_by uuid) WHERE w.what ? 'patronage'), "
	"ac AS (INSERT INTO coop.accounts (group_id, code, name, type, patronage, created_at) "
	"  SELECT w.id, x.code, x.name, x.type, x.patronage, w.at FROM w, "
	"  jsonb_to_record(w.what->'account') AS x(code text, name text, type text, "
	"  patronage boolean) WHERE w.what ? 'account') "
	"SELECT i, '1' FROM g",
	.nparams = 6,
	.batched = 1,
};

/* What recording patronage of person $4 dated $3 by member $2 of group $1 needs: the log's
 * end, the charter, the recorder's roles, whether $4 is a member, the date in a closed
 * year. */
const struct db_stmt coop_stmt_patronage_context = {
	.sql = "SELECT json_build_object('log_seq', g.log_seq, 'head', g.log_head, "
	"'charter_version', g.charter_version, 'charter', c.charter, "
	"'roles', array(SELECT r.role FROM coop.member_roles r WHERE r.group_id = g.id "
	"  AND r.person_id = $2 ORDER BY r.role), "
	"'member', EXISTS (SELECT 1 FROM coop.members m WHERE m.group_id = g.id "
	"  AND m.person_id = $4::uuid), "
	"'closed', EXISTS (SELECT 1 FROM coop.closed_years y WHERE y.group_id = g.id "
	"  AND $3::date BETWEEN y.starts_on AND y.ends_on))::text "
	"FROM coop.groups g JOIN coop.charters c ON c.group_id = g.id AND c.version = g.charter_version "
	"WHERE g.id = $1 AND " MEMBER,
	.nparams = 4,
};

/* What opening account $3 in group $1 by member $2 needs: the log's end, the charter, the
 * member's roles, whether the code is taken. */
const struct db_stmt coop_stmt_account_context = {
	.sql = "SELECT json_build_object('log_seq', g.log_seq, 'head', g.log_head, "
	"'charter_version', g.charter_version, 'charter', c.charter, "
	"'roles', array(SELECT r.role FROM coop.member_roles r WHERE r.group_id = g.id "
	"  AND r.person_id = $2 ORDER BY r.role), "
	"'taken', EXISTS (SELECT 1 FROM coop.accounts a WHERE a.group_id = g.id AND a.code = $3))::text "
	"FROM coop.groups g JOIN coop.charters c ON c.group_id = g.id AND c.version = g.charter_version "
	"WHERE g.id = $1 AND " MEMBER,
	.nparams = 3,
};

/* The group's patronage records, in the log's order, after seq $3 (a page of 500). */
const struct db_stmt coop_stmt_patronage = {
	.sql = "SELECT json_build_object('patronage', coalesce((SELECT json_agg(x.o ORDER BY x.seq) "
	"  FROM (SELECT r.seq, json_build_object('id', r.id, 'seq', r.seq, 'person', r.person_id, "
	"  'date', r.date, 'amount', r.amount, 'recorded_by', r.recorded_by) AS o "
	"  FROM coop.patronage r WHERE r.group_id = $1 AND r.seq > $3::bigint ORDER BY r.seq "
	"  LIMIT 500) x), '[]'::json))::text WHERE " MEMBER,
	.nparams = 3,
};

/* The group's entries, in the log's order, after seq $3 (a page of at most 500). */
const struct db_stmt coop_stmt_entries = {
	.sql = "SELECT json_build_object('entries', coalesce((SELECT json_agg(x.o ORDER BY x.seq) "
	"  FROM (SELECT e.seq, json_strip_nulls(json_build_object('id', e.id, 'seq', e.seq, "
	"  'date', e.date, 'memo', e.memo, 'postings', (SELECT json_agg(json_build_object("
	"  'account', p.account, 'amount', p.amount) ORDER BY p.n) FROM coop.postings p "
	"  WHERE p.entry_id = e.id), 'posted_by', e.posted_by, 'authorised_by', e.authorised_by, "
	"  'reverses', e.reverses, 'opening', CASE WHEN e.opening THEN true END)) AS o "
	"  FROM coop.entries e WHERE e.group_id = $1 AND e.seq > $3::bigint ORDER BY e.seq "
	"  LIMIT 500) x), '[]'::json))::text WHERE " MEMBER,
	.nparams = 3,
};

/* The figures of fiscal year $3 of group $1 for member $2 (DESIGN §10.7): its first and
 * last days (the charter's fiscal_year_start), its income, non-patronage income and
 * expenses, the reserve's balance (what it holds: credits negated), each person's
 * patronage in the year (a negative total counts as none) and whether they left, the year
 * closed or not. No row for anyone but a member. */
#define FY_DAY(y)                                                                            \
	"make_date(" y ", split_part(c.charter->'accounting'->>'fiscal_year_start', '-', 1)::int, " \
	"split_part(c.charter->'accounting'->>'fiscal_year_start', '-', 2)::int)"
#define YEAR_SUM(cond)                                                                       \
	"coalesce((SELECT sum(p.amount) FROM coop.postings p JOIN coop.accounts a "          \
	"  ON a.group_id = p.group_id AND a.code = p.account WHERE p.group_id = y.id "       \
	"  AND p.date BETWEEN y.starts AND y.ends AND NOT p.closing AND " cond "), 0)"
const struct db_stmt coop_stmt_surplus_context = {
	.sql = "WITH y AS (SELECT g.id, c.charter, " FY_DAY("$3::int") " AS starts, "
	FY_DAY("$3::int + 1") " - 1 AS ends FROM coop.groups g JOIN coop.charters c "
	"  ON c.group_id = g.id AND c.version = g.charter_version WHERE g.id = $1 "
	"  AND ($2::uuid IS NULL OR " MEMBER ")) "
	"SELECT json_build_object('starts_on', y.starts, 'ends_on', y.ends, "
	"'charter', y.charter, "
	"'income', -" YEAR_SUM("a.type = 'income'") ", "
	"'non_patronage', -" YEAR_SUM("a.type = 'income' AND NOT a.patronage") ", "
	"'expenses', " YEAR_SUM("a.type = 'expense'") ", "
	"'reserve', -coalesce((SELECT sum(p.amount) FROM coop.postings p WHERE p.group_id = y.id "
	"  AND p.account = 'reserve'), 0), "
	"'patronage', coalesce((SELECT json_agg(json_build_array(r.person_id, greatest(r.total, 0), "
	"  NOT EXISTS (SELECT 1 FROM coop.members m WHERE m.group_id = y.id "
	"  AND m.person_id = r.person_id)) ORDER BY r.person_id) FROM (SELECT x.person_id, "
	"  sum(x.amount) AS total FROM coop.patronage x WHERE x.group_id = y.id "
	"  AND x.date BETWEEN y.starts AND y.ends GROUP BY x.person_id) r), '[]'::json), "
	"'closed', EXISTS (SELECT 1 FROM coop.closed_years z WHERE z.group_id = y.id "
	"  AND z.starts_on = y.starts), "
	"'balances', coalesce((SELECT json_agg(json_build_array(b.code, b.total) ORDER BY b.code) "
	"  FROM (SELECT a.code, sum(p.amount) AS total FROM coop.postings p JOIN coop.accounts a "
	"  ON a.group_id = p.group_id AND a.code = p.account WHERE p.group_id = y.id "
	"  AND p.date BETWEEN y.starts AND y.ends AND NOT p.closing "
	"  AND a.type IN ('income', 'expense') GROUP BY a.code) b WHERE b.total <> 0), '[]'::json))::text "
	"FROM y",
	.nparams = 3,
};

/* The head of group $1's export, for member $2: its name, currency, accounts ([code,
 * type, name]) and the seq its log ends at now (the export's entries are those up to it). */
const struct db_stmt coop_stmt_export = {
	.sql = "SELECT json_build_object('name', g.name, 'currency', "
	"  c.charter->'accounting'->>'currency', "
	"'accounts', coalesce((SELECT json_agg(json_build_array(a.code, a.type, a.name) "
	"  ORDER BY a.code) FROM coop.accounts a WHERE a.group_id = g.id), '[]'::json), "
	"'upto', g.log_seq)::text "
	"FROM coop.groups g JOIN coop.charters c ON c.group_id = g.id AND c.version = g.charter_version "
	"WHERE g.id = $1 AND " MEMBER,
	.nparams = 2,
};

/* A page of group $1's export for member $2: its entries after seq $3 up to seq $4, in
 * order, at most 1,000 ([seq, id, date, memo, [[account, amount]]]). */
const struct db_stmt coop_stmt_export_page = {
	.sql = "SELECT coalesce((SELECT json_agg(json_build_array(x.seq, x.id, x.date, x.memo, "
	"  (SELECT json_agg(json_build_array(p.account, p.amount) ORDER BY p.n) "
	"  FROM coop.postings p WHERE p.entry_id = x.id)) ORDER BY x.seq) FROM (SELECT e.seq, "
	"  e.id, e.date, e.memo FROM coop.entries e WHERE e.group_id = $1 AND e.seq > $3::bigint "
	"  AND e.seq <= $4::bigint ORDER BY e.seq LIMIT 1000) x), '[]'::json)::text WHERE " MEMBER,
	.nparams = 4,
};

/* The balance of each account of group $1 at the end of day $3, for member $2, with what
 * the reports need: [code, name, type, balance]; and the result not yet closed into the
 * undistributed surplus (income and expenses, closing entries left out, up to $3). */
const struct db_stmt coop_stmt_balances_at = {
	.sql = "SELECT json_build_object('accounts', coalesce((SELECT json_agg(json_build_array(a.code, "
	"  a.name, a.type, coalesce((SELECT sum(p.amount) FROM coop.postings p "
	"  WHERE p.group_id = a.group_id AND p.account = a.code AND p.date <= $3::date), 0)) "
	"  ORDER BY a.code) FROM coop.accounts a WHERE a.group_id = $1), '[]'::json), "
	"'currency', c.charter->'accounting'->>'currency')::text "
	"FROM coop.groups g JOIN coop.charters c ON c.group_id = g.id AND c.version = g.charter_version "
	"WHERE g.id = $1 AND " MEMBER,
	.nparams = 3,
};

/* Income and expense accounts of group $1 from $3 to $4 (closing entries left out), for
 * member $2: [code, name, type, total]. */
const struct db_stmt coop_stmt_income_statement = {
	.sql = "SELECT json_build_object('accounts', coalesce((SELECT json_agg(json_build_array(a.code, "
	"  a.name, a.type, coalesce((SELECT sum(p.amount) FROM coop.postings p "
	"  WHERE p.group_id = a.group_id AND p.account = a.code AND p.date BETWEEN $3::date "
	"  AND $4::date AND NOT p.closing), 0)) ORDER BY a.code) FROM coop.accounts a "
	"  WHERE a.group_id = $1 AND a.type IN ('income', 'expense')), '[]'::json), "
	"'currency', c.charter->'accounting'->>'currency')::text "
	"FROM coop.groups g JOIN coop.charters c ON c.group_id = g.id AND c.version = g.charter_version "
	"WHERE g.id = $1 AND " MEMBER,
	.nparams = 4,
};

/* Every person with a capital account in group $1, for member $2: their capital (credit
 * positive), whether they are still a member, what is payable to them as a former member,
 * their patronage and allocations (to capital and patronage payable) in all. */
const struct db_stmt coop_stmt_members_report = {
	.sql = "SELECT json_build_object('members', coalesce((SELECT json_agg(json_build_object("
	"  'person', x.id, 'name', x.name, 'member', x.member, 'capital', x.capital, "
	"  'negative_capital', x.capital < 0, 'payable_as_former', x.former, "
	"  'patronage', x.patronage) ORDER BY x.name, x.id) FROM (SELECT p.id, p.name, "
	"  EXISTS (SELECT 1 FROM coop.members m WHERE m.group_id = $1 AND m.person_id = p.id) "
	"    AS member, "
	"  -coalesce((SELECT sum(t.amount) FROM coop.postings t WHERE t.group_id = $1 "
	"    AND t.account = 'capital:' || p.id), 0) AS capital, "
	"  -coalesce((SELECT sum(t.amount) FROM coop.postings t WHERE t.group_id = $1 "
	"    AND t.account = 'former:' || p.id), 0) AS former, "
	"  coalesce((SELECT sum(r.amount) FROM coop.patronage r WHERE r.group_id = $1 "
	"    AND r.person_id = p.id), 0) AS patronage "
	"  FROM coop.people p WHERE EXISTS (SELECT 1 FROM coop.accounts a WHERE a.group_id = $1 "
	"  AND a.code = 'capital:' || p.id)) x), '[]'::json))::text WHERE " MEMBER,
	.nparams = 2,
};

/* What a member's statement of group $1 names besides the year's figures: person $2's
 * name and capital at the end of day $3, the group's name and its log's end; no row when
 * $2 never had a capital account in the group. */
const struct db_stmt coop_stmt_statement_person = {
	.sql = "SELECT json_build_object('name', p.name, 'group_name', g.name, 'seq', g.log_seq, "
	"'head', g.log_head, 'capital', -coalesce((SELECT sum(t.amount) FROM coop.postings t "
	"  WHERE t.group_id = g.id AND t.account = 'capital:' || p.id AND t.date <= $3::date), 0), "
	"'payable_as_former', -coalesce((SELECT sum(t.amount) FROM coop.postings t "
	"  WHERE t.group_id = g.id AND t.account = 'former:' || p.id AND t.date <= $3::date), 0))::text "
	"FROM coop.groups g, coop.people p WHERE g.id = $1 AND p.id = $2::uuid "
	"AND EXISTS (SELECT 1 FROM coop.accounts a WHERE a.group_id = g.id "
	"  AND a.code = 'capital:' || p.id)",
	.nparams = 3,
};

#define COMMENT_JSON                                                                         \
	"json_build_object('id', c.id, 'person', json_build_object('id', p.id, 'name', p.name), " \
	"'text', c.text, 'created_at', " TS("c.created_at") ")"

/* $1 group, $2 member, $3 decision of the group, $4 the comment's id, $5 its text: no row
 * when $2 is not a member or $3 not a decision of $1. */
const struct db_stmt coop_stmt_comment_add = {
	.sql = "WITH d AS (SELECT d.id FROM coop.decisions d WHERE d.id = $3 AND d.group_id = $1 "
	"  AND " MEMBER "), "
	"c AS (INSERT INTO coop.comments (id, decision_id, person_id, text) "
	"  SELECT $4, d.id, $2, $5 FROM d RETURNING *) "
	"SELECT " COMMENT_JSON "::text FROM c JOIN coop.people p ON p.id = c.person_id",
	.nparams = 5,
};

const struct db_stmt coop_stmt_comments = {
	.sql = "SELECT json_build_object('comments', coalesce((SELECT json_agg(" COMMENT_JSON
	"  ORDER BY c.created_at, c.id) FROM coop.comments c JOIN coop.people p "
	"  ON p.id = c.person_id WHERE c.decision_id = $3), '[]'::json))::text "
	"WHERE EXISTS (SELECT 1 FROM coop.decisions d WHERE d.id = $3 AND d.group_id = $1) "
	"AND " MEMBER,
	.nparams = 3,
};

/* A call in flight: the caller's callback (called through its own type) and argument. */
struct call {
	void (*cb)(void);
	void *arg;
};

static struct call *
call_new(void (*cb)(void), void *arg)
{
	struct call *c = malloc(sizeof(*c));

	if (c != NULL)
		*c = (struct call){cb, arg};
	return c;
}

typedef void (*open_cb)(void *arg, const struct problem *no, bool open);

static void
open_done(const struct db_result *res, void *arg)
{
	struct call *c = arg;
	struct problem no;

	if (res->status != DB_OK)
		((open_cb)c->cb)(c->arg, problem_db(&no, res), false);
	else
		((open_cb)c->cb)(c->arg, NULL,
				 PQntuples(res->res) == 1 && *PQgetvalue(res->res, 0, 0) == 't');
	free(c);
}

void
coop_store_signup_open(struct db_pool *db, open_cb cb, void *arg)
{
	struct call *c = call_new((void (*)(void))cb, arg);
	struct problem no;

	if (c == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), false);
		return;
	}
	db_query(db, &coop_stmt_signup_open, NULL, open_done, c);
}

typedef void (*added_cb)(void *arg, const struct problem *no, const char *created_at);

static void
added_done(const struct db_result *res, void *arg)
{
	struct call *c = arg;
	struct problem no;

	if (res->status != DB_OK)
		((added_cb)c->cb)(c->arg, problem_db(&no, res), NULL);
	else
		((added_cb)c->cb)(c->arg, NULL, PQgetvalue(res->res, 0, 0));
	free(c);
}

void
coop_store_person_add(struct db_pool *db, const char *id, const char *name, added_cb cb,
		      void *arg)
{
	struct call *c = call_new((void (*)(void))cb, arg);
	struct db_param p[] = {db_text(id), db_text(name)};
	struct problem no;

	if (c == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
		return;
	}
	db_query(db, &coop_stmt_person_add, p, added_done, c);
}

static void
json_done(const struct db_result *res, void *arg)
{
	struct call *c = arg;
	struct problem no;

	if (res->status != DB_OK)
		((coop_store_json_cb)c->cb)(c->arg, problem_db(&no, res), NULL);
	else
		((coop_store_json_cb)c->cb)(c->arg, NULL,
					    PQntuples(res->res) == 1 ? PQgetvalue(res->res, 0, 0)
								     : NULL);
	free(c);
}

/* A batched read's request: its row's second column (the first is its ordinal). */
static void
json_batch_done(const struct db_result *res, int row, void *arg)
{
	struct call *c = arg;
	struct problem no;

	if (res->status != DB_OK)
		((coop_store_json_cb)c->cb)(c->arg, problem_db(&no, res), NULL);
	else
		((coop_store_json_cb)c->cb)(c->arg, NULL,
					    row >= 0 ? PQgetvalue(res->res, row, 1) : NULL);
	free(c);
}

void
coop_store_json(struct db_pool *db, const struct db_stmt *stmt, const struct db_param *params,
		coop_store_json_cb cb, void *arg)
{
	struct call *c = call_new((void (*)(void))cb, arg);
	struct problem no;

	if (c == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
		return;
	}
	if (stmt->batched)
		db_query_batched(db, stmt, params, json_batch_done, c);
	else
		db_query(db, stmt, params, json_done, c);
}

void
coop_store_group_found(struct db_pool *db, const struct coop_founding *f, coop_store_json_cb cb,
		       void *arg)
{
	struct db_param p[] = {db_text(f->id),	    db_text(f->name),	 db_text(f->charter),
			       db_text(f->methods), db_text(f->founder), db_text(f->roles),
			       db_text(f->entry),   db_text(f->hash),	 db_text(f->at)};

	coop_store_json(db, &coop_stmt_group_found, p, cb, arg);
}

typedef void (*apply_cb)(void *arg, const struct problem *no, enum coop_apply_outcome o,
			 const char *json);

static void
apply_done(const struct db_result *res, void *arg)
{
	struct call *c = arg;
	apply_cb cb = (apply_cb)c->cb;
	struct problem no;
	const char *o;

	if (res->status == DB_FAILED && res->sqlstate != NULL && strcmp(res->sqlstate, "23505") == 0) {
		cb(c->arg, NULL, COOP_PENDING, NULL);
	} else if (res->status != DB_OK) {
		cb(c->arg, problem_db(&no, res), COOP_NO_GROUP, NULL);
	} else {
		o = PQgetvalue(res->res, 0, 0);
		cb(c->arg, NULL,
		   strcmp(o, "applied") == 0  ? COOP_APPLIED
		   : strcmp(o, "member") == 0 ? COOP_IS_MEMBER
		   : strcmp(o, "pending") == 0 ? COOP_PENDING
					       : COOP_NO_GROUP,
		   PQgetisnull(res->res, 0, 1) ? NULL : PQgetvalue(res->res, 0, 1));
	}
	free(c);
}

void
coop_store_apply(struct db_pool *db, const char *gid, const char *person, const char *id,
		 const char *message, apply_cb cb, void *arg)
{
	struct call *c = call_new((void (*)(void))cb, arg);
	struct db_param p[] = {db_text(gid), db_text(person), db_text(id), db_text(message)};
	struct problem no;

	if (c == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), COOP_NO_GROUP, NULL);
		return;
	}
	db_query(db, &coop_stmt_apply, p, apply_done, c);
}

void
coop_store_decision_add(struct db_pool *db, const struct coop_decision_row *d,
			coop_store_json_cb cb, void *arg)
{
	struct db_param p[] = {db_text(d->id),	      db_text(d->group),
			       db_text(d->type),      db_text(d->effect),
			       db_text(d->title),     db_text(d->charter_version),
			       db_text(d->started_by), db_text(d->phases[0]),
			       db_text(d->phases[1]), db_text(d->phases[2]),
			       db_text(d->phases[3])};

	coop_store_json(db, &coop_stmt_decision_add, p, cb, arg);
}

void
coop_store_effect_apply(struct db_pool *db, const struct coop_effect *e, coop_store_json_cb cb,
			void *arg)
{
	struct db_param p[] = {db_text(e->group),   db_text(e->after_seq), db_text(e->hash),
			       db_text(e->entry),   db_text(e->decision),  db_text(e->outcome),
			       db_text(e->applied), db_text(e->refused),   db_text(e->jws),
			       db_text(e->result),  db_text(e->changes),   db_text(e->charter_version),
			       db_text(e->at)};

	coop_store_json(db, &coop_stmt_effect_apply, p, cb, arg);
}

typedef void (*result_cb)(void *arg, const struct problem *no, const char *state,
			  const char *jws, size_t len);

static void
result_done(const struct db_result *res, void *arg)
{
	struct call *c = arg;
	result_cb cb = (result_cb)c->cb;
	struct problem no;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), NULL, NULL, 0);
	else if (PQntuples(res->res) != 1)
		cb(c->arg, NULL, NULL, NULL, 0);
	else if (PQgetisnull(res->res, 0, 1))
		cb(c->arg, NULL, PQgetvalue(res->res, 0, 0), NULL, 0);
	else
		cb(c->arg, NULL, PQgetvalue(res->res, 0, 0), PQgetvalue(res->res, 0, 1),
		   (size_t)PQgetlength(res->res, 0, 1));
	free(c);
}

void
coop_store_result(struct db_pool *db, const char *gid, const char *who, const char *id,
		  result_cb cb, void *arg)
{
	struct call *c = call_new((void (*)(void))cb, arg);
	struct db_param p[] = {db_text(gid), db_text(who), db_text(id)};
	struct problem no;

	if (c == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, NULL, 0);
		return;
	}
	db_query(db, &coop_stmt_result, p, result_done, c);
}

void
coop_store_ledger_append(struct db_pool *db, const struct coop_append *a, coop_store_json_cb cb,
			 void *arg)
{
	struct db_param p[] = {db_text(a->group), db_text(a->after_seq), db_text(a->hash),
			       db_text(a->entry), db_text(a->at),	 db_text(a->what)};

	coop_store_json(db, &coop_stmt_ledger_append, p, cb, arg);
}
