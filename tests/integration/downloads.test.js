'use strict';
// Result documents streamed in chunks (GET /v1/decisions/{id}/result): byte for byte as
// stored, also many at once; at most max_downloads at a time (503 beyond, then served
// again); a client that reads nothing or leaves holds no more than a chunk and frees its
// download; a document replaced mid-download (a re-queued failure) cuts the connection
// rather than splicing two documents; Cache-Control says which documents may change.
//
// Documents are made big with the service's own proposals (64 KiB payloads each, in the
// published inputs). A client that reads nothing still takes a few MB into the kernel's
// socket buffers, so the documents that test stalls are larger than that.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const h = require('./lib/harness');
const { asOsUser } = require('./lib/psql');
const D = require('./lib/decisions');

const SLOW_GET = path.join(__dirname, 'lib', 'slow_get.py');

const RUN = crypto.randomBytes(4).toString('hex');
const PAYLOAD = 65536; // max_payload_size
const KiB = 1024;
const MiB = 1024 * KiB;

// ASan keeps freed memory resident in its quarantine (256 MB by default), which would hide
// what a server holds; these servers keep a small one, so RSS shows live memory.
const asan = { ASAN_OPTIONS: `${process.env.ASAN_OPTIONS || ''}:quarantine_size_mb=8` };
const base = {
  FREECOOP_MAX_BODY_SIZE: String(16 * MiB), // decisions with many big proposals
  FREECOOP_CONCLUDE_POLL_MS: '50',
  ...asan,
};
const servers = [];
async function start(chunk, maxDownloads, extra = {}) {
  const s = await h.startServer({
    ...base,
    FREECOOP_DOWNLOAD_CHUNK_SIZE: String(chunk),
    FREECOOP_MAX_DOWNLOADS: String(maxDownloads),
    ...extra,
  });
  s.chunk = chunk;
  s.maxDownloads = maxDownloads;
  servers.push(s);
  return s;
}

// Reading a document's chunks costs the database more the further they are into it (see
// store_decisions.c), so the big documents are read in bigger chunks.
let server; // small chunks: many from a document of a megabyte
let bulky; // big chunks, for documents larger than the socket buffers
let svc;
let methods;

test.before(async () => {
  server = await start(16 * KiB, 8);
  bulky = await start(256 * KiB, 4);
  svc = h.createService(h.randomName('downloads'));
  const auditor = D.newAuditor('downloads');
  const head = `# downloads ${RUN}\ndef count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n`;
  methods = {
    ok: await D.register(server, auditor, `ok-${RUN}`, `${head}    return b"x"\n`),
    fail: await D.register(server, auditor, `fail-${RUN}`, `${head}    raise ValueError("no quorum")\n`),
  };
});

// The decisions made here, purged at the end (as their retention period would): their
// documents and proposals are megabytes, which suites that read the whole database as
// the superuser (it_tokens) would have to take in.
const made = [];
test.after(async () => {
  for (const s of servers.splice(0)) await s.stop();
  if (made.length === 0) return;
  const ids = made.map((id) => `'${id}'`).join(', ');
  h.superSql(`UPDATE decision.decisions SET concluded_at = now() - interval '200 years' WHERE id IN (${ids})`);
  h.superSql('SELECT decision.purge_expired()');
});

// Runs SQL as the superuser with room for a whole document (psql.js caps output at 1 MB).
function superSqlBig(sql) {
  const [cmd, ...args] = asOsUser(h.env('FREECOOP_TEST_CONNINFO_SUPER'), ['psql', '-X', '-A', '-t',
    '-q', '-v', 'ON_ERROR_STOP=1', '-d', h.env('FREECOOP_TEST_CONNINFO_SUPER'), '-c', sql]);
  const r = spawnSync(cmd, args, { encoding: 'latin1', maxBuffer: 512 * MiB, cwd: '/' });
  assert.equal(r.status, 0, `psql: ${r.stderr}`);
  return Buffer.from(r.stdout.replace(/\n$/, ''), 'latin1');
}

