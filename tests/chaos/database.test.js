'use strict';
// PostgreSQL stopped and started again while ballots are cast and accounts created under
// load: meanwhile every answer is a 201 or a 503 problem with Retry-After (no connection
// dropped, nothing else); afterwards the same server process recovers by itself, and
// every write it acknowledged is there: each voter's last receipt is in the published
// result, each account it answered 201 for exists.
//
// This suite stops the shared test cluster: it must not run concurrently with others.

const test = require('node:test');
const assert = require('node:assert/strict');
const { exec } = require('node:child_process');
const { promisify } = require('node:util');
const h = require('../integration/lib/harness');
const D = require('../integration/lib/decisions');
const L = require('./lib/load');

const VOTERS = 150;
const LANES = 24;
const VOTING_MS = 20000;
const sh = promisify(exec);

let server;
let pgDown = false;
test.after(async () => {
  if (pgDown) await sh(h.env('FREECOOP_TEST_PG_START')); // always bring the cluster back
  if (server) assert.equal(await server.stop(), 0, 'api-server exit code after SIGTERM');
});

// A 503 must be the documented problem, with a Retry-After in whole seconds.
function assertUnavailable(r, what) {
  h.assertProblem(r, 503, 'service-unavailable', what);
  assert.match(r.headers.get('retry-after') || '', /^\d+$/, `${what}: Retry-After`);
}

test('PostgreSQL stopped and started under load: 503s meanwhile, then recovery with no acknowledged write lost', async () => {
  h.env('FREECOOP_TEST_PG_STOP');
  // Every voter claims from 127.0.0.1: lift the per-address limit that holds a crowd back.
  server = await h.startServer({ FREECOOP_DB_RECONNECT_MAX_MS: '1000', FREECOOP_CONCLUDE_POLL_MS: '50',
    FREECOOP_RATE_LIMIT_ADDRESS: '1000000' });
  const pid = server.proc.pid;
  const svc = h.createService(h.randomName('chaos-db'));
  const plurality = await D.libraryMethod(server, D.newAuditor('chaos-db'), 'plurality.py');
  const voters = await L.people(server, svc, VOTERS);
  const d = (await D.createDecision(server, svc, plurality, [0, 200, 200, VOTING_MS],
    { voter_franchise: voters.map((v) => v.id) })).json;
  await D.sleepUntil(d.voting_phase.opens_at);

  // The load: every voter casts until a 201, a 503 sending it to the back of the queue;
  // one lane in four also creates accounts. It runs until every voter has a receipt.
  const queue = voters.slice();
  const receipts = new Map();
  const accounts = [];
  const tally = { 201: 0, 503: 0 };
  let phase = 'before';
  const unavailableIn = { before: 0, outage: 0, after: 0 };
  async function lane(k) {
    while (queue.length > 0) {
      const v = queue.shift();
      const r = await D.cast(server, v, d.id, JSON.stringify({ choice: 'none', n: receipts.size }));
      tally[r.status] = (tally[r.status] || 0) + 1;
      if (r.status === 201) {
        receipts.set(v.id, r.json.ballot_id);
      } else {
        assertUnavailable(r, 'a cast');
        unavailableIn[phase]++;
        queue.push(v);
        await h.sleep(100);
      }
      if (k % 4 === 0) {
        const a = await h.api(server, 'POST', '/v1/accounts', { token: svc });
        if (a.status === 201) accounts.push(a.json.id);
        else assertUnavailable(a, 'creating an account');
      }
    }
  }
  let loadError = null;
  const load = Promise.all(Array.from({ length: LANES }, (_, k) => lane(k)))
    .catch((err) => { loadError = loadError || err; });

  // Stop the cluster once the load runs, keep it down for two seconds, start it again.
  while (tally[201] < 30 && !loadError) await h.sleep(10);
  phase = 'outage';
  pgDown = true;
  await sh(h.env('FREECOOP_TEST_PG_STOP'));
  await h.sleep(2000);
  await sh(h.env('FREECOOP_TEST_PG_START'));
  pgDown = false;
  phase = 'after';
  await load;
  if (loadError) throw loadError;

  assert.ok(unavailableIn.outage > 0, `503s while the database was down: ${JSON.stringify(unavailableIn)}`);
  assert.ok(receipts.size < VOTERS || tally[503] > 0, 'the outage hit the load');
  assert.equal(receipts.size, VOTERS, 'every voter got a receipt after the database came back');
  assert.equal(server.proc.pid, pid);
  assert.equal(server.proc.exitCode, null, 'the server kept running');
  assert.ok(Date.now() < Date.parse(d.voting_phase.closes_at),
    'the load ended after voting closed: the test cannot tell recovery from closing');

  // Every acknowledged account exists; every voter's last receipt is counted.
  await L.pool(accounts, 16, async (id) => {
    const r = await h.api(server, 'GET', `/v1/accounts/${id}`, { token: svc });
    assert.equal(r.status, 200, `an account created with 201 during the load: ${r.text}`);
  });
  await D.sleepUntil(d.voting_phase.closes_at);
  assert.equal((await D.waitState(server, svc, d.id, ['concluded', 'failed'], 20000)).state, 'concluded');
  await L.assertResultHolds(server, d.id, receipts);
});
