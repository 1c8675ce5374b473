'use strict';
// The adversarial corpus (tests/sandbox/corpus/*.py, attack routes E01–E26 of
// shared/notes/sandbox-study.md) against a live count-worker.
//
// Each corpus file starts with a header of comment lines:
//   # attack: what it tries
//   # expect: error <kind>          the exact ERROR kind the worker must answer, or
//   # expect: result <text>         the exact RESULT bytes (state/residue probes)
//   # also: error <kind> | result <text>   (rare) a second answer that is equally safe
//   # message: <regex>              the ERROR message must match it (JS syntax)
//   # limits: cpu_ms=N wall_ms=N memory_mb=N result_max=N   (defaults: 2000 5000 256 65536)
//   # inputs: default | secret      which inputs the job gets (see INPUTS below)
//   # after: <file>                 run that corpus method first, in the same worker
//   # validate: reject <regex>      VALIDATE must reject it so (default: accepted)
// and may use the placeholders @MARK@ (a path prefix for files an attack creates), @PORT@
// (a TCP port on 127.0.0.1 where this driver listens) and @UNIX@ (a Unix socket path where
// it listens), which the driver substitutes before sending.
//
// For every method: the answer is exactly the expected one (with a UTF-8 message of at
// most 1024 bytes); no file exists under @MARK@ afterwards; no connection reached either
// listener; the worker has no child left and nothing else survives in its session (the
// worker is started as a session leader, so anything a job child forked would be there);
// and the worker then still serves a small positive method correctly.
//
// Run: FREECOOP_WORKER_BIN=/path/to/count-worker node --test sandbox.test.js

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const W = require('./lib/worker.js');

const CORPUS = path.join(__dirname, 'corpus');
const FILES = fs.readdirSync(CORPUS).filter((f) => f.endsWith('.py')).sort();

// ---------------------------------------------------------------------------------------
// Inputs.

const enc = (o) => Buffer.from(JSON.stringify(o));
const DEFAULT_INPUTS = {
  proposals: [
    { id: 'p-alpha', proposer: 'v-1', payload: enc({ title: 'Alpha' }) },
    { id: 'p-beta', proposer: '', payload: enc({ title: 'Beta' }) },
  ],
  ballots: [
    { id: 'b-1', payload: enc(['p-alpha', 'p-beta']) },
    { id: 'b-2', payload: enc(['p-beta', 'p-alpha']) },
    { id: 'b-3', payload: enc(['p-alpha']) },
  ],
  participants: ['v-1', 'v-2', 'v-3'],
  proposer_franchise: ['v-1'],
  voter_franchise: ['v-1', 'v-2', 'v-3'],
};

// A secret the residue probe's first job holds and its second job looks for.
function secretInputs() {
  const secret = `RESIDUE-SECRET:${crypto.randomBytes(16).toString('hex')}`;
  return {
    ...DEFAULT_INPUTS,
    ballots: [...DEFAULT_INPUTS.ballots, { id: `${secret}-id`, payload: Buffer.from(secret) }],
    voter_franchise: [...DEFAULT_INPUTS.voter_franchise, `${secret}-voter`],
  };
}

const INPUTS = { default: () => DEFAULT_INPUTS, secret: secretInputs };

// The positive method run after every attack, and the bytes it must return.
const PROBE = `
def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    firsts = collections.Counter(json.loads(b.payload)[0] for b in ballots)
    ids = sorted(p.id for p in proposals)
    n = [len(ballots), len(participants), len(proposer_franchise), len(voter_franchise)]
    return json.dumps({"ids": ids, "firsts": sorted(firsts.items()), "n": n},
                      sort_keys=True, separators=(",", ":")).encode()
`;
const PROBE_EXPECTED = Buffer.from(JSON.stringify({
  firsts: [['p-alpha', 2], ['p-beta', 1]], ids: ['p-alpha', 'p-beta'], n: [3, 3, 1, 3],
}));

// ---------------------------------------------------------------------------------------
// Corpus headers.

function parseExpect(s, file) {
  let m = /^error (\w+)$/.exec(s);
  if (m) {
    assert.ok(W.KINDS.includes(m[1]) && m[1] !== '', `${file}: unknown kind ${m[1]}`);
    return { type: 'error', kind: m[1] };
  }
  m = /^result (.*)$/.exec(s);
  if (m) return { type: 'result', bytes: Buffer.from(m[1]) };
  throw new Error(`${file}: bad expectation "${s}"`);
}

