'use strict';
// A published result verifies with third-party tools (DESIGN §7): real decisions run to
// conclusion on the real server, and their compact JWS is checked with software that
// shares no code with the project — npm jose, Debian's python3-cryptography, the openssl
// command line — and their inputs re-counted under plain CPython with hash seed 0,
// byte for byte. One method prints the iteration order of its five frozensets, so the
// rule that a verifier builds each frozenset by inserting its elements in sorted order
// is what makes that re-count agree.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness');
const D = require('./lib/decisions');

// Debian's interpreter (with python3-cryptography), not whatever python3 is on PATH.
const PYTHON = '/usr/bin/python3';
const VERIFY_JWS = path.join(__dirname, 'lib', 'verify_jws.py');
const REFERENCE = path.resolve(__dirname, '..', 'sandbox', 'reference.py');
const RUN = crypto.randomBytes(3).toString('hex');
// scripts/test sets FREECOOP_TEST_NO_NPM when it could not install node_modules.
const NO_NPM = process.env.FREECOOP_TEST_NO_NPM
  ? 'npm tools unavailable (FREECOOP_TEST_NO_NPM): jose is not installed' : false;

// Returns, without sorting anything, the iteration order of each input frozenset and of a
// set it builds from the ballots: its result depends on how the frozensets were built.
const ORDER_METHOD = `# thirdparty test ${RUN}: the iteration order of the inputs, nothing sorted.
def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    tags = set()
    for b in ballots:
        try:
            doc = json.loads(b.payload.decode("utf-8"))
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("tags"), list):
            tags.update(t for t in doc["tags"] if isinstance(t, str))
    order = {
        "proposals": [[p.id, p.proposer] for p in proposals],
        "ballots": [b.id for b in ballots],
        "participants": list(participants),
        "proposer_franchise": list(proposer_franchise),
        "voter_franchise": list(voter_franchise),
        "tags": list(tags),
    }
    return json.dumps({"adopted": [], "order": order}, separators=(",", ":")).encode("utf-8")
`;

// A re-counter of our own, independent of tests/sandbox/reference.py: builds the five
// frozensets of DESIGN §4 from a result document's inputs, inserting the elements in
// sorted order (argv[3] "reversed": in reverse order, to show what that rule decides),
// runs count() with the worker's restricted builtins and the document's libraries, and
// prints the result as base64. The hash seed comes from PYTHONHASHSEED.
const RECOUNT_PY = `
import base64, builtins, json, sys
from collections import namedtuple
method_file, payload_file, order = sys.argv[1], sys.argv[2], sys.argv[3]
Proposal = namedtuple("Proposal", "id proposer payload")
Ballot = namedtuple("Ballot", "id payload")
with open(payload_file, "rb") as f:
    doc = json.loads(f.read().decode("utf-8"))
i = doc["inputs"]
def frozen(elements, key=None):
    return frozenset(sorted(elements, key=key, reverse=(order == "reversed")))
args = (
    frozen([Proposal(p["id"], p["proposer"], base64.b64decode(p["payload"], validate=True))
            for p in i["proposals"]], key=lambda p: p.id),
    frozen([Ballot(b["id"], base64.b64decode(b["payload"], validate=True))
            for b in i["ballots"]], key=lambda b: b.id),
    frozen(i["participants"]), frozen(i["proposer_franchise"]), frozen(i["voter_franchise"]))
forbidden = set("open print input __import__ exec eval compile breakpoint help exit quit "
                "copyright credits license __loader__ __spec__".split())
g = {"__builtins__": {k: v for k, v in vars(builtins).items() if k not in forbidden},
     "__name__": "__method__", "Proposal": Proposal, "Ballot": Ballot}
for name in doc["runtime"]["libraries"]:
    g[name] = __import__(name)
if "random" in sys.modules:
    sys.modules["random"].seed(0)
with open(method_file, "rb") as f:
    source = f.read().decode("utf-8")
exec(compile(source, "method.py", "exec"), g)
out = g["count"](*args)
if type(out) is not bytes:
    sys.exit("count returned %s, not bytes" % type(out).__name__)
sys.stdout.write(base64.b64encode(out).decode("ascii"))
`;

