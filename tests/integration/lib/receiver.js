'use strict';
// A webhook receiver for the tests: an HTTP (or HTTPS, with a self-signed certificate)
// server on 127.0.0.1 that records every request it gets and answers as the test scripts.
//
//   const r = await startReceiver();                  // http://127.0.0.1:<port>/hook
//   const r = await startReceiver({ https: true });   // https, self-signed for 127.0.0.1
//   const r = await startReceiver({ port });          // on a port chosen beforehand
//   r.url                  the URL to PUT as the webhook (path /hook)
//   r.requests             [{method, path, headers (lowercase names), body (Buffer),
//                            text, json, at (ms since the epoch), answered (status or
//                            'hold' / 'destroy')}]
//   r.answer(...answers)   queues answers for the next requests, in order; an answer is
//                            a status (200, 500, ...), {status, headers, body}, 'hold'
//                            (never answered until r.release()) or 'destroy' (the
//                            connection is reset without an answer)
//   r.setDefault(answer)   the answer once the queue is empty (default 200)
//   r.waitFor(n, ms)       resolves with r.requests once there are at least n of them
//   r.release(status)      answers every held request (default 200)
//   r.close()              stops listening and drops every connection
//
// Only ever listens on 127.0.0.1.

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

// A self-signed P-256 certificate for 127.0.0.1 (subjectAltName IP:127.0.0.1), made with
// the openssl CLI in a temporary directory; returns {key, cert} (PEM).
function selfSignedCert() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freecoop-receiver-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt',
      'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1', '-addext',
      'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert],
    { encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      throw new Error(`openssl req failed: ${r.error ? r.error.message : r.stderr}`);
    }
    return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function startReceiver(opts = {}) {
  const queue = [];
  let fallback = opts.default === undefined ? 200 : opts.default;
  const requests = [];
  const held = [];
  const waiters = [];
  const sockets = new Set();

  const notify = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (requests.length >= waiters[i].n) {
        const [w] = waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(requests);
      }
    }
  };

  const respond = (res, answer) => {
    const a = typeof answer === 'number' ? { status: answer } : answer;
    const body = a.body === undefined ? '' : a.body;
    res.writeHead(a.status, { 'content-type': 'text/plain', ...(a.headers || {}),
      'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      let json;
      try { json = JSON.parse(text); } catch { json = undefined; }
      const answer = queue.length > 0 ? queue.shift() : fallback;
      const rec = {
        method: req.method,
        path: req.url,
        headers: { ...req.headers },
        body,
        text,
        json,
        at: Date.now(),
        answered: typeof answer === 'object' ? answer.status : answer,
      };
      requests.push(rec);
      if (answer === 'hold') {
        held.push(res);
      } else if (answer === 'destroy') {
        req.socket.destroy();
      } else {
        respond(res, answer);
      }
      notify();
    });
  };

  let server;
  let scheme = 'http';
  if (opts.https) {
    scheme = 'https';
    server = https.createServer(selfSignedCert(), handler);
  } else {
    server = http.createServer(handler);
  }
  server.keepAliveTimeout = 2000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Failed TLS handshakes (the server refusing the certificate) are expected.
  server.on('tlsClientError', () => {});
  server.on('clientError', (err, sock) => { sock.destroy(); });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port || 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();

  return {
    port,
    url: `${scheme}://127.0.0.1:${port}/hook`,
    origin: `${scheme}://127.0.0.1:${port}`,
    requests,
    answer(...answers) { queue.push(...answers); },
    setDefault(answer) { fallback = answer; },
    waitFor(n, ms = 15000) {
      if (requests.length >= n) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const w = { n, resolve };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`the receiver got ${requests.length} request(s) within ${ms} ms, `
            + `wanted ${n}: ${JSON.stringify(requests.map((r) => ({ path: r.path, id: r.headers['webhook-id'], answered: r.answered })))}`));
        }, ms);
        waiters.push(w);
      });
    },
    release(status = 200) {
      for (const res of held.splice(0)) {
        if (!res.writableEnded && !res.destroyed) {
          try { respond(res, status); } catch { /* the client went away */ }
        }
      }
    },
    get held() { return held.length; },
    close() {
      for (const res of held.splice(0)) res.destroy();
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// The webhook ids of the requests, in arrival order.
function ids(requests) {
  return requests.map((r) => r.headers['webhook-id']);
}

module.exports = { startReceiver, selfSignedCert, ids };