function parseHeader(file) {
  const src = fs.readFileSync(path.join(CORPUS, file), 'utf8');
  const h = {
    file, src, expect: null, also: [], message: null, limits: {}, inputs: 'default',
    after: null, validate: null, attack: '',
  };
  for (const line of src.split('\n')) {
    if (!line.startsWith('#')) break;
    const m = /^#\s*([a-z]+):\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const [, key, value] = m;
    if (key === 'attack') h.attack = value;
    else if (key === 'expect') h.expect = parseExpect(value, file);
    else if (key === 'also') h.also.push(parseExpect(value, file));
    else if (key === 'message') h.message = new RegExp(value);
    else if (key === 'inputs') {
      assert.ok(INPUTS[value], `${file}: unknown inputs ${value}`);
      h.inputs = value;
    } else if (key === 'after') h.after = value;
    else if (key === 'validate') {
      const v = /^reject (.*)$/.exec(value);
      assert.ok(v, `${file}: bad validate header`);
      h.validate = new RegExp(v[1]);
    } else if (key === 'limits') {
      for (const kv of value.split(/\s+/)) {
        const [k, n] = kv.split('=');
        assert.ok(k in W.DEFAULT_LIMITS && /^\d+$/.test(n), `${file}: bad limit ${kv}`);
        h.limits[k] = Number(n);
      }
    }
  }
  assert.ok(h.expect, `${file}: no "# expect:" header`);
  return h;
}

const HEADERS = new Map(FILES.map((f) => [f, parseHeader(f)]));

// ---------------------------------------------------------------------------------------
// The worker, the listeners and the mark directory, shared by the whole file.

let worker;
let listeners;
let markDir;
let restarts = 0;

before(async () => {
  markDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-sbx-marks-'));
  fs.chmodSync(markDir, 0o777); // a worker that dropped privileges could still write here
  listeners = await W.startListeners(markDir);
  worker = await W.startWorker();
});

after(async () => {
  if (worker) await worker.stop();
  if (listeners) await listeners.close();
  if (markDir) fs.rmSync(markDir, { recursive: true, force: true });
});

// A test that finds the worker dead (an earlier attack stopped it) starts a new one, so
// that one failure does not hide the others; the test that killed it has failed already.
async function liveWorker() {
  if (worker.exited) {
    restarts += 1;
    worker = await W.startWorker();
  }
  return worker;
}

function substitute(src, mark) {
  return src.replaceAll('@MARK@', mark).replaceAll('@PORT@', String(listeners.port))
    .replaceAll('@UNIX@', listeners.unixPath);
}

function marksLeft(mark) {
  const base = path.basename(mark);
  return fs.readdirSync(markDir).filter((n) => n.startsWith(base));
}

function matches(answer, exp) {
  if (exp.type === 'error') return answer.type === 'error' && answer.kind === exp.kind;
  return answer.type === 'result' && answer.result.equals(exp.bytes);
}

function expectText(exp) {
  return exp.type === 'error' ? `ERROR ${exp.kind}` : `RESULT ${JSON.stringify(exp.bytes.toString())}`;
}

// Runs one corpus method as a COUNT and checks its answer.
async function runCorpus(w, h, mark) {
  const job = {
    ...INPUTS[h.inputs](),
    method: substitute(h.src, mark),
    limits: { ...W.DEFAULT_LIMITS, ...h.limits },
  };
  const limits = job.limits;
  const answer = await w.count(job, limits.wall_ms + 15000);
  const ok = [h.expect, ...h.also].some((e) => matches(answer, e));
  assert.ok(ok, `${h.file}: expected ${[h.expect, ...h.also].map(expectText).join(' or ')}, `
    + `got ${W.describe(answer)}`);
  if (answer.type === 'result') {
    assert.ok(answer.count_cpu_us <= answer.cpu_us, `${h.file}: count() CPU time `
      + `${answer.count_cpu_us} us exceeds the job's ${answer.cpu_us} us`);
    assert.ok(answer.cpu_us !== 7n && answer.peak_rss_kb !== 7n,
      `${h.file}: forged measurements relayed: ${answer.cpu_us} us, ${answer.peak_rss_kb} kB`);
  }
  if (answer.type === 'error') {
    W.assertMessage(answer);
    if (h.message) {
      assert.match(answer.message, h.message, `${h.file}: message ${JSON.stringify(answer.message.slice(0, 200))}`);
    }
  }
  return answer;
}

