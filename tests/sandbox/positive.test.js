'use strict';
// Positive methods (tests/sandbox/positive/*.py) over the input sets
// (tests/sandbox/positive/inputs-*.json): the worker's RESULT bytes must equal what plain
// Python gives (reference.py run by Debian's /usr/bin/python3 with PYTHONHASHSEED=0),
// whether the inputs arrive sorted or reversed, after a worker restart, and through
// `count-worker --once`. frozenset_order.py depends on set iteration order: that is the
// determinism guarantee of DESIGN §4. Also: what VALIDATE accepts and rejects.
//
// Run: FREECOOP_WORKER_BIN=/path/to/count-worker node --test positive.test.js

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const W = require('./lib/worker.js');

const DIR = path.join(__dirname, 'positive');
const REFERENCE = path.join(__dirname, 'reference.py');
const PYTHON = '/usr/bin/python3'; // Debian's 3.11 — not the pyenv python3 on PATH
const METHODS = fs.readdirSync(DIR).filter((f) => f.endsWith('.py')).sort();
const INPUT_SETS = fs.readdirSync(DIR).filter((f) => /^inputs-.*\.json$/.test(f)).sort();
const LIMITS = { cpu_ms: 5000, wall_ms: 10000, memory_mb: 256, result_max: 1 << 20 };

// The reference bytes of every (method, inputs) pair, computed once.
const expected = new Map();
const key = (m, i) => `${m} × ${i}`;

