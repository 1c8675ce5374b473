'use strict';
// `count-worker --once` reads the published inputs straight from the JSON text
// (count-worker/published.c) and the child builds each input object once, sharing equal
// payloads and pseudonyms and giving the request frame back as it reads it
// (count-worker/pyrt.c). What a method sees must not change: each case's inputs go through
// --once, through a served COUNT job, and through plain Python (reference.py run by
// Debian's /usr/bin/python3), with a method that returns the repr of every input set in
// iteration order; the three must give the same bytes. Inputs that are not an inputs
// object must fail with exit 2 and the message they always had.
//
// Run: FREECOOP_WORKER_BIN=/path/to/count-worker node --test once_inputs.test.js

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const W = require('./lib/worker.js');

const REFERENCE = path.join(__dirname, 'reference.py');
const PYTHON = '/usr/bin/python3'; // Debian's 3.11 — not the pyenv python3 on PATH
const LIMITS = { cpu_ms: 20000, wall_ms: 40000, memory_mb: 1024, result_max: 64 << 20 };
const NOT_INPUTS = 'count-worker: the inputs are not an inputs object of a result document '
  + '(proposals, ballots with base64 payloads; participants, proposer_franchise, '
  + 'voter_franchise)\n';

// Every input, in iteration order, with its type (repr shows str against bytes).
const SHOW = 'def count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n'
  + '    sets = (proposals, ballots, participants, proposer_franchise, voter_franchise)\n'
  + '    return repr([list(s) for s in sets]).encode("utf-8")\n';

let dir;
let worker;

