'use strict';
// Sandbox test helpers: the server ↔ count-worker frame protocol (DESIGN §8, SPEC "Frames")
// written independently of common/wire.c, a strict decoder of the worker's answers, and
// helpers that start and stop a worker on a private temporary socket and inspect the
// processes it leaves behind. Node built-ins only (node 18+).
//
// Environment: FREECOOP_WORKER_BIN — the count-worker binary under test.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const T_VALIDATE = 1;
const T_COUNT = 2;
const T_RESULT = 3;
const T_ERROR = 4;
const KINDS = ['', 'exception', 'timeout', 'memory', 'sandbox_violation', 'bad_result',
  'internal'];
const ERROR_MESSAGE_MAX = 1024;
const RUNTIME_MAX = 2048; // WIRE_RUNTIME_MAX
// Answers larger than this are treated as a protocol violation by the test client.
const ANSWER_MAX = 256 * 1024 * 1024;

// Generous limits for most jobs (SPEC: the worker clamps them to its ceilings).
const DEFAULT_LIMITS = Object.freeze({
  cpu_ms: 2000, wall_ms: 5000, memory_mb: 256, result_max: 65536,
});

function workerBin() {
  const bin = process.env.FREECOOP_WORKER_BIN;
  if (!bin) throw new Error('FREECOOP_WORKER_BIN is not set (path of the count-worker binary)');
  if (!fs.existsSync(bin)) throw new Error(`FREECOOP_WORKER_BIN=${bin} does not exist`);
  return bin;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------
// Encoding. Strings are UTF-8 encoded; Buffers are sent as they are.

function asBytes(x) {
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof Uint8Array) return Buffer.from(x);
  if (typeof x === 'string') return Buffer.from(x, 'utf8');
  throw new TypeError(`cannot send ${typeof x} as bytes`);
}

class FrameWriter {
  constructor(type) {
    this.parts = [];
    this.u8(type);
  }

  u8(v) { const b = Buffer.alloc(1); b.writeUInt8(v); this.parts.push(b); return this; }

  u32(v) { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); this.parts.push(b); return this; }

  bytes(x) { const b = asBytes(x); this.u32(b.length); this.parts.push(b); return this; }

  // The frame: u32 length of the rest, then the rest.
  finish() {
    const body = Buffer.concat(this.parts);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    return Buffer.concat([head, body]);
  }
}

function encodeValidate(source) {
  return new FrameWriter(T_VALIDATE).bytes(source).finish();
}

