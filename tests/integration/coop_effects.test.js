'use strict';
// Effects and the group log (DESIGN §10.6): a decision the core concluded is verified and
// applied by FreeCoop — adopted actions in proposal-id order, stale ones refused with a
// reason, a failed count logged — once, with a signed log entry that scripts/verify-log
// checks against the result FreeCoop keeps, even after the core purged it.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const D = require('./lib/decisions');
const C = require('./lib/coop');

let server;

test.before(async () => {
  server = await C.coopServer({ FREECOOP_CONCLUDE_POLL_MS: '50', FREECOOP_WEBHOOK_POLL_MS: '100' });
});
test.after(() => server.stop());

const person = (name) => C.person(server, name);
const get = (who, p) => h.api(server, 'GET', p, { token: who.token });
const post = (who, p, body) => h.api(server, 'POST', p, { token: who.token, body });
const decide = (...a) => C.decide(server, ...a);
const apply = (who, g, message) => post(who, `/coop/v1/groups/${g.id}/applications`, message ? { message } : {});
const members = async (who, g) => (await get(who, `/coop/v1/groups/${g.id}/members`)).json.members;
const roles = async (who, g, p) => (await members(who, g)).find((m) => m.id === p.id)?.roles;

// The adopted proposals' ids in the order they are applied: proposal-id order.
async function order(who, d) {
  const r = await get(who, `/v1/decisions/${d.id}/proposals`);
  assert.equal(r.status, 200, r.text);
  return r.json.proposals.map((p) => ({ id: p.id, action: JSON.parse(Buffer.from(p.payload, 'base64')) }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

let charter;
async function fastGroup(founder) {
  charter = charter || await C.fastCharter(server, founder);
  return C.found(server, founder, charter);
}

test('admission by decision: the applicant becomes a member, the log says so, and it verifies', async () => {
  const ada = await person('Ada');
  const bob = await person('Bob');
  const g = await fastGroup(ada);
  assert.equal((await apply(bob, g, 'I would like to join.')).status, 201);
  // Not a member yet: the group is hidden from Bob.
  assert.equal((await get(bob, `/coop/v1/groups/${g.id}`)).status, 404);

  const { decision, listed } = await decide(ada, g, 'admit_member', [{ person: bob.id }]);
  assert.equal(listed.state, 'applied');
  assert.deepEqual(listed.applied, [{ person: bob.id }]);
  assert.deepEqual(listed.refused, []);
  assert.equal(listed.log_seq, 2);

  // Bob is a member with the charter's member_roles; his application is admitted.
  assert.deepEqual(await roles(ada, g, bob), ['member']);
  const grp = await get(bob, `/coop/v1/groups/${g.id}`);
  assert.equal(grp.status, 200, grp.text);
  assert.equal(grp.json.members, 2);
  const apps = (await get(bob, `/coop/v1/groups/${g.id}/applications`)).json.applications;
  assert.equal(apps.find((a) => a.person.id === bob.id).status, 'admitted');
  assert.deepEqual((await get(bob, '/coop/v1/me')).json.groups.map((x) => [x.id, x.roles]), [[g.id, ['member']]]);

  // The log's second entry: the decision, its result's hash, what it applied; signed.
  const log = await C.log(server, bob, g.id);
  assert.equal(log.entries.length, 2);
  const e = log.entries[1];
  assert.equal(e.kind, 'decision');
  assert.equal(e.seq, 2);
  assert.equal(e.prev, log.entries[0].hash);
  assert.equal(log.head, e.hash);
  assert.equal(grp.json.head, e.hash);
  assert.equal(e.decision, decision.id);
  assert.equal(e.type, 'admit_member');
  assert.equal(e.outcome, 'applied');
  assert.equal(e.charter_version, 1);
  assert.deepEqual(e.applied, [{ person: bob.id }]);
  assert.deepEqual(e.refused, []);

  // The result FreeCoop keeps is the core's, byte for byte, and its hash is in the entry.
  const kept = await get(bob, `/coop/v1/groups/${g.id}/decisions/${decision.id}/result`);
  assert.equal(kept.status, 200, kept.text);
  assert.match(kept.headers.get('content-type'), /^application\/jose/);
  const core = await D.verifiedResult(server, decision.id);
  assert.equal(kept.text, core.text);
  assert.equal(C.sha256(Buffer.from(kept.text)), e.result);

  const v = await C.verifyLog(server, bob, log, { knownHead: log.entries[0].hash });
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /2 entries, head [0-9a-f]{64}, verified/);

  // Tampered: an applied action changed, or the kept result swapped for another's.
  const forged = structuredClone(log);
  forged.entries[1].applied = [{ person: ada.id }];
  const bad = await C.verifyLog(server, bob, forged);
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /FAILED: seq 2: .*hash/);
  const swapped = await C.verifyLog(server, bob, log, { results: { [decision.id]: kept.text.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) } });
  assert.equal(swapped.status, 1, swapped.stdout + swapped.stderr);
  assert.match(swapped.stderr, /FAILED: seq 2: /);

  // Others: 404 for a stranger, and for a decision of another group.
  const eve = await person('Eve');
  assert.equal((await get(eve, `/coop/v1/groups/${g.id}/decisions/${decision.id}/result`)).status, 404);
  const other = await fastGroup(eve);
  assert.equal((await get(eve, `/coop/v1/groups/${other.id}/decisions/${decision.id}/result`)).status, 404);
});

