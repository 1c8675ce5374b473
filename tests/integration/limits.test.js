'use strict';
// Abuse limits: per-token and per-service request rates (429 with Retry-After, nobody
// else slowed down, the bucket refills), and the request deadline that cuts off a client
// trickling its request a byte at a time.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const h = require('./lib/harness');
const D = require('./lib/decisions');

const servers = [];
after(() => Promise.all(servers.map((s) => s.stop())));

async function start(env) {
  const s = await h.startServer(env);
  servers.push(s);
  return s;
}

async function metric(server, line) {
  const text = (await h.api(server, 'GET', '/metrics')).text;
  const l = text.split('\n').find((x) => x.startsWith(`${line} `));
  return l ? Number(l.split(' ').pop()) : NaN;
}

// n requests at once; resolves with their statuses, the first 429, and how many requests
// the bucket may have refilled meanwhile at rate a second (rounded up, plus one).
async function burst(n, call, rate) {
  const t0 = Date.now();
  const rs = await Promise.all(Array.from({ length: n }, call));
  const refill = Math.ceil(((Date.now() - t0) / 1000) * rate) + 1;
  return { statuses: rs.map((r) => r.status), limited: rs.find((r) => r.status === 429), refill };
}

describe('rate limits', () => {
  it('an access token over its limit gets 429 with Retry-After; other tokens do not; it refills', async () => {
    const server = await start({ FREECOOP_RATE_LIMIT_TOKEN: '4', FREECOOP_RATE_LIMIT_TOKEN_BURST: '8' });
    const svc = h.createService(h.randomName('limits'));
    const [greedy, other] = [await D.person(server, svc), await D.person(server, svc)];
    const before = await metric(server, 'freecoop_http_rate_limited_total{limit="token"}');

    const b = await burst(20, () => h.api(server, 'GET', '/v1/me', { token: greedy.token }), 4);
    const ok = b.statuses.filter((s) => s === 200).length;
    assert.ok(ok >= 8 && ok <= 8 + b.refill, `the burst allowance (8, plus what refilled) was served: ${b.statuses}`);
    assert.deepEqual(b.statuses.filter((s) => s !== 200 && s !== 429), [], 'only 200 or 429');
    h.assertProblem(b.limited, 429, 'rate-limited', 'over the token limit');
    assert.match(b.limited.json.detail, /access token/);
    assert.equal(b.limited.headers.get('retry-after'), '1');
    assert.equal(await metric(server, 'freecoop_http_rate_limited_total{limit="token"}'),
      before + (20 - ok), 'each refusal is counted');

    // Another token of the same service is not held back.
    assert.equal((await h.api(server, 'GET', '/v1/me', { token: other.token })).status, 200);
    // After Retry-After, the greedy token works again.
    await h.sleep(1000);
    assert.equal((await h.api(server, 'GET', '/v1/me', { token: greedy.token })).status, 200);
  });

  it('a service over its limit gets 429 on its key and its accounts\' tokens; other services do not', async () => {
    const server = await start({ FREECOOP_RATE_LIMIT_SERVICE: '2', FREECOOP_RATE_LIMIT_SERVICE_BURST: '30' });
    const busyName = h.randomName('busy');
    const [busy, calm] = [h.createService(busyName), h.createService(h.randomName('calm'))];
    const p = await D.person(server, busy); // 3 requests: 1 with the key
    const b = await burst(40, () => h.api(server, 'POST', '/v1/accounts', { token: busy }), 2);
    const created = b.statuses.filter((s) => s === 201).length;
    // 30, less the key's request in D.person (which may have refilled), plus what refilled
    assert.ok(created >= 29 && created <= 30 + b.refill, `the burst allowance was created: ${b.statuses}`);
    h.assertProblem(b.limited, 429, 'rate-limited', 'over the service limit');
    assert.match(b.limited.json.detail, /service/);
    assert.match(b.limited.headers.get('retry-after'), /^[1-9]\d*$/);

    // The service's accounts share its bucket; another service has its own.
    h.assertProblem(await h.api(server, 'GET', '/v1/me', { token: p.token }), 429, 'rate-limited',
      'an account of the limited service');
    assert.equal((await h.api(server, 'POST', '/v1/accounts', { token: calm })).status, 201);

    // Nothing refused was stored: the service has exactly the accounts it got 201 for.
    const n = h.operatorSql(`SELECT accounts FROM admin.services WHERE name = ${h.lit(busyName)}`);
    assert.equal(Number(n), created + 1);
  });
});