let server;
let tmp;
let jwks;          // the JWKS object (GET /v1/authorities)
let jwksFile;
let auditor;
const results = []; // {name, id, jws, h64, p64, s64, header, doc, payloadBytes, jwk, method, expected}

const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');
const sha256hex = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

function file(name, content) {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

// The string with its character at index `at` replaced by another base64url character.
function flip(s, at) {
  return s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
}

// One character in the middle of the payload part changed.
const tamperPayload = (r) => flip(r.jws, r.h64.length + 1 + Math.floor(r.p64.length / 2));
// One character in the middle of the signature part changed.
const tamperSignature = (r) => flip(r.jws, r.h64.length + r.p64.length + 2 + 40);
// A well-formed payload saying something else (outcome.result replaced), same signature.
function forgedJws(r) {
  const doc = JSON.parse(r.payloadBytes.toString('utf8'));
  doc.outcome.result = b64('{"adopted":["forged"]}');
  return `${r.h64}.${Buffer.from(JSON.stringify(doc), 'utf8').toString('base64url')}.${r.s64}`;
}

// PEM SubjectPublicKeyInfo of a raw Ed25519 key: the fixed 12-byte DER prefix
// (MCowBQYDK2VwAyEA in base64) followed by the 32 key bytes, as in the README's steps.
function pemOfX(x) {
  const raw = Buffer.from(x, 'base64url');
  assert.equal(raw.length, 32, 'an Ed25519 key has 32 bytes');
  return `-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA${raw.toString('base64')}\n-----END PUBLIC KEY-----\n`;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000, ...opts });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return r;
}

const pyEnv = (seed) => ({ PATH: '/usr/bin:/bin', LC_ALL: 'C.UTF-8', PYTHONHASHSEED: seed });

