'use strict';
// Integration test harness: starts the real api-server against the test cluster, talks to
// it over HTTP, and checks every response it receives against api-server/openapi.yaml.
//
// Environment (exported by scripts/test; see SPEC §4):
//   FREECOOP_BIN                      the api-server binary
//   FREECOOP_TEST_CONNINFO_SERVER     conninfo the server uses (user freecoop_server)
//   FREECOOP_TEST_CONNINFO_OPERATOR   conninfo of the operator login (admin.* functions)
//   FREECOOP_TEST_CONNINFO_SUPER      conninfo of the superuser
//   FREECOOP_TEST_AUTHORITY_KEY       PEM Ed25519 private key of a registered decision authority
//   FREECOOP_TEST_MASTER_KEY          32-byte master key file
//   FREECOOP_TEST_COOP_SERVICE_KEY    FreeCoop's service key file (svc_...)
//   FREECOOP_TEST_COOP_SIGNING_KEY    FreeCoop's PEM Ed25519 log signing key
//   FREECOOP_TEST_PG_STOP / _START    shell commands that stop / start the test cluster
//   FREECOOP_TEST_WORKER_SOCKET       socket of the count-worker scripts/test started
//   FREECOOP_WORKER_BIN               the count-worker binary

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const ITDIR = path.resolve(__dirname, '..');
const OPENAPI = path.resolve(ITDIR, '..', '..', 'api-server', 'openapi.yaml');
const HEALTH_TIMEOUT_MS = 10000;
const KILL_AFTER_MS = 10000;

// Returns the environment variable name, or throws saying what is missing.
function env(name) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    throw new Error(`${name} is not set: run the integration tests through scripts/test `
      + '(or source the test environment it exports)');
  }
  return v;
}

