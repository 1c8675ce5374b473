'use strict';
// Service events and signed webhooks (issue 16): a service sets one webhook URL
// (PUT/GET/DELETE /v1/webhook) and is sent a Standard Webhooks signed POST when one of its
// decisions concludes or fails. Tested as a service would notice: a receiver on
// 127.0.0.1 records what arrives, an independent Python check verifies the signatures,
// the operator's view (admin.failed_deliveries) and the superuser's dump are read too.
// Every webhook URL here is a loopback address; nothing is sent anywhere else.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness');
const D = require('./lib/decisions');
const { asOsUser } = require('./lib/psql');
const { startReceiver, ids } = require('./lib/receiver');

const VERIFY = path.join(__dirname, 'lib', 'verify_webhook.py');
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$/;
// An access token on a service route: the kind of credential is wrong (as on
// POST /v1/decisions and the other routes that take a service key).
const WRONG_KIND_STATUS = 401;

// Retries after 1 s and 1 s (+ up to 10% jitter): three attempts, the last about 2.2 s
// after the first.
const ENV = {
  FREECOOP_WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
  FREECOOP_WEBHOOK_RETRY_DELAYS: '1,1',
  FREECOOP_WEBHOOK_POLL_MS: '100',
  FREECOOP_WEBHOOK_TIMEOUT_MS: '2000',
  FREECOOP_CONCLUDE_POLL_MS: '50',
};
const ATTEMPTS = 3;
const ALL_RETRIES_MS = 2 * 1100;

let server;
let auditor;
let plurality;
let raising;
const receivers = [];
const extraServers = [];

test.before(async () => {
  server = await h.startServer(ENV);
  auditor = D.newAuditor('hooks');
  plurality = await D.libraryMethod(server, auditor, 'plurality.py');
  raising = await D.register(server, auditor, h.randomName('raises'),
    'def count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n'
    + '    raise ValueError("no quorum")\n');
});

test.after(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await Promise.all(extraServers.map((s) => s.stop()));
  if (server) assert.equal(await server.stop(), 0, 'api-server exit code after SIGTERM');
});

async function receiver(opts) {
  const r = await startReceiver(opts);
  receivers.push(r);
  return r;
}

const putHook = (key, body, s = server) => h.api(s, 'PUT', '/v1/webhook', { token: key, body });
const getHook = (key, s = server) => h.api(s, 'GET', '/v1/webhook', { token: key });
const deleteHook = (key, s = server) => h.api(s, 'DELETE', '/v1/webhook', { token: key });

// A new service whose webhook is url: {key, secret, hook (the 201 body)}.
async function hooked(prefix, url) {
  const key = h.createService(h.randomName(prefix));
  const r = await putHook(key, { url });
  assert.equal(r.status, 201, `PUT /v1/webhook ${url}: ${r.status} ${r.text}`);
  assert.match(r.json.secret, SECRET);
  return { key, secret: r.json.secret, hook: r.json };
}

// Creates a decision without franchise whose voting closes closeMs from now.
async function decision(key, { method = plurality, closeMs = 600, s = server } = {}) {
  const r = await D.createDecision(s, key, method, [0, 100, 100, closeMs]);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

// ... and waits until it concluded or failed; returns the decision as GET shows it.
async function decided(key, opts = {}) {
  const d = await decision(key, opts);
  return D.waitState(opts.s || server, key, d.id, ['concluded', 'failed'], 20000);
}

// Polls GET /v1/webhook until pred(body) holds; returns the body.
async function waitHook(key, pred, what, ms = 10000, s = server) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await getHook(key, s);
    assert.equal(last.status, 200, last.text);
    if (pred(last.json)) return last.json;
    if (Date.now() > end) assert.fail(`GET /v1/webhook never showed ${what}: ${last.text}`);
    await h.sleep(100);
  }
}

