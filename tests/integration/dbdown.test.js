'use strict';
// The database goes away under a running server: calls that need it get 503 with
// Retry-After, liveness stays up, readiness goes down; when the database comes back the
// same server recovers by itself.
//
// This suite stops the shared test cluster: it must not run concurrently with the others.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness');

const RECOVERY_MS = 15000;

function sh(cmd) {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 120000 });
  return { status: r.status, out: `${r.stdout || ''}${r.stderr || ''}`.trim(), error: r.error };
}

describe('database outage', () => {
  let server;
  let svc;
  let account;
  let acc;
  let pgStopped = false;

  function startPg() {
    if (!pgStopped) return;
    const r = sh(h.env('FREECOOP_TEST_PG_START'));
    assert.equal(r.status, 0, `FREECOOP_TEST_PG_START failed: ${r.out}`);
    pgStopped = false;
  }

  before(async () => {
    // Fail before stopping anything if the commands are not there.
    h.env('FREECOOP_TEST_PG_STOP');
    h.env('FREECOOP_TEST_PG_START');
    server = await h.startServer({ FREECOOP_DB_RECONNECT_MAX_MS: '1000' });
    svc = h.createService(h.randomName('dbdown-svc'));
    account = await h.newAccount(server, svc, 'before the outage');
    acc = await h.accessToken(server, await h.claim(server, account.id));
  });

  after(async () => {
    try {
      startPg(); // ALWAYS bring the cluster back, whatever happened above.
    } finally {
      if (server) {
        const code = await server.stop();
        assert.equal(code, 0, 'api-server exit code after SIGTERM');
      }
    }
  });

  // The calls that need the database, each with what success looks like.
  function dbCalls() {
    return [
      ['POST /v1/accounts', () => h.api(server, 'POST', '/v1/accounts', { token: svc }), 201],
      ['GET /v1/accounts/{id}', () => h.api(server, 'GET', `/v1/accounts/${account.id}`, { token: svc }), 200],
      ['GET /v1/me', () => h.api(server, 'GET', '/v1/me', { token: acc }), 200],
      ['GET /v1/authorities', () => h.api(server, 'GET', '/v1/authorities'), 200],
      ['POST /v1/accounts/{id}/authorization-token',
        () => h.api(server, 'POST', `/v1/accounts/${account.id}/authorization-token`), 409],
    ];
  }

  it('answers 503 while the database is down and recovers without a restart', async () => {
    const pid = server.proc.pid;
    const stop = sh(h.env('FREECOOP_TEST_PG_STOP'));
    pgStopped = true;
    assert.equal(stop.status, 0, `FREECOOP_TEST_PG_STOP failed: ${stop.out}`);

    try {
      const ids = [];
      for (const [what, call] of dbCalls()) {
        const t0 = Date.now();
        const r = await call();
        h.assertProblem(r, 503, 'service-unavailable', `${what} with the database down`);
        assert.match(r.headers.get('retry-after') || '', /^\d+$/, `${what}: Retry-After`);
        assert.ok(Date.now() - t0 < 10000, `${what} took ${Date.now() - t0} ms to fail`);
        ids.push(r.json.request_id);
      }
      const ready = await h.api(server, 'GET', '/readyz');
      h.assertProblem(ready, 503, 'not-ready', '/readyz with the database down');
      assert.equal(ready.json.checks.database, 'unavailable');
      // A 503 is the service degrading, not a fault: warn; the readiness probe's is its answer.
      await h.sleep(100);
      const level = (id) => (server.parsedLogs().find((l) => l.msg === 'request' && l.request_id === id) || {}).level;
      for (const id of ids) assert.equal(level(id), 'warn', `request ${id}: a 503 logged at ${level(id)}`);
      assert.equal(level(ready.json.request_id), 'info', 'the /readyz 503');
      const live = await h.api(server, 'GET', '/healthz');
      assert.equal(live.status, 200, '/healthz stays 200 while the database is down');
      const metrics = await h.api(server, 'GET', '/metrics');
      assert.equal(metrics.status, 200, '/metrics still answers');
    } finally {
      startPg();
    }

    // The same process recovers by itself within RECOVERY_MS.
    const deadline = Date.now() + RECOVERY_MS;
    let pending = dbCalls().concat([['GET /readyz', () => h.api(server, 'GET', '/readyz'), 200]]);
    let last = '';
    while (pending.length > 0 && Date.now() < deadline) {
      const still = [];
      for (const c of pending) {
        const r = await c[1]();
        if (r.status !== c[2]) {
          assert.ok([503].includes(r.status), `${c[0]} while recovering: ${r.status} ${r.text.slice(0, 200)}`);
          still.push(c);
          last = `${c[0]}: ${r.status} ${r.text.slice(0, 200)}`;
        }
      }
      pending = still;
      if (pending.length > 0) await h.sleep(250);
    }
    assert.deepEqual(pending.map((c) => c[0]), [], `not recovered within ${RECOVERY_MS} ms; last: ${last}`);
    assert.equal(server.proc.pid, pid);
    assert.equal(server.proc.exitCode, null, 'the server kept running');
    const me = await h.api(server, 'GET', '/v1/me', { token: acc });
    assert.equal(me.json.id, account.id, 'the access token issued before the outage still works');
  });
});
