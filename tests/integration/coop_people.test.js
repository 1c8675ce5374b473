'use strict';
// FreeCoop's people (DESIGN §10.2) and its keys (§10.6): sign-up creates a core account of
// FreeCoop's service, which the person claims at the core like any account; FreeCoop
// keeps the id and the name, never a token; the operator can close sign-up; sign-up is
// limited per client address; GET /coop/v1/keys publishes FreeCoop's own log key.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const h = require('./lib/harness');

let server;

test.before(async () => {
  server = await h.startServer();
  // FreeCoop resolves its service in the background: wait until it answers.
  for (let i = 0; i < 100; i++) {
    const r = await h.api(server, 'GET', '/coop/v1/keys');
    if (r.status === 200) return;
    await h.sleep(50);
  }
  throw new Error('FreeCoop did not become ready');
});
test.after(() => server.stop());

function signUp(body, opts = {}) {
  return h.api(server, 'POST', '/coop/v1/people', { body, ...opts });
}

test('a person signs up, claims their tokens at the core, and is an account of FreeCoop', async () => {
  const name = h.randomName('ada');
  const r = await signUp({ name });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.name, name);
  assert.match(r.json.id, /^[0-9a-f-]{36}$/);
  const aut = await h.claim(server, r.json.id);
  const acc = await h.accessToken(server, aut);
  const me = await h.api(server, 'GET', '/v1/me', { token: acc });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.id, r.json.id);
  assert.equal(me.json.name, name);
  // The account belongs to FreeCoop's own service: the one whose key set-up made.
  const svc = h.superSql(`SELECT s.name FROM decision.services s
    JOIN decision.accounts a ON a.service_id = s.id WHERE a.id = '${r.json.id}'`);
  assert.match(svc, /^freecoop(-[0-9]+)?$/);
  assert.equal(me.json.service.name, svc);
  // FreeCoop keeps the id and the name, and no column that could hold a token.
  assert.equal(h.superSql(`SELECT name FROM coop.people WHERE id = '${r.json.id}'`), name);
  assert.equal(h.superSql(`SELECT string_agg(column_name, ',' ORDER BY column_name)
    FROM information_schema.columns WHERE table_schema = 'coop' AND table_name = 'people'`),
  'created_at,id,name');
  const cols = h.superSql(`SELECT string_agg(table_name || '.' || column_name, ',' ORDER BY 1)
    FROM information_schema.columns WHERE table_schema = 'coop'`);
  assert.doesNotMatch(cols, /token|secret|password/);
});

test('bad names: 422 naming the field, and nobody is created', async () => {
  const before = h.superSql('SELECT count(*) FROM coop.people');
  for (const body of [{}, { name: '' }, { name: 'x'.repeat(201) }, { name: 7 },
    { name: 'Ada', extra: 1 }]) {
    const r = await signUp(body);
    h.assertProblem(r, 422, 'invalid-request', JSON.stringify(body));
    assert.ok(r.json.invalid_params.length >= 1);
  }
  h.assertProblem(await signUp(undefined, { rawBody: '{"name":', contentType: 'application/json' }),
    400, 'malformed-json');
  assert.equal(h.superSql('SELECT count(*) FROM coop.people'), before);
});

test('the operator closes sign-up: 403 signup-closed, nothing created; reopened, it works', async () => {
  const before = h.superSql('SELECT count(*) FROM decision.accounts');
  h.operatorSql('SELECT admin.set_signup(false)');
  try {
    h.assertProblem(await signUp({ name: 'Late' }), 403, 'signup-closed');
    assert.equal(h.superSql('SELECT count(*) FROM decision.accounts'), before,
      'no core account was made either');
  } finally {
    h.operatorSql('SELECT admin.set_signup(true)');
  }
  assert.equal((await signUp({ name: 'On time' })).status, 201);
  assert.match(h.operatorSql("SELECT count(*) FROM admin.people WHERE name = 'On time'"), /^[1-9]/);
});

test('sign-up is limited per client address', async () => {
  const s = await h.startServer({ FREECOOP_RATE_LIMIT_ADDRESS: '1',
    FREECOOP_RATE_LIMIT_ADDRESS_BURST: '2' });
  try {
    for (let i = 0; i < 100; i++) {
      if ((await h.api(s, 'GET', '/coop/v1/keys')).status === 200) break;
      await h.sleep(50);
    }
    const from = '127.0.0.77';
    const codes = [];
    for (let i = 0; i < 4; i++) {
      codes.push((await h.api(s, 'POST', '/coop/v1/people', { body: { name: `p${i}` }, from })).status);
    }
    assert.deepEqual(codes.slice(0, 2), [201, 201]);
    assert.equal(codes[3], 429);
    // Another address is not held back.
    assert.equal((await h.api(s, 'POST', '/coop/v1/people',
      { body: { name: 'other' }, from: '127.0.0.78' })).status, 201);
  } finally {
    await s.stop();
  }
});

test('GET /coop/v1/keys: FreeCoop\'s own Ed25519 key, not the decision authority\'s', async () => {
  const r = await h.api(server, 'GET', '/coop/v1/keys');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/jwk-set\+json\b/);
  assert.equal(r.json.keys.length, 1);
  const jwk = r.json.keys[0];
  const mine = crypto.createPublicKey(fs.readFileSync(process.env.FREECOOP_TEST_COOP_SIGNING_KEY))
    .export({ format: 'jwk' });
  assert.equal(jwk.x, mine.x);
  // kid: the RFC 7638 thumbprint, computed here independently.
  const canon = JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x: mine.x });
  assert.equal(jwk.kid, crypto.createHash('sha256').update(canon).digest('base64url'));
  const authority = crypto.createPublicKey(fs.readFileSync(process.env.FREECOOP_TEST_AUTHORITY_KEY))
    .export({ format: 'jwk' });
  assert.notEqual(jwk.x, authority.x);
});

test('without its settings FreeCoop is off: its routes answer 404, the core still serves', async () => {
  const s = await h.startServer({ FREECOOP_COOP_SERVICE_KEY_FILE: '', FREECOOP_COOP_SIGNING_KEY_FILE: '' });
  try {
    h.assertProblem(await h.api(s, 'GET', '/coop/v1/keys'), 404, 'route-not-found');
    h.assertProblem(await h.api(s, 'POST', '/coop/v1/people', { body: { name: 'x' } }), 404,
      'route-not-found');
    assert.equal((await h.api(s, 'GET', '/healthz')).status, 200);
  } finally {
    await s.stop();
  }
});
