'use strict';
// Health, readiness, Prometheus metrics and the authorities' JWKS.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness');

// Parses Prometheus text: {types: {family: type}, samples: [{name, labels, value}]}.
function parseMetrics(text) {
  const types = {};
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) { types[m[1]] = m[2]; continue; }
    if (line.startsWith('#')) continue;
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    const labels = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/g;
      let consumed = 0;
      let l;
      while ((l = re.exec(m[2])) !== null) {
        labels[l[1]] = l[2];
        consumed = re.lastIndex;
      }
      assert.equal(consumed, m[2].length, `bad labels in: ${line}`);
    }
    const value = Number(m[3] === '+Inf' ? Infinity : m[3]);
    assert.ok(!Number.isNaN(value), `bad value in: ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  return { types, samples };
}

// The request counter: a counter family whose samples carry route and status labels.
function requestCounter(metrics) {
  const fam = Object.keys(metrics.types).find((n) => metrics.types[n] === 'counter'
    && metrics.samples.some((s) => s.name === n && 'route' in s.labels && 'status' in s.labels));
  assert.ok(fam, 'no counter with route and status labels');
  return fam;
}

function countFor(metrics, fam, route, status) {
  return metrics.samples
    .filter((s) => s.name === fam && s.labels.route === route && s.labels.status === String(status))
    .reduce((a, s) => a + s.value, 0);
}

describe('health, metrics, authorities', () => {
  let server;

  before(async () => {
    server = await h.startServer();
  });

  after(async () => {
    if (server) {
      const code = await server.stop();
      assert.equal(code, 0, 'api-server exit code after SIGTERM');
    }
  });

  it('GET /healthz is 200 {"status":"ok"} with a fresh request id each time', async () => {
    const a = await h.api(server, 'GET', '/healthz');
    const b = await h.api(server, 'GET', '/healthz');
    assert.equal(a.status, 200);
    assert.deepEqual(a.json, { status: 'ok' });
    assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
  });

  it('GET /readyz is 200 with both checks ok', async () => {
    const r = await h.api(server, 'GET', '/readyz');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { status: 'ready', checks: { database: 'ok', migrations: 'ok', worker: 'ok' } });
  });

  it('GET /metrics is Prometheus text with requests, latency and pool metrics', async () => {
    const first = await h.api(server, 'GET', '/metrics');
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type'), /^text\/plain; ?version=0\.0\.4\b/);
    const m0 = parseMetrics(first.text);
    const fam = requestCounter(m0);
    const before = countFor(m0, fam, '/healthz', 200);
    const before404 = m0.samples.filter((s) => s.name === fam && s.labels.status === '404')
      .reduce((a, s) => a + s.value, 0);

    for (let i = 0; i < 5; i++) assert.equal((await h.api(server, 'GET', '/healthz')).status, 200);
    assert.equal((await h.api(server, 'GET', '/v1/no-such-route')).status, 404);

    const second = await h.api(server, 'GET', '/metrics');
    const m1 = parseMetrics(second.text);
    assert.equal(countFor(m1, fam, '/healthz', 200) - before, 5, 'GET /healthz 200 counted 5 more times');
    const after404 = m1.samples.filter((s) => s.name === fam && s.labels.status === '404')
      .reduce((a, s) => a + s.value, 0);
    assert.equal(after404 - before404, 1, 'the 404 is counted');
    // The route label is the path template, never the raw path (no unbounded cardinality).
    for (const s of m1.samples.filter((x) => 'route' in x.labels)) {
      assert.ok(!s.labels.route.includes('no-such-route'), `raw path as a label: ${JSON.stringify(s.labels)}`);
    }

    // A latency histogram: _bucket with le="+Inf" equal to _count, and _sum.
    const hist = Object.keys(m1.types).find((n) => m1.types[n] === 'histogram');
    assert.ok(hist, 'no histogram');
    const inf = m1.samples.filter((s) => s.name === `${hist}_bucket` && s.labels.le === '+Inf');
    assert.ok(inf.length > 0, `no ${hist}_bucket{le="+Inf"}`);
    for (const b of inf) {
      const { le, ...series } = b.labels;
      const same = (s) => JSON.stringify(s.labels) === JSON.stringify(series);
      const count = m1.samples.find((s) => s.name === `${hist}_count` && same(s));
      const sum = m1.samples.find((s) => s.name === `${hist}_sum` && same(s));
      assert.ok(count && sum, `${hist}_count/_sum missing for ${JSON.stringify(series)}`);
      assert.equal(count.value, b.value, `le="+Inf" bucket equals _count for ${JSON.stringify(series)}`);
      assert.ok(sum.value >= 0);
      // Buckets are cumulative.
      const buckets = m1.samples.filter((s) => s.name === `${hist}_bucket`
        && JSON.stringify({ ...s.labels, le: undefined }) === JSON.stringify({ ...series, le: undefined }));
      const values = buckets.map((s) => s.value);
      assert.deepEqual(values, [...values].sort((x, y) => x - y), 'buckets are cumulative');
    }
    const healthz = inf.find((s) => s.labels.route === '/healthz');
    assert.ok(healthz && healthz.value >= 5, 'the histogram has the /healthz requests');

    // Pool gauges.
    const gauges = Object.keys(m1.types).filter((n) => m1.types[n] === 'gauge' && /db|pool/.test(n));
    assert.ok(gauges.length > 0, 'no database pool gauge');
    const size = m1.samples.find((s) => /pool_size$/.test(s.name));
    assert.ok(size, 'no pool size gauge');
    assert.equal(size.value, 8, 'pool size is db_pool_size (default 8)');
  });

  it('a normal start logs no error line; a readiness probe\'s 503 is logged at info', async () => {
    // The suite's server started as every server does: /healthz, then /readyz polled until 200.
    const errors = server.parsedLogs().filter((l) => l.level === 'error' || l.raw !== undefined);
    assert.deepEqual(errors, [], 'error (or non-JSON) log lines from a normal start');
    // Not ready (its worker socket leads nowhere): the probe answers 503, an answer, not a fault.
    const lonely = await h.startServer({ FREECOOP_WORKER_SOCKET: '/nonexistent/freecoop/worker.sock' }, { ready: false });
    try {
      const r = await h.api(lonely, 'GET', '/readyz');
      h.assertProblem(r, 503, 'not-ready', '/readyz without a worker');
      await h.sleep(100);
      const line = lonely.parsedLogs().find((l) => l.request_id === r.json.request_id && l.msg === 'request');
      assert.ok(line, 'the /readyz request is logged');
      assert.equal(line.level, 'info', `the /readyz 503 is logged at ${line.level}`);
      const errs = lonely.parsedLogs().filter((l) => l.level === 'error');
      assert.deepEqual(errs, [], 'an unreachable worker is no error of the server');
    } finally {
      assert.equal(await lonely.stop(), 0);
    }
  });

  it('GET /v1/authorities is a JWKS holding the instance key as a decision authority', async () => {
    const r = await h.api(server, 'GET', '/v1/authorities');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^application\/jwk-set\+json\b/);

    const keyFile = h.env('FREECOOP_TEST_AUTHORITY_KEY');
    const der = spawnSync('openssl', ['pkey', '-in', keyFile, '-pubout', '-outform', 'DER']);
    assert.equal(der.status, 0, `openssl pkey failed: ${der.stderr}`);
    assert.equal(der.stdout.length, 44, 'an Ed25519 SPKI is 44 bytes');
    const x = der.stdout.subarray(der.stdout.length - 32).toString('base64url');

    const mine = r.json.keys.filter((k) => k.x === x);
    assert.equal(mine.length, 1, 'the test authority key is listed once');
    assert.equal(mine[0].decision_authority, true);
    assert.equal(mine[0].kty, 'OKP');
    assert.equal(mine[0].crv, 'Ed25519');
    const kids = r.json.keys.map((k) => k.kid);
    assert.equal(new Set(kids).size, kids.length, 'kids are unique');

    // The kid is the authority id the operator sees for that key.
    const id = h.operatorSql(`SELECT id FROM admin.authorities WHERE public_key = ${h.lit(x)}`);
    assert.equal(mine[0].kid, id);
    // Every listed key is unrevoked.
    const revoked = h.operatorSql('SELECT id FROM admin.authorities WHERE revoked_at IS NOT NULL')
      .split('\n').filter((l) => l !== '');
    for (const k of r.json.keys) assert.ok(!revoked.includes(k.kid), `revoked authority ${k.kid} is listed`);
  });
});
