'use strict';
// A person's GET /coop/v1/me kept in memory, on two instances of one database: repeated
// reads answered without the database, and every change that alters it shown at once on
// the instance that made it and on the other when the database's notification arrives (a
// TTL of a minute: only the notification explains it) — a group founded, an admission by
// decision, a role taken away behind the API.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const C = require('./lib/coop');

const ENV = { FREECOOP_CACHE_TTL_MS: '60000', FREECOOP_CONCLUDE_POLL_MS: '50' };
const NOTIFIED_MS = 1000;
let a;
let b;

test.before(async () => {
  a = await C.coopServer(ENV);
  b = await h.startServer(ENV);
  for (let i = 0; i < 100 && (await h.api(b, 'GET', '/coop/v1/keys')).status !== 200; i++) await h.sleep(50);
});
test.after(async () => {
  for (const s of [a, b]) if (s) assert.equal(await s.stop(), 0);
});

const me = async (server, who) => {
  const r = await h.api(server, 'GET', '/coop/v1/me', { token: who.token });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
async function within(ms, what, fn) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return;
    if (Date.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms`);
    await h.sleep(10);
  }
}
async function batched(server) {
  const r = await h.api(server, 'GET', '/metrics');
  return Number(r.text.match(/^freecoop_db_batched_requests_total (\d+)$/m)[1]);
}
const roles = (m, gid) => (m.groups.find((g) => g.id === gid) || { roles: null }).roles;

test('repeated reads of one person come from memory, the same as from the database', async () => {
  const ada = await C.person(a, 'Ada');
  const first = await me(b, ada);
  const before = await batched(b);
  for (let i = 0; i < 30; i++) assert.deepEqual(await me(b, ada), first);
  assert.ok(await batched(b) < before + 5, 'without a statement each');
});

test('a group founded, an admission and a role taken away: shown on both instances', async () => {
  const ada = await C.person(a, 'Ada');
  const bob = await C.person(a, 'Bob');
  for (const s of [a, b]) {
    assert.deepEqual((await me(s, ada)).groups, []);
    assert.deepEqual((await me(s, bob)).groups, []);
  }
  // Founded on a: listed there at once, and on b when notified.
  const g = await C.found(a, ada, await C.fastCharter(a, ada, 1, 2));
  assert.deepEqual(roles(await me(a, ada), g.id), ['member', 'treasurer']);
  await within(NOTIFIED_MS, 'b lists the group', async () => roles(await me(b, ada), g.id) !== null);

  // Bob admitted by a decision (applied by whichever instance concludes it).
  const ap = await h.api(a, 'POST', `/coop/v1/groups/${g.id}/applications`, { token: bob.token, body: {} });
  assert.equal(ap.status, 201, ap.text);
  await C.decide(a, ada, g, 'admit_member', [{ person: bob.id }]);
  for (const s of [a, b]) await within(NOTIFIED_MS, 'Bob is shown his group', async () => roles(await me(s, bob), g.id) !== null);

  // Someone with the database takes Ada's treasurer role away.
  h.superSql(`DELETE FROM coop.member_roles WHERE group_id = '${g.id}' AND person_id = '${ada.id}' AND role = 'treasurer'`);
  for (const s of [a, b]) {
    await within(NOTIFIED_MS, 'the role is gone', async () => JSON.stringify(roles(await me(s, ada), g.id)) === '["member"]');
  }
});
