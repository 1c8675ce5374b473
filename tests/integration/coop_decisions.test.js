'use strict';
// Decisions of a group (DESIGN §10.5): started by a member holding the type's start role,
// created at the core by FreeCoop's service with the type's method and phases, the
// franchises snapshotted from the role holders, the actions as the service's proposals
// (their canonical JSON); malformed actions refused with a pointer; the group's list.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

const C = require('./lib/coop');

const { YES_NO } = C;
let server;

test.before(async () => { server = await C.coopServer(); });
test.after(() => server.stop());

const person = (name) => C.person(server, name);
const get = (who, p) => h.api(server, 'GET', p, { token: who.token });
const post = (who, p, body) => h.api(server, 'POST', p, { token: who.token, body });
async function group(who, charter) {
  const r = await post(who, '/coop/v1/groups', { name: h.randomName('g'), ...(charter ? { charter } : {}) });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
const start = (who, g, body) => post(who, `/coop/v1/groups/${g.id}/decisions`, body);

test('a resolution: the decision at the core, with the phases, franchise and proposals it was given', async () => {
  const ada = await person('Ada');
  const g = await group(ada);
  const r = await start(ada, g, { type: 'resolution', title: 'Sundays',
    proposals: [{ text: 'We open on Sundays.' }, { text: 'We stay closed on Sundays.' }] });
  assert.equal(r.status, 201, r.text);
  const d = r.json;
  assert.equal(d.type, 'resolution');
  assert.equal(d.title, 'Sundays');
  assert.equal(d.state, 'proposing');
  assert.equal(d.charter_version, 1);
  const day = 86400 * 1000;
  assert.equal(Date.parse(d.proposal_phase.closes_at) - Date.parse(d.proposal_phase.opens_at), 2 * day);
  assert.equal(d.voting_phase.opens_at, d.proposal_phase.closes_at);
  assert.equal(Date.parse(d.voting_phase.closes_at) - Date.parse(d.voting_phase.opens_at), 5 * day);
  assert.ok(Math.abs(Date.parse(d.proposal_phase.opens_at) - Date.now()) < 60000);

  // At the core: FreeCoop's decision with the type's method; Ada in both franchises.
  const core = await get(ada, `/v1/decisions/${d.id}`);
  assert.equal(core.status, 200, core.text);
  assert.equal(core.json.method.id, YES_NO);
  assert.deepEqual(core.json.you, { proposer: true, voter: true, voted: false });
  // The actions are the service's proposals, as their canonical JSON (listed by proposal
  // id, the order effects are applied in).
  const props = (await get(ada, `/v1/decisions/${d.id}/proposals`)).json.proposals;
  assert.deepEqual(props.map((p) => Buffer.from(p.payload, 'base64').toString('utf8')).sort(),
    ['{"text":"We open on Sundays."}', '{"text":"We stay closed on Sundays."}']);
  assert.ok(props.every((p) => p.proposer === ''), 'proposed by the service');

  const list = (await get(ada, `/coop/v1/groups/${g.id}/decisions`)).json.decisions;
  assert.equal(list.length, 1);
  assert.equal(list[0].id, d.id);
  assert.equal(list[0].state, 'proposing');
  assert.equal(list[0].applied, undefined);
});

test('refusals: not a member, unknown type, malformed actions (with pointers), nothing started', async () => {
  const ada = await person();
  const bob = await person();
  const g = await group(ada);
  h.assertProblem(await start(bob, g, { type: 'resolution', title: 't', proposals: [{ text: 'x' }] }),
    404, 'not-found');
  h.assertProblem(await get(bob, `/coop/v1/groups/${g.id}/decisions`), 404, 'not-found');
  const cases = [
    [{ type: 'coronation', proposals: [{ text: 'x' }] }, 422, 'unknown-type', '/type'],
    [{ type: 'resolution', proposals: [{}] }, 422, 'invalid-action', '/proposals/0'],
    [{ type: 'resolution', proposals: [{ text: 'ok' }, { text: 'x', more: 1 }] }, 422, 'invalid-action', '/proposals/1'],
    [{ type: 'admit_member', proposals: [{ person: 'someone' }] }, 422, 'invalid-action', '/proposals/0'],
    [{ type: 'assign_role', proposals: [{ person: bob.id, role: 'king' }] }, 422, 'invalid-action', '/proposals/0/role'],
    [{ type: 'allocate_surplus', proposals: [{ year: 2027 }] }, 422, 'invalid-action', '/proposals/0'],
    [{ type: 'allocate_surplus', proposals: [{ year: 27, allocation: {} }] }, 422, 'invalid-action', '/proposals/0'],
    [{ type: 'approve_expense', proposals: [{ entry: {} }] }, 422, 'invalid-action', '/proposals/0/entry'],
    [{ type: 'approve_expense', proposals: [{ entry: { date: '2027-01-05', postings: 'all' } }] }, 422, 'invalid-action', '/proposals/0/entry/postings'],
    [{ type: 'approve_expense', proposals: [{ entry: { date: '2027-01-05', postings: [
      { account: 'rent', amount: 100 }, { account: 'bank', amount: -99 }] } }] }, 422, 'invalid-action', '/proposals/0/entry/postings'],
  ];
  for (const [body, status, slug, pointer] of cases) {
    const r = await start(ada, g, { title: 't', ...body });
    h.assertProblem(r, status, slug, JSON.stringify(body));
    assert.equal(r.json.pointer, pointer, JSON.stringify(body));
  }
  // An amendment that would lock the group in: its pointer reaches into the charter.
  const charter = (await get(ada, `/coop/v1/groups/${g.id}/charter`)).json.charter;
  const locked = structuredClone(charter);
  locked.roles.auditor = { permissions: [] };
  locked.decision_types.amend_charter.vote = ['auditor'];
  const r = await start(ada, g, { type: 'amend_charter', title: 't', proposals: [{ charter: locked }] });
  h.assertProblem(r, 422, 'invalid-action');
  assert.equal(r.json.pointer, '/proposals/0/charter/decision_types');
  // An oversized amendment: 413.
  const big = structuredClone(charter);
  big.roles.member.permissions = Array(7000).fill('record_patronage_x');
  const r413 = await start(ada, g, { type: 'amend_charter', title: 't', proposals: [{ charter }, { charter: big }] });
  h.assertProblem(r413, 413, 'payload-too-large');
  assert.equal(r413.json.pointer, '/proposals/1/charter');
  // Body shape: 422 invalid-request.
  for (const body of [{ type: 'resolution', title: 't' }, { type: 'resolution', title: 't', proposals: [] },
    { type: 'resolution', title: '', proposals: [{ text: 'x' }] }]) {
    h.assertProblem(await start(ada, g, body), 422, 'invalid-request', JSON.stringify(body));
  }
  assert.deepEqual((await get(ada, `/coop/v1/groups/${g.id}/decisions`)).json.decisions, []);
});

test('a member without the type\'s start role: 403 not-permitted', async () => {
  const ada = await person();
  const base = (await get(ada, `/coop/v1/groups/${(await group(ada)).id}/charter`)).json.charter;
  const charter = structuredClone(base);
  charter.founder_roles = ['member'];
  charter.decision_types.resolution.start = ['treasurer'];
  const g = await group(ada, charter);
  h.assertProblem(await start(ada, g, { type: 'resolution', title: 't', proposals: [{ text: 'x' }] }),
    403, 'not-permitted');
  assert.equal((await start(ada, g, { type: 'admit_member', title: 't',
    proposals: [{ person: ada.id }] })).status, 201);
});

test('discussion: members comment on a decision, in order; no one else reads or writes', async () => {
  const ada = await person('Ada');
  const bob = await person('Bob');
  const g = await group(ada);
  const d = (await start(ada, g, { type: 'resolution', title: 'Talk',
    proposals: [{ text: 'We talk first.' }] })).json;
  const url = `/coop/v1/groups/${g.id}/decisions/${d.id}/comments`;
  const first = await post(ada, url, { text: 'I am for it.' });
  assert.equal(first.status, 201, first.text);
  assert.deepEqual(first.json.person, { id: ada.id, name: 'Ada' });
  assert.equal(first.json.text, 'I am for it.');
  assert.equal((await post(ada, url, { text: 'é'.repeat(10000) })).status, 201);
  h.assertProblem(await post(ada, url, { text: 'é'.repeat(10001) }), 413, 'payload-too-large');
  h.assertProblem(await post(ada, url, { text: '' }), 422, 'invalid-request');
  const list = (await get(ada, url)).json.comments;
  assert.deepEqual(list.map((c) => c.text.length), [12, 10000]);
  assert.equal(list[0].id, first.json.id);
  // Not a member; a decision of another group; a decision that does not exist: 404.
  h.assertProblem(await post(bob, url, { text: 'me too' }), 404, 'not-found');
  h.assertProblem(await get(bob, url), 404, 'not-found');
  const other = await group(ada);
  h.assertProblem(await get(ada, `/coop/v1/groups/${other.id}/decisions/${d.id}/comments`),
    404, 'not-found');
  h.assertProblem(await post(ada, `/coop/v1/groups/${g.id}/decisions/${g.id}/comments`,
    { text: 'x' }), 404, 'not-found');
  // A comment is not in the log.
  assert.equal((await get(ada, `/coop/v1/groups/${g.id}/log`)).json.entries.length, 1);
});