function randomName(prefix = 'it') {
  return `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A TCP port that was free a moment ago (bind port 0, read it, close).
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// The child's environment: ours without any FREECOOP_<config key> that could leak in,
// plus the test settings, plus overrides (an override of undefined removes the variable).
function serverEnv(port, overrides) {
  const e = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('FREECOOP_') && !k.startsWith('FREECOOP_TEST_')
        && k !== 'FREECOOP_BIN' && k !== 'FREECOOP_WORKER_BIN' && k !== 'FREECOOP_BUILD_DIR') continue;
    e[k] = v;
  }
  Object.assign(e, {
    FREECOOP_PORT: String(port),
    FREECOOP_LISTEN_ADDRESS: '127.0.0.1',
    FREECOOP_DB_CONNINFO: env('FREECOOP_TEST_CONNINFO_SERVER'),
    FREECOOP_AUTHORITY_KEY_FILE: env('FREECOOP_TEST_AUTHORITY_KEY'),
    FREECOOP_MASTER_KEY_FILE: env('FREECOOP_TEST_MASTER_KEY'),
    // Every server runs FreeCoop too, as scripts/run's does.
    FREECOOP_COOP_SERVICE_KEY_FILE: env('FREECOOP_TEST_COOP_SERVICE_KEY'),
    FREECOOP_COOP_SIGNING_KEY_FILE: env('FREECOOP_TEST_COOP_SIGNING_KEY'),
    FREECOOP_WORKER_SOCKET: env('FREECOOP_TEST_WORKER_SOCKET'),
  });
  // Started as root (scripts/test as root), the server reads its keys and becomes its
  // dedicated user; it refuses to serve as root.
  if (process.env.FREECOOP_TEST_SERVER_USER) e.FREECOOP_USER = process.env.FREECOOP_TEST_SERVER_USER;
  // Working on the web page: the servers read its files from the folder (no rebuild).
  if (process.env.FREECOOP_TEST_WEB_DIR) e.FREECOOP_WEB_DIR = process.env.FREECOOP_TEST_WEB_DIR;
  for (const [k, v] of Object.entries(overrides || {})) {
    if (v === undefined || v === null) delete e[k];
    else e[k] = String(v);
  }
  return e;
}

// The environment of a count-worker a suite starts itself: run as root (scripts/test as
// root), it must become its dedicated user and let the servers' group connect.
function workerEnv(extra = {}) {
  const e = { ...process.env };
  if (process.env.FREECOOP_TEST_WORKER_USER) e.FREECOOP_WORKER_USER = process.env.FREECOOP_TEST_WORKER_USER;
  if (process.env.FREECOOP_TEST_SOCKET_GROUP) e.FREECOOP_WORKER_SOCKET_GROUP = process.env.FREECOOP_TEST_SOCKET_GROUP;
  return Object.assign(e, extra);
}

// Servers still running when this process exits (a crashed or interrupted test) are killed
// so they do not outlive it.
const running = new Set();
process.on('exit', () => {
  for (const p of running) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

// A server built with the sanitizers (the asan preset) reports a memory error, undefined
// behaviour or a leak on its stderr and exits; whichever test was running may still pass,
// so the report fails the whole file. So does a state machine's broken invariant (a
// transition outside its table, common/fsm.h), which the server logs and survives.
const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: |SUMMARY: UndefinedBehaviorSanitizer|broken invariant: /;
function reportSanitizer(bin, logs) {
  const at = logs.findIndex((l) => SANITIZER_REPORT.test(l));
  if (at < 0) return;
  process.exitCode = 1;
  process.stderr.write(`\n*** ${bin} reported a sanitizer error or a broken invariant:\n${logs.slice(at, at + 60).join('\n')}\n`);
}

// Spawns the server (on port, or a free one); returns {url, logs, out, proc, exited}
// without waiting for it. logs collects stderr lines (JSON log records) as strings;
// exited resolves with {code, signal} when the process ends.
async function spawnServer(envOverrides = {}, port = null) {
  const bin = env('FREECOOP_BIN');
  if (!port) port = await freePort();
  const proc = spawn(bin, [], {
    env: serverEnv(port, envOverrides),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = [];
  const out = [];
  const collect = (stream, into) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      rest += chunk;
      const lines = rest.split('\n');
      rest = lines.pop();
      into.push(...lines.filter((l) => l !== ''));
    });
    stream.on('end', () => { if (rest !== '') into.push(rest); rest = ''; });
  };
  collect(proc.stderr, logs);
  collect(proc.stdout, out);
  running.add(proc);
  const exited = new Promise((resolve) => {
    proc.on('exit', () => running.delete(proc));
    proc.on('error', (err) => {
      running.delete(proc);
      logs.push(`(harness) could not start ${bin}: ${err.message}`);
      resolve({ code: null, signal: null, error: err });
    });
    proc.on('close', (code, signal) => {
      reportSanitizer(bin, logs);
      resolve({ code, signal });
    });
  });
  return { url: `http://127.0.0.1:${port}`, port, logs, out, proc, exited };
}

function describeLogs(logs) {
  const tail = logs.slice(-40).join('\n');
  return tail === '' ? '(no log output)' : tail;
}