// Runs the independent check of a request's signature; returns {ok, why}.
function verify(secret, req, body = req.body, headers = req.headers) {
  const r = spawnSync('/usr/bin/python3', [VERIFY, '--secret', secret,
    '--id', headers['webhook-id'] || '', '--timestamp', headers['webhook-timestamp'] || '',
    '--signature', headers['webhook-signature'] || ''], { input: body, encoding: 'utf8' });
  if (r.error) throw new Error(`could not run ${VERIFY}: ${r.error.message}`);
  assert.ok(r.status === 0 || r.status === 1, `verify_webhook.py: exit ${r.status}: ${r.stderr}`);
  return { ok: r.status === 0, why: r.stdout.trim() };
}

function randomSecret() {
  return `whsec_${crypto.randomBytes(32).toString('base64')}`;
}

// The event a service is sent for decision d (as GET /v1/decisions/{id} shows it).
function assertEvent(req, d, secret) {
  const type = d.state === 'concluded' ? 'decision.concluded' : 'decision.failed';
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/hook', 'the POST goes to the URL as given');
  assert.match(req.headers['content-type'] || '', /^application\/json\s*(;|$)/);
  const ev = req.json;
  assert.ok(ev, `the body is JSON: ${req.text.slice(0, 200)}`);
  assert.deepEqual(Object.keys(ev), ['id', 'type', 'timestamp', 'data'], req.text);
  assert.deepEqual(Object.keys(ev.data), ['decision', 'state', 'result'], req.text);
  assert.match(ev.id, UUID);
  assert.equal(ev.type, type);
  assert.match(ev.timestamp, TIMESTAMP);
  assert.ok(Math.abs(Date.parse(ev.timestamp) - Date.parse(d.concluded_at)) < 1000,
    `the event's timestamp ${ev.timestamp} is when the decision concluded (${d.concluded_at})`);
  assert.deepEqual(ev.data, { decision: d.id, state: d.state, result: `/v1/decisions/${d.id}/result` });
  assert.equal(req.text, JSON.stringify(ev), 'the body is compact JSON, members in this order');
  assert.equal(req.headers['webhook-id'], ev.id, 'webhook-id is the event id');
  assert.match(req.headers['webhook-timestamp'] || '', /^[0-9]+$/);
  const ts = Number(req.headers['webhook-timestamp']);
  assert.ok(Math.abs(ts - req.at / 1000) < 60, `webhook-timestamp ${ts} is now`);
  assert.match(req.headers['webhook-signature'] || '', /(^| )v1,[A-Za-z0-9+/]{43}=( |$)/);
  if (secret) {
    const v = verify(secret, req);
    assert.ok(v.ok, `the signature verifies with the current secret: ${v.why}`);
  }
  return ev;
}

const emptyDelivery = { queued: 0, failed: 0, last_success_at: null, last_failure_at: null, last_failure: null };

