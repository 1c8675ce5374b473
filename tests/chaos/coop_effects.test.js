'use strict';
// A group's decision is applied exactly once (DESIGN §10.6), whatever happens between the
// core's conclusion and FreeCoop's application: two instances trying at once, or the
// api-server killed (kill -9) after the conclusion and before the application. The
// application is held back by a transaction holding the group's row, so the window is
// certain rather than a race.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('../integration/lib/harness');
const C = require('../integration/lib/coop');
const { holdTransaction } = require('../integration/lib/psql');

const LEASE_MS = 1500;
const ENV = {
  FREECOOP_CONCLUDE_POLL_MS: '50',
  FREECOOP_WEBHOOK_POLL_MS: '100',
  FREECOOP_WEBHOOK_TIMEOUT_MS: '100',
  FREECOOP_WEBHOOK_LEASE_MS: String(LEASE_MS),
  FREECOOP_WEBHOOK_RETRY_DELAYS: '1,1,1,1,1,1,1,1',
};

const servers = [];
test.afterEach(async () => { await Promise.all(servers.splice(0).map((s) => s.stop())); });

async function start() {
  const s = await C.coopServer(ENV);
  servers.push(s);
  return s;
}

// FreeCoop's applications waiting on the group's row (the held transaction).
function waiting() {
  return Number(h.superSql(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
    AND query LIKE '%UPDATE coop.groups%' AND usename = 'freecoop_server'`));
}

async function until(what, fn, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await h.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Ada founds a fast group on server s, Bob applies, Ada starts his admission and votes;
// the group's row is held before voting closes. Returns {ada, bob, g, d, lock}.
async function admissionHeldBack(s) {
  const ada = await C.person(s, 'Ada');
  const bob = await C.person(s, 'Bob');
  const g = await C.found(s, ada, await C.fastCharter(s, ada));
  assert.equal((await h.api(s, 'POST', `/coop/v1/groups/${g.id}/applications`, { token: bob.token, body: {} })).status, 201);
  const r = await h.api(s, 'POST', `/coop/v1/groups/${g.id}/decisions`,
    { token: ada.token, body: { type: 'admit_member', title: 'Bob', proposals: [{ person: bob.id }] } });
  assert.equal(r.status, 201, r.text);
  await C.voteAll(s, r.json, [ada]);
  const lock = await holdTransaction(process.env.FREECOOP_TEST_CONNINFO_SUPER,
    `SELECT 1 FROM coop.groups WHERE id = '${g.id}' FOR UPDATE`);
  return { ada, bob, g, d: r.json, lock };
}

// The decision is applied once: one log entry, Bob a member once, the log verifies.
async function appliedOnce(s, { ada, bob, g, d }) {
  const listed = await C.waitApplied(s, ada, g.id, d.id);
  assert.equal(listed.state, 'applied');
  assert.deepEqual(listed.applied, [{ person: bob.id }]);
  const log = await C.log(s, ada, g.id);
  assert.deepEqual(log.entries.map((e) => [e.seq, e.kind, e.decision]),
    [[1, 'founded', undefined], [2, 'decision', d.id]]);
  assert.equal(listed.log_seq, 2);
  const members = (await h.api(s, 'GET', `/coop/v1/groups/${g.id}/members`, { token: ada.token })).json.members;
  assert.deepEqual(members.map((m) => m.id).sort(), [ada.id, bob.id].sort());
  const v = await C.verifyLog(s, ada, log);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  // The event is settled: delivered, not left to be retried.
  await until('the event delivered', () => h.superSql(`SELECT status FROM decision.events
    WHERE decision_id = '${d.id}'`) === 'delivered');
}

test('two instances deliver the same decision at once: it is applied once', async () => {
  const a = await start();
  const b = await start();
  const x = await admissionHeldBack(a);
  try {
    // The core concludes; one instance's application waits on the row; its lease runs
    // out and the event is delivered again (to either instance), which waits too.
    await until('two applications waiting on the group', () => waiting() >= 2, 30000);
  } finally {
    await x.lock.release();
  }
  await appliedOnce(b, x);
  const applied = [...a.parsedLogs(), ...b.parsedLogs()]
    .filter((l) => typeof l.msg === 'string' && l.msg.includes(`applied decision ${x.d.id}`));
  assert.equal(applied.length, 1, 'one instance applied it');
});

test('kill -9 after the conclusion, before the application: applied once after the restart', async () => {
  const a = await start();
  const x = await admissionHeldBack(a);
  try {
    await until('the application waiting on the group', () => waiting() >= 1, 30000);
    a.proc.kill('SIGKILL');
    await a.exited;
    servers.splice(servers.indexOf(a), 1);
  } finally {
    await x.lock.release();
  }
  // Nothing applied it: the killed server's statement, if its session outlived it, can
  // only have applied it whole (one statement), so whichever way, one entry.
  const b = await start();
  await appliedOnce(b, x);
});