// Polls GET url+path until it answers 200, the process exits, or the deadline passes.
async function waitFor200(s, path, deadline, isExited) {
  let lastErr = 'no answer';
  for (;;) {
    const info = isExited();
    if (info) {
      throw new Error(`api-server exited before answering ${path} (code ${info.code}, `
        + `signal ${info.signal}); its log:\n${describeLogs(s.logs)}`);
    }
    if (Date.now() > deadline) {
      s.proc.kill('SIGKILL');
      throw new Error(`api-server did not answer GET ${path} with 200 within ${HEALTH_TIMEOUT_MS} ms `
        + `(${lastErr}); its log:\n${describeLogs(s.logs)}`);
    }
    try {
      const res = await fetch(s.url + path, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastErr = `status ${res.status}`;
    } catch (err) {
      lastErr = err.cause ? err.cause.code || err.cause.message : err.message;
    }
    await sleep(50);
  }
}

// Starts the server and waits until GET /healthz answers 200, and then (unless
// opts.ready is false) until GET /readyz does too, so the database pool is connected
// before a test makes its first call. opts.port starts it on that port (a restart where
// clients wait). Returns {url, logs, proc, stop(), parsedLogs()}; stop() sends SIGTERM
// (SIGKILL after 10 s) and resolves with the exit code (null when a signal ended it).
async function startServer(envOverrides = {}, opts = {}) {
  const s = await spawnServer(envOverrides, opts.port);
  let exitInfo = null;
  s.exited.then((info) => { exitInfo = info; });
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  await waitFor200(s, '/healthz', deadline, () => exitInfo);
  if (opts.ready !== false) await waitFor200(s, '/readyz', deadline, () => exitInfo);
  const server = {
    url: s.url,
    port: s.port,
    logs: s.logs,
    out: s.out,
    proc: s.proc,
    exited: s.exited,
    parsedLogs() {
      return s.logs.map((l) => { try { return JSON.parse(l); } catch { return { raw: l }; } });
    },
    async stop() {
      if (exitInfo) return exitInfo.code;
      s.proc.kill('SIGTERM');
      const timer = setTimeout(() => s.proc.kill('SIGKILL'), KILL_AFTER_MS);
      const info = await s.exited;
      clearTimeout(timer);
      return info.code;
    },
  };
  return server;
}

// Runs the server expecting it to exit by itself (e.g. refusing to start); resolves with
// {code, signal, logs, answered} where answered tells whether /healthz ever answered.
async function runServerUntilExit(envOverrides = {}, timeoutMs = 15000) {
  const s = await spawnServer(envOverrides);
  let done = null;
  s.exited.then((info) => { done = info; });
  let answered = false;
  const deadline = Date.now() + timeoutMs;
  while (!done && Date.now() < deadline) {
    try {
      const res = await fetch(`${s.url}/healthz`, { signal: AbortSignal.timeout(500) });
      await res.arrayBuffer();
      answered = true;
    } catch { /* not listening (yet) */ }
    await sleep(100);
  }
  if (!done) {
    s.proc.kill('SIGKILL');
    await s.exited;
    return { code: null, signal: 'SIGKILL', logs: s.logs, answered, timedOut: true };
  }
  return { ...done, logs: s.logs, answered, timedOut: false };
}

// ---------------------------------------------------------------------------------------
// The OpenAPI document, bundled and dereferenced once per process.

let apiDoc = null;
let Ajv2020 = null;
let ajv = null;
const validators = new Map();

function loadApi() {
  if (apiDoc) return apiDoc;
  const tmp = path.join(os.tmpdir(), `freecoop-openapi-${process.pid}-${crypto.randomBytes(4).toString('hex')}.json`);
  const bin = path.join(ITDIR, 'node_modules', '.bin', 'redocly');
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} is missing: run npm ci in ${ITDIR}`);
  }
  const r = spawnSync(bin, ['bundle', OPENAPI, '--dereferenced', '--ext', 'json', '-o', tmp], {
    cwd: ITDIR,
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  if (r.error || r.status !== 0 || !fs.existsSync(tmp)) {
    throw new Error(`redocly bundle ${OPENAPI} failed: ${r.error ? r.error.message : r.stderr}`);
  }
  try {
    apiDoc = JSON.parse(fs.readFileSync(tmp, 'utf8'));
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  // redocly leaves $refs inside x- extensions alone; resolve those here.
  apiDoc['x-freecoop-unmatched'] = derefLocal(apiDoc['x-freecoop-unmatched'], apiDoc, 0);
  // The statuses of a head refused before routing, whatever the path and method.
  const { refused } = apiDoc['x-freecoop-unmatched'];
  apiDoc.__refused = new Set(refused.content['application/problem+json'].schema.allOf[1].oneOf
    .map((o) => o.properties.status.const));
  Ajv2020 = require('ajv/dist/2020');
  ajv = new Ajv2020({ strict: false, allErrors: true });
  require('ajv-formats')(ajv);
  apiDoc.__templates = Object.keys(apiDoc.paths).map((tpl) => ({
    tpl,
    re: new RegExp(`^${tpl.split(/(\{[^}]+\})/).map((part) => (part.startsWith('{')
      ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('')}$`),
  }));
  return apiDoc;
}

// Replaces local $refs ('#/a/b') in node by copies of their targets.
function derefLocal(node, doc, depth) {
  if (depth > 64) throw new Error('OpenAPI: $ref nesting too deep');
  if (Array.isArray(node)) return node.map((n) => derefLocal(n, doc, depth + 1));
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string' && node.$ref.startsWith('#/')) {
    const target = node.$ref.slice(2).split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o, k) => (o === undefined ? undefined : o[k]), doc);
    if (target === undefined) throw new Error(`OpenAPI: unresolved $ref ${node.$ref}`);
    return derefLocal(target, doc, depth + 1);
  }
  const out = {};
  for (const [k, v] of Object.entries(node)) out[k] = derefLocal(v, doc, depth + 1);
  return out;
}

function validatorFor(key, schema) {
  let v = validators.get(key);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(key, v);
  }
  return v;
}

// Hides tokens in failure messages (test output must not show them).
function redact(s) {
  return String(s).replace(/\b(svc|aut|acc)_[A-Za-z0-9_-]{8,}/g, '$1_<redacted>');
}

function fail(where, msg) {
  throw new assert.AssertionError({ message: redact(`OpenAPI: ${where}: ${msg}`) });
}

const JSON_MEDIA = /^application\/([a-z0-9.+-]+\+)?json$/;

// Finds the response object the document gives for (method, path, status). A status the
// operation does not list, or any answer to an unlisted path or method, may be the refusal
// of a head before routing (x-freecoop-unmatched.refused).
function documentedResponse(doc, method, pathOnly, status) {
  const m = method.toLowerCase();
  const hit = doc.__templates.find((t) => t.re.test(pathOnly));
  const unmatched = doc['x-freecoop-unmatched'];
  const refused = doc.__refused.has(status)
    ? { where: `${method} ${pathOnly} -> ${status} (refused before routing)`, response: unmatched.refused, key: 'refused' }
    : null;
  if (!hit) {
    return refused || { where: `${method} ${pathOnly} (no such path in the document)`, expect: 404, response: unmatched.route };
  }
  const op = doc.paths[hit.tpl][m];
  if (!op) {
    return refused || { where: `${method} ${hit.tpl} (method not in the document)`, expect: 405, response: unmatched.method };
  }
  const r = op.responses;
  const response = r[String(status)] || r[`${String(status)[0]}XX`] || r.default;
  if (!response && refused) return refused;
  return { where: `${method} ${hit.tpl} -> ${status}`, response, key: `${m} ${hit.tpl}` };
}

// Without the npm tools (scripts/test sets FREECOOP_TEST_NO_NPM when this machine cannot
// reach the npm registry through TLS it trusts) the behaviour is still tested, but responses
// are not checked against the OpenAPI document; say so once, loudly.
const contractChecks = !process.env.FREECOOP_TEST_NO_NPM;
if (!contractChecks) {
  process.stderr.write('NOTICE: npm tools unavailable: responses are NOT validated against openapi.yaml\n');
}

// Throws an AssertionError unless the response (status, Headers, body text) is documented.
function validateResponse(method, urlPath, status, headers, text) {
  if (!contractChecks) return;
  const doc = loadApi();
  const pathOnly = urlPath.split('?')[0];
  const found = documentedResponse(doc, method, pathOnly, status);
  const { where, response } = found;
  if (found.expect && found.expect !== status) {
    fail(where, `expected status ${found.expect}, got ${status}: ${text.slice(0, 300)}`);
  }
  if (!response) fail(where, `status ${status} is not documented: ${text.slice(0, 300)}`);
  const rkey = `${found.key || where} ${status}`;

  for (const [name, h] of Object.entries(response.headers || {})) {
    const value = headers.get(name);
    if (value === null) {
      if (h.required) fail(where, `required header ${name} is missing`);
      continue;
    }
    const v = validatorFor(`${rkey} header ${name}`, h.schema || {});
    if (!v(value)) fail(where, `header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(v.errors)}`);
  }

  if (!response.content) {
    if (text !== '') fail(where, `no body is documented, got ${JSON.stringify(text.slice(0, 200))}`);
    return;
  }
  const ct = headers.get('content-type');
  if (!ct) fail(where, 'Content-Type is missing');
  const media = ct.split(';')[0].trim().toLowerCase();
  const documented = Object.keys(response.content);
  const mkey = documented.find((k) => k.split(';')[0].trim().toLowerCase() === media);
  if (!mkey) fail(where, `Content-Type ${ct} is not one of ${documented.join(', ')}`);
  const schema = response.content[mkey].schema || {};
  let value = text;
  if (JSON_MEDIA.test(media)) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      fail(where, `body is not JSON (${err.message}): ${text.slice(0, 200)}`);
    }
  }
  const v = validatorFor(`${rkey} ${mkey}`, schema);
  if (!v(value)) {
    fail(where, `body does not match the schema: ${JSON.stringify(v.errors, null, 1)}\nbody: ${text.slice(0, 500)}`);
  }
  if (media === 'application/problem+json') {
    if (value.status !== status) fail(where, `problem status ${value.status} != HTTP status ${status}`);
    if (value.request_id !== headers.get('x-request-id')) {
      fail(where, `problem request_id ${value.request_id} != X-Request-Id ${headers.get('x-request-id')}`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// HTTP

// Sends req over its own connection from the local address `from` (node:http, as fetch
// cannot choose it); resolves like fetch's part of api(): {status, headers, buf}.
function sendFrom(server, from, req) {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = Buffer.byteLength(req.body);
    const r = http.request({
      host: '127.0.0.1', port: server.port, method: req.method, path: req.path, headers,
      localAddress: from, agent: false, timeout: req.timeoutMs,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          for (const one of [].concat(v)) h.append(k, one);
        }
        resolve({ status: res.statusCode, headers: h, buf: Buffer.concat(chunks) });
      });
    });
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', reject);
    r.end(req.body);
  });
}

// Sends one request and validates the response against the OpenAPI document.
// opts: token (Bearer), body (JSON-encoded), rawBody (string or Buffer, sent as is, with
// Content-Type application/json unless headers say otherwise; contentType: null sends
// none), headers, timeoutMs (default 15000), validate (default true), from (a loopback
// address to send from, e.g. '127.0.0.2', for the per-address limits: the request then
// goes on a connection of its own).
// Resolves with {status, headers, text, json}. A request that got no response at all
// rejects with an Error whose code is 'NO_RESPONSE'.
async function api(server, method, urlPath, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  const hasHeader = (n) => Object.keys(headers).some((k) => k.toLowerCase() === n);
  if (opts.token !== undefined) headers.Authorization = `Bearer ${opts.token}`;
  let body;
  if (opts.body !== undefined) body = JSON.stringify(opts.body);
  else if (opts.rawBody !== undefined) body = opts.rawBody;
  if (body !== undefined && !hasHeader('content-type') && opts.contentType !== null) {
    headers['Content-Type'] = opts.contentType || 'application/json';
  }
  const timeoutMs = opts.timeoutMs || 15000;
  let res;
  try {
    if (opts.from !== undefined) {
      assert.match(opts.from, /^127\./, 'tests send traffic to loopback addresses only');
      res = await sendFrom(server, opts.from, { method, path: urlPath, headers, body, timeoutMs });
    } else {
      const f = await fetch(server.url + urlPath, {
        method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs),
      });
      res = { status: f.status, headers: f.headers, buf: Buffer.from(await f.arrayBuffer()) };
    }
  } catch (err) {
    const e = new Error(`${method} ${urlPath}: no response (${err.cause ? err.cause.code || err.cause.message : err.message})`);
    e.code = 'NO_RESPONSE';
    e.cause = err;
    throw e;
  }
  const text = res.buf.toString('utf8');
  if (JSON_MEDIA.test((res.headers.get('content-type') || '').split(';')[0].trim())) {
    assert.ok(/[^\n]\n$/.test(text), `${method} ${urlPath}: a JSON body ends with one newline: ${JSON.stringify(text.slice(-40))}`);
  }
  if (opts.validate !== false) validateResponse(method, urlPath, res.status, res.headers, text);
  let json;
  if (text !== '' && /json/.test(res.headers.get('content-type') || '')) {
    try { json = JSON.parse(text); } catch { json = undefined; }
  }
  if (json && /^application\/problem\+json/.test(res.headers.get('content-type'))) {
    assert.match(String(json.detail), /^[A-Z]/, `${method} ${urlPath}: a problem detail starts with a capital letter`);
  }
  return { status: res.status, headers: res.headers, text, json };
}

// Parses the first HTTP response in buf (a Buffer); returns {status, headers, text, json,
// length} (length: the bytes it took), or null while it is incomplete.
function parseResponse(buf) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0].slice(0, 80))}`);
  const headers = new Headers();
  for (const l of lines.slice(1)) {
    const colon = l.indexOf(':');
    headers.append(l.slice(0, colon).trim(), l.slice(colon + 1).trim());
  }
  const n = Number(headers.get('content-length') || 0);
  if (buf.length < end + 4 + n) return null;
  const text = buf.subarray(end + 4, end + 4 + n).toString('utf8');
  let json;
  if (/json/.test(headers.get('content-type') || '')) {
    try { json = JSON.parse(text); } catch { json = undefined; }
  }
  return { status: Number(m[1]), headers, text, json, length: end + 4 + n };
}

