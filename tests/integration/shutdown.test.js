'use strict';
// Graceful shutdown under load, and refusing to start with an authority key that is not
// a registered decision authority.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness');
const { holdTransaction } = require('./lib/psql');

const SHUTDOWN_TIMEOUT_S = 5;

// Holds an ACCESS EXCLUSIVE lock on decision.access_tokens in a superuser session, so
// every request that issues an access token waits in the database (is in flight) until
// release() commits. Resolves with release once the lock is held.
async function lockAccessTokens() {
  const { release } = await holdTransaction(h.env('FREECOOP_TEST_CONNINFO_SUPER'),
    'LOCK TABLE decision.access_tokens IN ACCESS EXCLUSIVE MODE');
  return release;
}

// The in-flight gauge from /metrics (this request included), or null if there is none.
async function inFlight(server) {
  const r = await h.api(server, 'GET', '/metrics');
  const line = r.text.split('\n').find((l) => /^freecoop_http_requests_in_flight(\{\})? /.test(l));
  return line ? Number(line.split(' ').pop()) : null;
}

// Tallies settled h.api calls: {issued: [tokens], statuses: {status|none: n}}. A call
// that got no response at all rejects with NO_RESPONSE; any other rejection (a cut body,
// a response that contradicts the OpenAPI document) fails the test.
function tally(settled) {
  const issued = [];
  const statuses = {};
  for (const s of settled) {
    if (s.status === 'rejected') {
      assert.equal(s.reason.code, 'NO_RESPONSE', `a request failed otherwise: ${s.reason.message}`);
      statuses.none = (statuses.none || 0) + 1;
      continue;
    }
    const r = s.value;
    statuses[r.status] = (statuses[r.status] || 0) + 1;
    if (r.status === 201) issued.push(r.json.access_token);
    else h.assertProblem(r, 503, 'service-unavailable', 'a request answered during shutdown');
  }
  return { issued, statuses };
}

function storedCount(tokens) {
  if (tokens.length === 0) return 0;
  const hashes = tokens.map((t) => `decode('${h.sha256hex(t)}', 'hex')`).join(', ');
  return Number(h.superSql(`SELECT count(*) FROM decision.access_tokens WHERE token_hash IN (${hashes})`));
}

async function exitWithin(server, ms) {
  return Promise.race([server.exited, h.sleep(ms).then(() => null)]);
}

