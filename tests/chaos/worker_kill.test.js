'use strict';
// kill -9 of the count-worker during a count: the decision waits in counting, concludes
// once a worker is back on the socket, and its result is the one an undisturbed count
// gives: the reference re-count of the published inputs under Debian's /usr/bin/python3.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('../integration/lib/harness');
const D = require('../integration/lib/decisions');
const W = require('../sandbox/lib/worker');

const REFERENCE = path.resolve(__dirname, '..', 'sandbox', 'reference.py');

// Plurality, after about two seconds of arithmetic, so that the kill lands mid-count.
const SLOW_PLURALITY = `
def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    n = 0
    for i in range(30000000):
        n += i
    ids = sorted(p.id for p in proposals)
    counts = dict.fromkeys(ids, 0)
    for b in ballots:
        choice = json.loads(b.payload.decode("utf-8")).get("choice")
        if choice in counts:
            counts[choice] += 1
    return json.dumps({"counts": counts, "n": n}, sort_keys=True).encode()
`;

let server;
const workers = [];
test.after(async () => {
  if (server) await server.stop();
  for (const w of workers.reverse()) await w.stop();
});

test('kill -9 of the count-worker mid-count: the decision concludes once it is back, with the same result', async () => {
  const first = await W.startWorker({ env: { FREECOOP_WORKER_JOBS: '2' } });
  workers.push(first);
  server = await h.startServer({ FREECOOP_CONCLUDE_POLL_MS: '50', FREECOOP_WORKER_SOCKET: first.socketPath,
    FREECOOP_COUNT_CPU_MS: '20000', FREECOOP_COUNT_WALL_MS: '30000' });
  const svc = h.createService(h.randomName('chaos-worker'));
  const method = await D.register(server, D.newAuditor('chaos-worker'), h.randomName('slow'), SLOW_PLURALITY);
  const voters = await Promise.all([1, 2, 3, 4, 5].map(() => D.person(server, svc)));
  const d = (await D.createDecision(server, svc, method, [0, 400, 400, 1200], {
    voter_franchise: voters.map((v) => v.id),
    proposals: [{ payload: D.b64('yes') }, { payload: D.b64('no') }],
  })).json;
  const proposals = (await h.api(server, 'GET', `/v1/decisions/${d.id}/proposals`, { token: svc })).json;
  const ids = proposals.proposals.map((p) => p.id).sort();
  assert.equal(ids.length, 2, JSON.stringify(proposals));
  await D.sleepUntil(d.voting_phase.opens_at);
  for (const [i, v] of voters.entries()) {
    const r = await D.cast(server, v, d.id, JSON.stringify({ choice: ids[i < 3 ? 0 : 1] }));
    assert.equal(r.status, 201, r.text);
  }
  await D.sleepUntil(d.voting_phase.closes_at);

  // The count is running when the worker has a job child; then the worker is killed.
  const end = Date.now() + 15000;
  while (W.childrenOf(first.pid).length === 0) {
    assert.ok(Date.now() < end, `the count never started; server log:\n${server.logs.slice(-10).join('\n')}`);
    await h.sleep(20);
  }
  await h.sleep(300);
  process.kill(first.pid, 'SIGKILL');
  await first.exitPromise;
  assert.deepEqual(await first.leftovers(3000), [], 'the job child died with its worker');

  // Without a worker the decision stays in counting. The broken count is one attempt of
  // conclude_max_attempts (a method that brought its worker down every time must end in
  // failed, not loop); the retries that find no worker at all are not.
  await h.sleep(2500);
  assert.equal(h.operatorSql(`SELECT state || '|' || attempts FROM admin.decisions WHERE id = '${d.id}'`),
    'counting|1', 'waiting in counting, one attempt used');

  workers.push(await W.startWorker({ socketPath: first.socketPath }));
  const done = await D.waitState(server, svc, d.id, ['concluded', 'failed'], 30000);
  assert.equal(done.state, 'concluded');
  const doc = (await D.verifiedResult(server, d.id)).payload;
  assert.equal(doc.outcome.status, 'ok', JSON.stringify(doc.outcome));
  const result = JSON.parse(Buffer.from(doc.outcome.result, 'base64').toString('utf8'));
  assert.deepEqual(result.counts, { [ids[0]]: 3, [ids[1]]: 2 });

  // The same bytes as a count nobody disturbed: the reference re-count.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-chaos-'));
  try {
    fs.writeFileSync(path.join(dir, 'method.py'), SLOW_PLURALITY);
    fs.writeFileSync(path.join(dir, 'payload.json'), JSON.stringify(doc));
    const r = spawnSync('/usr/bin/python3', [REFERENCE, path.join(dir, 'method.py'), path.join(dir, 'payload.json'),
      '--libraries', doc.runtime.libraries.join(' ')], { encoding: 'utf8', env: { ...process.env, PYTHONHASHSEED: '0' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), doc.outcome.result, 'the reference re-count gives the same bytes');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