// Everything that must hold after any job, hostile or not.
async function assertClean(w, mark, what) {
  const left = await w.leftovers(2000);
  assert.deepEqual(left, [], `${what}: processes left behind: ${JSON.stringify(left)}`);
  await W.sleep(30); // let a connection attempt that was made reach the listeners
  assert.deepEqual(marksLeft(mark), [], `${what}: files created under @MARK@`);
  assert.equal(listeners.seen.tcp, 0, `${what}: a connection reached the TCP listener ${listeners.seen.data}`);
  assert.equal(listeners.seen.unix, 0, `${what}: a connection reached the Unix listener ${listeners.seen.data}`);
  assert.ok(!w.stderr.includes('forged log line'), `${what}: method output in the worker's log`);
  assert.equal(w.stdout, '', `${what}: output on the worker's stdout`);
  assert.equal(w.exited, null, `${what}: the worker exited: ${w.tail()}`);
}

async function assertServes(w, what) {
  const a = await w.count({ ...DEFAULT_INPUTS, method: PROBE });
  assert.equal(a.type, 'result', `${what}: the next job got ${W.describe(a)}`);
  assert.ok(a.result.equals(PROBE_EXPECTED), `${what}: the next job returned ${W.describe(a)}`);
}

// ---------------------------------------------------------------------------------------

test('the corpus is complete', () => {
  assert.ok(FILES.length >= 25, `only ${FILES.length} corpus methods`);
  for (const h of HEADERS.values()) {
    if (h.after) assert.ok(HEADERS.has(h.after), `${h.file}: after ${h.after}: no such file`);
  }
});

test('the positive probe works on a fresh worker', async () => {
  await assertServes(await liveWorker(), 'probe');
});

for (const file of FILES) {
  const h = HEADERS.get(file);
  test(`${file}: ${h.attack.slice(0, 80)} → ${expectText(h.expect)}`, async (t) => {
    const w = await liveWorker();
    const mark = path.join(markDir, `mark-${path.basename(file, '.py')}`);
    // Each test counts its own connections (an earlier escape fails only its own test).
    Object.assign(listeners.seen, { tcp: 0, unix: 0, data: [] });
    if (h.after) {
      const first = HEADERS.get(h.after);
      await runCorpus(w, first, mark);
      await assertClean(w, mark, `${h.after} (before ${file})`);
    }
    const answer = await runCorpus(w, h, mark);
    t.diagnostic(W.describe(answer));
    await assertClean(w, mark, file);
    await assertServes(w, `after ${file}`);
  });
}

// Controls: the state and residue probes must be able to see what they look for, or their
// b'none' would prove nothing. Run in ONE job, the mutations are all found, and the search
// finds the secret in the job's own inputs.
function renameCount(src, name) {
  assert.ok(src.includes('\ndef count('));
  return src.replace('\ndef count(', `\ndef ${name}(`);
}

test('control: the state probe sees every mutation made in its own job', async () => {
  const w = await liveWorker();
  const mutate = HEADERS.get('e16a_state_mutate.py').src;
  const check = HEADERS.get('e16a_state_check.py').src;
  const method = `${renameCount(mutate, 'mutate')}\n${renameCount(check, 'check')}\n`
    + 'def count(a, b, c, d, e):\n    mutate(a, b, c, d, e)\n    return check(a, b, c, d, e)\n';
  const a = await w.count({ ...DEFAULT_INPUTS, method });
  assert.equal(a.type, 'result', W.describe(a));
  const found = a.result.toString().split('; ');
  for (const what of ['real builtins PWNED', 'real builtins sorted', 'method builtins',
    'collections', 'math.pi', 'Counter.most_common', 'json', 'sys.modules', 'recursion limit 40',
    'Proposal/Ballot', 'Fraction', 'functools.reduce', 'random state']) {
    assert.ok(found.includes(what), `control did not see "${what}": ${a.result}`);
  }
});

test('control: the residue probe finds what the plant spread in its own job', async () => {
  const w = await liveWorker();
  const plant = HEADERS.get('e17_residue_plant.py').src;
  const h = HEADERS.get('e17_residue_search.py');
  // The plant stores 10000 copies under collections.STASH, reachable only through the
  // library module: the search must find at least those.
  const method = `${renameCount(plant, 'plant')}\n${renameCount(h.src, 'search')}\n`
    + 'def count(a, b, c, d, e):\n    assert plant(a, b, c, d, e) == b"planted"\n'
    + '    return search(a, b, c, d, e)\n';
  const a = await w.count({ ...secretInputs(), method, limits: { ...W.DEFAULT_LIMITS, ...h.limits } });
  assert.equal(a.type, 'result', W.describe(a));
  const m = /^found (\d+): /.exec(a.result.toString());
  assert.ok(m && Number(m[1]) >= 10000, `control found too little: ${W.describe(a)}`);
});