// Opens a raw connection; resolves {sock, closed} where closed resolves with the time the
// server closed it.
function connect(server) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1', () => {
      const closed = new Promise((res) => sock.on('close', () => res(Date.now())));
      resolve({ sock, closed });
    });
    sock.on('error', reject);
    sock.setNoDelay(true);
  });
}

// Writes text one byte every ms milliseconds until the socket closes or text ends.
async function trickle(sock, text, ms) {
  for (const ch of text) {
    if (sock.destroyed || sock.writableEnded) return false;
    sock.write(ch);
    await h.sleep(ms);
  }
  return true;
}

describe('request deadline', () => {
  it('a client trickling its headers is cut off at request_timeout; others are served meanwhile', async () => {
    const server = await start({ FREECOOP_REQUEST_TIMEOUT: '2', FREECOOP_CONNECTION_TIMEOUT: '30' });
    const before = await metric(server, 'freecoop_http_connections_cut_off_total');
    const { sock, closed } = await connect(server);
    sock.on('error', () => {});
    const t0 = Date.now();
    const headers = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`;
    const trickling = trickle(sock, headers, 100); // 20 s at this pace
    await h.sleep(500);
    assert.equal((await h.api(server, 'GET', '/healthz')).status, 200, 'others are served meanwhile');
    const at = await Promise.race([closed, h.sleep(8000).then(() => null)]);
    sock.destroy();
    assert.ok(at !== null, 'the trickling connection was never closed');
    assert.ok(at - t0 >= 1800 && at - t0 < 4500, `closed after ${at - t0} ms, request_timeout is 2 s`);
    assert.equal(await trickling, false, 'cut off before its headers were complete');
    // (idle keep-alive connections of this test's other requests may be cut off too)
    assert.ok(await metric(server, 'freecoop_http_connections_cut_off_total') >= before + 1, 'counted');
  });

  it('a body trickled past the deadline is cut off; a slow request within it is answered', async () => {
    const server = await start({ FREECOOP_REQUEST_TIMEOUT: '2' });
    const svc = h.createService(h.randomName('slowbody'));
    const body = JSON.stringify({ name: 'slow but in time' });
    const head = `POST /v1/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${svc}\r\n`
      + `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;

    // Within the deadline: 1.2 s of trickling, then the answer.
    const fine = await connect(server);
    let answer = '';
    fine.sock.on('data', (d) => { answer += d; });
    fine.sock.write(head);
    await trickle(fine.sock, body, Math.floor(1200 / body.length));
    await fine.closed;
    assert.match(answer, /^HTTP\/1\.1 201 /, answer.slice(0, 200));

    // Past it: the headers at once, the body at 5 bytes a second.
    const slow = await connect(server);
    slow.sock.on('error', () => {});
    let got = '';
    slow.sock.on('data', (d) => { got += d; });
    const t0 = Date.now();
    slow.sock.write(head.replace('slow but in time', 'x'));
    const complete = await trickle(slow.sock, body, 200);
    const at = await Promise.race([slow.closed, h.sleep(5000).then(() => null)]);
    slow.sock.destroy();
    assert.equal(complete, false, 'cut off before the body was complete');
    assert.ok(at !== null && at - t0 < 4500, 'closed at the deadline');
    assert.equal(got, '', 'nothing was answered, nothing created');
  });

  it('an idle keep-alive connection is closed at the deadline too, after its answers', async () => {
    const server = await start({ FREECOOP_REQUEST_TIMEOUT: '1' });
    const { sock, closed } = await connect(server);
    let got = '';
    sock.on('data', (d) => { got += d; });
    for (let i = 0; i < 3; i++) { // three requests, each within its own deadline
      sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await h.sleep(700);
    }
    const t0 = Date.now();
    const at = await Promise.race([closed, h.sleep(4000).then(() => null)]);
    sock.destroy();
    assert.equal(got.match(/HTTP\/1\.1 200 /g).length, 3, 'each request on the connection was answered');
    assert.ok(at !== null && at - t0 < 2000, 'the idle connection was closed');
  });
});