// The stored document and its counted_at, as the superuser reads them.
function stored(id) {
  return {
    jws: superSqlBig(`SELECT convert_from(jws, 'UTF8') FROM decision.results WHERE decision_id = '${id}'`),
    countedAt: h.superSql(`SELECT counted_at FROM decision.results WHERE decision_id = '${id}'`),
  };
}

// A decision of method whose result document holds `proposals` random 64 KiB payloads,
// concluded (or failed) at once: returns {id, jws}.
async function decided(method, proposals, state) {
  const voter = await D.person(server, svc);
  const r = await D.createDecision(server, svc, methods[method], [-3000, -2000, -2000, 60000], {
    voter_franchise: [voter.id],
    proposals: Array.from({ length: proposals },
      () => ({ payload: crypto.randomBytes(PAYLOAD).toString('base64') })),
  });
  assert.equal(r.status, 201, r.text.slice(0, 300));
  made.push(r.json.id);
  h.superSql(`UPDATE decision.decisions SET voting_closes_at = now() WHERE id = '${r.json.id}'`);
  assert.equal((await D.waitState(server, svc, r.json.id, ['concluded', 'failed'], 30000)).state, state);
  return { id: r.json.id, ...stored(r.json.id) };
}

// A GET over a socket of its own, read at the test's pace: pause() and resume() it;
// g.head resolves once its status and headers (g.status, g.headers: lowercase names) are in;
// g.closed when the socket closes; g.body() is what came after the headers.
function rawGet(s, urlPath, { paused = false } = {}) {
  const sock = net.connect(s.port, '127.0.0.1');
  const g = { sock, status: 0, headers: {}, parts: [], received: 0 };
  let pending = Buffer.alloc(0);
  let gotHead;
  g.head = new Promise((resolve) => { gotHead = resolve; });
  g.closed = new Promise((resolve) => sock.on('close', resolve));
  sock.on('error', () => {}); // a cut connection: closed says so
  sock.on('data', (d) => {
    if (gotHead === null) {
      g.parts.push(d);
      g.received += d.length;
      return;
    }
    pending = Buffer.concat([pending, d]);
    const end = pending.indexOf('\r\n\r\n');
    if (end < 0) return;
    const lines = pending.subarray(0, end).toString('latin1').split('\r\n');
    g.status = Number(lines[0].split(' ')[1]);
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      g.headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const rest = pending.subarray(end + 4);
    g.parts.push(rest);
    g.received += rest.length;
    const done = gotHead;
    gotHead = null;
    done(g);
  });
  if (paused) sock.pause();
  sock.write(`GET ${urlPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  g.pause = () => sock.pause();
  g.resume = () => sock.resume();
  g.body = () => Buffer.concat(g.parts);
  return g;
}

const resultPath = (id) => `/v1/decisions/${id}/result`;

// The download figures of a server's /metrics.
async function downloadMetrics(s) {
  const text = (await h.api(s, 'GET', '/metrics')).text;
  const v = (re) => Number((re.exec(text) || [0, NaN])[1]);
  return {
    active: v(/^freecoop_downloads_active (\d+)$/m),
    completed: v(/^freecoop_downloads_total\{outcome="completed"\} (\d+)$/m),
    cut: v(/^freecoop_downloads_total\{outcome="cut"\} (\d+)$/m),
    refused: v(/^freecoop_downloads_total\{outcome="refused"\} (\d+)$/m),
  };
}

async function waitActive(s, n, ms = 10000) {
  const end = Date.now() + ms;
  let m;
  while (Date.now() < end) {
    m = await downloadMetrics(s);
    if (m.active === n) return m;
    await h.sleep(50);
  }
  assert.fail(`downloads active: ${m && m.active}, expected ${n}`);
}

function memory(s) {
  const status = fs.readFileSync(`/proc/${s.proc.pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
  return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
}

let big; // concluded, larger than the socket buffers can take (so a stalled reader stalls)
let medium; // concluded, about a megabyte: many chunks on `server`
let medium2;

test('a result of many chunks downloads byte for byte as stored, with its length and no chunked encoding', async () => {
  big = await decided('ok', 64, 'concluded');
  medium = await decided('ok', 9, 'concluded');
  medium2 = await decided('ok', 8, 'concluded');
  assert.ok(big.jws.length > 7 * MiB, `the big document has ${big.jws.length} bytes`);
  for (const [s, d] of [[server, medium], [server, medium2], [bulky, big]]) {
    assert.ok(d.jws.length > 25 * s.chunk, `${d.jws.length} bytes are many chunks of ${s.chunk}`);
    const before = await downloadMetrics(s);
    const r = await h.api(s, 'GET', resultPath(d.id));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/jose');
    assert.equal(r.headers.get('content-length'), String(d.jws.length));
    assert.equal(r.headers.get('transfer-encoding'), null);
    assert.equal(r.headers.get('cache-control'), 'public, max-age=3600');
    assert.ok(Buffer.from(r.text, 'latin1').equals(d.jws), 'the body is the stored document');
    assert.equal((await downloadMetrics(s)).completed, before.completed + 1, 'it was streamed');
  }
  const verified = await D.verifiedResult(server, medium.id);
  assert.equal(verified.payload.inputs.proposals.length, 9);
});

test('many concurrent downloads of two documents each get their own, whole', async () => {
  for (let round = 0; round < 3; round++) {
    const docs = Array.from({ length: server.maxDownloads }, (_, k) => (k % 2 ? medium2 : medium));
    const gets = docs.map((d) => rawGet(server, resultPath(d.id)));
    await Promise.all(gets.map((g) => g.closed));
    gets.forEach((g, k) => {
      assert.equal(g.status, 200, `download ${k} of round ${round}`);
      assert.equal(g.headers['content-length'], String(docs[k].jws.length));
      assert.ok(g.body().equals(docs[k].jws), `download ${k} of round ${round} is its document`);
    });
  }
  await waitActive(server, 0);
});

test('beyond max_downloads: 503 too-many-downloads with Retry-After; a small result is still served; a freed slot serves again', async (t) => {
  const small = await decided('ok', 0, 'concluded');
  assert.ok(small.jws.length <= bulky.chunk, `the small document has ${small.jws.length} bytes`);
  const holders = Array.from({ length: bulky.maxDownloads },
    () => rawGet(bulky, resultPath(big.id), { paused: true }));
  t.after(() => holders.forEach((g) => g.sock.destroy()));
  await waitActive(bulky, bulky.maxDownloads);
  const before = await downloadMetrics(bulky);
  const refused = await h.api(bulky, 'GET', resultPath(big.id));
  h.assertProblem(refused, 503, 'too-many-downloads');
  assert.match(refused.headers.get('retry-after') || '', /^[0-9]+$/);
  assert.equal(refused.headers.get('cache-control'), null, 'a refusal is not cacheable as the result');
  assert.equal((await downloadMetrics(bulky)).refused, before.refused + 1);

  // A document of one chunk is answered at once, as before streaming: it takes no slot.
  const one = await h.api(bulky, 'GET', resultPath(small.id));
  assert.equal(one.status, 200);
  assert.equal(one.headers.get('content-length'), String(small.jws.length));
  assert.ok(Buffer.from(one.text, 'latin1').equals(small.jws));

  holders[0].sock.destroy();
  await waitActive(bulky, bulky.maxDownloads - 1);
  const r = await h.api(bulky, 'GET', resultPath(big.id));
  assert.equal(r.status, 200);
  assert.ok(Buffer.from(r.text, 'latin1').equals(big.jws));
  for (const g of holders) g.sock.destroy();
  await waitActive(bulky, 0);
});

test('clients that read nothing or leave mid-download hold no more than a chunk each, and free it', async (t) => {
  const s = await start(128 * KiB, 32);
  const warm = await h.api(s, 'GET', resultPath(big.id)); // pools, buffers, allocator
  assert.ok(Buffer.from(warm.text, 'latin1').equals(big.jws));
  const n = 16;
  const m0 = memory(s);
  let hwmBase = m0.hwm;
  try {
    fs.writeFileSync(`/proc/${s.proc.pid}/clear_refs`, '5'); // VmHWM := VmRSS
    hwmBase = m0.rss;
  } catch { /* not allowed here: measure from the old peak */ }
  const before = await downloadMetrics(s);

  // Readers that read nothing: the server writes until the socket buffers are full, then
  // holds at most the chunk being written.
  const stalled = Array.from({ length: n }, () => rawGet(s, resultPath(big.id), { paused: true }));
  t.after(() => stalled.forEach((g) => g.sock.destroy()));
  await waitActive(s, n);
  await h.sleep(1500);
  // Readers that take about a megabyte each and leave.
  const leavers = Array.from({ length: n }, () => rawGet(s, resultPath(big.id)));
  await Promise.all(leavers.map(async (g) => {
    while (g.received < MiB) await h.sleep(5);
    g.sock.destroy();
  }));
  await waitActive(s, n);
  const m1 = memory(s);
  const grew = m1.hwm - hwmBase;
  t.diagnostic(`${2 * n} downloads of ${big.jws.length} bytes: peak RSS +${(grew / MiB).toFixed(1)} MiB`);
  // Read whole, the stalled downloads alone would hold n x (7.5 MB - socket buffers).
  assert.ok(grew < 24 * MiB, `the server grew by ${(grew / MiB).toFixed(1)} MiB (RSS now `
    + `${(m1.rss / MiB).toFixed(0)} MiB) for ${2 * n} downloads of a `
    + `${(big.jws.length / MiB).toFixed(1)} MiB document`);

  for (const g of stalled) g.sock.destroy();
  const after = await waitActive(s, 0);
  assert.equal(after.cut - before.cut, 2 * n, 'every download ended');
  assert.equal(after.completed, before.completed);
  assert.ok(s.logs.some((l) => /download of the result of decision .* ended after \d+ of \d+ bytes/.test(l)));
  // Nothing leaked (the sanitizers report leaks at exit), and downloads still work.
  const again = await h.api(s, 'GET', resultPath(big.id));
  assert.ok(Buffer.from(again.text, 'latin1').equals(big.jws));
  assert.equal(await s.stop(), 0);
  assert.ok(!s.logs.some((l) => /Sanitizer/.test(l)), 'no sanitizer report');
});

// GETs urlPath from s as lib/slow_get.py reads it, at rate bytes a second: resolves with
// {status, content_length, received, seconds, body}.
function slowGet(s, urlPath, rate) {
  const file = path.join(os.tmpdir(), `freecoop-slow-get-${crypto.randomBytes(6).toString('hex')}.body`);
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', ['-I', SLOW_GET, String(s.port), urlPath, String(rate), file]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) { reject(new Error(`slow_get.py exited ${code}: ${stderr}`)); return; }
      const r = JSON.parse(stdout);
      r.body = fs.readFileSync(file);
      fs.rmSync(file, { force: true });
      resolve(r);
    });
  });
}

