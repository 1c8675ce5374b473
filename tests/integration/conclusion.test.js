'use strict';
// The conclusion job across instances (DESIGN §2, §5): two servers on one database never
// count a decision twice, and a decision whose instance dies mid-count is concluded by
// another once the lease expires.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const D = require('./lib/decisions');

const LEASE_MS = 1500;
const servers = [];

async function stopAll() {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
}

test.afterEach(stopAll);

async function start(extra = {}, opts = {}) {
  const s = await h.startServer({ FREECOOP_CONCLUDE_POLL_MS: '50',
    FREECOOP_CONCLUDE_LEASE_MS: String(LEASE_MS), ...extra }, opts);
  servers.push(s);
  return s;
}

// The decisions a server's log says it concluded (or failed).
function concludedBy(server) {
  return server.parsedLogs()
    .map((l) => /^decision ([0-9a-f-]{36}) (concluded|failed):/.exec(l.msg || ''))
    .filter(Boolean).map((m) => m[1]);
}

// A decision of method with one voter, who casts a ballot; returns it once voting closed.
async function votedAndClosed(server, svc, method, phases) {
  const voter = await D.person(server, svc);
  const d = (await D.createDecision(server, svc, method, phases,
    { voter_franchise: [voter.id] })).json;
  await D.sleepUntil(d.voting_phase.opens_at);
  assert.equal((await D.cast(server, voter, d.id, '{}')).status, 201);
  await D.sleepUntil(d.voting_phase.closes_at);
  return d;
}

test('two servers on one database conclude each decision exactly once', async () => {
  const [a, b] = [await start(), await start()];
  const svc = h.createService(h.randomName('two'));
  const auditor = D.newAuditor('two');
  const plurality = await D.libraryMethod(a, auditor, 'plurality.py');
  const voter = await D.person(a, svc);
  // Twelve decisions closing at the same moment, created through both servers.
  const ids = (await Promise.all(Array.from({ length: 12 }, (_, i) => D.createDecision(
    i % 2 ? a : b, svc, plurality, [0, 400, 400, 3000], { voter_franchise: [voter.id] }))))
    .map((r) => { assert.equal(r.status, 201, r.text); return r.json; });
  await D.sleepUntil(ids[0].voting_phase.opens_at);
  for (const d of ids) assert.equal((await D.cast(a, voter, d.id, '{}')).status, 201);
  for (const d of ids) await D.waitState(b, svc, d.id, ['concluded'], 20000);

  const byA = concludedBy(a);
  const byB = concludedBy(b);
  for (const d of ids) {
    const n = byA.filter((x) => x === d.id).length + byB.filter((x) => x === d.id).length;
    assert.equal(n, 1, `decision ${d.id} was concluded ${n} times`);
    assert.equal(h.operatorSql(`SELECT attempts FROM admin.decisions WHERE id = '${d.id}'`), '1');
    await D.verifiedResult(a, d.id);
  }
  assert.ok(byA.length > 0 && byB.length > 0, `both servers took part (${byA.length} + ${byB.length})`);
});

test('an instance killed mid-count: another concludes the decision once the lease expires', async () => {
  const first = await start();
  const svc = h.createService(h.randomName('crash'));
  const auditor = D.newAuditor('crash');
  // A count that takes about two seconds of CPU, then answers.
  const slow = await D.register(first, auditor, h.randomName('slow'),
    'def count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n'
    + '    n = 0\n    for i in range(30000000):\n        n += i\n'
    + '    return json.dumps({"adopted": [], "n": n}).encode()\n');
  const d = await votedAndClosed(first, svc, slow, [0, 300, 300, 900]);

  // Wait until the first server has claimed it and is counting, then kill it.
  const end = Date.now() + 10000;
  while (!first.parsedLogs().some((l) => (l.msg || '').startsWith(`concluding decision ${d.id}`))) {
    assert.ok(Date.now() < end, 'the first server never claimed the decision');
    await h.sleep(20);
  }
  first.proc.kill('SIGKILL');
  await first.exited;
  const killedAt = Date.now();
  assert.equal(h.operatorSql(`SELECT state FROM admin.decisions WHERE id = '${d.id}'`), 'counting');

  const second = await start({ FREECOOP_COUNT_CPU_MS: '20000', FREECOOP_COUNT_WALL_MS: '30000' });
  const done = await D.waitState(second, svc, d.id, ['concluded', 'failed'], 30000);
  assert.equal(done.state, 'concluded');
  assert.ok(Date.now() - killedAt >= LEASE_MS - 200, 'not taken over before the lease expired');
  assert.equal(h.operatorSql(`SELECT attempts FROM admin.decisions WHERE id = '${d.id}'`), '2');
  assert.equal(concludedBy(second).filter((x) => x === d.id).length, 1);
  const doc = (await D.verifiedResult(second, d.id)).payload;
  assert.equal(doc.inputs.ballots.length, 1);
});

test('with the count-worker down, a closed decision waits in counting and concludes when it is back', async () => {
  // A server whose worker socket leads nowhere: the count cannot run, and that attempt
  // must not count against the decision.
  const lonely = await start({ FREECOOP_WORKER_SOCKET: '/nonexistent/worker.sock' }, { ready: false });
  const svc = h.createService(h.randomName('noworker'));
  const auditor = D.newAuditor('noworker');
  const plurality = await D.libraryMethod(lonely, auditor, 'plurality.py'); // known code: no VALIDATE
  const d = await votedAndClosed(lonely, svc, plurality, [0, 200, 200, 700]);
  await h.sleep(3000);
  assert.equal(h.operatorSql(`SELECT state || '|' || attempts FROM admin.decisions WHERE id = '${d.id}'`),
    'counting|0', 'attempts without a worker do not count');
  await lonely.stop();
  const back = await start();
  assert.equal((await D.waitState(back, svc, d.id, ['concluded', 'failed'], 20000)).state, 'concluded');
});
