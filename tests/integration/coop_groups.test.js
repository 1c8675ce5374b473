'use strict';
// FreeCoop's groups (DESIGN §10.3, §10.4, §10.6): founding under the default charter or a
// given one, validated whole with a JSON pointer to the fault; what members read (the
// group, members and roles, the charter and its versions, the log, GET /coop/v1/me); and
// that no one else learns the group exists. The log's first entry is checked here
// independently: its RFC 8785 form, hash and Ed25519 signature against /coop/v1/keys.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness');
const D = require('./lib/decisions');

const C = require('./lib/coop');

const { YES_NO, TWO_THIRDS, sha256 } = C;
let server;

test.before(async () => { server = await C.coopServer(); });
test.after(() => server.stop());

const person = (name) => C.person(server, name);
const get = (who, p) => h.api(server, 'GET', p, { token: who.token });
const found = (who, body) => h.api(server, 'POST', '/coop/v1/groups', { token: who.token, body });

// RFC 8785 for what log entries hold (strings, integers, objects; keys ASCII).
function jcs(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(',')}}`;
}

test('founding under the default charter; the founder reads the group, members, charter, log', async () => {
  const ada = await person('Ada');
  const name = h.randomName('bakery');
  const r = await found(ada, { name });
  assert.equal(r.status, 201, r.text);
  const g = r.json;
  assert.equal(g.name, name);
  assert.equal(g.charter_version, 1);
  assert.equal(g.members, 1);
  assert.match(g.head, /^[0-9a-f]{64}$/);

  assert.deepEqual((await get(ada, `/coop/v1/groups/${g.id}`)).json, g);
  const members = (await get(ada, `/coop/v1/groups/${g.id}/members`)).json.members;
  assert.equal(members.length, 1);
  assert.equal(members[0].id, ada.id);
  assert.equal(members[0].name, 'Ada');
  assert.deepEqual(members[0].roles, ['member', 'treasurer']);

  const ch = (await get(ada, `/coop/v1/groups/${g.id}/charter`)).json;
  assert.equal(ch.version, 1);
  assert.equal(ch.adopted_by, null);
  assert.deepEqual(ch.charter.founder_roles, ['member', 'treasurer']);
  assert.deepEqual(ch.charter.member_roles, ['member']);
  assert.equal(ch.charter.accounting.currency, 'EUR');
  assert.equal(ch.charter.decision_types.admit_member.method, YES_NO);
  assert.equal(ch.charter.decision_types.amend_charter.method, TWO_THIRDS);
  assert.equal(ch.charter.decision_types.remove_member.method, TWO_THIRDS);
  assert.deepEqual(ch.methods.amend_charter, { id: TWO_THIRDS, name: 'yes_no_two_thirds' });
  assert.deepEqual(ch.methods.resolution, { id: YES_NO, name: 'yes_no' });
  assert.deepEqual((await get(ada, `/coop/v1/groups/${g.id}/charter/versions/1`)).json, ch);
  h.assertProblem(await get(ada, `/coop/v1/groups/${g.id}/charter/versions/2`), 404, 'not-found');
  h.assertProblem(await get(ada, `/coop/v1/groups/${g.id}/charter/versions/0`), 400, 'invalid-id');

  const me = (await get(ada, '/coop/v1/me')).json;
  assert.deepEqual(me, { id: ada.id, name: 'Ada',
    groups: [{ id: g.id, name, roles: ['member', 'treasurer'] }] });

  // The log: one signed "founded" entry, whose hash is the head.
  const log = await get(ada, `/coop/v1/groups/${g.id}/log`);
  assert.equal(log.status, 200, log.text);
  assert.equal(log.json.head, g.head);
  assert.equal(log.json.entries.length, 1);
  const e = log.json.entries[0];
  assert.equal(e.group, g.id);
  assert.equal(e.seq, 1);
  assert.equal(e.prev, '0'.repeat(64));
  assert.equal(e.kind, 'founded');
  assert.equal(e.charter_version, 1);
  assert.ok(Math.abs(Date.parse(e.at) - Date.parse(g.created_at)) < 1000);
  const { hash, kid, signature, ...body } = e;
  const bytes = Buffer.from(jcs(body), 'utf8');
  assert.equal(hash, sha256(bytes));
  assert.equal(hash, g.head);
  const jwks = (await h.api(server, 'GET', '/coop/v1/keys')).json;
  const jwk = jwks.keys.find((k) => k.kid === kid);
  assert.ok(jwk, 'the entry names a key of /coop/v1/keys');
  const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  assert.ok(crypto.verify(null, bytes, key, Buffer.from(signature, 'base64url')));
  // ... and a changed byte does not verify.
  const forged = Buffer.from(jcs({ ...body, charter_version: 2 }), 'utf8');
  assert.ok(!crypto.verify(null, forged, key, Buffer.from(signature, 'base64url')));
  // after= pages: nothing after the head.
  assert.deepEqual((await get(ada, `/coop/v1/groups/${g.id}/log?after=1`)).json.entries, []);
  h.assertProblem(await get(ada, `/coop/v1/groups/${g.id}/log?after=-1`), 422, 'invalid-request');
});

// scripts/verify-log on a log as a member downloads it: exit 0, or 1 naming what is wrong.
function verifyLog(log, keys, knownHead) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-log-'));
  try {
    fs.writeFileSync(path.join(dir, 'log.json'), JSON.stringify(log));
    fs.writeFileSync(path.join(dir, 'keys.json'), JSON.stringify(keys));
    const args = [path.resolve(__dirname, '..', '..', 'scripts', 'verify-log'),
      '--log', path.join(dir, 'log.json'), '--keys', path.join(dir, 'keys.json')];
    if (knownHead) args.push('--known-head', knownHead);
    return spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('scripts/verify-log accepts the served log and refuses a tampered or rewritten one', async () => {
  const ada = await person();
  const g = (await found(ada, { name: h.randomName('v') })).json;
  const log = (await get(ada, `/coop/v1/groups/${g.id}/log`)).json;
  const keys = (await h.api(server, 'GET', '/coop/v1/keys')).json;
  const ok = verifyLog(log, keys, g.head);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /verified/);
  const tampered = structuredClone(log);
  tampered.entries[0].charter_version = 2;
  const bad = verifyLog(tampered, keys);
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /seq 1/);
  // A head the member saw before that the log no longer holds: history was rewritten.
  const rewritten = verifyLog(log, keys, 'ab'.repeat(32));
  assert.equal(rewritten.status, 1);
  assert.match(rewritten.stderr, /rewritten/);
});

test('a group is invisible to anyone but its members', async () => {
  const ada = await person();
  const bob = await person();
  const g = (await found(ada, { name: h.randomName('g') })).json;
  for (const p of ['', '/members', '/charter', '/charter/versions/1', '/log']) {
    h.assertProblem(await get(bob, `/coop/v1/groups/${g.id}${p}`), 404, 'not-found', p);
  }
  // The same answer as for a group that does not exist.
  h.assertProblem(await get(bob, `/coop/v1/groups/${crypto.randomUUID()}`), 404, 'not-found');
  assert.deepEqual((await get(bob, '/coop/v1/me')).json.groups, []);
  // An account of another service is not a FreeCoop person; a service key is no person.
  const svc = h.createService(h.randomName('other'));
  const stranger = await D.person(server, svc);
  h.assertProblem(await get(stranger, `/coop/v1/groups/${g.id}`), 403, 'foreign-account');
  h.assertProblem(await h.api(server, 'GET', `/coop/v1/groups/${g.id}`, { token: svc }), 401,
    'wrong-credential-kind');
});

test('a given charter is validated whole: 422 invalid-charter with a pointer, nothing founded', async () => {
  const ada = await person();
  const base = (await get(ada, `/coop/v1/groups/${(await found(ada, { name: 'x' })).json.id}/charter`))
    .json.charter;
  const before = h.superSql('SELECT count(*) FROM coop.groups');
  const cases = [
    [(c) => { c.decision_types.admit_member.vote = ['nobody']; }, '/decision_types/admit_member/vote/0'],
    [(c) => { c.accounting.currency = 'XYZ'; }, '/accounting/currency'],
    [(c) => { c.roles.member.permissions = ['fly']; }, '/roles/member/permissions/0'],
    [(c) => { c.decision_types.resolution.method = 'ab'.repeat(32); }, '/decision_types/resolution/method'],
    // Lock-in: amendments voted by a role nobody holds at founding.
    [(c) => { c.roles.auditor = { permissions: [] }; c.decision_types.amend_charter.vote = ['auditor']; },
      '/decision_types'],
  ];
  for (const [change, pointer] of cases) {
    const charter = structuredClone(base);
    change(charter);
    const r = await found(ada, { name: 'bad', charter });
    h.assertProblem(r, 422, 'invalid-charter', pointer);
    assert.equal(r.json.pointer, pointer);
  }
  // Oversized: 413, whatever else is wrong with it.
  const big = structuredClone(base);
  big.roles.member.permissions = Array(7000).fill('record_patronage_x');
  const r413 = await found(ada, { name: 'big', charter: big });
  h.assertProblem(r413, 413, 'payload-too-large');
  assert.equal(r413.json.pointer, '/charter');
  assert.equal(h.superSql('SELECT count(*) FROM coop.groups'), before);
  // A valid charter of one's own: a shorter voting phase.
  const own = structuredClone(base);
  own.decision_types.resolution.voting_seconds = 3600;
  const r = await found(ada, { name: 'own', charter: own });
  assert.equal(r.status, 201, r.text);
  const ch = (await get(ada, `/coop/v1/groups/${r.json.id}/charter`)).json.charter;
  assert.equal(ch.decision_types.resolution.voting_seconds, 3600);
});

test('bad founding requests: 422 naming the field', async () => {
  const ada = await person();
  for (const body of [{}, { name: '' }, { name: 'x'.repeat(201) }, { name: 'x', charter: [] },
    { name: 'x', charter: 'default' }, { name: 'x', extra: true }]) {
    h.assertProblem(await found(ada, body), 422, 'invalid-request', JSON.stringify(body));
  }
});

test('applications: a person asks to join; members see it; joining still needs a decision', async () => {
  const ada = await person('Ada');
  const bob = await person('Bob');
  const g = (await found(ada, { name: h.randomName('apply') })).json;
  const apply = (who, body) => h.api(server, 'POST', `/coop/v1/groups/${g.id}/applications`,
    { token: who.token, body });
  const r = await apply(bob, { message: 'I bake bread.' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.person.id, bob.id);
  assert.equal(r.json.person.name, 'Bob');
  assert.equal(r.json.message, 'I bake bread.');
  assert.equal(r.json.status, 'pending');
  // Twice: one pending application is enough; a member does not apply.
  h.assertProblem(await apply(bob, {}), 409, 'already-applied');
  h.assertProblem(await apply(ada, {}), 409, 'already-member');
  // An empty body is fine; a group that does not exist is 404; a long message is 422.
  const carol = await person('Carol');
  assert.equal((await h.api(server, 'POST', `/coop/v1/groups/${g.id}/applications`,
    { token: carol.token })).status, 201);
  h.assertProblem(await h.api(server, 'POST', `/coop/v1/groups/${crypto.randomUUID()}/applications`,
    { token: carol.token, body: {} }), 404, 'not-found');
  h.assertProblem(await apply(await person(), { message: 'x'.repeat(2001) }), 422, 'invalid-request');
  // Members read them, oldest first; the applicants do not (they are not members).
  const list = (await get(ada, `/coop/v1/groups/${g.id}/applications`)).json.applications;
  assert.deepEqual(list.map((a) => a.person.name), ['Bob', 'Carol']);
  assert.equal(list[1].message, null);
  h.assertProblem(await get(bob, `/coop/v1/groups/${g.id}/applications`), 404, 'not-found');
  // Applying makes no one a member.
  h.assertProblem(await get(bob, `/coop/v1/groups/${g.id}`), 404, 'not-found');
  assert.equal((await get(ada, `/coop/v1/groups/${g.id}`)).json.members, 1);
});