// job: { method, limits?: {cpu_ms, wall_ms, memory_mb, result_max}, proposals:
// [{id, proposer, payload}], ballots: [{id, payload}], participants, proposer_franchise,
// voter_franchise: [pseudonym] } — strings or Buffers. Elements are sent in the order given.
function encodeCount(job) {
  const l = { ...DEFAULT_LIMITS, ...(job.limits || {}) };
  const w = new FrameWriter(T_COUNT).bytes(job.method)
    .u32(l.cpu_ms).u32(l.wall_ms).u32(l.memory_mb).u32(l.result_max);
  const proposals = job.proposals || [];
  w.u32(proposals.length);
  for (const p of proposals) w.bytes(p.id).bytes(p.proposer).bytes(p.payload);
  const ballots = job.ballots || [];
  w.u32(ballots.length);
  for (const b of ballots) w.bytes(b.id).bytes(b.payload);
  for (const key of ['participants', 'proposer_franchise', 'voter_franchise']) {
    const set = job[key] || [];
    w.u32(set.length);
    for (const s of set) w.bytes(s);
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------
// Strict decoding of an answer frame (header included). Throws on anything that is not
// exactly a RESULT or an ERROR as the spec defines them.

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeAnswer(frame) {
  let off = 0;
  const need = (n, what) => {
    if (frame.length - off < n) throw new Error(`answer truncated in ${what}`);
  };
  const u32 = (what) => { need(4, what); const v = frame.readUInt32BE(off); off += 4; return v; };
  const u64 = (what) => { need(8, what); const v = frame.readBigUInt64BE(off); off += 8; return v; };
  const bytes = (what) => {
    const n = u32(`${what} length`);
    need(n, what);
    const b = frame.subarray(off, off + n);
    off += n;
    return b;
  };
  // Every answer ends with the worker's runtime description: JSON of at most
  // RUNTIME_MAX bytes.
  const runtime = () => {
    const raw = bytes('runtime');
    if (raw.length > RUNTIME_MAX) throw new Error(`runtime of ${raw.length} bytes (> ${RUNTIME_MAX})`);
    return JSON.parse(utf8.decode(raw));
  };
  const len = u32('length');
  if (len !== frame.length - 4) throw new Error(`answer length ${len} != ${frame.length - 4}`);
  if (len === 0) throw new Error('answer of length 0');
  const type = frame[off++];
  let answer;
  if (type === T_RESULT) {
    const result = Buffer.from(bytes('result'));
    answer = {
      type: 'result', result, cpu_us: u64('cpu_us'), count_cpu_us: u64('count_cpu_us'),
      peak_rss_kb: u64('peak_rss_kb'), runtime: runtime(),
    };
  } else if (type === T_ERROR) {
    const kind = u32('kind');
    if (kind < 1 || kind >= KINDS.length) throw new Error(`ERROR of unknown kind ${kind}`);
    const raw = bytes('message');
    if (raw.length > ERROR_MESSAGE_MAX) {
      throw new Error(`ERROR message of ${raw.length} bytes (> ${ERROR_MESSAGE_MAX})`);
    }
    let message;
    try {
      message = utf8.decode(raw);
    } catch (e) {
      throw new Error(`ERROR message is not valid UTF-8: ${raw.toString('hex').slice(0, 200)}`);
    }
    answer = { type: 'error', kind: KINDS[kind], kind_code: kind, message, runtime: runtime() };
  } else {
    throw new Error(`answer of unexpected type ${type}`);
  }
  if (off !== frame.length) throw new Error(`${frame.length - off} trailing bytes in answer`);
  return answer;
}

// A one-line description of an answer, for assertion messages.
function describe(a) {
  if (!a) return String(a);
  if (a.type === 'result') {
    const r = a.result;
    const shown = r.length > 200 ? `${r.subarray(0, 200).toString('latin1')}…(${r.length} bytes)`
      : r.toString('latin1');
    return `RESULT ${JSON.stringify(shown)}`;
  }
  if (a.type === 'error') return `ERROR ${a.kind}: ${JSON.stringify(a.message.slice(0, 300))}`;
  if (a.type === 'closed') return `connection closed (${a.data.length} bytes received)`;
  return JSON.stringify(a);
}

// ---------------------------------------------------------------------------------------
// A client connection. Answers are queued in arrival order; request() sends one frame and
// waits for the next answer.

class Conn {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.answers = []; // decoded answers (or Error objects for undecodable ones)
    this.waiters = [];
    this.closed = false;
    this.error = null;
    this.received = 0;
    sock.on('data', (d) => {
      this.received += d.length;
      this.buf = Buffer.concat([this.buf, d]);
      this._parse();
    });
    sock.on('error', (e) => { this.error = e; });
    sock.on('close', () => { this.closed = true; this._wake(); });
  }

  static open(socketPath, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(socketPath);
      const timer = setTimeout(() => { sock.destroy(); reject(new Error('connect timeout')); },
        timeoutMs);
      sock.once('connect', () => { clearTimeout(timer); resolve(new Conn(sock)); });
      sock.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
  }

  _parse() {
    for (;;) {
      if (this.buf.length < 4) break;
      const len = this.buf.readUInt32BE(0);
      if (len > ANSWER_MAX) {
        this.answers.push(new Error(`answer announces ${len} bytes`));
        this.buf = Buffer.alloc(0);
        this.sock.destroy();
        break;
      }
      if (this.buf.length < 4 + len) break;
      const frame = this.buf.subarray(0, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      try {
        this.answers.push(decodeAnswer(Buffer.from(frame)));
      } catch (e) {
        e.message = `malformed answer: ${e.message}`;
        this.answers.push(e);
      }
    }
    this._wake();
  }

  _wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  _changed() {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  send(frame) {
    this.sock.write(frame);
  }

  // The next answer; rejects on timeout, on a malformed answer, or if the connection
  // closes first.
  async next(timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.answers.length > 0) {
        const a = this.answers.shift();
        if (a instanceof Error) throw a;
        return a;
      }
      if (this.closed) {
        throw new Error(`connection closed before an answer (${this.buf.length} stray bytes)`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${timeoutMs} ms`);
      let timer;
      await Promise.race([this._changed(),
        new Promise((resolve) => { timer = setTimeout(resolve, left); })]);
      clearTimeout(timer);
    }
  }

  async request(frame, timeoutMs) {
    this.send(frame);
    return this.next(timeoutMs);
  }

  // Waits until the peer closes the connection: resolves { closed, received, answers }
  // (closed false if it is still open after timeoutMs).
  async waitClose(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer;
      await Promise.race([this._changed(),
        new Promise((resolve) => { timer = setTimeout(resolve, left); })]);
      clearTimeout(timer);
    }
    return { closed: this.closed, received: this.received, answers: this.answers.slice() };
  }

  end() { this.sock.end(); }

  close() { this.sock.destroy(); }
}

// ---------------------------------------------------------------------------------------
// Processes.

// Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, session, ...
function procStat(pid) {
  let s;
  try {
    s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (e) {
    return null;
  }
  const close = s.lastIndexOf(')');
  const f = s.slice(close + 2).split(' ');
  return {
    pid: Number(pid), comm: s.slice(s.indexOf('(') + 1, close), state: f[0], ppid: Number(f[1]),
    pgrp: Number(f[2]), session: Number(f[3]), starttime: Number(f[19]),
  };
}

// Children of every thread of pid (zombies included).
function childrenOf(pid) {
  const out = [];
  let tasks = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch (e) {
    return out;
  }
  for (const t of tasks) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'latin1').trim();
      if (s) out.push(...s.split(/\s+/).map(Number));
    } catch (e) { /* the thread ended */ }
  }
  return out;
}

// Every process of the given session (the worker is started as a session leader, so any
// process descending from it — a job child, or anything a job child forked, even after it
// was re-parented — is in its session unless it called setsid()).
function sessionProcesses(sid) {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(name);
    if (st && st.session === sid) out.push(st);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// A worker process on a private socket.

class Worker {
  constructor(bin, dir, socketPath, child) {
    this.bin = bin;
    this.dir = dir;
    this.socketPath = socketPath;
    this.child = child;
    this.pid = child.pid;
    this.stderr = '';
    this.stdout = ''; // serve mode writes nothing there: anything is a method's escape
    this.exited = null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      if (this.stdout.length < 1 << 16) this.stdout += d;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      this.stderr += d;
      if (this.stderr.length > 1 << 20) this.stderr = this.stderr.slice(-(1 << 19));
      // A state machine's transition outside its table (common/fsm.h) fails the file,
      // whichever test was running.
      if (d.includes('broken invariant: ')) {
        process.exitCode = 1;
        process.stderr.write(`\n*** ${bin} reported a broken invariant:\n${d}\n`);
      }
    });
    this.exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => { this.exited = { code, signal }; resolve(this.exited); });
    });
  }

  connect() {
    if (this.exited) {
      return Promise.reject(new Error(`worker exited (${JSON.stringify(this.exited)}): ${this.tail()}`));
    }
    return Conn.open(this.socketPath);
  }

  tail(n = 2000) {
    return this.stderr.slice(-n);
  }

  // One request on a fresh connection.
  async once(frame, timeoutMs) {
    const c = await this.connect();
    try {
      return await c.request(frame, timeoutMs);
    } finally {
      c.close();
    }
  }

  validate(source, timeoutMs) {
    return this.once(encodeValidate(source), timeoutMs);
  }

  count(job, timeoutMs) {
    return this.once(encodeCount(job), timeoutMs);
  }

  // Waits until the worker has no child processes and its session holds nothing but the
  // worker itself; returns the leftovers ([] when clean) after graceMs.
  async leftovers(graceMs = 2000) {
    const deadline = Date.now() + graceMs;
    for (;;) {
      const kids = childrenOf(this.pid);
      const others = sessionProcesses(this.pid).filter((p) => p.pid !== this.pid);
      if (kids.length === 0 && others.length === 0) return [];
      if (Date.now() >= deadline) {
        const byPid = new Map(others.map((p) => [p.pid, p]));
        for (const k of kids) if (!byPid.has(k)) byPid.set(k, procStat(k) || { pid: k });
        return [...byPid.values()];
      }
      await sleep(20);
    }
  }

  async stop() {
    if (!this.exited) {
      try { process.kill(this.pid, 'SIGTERM'); } catch (e) { /* gone */ }
      const t = await Promise.race([this.exitPromise, sleep(5000).then(() => null)]);
      if (!t) {
        try { process.kill(-this.pid, 'SIGKILL'); } catch (e) { /* gone */ }
        await this.exitPromise;
      }
    }
    // Anything left in the worker's session (there should be nothing) is killed too.
    for (const p of sessionProcesses(this.pid)) {
      try { process.kill(p.pid, 'SIGKILL'); } catch (e) { /* gone */ }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    return this.exited;
  }
}

const running = new Set();
process.on('exit', () => {
  for (const w of running) {
    try { process.kill(-w.pid, 'SIGKILL'); } catch (e) { /* gone */ }
  }
});

// Starts a worker on a new socket in a new temporary directory (or on socketPath, to
// take the place of one that died) and waits until a connect() succeeds (SPEC: then it is
// ready). env: FREECOOP_WORKER_* overrides.
async function startWorker({ env = {}, args = [], readyTimeoutMs = 20000, socketPath = null } = {}) {
  const bin = workerBin();
  const dir = socketPath ? path.dirname(socketPath) : fs.mkdtempSync(path.join(os.tmpdir(), 'fc-sbx-'));
  // The api-server a chaos suite starts (its own dedicated user) must reach the socket.
  if (!socketPath) fs.chmodSync(dir, 0o755);
  socketPath = socketPath || path.join(dir, 'worker.sock');
  const childEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('FREECOOP_WORKER_')) childEnv[k] = v;
  }
  // Run as root (scripts/test as root), a worker must become its dedicated user, and let
  // the api-server's group connect.
  const user = process.env.FREECOOP_TEST_WORKER_USER;
  const group = process.env.FREECOOP_TEST_SOCKET_GROUP;
  Object.assign(childEnv, { FREECOOP_WORKER_JOBS: '1', FREECOOP_WORKER_LOG_LEVEL: 'info' },
    user ? { FREECOOP_WORKER_USER: user } : {}, group ? { FREECOOP_WORKER_SOCKET_GROUP: group } : {},
    env);
  delete childEnv.FREECOOP_WORKER_BIN;
  const child = spawn(bin, ['--socket', socketPath, ...args], {
    env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w = new Worker(bin, dir, socketPath, child);
  running.add(w);
  w.exitPromise.then(() => running.delete(w));
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (w.exited) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`worker exited at start (${JSON.stringify(w.exited)}): ${w.tail()}`);
    }
    try {
      const c = await Conn.open(socketPath, 1000);
      c.close();
      return w;
    } catch (e) {
      if (Date.now() > deadline) {
        await w.stop();
        throw new Error(`worker not ready after ${readyTimeoutMs} ms: ${w.tail()}`);
      }
      await sleep(25);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Listeners that must never see a connection from a job.

async function startListeners(dir) {
  const seen = { tcp: 0, unix: 0, data: [] };
  const onConn = (kind) => (s) => {
    seen[kind] += 1;
    s.on('data', (d) => seen.data.push(`${kind}: ${d.toString('latin1').slice(0, 100)}`));
    s.on('error', () => {});
    s.setTimeout(1000, () => s.destroy());
  };
  const tcp = net.createServer(onConn('tcp'));
  await new Promise((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(0, '127.0.0.1', resolve);
  });
  const unixPath = path.join(dir, 'listen.sock');
  const unix = net.createServer(onConn('unix'));
  await new Promise((resolve, reject) => {
    unix.once('error', reject);
    unix.listen(unixPath, resolve);
  });
  fs.chmodSync(unixPath, 0o777);
  return {
    port: tcp.address().port,
    unixPath,
    seen,
    close: () => Promise.all([new Promise((r) => tcp.close(r)), new Promise((r) => unix.close(r))]),
  };
}

// ---------------------------------------------------------------------------------------
// Inputs. A result document's `inputs` object (DESIGN §7: payloads in base64) converted to
// the wire job fields (ids as UTF-8, payloads as raw bytes).

function jobFromInputs(inputs) {
  const i = inputs.inputs || inputs;
  return {
    proposals: (i.proposals || []).map((p) => ({
      id: p.id, proposer: p.proposer, payload: Buffer.from(p.payload, 'base64'),
    })),
    ballots: (i.ballots || []).map((b) => ({ id: b.id, payload: Buffer.from(b.payload, 'base64') })),
    participants: i.participants || [],
    proposer_franchise: i.proposer_franchise || [],
    voter_franchise: i.voter_franchise || [],
  };
}

// The same job with every list in reverse order (the worker must sort before building
// the frozensets, so the answer may not change).
function reversedJob(job) {
  const r = { ...job };
  for (const k of ['proposals', 'ballots', 'participants', 'proposer_franchise', 'voter_franchise']) {
    r[k] = (job[k] || []).slice().reverse();
  }
  return r;
}

function assertMessage(a) {
  assert.equal(a.type, 'error');
  assert.ok(Buffer.byteLength(a.message, 'utf8') <= ERROR_MESSAGE_MAX,
    `message of ${Buffer.byteLength(a.message, 'utf8')} bytes`);
}

module.exports = {
  T_VALIDATE, T_COUNT, T_RESULT, T_ERROR, KINDS, ERROR_MESSAGE_MAX, DEFAULT_LIMITS,
  FrameWriter, encodeValidate, encodeCount, decodeAnswer, describe,
  Conn, Worker, startWorker, startListeners, childrenOf, sessionProcesses, procStat,
  jobFromInputs, reversedJob, assertMessage, workerBin, sleep,
};