test('PUT, GET and DELETE /v1/webhook: a new secret on every PUT, never shown again', async () => {
  const key = h.createService(h.randomName('crud'));
  const other = h.createService(h.randomName('crud-other'));
  const person = await D.person(server, key);

  h.assertProblem(await getHook(key), 404, 'not-found', 'GET before any PUT');
  h.assertProblem(await deleteHook(key), 404, 'not-found', 'DELETE before any PUT');

  const first = await putHook(key, { url: 'http://127.0.0.1:1/first' });
  assert.equal(first.status, 201, first.text);
  assert.deepEqual(Object.keys(first.json).sort(), ['created_at', 'secret', 'url']);
  assert.equal(first.json.url, 'http://127.0.0.1:1/first');
  assert.match(first.json.secret, SECRET);
  assert.match(first.json.created_at, TIMESTAMP);
  assert.equal(Buffer.from(first.json.secret.slice(6), 'base64').length, 32);

  const second = await putHook(key, { url: 'https://127.0.0.1:2/second?x=1' });
  assert.equal(second.status, 200, 'replacing the webhook answers 200');
  assert.equal(second.json.url, 'https://127.0.0.1:2/second?x=1');
  assert.match(second.json.secret, SECRET);
  assert.notEqual(second.json.secret, first.json.secret, 'every PUT makes a new secret');
  const third = await putHook(key, { url: 'https://127.0.0.1:2/second?x=1' });
  assert.equal(third.status, 200);
  assert.notEqual(third.json.secret, second.json.secret, 'the same URL again still rotates the secret');

  const got = await getHook(key);
  assert.equal(got.status, 200, got.text);
  assert.deepEqual(Object.keys(got.json).sort(), ['created_at', 'delivery', 'url']);
  assert.equal(got.json.url, 'https://127.0.0.1:2/second?x=1');
  assert.match(got.json.created_at, TIMESTAMP);
  assert.deepEqual(got.json.delivery, emptyDelivery);
  for (const s of [first, second, third]) {
    assert.ok(!got.text.includes(s.json.secret.slice(6, 20)), 'GET never shows the secret');
  }
  assert.ok(!got.text.includes('whsec_'));

  // Another service has no webhook; the service's accounts may not touch it.
  h.assertProblem(await getHook(other), 404, 'not-found', "another service's GET");
  for (const [m, body] of [['PUT', { url: 'http://127.0.0.1:1/x' }], ['GET'], ['DELETE']]) {
    h.assertProblem(await h.api(server, m, '/v1/webhook', { token: person.token, body }),
      WRONG_KIND_STATUS, 'wrong-credential-kind', `${m} with an access token`);
    h.assertProblem(await h.api(server, m, '/v1/webhook', { body }), 401, 'missing-credentials',
      `${m} without credentials`);
    h.assertProblem(await h.api(server, m, '/v1/webhook', { token: h.fakeToken('svc_'), body }), 401,
      'invalid-credentials', `${m} with an unknown service key`);
  }
  assert.equal((await getHook(key)).json.url, 'https://127.0.0.1:2/second?x=1',
    'the refused requests changed nothing');

  const del = await deleteHook(key);
  assert.equal(del.status, 204, del.text);
  assert.equal(del.text, '');
  h.assertProblem(await getHook(key), 404, 'not-found', 'GET after DELETE');
  h.assertProblem(await deleteHook(key), 404, 'not-found', 'DELETE after DELETE');
  assert.equal((await putHook(key, { url: 'http://127.0.0.1:1/again' })).status, 201,
    'after DELETE the next PUT creates again');
});

test('a concluded decision: one POST with the event, signed with the current secret', async () => {
  const r = await receiver();
  // The first secret is replaced before the decision concludes: the new one signs.
  const { key, secret: old } = await hooked('signed', r.url);
  const rotated = await putHook(key, { url: r.url });
  assert.equal(rotated.status, 200, rotated.text);
  const { secret } = rotated.json;
  const d = await decided(key);
  assert.equal(d.state, 'concluded');
  const [req] = await r.waitFor(1);
  const ev = assertEvent(req, d, secret);
  assert.equal(ev.type, 'decision.concluded');

  // The independent check rejects anything else.
  assert.ok(!verify(old, req).ok, 'the replaced secret does not verify');
  assert.ok(!verify(randomSecret(), req).ok, 'a wrong secret does not verify');
  const flipped = Buffer.from(req.body);
  flipped[10] ^= 0x01;
  assert.ok(!verify(secret, req, flipped).ok, 'one body byte changed does not verify');
  assert.ok(!verify(secret, req, req.body, { ...req.headers,
    'webhook-timestamp': String(Number(req.headers['webhook-timestamp']) + 1) }).ok,
  'another timestamp does not verify');
  assert.ok(!verify(secret, req, req.body, { ...req.headers, 'webhook-id': crypto.randomUUID() }).ok,
    'another webhook-id does not verify');

  const seen = await waitHook(key, (j) => j.delivery.last_success_at !== null, 'the success');
  assert.equal(seen.delivery.queued, 0);
  assert.equal(seen.delivery.failed, 0);
  assert.equal(seen.delivery.last_failure, null);
  assert.match(seen.delivery.last_success_at, TIMESTAMP);
  await h.sleep(500);
  assert.equal(r.requests.length, 1, 'delivered once');
});