test('a reader slower than connection_timeout still gets everything; one that stalls that long is cut off', async (t) => {
  const s = await start(2 * MiB, 4, { FREECOOP_CONNECTION_TIMEOUT: '1' });
  // 7.5 MB at 768 KiB/s: the server writes for seconds, the client saying nothing
  // meanwhile, and each chunk takes longer than connection_timeout to go out.
  const slow = await slowGet(s, resultPath(big.id), 768 * KiB);
  assert.equal(slow.status, 200);
  t.diagnostic(`slow reader: ${slow.received} bytes in ${slow.seconds} s`);
  assert.ok(slow.seconds > 3, `took ${slow.seconds} s, longer than connection_timeout`);
  assert.equal(slow.content_length, big.jws.length);
  assert.ok(slow.body.equals(big.jws), `the slow reader got the whole document (${slow.received} bytes)`);

  const stalled = rawGet(s, resultPath(big.id), { paused: true });
  t.after(() => stalled.sock.destroy());
  await waitActive(s, 1);
  const t1 = Date.now();
  await waitActive(s, 0, 8000);
  assert.ok(Date.now() - t1 > 500, 'cut off after connection_timeout without progress');
  stalled.resume();
  await stalled.closed;
  assert.ok(stalled.received < big.jws.length, 'the stalled reader did not get the document');
  assert.ok(stalled.body().equals(big.jws.subarray(0, stalled.received)), 'what it got is a prefix');
});

