'use strict';
// Helpers of scripts/bench-webhooks, in Node.js (node:http only, no packages).
//
//   receiver PORT CONTROL_PORT
//       The webhook receiver, on 127.0.0.1:PORT: reads each request whole, answers 200
//       with an empty body, and keeps (arrival time in us since the epoch, path,
//       webhook-id, webhook-timestamp, webhook-signature, body) in memory; counts
//       requests and repeated webhook-ids. Controlled on 127.0.0.1:CONTROL_PORT:
//         GET /stats         {"count", "unique", "duplicates", "first_us", "last_us",
//                             "bad" (not a POST, or no webhook-id), "sample" (the first
//                             request's method, path, HTTP version and headers)}
//         GET /wait?count=N&timeout_ms=T
//                            answers /stats once N requests have arrived, or after T ms
//         POST /reset        forgets everything
//         POST /dump?file=F  writes the records to F, one JSON array a line, in arrival
//                            order
//       Prints "receiver ready" once both listen.
//   post PORT LANES_FILE
//       The baseline client: LANES_FILE is JSON [{"path", "secret", "records": [{"id",
//       "body"}]}]. Each lane POSTs its records one after another (the next once the
//       answer to the previous is read whole), all lanes at once, every request on a new
//       TCP connection (agent: false), with the headers the server sends: content-type,
//       webhook-id, webhook-timestamp (now) and webhook-signature (v1, HMAC-SHA256 of
//       "id.timestamp.body" under the secret's key). Prints JSON {"n", "ok", "errors",
//       "seconds", "per_second", "cpu_us", "first_error"}.
const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');

const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

function receiver(port, controlPort) {
  let recs = [];
  let seen = new Map();
  let dups = 0;
  let bad = 0;
  let first = 0;
  let last = 0;
  let sample = null;
  let waiters = [];
  const stats = () => ({ count: recs.length, unique: seen.size, duplicates: dups, bad,
    first_us: first, last_us: last, sample });

  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const t = nowUs();
      const id = req.headers['webhook-id'];
      if (req.method !== 'POST' || !id) bad++;
      const k = id || '';
      const n = (seen.get(k) || 0) + 1;
      seen.set(k, n);
      if (n > 1) dups++;
      if (sample === null) {
        sample = { method: req.method, path: req.url, http: req.httpVersion, headers: req.rawHeaders };
      }
      recs.push([t, req.url, k, req.headers['webhook-timestamp'] || '',
        req.headers['webhook-signature'] || '', Buffer.concat(chunks).toString('utf8')]);
      if (first === 0) first = t;
      last = t;
      if (waiters.length) {
        waiters = waiters.filter((w) => {
          if (recs.length < w.count) return true;
          clearTimeout(w.timer);
          w.done();
          return false;
        });
      }
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    });
  });
  srv.keepAliveTimeout = 5000;

  const ctl = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const reply = (code, obj) => {
      const b = JSON.stringify(obj);
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) });
      res.end(b);
    };
    req.resume();
    req.on('end', () => {
      if (url.pathname === '/stats') {
        reply(200, stats());
      } else if (url.pathname === '/wait') {
        const count = Number(url.searchParams.get('count'));
        if (recs.length >= count) {
          reply(200, stats());
          return;
        }
        const w = { count, done: () => reply(200, stats()) };
        w.timer = setTimeout(() => {
          waiters = waiters.filter((x) => x !== w);
          w.done();
        }, Number(url.searchParams.get('timeout_ms')) || 1000);
        waiters.push(w);
      } else if (url.pathname === '/reset' && req.method === 'POST') {
        recs = []; seen = new Map(); dups = 0; bad = 0; first = 0; last = 0; sample = null;
        reply(200, { ok: true });
      } else if (url.pathname === '/dump' && req.method === 'POST') {
        const fd = fs.openSync(url.searchParams.get('file'), 'w');
        for (let i = 0; i < recs.length; i += 1000) {
          fs.writeSync(fd, recs.slice(i, i + 1000).map((r) => JSON.stringify(r)).join('\n') + '\n');
        }
        fs.closeSync(fd);
        reply(200, { written: recs.length });
      } else {
        reply(404, { error: 'no such control' });
      }
    });
  });

  let up = 0;
  const ready = () => { if (++up === 2) console.log('receiver ready'); };
  srv.listen({ port: Number(port), host: '127.0.0.1', backlog: 4096 }, ready);
  ctl.listen({ port: Number(controlPort), host: '127.0.0.1' }, ready);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function post(port, lanesFile) {
  const lanes = JSON.parse(fs.readFileSync(lanesFile, 'utf8'));
  let n = 0;
  let ok = 0;
  let errors = 0;
  let firstError = null;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();

  const one = (path, key, rec) => new Promise((resolve) => {
    const ts = Math.floor(Date.now() / 1000).toString();
    const sig = crypto.createHmac('sha256', key).update(`${rec.id}.${ts}.${rec.body}`).digest('base64');
    const body = Buffer.from(rec.body, 'utf8');
    const req = http.request({
      host: '127.0.0.1', port: Number(port), path, method: 'POST', agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        'webhook-id': rec.id,
        'webhook-timestamp': ts,
        'webhook-signature': `v1,${sig}`,
      },
    }, (res) => {
      res.resume();
      res.on('end', () => {
        n++;
        if (res.statusCode >= 200 && res.statusCode < 300) ok++;
        else { errors++; if (!firstError) firstError = `HTTP ${res.statusCode}`; }
        resolve();
      });
    });
    req.on('error', (e) => {
      n++;
      errors++;
      if (!firstError) firstError = String(e);
      resolve();
    });
    req.end(body);
  });

  const lane = async (l) => {
    const key = Buffer.from(l.secret.replace(/^whsec_/, ''), 'base64');
    for (const rec of l.records) await one(l.path, key, rec);
  };
  Promise.all(lanes.map(lane)).then(() => {
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ n, ok, errors, seconds: secs, per_second: n / secs,
      cpu_us: cpu.user + cpu.system, first_error: firstError }));
  });
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'receiver') receiver(...args);
else if (cmd === 'post') post(...args);
else {
  console.error('usage: bench_webhooks.js receiver PORT CONTROL_PORT | post PORT LANES_FILE');
  process.exit(2);
}
