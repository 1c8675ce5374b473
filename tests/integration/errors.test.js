'use strict';
// Request errors: strict JSON, the request schema, body size and media type, unknown routes
// and methods. Every one is a problem document, and none of them hurts the server.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

const MAX_BODY = 65536;

describe('request errors', () => {
  let server;
  let svc;
  const seen = []; // every status this suite received

  async function call(method, path, opts) {
    const r = await h.api(server, method, path, opts);
    seen.push(`${r.status} ${method} ${path}`);
    return r;
  }

  before(async () => {
    server = await h.startServer({ FREECOOP_MAX_BODY_SIZE: String(MAX_BODY) });
    svc = h.createService(h.randomName('err-svc'));
  });

  after(async () => {
    if (server) {
      const code = await server.stop();
      assert.equal(code, 0, 'api-server exit code after SIGTERM');
    }
  });

  it('malformed JSON gets 400 malformed-json whose detail says what and where', async () => {
    const depth17 = `${'{"a":'.repeat(16)}{}${'}'.repeat(16)}`;
    const cases = [
      ['{', null],
      ['{"name":}', null],
      ['{"name":"a",}', null],
      ['{"name":"a","name":"b"}', /duplicate/i],
      ['{"name":NaN}', null],
      ['{"name":Infinity}', null],
      ["{'name':'a'}", null],
      ['{"name":"a"} x', null],
      ['{"name":"a"}{}', null],
      ['{"name":"a\u0001"}', null],
      ['[]', /object/i],
      ['"name"', /object/i],
      ['null', /object/i],
      [depth17, /dep|nest/i],
      [Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), /utf-?8/i],
      [Buffer.from('{"name":"\xc0\xaf"}', 'latin1'), /utf-?8/i], // overlong "/"
      [Buffer.from('{"name":"\xed\xa0\x80"}', 'latin1'), /utf-?8|surrogate/i], // encoded surrogate
      ['{"name":"\\ud800"}', /surrogate|escape|unicode/i],
      ['{"name":"\\u0000"}', null],
    ];
    for (const [raw, mentions] of cases) {
      const shown = Buffer.isBuffer(raw) ? `bytes ${raw.toString('hex')}` : JSON.stringify(raw.slice(0, 40));
      const r = await call('POST', '/v1/accounts', { token: svc, rawBody: raw });
      h.assertProblem(r, 400, 'malformed-json', `body ${shown}`);
      if (mentions) assert.match(r.json.detail, mentions, `body ${shown}: detail ${JSON.stringify(r.json.detail)}`);
      if (!/object/.test(String(mentions))) {
        assert.match(r.json.detail, /\d/, `body ${shown}: detail ${JSON.stringify(r.json.detail)} says no position`);
      }
    }
  });

  it('the same strictness applies to POST /v1/access-tokens', async () => {
    const acct = await h.newAccount(server, svc);
    const aut = await h.claim(server, acct.id);
    const bad = await call('POST', '/v1/access-tokens', { token: aut, rawBody: '{"a":1,"a":2}' });
    h.assertProblem(bad, 400, 'malformed-json', 'duplicate key on /v1/access-tokens');
    const unknown = await call('POST', '/v1/access-tokens', { token: aut, body: { scope: 'all' } });
    h.assertProblem(unknown, 422, 'invalid-request', 'unknown field on /v1/access-tokens');
    assert.deepEqual(unknown.json.invalid_params.map((p) => p.name), ['scope']);
  });

  it('a schema violation gets 422 invalid-request naming each field', async () => {
    const cases = [
      [{ name: 5 }, ['name']],
      [{ name: true }, ['name']],
      [{ name: ['x'] }, ['name']],
      [{ nam: 'x' }, ['nam']],
      [{ name: 'x', extra: 1 }, ['extra']],
      [{ name: 'a'.repeat(201) }, ['name']],
      [{ name: 'é'.repeat(201) }, ['name']],
      [{ name: '' }, ['name']],
      [{ name: 5, extra: 1 }, ['extra', 'name']],
    ];
    for (const [body, fields] of cases) {
      const shown = JSON.stringify(body).slice(0, 60);
      const r = await call('POST', '/v1/accounts', { token: svc, body });
      h.assertProblem(r, 422, 'invalid-request', `body ${shown}`);
      assert.ok(Array.isArray(r.json.invalid_params), `body ${shown}: invalid_params missing`);
      assert.deepEqual(r.json.invalid_params.map((p) => p.name).sort(), fields, `body ${shown}`);
      for (const p of r.json.invalid_params) assert.ok(p.reason.length > 0, `body ${shown}: empty reason`);
    }
  });

  it('a body over max_body_size gets 413 body-too-large', async () => {
    const sized = (n) => {
      const head = '{"name":"';
      const tail = '"}';
      return head + 'a'.repeat(n - head.length - tail.length) + tail;
    };
    const atLimit = await call('POST', '/v1/accounts', { token: svc, rawBody: sized(MAX_BODY) });
    assert.notEqual(atLimit.status, 413, 'a body of exactly max_body_size bytes is allowed');
    assert.ok([400, 422].includes(atLimit.status), `at the limit: ${atLimit.status} ${atLimit.text.slice(0, 200)}`);

    for (const n of [MAX_BODY + 1, 200 * 1024]) {
      const r = await call('POST', '/v1/accounts', { token: svc, rawBody: sized(n) });
      h.assertProblem(r, 413, 'body-too-large', `body of ${n} bytes`);
    }
    // Without credentials either answer is fine, as long as it is a documented problem.
    const anon = await call('POST', '/v1/accounts', { rawBody: sized(MAX_BODY + 1) });
    assert.ok([401, 413].includes(anon.status), `unauthenticated oversized body: ${anon.status}`);
    // A route that takes no body still refuses an oversized one cleanly.
    const acct = await h.newAccount(server, svc);
    const claimBig = await call('POST', `/v1/accounts/${acct.id}/authorization-token`, { rawBody: sized(200 * 1024) });
    h.assertProblem(claimBig, 413, 'body-too-large', 'oversized body on the exchange route');
  });

  it('a non-JSON Content-Type with a body gets 415', async () => {
    const cases = [
      ['text/plain', '{"name":"x"}'],
      ['application/x-www-form-urlencoded', 'name=x'],
      ['application/jsonx', '{"name":"x"}'],
      ['multipart/form-data; boundary=x', '--x--'],
    ];
    for (const [ct, raw] of cases) {
      const r = await call('POST', '/v1/accounts', { token: svc, rawBody: raw, headers: { 'Content-Type': ct } });
      h.assertProblem(r, 415, 'unsupported-media-type', `Content-Type ${ct}`);
    }
    const none = await call('POST', '/v1/accounts', { token: svc, rawBody: Buffer.from('{"name":"x"}'), contentType: null });
    h.assertProblem(none, 415, 'unsupported-media-type', 'a body without Content-Type');

    // application/json with parameters is fine, and so is an empty body of any type.
    const charset = await call('POST', '/v1/accounts', { token: svc, rawBody: '{"name":"x"}',
      headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    assert.equal(charset.status, 201, charset.text);
    const emptyText = await call('POST', '/v1/accounts', { token: svc, rawBody: '', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(emptyText.status, 201, emptyText.text);
  });

  it('an unknown route gets 404 route-not-found', async () => {
    for (const [method, path] of [['GET', '/'], ['GET', '/v1'], ['GET', '/v1/nothing'], ['POST', '/v2/accounts'],
      ['GET', '/v1/accounts/0b7f6a52-3c1e-4d8a-9f21-5e6d7c8b9a01/nothing'], ['GET', '/healthz/x']]) {
      const r = await call(method, path, { token: svc });
      h.assertProblem(r, 404, 'route-not-found', `${method} ${path}`);
    }
  });

  it('a wrong method gets 405 method-not-allowed with Allow', async () => {
    const cases = [
      ['PUT', '/v1/me', 'GET'],
      ['POST', '/v1/me', 'GET'],
      ['DELETE', '/v1/accounts', 'POST'],
      ['GET', '/v1/accounts', 'POST'],
      ['POST', '/healthz', 'GET'],
      ['GET', '/v1/access-tokens/current', 'DELETE'],
      ['DELETE', '/v1/accounts/0b7f6a52-3c1e-4d8a-9f21-5e6d7c8b9a01', 'GET'],
      ['GET', '/v1/accounts/0b7f6a52-3c1e-4d8a-9f21-5e6d7c8b9a01/authorization-token', 'POST'],
    ];
    for (const [method, path, allowed] of cases) {
      const r = await call(method, path, { token: svc });
      h.assertProblem(r, 405, 'method-not-allowed', `${method} ${path}`);
      const allow = (r.headers.get('allow') || '').split(',').map((s) => s.trim());
      assert.ok(allow.includes(allowed), `${method} ${path}: Allow ${r.headers.get('allow')} lacks ${allowed}`);
      assert.ok(!allow.includes(method), `${method} ${path}: Allow ${r.headers.get('allow')} lists ${method}`);
    }
  });

  it('afterwards the server still serves, and never answered 5xx', async () => {
    const health = await call('GET', '/healthz');
    assert.equal(health.status, 200);
    const acct = await call('POST', '/v1/accounts', { token: svc, body: { name: 'still here' } });
    assert.equal(acct.status, 201, acct.text);
    const fives = seen.filter((s) => s.startsWith('5'));
    assert.deepEqual(fives, [], 'no request may get a 5xx');
    assert.ok(seen.length > 50, `only ${seen.length} requests were made`);
    const ids = new Set();
    for (const l of server.parsedLogs()) if (l.request_id) ids.add(l.request_id);
    assert.ok(ids.size > 0, 'request log lines carry request_id');
  });
});