test('a failed decision: decision.failed, state failed', async () => {
  const r = await receiver();
  const { key, secret } = await hooked('failed', r.url);
  const d = await decided(key, { method: raising });
  assert.equal(d.state, 'failed');
  const [req] = await r.waitFor(1);
  const ev = assertEvent(req, d, secret);
  assert.equal(ev.type, 'decision.failed');
  assert.equal(ev.data.state, 'failed');
});

test('a service without a webhook when its decision concludes gets no event, later either', async () => {
  const r = await receiver();
  const key = h.createService(h.randomName('nohook'));
  const d = await decided(key);
  assert.equal(d.state, 'concluded');
  assert.equal((await putHook(key, { url: r.url })).status, 201);
  await h.sleep(700);
  assert.equal(r.requests.length, 0, 'no event for a decision that concluded before the webhook');
});

test('refused with 500, then 200: retried a second later with the same id and body', async () => {
  const r = await receiver();
  r.answer(500);
  const { key, secret } = await hooked('retry', r.url);
  const d = await decided(key);
  const [a, b] = await r.waitFor(2);
  assertEvent(a, d, secret);
  assertEvent(b, d, secret);
  assert.equal(a.answered, 500);
  assert.equal(b.headers['webhook-id'], a.headers['webhook-id'], 'the same webhook-id');
  assert.ok(b.body.equals(a.body), 'the same body');
  assert.ok(b.at - a.at >= 950, `retried after ${b.at - a.at} ms, the first delay is 1 s`);
  assert.ok(Number(b.headers['webhook-timestamp']) >= Number(a.headers['webhook-timestamp']));
  const seen = await waitHook(key, (j) => j.delivery.last_success_at !== null, 'the success');
  assert.match(seen.delivery.last_failure || '', /500/);
  assert.match(seen.delivery.last_failure_at, TIMESTAMP);
  assert.equal(seen.delivery.queued, 0);
  assert.equal(seen.delivery.failed, 0);
  await h.sleep(300);
  assert.equal(r.requests.length, 2);
});

test('a receiver that never answers: the attempt times out and is retried', async () => {
  const r = await receiver();
  r.answer('hold');
  const { key, secret } = await hooked('slow', r.url);
  const d = await decided(key);
  const [a, b] = await r.waitFor(2, 15000);
  assertEvent(b, d, secret);
  assert.equal(b.headers['webhook-id'], a.headers['webhook-id'], 'the same event again');
  // The first attempt ended at webhook_timeout_ms (2 s), then the first delay (1 s).
  assert.ok(b.at - a.at >= 2900, `retried ${b.at - a.at} ms after the held attempt`);
  const seen = await waitHook(key, (j) => j.delivery.last_success_at !== null, 'the success');
  assert.equal(seen.delivery.last_failure, 'timed out');
  r.release();
});

test('a replaced webhook: a queued delivery goes to the new URL, signed with the new secret', async () => {
  const r1 = await receiver({ default: 500 });
  const r2 = await receiver();
  const { key, secret: old } = await hooked('moved', r1.url);
  const d = await decided(key);
  const [first] = await r1.waitFor(1);
  const moved = await putHook(key, { url: r2.url });
  assert.equal(moved.status, 200, moved.text);
  const [next] = await r2.waitFor(1, 5000);
  assert.equal(next.headers['webhook-id'], first.headers['webhook-id'], 'the same event');
  assertEvent(next, d, moved.json.secret);
  assert.ok(!verify(old, next).ok, 'the old secret no longer signs');
  assert.equal(r1.requests.length, 1, 'nothing more to the old URL');
});