// Runs the three decisions to conclusion and collects what a verifier would download:
// the result JWS, the JWKS and the method (code and signatures).
test.before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-thirdparty-'));
  server = await h.startServer({ FREECOOP_CONCLUDE_POLL_MS: '100' });
  const svc = h.createService(h.randomName('thirdparty'));
  auditor = D.newAuditor('thirdparty');
  const methods = {
    plurality: await D.libraryMethod(server, auditor, 'plurality.py'),
    approval: await D.libraryMethod(server, auditor, 'approval.py'),
    order: await D.register(server, auditor, `order-${RUN}`, ORDER_METHOD),
  };
  const people = await Promise.all(Array.from({ length: 8 }, () => D.person(server, svc)));
  const [p1, p2, ...voters] = people; // six voters; the last one does not vote

  const decisions = Object.fromEntries(Object.keys(methods).map((n) => [n, null])); // in this order
  await Promise.all(Object.entries(methods).map(async ([name, m]) => {
    const r = await D.createDecision(server, svc, m, [0, 1500, 1500, 4500], {
      proposer_franchise: [p1.id, p2.id],
      voter_franchise: voters.map((v) => v.id),
      proposals: [{ payload: b64('{"text":"status quo"}') }],
    });
    assert.equal(r.status, 201, r.text);
    decisions[name] = { d: r.json, method: m };
  }));
  // Two more proposals in each, by the proposers.
  await Promise.all(Object.values(decisions).map(async (x) => {
    const ids = {};
    for (const [who, p] of [['B', p1], ['C', p2]]) {
      const r = await h.api(server, 'POST', `/v1/decisions/${x.d.id}/proposals`,
        { token: p.token, body: { payload: b64(`{"text":"proposal ${who}"}`) } });
      assert.equal(r.status, 201, r.text);
      ids[who] = r.json.id;
    }
    x.ids = ids;
  }));

  await D.sleepUntil(decisions.plurality.d.voting_phase.opens_at);
  const choose = (id) => JSON.stringify({ choice: id });
  const approve = (...ids) => JSON.stringify({ approve: ids });
  await Promise.all(Object.entries(decisions).map(async ([name, x]) => {
    const list = await h.api(server, 'GET', `/v1/decisions/${x.d.id}/proposals`, { token: voters[0].token });
    assert.equal(list.status, 200, list.text);
    x.ids.A = list.json.proposals.find((p) => p.proposer === '').id;
    const { A, B, C } = x.ids;
    const ballots = {
      // v0 first chooses A, then recasts for B; v4's ballot is invalid; v5 stays away.
      plurality: [choose(A), choose(B), choose(B), choose(C), 'not json', choose(B)],
      approval: [approve(A), approve(B, C), approve(B), approve(), approve(C, C), approve(A, B)],
      order: ['{"tags":["oak","ash"]}', '{"tags":["elm","birch","yew"]}', '{"tags":["fir"]}',
        '{"tags":["pine","oak","larch","beech"]}', 'not json', '{"tags":["hazel","willow"]}'],
    }[name];
    for (let i = 0; i < ballots.length; i++) {
      const voter = voters[i === 5 ? 0 : i];
      const c = await D.cast(server, voter, x.d.id, ballots[i]);
      assert.equal(c.status, 201, c.text);
    }
    // The exact bytes the library methods must return (json.dumps with sorted keys and
    // compact separators): counted by hand.
    const sorted = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
    x.expected = {
      plurality: JSON.stringify({ adopted: [B], ballots: 5, counts: sorted({ [A]: 0, [B]: 3, [C]: 1 }), invalid: 1 }),
      approval: JSON.stringify({ adopted: [B], approvals: sorted({ [A]: 1, [B]: 3, [C]: 1 }),
        ballots: 5, invalid: 1, seats: 1 }),
      order: null,
    }[name];
  }));

  for (const x of Object.values(decisions)) {
    const s = await D.waitState(server, svc, x.d.id, ['concluded', 'failed'], 20000);
    assert.equal(s.state, 'concluded', `decision ${x.d.id}`);
  }

  const j = await h.api(server, 'GET', '/v1/authorities');
  assert.equal(j.status, 200, j.text);
  jwks = JSON.parse(j.text);
  jwksFile = file('jwks.json', j.text);
  for (const [name, x] of Object.entries(decisions)) {
    const r = await D.verifiedResult(server, x.d.id); // the project's own check, first
    const [h64, p64, s64] = r.text.split('.');
    const payloadBytes = Buffer.from(p64, 'base64url');
    const m = await h.api(server, 'GET', `/v1/voting-methods/${r.payload.method.id}`);
    assert.equal(m.status, 200, m.text);
    const jwk = jwks.keys.find((k) => k.kid === r.header.kid);
    assert.ok(jwk, `the result's kid ${r.header.kid} is in the JWKS`);
    results.push({ name, id: x.d.id, methodId: x.method, jws: r.text, h64, p64, s64, header: r.header,
      doc: r.payload, payloadBytes, jwk, method: m.json, methodText: m.text, expected: x.expected });
  }
});

test.after(async () => {
  if (server) await server.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the published documents are what was decided', () => {
  assert.deepEqual(results.map((r) => r.name), ['plurality', 'approval', 'order']);
  for (const r of results) {
    assert.equal(r.doc.decision.id, r.id);
    assert.equal(r.doc.method.id, r.methodId);
    assert.equal(r.doc.outcome.status, 'ok', `${r.name}: ${JSON.stringify(r.doc.outcome)}`);
    assert.equal(r.doc.inputs.proposals.length, 3);
    assert.equal(r.doc.inputs.ballots.length, 5, `${r.name}: one ballot per voter who voted`);
    assert.equal(r.doc.inputs.participants.length, 5);
    assert.equal(r.doc.inputs.voter_franchise.length, 6);
    assert.equal(r.doc.inputs.proposer_franchise.length, 2);
    if (r.expected !== null) {
      assert.equal(Buffer.from(r.doc.outcome.result, 'base64').toString('utf8'), r.expected,
        `${r.name}: the result bytes counted by hand`);
    }
  }
});

