'use strict';
// Request errors: strict JSON, the request schema, body size and media type, unknown routes
// and methods. Every one is a problem document, and none of them hurts the server.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
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
    assert.match(unknown.json.detail, / It takes no fields\.$/, 'the detail says what the body may hold');
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
      // An unknown field's error names the fields there are.
      const unknown = r.json.invalid_params.some((p) => p.reason === 'unknown field');
      assert.equal(/ Its only field is name\.$/.test(r.json.detail), unknown, `body ${shown}: ${r.json.detail}`);
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
    for (const [method, path] of [['GET', '/v1'], ['GET', '/web'], ['POST', '/index.html'], ['GET', '/v1/nothing'], ['POST', '/v2/accounts'],
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

  // Sends raw bytes and checks the one answer: the problem the server gives for a head it
  // refuses before routing (documented, Connection: close, the connection closed after it),
  // and that the server still serves afterwards. opts: method and path (to find the
  // answer in the OpenAPI document), and rawHttp's options. Returns rawHttp's result.
  async function refusedRaw(data, status, slug, what, opts = {}) {
    const r = await h.rawHttp(server, data, { waitClose: true, ...opts });
    assert.equal(r.answers.length, 1, `${what}: ${r.answers.length} answers`);
    const a = r.answers[0];
    h.assertProblem(a, status, slug, what);
    h.validateResponse(opts.method || 'GET', opts.path || '/v1', a.status, a.headers, a.text);
    assert.equal(a.headers.get('connection'), 'close', `${what}: Connection`);
    assert.ok(r.closed, `${what}: the server did not close the connection`);
    const health = await call('GET', '/healthz');
    assert.equal(health.status, 200, `${what}: GET /healthz afterwards`);
    return r;
  }

  it('a body over max_body_size gets 413 at once, before any of it is read', async () => {
    // Only the head is sent: the answer cannot wait for the body.
    const head = (n, path = '/v1/accounts') => `POST ${path} HTTP/1.1\r\nHost: x\r\n`
      + `Authorization: Bearer ${svc}\r\nContent-Type: application/json\r\nContent-Length: ${n}\r\n\r\n`;
    let r = await refusedRaw(head(MAX_BODY + 1), 413, 'body-too-large', 'Content-Length max_body_size + 1, no body sent',
      { method: 'POST', path: '/v1/accounts', timeoutMs: 5000 });
    assert.match(r.answers[0].json.detail, new RegExp(`${MAX_BODY + 1} bytes; the limit is ${MAX_BODY}`));
    // 64 MiB announced, and sent for as long as no answer comes: the answer comes first.
    const big = 64 * 1024 * 1024;
    r = await refusedRaw(head(big), 413, 'body-too-large', '64 MiB body',
      { method: 'POST', path: '/v1/accounts', body: Buffer.alloc(big, 0x61) });
    assert.ok(r.sent > 0 && r.sent < big, `the client sent ${r.sent} of ${big} bytes before its answer`);
    assert.ok(r.ms < 3000, `the answer took ${r.ms} ms`);
    // Whatever the route, even one that takes no body.
    await refusedRaw(`GET /healthz HTTP/1.1\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`, 413, 'body-too-large',
      'an oversized body on GET /healthz', { path: '/healthz' });
    await refusedRaw('POST /v1/accounts HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n', 413,
      'body-too-large', 'a Content-Length past 2^64', { method: 'POST', path: '/v1/accounts' });
  });

  it('an over-long head gets 431, an over-long request line 414; max_header_size bytes pass', async () => {
    const MAX_HEAD = 16384; // the default max_header_size
    const padded = (n) => {
      const start = 'GET /healthz HTTP/1.1\r\nX-Pad: ';
      return `${start}${'a'.repeat(n - start.length - 4)}\r\n\r\n`;
    };
    const exact = await h.rawHttp(server, padded(MAX_HEAD));
    assert.equal(exact.answers.length, 1);
    assert.equal(exact.answers[0].status, 200, `a head of exactly ${MAX_HEAD} bytes: ${exact.answers[0].text}`);
    await refusedRaw(padded(MAX_HEAD + 1), 431, 'headers-too-large', `a head of ${MAX_HEAD + 1} bytes`, { path: '/healthz' });
    const r = await refusedRaw(`GET /healthz HTTP/1.1\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`, 431,
      'headers-too-large', 'a 20 KB header', { path: '/healthz' });
    assert.match(r.answers[0].json.detail, /16384 bytes/);
    await refusedRaw(`GET /${'c'.repeat(100 * 1024)} HTTP/1.1\r\n\r\n`, 414, 'uri-too-long', 'a 100 KB request line');
    // many headers, each small
    await refusedRaw(`GET /healthz HTTP/1.1\r\n${'X-A: b\r\n'.repeat(3000)}\r\n`, 431, 'headers-too-large',
      '3000 small headers', { path: '/healthz' });
  });

  it('a malformed request line or header line gets 400 malformed-request', async () => {
    const cases = [
      ['garbage\r\n\r\n', 'a request line of one word'],
      ['GET\r\n\r\n', 'a method alone'],
      ['GET /healthz\r\n\r\n', 'no HTTP version'],
      ['GET /healthz HTTP/9.9\r\n\r\n', 'an unknown HTTP version'],
      ['GET /healthz HTTP/1.1 extra\r\n\r\n', 'a word after the version'],
      ['GET http://example.org/healthz HTTP/1.1\r\n\r\n', 'an absolute URL'],
      ['GET //example.org/healthz HTTP/1.1\r\n\r\n', 'a path starting with //'],
      ['GET /a b HTTP/1.1\r\n\r\n', 'a space in the path'],
      ['GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n', 'a byte that is not ASCII in the path'],
      ['\r\nGET /healthz HTTP/1.1\r\n\r\n', 'an empty line first'],
      ['\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03', 'a TLS client hello'],
      ['GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n', 'a header line without a colon'],
      ['GET /healthz HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n', 'a folded header line'],
      ['GET /healthz HTTP/1.1\r\nBad Name: x\r\n\r\n', 'a space in a header name'],
      ['GET /healthz HTTP/1.1\r\nX-A: a\x00b\r\n\r\n', 'a NUL in a header value'],
      ['GET /healthz HTTP/1.1\r\nX-A: a\rb\r\n\r\n', 'a CR alone in a header value'],
      ['POST /v1/accounts HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}', 'Content-Length twice'],
      ['POST /v1/accounts HTTP/1.1\r\nContent-Length: two\r\n\r\n{}', 'a Content-Length that is no number'],
      ['POST /v1/accounts HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        'Content-Length and Transfer-Encoding'],
      ['HEAD /healthz HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}', 'a HEAD with a body'],
    ];
    for (const [raw, what] of cases) await refusedRaw(raw, 400, 'malformed-request', what);
  });

  it('a method the server does not implement gets 501, a chunked body 411, an unknown Expect 417', async () => {
    for (const raw of ['TRACE / HTTP/1.1\r\n\r\n', 'CONNECT example.org:443 HTTP/1.1\r\n\r\n',
      'PROPFIND /v1/me HTTP/1.1\r\n\r\n', 'get /healthz HTTP/1.1\r\n\r\n']) {
      const r = await refusedRaw(raw, 501, 'method-not-implemented', raw.split(' ')[0], { method: raw.split(' ')[0] });
      assert.match(r.answers[0].json.detail, /GET, POST, PUT, DELETE, PATCH, HEAD and OPTIONS/);
    }
    await refusedRaw('POST /v1/accounts HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n'
      + '2\r\n{}\r\n0\r\n\r\n', 411, 'length-required', 'a chunked body', { method: 'POST', path: '/v1/accounts' });
    await refusedRaw('POST /v1/accounts HTTP/1.1\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}', 417,
      'expectation-failed', 'Expect: 200-ok', { method: 'POST', path: '/v1/accounts' });
    // Expect: 100-continue is met: the server says 100 and reads the body.
    const r = await h.rawHttp(server, 'POST /v1/accounts HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n'
      + `Authorization: Bearer ${svc}\r\nContent-Type: application/json\r\n\r\n`, { body: Buffer.from('{}'), pauseMs: 200, answers: 2 });
    assert.deepEqual(r.answers.map((a) => a.status), [100, 201]);
  });

  it('a refused request is answered in its turn: the ones before it first, none after it', async () => {
    const get = 'GET /healthz HTTP/1.1\r\n\r\n';
    const r = await h.rawHttp(server, `${get}${get}TRACE / HTTP/1.1\r\n\r\n${get}`, { answers: 4, waitClose: true });
    assert.deepEqual(r.answers.map((a) => a.status), [200, 200, 501]);
    assert.ok(r.closed, 'the connection is closed after the refusal');
    // A body is skipped, not read as a request, even when it looks like one.
    const body = 'TRACE / HTTP/1.1\r\n\r\n';
    const r2 = await h.rawHttp(server, `POST /v1/accounts HTTP/1.1\r\nAuthorization: Bearer ${svc}\r\n`
      + `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}${get}`, { answers: 2 });
    assert.deepEqual(r2.answers.map((a) => a.status), [415, 200]);
  });

  it('a head trickled a byte at a time costs about its own size in memory', async () => {
    // Each read of one byte comes in a block of a kilobyte; the start of a head held back
    // must not keep those blocks. ASan's quarantine of freed blocks would hide it: off here.
    const s = await h.startServer({ ASAN_OPTIONS: `${process.env.ASAN_OPTIONS || ''}:quarantine_size_mb=0` });
    try {
      const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${s.proc.pid}/status`, 'utf8'))[1]);
      const sock = net.connect(s.port, '127.0.0.1');
      sock.setNoDelay(true);
      await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
      const before = rssKb();
      const head = Buffer.from(`GET /healthz HTTP/1.1\r\nX-Slow: ${'a'.repeat(4000)}`);
      for (let i = 0; i < head.length; i++) {
        sock.write(head.subarray(i, i + 1));
        await h.sleep(1);
      }
      const grown = rssKb() - before;
      const answer = new Promise((resolve) => { sock.once('data', (d) => resolve(d.toString('latin1'))); });
      sock.write('\r\n\r\n');
      assert.match(await answer, /^HTTP\/1\.1 200 /, 'the trickled request is served');
      sock.destroy();
      assert.ok(grown < 3 * 1024, `holding a ${head.length}-byte head back grew the server by ${grown} KiB`);
    } finally {
      assert.equal(await s.stop(), 0);
    }
  });

  it('refusals are logged and counted like other requests, as unmatched', async () => {
    await refusedRaw('TRACE / HTTP/1.1\r\n\r\n', 501, 'method-not-implemented', 'TRACE', { method: 'TRACE' });
    const lines = server.parsedLogs().filter((l) => l.msg === 'request' && l.route === 'unmatched');
    for (const status of [400, 411, 413, 414, 417, 431, 501]) {
      const line = lines.find((l) => l.status === status);
      assert.ok(line, `no request log line for a ${status} refusal`);
      assert.equal(line.level, 'info', `the ${status} refusal is logged at ${line.level}`);
      assert.match(line.request_id, /^[0-9a-f]{16}$/);
    }
    assert.ok(lines.some((l) => l.method === 'TRACE'), 'the refused method is logged');
    const m = await call('GET', '/metrics');
    for (const status of [400, 411, 413, 414, 417, 431, 501]) {
      assert.match(m.text, new RegExp(`freecoop_http_requests_total\\{method="",route="unmatched",status="${status}"\\} [1-9]`));
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