test('a redirect is not followed: it is a failed attempt', async () => {
  const target = await receiver();
  const r = await receiver();
  r.answer({ status: 302, headers: { location: target.url } });
  const { key, secret } = await hooked('redirect', r.url);
  const d = await decided(key);
  const [a, b] = await r.waitFor(2);
  assert.equal(a.answered, 302);
  assert.equal(b.headers['webhook-id'], a.headers['webhook-id'], 'the 302 was retried like a failure');
  assertEvent(b, d, secret);
  const seen = await waitHook(key, (j) => j.delivery.last_success_at !== null, 'the success');
  assert.match(seen.delivery.last_failure || '', /302/);
  assert.equal(target.requests.length, 0, 'the Location target received nothing');
});

test('always 500: three attempts, then failed; the operator sees it and re-queues it', async () => {
  const r = await receiver({ default: 500 });
  const { key, secret } = await hooked('giveup', r.url);
  const d = await decided(key);
  const reqs = await r.waitFor(ATTEMPTS, 10000);
  const id = reqs[0].headers['webhook-id'];
  for (const q of reqs) assertEvent(q, d, secret);
  assert.deepEqual(ids(reqs), Array(ATTEMPTS).fill(id), 'every attempt has the same webhook-id');
  for (let i = 1; i < ATTEMPTS; i++) {
    assert.ok(reqs[i].at - reqs[i - 1].at >= 950, `attempt ${i + 1} after ${reqs[i].at - reqs[i - 1].at} ms`);
  }
  const seen = await waitHook(key, (j) => j.delivery.failed === 1, 'failed: 1');
  assert.equal(seen.delivery.queued, 0);
  assert.match(seen.delivery.last_failure || '', /500/);
  assert.equal(seen.delivery.last_success_at, null);
  await h.sleep(1500);
  assert.equal(r.requests.length, ATTEMPTS, `exactly ${ATTEMPTS} attempts`);

  const row = h.operatorSql(`SELECT service || '|' || type || '|' || decision || '|' || attempts
                                    || '|' || (failed_at IS NOT NULL) || '|' || (created_at IS NOT NULL)
                               FROM admin.failed_deliveries WHERE event = '${id}'`);
  assert.equal(row, `${d.service}|decision.concluded|${d.id}|${ATTEMPTS}|true|true`);
  assert.match(h.operatorSql(`SELECT last_error FROM admin.failed_deliveries WHERE event = '${id}'`), /500/);
  assert.ok(h.operatorSql(`SELECT service_name FROM admin.failed_deliveries WHERE event = '${id}'`)
    .startsWith('giveup-'));

  r.setDefault(200);
  h.operatorSql(`SELECT admin.requeue_delivery('${id}')`);
  const again = await r.waitFor(ATTEMPTS + 1, 10000);
  assert.equal(again[ATTEMPTS].headers['webhook-id'], id, 'the re-queued event, same id');
  assertEvent(again[ATTEMPTS], d, secret);
  const done = await waitHook(key, (j) => j.delivery.last_success_at !== null, 'the success');
  assert.equal(done.delivery.failed, 0);
  assert.equal(done.delivery.queued, 0);
  assert.equal(h.operatorSql(`SELECT count(*) FROM admin.failed_deliveries WHERE event = '${id}'`), '0');
  assert.equal(h.operatorSql(`SELECT admin.requeue_failed_deliveries('${d.service}')`), '0');
});