test('npm jose verifies each result against the JWK of the JWKS', { skip: NO_NPM }, async () => {
  // Loaded here only: without node_modules this test is skipped, the others still run.
  const jose = require('jose');
  const keySet = jose.createLocalJWKSet(jwks);
  const auditorJwk = jwks.keys.find((k) => k.kid === auditor.id);
  assert.ok(auditorJwk && auditorJwk.code_auditor, 'the test auditor is in the JWKS');
  const auditorKey = await jose.importJWK(auditorJwk, 'EdDSA');
  const sigFailed = (e) => e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
  for (const r of results) {
    const key = await jose.importJWK(r.jwk, 'EdDSA');
    const { payload, protectedHeader } = await jose.compactVerify(r.jws, key, { algorithms: ['EdDSA'] });
    assert.deepEqual(protectedHeader,
      { alg: 'EdDSA', kid: r.jwk.kid, typ: 'JOSE', cty: 'decision-result+json' });
    assert.deepEqual(Object.keys(protectedHeader), ['alg', 'kid', 'typ', 'cty'], 'the header member order');
    assert.ok(Buffer.from(payload).equals(r.payloadBytes), 'jose returns the payload bytes');
    assert.deepEqual(JSON.parse(Buffer.from(payload).toString('utf8')), r.doc);

    // The way a JOSE client would do it: the whole key set, selected by kid and alg.
    const viaSet = await jose.compactVerify(r.jws, keySet, { algorithms: ['EdDSA'] });
    assert.equal(viaSet.protectedHeader.kid, r.jwk.kid);

    await assert.rejects(jose.compactVerify(tamperPayload(r), key), sigFailed,
      `${r.name}: one payload character changed`);
    await assert.rejects(jose.compactVerify(tamperSignature(r), key), sigFailed,
      `${r.name}: one signature character changed`);
    await assert.rejects(jose.compactVerify(forgedJws(r), key), sigFailed,
      `${r.name}: another outcome under the same signature`);
    await assert.rejects(jose.compactVerify(forgedJws(r), keySet), sigFailed);
    await assert.rejects(jose.compactVerify(r.jws, auditorKey), sigFailed,
      `${r.name}: another authority's key`);
    await assert.rejects(jose.compactVerify(r.jws, key, { algorithms: ['ES256'] }),
      (e) => e.code === 'ERR_JOSE_ALG_NOT_ALLOWED');
  }
});

test('python3-cryptography (Debian /usr/bin/python3) verifies each result; tampering fails', () => {
  const v = run(PYTHON, ['-I', '-c', 'import sys, cryptography; print(sys.executable, cryptography.__version__)']);
  assert.equal(v.status, 0, `${PYTHON} with python3-cryptography: ${v.stderr}`);
  // --x=VALUE, not --x VALUE: a base64url key may start with '-', which argparse would
  // take for an option.
  const verify = (jws, ...key) => run(PYTHON, ['-I', VERIFY_JWS, file('check.jws', jws), key.join('=')],
    { env: pyEnv('0') });
  const auditorX = jwks.keys.find((k) => k.kid === auditor.id).x;
  for (const r of results) {
    for (const key of [['--jwks', jwksFile], ['--x', r.jwk.x]]) {
      const ok = verify(r.jws, ...key);
      assert.equal(ok.status, 0, `${r.name} ${key[0]}: ${ok.stdout}${ok.stderr}`);
      assert.equal(ok.stdout, `valid: kid ${r.jwk.kid}\n`);
      // The file as downloaded (with a trailing newline added by a careless copy) too.
      assert.equal(verify(`${r.jws}\n`, ...key).status, 0);
    }
    const bad = [
      ['one payload character changed', tamperPayload(r), ['--jwks', jwksFile], /the signature does not verify/],
      ['one signature character changed', tamperSignature(r), ['--x', r.jwk.x], /the signature does not verify/],
      ['another outcome under the same signature', forgedJws(r), ['--jwks', jwksFile], /the signature does not verify/],
      ["another authority's key", r.jws, ['--x', auditorX], /the signature does not verify/],
      ['the signature dropped', `${r.h64}.${r.p64}`, ['--jwks', jwksFile], /three parts/],
      ['a signature of 63 bytes', `${r.h64}.${r.p64}.${r.s64.slice(0, 84)}`, ['--x', r.jwk.x], /64 bytes/],
    ];
    for (const [what, jws, key, reason] of bad) {
      const res = verify(jws, ...key);
      assert.equal(res.status, 1, `${r.name}: ${what} must fail: ${res.stdout}${res.stderr}`);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, reason, `${r.name}: ${what}`);
    }
    // A kid the JWKS does not have.
    const unknownKid = Buffer.from(JSON.stringify({ ...r.header, kid: crypto.randomUUID() })).toString('base64url');
    const res = verify(`${unknownKid}.${r.p64}.${r.s64}`, '--jwks', jwksFile);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /not in the JWKS/);
  }
});