// Sends data (a string, latin1, or a Buffer) as is on a new connection and reads the
// answers, as many as opts.answers (default 1), until the server closes the connection or
// opts.timeoutMs (default 10000) passes (opts.waitClose: until it closes). opts.body (a
// Buffer) is written after data, in chunks, for as long as no final answer came;
// opts.pauseMs waits that long between data and body. Resolves with {answers: [{status, headers, text, json}], closed (the server
// ended the connection), sent (bytes of body written), ms (until the first answer)}.
function rawHttp(server, data, opts = {}) {
  return new Promise((resolve, reject) => {
    const want = opts.answers || 1;
    const started = Date.now();
    const sock = net.connect(server.port, '127.0.0.1');
    const answers = [];
    let buf = Buffer.alloc(0);
    let closed = false;
    let sent = 0;
    let ms = null;
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve({ answers, closed, sent, ms });
    };
    const timer = setTimeout(() => finish(), opts.timeoutMs || 10000);
    // One chunk at a time, each after a turn of the event loop: a server that discards what
    // it reads drains the socket at once, and writing on from 'drain' alone would never let
    // the answer in.
    const pump = () => {
      const body = opts.body;
      if (!body || !answers.every((a) => a.status < 200) || sent >= body.length || sock.destroyed) return;
      const chunk = body.subarray(sent, sent + 65536);
      sent += chunk.length;
      if (sock.write(chunk)) setImmediate(pump);
      else sock.once('drain', () => setImmediate(pump));
    };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (let r; (r = parseResponse(buf)) !== null;) {
        if (ms === null) ms = Date.now() - started;
        answers.push(r);
        buf = buf.subarray(r.length);
      }
      if (answers.length >= want && !opts.waitClose) finish();
    });
    sock.on('end', () => { closed = true; finish(); });
    sock.on('close', () => finish());
    sock.on('error', (err) => {
      // A reset after the answers were read is the server closing: not an error here.
      if (answers.length > 0 || ['ECONNRESET', 'EPIPE'].includes(err.code)) { closed = true; finish(); } else finish(err);
    });
    sock.on('connect', () => {
      sock.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
      if (opts.pauseMs) setTimeout(pump, opts.pauseMs);
      else pump();
    });
  });
}