test('admin.requeue_failed_deliveries re-queues every failed event of a service', async () => {
  const r = await receiver({ default: 500 });
  const { key } = await hooked('requeue-all', r.url);
  const [d1, d2] = await Promise.all([decided(key), decided(key, { closeMs: 800 })]);
  await r.waitFor(2 * ATTEMPTS, 15000);
  await waitHook(key, (j) => j.delivery.failed === 2, 'failed: 2');
  r.setDefault(200);
  assert.equal(h.operatorSql(`SELECT admin.requeue_failed_deliveries('${d1.service}')`), '2');
  await r.waitFor(2 * ATTEMPTS + 2, 10000);
  const done = await waitHook(key, (j) => j.delivery.failed === 0 && j.delivery.queued === 0
    && j.delivery.last_success_at !== null, 'both delivered');
  assert.equal(done.delivery.failed, 0);
  const delivered = r.requests.slice(2 * ATTEMPTS).map((q) => q.json.data.decision).sort();
  assert.deepEqual(delivered, [d1.id, d2.id].sort());
});

test('in order per service: later events wait while the first is refused', async () => {
  const r = await receiver();
  r.answer(500, 500);
  const { key, secret } = await hooked('order', r.url);
  // Three decisions closing 250 ms apart: A's first attempt is refused, and B and C
  // conclude while A waits for its retries.
  const made = await Promise.all([700, 950, 1200].map((closeMs) => decision(key, { closeMs })));
  const reqs = await r.waitFor(5, 15000);
  const done = await Promise.all(made.map((d) => D.waitState(server, key, d.id, ['concluded'])));
  const byConclusion = [...done].sort((x, y) => Date.parse(x.concluded_at) - Date.parse(y.concluded_at));
  const first = byConclusion[0].id;
  const seq = reqs.map((q) => q.json.data.decision);
  assert.deepEqual(seq, [first, first, first, byConclusion[1].id, byConclusion[2].id],
    'A three times (500, 500, 200), then B, then C');
  for (const [i, q] of reqs.entries()) assertEvent(q, done.find((x) => x.id === seq[i]), secret);
  assert.ok(Date.parse(byConclusion[2].concluded_at) < reqs[2].at,
    'precondition: C concluded before A was delivered (otherwise the order proves nothing)');
  const stamps = reqs.slice(2).map((q) => Date.parse(q.json.timestamp));
  assert.deepEqual([...stamps].sort((x, y) => x - y), stamps, 'delivered in the order of their timestamps');
  await h.sleep(300);
  assert.equal(r.requests.length, 5);
});

test('isolation: each service receives only its own decisions', async () => {
  const [r1, r2] = [await receiver(), await receiver()];
  const one = await hooked('iso-one', r1.url);
  const two = await hooked('iso-two', r2.url);
  const [a1, a2, b1, b2] = await Promise.all([decided(one.key), decided(one.key, { closeMs: 700 }),
    decided(two.key), decided(two.key, { closeMs: 700 })]);
  await r1.waitFor(2);
  await r2.waitFor(2);
  await h.sleep(500);
  assert.deepEqual(r1.requests.map((q) => q.json.data.decision).sort(), [a1.id, a2.id].sort());
  assert.deepEqual(r2.requests.map((q) => q.json.data.decision).sort(), [b1.id, b2.id].sort());
  for (const q of r1.requests) {
    assert.ok(verify(one.secret, q).ok);
    assert.ok(!verify(two.secret, q).ok, "another service's secret does not verify");
  }
  for (const q of r2.requests) assert.ok(verify(two.secret, q).ok);
});

// PUTs each body to a service that has a webhook, expecting 422 slug and no change.
async function refusedEach(prefix, cases) {
  const { key } = await hooked(prefix, 'http://127.0.0.1:1/kept');
  const before = await getHook(key);
  assert.equal(before.status, 200);
  for (const [body, slug] of cases) {
    const what = `PUT ${JSON.stringify(body).slice(0, 80)}`;
    h.assertProblem(await putHook(key, body), 422, slug, what);
    const after = await getHook(key);
    assert.equal(after.status, 200, `${what}: GET after: ${after.text}`);
    assert.deepEqual(after.json, before.json, `${what}: nothing changed`);
  }
}