test('the openssl command line verifies each result and the method signatures; tampering fails', () => {
  const pkeyutl = (pem, input, sig) => run('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pem,
    '-rawin', '-in', input, '-sigfile', sig]);
  for (const r of results) {
    const pemText = pemOfX(r.jwk.x);
    // The hand-made PEM is the key the JWK describes.
    const fromJwk = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: r.jwk.x }, format: 'jwk' });
    assert.equal(pemText, fromJwk.export({ type: 'spki', format: 'pem' }));
    const pem = file('authority.pem', pemText);
    const sig = file('sig.bin', Buffer.from(r.s64, 'base64url'));
    assert.equal(fs.statSync(sig).size, 64);
    const signed = file('signed.txt', `${r.h64}.${r.p64}`);
    const ok = pkeyutl(pem, signed, sig);
    assert.equal(ok.status, 0, `${r.name}: ${ok.stdout}${ok.stderr}`);
    assert.match(ok.stdout, /Signature Verified Successfully/);

    const tampered = file('tampered.txt', `${r.h64}.${flip(r.p64, Math.floor(r.p64.length / 2))}`);
    const bad = pkeyutl(pem, tampered, sig);
    assert.notEqual(bad.status, 0, `${r.name}: a changed input must fail: ${bad.stdout}`);
    assert.match(bad.stdout, /Signature Verification Failure/);
    assert.doesNotMatch(bad.stdout, /Verified Successfully/);
    const badSig = Buffer.from(r.s64, 'base64url');
    badSig[10] ^= 0x01;
    const bad2 = pkeyutl(pem, signed, file('badsig.bin', badSig));
    assert.notEqual(bad2.status, 0, `${r.name}: a changed signature bit must fail`);

    // The method: each auditor that counted signed the exact code, with a code_auditor key.
    const code = file('method.py', Buffer.from(r.method.code, 'utf8'));
    assert.ok(r.doc.method.auditors.includes(auditor.id));
    for (const kid of r.doc.method.auditors) {
      const k = jwks.keys.find((x) => x.kid === kid);
      assert.ok(k && k.code_auditor === true, `auditor ${kid} is a code auditor of the JWKS`);
      const s = r.method.signatures.find((x) => x.auditor === kid && !x.revoked);
      assert.ok(s, `auditor ${kid} has an unrevoked signature`);
      const res = pkeyutl(file('auditor.pem', pemOfX(k.x)), code,
        file('auditor.sig', Buffer.from(s.signature, 'base64')));
      assert.equal(res.status, 0, `${r.name}: auditor ${kid}: ${res.stdout}${res.stderr}`);
      assert.match(res.stdout, /Signature Verified Successfully/);
    }
  }
});