// Asserts a problem response: status, type slug, and the invariants every problem keeps.
function assertProblem(r, status, slug, what = '') {
  const label = `${what ? `${what}: ` : ''}expected ${status} ${slug}`;
  assert.equal(r.status, status, `${label}, got ${r.status}: ${r.text.slice(0, 300)}`);
  assert.match(r.headers.get('content-type') || '', /^application\/problem\+json\b/, label);
  assert.ok(r.json, `${label}: body is not JSON`);
  assert.equal(r.json.type, `urn:freecoop:problem:${slug}`, `${label}: ${r.text.slice(0, 300)}`);
  assert.equal(r.json.status, status, label);
  assert.equal(typeof r.json.detail, 'string', label);
  assert.ok(r.json.detail.length > 0, `${label}: empty detail`);
  assert.match(r.json.detail, /^[A-Z]/, `${label}: the detail does not start with a capital letter`);
  assert.ok(r.text.endsWith('}\n'), `${label}: the body does not end with a newline`);
  assert.equal(r.json.request_id, r.headers.get('x-request-id'), `${label}: request_id`);
}

// ---------------------------------------------------------------------------------------
// Conveniences

function lit(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

// Creates a service through the operator login; returns its key (svc_...).
function createService(name) {
  const { psql } = require('./psql');
  const key = psql(env('FREECOOP_TEST_CONNINFO_OPERATOR'),
    `SELECT admin.create_service(${lit(name)})`).stdout;
  assert.ok(/^svc_[A-Za-z0-9_-]{43}$/.test(key), 'admin.create_service returned no service key');
  return key;
}

// Runs SQL as the operator (e.g. admin.disable_service); returns trimmed stdout.
function operatorSql(sql) {
  const { psql } = require('./psql');
  return psql(env('FREECOOP_TEST_CONNINFO_OPERATOR'), sql).stdout;
}

// Runs SQL as the superuser; returns trimmed stdout.
function superSql(sql) {
  const { psql } = require('./psql');
  return psql(env('FREECOOP_TEST_CONNINFO_SUPER'), sql).stdout;
}

// Creates an account for the service; returns the 201 body {id, name, created_at}.
async function newAccount(server, serviceKey, name) {
  const r = await api(server, 'POST', '/v1/accounts',
    name === undefined ? { token: serviceKey } : { token: serviceKey, body: { name } });
  assert.equal(r.status, 201, `POST /v1/accounts: ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}

// Exchanges the account id for its authorization token; returns the aut_ token.
async function claim(server, id) {
  const r = await api(server, 'POST', `/v1/accounts/${id}/authorization-token`);
  assert.equal(r.status, 201, `claim: ${r.status} ${r.text.slice(0, 300)}`);
  return r.json.authorization_token;
}

// Issues an access token with the authorization token; returns the acc_ token.
async function accessToken(server, aut) {
  const r = await api(server, 'POST', '/v1/access-tokens', { token: aut });
  assert.equal(r.status, 201, `POST /v1/access-tokens: ${r.status} ${r.text.slice(0, 300)}`);
  return r.json.access_token;
}

// A well-formed token of the given prefix that no one was issued.
function fakeToken(prefix) {
  return prefix + crypto.randomBytes(32).toString('base64url');
}

function sha256hex(s) {
  return crypto.createHash('sha256').update(s, 'utf8').digest('hex');
}

module.exports = {
  env,
  workerEnv,
  sleep,
  freePort,
  randomName,
  startServer,
  runServerUntilExit,
  api,
  rawHttp,
  validateResponse,
  loadApi,
  assertProblem,
  createService,
  operatorSql,
  superSql,
  newAccount,
  claim,
  accessToken,
  fakeToken,
  sha256hex,
  lit,
  redact,
};