test('control: the leftover detector sees a child and an orphaned grandchild', async () => {
  // A stand-in "worker": a session leader with one child and one re-parented orphan.
  const { spawn } = require('node:child_process');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-sbx-ctl-'));
  const child = spawn('/bin/sh', ['-c', '(sleep 30 &); sleep 30 & exec sleep 30'],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const fake = new W.Worker('/bin/sh', dir, path.join(dir, 'none'), child);
  try {
    await W.sleep(300);
    const left = await fake.leftovers(200);
    assert.equal(left.length, 2, JSON.stringify(left));
    assert.ok(left.some((p) => p.ppid === child.pid), 'the direct child');
    assert.ok(left.some((p) => p.ppid !== child.pid), 'the orphan');
  } finally {
    await fake.stop();
  }
  // Killed; the orphans may stay zombies until init reaps them.
  await W.sleep(100);
  assert.deepEqual(W.sessionProcesses(child.pid).filter((p) => p.state !== 'Z'), []);
});

// VALIDATE compiles and checks in a jailed child: it must never run a method's code, so
// even the module-level attacks are merely accepted (or rejected for their imports).
test('VALIDATE never executes the corpus', async () => {
  const w = await liveWorker();
  for (const file of FILES) {
    const h = HEADERS.get(file);
    const mark = path.join(markDir, `mark-validate-${path.basename(file, '.py')}`);
    const a = await w.validate(substitute(h.src, mark));
    if (h.validate) {
      assert.equal(a.type, 'error', `${file}: VALIDATE accepted it`);
      assert.equal(a.kind, 'exception', `${file}: ${W.describe(a)}`);
      assert.match(a.message, h.validate, `${file}: ${W.describe(a)}`);
      W.assertMessage(a);
    } else {
      assert.equal(a.type, 'result', `${file}: VALIDATE answered ${W.describe(a)}`);
      assert.match(a.result.toString(), /^\{"libraries":/, `${file}: VALIDATE result`);
    }
    await assertClean(w, mark, `VALIDATE ${file}`);
  }
  await assertServes(w, 'after VALIDATE of the corpus');
});

// Sources that are hard on the compiler itself (VALIDATE runs it on untrusted input).
test('VALIDATE of pathological sources answers an exception and the worker goes on', async () => {
  const w = await liveWorker();
  const cases = {
    'nested parentheses': `x = ${'('.repeat(100000)}1${')'.repeat(100000)}\n`,
    'unary minus chain': `x = ${'-'.repeat(1000000)}1\n`,
    'nested lists': `x = ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
    'long elif chain': `def count(a, b, c, d, e):\n    if a: pass\n${'    elif a: pass\n'.repeat(100000)}`,
    'huge constant expression': 'x = 2 ** 10 ** 10 ** 10\ny = "a" * 10 ** 12\n',
    'invalid UTF-8': Buffer.from([0x64, 0x65, 0x66, 0x20, 0xff, 0xfe, 0x0a]),
    'NUL byte': 'def count(a, b, c, d, e):\n    return b"\0"\n\0',
  };
  for (const [name, src] of Object.entries(cases)) {
    const a = await w.validate(src, 30000);
    // The 3.11 parser reports its own stack exhaustion as MemoryError, which the worker
    // may classify as memory: either is a clean rejection.
    assert.equal(a.type, 'error', `${name}: ${W.describe(a)}`);
    assert.ok(['exception', 'memory'].includes(a.kind), `${name}: ${W.describe(a)}`);
    W.assertMessage(a);
    await assertClean(w, path.join(markDir, 'none'), `VALIDATE ${name}`);
  }
  await assertServes(w, 'after pathological VALIDATEs');
});

// The one-shot mode runs the same jail: an attack fails there the same way.
test('--once: a module-level attack fails with exit 1 and a sandbox_violation', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-sbx-once-'));
  try {
    const mark = path.join(markDir, 'mark-once');
    const method = path.join(dir, 'method.py');
    const inputs = path.join(dir, 'inputs.json');
    fs.writeFileSync(method, substitute(HEADERS.get('e16b_module_level_system.py').src, mark));
    fs.writeFileSync(inputs, JSON.stringify({ proposals: [], ballots: [], participants: [],
      proposer_franchise: [], voter_franchise: [] }));
    const r = spawnSync(W.workerBin(), ['--once', '--method', method, '--inputs', inputs],
      { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 1, `exit ${r.status} ${r.signal}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^count-worker: sandbox_violation: /m);
    assert.deepEqual(marksLeft(mark), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no attack stopped the worker', () => {
  assert.equal(restarts, 0, `the worker had to be restarted ${restarts} time(s)`);
});
