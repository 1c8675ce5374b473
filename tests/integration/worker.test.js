'use strict';
// The server and its count-worker: /readyz and /metrics tell whether the worker is
// reachable, and the server finds a worker that starts late, dies or restarts by itself —
// without a restart of its own.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const h = require('./lib/harness');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-it-worker-'));
fs.chmodSync(dir, 0o755); // the server's own user connects to the socket in it
const sock = path.join(dir, 'worker.sock');

function connectable() {
  return new Promise((resolve) => {
    const c = net.connect(sock);
    c.on('connect', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  });
}

async function startWorker() {
  const proc = spawn(h.env('FREECOOP_WORKER_BIN'), ['--socket', sock],
    { stdio: ['ignore', 'ignore', 'ignore'], env: h.workerEnv() });
  const deadline = Date.now() + 10000;
  while (!(await connectable())) {
    assert.ok(Date.now() < deadline, 'the count-worker did not start');
    await h.sleep(50);
  }
  return proc;
}

async function readiness(server) {
  return h.api(server, 'GET', '/readyz');
}

// Polls /readyz until its worker check says want (or fails after 10 s).
async function waitWorkerCheck(server, want) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const r = await readiness(server);
    const got = r.status === 200 ? r.json.checks.worker : r.json.checks && r.json.checks.worker;
    // (the database pool may still be connecting when the worker's check already answers)
    if (got === want && r.json.checks && r.json.checks.database === 'ok') return r;
    assert.ok(Date.now() < deadline, `/readyz worker check stayed ${got}, wanted ${want}`);
    await h.sleep(100);
  }
}

async function metric(server, name) {
  const res = await fetch(`${server.url}/metrics`);
  const text = await res.text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m, `${name} is in /metrics`);
  return Number(m[1]);
}

describe('the server and its count-worker', () => {
  let server;
  let worker = null;

  before(async () => {
    server = await h.startServer({ FREECOOP_WORKER_SOCKET: sock, FREECOOP_WORKER_RETRY_MAX_MS: 300 },
      { ready: false });
  });
  after(async () => {
    if (worker) worker.kill('SIGKILL');
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is not ready while no worker listens, and says which check failed', async () => {
    const r = await waitWorkerCheck(server, 'unavailable');
    h.assertProblem(r, 503, 'not-ready', '/readyz without a worker');
    assert.deepEqual(r.json.checks, { database: 'ok', migrations: 'ok', worker: 'unavailable' });
    assert.equal(await metric(server, 'freecoop_worker_up'), 0);
    // liveness does not depend on the worker
    assert.equal((await h.api(server, 'GET', '/healthz')).status, 200);
  });

  it('becomes ready when a worker starts late', async () => {
    worker = await startWorker();
    const r = await waitWorkerCheck(server, 'ok');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ready', checks: { database: 'ok', migrations: 'ok', worker: 'ok' } });
    assert.equal(await metric(server, 'freecoop_worker_up'), 1);
  });

  it('notices at once when the worker dies, and recovers when it restarts', async () => {
    worker.kill('SIGKILL');
    await new Promise((resolve) => worker.on('exit', resolve));
    worker = null;
    const down = await waitWorkerCheck(server, 'unavailable');
    assert.equal(down.status, 503);
    worker = await startWorker();
    const up = await waitWorkerCheck(server, 'ok');
    assert.equal(up.status, 200);
    // the server was never restarted
    assert.equal(server.proc.exitCode, null);
  });

  it('logs each outage once, and the recovery', () => {
    const logs = server.parsedLogs();
    const lost = logs.filter((l) => /could not connect to the count-worker/.test(l.msg || ''));
    const back = logs.filter((l) => /count-worker reachable again/.test(l.msg || ''));
    assert.ok(lost.length >= 1 && lost.length <= 3, `outage logged ${lost.length} times`);
    assert.ok(back.length >= 1, 'the recovery is logged');
  });
});
