'use strict';
// kill -9 of the api-server around a webhook delivery (issue 16). The event is in the
// outbox from the moment the decision concluded, so no crash loses it: an attempt cut off
// by the kill is made again, with the same webhook-id, by the next server once the dead
// one's lease expired; an event concluded just before the kill is delivered after the
// restart. Receivers listen on 127.0.0.1 only.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('../integration/lib/harness');
const D = require('../integration/lib/decisions');
const { startReceiver } = require('../integration/lib/receiver');

const VERIFY = path.resolve(__dirname, '..', 'integration', 'lib', 'verify_webhook.py');
const LEASE_MS = 3000;
// Both servers write leases of LEASE_MS: the one killed holds the event for that long. A
// lease must exceed webhook_timeout_ms by more than a second.
const ENV = {
  FREECOOP_WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
  FREECOOP_WEBHOOK_RETRY_DELAYS: '1,1,1,1,1',
  FREECOOP_WEBHOOK_POLL_MS: '100',
  FREECOOP_WEBHOOK_LEASE_MS: String(LEASE_MS),
  FREECOOP_WEBHOOK_TIMEOUT_MS: '1000',
  FREECOOP_CONCLUDE_POLL_MS: '50',
};

const servers = [];
const receivers = [];
test.afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function start(extra = {}) {
  const s = await h.startServer({ ...ENV, ...extra });
  servers.push(s);
  return s;
}

async function receiver(opts) {
  const r = await startReceiver(opts);
  receivers.push(r);
  return r;
}

async function kill(s) {
  s.proc.kill('SIGKILL');
  await s.exited;
}

function verifies(secret, req) {
  const r = spawnSync('/usr/bin/python3', [VERIFY, '--secret', secret, '--id', req.headers['webhook-id'],
    '--timestamp', req.headers['webhook-timestamp'], '--signature', req.headers['webhook-signature']],
  { input: req.body, encoding: 'utf8' });
  return r.status === 0;
}

async function hooked(s, prefix, url) {
  const key = h.createService(h.randomName(prefix));
  const r = await h.api(s, 'PUT', '/v1/webhook', { token: key, body: { url } });
  assert.equal(r.status, 201, r.text);
  return { key, secret: r.json.secret };
}

// Polls GET /v1/webhook until pred(body) holds; returns the body.
async function waitHook(s, key, pred, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const r = await h.api(s, 'GET', '/v1/webhook', { token: key });
    assert.equal(r.status, 200, r.text);
    if (pred(r.json)) return r.json;
    if (Date.now() > end) assert.fail(`GET /v1/webhook never showed ${what}: ${r.text}`);
    await h.sleep(100);
  }
}

test('killed while its POST is unanswered: the next server delivers the same webhook-id after the lease', async () => {
  // The first server would wait 1.5 s for the answer: longer than it lives.
  const first = await start({ FREECOOP_WEBHOOK_TIMEOUT_MS: '1500' });
  const r = await receiver();
  r.answer('hold');
  const { key, secret } = await hooked(first, 'kill-hold', r.url);
  const plurality = await D.libraryMethod(first, D.newAuditor('kill-hold'), 'plurality.py');
  const d = (await D.createDecision(first, key, plurality, [0, 100, 100, 600])).json;
  const [held] = await r.waitFor(1, 15000);
  await kill(first);
  assert.equal(r.held, 1, 'the first POST was still unanswered when the server died');
  assert.equal(held.json.data.decision, d.id);

  const second = await start();
  const [, again] = await r.waitFor(2, 20000);
  assert.equal(again.headers['webhook-id'], held.headers['webhook-id'], 'the same webhook-id');
  assert.ok(again.body.equals(held.body), 'the same body');
  assert.ok(again.at - held.at >= LEASE_MS - 500,
    `taken over ${again.at - held.at} ms after the first attempt, before the ${LEASE_MS} ms lease expired`);
  assert.ok(verifies(secret, again), 'the retry is signed with the secret');
  const seen = await waitHook(second, key, (j) => j.delivery.last_success_at !== null, 'the success');
  assert.equal(seen.delivery.queued, 0);
  assert.equal(seen.delivery.failed, 0);
  await h.sleep(1000);
  assert.equal(r.requests.length, 2, 'delivered once after the restart');
  assert.equal((await D.waitState(second, key, d.id, ['concluded'])).state, 'concluded');
});

test('killed right after the decision concluded, before any delivery: delivered after the restart', async () => {
  // The webhook's port is closed while the first server lives: it cannot deliver.
  const port = await h.freePort();
  const url = `http://127.0.0.1:${port}/hook`;
  const first = await start();
  const { key, secret } = await hooked(first, 'kill-early', url);
  const plurality = await D.libraryMethod(first, D.newAuditor('kill-early'), 'plurality.py');
  const d = (await D.createDecision(first, key, plurality, [0, 100, 100, 600])).json;
  const done = await D.waitState(first, key, d.id, ['concluded', 'failed'], 15000);
  await kill(first);
  assert.equal(done.state, 'concluded');

  const r = await receiver({ port });
  assert.equal(r.url, url);
  const second = await start();
  const [req] = await r.waitFor(1, 20000);
  assert.equal(req.json.type, 'decision.concluded');
  assert.equal(req.json.data.decision, d.id);
  assert.equal(req.headers['webhook-id'], req.json.id);
  assert.ok(verifies(secret, req), 'signed with the secret');
  const seen = await waitHook(second, key, (j) => j.delivery.last_success_at !== null, 'the success');
  assert.equal(seen.delivery.queued, 0);
  assert.equal(seen.delivery.failed, 0);
  await h.sleep(1000);
  assert.equal(r.requests.length, 1, 'delivered exactly once');
});