test('a failed decision re-queued mid-download: the connection is cut, never two documents spliced', async (t) => {
  const failed = await decided('fail', 64, 'failed');
  const first = await h.api(bulky, 'GET', resultPath(failed.id));
  assert.equal(first.headers.get('cache-control'), 'no-cache', 'a failure document may still change');
  assert.ok(Buffer.from(first.text, 'latin1').equals(failed.jws));

  // A download whose client reads nothing while the operator re-queues and the decision
  // is counted again: the server fills the socket buffers and waits with a chunk.
  const g = rawGet(bulky, resultPath(failed.id), { paused: true });
  t.after(() => g.sock.destroy());
  await waitActive(bulky, 1);
  await h.sleep(500);
  h.operatorSql(`SELECT admin.requeue_conclusion('${failed.id}')`);
  const end = Date.now() + 30000;
  let again;
  for (;;) {
    const state = h.superSql(`SELECT outcome FROM decision.decisions WHERE id = '${failed.id}'`);
    if (state === 'failed') {
      again = stored(failed.id);
      if (again.countedAt !== failed.countedAt) break;
    }
    assert.ok(Date.now() < end, 'the re-queued decision was not counted again');
    await h.sleep(50);
  }
  assert.ok(!again.jws.equals(failed.jws), 'another document');

  g.resume();
  await g.closed;
  assert.equal(g.status, 200);
  assert.equal(g.headers['content-length'], String(failed.jws.length));
  assert.ok(g.received < failed.jws.length, `cut: ${g.received} of ${failed.jws.length} bytes`);
  assert.ok(g.body().equals(failed.jws.subarray(0, g.received)), 'every byte is the first document\'s');
  assert.ok(bulky.logs.some((l) => l.includes(failed.id) && /withdrawn or replaced/.test(l)),
    'the server says why it cut the download');

  const fresh = await h.api(bulky, 'GET', resultPath(failed.id));
  assert.equal(fresh.headers.get('cache-control'), 'no-cache');
  assert.ok(Buffer.from(fresh.text, 'latin1').equals(again.jws), 'a new download gets the new document whole');
});