test('refused URLs: 422, and nothing changed', async () => {
  const invalid = ['ftp://x/', 'not a url', 'http:///nohost', 'http://user:pw@127.0.0.1:1/',
    'http://127.0.0.1:1/#fragment', 'http://127.0.0.1:0/', `http://127.0.0.1:1/${'a'.repeat(3000)}`];
  const notPublic = ['http://localhost:1/', 'http://LOCALHOST:1/', 'http://a.localhost:1/',
    'https://localhost:1/', 'http://[::1]:1/', 'http://127.0.0.2:1/', 'http://0.0.0.0:1/'];
  await refusedEach('refused', [...invalid.map((url) => [{ url }, 'invalid-webhook-url']),
    ...notPublic.map((url) => [{ url }, 'webhook-url-not-public'])]);
  // The same refusals for a service without a webhook leave it without one.
  const bare = h.createService(h.randomName('refused-bare'));
  h.assertProblem(await putHook(bare, { url: 'http://localhost:1/' }), 422, 'webhook-url-not-public');
  h.assertProblem(await putHook(bare, { url: 'ftp://x/' }), 422, 'invalid-webhook-url');
  h.assertProblem(await getHook(bare), 404, 'not-found', 'still no webhook');
});

// The body's shape is checked as every route's is: 422 invalid-request naming the field.
test('a body without a string url: 422 invalid-request, and nothing changed', async () => {
  await refusedEach('refused-body', [{ url: 42 }, { url: null }, { url: ['http://127.0.0.1:1/'] },
    {}, { address: 'http://127.0.0.1:1/' }].map((body) => [body, 'invalid-request']));
});

test('an https receiver with a self-signed certificate: nothing delivered, the certificate is blamed', async () => {
  const r = await receiver({ https: true });
  assert.match(r.url, /^https:\/\/127\.0\.0\.1:[0-9]+\/hook$/);
  const { key } = await hooked('tls', r.url);
  const d = await decided(key);
  assert.equal(d.state, 'concluded');
  const seen = await waitHook(key, (j) => j.delivery.last_failure !== null, 'a failure');
  assert.match(seen.delivery.last_failure, /certificate/i);
  assert.match(seen.delivery.last_failure_at, TIMESTAMP);
  assert.equal(seen.delivery.last_success_at, null);
  assert.equal(r.requests.length, 0, 'no request got through');
  assert.equal((await deleteHook(key)).status, 204);
});

test('DELETE drops queued deliveries: no attempt after it', async () => {
  const r = await receiver({ default: 500 });
  const { key } = await hooked('delete', r.url);
  const d = await decided(key);
  await r.waitFor(1);
  const queued = await getHook(key);
  assert.equal(queued.json.delivery.queued, 1, `the event waits for its retry: ${queued.text}`);
  assert.equal((await deleteHook(key)).status, 204);
  const n = r.requests.length;
  await h.sleep(ALL_RETRIES_MS + 500);
  assert.equal(r.requests.length, n, 'no attempt after DELETE');
  assert.equal(h.operatorSql(`SELECT count(*) FROM admin.failed_deliveries WHERE decision = '${d.id}'`), '0',
    'a dropped delivery is not a failed one');
  // A new webhook does not get the dropped event either.
  r.setDefault(200);
  assert.equal((await putHook(key, { url: r.url })).status, 201);
  await h.sleep(1000);
  assert.equal(r.requests.length, n, 'the dropped event is not sent to the new webhook');
  const now = (await getHook(key)).json.delivery;
  assert.equal(now.queued, 0, 'nothing queued');
  assert.equal(now.failed, 0, 'nothing failed');
});