describe('shutdown and start-up', () => {
  it('SIGTERM right after a burst of 50 requests: each answer is complete, exit 0', async () => {
    const server = await h.startServer({ FREECOOP_SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT_S) });
    let exited = false;
    try {
      const svc = h.createService(h.randomName('shutdown-svc'));
      const acct = await h.newAccount(server, svc);
      const aut = await h.claim(server, acct.id);
      // Open connections first so the burst goes out on established keep-alive sockets.
      await Promise.all(Array.from({ length: 50 }, () => h.api(server, 'GET', '/healthz')));

      const calls = Array.from({ length: 50 }, () => h.api(server, 'POST', '/v1/access-tokens', { token: aut }));
      const settled = Promise.allSettled(calls);
      await new Promise((resolve) => setImmediate(resolve));
      const t0 = Date.now();
      server.proc.kill('SIGTERM');
      const { issued, statuses } = tally(await settled);
      const exit = await exitWithin(server, (SHUTDOWN_TIMEOUT_S + 5) * 1000);
      exited = exit !== null;
      assert.ok(exit, `api-server did not exit within ${SHUTDOWN_TIMEOUT_S + 5} s of SIGTERM`);
      assert.equal(exit.code, 0, `exit code ${exit.code} (signal ${exit.signal}); log:\n${server.logs.slice(-10).join('\n')}`);
      assert.ok(Date.now() - t0 <= SHUTDOWN_TIMEOUT_S * 1000 + 1000, `exit took ${Date.now() - t0} ms`);
      // Answers are 201 (served) or 503 (refused once the listener closed). A request the
      // client wrote after the server had gone quiet may find its idle keep-alive connection
      // closed (RFC 9112 §9.6 allows it), so "no answer" cannot be ruled out here.
      for (const s of Object.keys(statuses)) assert.ok(s === '201' || s === '503' || s === 'none', `unexpected status ${s}`);
      // Every token the server handed out was committed.
      assert.equal(storedCount(issued), issued.length, `tokens issued and stored differ; ${JSON.stringify(statuses)}`);
      assert.ok(server.logs.some((l) => /shut/i.test(l)), 'the log says it is shutting down');
    } finally {
      if (!exited) await server.stop();
    }
  });

  it('SIGTERM with 50 requests in flight: all of them finish, then exit 0', async () => {
    const server = await h.startServer({ FREECOOP_SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT_S) });
    let exited = false;
    let release = null;
    try {
      const svc = h.createService(h.randomName('shutdown-svc'));
      const acct = await h.newAccount(server, svc);
      const aut = await h.claim(server, acct.id);

      release = await lockAccessTokens();
      const calls = Array.from({ length: 50 }, () => h.api(server, 'POST', '/v1/access-tokens', { token: aut }));
      const settled = Promise.allSettled(calls);
      // Wait until the server holds all 50 (they wait on the lock), then SIGTERM.
      const deadline = Date.now() + 3000;
      let n = await inFlight(server);
      while (n !== null && n < 51 && Date.now() < deadline) {
        await h.sleep(20);
        n = await inFlight(server);
      }
      if (n === null) await h.sleep(500);
      assert.ok(n === null || n >= 51, `only ${n - 1} of 50 requests reached the server`);
      const t0 = Date.now();
      server.proc.kill('SIGTERM');
      await h.sleep(500);
      // A new request now is refused (503 on an open connection, or no connection at all).
      const late = await Promise.allSettled([h.api(server, 'GET', '/healthz', { timeoutMs: 3000 })]);
      if (late[0].status === 'fulfilled') h.assertProblem(late[0].value, 503, 'service-unavailable', 'a request after SIGTERM');
      else assert.equal(late[0].reason.code, 'NO_RESPONSE', late[0].reason.message);
      assert.equal(server.proc.exitCode, null, 'the server exited with requests in flight');

      await release();
      release = null;
      const { issued, statuses } = tally(await settled);
      const exit = await exitWithin(server, (SHUTDOWN_TIMEOUT_S + 5) * 1000);
      exited = exit !== null;
      assert.ok(exit, `api-server did not exit within ${SHUTDOWN_TIMEOUT_S + 5} s of SIGTERM`);
      assert.equal(exit.code, 0, `exit code ${exit.code} (signal ${exit.signal}); log:\n${server.logs.slice(-10).join('\n')}`);
      assert.ok(Date.now() - t0 <= SHUTDOWN_TIMEOUT_S * 1000 + 1000, `exit took ${Date.now() - t0} ms`);
      assert.equal(issued.length, 50, `every in-flight request completes: ${JSON.stringify(statuses)}`);
      assert.equal(storedCount(issued), 50, 'every issued token was committed');
    } finally {
      if (release) await release();
      if (!exited) await server.stop();
    }
  });

  it('a request stuck past shutdown_timeout does not keep the server alive', async () => {
    const server = await h.startServer({ FREECOOP_SHUTDOWN_TIMEOUT: '2' });
    let exited = false;
    let release = null;
    try {
      const svc = h.createService(h.randomName('shutdown-svc'));
      const acct = await h.newAccount(server, svc);
      const aut = await h.claim(server, acct.id);
      release = await lockAccessTokens();
      const settled = Promise.allSettled([h.api(server, 'POST', '/v1/access-tokens', { token: aut })]);
      const deadline = Date.now() + 3000;
      let n = await inFlight(server);
      while (n !== null && n < 2 && Date.now() < deadline) {
        await h.sleep(20);
        n = await inFlight(server);
      }
      if (n === null) await h.sleep(300);
      const t0 = Date.now();
      server.proc.kill('SIGTERM');
      const exit = await exitWithin(server, 8000);
      exited = exit !== null;
      assert.ok(exit, 'api-server did not exit within 8 s with shutdown_timeout = 2');
      const took = Date.now() - t0;
      assert.ok(took >= 1500 && took <= 3500, `exit ${took} ms after SIGTERM, shutdown_timeout is 2 s`);
      assert.equal(exit.code, 0, `exit code ${exit.code} (signal ${exit.signal})`);
      tally(await settled);
    } finally {
      if (release) await release();
      if (!exited) await server.stop();
    }
  });

  it('refuses to start with an authority key that is not registered', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freecoop-shutdown-test-'));
    try {
      const key = path.join(dir, 'authority.pem');
      const gen = spawnSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', key], { encoding: 'utf8' });
      assert.equal(gen.status, 0, `openssl genpkey failed: ${gen.stderr}`);
      const r = await h.runServerUntilExit({ FREECOOP_AUTHORITY_KEY_FILE: key }, 15000);
      assert.ok(!r.timedOut, `the server kept running with an unregistered key; log:\n${r.logs.join('\n')}`);
      assert.notEqual(r.code, 0, `exit code ${r.code}`);
      assert.equal(r.answered, false, 'the server answered requests with an unregistered key');
      const why = r.logs.filter((l) => /authorit/i.test(l));
      assert.ok(why.length > 0, `no log line says why; log:\n${r.logs.join('\n')}`);
      const rec = JSON.parse(why[why.length - 1]);
      assert.match(rec.level, /error|fatal|crit/i, `level of: ${why[why.length - 1]}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with a missing or unreadable authority key file', async () => {
    const r = await h.runServerUntilExit({ FREECOOP_AUTHORITY_KEY_FILE: '/nonexistent/freecoop/authority.pem' }, 15000);
    assert.ok(!r.timedOut, 'the server kept running without its authority key');
    assert.notEqual(r.code, 0, `exit code ${r.code}`);
    assert.ok(r.logs.some((l) => /authority|key/i.test(l)), `no log line says why; log:\n${r.logs.join('\n')}`);
  });
});