before(async () => {
  assert.ok(fs.existsSync(PYTHON), `${PYTHON} is required (Debian python3.11)`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-once-inputs-'));
  fs.writeFileSync(path.join(dir, 'show.py'), SHOW);
  worker = await W.startWorker();
});

after(async () => {
  if (worker) await worker.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function write(name, text) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function once(file) {
  return spawnSync(W.workerBin(), ['--once', '--method', path.join(dir, 'show.py'),
    '--inputs', file, '--cpu-ms', String(LIMITS.cpu_ms), '--wall-ms', String(LIMITS.wall_ms),
    '--result-max', String(LIMITS.result_max)],
  { encoding: 'utf8', timeout: 120000, maxBuffer: 256 << 20 });
}

function reference(file) {
  const r = spawnSync(PYTHON, [REFERENCE, path.join(dir, 'show.py'), file],
    { env: { ...process.env, PYTHONHASHSEED: '0' }, encoding: 'utf8', timeout: 120000,
      maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, `reference.py: ${r.stderr}`);
  return Buffer.from(r.stdout.trim(), 'base64');
}

function firstDifference(got, want) {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i += 1;
  return `differs at byte ${i} of ${got.length}/${want.length}: got `
    + `${JSON.stringify(got.subarray(i, i + 80).toString())}, want `
    + `${JSON.stringify(want.subarray(i, i + 80).toString())}`;
}

// The text through --once, a served COUNT and reference.py: the same bytes.
async function sameEverywhere(name, text) {
  const file = write(name, text);
  const want = reference(file);
  const r = once(file);
  assert.equal(r.status, 0, `${name}: --once exit ${r.status} ${r.signal}: ${r.stderr}`);
  const got = Buffer.from(r.stdout.trim(), 'base64');
  assert.ok(got.equals(want), `${name} --once: ${firstDifference(got, want)}`);
  const doc = JSON.parse(text);
  const a = await worker.count({ ...W.jobFromInputs(doc), method: SHOW, limits: LIMITS }, 120000);
  assert.equal(a.type, 'result', `${name} served: ${W.describe(a)}`);
  assert.ok(a.result.equals(want), `${name} served: ${firstDifference(a.result, want)}`);
  return want;
}

const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');
const hex64 = (n) => n.toString(16).padStart(64, '0');

test('escapes in ids, keys, pseudonyms and payloads are read as JSON means them', async () => {
  // \u0069d is "id", \/ a slash (also inside base64), a surrogate pair one code point
  const text = '{\n\t"proposals" : [ {"payload":"\\/w==","proposer":"","\\u0069d":"p\\u00e9\\ud83d\\ude00"},\n'
    + '  {"id":"p\\"q\\\\r\\/s\\b\\f\\n\\r\\t","proposer":"\\u00e9t\\u00e9","payload":"YQ=="} ],\n'
    + ' "ballots":[{"id":"b\\u20ac1","payload":"eyJhIjoxfQ=="},{"p\\u0061yload":"","id":"b2"}],\r\n'
    + ' "participants":["\\u00e9t\\u00e9","x"], "proposer_franchise":["\\u00e9t\\u00e9"],'
    + ' "voter_franchise":["\\u00e9t\\u00e9","x","\\u00ff"]}';
  const got = (await sameEverywhere('escapes.json', text)).toString('utf8');
  assert.match(got, /Proposal\(id='pé😀', proposer='', payload=b'\\xff'\)/);
  assert.match(got, /Ballot\(id='b2', payload=b''\)/);
});

test('empty arrays, and a whole document whose other members are skipped', async () => {
  await sameEverywhere('empty.json', JSON.stringify({ proposals: [], ballots: [],
    participants: [], proposer_franchise: [], voter_franchise: [] }));
  const doc = `{"version":1,"decision":{"id":"d","title":"a \\"[{\\" title ]}","n":[1,-2.5e3,true,false,null,{"x":[[]]}]},
    "outcome":{"status":"ok","result":"e30="},"inputs":{"extra":{"ballots":7},"proposals":[{"id":"p","proposer":"","payload":"","x":[1,{"y":"}"}]}],
    "ballots":[{"n":0.5,"id":"b","payload":"AA==","z":null}],"participants":[],"proposer_franchise":[],"voter_franchise":["v"]},
    "counted_at":"2026-01-01T00:00:00Z","runtime":{"python":"3.11.2","hash_seed":0,"libraries":[]}}`;
  const got = (await sameEverywhere('document.json', doc)).toString('utf8');
  assert.match(got, /Ballot\(id='b', payload=b'\\x00'\)/);
});

test('many ballots, shared payloads and pseudonyms, sorted and not: the same objects', async () => {
  // More distinct payloads than the worker shares (65536), many repeated ones, pseudonyms
  // in several sets (one not ASCII), a duplicate, and a frame of several MiB so that it is
  // given back while it is read.
  const n = 140000;
  const voters = Array.from({ length: n }, (_, i) => hex64(i * 7919));
  voters.push('\u00e9lecteur');
  const ballots = [];
  for (let i = 0; i < n; i++) {
    const payload = i % 4 === 0 ? `{"ranking":[["p${i % 13}"]]}` : `{"nonce":${i}}`;
    ballots.push({ id: `b${String(i).padStart(7, '0')}`, payload: b64(payload) });
  }
  const inputs = {
    proposals: [{ id: 'p1', proposer: voters[3], payload: '' }],
    ballots,
    participants: voters.filter((_, i) => i % 3 !== 0).sort(),
    proposer_franchise: [voters[3], '\u00e9lecteur'].sort(),
    voter_franchise: voters.concat([voters[5]]).sort(),
  };
  await sameEverywhere('many-sorted.json', JSON.stringify(inputs));
  for (const k of ['ballots', 'participants', 'voter_franchise']) inputs[k].reverse();
  await sameEverywhere('many-reversed.json', JSON.stringify({ inputs }));
});

test('what is not an inputs object fails with exit 2 and the same message', () => {
  const good = { proposals: [{ id: 'p', proposer: '', payload: '' }],
    ballots: [{ id: 'b', payload: 'YQ==' }], participants: ['a'], proposer_franchise: [],
    voter_franchise: ['a'] };
  const variants = {
    'no voter_franchise': (g) => { delete g.voter_franchise; },
    'no ballots': (g) => { delete g.ballots; },
    'ballots an object': (g) => { g.ballots = { id: 'b', payload: 'YQ==' }; },
    'a ballot a string': (g) => { g.ballots = ['b']; },
    'a ballot without payload': (g) => { delete g.ballots[0].payload; },
    'a proposal without proposer': (g) => { delete g.proposals[0].proposer; },
    'an id a number': (g) => { g.ballots[0].id = 7; },
    'a proposer null': (g) => { g.proposals[0].proposer = null; },
    'a payload not base64': (g) => { g.ballots[0].payload = 'YQ='; },
    'a payload base64url': (g) => { g.ballots[0].payload = '-_8='; },
    'a payload with stray bits': (g) => { g.ballots[0].payload = 'YR=='; },
    'a pseudonym null': (g) => { g.participants = [null]; },
    'a pseudonym an array': (g) => { g.voter_franchise = [['a']]; },
    'inputs a list': (g) => ({ inputs: [g] }),
    'inputs a string': () => ({ inputs: 'x' }),
    'a top-level array': (g) => [g],
    'a top-level string': () => 'inputs',
  };
  for (const [what, change] of Object.entries(variants)) {
    const g = structuredClone(good);
    const doc = change(g) ?? g;
    const r = once(write('bad.json', JSON.stringify(doc)));
    assert.equal(r.status, 2, `${what}: exit ${r.status}: ${r.stderr}`);
    assert.equal(r.stderr, NOT_INPUTS, what);
    assert.equal(r.stdout, '', what);
  }
  for (const text of ['', '{"proposals":[}', '{"a":1,"a":2}', '{"x":"\\ud800"}', '[1,]']) {
    const r = once(write('bad.json', text));
    assert.equal(r.status, 2, `${JSON.stringify(text)}: exit ${r.status}`);
    assert.match(r.stderr, /^count-worker: the inputs are not valid JSON: /, JSON.stringify(text));
  }
  const r = once(path.join(dir, 'no-such-file.json'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^count-worker: could not open /);
});