test('the secret is not in a dump of the database made by the superuser', async () => {
  const r = await receiver();
  const { key, secret } = await hooked('dump', r.url);
  // With an event delivered: the event rows are in the dump too.
  await decided(key);
  await r.waitFor(1);
  const conninfo = h.env('FREECOOP_TEST_CONNINFO_SUPER');
  const argv = asOsUser(conninfo, ['pg_dump', '--no-password', '-d', conninfo]);
  const dump = spawnSync(argv[0], argv.slice(1), { cwd: '/', maxBuffer: 1 << 30, encoding: 'buffer' });
  assert.equal(dump.status, 0, `pg_dump failed: ${dump.error ? dump.error.message : dump.stderr}`);
  const text = dump.stdout.toString('latin1');
  assert.ok(text.includes('PostgreSQL database dump'), 'the dump is a dump');
  const b64 = secret.slice('whsec_'.length);
  const raw = Buffer.from(b64, 'base64');
  const forms = {
    'the secret': secret,
    'its base64 key': b64,
    'its base64 key, unpadded': b64.replace(/=+$/, ''),
    'its base64url key': raw.toString('base64url'),
    'the key in hex': raw.toString('hex'),
    'the key in upper-case hex': raw.toString('hex').toUpperCase(),
  };
  for (const [what, s] of Object.entries(forms)) {
    assert.ok(!text.includes(s), `${what} is in the superuser's dump`);
  }
  assert.ok(!dump.stdout.includes(raw), 'the raw key bytes are in the dump');
});

test('two instances on one database: each event delivered exactly once', async () => {
  const b = await h.startServer(ENV);
  extraServers.push(b);
  const r = await receiver();
  const { key, secret } = await hooked('two', r.url);
  const made = await Promise.all(Array.from({ length: 10 },
    (_, i) => decision(key, { closeMs: 900, s: i % 2 ? server : b })));
  const done = await Promise.all(made.map((d) => D.waitState(b, key, d.id, ['concluded'], 20000)));
  await r.waitFor(10, 15000);
  await waitHook(key, (j) => j.delivery.queued === 0, 'queued: 0', 10000, b);
  await h.sleep(1000);
  const got = r.requests.map((q) => q.headers['webhook-id']);
  assert.equal(new Set(got).size, got.length, `an event was delivered twice: ${got}`);
  assert.equal(got.length, 10);
  assert.deepEqual(r.requests.map((q) => q.json.data.decision).sort(), made.map((d) => d.id).sort());
  for (const q of r.requests) assertEvent(q, done.find((x) => x.id === q.json.data.decision), secret);
  assert.equal(await b.stop(), 0);
});

test('/metrics counts the events and the delivery time', async () => {
  const r = await receiver();
  const { key } = await hooked('metrics', r.url);
  await decided(key);
  await r.waitFor(1);
  await waitHook(key, (j) => j.delivery.last_success_at !== null, 'the success');
  const m = await h.api(server, 'GET', '/metrics');
  assert.equal(m.status, 200);
  const value = (name) => {
    const hit = m.text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm'));
    return hit ? Number(hit[1]) : undefined;
  };
  for (const name of ['freecoop_events_queued_total', 'freecoop_events_delivered_total',
    'freecoop_events_retried_total', 'freecoop_events_failed_total']) {
    assert.match(m.text, new RegExp(`^# TYPE ${name} counter$`, 'm'), `${name} is a counter`);
  }
  assert.match(m.text, /^# TYPE freecoop_event_delivery_seconds histogram$/m);
  assert.ok(value('freecoop_events_delivered_total') >= 1, 'freecoop_events_delivered_total');
  assert.ok(value('freecoop_events_queued_total') >= 1, 'freecoop_events_queued_total');
  // The suite's earlier tests retried and gave up on events through this server.
  assert.ok(value('freecoop_events_retried_total') >= 1, 'freecoop_events_retried_total');
  assert.ok(value('freecoop_events_failed_total') >= 1, 'freecoop_events_failed_total');
  assert.ok(value('freecoop_event_delivery_seconds_count') >= 1, 'freecoop_event_delivery_seconds_count');
  assert.match(m.text, /^freecoop_event_delivery_seconds_bucket\{le="\+Inf"\} [0-9]+$/m);
  assert.ok(value('freecoop_event_delivery_seconds_sum') > 0);
});