function reference(method, inputs) {
  const env = { ...process.env, PYTHONHASHSEED: '0' };
  const r = spawnSync(PYTHON, [REFERENCE, path.join(DIR, method), path.join(DIR, inputs)],
    { env, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, `reference.py ${method} ${inputs}: ${r.stderr}`);
  assert.match(r.stdout, /^[A-Za-z0-9+/]*={0,2}\n$/);
  return Buffer.from(r.stdout.trim(), 'base64');
}

function job(method, inputs) {
  const doc = JSON.parse(fs.readFileSync(path.join(DIR, inputs), 'utf8'));
  return {
    ...W.jobFromInputs(doc),
    method: fs.readFileSync(path.join(DIR, method)),
    limits: LIMITS,
  };
}

function showDiff(got, want) {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i += 1;
  return `differs at byte ${i}: got ${JSON.stringify(got.subarray(i, i + 80).toString())}, `
    + `want ${JSON.stringify(want.subarray(i, i + 80).toString())}`;
}

function assertSame(answer, want, what) {
  assert.equal(answer.type, 'result', `${what}: ${W.describe(answer)}`);
  assert.ok(answer.result.equals(want), `${what}: ${showDiff(answer.result, want)}`);
}

let worker;
let firstRun; // the worker's bytes of the first worker, per pair

before(async () => {
  assert.ok(fs.existsSync(PYTHON), `${PYTHON} is required (Debian python3.11)`);
  for (const m of METHODS) for (const i of INPUT_SETS) expected.set(key(m, i), reference(m, i));
  worker = await W.startWorker();
  firstRun = new Map();
});

after(async () => {
  if (worker) await worker.stop();
});

test('the fixtures are there', () => {
  assert.ok(METHODS.length >= 7, `${METHODS.length} positive methods`);
  assert.ok(INPUT_SETS.includes('inputs-empty.json') && INPUT_SETS.includes('inputs-unicode.json'));
  assert.ok(METHODS.includes('frozenset_order.py'));
});

test('reference.py re-executes itself with PYTHONHASHSEED=0 and gives the same bytes', () => {
  const env = { ...process.env };
  delete env.PYTHONHASHSEED;
  for (const seed of [undefined, 'random', '1']) {
    if (seed !== undefined) env.PYTHONHASHSEED = seed;
    const r = spawnSync(PYTHON, [REFERENCE, path.join(DIR, 'frozenset_order.py'),
      path.join(DIR, 'inputs-basic.json')], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Buffer.from(r.stdout.trim(), 'base64')
      .equals(expected.get(key('frozenset_order.py', 'inputs-basic.json'))), `seed ${seed}`);
  }
});

for (const m of METHODS) {
  test(`${m}: worker bytes equal the reference for every input set`, async () => {
    for (const i of INPUT_SETS) {
      const j = job(m, i);
      const a = await worker.count(j, 30000);
      assertSame(a, expected.get(key(m, i)), `${m} × ${i}`);
      assert.ok(a.count_cpu_us <= a.cpu_us, `${m} × ${i}: count CPU > job CPU`);
      firstRun.set(key(m, i), a.result);
      // Elements in the opposite order: the worker sorts before building the frozensets.
      const r = await worker.count(W.reversedJob(j), 30000);
      assertSame(r, expected.get(key(m, i)), `${m} × ${i} (inputs sent in reverse order)`);
    }
  });
}

// json.loads(bytes) picks a codec from the first bytes: the worker must have them all
// before the jail, or one UTF-16 ballot would fail a decision's whole count.
test('json.loads decodes UTF-8 with BOM and UTF-16/32 payloads as plain Python does', async () => {
  const text = '{"v":"\u00e9\u4e2d"}';
  const be = (buf) => { const b = Buffer.from(buf); for (let i = 0; i < b.length; i += 2) [b[i], b[i + 1]] = [b[i + 1], b[i]]; return b; };
  const utf32 = (s, little) => Buffer.concat([...s].map((ch) => {
    const b = Buffer.alloc(4);
    if (little) b.writeUInt32LE(ch.codePointAt(0)); else b.writeUInt32BE(ch.codePointAt(0));
    return b;
  }));
  const payloads = [
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
    Buffer.from(text, 'utf16le'),
    be(Buffer.from(text, 'utf16le')),
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
    utf32(text, true),
    utf32(text, false),
  ];
  const method = Buffer.from('def count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n'
    + '    return json.dumps([json.loads(b.payload) for b in sorted(ballots)]).encode()\n');
  const ballots = payloads.map((p, i) => ({ id: Buffer.from(`b${i}`), payload: p }));
  const a = await worker.count({ method, ballots }, 30000);
  assert.equal(a.type, 'result', W.describe(a));
  assert.deepEqual(JSON.parse(a.result.toString()), payloads.map(() => ({ v: '\u00e9\u4e2d' })));
});

test('the same bytes after a worker restart', async () => {
  await worker.stop();
  worker = await W.startWorker();
  for (const m of METHODS) {
    for (const i of INPUT_SETS) {
      const a = await worker.count(job(m, i), 30000);
      assert.equal(a.type, 'result', `${m} × ${i}: ${W.describe(a)}`);
      const before1 = firstRun.get(key(m, i));
      assert.ok(before1, `${m} × ${i}: no first run`);
      assert.ok(a.result.equals(before1), `${m} × ${i} after restart: ${showDiff(a.result, before1)}`);
    }
  }
});

test('the same bytes through count-worker --once', () => {
  for (const m of METHODS) {
    for (const i of INPUT_SETS) {
      const r = spawnSync(W.workerBin(), ['--once', '--method', path.join(DIR, m),
        '--inputs', path.join(DIR, i), '--result-max', String(LIMITS.result_max),
        '--cpu-ms', String(LIMITS.cpu_ms), '--wall-ms', String(LIMITS.wall_ms)],
      { encoding: 'utf8', timeout: 60000 });
      assert.equal(r.status, 0, `--once ${m} ${i}: exit ${r.status} ${r.signal}: ${r.stderr}`);
      assert.match(r.stdout, /^[A-Za-z0-9+/]*={0,2}\n$/, `--once ${m} ${i}: stdout`);
      const got = Buffer.from(r.stdout.trim(), 'base64');
      assertSame({ type: 'result', result: got }, expected.get(key(m, i)), `--once ${m} × ${i}`);
    }
  }
});

test('--once reports a method error with exit 1 and "count-worker: <kind>: <message>"', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-sbx-once-'));
  try {
    const method = path.join(dir, 'm.py');
    fs.writeFileSync(method, 'def count(a, b, c, d, e):\n    raise KeyError("nope")\n');
    const r = spawnSync(W.workerBin(), ['--once', '--method', method, '--inputs',
      path.join(DIR, 'inputs-empty.json')], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^count-worker: exception: KeyError: 'nope' \(line 2\)$/m);
    const u = spawnSync(W.workerBin(), ['--once', '--method', method], { encoding: 'utf8' });
    assert.equal(u.status, 2, `missing --inputs: exit ${u.status}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------
// VALIDATE.

const FIVE = 'count must be defined at module level with exactly five parameters';

async function rejected(source, pattern) {
  const a = await worker.validate(source);
  const what = `VALIDATE ${JSON.stringify(source.slice(0, 120))}`;
  assert.equal(a.type, 'error', `${what}: accepted`);
  assert.equal(a.kind, 'exception', `${what}: ${W.describe(a)}`);
  W.assertMessage(a);
  assert.match(a.message, pattern, `${what}: ${W.describe(a)}`);
  return a;
}

// A VALIDATE's RESULT describes the runtime, for the result document (DESIGN §7).
function assertRuntime(a) {
  const rt = JSON.parse(a.result.toString('utf8'));
  assert.deepEqual(Object.keys(rt), ['libraries', 'python']);
  assert.match(rt.python, /^3\.11\.\d+$/);
  assert.deepEqual(rt.libraries, ['json', 'math', 'fractions', 'itertools', 'functools',
    'collections', 'statistics', 'heapq', 'bisect', 'operator']);
}

test('VALIDATE accepts every positive method, answering the runtime', async () => {
  for (const m of METHODS) {
    const a = await worker.validate(fs.readFileSync(path.join(DIR, m)));
    assert.equal(a.type, 'result', `${m}: ${W.describe(a)}`);
    assertRuntime(a);
  }
  const a = await worker.validate('def count(proposals, ballots, participants, '
    + 'proposer_franchise, voter_franchise):\n    return b""\n');
  assert.equal(a.type, 'result', W.describe(a));
  assertRuntime(a);
});

test('VALIDATE rejects import statements, with the line', async () => {
  await rejected('import os\n\ndef count(a, b, c, d, e):\n    return b""\n',
    /^import statements are not allowed \(line 1\)$/);
  await rejected('def count(a, b, c, d, e):\n    return b""\n\n\ndef f():\n    from x import y\n    return y\n',
    /^import statements are not allowed \(line 6\)$/);
  await rejected('def count(a, b, c, d, e):\n    if False:\n        import json as j\n    return b""\n',
    /import statements are not allowed \(line 3\)/);
});

test('VALIDATE rejects a count that is not five plain parameters at module level', async () => {
  const bad = {
    'four parameters': 'def count(a, b, c, d):\n    return b""\n',
    'six parameters': 'def count(a, b, c, d, e, f):\n    return b""\n',
    '*args': 'def count(*args):\n    return b""\n',
    'five plus *args': 'def count(a, b, c, d, e, *rest):\n    return b""\n',
    '**kwargs': 'def count(a, b, c, d, e, **kw):\n    return b""\n',
    'keyword-only': 'def count(a, b, c, d, *, e):\n    return b""\n',
    'async def': 'async def count(a, b, c, d, e):\n    return b""\n',
    'no count': 'def counter(a, b, c, d, e):\n    return b""\n',
    'count in a class': 'class C:\n    def count(a, b, c, d, e):\n        return b""\n',
    'count nested': 'def outer():\n    def count(a, b, c, d, e):\n        return b""\n',
    'count as a lambda': 'count = lambda a, b, c, d, e: b""\n',
    'empty source': '',
  };
  for (const [name, src] of Object.entries(bad)) {
    const a = await worker.validate(src);
    assert.equal(a.type, 'error', `${name}: accepted`);
    assert.equal(a.kind, 'exception', `${name}: ${W.describe(a)}`);
    assert.equal(a.message, FIVE, `${name}: ${W.describe(a)}`);
  }
});

// SPEC: "SyntaxError ... (line N)". CPython's own text is "... (<filename>, line N)".
test('VALIDATE rejects a syntax error with its line number', async () => {
  const cases = [
    ['x = 1\n\ndef count(a, b, c, d, e)\n    return b""\n', 3],
    ['def count(a, b, c, d, e):\n    return b""\n\n\n\n)\n', 6],
    ['def count(a, b, c, d, e):\n    return b""\nx = (1 +\n', 3],
    ['x = "abc\n', 1],
  ];
  for (const [src, line] of cases) {
    await rejected(src, new RegExp(`^SyntaxError: .*line ${line}\\)$`));
  }
  await rejected('def count(a, b, c, d, e):\n  return b""\n    x = 1\n',
    /^(SyntaxError|IndentationError): .*line 3\)$/);
});

// Errors the parser lets through and the compiler catches: VALIDATE must compile, not
// only parse, or it would accept methods that can never run.
test('VALIDATE rejects compile-time errors with their line number', async () => {
  const ok = 'def count(a, b, c, d, e):\n    return b"ok"\n';
  const cases = [
    [`${ok}break\n`, 3, /'break' outside loop/],
    [`${ok}\nreturn 1\n`, 4, /'return' outside function/],
    [`${ok}def g():\n    nonlocal q\n`, 4, /nonlocal/],
    ['def count(a, a, c, d, e):\n    return b""\n', 1, /duplicate argument/],
  ];
  for (const [src, line, what] of cases) {
    const a = await rejected(src, new RegExp(`^SyntaxError: .*line ${line}\\)$`));
    assert.match(a.message, what);
  }
});