test('before it is applied, the kept result is 409 not-applied', async () => {
  const ada = await person('Ada');
  const g = await fastGroup(ada);
  const r = await post(ada, `/coop/v1/groups/${g.id}/decisions`, { type: 'resolution', title: 'Later', proposals: [{ text: 'x' }] });
  assert.equal(r.status, 201, r.text);
  const k = await get(ada, `/coop/v1/groups/${g.id}/decisions/${r.json.id}/result`);
  h.assertProblem(k, 409, 'not-applied');
  assert.ok(Number(k.headers.get('retry-after')) > 0);
});

test('actions applied in proposal-id order; stale ones refused with a reason, the rest applied', async () => {
  const ada = await person('Ada');
  const bob = await person('Bob');
  const cy = await person('Cy');
  const g = await fastGroup(ada);
  await apply(bob, g);
  await decide(ada, g, 'admit_member', [{ person: bob.id }]);

  // Bob treasurer (applies), Cy treasurer (not a member), Bob member (holds it already),
  // and an admission of Cy, who never applied, in an admission decision of its own.
  const { decision, listed } = await decide(ada, g, 'assign_role',
    [{ person: bob.id, role: 'treasurer' }, { person: cy.id, role: 'treasurer' }, { person: bob.id, role: 'member' }],
    [ada, bob]);
  const ordered = await order(ada, decision);
  const expectApplied = ordered.filter((p) => p.action.person === bob.id && p.action.role === 'treasurer').map((p) => p.action);
  assert.deepEqual(listed.applied, expectApplied);
  const reasons = Object.fromEntries(listed.refused.map((x) => [`${x.action.person === bob.id ? 'bob' : 'cy'}:${x.action.role}`, x.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), ['bob:member', 'cy:treasurer']);
  assert.match(reasons['cy:treasurer'], /not a member/);
  assert.match(reasons['bob:member'], /already holds/);
  // The refused are in proposal-id order, like the applied.
  assert.deepEqual(listed.refused.map((x) => x.action), ordered.map((p) => p.action).filter((a) => !(a.person === bob.id && a.role === 'treasurer')));
  assert.deepEqual(await roles(ada, g, bob), ['member', 'treasurer']);

  const noApplication = await decide(ada, g, 'admit_member', [{ person: cy.id }], [ada, bob]);
  assert.deepEqual(noApplication.listed.applied, []);
  assert.match(noApplication.listed.refused[0].reason, /no pending application/);
  assert.equal((await get(cy, `/coop/v1/groups/${g.id}`)).status, 404);

  const v = await C.verifyLog(server, ada, await C.log(server, ada, g.id));
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

test('only adopted proposals apply: a motion voted down is neither applied nor refused', async () => {
  const ada = await person('Ada');
  const g = await fastGroup(ada);
  const { listed } = await decide(ada, g, 'resolution', [{ text: 'Yes to this' }, { text: 'No to that' }], [ada],
    (p) => (p.action.text === 'Yes to this' ? 'yes' : 'no'));
  assert.deepEqual(listed.applied, [{ text: 'Yes to this' }]);
  assert.deepEqual(listed.refused, []);
});

test('a removed member: access gone, roles gone; removing the last who can amend is refused', async () => {
  const ada = await person('Ada');
  const bob = await person('Bob');
  const g = await fastGroup(ada);
  await apply(bob, g);
  await decide(ada, g, 'admit_member', [{ person: bob.id }]);
  assert.equal((await get(bob, `/coop/v1/groups/${g.id}/members`)).status, 200);

  const { listed } = await decide(ada, g, 'remove_member', [{ person: bob.id }], [ada, bob],
    () => 'yes');
  assert.deepEqual(listed.applied, [{ person: bob.id }]);
  for (const p of [`/coop/v1/groups/${g.id}`, `/coop/v1/groups/${g.id}/members`, `/coop/v1/groups/${g.id}/log`,
    `/coop/v1/groups/${g.id}/decisions`]) {
    h.assertProblem(await get(bob, p), 404, 'not-found', p);
  }
  assert.deepEqual((await get(bob, '/coop/v1/me')).json.groups, []);
  h.assertProblem(await post(bob, `/coop/v1/groups/${g.id}/decisions`, { type: 'resolution', title: 'x', proposals: [{ text: 'x' }] }), 404, 'not-found');
  assert.deepEqual((await members(ada, g)).map((m) => m.id), [ada.id]);

  // Ada alone: removing her, or revoking her only role that can amend, would lock the
  // group in: refused, and she stays.
  const self = await decide(ada, g, 'remove_member', [{ person: ada.id }]);
  assert.deepEqual(self.listed.applied, []);
  assert.match(self.listed.refused[0].reason, /no one able to start and adopt an amendment/);
  const revoke = await decide(ada, g, 'revoke_role', [{ person: ada.id, role: 'treasurer' }, { person: ada.id, role: 'member' }]);
  assert.deepEqual(revoke.listed.applied, [{ person: ada.id, role: 'treasurer' }]);
  assert.match(revoke.listed.refused[0].reason, /no one able to start and adopt an amendment/);
  assert.deepEqual(await roles(ada, g, ada), ['member']);

  const v = await C.verifyLog(server, ada, await C.log(server, ada, g.id));
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

test('an amendment that drops a type while a decision of that type is open: the open one still applies', async () => {
  const ada = await person('Ada');
  const g = await fastGroup(ada);
  const amended = structuredClone(charter);
  delete amended.decision_types.resolution;
  delete amended.roles.treasurer;
  amended.founder_roles = ['member'];
  // The amendment first; the resolution a moment later, so that it closes after.
  const a = await post(ada, `/coop/v1/groups/${g.id}/decisions`, { type: 'amend_charter', title: 'Simpler', proposals: [{ charter: amended }] });
  assert.equal(a.status, 201, a.text);
  await h.sleep(300);
  const r = await post(ada, `/coop/v1/groups/${g.id}/decisions`, { type: 'resolution', title: 'Hours', proposals: [{ text: 'Open at nine.' }] });
  assert.equal(r.status, 201, r.text);
  await C.voteAll(server, a.json, [ada]);
  await C.voteAll(server, r.json, [ada]);
  const la = await C.waitApplied(server, ada, g.id, a.json.id);
  const lr = await C.waitApplied(server, ada, g.id, r.json.id);
  assert.deepEqual(la.applied, [{ charter: amended }]);
  assert.deepEqual(lr.applied, [{ text: 'Open at nine.' }], 'a decision keeps the effect it was started with');
  assert.equal(lr.charter_version, 1);

  // Version 2 in force, adopted by the amendment; version 1 still readable; the dropped
  // role is no longer held; the dropped type can no longer be started.
  const c = (await get(ada, `/coop/v1/groups/${g.id}/charter`)).json;
  assert.equal(c.version, 2);
  assert.equal(c.adopted_by, a.json.id);
  assert.deepEqual(c.charter, amended);
  assert.equal((await get(ada, `/coop/v1/groups/${g.id}/charter/versions/1`)).json.charter.decision_types.resolution.effect, 'resolution');
  assert.equal((await get(ada, `/coop/v1/groups/${g.id}`)).json.charter_version, 2);
  assert.deepEqual(await roles(ada, g, ada), ['member']);
  h.assertProblem(await post(ada, `/coop/v1/groups/${g.id}/decisions`, { type: 'resolution', title: 'x', proposals: [{ text: 'x' }] }), 422, 'unknown-type');

  const log = await C.log(server, ada, g.id);
  const ea = log.entries.find((e) => e.decision === a.json.id);
  assert.equal(ea.charter_version, 2);
  const er = log.entries.find((e) => e.decision === r.json.id);
  if (er.seq > ea.seq) assert.equal(er.charter_version, 2, 'applied under the amended charter');
  const v = await C.verifyLog(server, ada, log);
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

test('an amendment that would lock the group in is refused when it is applied', async () => {
  const ada = await person('Ada');
  const bob = await person('Bob');
  // Amendments stay open for proposals long enough for another decision to apply first.
  const slow = structuredClone(charter || await C.fastCharter(server, ada));
  slow.decision_types.amend_charter.proposal_seconds = 8;
  const g = await C.found(server, ada, slow);
  await apply(bob, g);
  await decide(ada, g, 'admit_member', [{ person: bob.id }]);
  // Valid when started (Ada holds treasurer), but by the time it applies the only
  // treasurer's role was revoked: only treasurers could start amendments under it.
  const locked = structuredClone(slow);
  locked.decision_types.amend_charter.start = ['treasurer'];
  const a = await post(ada, `/coop/v1/groups/${g.id}/decisions`, { type: 'amend_charter', title: 'Treasurers amend', proposals: [{ charter: locked }] });
  assert.equal(a.status, 201, a.text);
  await decide(ada, g, 'revoke_role', [{ person: ada.id, role: 'treasurer' }], [ada, bob]);
  await C.voteAll(server, a.json, [ada, bob]);
  const la = await C.waitApplied(server, ada, g.id, a.json.id);
  assert.deepEqual(la.applied, []);
  assert.match(la.refused[0].reason, /not a valid amend_charter action now: .*amend/i);
  assert.equal((await get(ada, `/coop/v1/groups/${g.id}/charter`)).json.version, 1);
});

test('a failed count applies nothing and is logged, with its failure document', async () => {
  const ada = await person('Ada');
  const auditor = D.newAuditor('fail');
  const failing = await D.register(server, auditor, 'Always fails',
    'def count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n    raise ValueError("no count today")\n');
  const c = structuredClone(charter || await C.fastCharter(server, ada));
  c.decision_types.resolution.method = failing;
  const g = await C.found(server, ada, c);
  const { decision, listed } = await decide(ada, g, 'resolution', [{ text: 'Never' }]);
  assert.equal(listed.state, 'failed');
  assert.deepEqual(listed.applied, []);
  assert.deepEqual(listed.refused, []);
  const log = await C.log(server, ada, g.id);
  const e = log.entries[1];
  assert.equal(e.outcome, 'failed');
  assert.deepEqual(e.applied, []);
  assert.deepEqual(e.refused, []);
  assert.equal(typeof e.error, 'string');
  const kept = await get(ada, `/coop/v1/groups/${g.id}/decisions/${decision.id}/result`);
  assert.equal(kept.status, 200);
  assert.equal(D.decodeJws(kept.text).payload.outcome.status, 'error');
  const v = await C.verifyLog(server, ada, log);
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

test('the log still verifies after the core purged the decision\'s result', async () => {
  const ada = await person('Ada');
  const g = await fastGroup(ada);
  const { decision } = await decide(ada, g, 'resolution', [{ text: 'Keep this' }]);
  h.superSql(`UPDATE decision.decisions SET concluded_at = now() - interval '400 days' WHERE id = '${decision.id}'`);
  h.superSql('SELECT decision.purge_expired()');
  h.assertProblem(await h.api(server, 'GET', `/v1/decisions/${decision.id}/result`), 410, 'result-purged');
  const kept = await get(ada, `/coop/v1/groups/${g.id}/decisions/${decision.id}/result`);
  assert.equal(kept.status, 200, kept.text);
  const v = await C.verifyLog(server, ada, await C.log(server, ada, g.id));
  assert.equal(v.status, 0, v.stdout + v.stderr);
});

test('a member\'s own proposal that is not an action is refused, the service\'s still apply', async () => {
  const ada = await person('Ada');
  const c = structuredClone(charter || await C.fastCharter(server, ada));
  c.decision_types.resolution.proposal_seconds = 4; // time to propose
  const g = await C.found(server, ada, c);
  const r = await post(ada, `/coop/v1/groups/${g.id}/decisions`, { type: 'resolution', title: 'Open', proposals: [{ text: 'Ours' }] });
  assert.equal(r.status, 201, r.text);
  // Not JSON; a fraction; U+0000; nested 62 deep (its entry could not hold it): not
  // actions, whatever verify-log or the server reads — both must agree. A wrong shape.
  const deep = '{"text":' + '['.repeat(61) + ']'.repeat(61) + '}';
  for (const payload of ['not json at all', JSON.stringify({ text: 1.5 }), '{"text":"a\\u0000b"}', deep,
    JSON.stringify({ title: 'wrong shape' })]) {
    const p = await h.api(server, 'POST', `/v1/decisions/${r.json.id}/proposals`,
      { token: ada.token, body: { payload: Buffer.from(payload).toString('base64') } });
    assert.equal(p.status, 201, p.text);
  }
  await C.voteAll(server, r.json, [ada]);
  const l = await C.waitApplied(server, ada, g.id, r.json.id);
  assert.deepEqual(l.applied, [{ text: 'Ours' }]);
  assert.equal(l.refused.length, 5);
  const byReason = l.refused.map((x) => x.reason).sort();
  assert.equal(byReason.filter((x) => /not an action/.test(x)).length, 4, JSON.stringify(l.refused));
  assert.equal(byReason.filter((x) => /not a valid resolution action/.test(x)).length, 1);
  assert.ok(l.refused.some((x) => x.action === Buffer.from('not json at all').toString('base64')));
  const v = await C.verifyLog(server, ada, await C.log(server, ada, g.id));
  assert.equal(v.status, 0, v.stdout + v.stderr);
});
