'use strict';
// kill -9 of the api-server while ballots are being cast under load. After a restart:
// every ballot whose 201 a voter received is in the published result (by receipt); a
// ballot whose answer was lost is either wholly stored (the voter's ballot status shows
// it, the result holds it) or not at all; voters who cast again are counted once.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('../integration/lib/harness');
const D = require('../integration/lib/decisions');
const L = require('./lib/load');

const VOTERS = 240;
const KILL_AFTER = 80; // answers received before the kill
const VOTING_MS = 12000;

const servers = [];
test.after(() => Promise.all(servers.map((s) => s.stop())));

// Every voter claims from 127.0.0.1: lift the per-address limit that holds a crowd back.
async function start() {
  const s = await h.startServer({ FREECOOP_CONCLUDE_POLL_MS: '50', FREECOOP_RATE_LIMIT_ADDRESS: '1000000' });
  servers.push(s);
  return s;
}

test('kill -9 of the api-server during a cast load loses no acknowledged ballot', async () => {
  const first = await start();
  const svc = h.createService(h.randomName('chaos-kill'));
  const plurality = await D.libraryMethod(first, D.newAuditor('chaos-kill'), 'plurality.py');
  const voters = await L.people(first, svc, VOTERS);
  const d = (await D.createDecision(first, svc, plurality, [0, 200, 200, VOTING_MS],
    { voter_franchise: voters.map((v) => v.id) })).json;
  await D.sleepUntil(d.voting_phase.opens_at);

  // Cast with 32 requests in flight; once 80 answers are in, the server is frozen
  // (SIGSTOP) where it stands — mid-batch, its statement perhaps committed, perhaps not —
  // and killed 300 ms later, when every lane is waiting on a request. Killed outright, a
  // fast server could have answered everything in flight already: a batch answers all its
  // casts at once, and the answers wait in the sockets.
  let answered = 0;
  let killing = false;
  let killed = false;
  const seen = await L.castAll(first, voters, d.id, {
    onAnswer: (rec) => {
      if (rec.status !== undefined) answered++;
      if (answered >= KILL_AFTER && !killing) {
        killing = true;
        first.proc.kill('SIGSTOP');
        setTimeout(() => { first.proc.kill('SIGKILL'); killed = true; }, 300);
      }
    },
    stop: () => killed,
  });
  await first.exited;
  const acked = [...seen.values()].filter((r) => r.status !== undefined);
  const lost = [...seen.values()].filter((r) => r.error !== undefined);
  for (const r of acked) assert.equal(r.status, 201, `an answered cast: ${r.status} ${r.text}`);
  assert.ok(acked.length >= KILL_AFTER, `${acked.length} casts answered before the kill`);
  assert.ok(lost.length > 0, 'some casts were in flight when the server died');
  assert.ok(Date.now() < Date.parse(d.voting_phase.closes_at) - 5000,
    'the load and the kill took so long that voting would close before the checks');

  // A new server on the same database. Each voter's ballot status agrees with what the
  // voter was told: an acknowledged cast is the current ballot; a lost one is there
  // whole or not at all (the result below holds the ballot status tells of).
  const second = await start();
  const current = await L.currentBallots(second, d.id, voters);
  for (const r of acked) assert.equal(current.get(r.voter.id), r.json.ballot_id, 'an acknowledged ballot is current');
  const untried = voters.filter((v) => !seen.has(v.id));
  for (const v of untried) assert.equal(current.get(v.id), null, 'a voter who never cast has no ballot');

  // Half of the voters without an answer cast again, and so do the untried ones.
  const receipts = new Map(current);
  const again = lost.filter((_, i) => i % 2 === 0).map((r) => r.voter).concat(untried);
  await L.pool(again, 16, async (v) => {
    const r = await D.cast(second, v, d.id, `again ${v.id}`);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.replaced, current.get(v.id) !== null, 'replaced says whether a ballot was stored');
    receipts.set(v.id, r.json.ballot_id);
  });

  await D.sleepUntil(d.voting_phase.closes_at);
  assert.equal((await D.waitState(second, svc, d.id, ['concluded', 'failed'], 20000)).state, 'concluded');
  const doc = await L.assertResultHolds(second, d.id, receipts);
  const result = JSON.parse(Buffer.from(doc.outcome.result, 'base64').toString('utf8'));
  assert.equal(result.ballots, [...receipts.values()].filter((x) => x !== null).length,
    'the count saw one ballot per voter with a receipt');
});