test('Cache-Control: public for a concluded decision, no-cache for a failed one, whatever their size', async () => {
  const small = { concluded: await decided('ok', 0, 'concluded'), failed: await decided('fail', 0, 'failed') };
  const large = { concluded: medium, failed: await decided('fail', 9, 'failed') };
  for (const [size, docs] of Object.entries({ small, large })) {
    for (const [state, d] of Object.entries(docs)) {
      const r = await h.api(server, 'GET', resultPath(d.id));
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('cache-control'), state === 'concluded' ? 'public, max-age=3600' : 'no-cache',
        `${size} ${state}`);
      assert.ok(Buffer.from(r.text, 'latin1').equals(d.jws), `${size} ${state}: the stored document`);
    }
  }
});

test('stopping the server mid-download ends the downloads cleanly (no leak, exit 0)', async () => {
  const s = await start(256 * KiB, 4, { FREECOOP_SHUTDOWN_TIMEOUT: '1' });
  const stalled = [rawGet(s, resultPath(big.id), { paused: true }), rawGet(s, resultPath(big.id), { paused: true })];
  await waitActive(s, 2);
  assert.equal(await s.stop(), 0);
  assert.ok(!s.logs.some((l) => /Sanitizer/.test(l)), 'no sanitizer report');
  for (const g of stalled) {
    g.resume();
    await g.closed;
    assert.ok(g.received < big.jws.length, 'the download was cut, not completed');
  }
});