test('re-counting the inputs with plain CPython (reference.py, hash seed 0) gives outcome.result byte for byte', (t) => {
  const ver = run(PYTHON, ['-c', 'import platform; print(platform.python_version())'], { env: pyEnv('0') });
  assert.equal(ver.status, 0, ver.stderr);
  const local = ver.stdout.trim();
  for (const r of results) {
    const doc = r.doc;
    // The method, as published: its SHA-256 is the id the document names.
    assert.equal(r.method.id, doc.method.id);
    assert.equal(sha256hex(Buffer.from(r.method.code, 'utf8')), doc.method.id, `${r.name}: sha256(code)`);
    if (r.name !== 'order') {
      const lib = fs.readFileSync(path.join(D.METHODS, `${r.name}.py`), 'utf8');
      assert.equal(r.method.code, lib, `${r.name}: the library file, byte for byte`);
    } else {
      assert.equal(r.method.code, ORDER_METHOD);
    }
    assert.equal(doc.runtime.hash_seed, 0);
    const [maj, min] = doc.runtime.python.split('.');
    assert.equal(local.split('.').slice(0, 2).join('.'), `${maj}.${min}`,
      `${PYTHON} is ${local}; the count ran on ${doc.runtime.python}`);
    if (local !== doc.runtime.python) t.diagnostic(`${PYTHON} is ${local}, the worker's CPython ${doc.runtime.python}`);

    // The inputs are in the order DESIGN §7 promises.
    const inc = (v) => v.every((x, i) => i === 0 || v[i - 1] < x);
    assert.ok(inc(doc.inputs.proposals.map((p) => p.id)), `${r.name}: proposals sorted by id`);
    assert.ok(inc(doc.inputs.ballots.map((b) => b.id)), `${r.name}: ballots sorted by id`);
    for (const n of ['participants', 'proposer_franchise', 'voter_franchise']) {
      assert.ok(inc(doc.inputs[n]), `${r.name}: ${n} sorted`);
      for (const p of doc.inputs[n]) assert.match(p, /^[0-9a-f]{64}$/);
    }

    const method = file(`${r.name}.py`, Buffer.from(r.method.code, 'utf8'));
    const payload = file(`${r.name}.payload.json`, r.payloadBytes);
    const res = run(PYTHON, [REFERENCE, method, payload, '--libraries', doc.runtime.libraries.join(' ')],
      { env: pyEnv('0') });
    assert.equal(res.status, 0, `${r.name}: reference.py: ${res.stderr}`);
    assert.equal(res.stdout, `${doc.outcome.result}\n`, `${r.name}: the re-count's base64`);
    assert.ok(Buffer.from(res.stdout.trim(), 'base64').equals(Buffer.from(doc.outcome.result, 'base64')),
      `${r.name}: the re-count's bytes`);
  }
});

test('the sorted-frozenset rule: an independent re-count agrees only when it inserts in sorted order', (t) => {
  for (const r of results) {
    const method = file(`${r.name}.py`, Buffer.from(r.method.code, 'utf8'));
    const payload = file(`${r.name}.payload.json`, r.payloadBytes);
    const recount = (seed, order) => {
      const res = run(PYTHON, ['-c', RECOUNT_PY, method, payload, order], { env: pyEnv(seed) });
      assert.equal(res.status, 0, `${r.name}: re-count (seed ${seed}, ${order}): ${res.stderr}`);
      return res.stdout;
    };
    const sorted0 = recount('0', 'sorted');
    assert.equal(sorted0, r.doc.outcome.result, `${r.name}: seed 0, sorted insertion: byte for byte`);
    if (r.name !== 'order') continue;

    // The order method's result is the frozensets' iteration order: same elements as the
    // inputs, in the order CPython gives sorted insertion with hash seed 0.
    const out = JSON.parse(Buffer.from(r.doc.outcome.result, 'base64').toString('utf8'));
    const ins = r.doc.inputs;
    const same = (a, b, what) => assert.deepEqual([...a].sort(), [...b].sort(), what);
    same(out.order.proposals.map((p) => p.join(' ')), ins.proposals.map((p) => `${p.id} ${p.proposer}`), 'proposals');
    same(out.order.ballots, ins.ballots.map((b) => b.id), 'ballots');
    for (const n of ['participants', 'proposer_franchise', 'voter_franchise']) same(out.order[n], ins[n], n);
    // (v0's first ballot, with "ash", was replaced by the recast.)
    same(out.order.tags, ['elm', 'birch', 'yew', 'fir', 'pine', 'oak', 'larch', 'beech', 'hazel', 'willow'], 'tags');
    // The comparison is sensitive to iteration order: another hash seed gives other bytes.
    assert.notEqual(recount('1', 'sorted'), r.doc.outcome.result,
      'with hash seed 1 the iteration order (and so the result) differs');
    // Whether inserting in another order changes this particular input depends on hash
    // collisions among random ids: report it, without asserting.
    const reversed = recount('0', 'reversed');
    t.diagnostic(`reverse-order insertion under seed 0 ${reversed === r.doc.outcome.result
      ? 'happens to give the same bytes for these ids' : 'gives different bytes: the sorted rule decided this result'}`);
  }
});
