'use strict';
// Decisions end to end (DESIGN §4–§7): voting methods signed by auditors, decisions with
// phases of a few seconds, proposals, secret ballots, the conclusion by the real
// count-worker, and the signed result — checked against the JWKS, the inputs, and the
// secrecy rules as an operator and as the superuser would see the database.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { spawnSync } = require('node:child_process');
const h = require('./lib/harness');

const METHODS = path.resolve(__dirname, '..', '..', 'count-worker', 'methods');
const VERIFY = path.resolve(__dirname, '..', '..', 'scripts', 'verify-result');
const RUN = crypto.randomBytes(3).toString('hex');

let server;
let svc;
let otherSvc;
let auditor;

const D = require('./lib/decisions');

const { newAuditor, sign, b64, sleepUntil, pseudonym } = D;
const submit = (who, name, code, sig) => D.submit(server, who, name, code, sig);
const method = (file) => D.libraryMethod(server, auditor, file);
const customMethod = (name, code) => D.register(server, auditor, name, code);
const person = (key = svc) => D.person(server, key);
const createDecision = (m, phases, extra = {}, key = svc) => D.createDecision(server, key, m, phases, extra);
const waitState = (id, states, ms) => D.waitState(server, svc, id, states, ms);
const verifiedResult = (id) => D.verifiedResult(server, id);

test.before(async () => {
  // The suite's ~60 people all claim from 127.0.0.1, 44 of them at once: lift the
  // per-address limit (bursts of 50) that would hold such a crowd back.
  server = await h.startServer({ FREECOOP_CONCLUDE_POLL_MS: '100', FREECOOP_COUNT_CPU_MS: '2000',
    FREECOOP_COUNT_WALL_MS: '4000', FREECOOP_COUNT_MEMORY_MB: '256', FREECOOP_RATE_LIMIT_ADDRESS: '1000000' });
  svc = h.createService(h.randomName('dec'));
  otherSvc = h.createService(h.randomName('dec-other'));
  auditor = newAuditor('auditor');
});

test.after(async () => {
  if (server) await server.stop();
});

test('voting methods: signature, worker check, second auditor, revocation', async () => {
  const code = fs.readFileSync(path.join(METHODS, 'plurality.py'), 'utf8');
  const id = crypto.createHash('sha256').update(code, 'utf8').digest('hex');
  const first = await submit(auditor, 'plurality', code);
  assert.ok([200, 201].includes(first.status), first.text);
  assert.equal(first.json.id, id, 'the id is the SHA-256 of the code');
  assert.ok(first.json.auditors.includes(auditor.id));

  const again = await submit(auditor, 'plurality', code);
  assert.equal(again.status, 200, 'the same code and signature again changes nothing');

  const second = newAuditor('second');
  const both = await submit(second, 'plurality', code);
  assert.equal(both.status, 200);
  assert.ok(both.json.auditors.includes(second.id) && both.json.auditors.includes(auditor.id));

  const got = await h.api(server, 'GET', `/v1/voting-methods/${id}`);
  assert.equal(got.status, 200);
  assert.equal(got.json.code, code, 'the code comes back byte for byte');
  const sig = got.json.signatures.find((s) => s.auditor === second.id);
  assert.ok(crypto.verify(null, Buffer.from(code), crypto.createPublicKey(second.privateKey),
    Buffer.from(sig.signature, 'base64')), 'the published signature verifies over the code');

  h.operatorSql(`SELECT admin.revoke_authority(${h.lit(second.id)})`);
  const after = await h.api(server, 'GET', `/v1/voting-methods/${id}`);
  assert.ok(!after.json.auditors.includes(second.id), 'a revoked auditor no longer counts');
  assert.ok(after.json.signatures.find((s) => s.auditor === second.id).revoked);
  const revoked = await submit(second, 'plurality', code);
  h.assertProblem(revoked, 422, 'unknown-auditor', 'a revoked auditor cannot sign');

  const list = await h.api(server, 'GET', '/v1/voting-methods');
  assert.ok(list.json.voting_methods.some((m) => m.id === id));

  // The operator's view counts a method's code in bytes, as max_method_size does.
  const wide = `# décision à l'unanimité ${RUN} ✓\ndef count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n    return b""\n`;
  const w = await submit(auditor, 'wide', wide);
  assert.equal(w.status, 201, w.text);
  assert.equal(h.operatorSql(`SELECT code_length FROM admin.voting_methods WHERE id = '${w.json.id}'`),
    String(Buffer.byteLength(wide, 'utf8')));
  assert.notEqual(Buffer.byteLength(wide, 'utf8'), wide.length, 'the code has multi-byte characters');
});

test('voting methods: what is refused, and nothing is stored', async () => {
  const code = `# ${RUN}\ndef count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n    return b"x"\n`;
  const id = crypto.createHash('sha256').update(code).digest('hex');
  h.assertProblem(await submit(auditor, 'm', code, sign(auditor, `${code} `)), 422, 'invalid-signature',
    'a signature over other bytes');
  h.assertProblem(await submit(auditor, 'm', code, 'AAAA'), 422, 'invalid-signature', 'not 64 bytes');
  const notAuditor = { id: crypto.randomUUID(), privateKey: auditor.privateKey };
  h.assertProblem(await submit(notAuditor, 'm', code), 422, 'unknown-auditor');
  const withImport = `import os\n${code}`;
  const r = await submit(auditor, 'm', withImport);
  h.assertProblem(r, 422, 'invalid-method', 'an import');
  assert.match(r.json.detail, /import/);
  const syntax = await submit(auditor, 'm', 'def count(:\n');
  h.assertProblem(syntax, 422, 'invalid-method', 'a syntax error');
  for (const bad of [id, crypto.createHash('sha256').update(withImport).digest('hex')]) {
    h.assertProblem(await h.api(server, 'GET', `/v1/voting-methods/${bad}`), 404, 'not-found');
  }
  h.assertProblem(await h.api(server, 'GET', '/v1/voting-methods/nothex'), 400, 'invalid-id');
});

test('the whole lifecycle with plurality: proposals, ballots, recast, conclusion, signed result', async () => {
  const plurality = await method('plurality.py');
  const [p1, p2, v1, v2, v3, outsider] = await Promise.all([person(), person(), person(), person(), person(), person()]);
  const created = await createDecision(plurality, [0, 1500, 1500, 4000], {
    proposer_franchise: [p1.id, p2.id],
    voter_franchise: [v1.id, v2.id, v3.id, p1.id],
    proposals: [{ payload: b64('{"text":"status quo"}') }],
    metadata: { group: 'bakers', n: 1 },
    ballot_size: 65536, // the most a ballot may hold: max_payload_size
  });
  assert.equal(created.status, 201, created.text);
  const d = created.json;
  assert.equal(d.state, 'proposing');
  assert.deepEqual(d.metadata, { group: 'bakers', n: 1 });
  assert.deepEqual(d.counts, { proposer_franchise: 2, voter_franchise: 4, proposals: 1, voted: 0 });

  // Proposals: proposers only, during the proposal phase.
  const prop = await h.api(server, 'POST', `/v1/decisions/${d.id}/proposals`,
    { token: p1.token, body: { payload: b64('{"text":"four-day week"}') } });
  assert.equal(prop.status, 201, prop.text);
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${d.id}/proposals`,
    { token: v1.token, body: { payload: b64('x') } }), 403, 'not-enfranchised', 'a voter proposing');
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${d.id}/proposals`,
    { token: outsider.token, body: { payload: b64('x') } }), 404, 'not-found', 'an outsider proposing');
  h.assertProblem(await h.api(server, 'GET', `/v1/decisions/${d.id}`, { token: outsider.token }),
    404, 'not-found', 'an outsider reading');
  h.assertProblem(await h.api(server, 'GET', `/v1/decisions/${d.id}`, { token: otherSvc }),
    404, 'not-found', "another service's decision");
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${d.id}/ballots`,
    { token: v1.token, body: { payload: b64('{}') } }), 409, 'outside-phase', 'voting before the phase');
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${d.id}/franchise`,
    { token: svc, body: { voters: [outsider.id] } }), 409, 'outside-phase', 'franchise after opening');

  const props = await h.api(server, 'GET', `/v1/decisions/${d.id}/proposals`, { token: v2.token });
  assert.equal(props.status, 200);
  assert.equal(props.json.proposals.length, 2);
  const mine = props.json.proposals.find((p) => p.id === prop.json.id);
  assert.equal(mine.proposer, pseudonym(d.id, p1.id));
  const status = props.json.proposals.find((p) => p.proposer === '');
  const memberView = await h.api(server, 'GET', `/v1/decisions/${d.id}`, { token: v1.token });
  assert.deepEqual(memberView.json.you, { proposer: false, voter: true, voted: false });

  // Voting.
  await sleepUntil(d.voting_phase.opens_at);
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${d.id}/proposals`,
    { token: p2.token, body: { payload: b64('late') } }), 409, 'outside-phase', 'proposing after the phase');
  const choose = (p) => ({ payload: b64(JSON.stringify({ choice: p })) });
  const c1 = await h.api(server, 'POST', `/v1/decisions/${d.id}/ballots`, { token: v1.token, body: choose(status.id) });
  assert.equal(c1.status, 201, c1.text);
  assert.equal(c1.json.replaced, false);
  const c2 = await h.api(server, 'POST', `/v1/decisions/${d.id}/ballots`, { token: v2.token, body: choose(prop.json.id) });
  const atMax = await h.api(server, 'POST', `/v1/decisions/${d.id}/ballots`,
    { token: v3.token, body: { payload: Buffer.alloc(65536, 0x20).toString('base64') } });
  assert.equal(atMax.status, 201, 'a payload of exactly ballot_size = max_payload_size bytes is accepted');
  const c3 = await h.api(server, 'POST', `/v1/decisions/${d.id}/ballots`, { token: v3.token, body: choose(prop.json.id) });
  // v1 changes their mind: the recast replaces the first ballot.
  const c1b = await h.api(server, 'POST', `/v1/decisions/${d.id}/ballots`, { token: v1.token, body: choose(prop.json.id) });
  assert.equal(c1b.json.replaced, true);
  assert.notEqual(c1b.json.ballot_id, c1.json.ballot_id);
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${d.id}/ballots`,
    { token: p2.token, body: choose(status.id) }), 403, 'not-enfranchised', 'a proposer voting');
  // Refused payloads change nothing, and the server stays up.
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${d.id}/ballots`,
    { token: v2.token, body: { payload: Buffer.alloc(65537).toString('base64') } }), 413, 'payload-too-large');
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${d.id}/ballots`,
    { token: v2.token, body: { payload: 'not base64!' } }), 422, 'invalid-request');
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${crypto.randomUUID()}/ballots`,
    { token: v2.token, body: choose(status.id) }), 404, 'not-found', 'an unknown decision');
  const have = await h.api(server, 'GET', `/v1/decisions/${d.id}/ballot`, { token: v1.token });
  assert.deepEqual(have.json, { voter: true, voted: true, ballot_id: c1b.json.ballot_id });
  const notYet = await h.api(server, 'GET', `/v1/decisions/${d.id}/ballot`, { token: p1.token });
  assert.deepEqual(notYet.json, { voter: true, voted: false, ballot_id: null });
  h.assertProblem(await h.api(server, 'GET', `/v1/decisions/${d.id}/result`), 409, 'not-concluded');
  const early = spawnSync(VERIFY, [d.id, '--server', server.url], { encoding: 'utf8' });
  assert.equal(early.status, 2, 'verify-result before the end: cannot fetch');
  assert.match(early.stderr, /HTTP 409 the decision has not concluded yet/);
  const unknown = spawnSync(VERIFY, [crypto.randomUUID(), '--server', server.url], { encoding: 'utf8' });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /HTTP 404 no such decision/);

  // Secrecy at rest: what a superuser finds in the ballots table is ciphertext.
  const sealed = h.superSql(`SELECT string_agg(encode(sealed, 'hex'), '') FROM decision.ballots WHERE decision_id = '${d.id}'`);
  for (const secret of [c1b.json.ballot_id, prop.json.id, v1.id]) {
    assert.ok(!sealed.includes(Buffer.from(secret).toString('hex')), 'no ballot id, choice or voter in the clear');
  }
  const cols = h.superSql("SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_schema = 'decision' AND table_name = 'ballots'");
  assert.equal(cols, 'decision_id,sealed,slot', 'a ballot row holds nothing that names its voter or time');

  // Close and conclude.
  await sleepUntil(d.voting_phase.closes_at);
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${d.id}/ballots`,
    { token: v2.token, body: choose(status.id) }), 409, 'outside-phase', 'recasting after close');
  const closedAt = Date.now();
  const done = await waitState(d.id, ['concluded', 'failed']);
  assert.equal(done.state, 'concluded');
  assert.ok(Date.now() - closedAt < 3000, `concluded ${Date.now() - closedAt} ms after closing`);
  assert.equal(done.result, `/v1/decisions/${d.id}/result`);

  const res = await verifiedResult(d.id);
  const doc = res.payload;
  assert.equal(doc.version, 1);
  assert.equal(doc.decision.id, d.id);
  assert.equal(doc.method.id, plurality);
  assert.ok(doc.method.auditors.includes(auditor.id));
  assert.deepEqual(doc.inputs.ballots.map((b) => b.id).sort(),
    [c1b.json.ballot_id, c2.json.ballot_id, c3.json.ballot_id].sort(), 'every receipt, and only the last ballot of v1');
  assert.deepEqual(doc.inputs.ballots.map((b) => b.id), doc.inputs.ballots.map((b) => b.id).slice().sort());
  assert.deepEqual(doc.inputs.participants, [v1.id, v2.id, v3.id].map((a) => pseudonym(d.id, a)).sort());
  assert.deepEqual(doc.inputs.voter_franchise, [v1.id, v2.id, v3.id, p1.id].map((a) => pseudonym(d.id, a)).sort());
  assert.equal(doc.outcome.status, 'ok');
  const result = JSON.parse(Buffer.from(doc.outcome.result, 'base64').toString('utf8'));
  assert.deepEqual(result.adopted, [prop.json.id]);
  assert.equal(result.counts[prop.json.id], 3);
  assert.equal(doc.runtime.hash_seed, 0);
  assert.match(doc.runtime.python, /^3\.11\./);
  const json = Buffer.from(res.text.split('.')[1], 'base64url').toString('utf8');
  for (const a of [p1, p2, v1, v2, v3]) assert.ok(!json.includes(a.id), 'no raw account id in the published document');

  // scripts/verify-result, as anyone would run it: from the server, then from files; a
  // changed byte anywhere in the JWS fails it.
  const ok = spawnSync(VERIFY, [d.id, '--server', server.url], { encoding: 'utf8' });
  assert.equal(ok.status, 0, `verify-result: ${ok.stdout}${ok.stderr}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-verify-'));
  const file = (name, text) => { fs.writeFileSync(path.join(dir, name), text); return path.join(dir, name); };
  const jwks = file('jwks.json', (await h.api(server, 'GET', '/v1/authorities')).text);
  const meth = file('method.json', (await h.api(server, 'GET', `/v1/voting-methods/${plurality}`)).text);
  const parts = res.text.split('.');
  for (const [what, at] of [['header', 5], ['payload', parts[0].length + 40],
    ['payload', parts[0].length + parts[1].length - 3], ['signature', res.text.length - 10]]) {
    const t = Buffer.from(res.text, 'ascii');
    t[at] = t[at] === 0x41 ? 0x42 : 0x41;
    const r = spawnSync(VERIFY, ['--jws', file('flipped.jws', t), '--jwks', jwks, '--method', meth],
      { encoding: 'utf8' });
    assert.equal(r.status, 1, `a changed ${what} byte must fail verification: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /FAILED/);
  }
  const same = spawnSync(VERIFY, ['--jws', file('same.jws', res.text), '--jwks', jwks, '--method', meth],
    { encoding: 'utf8' });
  assert.equal(same.status, 0, `the unchanged file verifies: ${same.stdout}${same.stderr}`);
  fs.rmSync(dir, { recursive: true, force: true });

  // Flipping any byte of the JWS breaks the signature.
  const { key } = res;
  const bytes = Buffer.from(res.text, 'ascii');
  for (let i = 0; i < bytes.length; i += Math.max(1, Math.floor(bytes.length / 200))) {
    const t = Buffer.from(bytes);
    t[i] = t[i] === 0x41 ? 0x42 : 0x41;
    const parts = t.toString('latin1').split('.');
    let ok = false;
    if (parts.length === 3) {
      try { ok = crypto.verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], 'base64url')); } catch { ok = false; }
      if (ok) ok = Buffer.from(parts[2], 'base64url').toString('base64url') === parts[2];
    }
    assert.ok(!ok, `flipping byte ${i} must break verification`);
  }
});

test('casts arriving together: stored in batches, each answered for itself, none lost', async () => {
  // Casts of one turn of the server's loop go to the database as one statement; a batch
  // may hold casts for several decisions, refusals, and one voter twice.
  const plurality = await method('plurality.py');
  const people = await Promise.all(Array.from({ length: 44 }, () => person()));
  const [proposerOnly, outsider, twice, ...rest] = people;
  const votersA = rest.slice(0, 29);
  const votersB = rest.slice(29);
  const [a, b] = await Promise.all([
    createDecision(plurality, [0, 1000, 1000, 4000],
      { proposer_franchise: [proposerOnly.id], voter_franchise: [...votersA, twice].map((v) => v.id) }),
    createDecision(plurality, [0, 1000, 1000, 4000],
      { proposer_franchise: [proposerOnly.id], voter_franchise: votersB.map((v) => v.id) }),
  ]);
  assert.equal(a.status, 201, a.text);
  assert.equal(b.status, 201, b.text);
  const [A, B] = [a.json, b.json];
  const choose = (id) => ({ payload: b64(JSON.stringify({ choice: id })) });
  const metric = async (name) => Number((await h.api(server, 'GET', '/metrics')).text
    .split('\n').find((l) => l.startsWith(`${name} `)).split(' ')[1]);
  await sleepUntil(A.voting_phase.opens_at);

  const batches0 = await metric('freecoop_db_batches_total');
  const requests0 = await metric('freecoop_db_batched_requests_total');
  const post = (d, who, body) => h.api(server, 'POST', `/v1/decisions/${d.id}/ballots`, { token: who.token, body });
  const all = await Promise.all([
    ...votersA.map((v, i) => post(A, v, choose(`a${i}`))),
    ...votersB.map((v, i) => post(B, v, choose(`b${i}`))),
    post(A, proposerOnly, choose('p')),
    post(A, outsider, choose('o')),
    post(A, votersB[0], choose('wrong decision')),
    post(A, twice, choose('first')),
    post(A, twice, choose('second')),
  ]);
  const batches = (await metric('freecoop_db_batches_total')) - batches0;
  const requests = (await metric('freecoop_db_batched_requests_total')) - requests0;
  assert.ok(batches < requests, `${requests} batched requests went in ${batches} statements`);

  const okA = all.slice(0, votersA.length);
  const okB = all.slice(votersA.length, votersA.length + votersB.length);
  const [proposerCast, outsiderCast, wrongCast, first, second] = all.slice(votersA.length + votersB.length);
  for (const r of [...okA, ...okB, first, second]) assert.equal(r.status, 201, r.text);
  h.assertProblem(proposerCast, 403, 'not-enfranchised', 'a proposer in the same batch');
  h.assertProblem(outsiderCast, 404, 'not-found', 'an outsider in the same batch');
  h.assertProblem(wrongCast, 404, 'not-found', "another decision's voter in the same batch");
  const receipts = new Set([...okA, ...okB, first, second].map((r) => r.json.ballot_id));
  assert.equal(receipts.size, votersA.length + votersB.length + 2, 'every cast has its own receipt');
  // The voter who cast twice at once: one of the two is their ballot, as if one after the other.
  const mine = (await h.api(server, 'GET', `/v1/decisions/${A.id}/ballot`, { token: twice.token })).json;
  assert.equal(mine.voted, true);
  assert.ok([first.json.ballot_id, second.json.ballot_id].includes(mine.ballot_id));
  assert.ok(first.json.replaced || second.json.replaced, 'one of the two replaced the other');

  await sleepUntil(A.voting_phase.closes_at);
  for (const [d, casts, extra] of [[A, okA, [mine.ballot_id]], [B, okB, []]]) {
    assert.equal((await waitState(d.id, ['concluded', 'failed'])).state, 'concluded');
    const doc = (await verifiedResult(d.id)).payload;
    assert.deepEqual(doc.inputs.ballots.map((x) => x.id).sort(),
      [...casts.map((r) => r.json.ballot_id), ...extra].sort(), 'every acknowledged ballot is counted');
  }
});

test('creating decisions: every rule', async () => {
  const plurality = await method('plurality.py');
  const [a] = await Promise.all([person()]);
  const foreign = await person(otherSvc);
  const countMine = () => h.superSql(`SELECT count(*) FROM decision.decisions d JOIN decision.services s ON s.id = d.service_id WHERE s.key_hash = sha256(convert_to(${h.lit(svc)}, 'UTF8'))`);
  const before = countMine();
  h.assertProblem(await createDecision(plurality, [2000, 1000, 3000, 4000]), 422, 'invalid-phases', 'proposal phase reversed');
  h.assertProblem(await createDecision(plurality, [0, 3000, 2000, 4000]), 422, 'invalid-phases', 'phases overlap');
  h.assertProblem(await createDecision(plurality, [0, 1000, 3000, 2000]), 422, 'invalid-phases', 'voting phase reversed');
  h.assertProblem(await createDecision(plurality, [-5000, -4000, -3000, -2000]), 409, 'outside-phase', 'already over');
  h.assertProblem(await createDecision(plurality, [0, 1000, 1000, 2000], { voter_franchise: [a.id, foreign.id] }),
    422, 'foreign-account', "another service's account");
  h.assertProblem(await createDecision('0'.repeat(64), [0, 1000, 1000, 2000]), 422, 'method-not-usable', 'an unknown method');
  // A newcomer gives the method's name: the answer says what is wanted, and where to look.
  const named = await createDecision('plurality', [0, 1000, 1000, 2000]);
  h.assertProblem(named, 422, 'invalid-request', 'a method by name');
  assert.match(named.json.detail, /SHA-256/);
  assert.match(named.json.detail, /GET \/v1\/voting-methods/);
  // Times in the database's messages are RFC 3339, like everywhere else.
  const over = await createDecision(plurality, [-5000, -4000, -3000, -2000]);
  assert.match(over.json.detail, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/, over.json.detail);
  // A method whose only auditor is revoked is no longer signed.
  const lone = newAuditor('lone');
  const code = `# lone ${RUN}\ndef count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n    return b""\n`;
  const m = await submit(lone, 'lone', code);
  assert.equal(m.status, 201, m.text);
  h.operatorSql(`SELECT admin.revoke_authority(${h.lit(lone.id)})`);
  h.assertProblem(await createDecision(m.json.id, [0, 1000, 1000, 2000]), 422, 'method-not-usable', 'revoked auditor');
  h.assertProblem(await createDecision(plurality, [0, 1000, 1000, 2000], { voter_franchise: ['nope'] }), 422, 'invalid-request');
  h.assertProblem(await createDecision(plurality, [0, 1000, 1000, 2000], {}, a.token), 401, 'wrong-credential-kind');
  assert.equal(countMine(), before, 'none of these stored a decision');

  // Franchise batches while the decision has not opened.
  const later = await createDecision(plurality, [60000, 61000, 61000, 62000], { voter_franchise: [a.id] });
  assert.equal(later.status, 201, later.text);
  assert.equal(later.json.state, 'scheduled');
  const more = await Promise.all([person(), person()]);
  const batch = await h.api(server, 'POST', `/v1/decisions/${later.json.id}/franchise`,
    { token: svc, body: { voter_franchise: [more[0].id], proposer_franchise: [a.id] } });
  assert.equal(batch.status, 200, batch.text);
  assert.deepEqual(batch.json, { proposer_franchise: 1, voter_franchise: 2 });
  // The names of the create call; the former ones still work, but not both at once.
  const old = await h.api(server, 'POST', `/v1/decisions/${later.json.id}/franchise`,
    { token: svc, body: { voters: [more[1].id] } });
  assert.deepEqual(old.json, { proposer_franchise: 1, voter_franchise: 3 });
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${later.json.id}/franchise`,
    { token: svc, body: { voters: [a.id], voter_franchise: [a.id] } }), 422, 'invalid-request', 'both names');
  h.assertProblem(await h.api(server, 'POST', `/v1/decisions/${later.json.id}/franchise`,
    { token: otherSvc, body: { voters: [] } }), 404, 'not-found', "another service's decision");
  const early = await h.api(server, 'POST', `/v1/decisions/${later.json.id}/proposals`,
    { token: a.token, body: { payload: b64('early') } });
  h.assertProblem(early, 409, 'outside-phase', 'proposing before the phase');
  assert.match(early.json.detail, /from \d{4}-\d\d-\d\dT[\d:.]+Z until \d{4}-\d\d-\d\dT[\d:.]+Z/, early.json.detail);

  // Lists: keyset pages, each caller sees its own.
  const page1 = await h.api(server, 'GET', '/v1/decisions?limit=1', { token: svc });
  assert.equal(page1.status, 200);
  assert.equal(page1.json.decisions.length, 1);
  assert.ok(page1.json.next);
  const page2 = await h.api(server, 'GET', `/v1/decisions?limit=1&after=${page1.json.next}`, { token: svc });
  assert.notEqual(page2.json.decisions[0].id, page1.json.decisions[0].id);
  const mineList = await h.api(server, 'GET', '/v1/decisions', { token: more[0].token });
  assert.deepEqual(mineList.json.decisions.map((x) => x.id), [later.json.id]);
  h.assertProblem(await h.api(server, 'GET', '/v1/decisions?limit=0', { token: svc }), 422, 'invalid-request');
  h.assertProblem(await h.api(server, 'GET', '/v1/decisions?after=garbage', { token: svc }), 422, 'invalid-request');
});

test('a method that raises, loops or bombs memory fails its decision with a signed document', async () => {
  const header = 'def count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n';
  const cases = {
    exception: `${header}    raise ValueError("no quorum ${RUN}")\n`,
    timeout: `${header}    while True:\n        pass\n`,
    memory: `${header}    x = [0] * (10 ** 10)\n    return b""\n`,
  };
  const voter = await person();
  const plurality = await method('plurality.py');
  const ids = {};
  for (const [kind, code] of Object.entries(cases)) {
    const m = await customMethod(`${kind}-${RUN}`, code);
    const r = await createDecision(m, [0, 300, 300, 1200], { voter_franchise: [voter.id] });
    assert.equal(r.status, 201, r.text);
    ids[kind] = r.json.id;
  }
  // And a good one closing at the same time: the server goes on concluding.
  const good = await createDecision(plurality, [0, 300, 300, 1200], { voter_franchise: [voter.id] });
  await sleepUntil(good.json.voting_phase.opens_at);
  for (const id of [...Object.values(ids), good.json.id]) {
    const c = await h.api(server, 'POST', `/v1/decisions/${id}/ballots`, { token: voter.token, body: { payload: b64('{}') } });
    assert.equal(c.status, 201, c.text);
  }
  for (const [kind, id] of Object.entries(ids)) {
    const s = await waitState(id, ['concluded', 'failed'], 20000);
    assert.equal(s.state, 'failed', kind);
    const doc = (await verifiedResult(id)).payload;
    assert.equal(doc.outcome.status, 'error');
    assert.equal(doc.outcome.error, kind);
    if (kind === 'exception') assert.match(doc.outcome.message, new RegExp(`ValueError: no quorum ${RUN}`));
    assert.equal(doc.inputs.ballots.length, 1, 'a failure document carries the inputs too');
  }
  assert.equal((await waitState(good.json.id, ['concluded', 'failed'])).state, 'concluded');

  // The operator sees the failure, re-queues it, and it fails again the same way.
  const row = h.operatorSql(`SELECT state, attempts FROM admin.decisions WHERE id = '${ids.exception}'`);
  assert.equal(row, 'failed|1');
  h.operatorSql(`SELECT admin.requeue_conclusion('${ids.exception}')`);
  const again = await waitState(ids.exception, ['failed'], 10000);
  assert.equal(again.state, 'failed');
  const listed = h.operatorSql("SELECT count(*) > 0 FROM admin.decisions_in_state('failed')");
  assert.equal(listed, 't');
});

test('an operator cannot read ballots, before or after conclusion', async () => {
  for (const sql of ['SELECT * FROM decision.ballots', 'SELECT sealed FROM decision.ballots',
    'SELECT data_key FROM decision.decisions', 'SELECT jws FROM decision.results']) {
    const r = require('./lib/psql').psql(h.env('FREECOOP_TEST_CONNINFO_OPERATOR'), sql, { allowError: true });
    assert.notEqual(r.status, 0, `${sql} must be refused`);
    assert.match(r.stderr, /permission denied/);
  }
  const cols = h.operatorSql("SELECT string_agg(column_name, ',') FROM information_schema.columns WHERE table_schema = 'admin' AND table_name = 'decisions'");
  assert.ok(!/ballot|sealed|key|payload/.test(cols), `admin.decisions shows no secret: ${cols}`);
});

test('retention: past it, ballots and the document are purged and the result answers 410', async () => {
  const plurality = await method('plurality.py');
  const voter = await person();
  const d = (await createDecision(plurality, [0, 200, 200, 900], { voter_franchise: [voter.id] })).json;
  await sleepUntil(d.voting_phase.opens_at);
  assert.equal((await D.cast(server, voter, d.id, '{}')).status, 201);
  await waitState(d.id, ['concluded']);
  await verifiedResult(d.id);

  // Kept while within the retention period...
  h.operatorSql('SELECT admin.purge()');
  assert.equal((await h.api(server, 'GET', `/v1/decisions/${d.id}/result`)).status, 200);
  // ...purged once it ended longer ago than that.
  h.superSql(`UPDATE decision.decisions SET concluded_at = now() - interval '366 days' WHERE id = '${d.id}'`);
  assert.ok(Number(h.operatorSql('SELECT admin.purge()')) >= 1);
  h.assertProblem(await h.api(server, 'GET', `/v1/decisions/${d.id}/result`), 410, 'result-purged');
  const purged = spawnSync(VERIFY, [d.id, '--server', server.url], { encoding: 'utf8' });
  assert.equal(purged.status, 2);
  assert.match(purged.stderr, /HTTP 410 the result has been purged/);
  assert.equal(h.superSql(`SELECT (SELECT count(*) FROM decision.ballots WHERE decision_id = '${d.id}')
    + (SELECT count(*) FROM decision.results WHERE decision_id = '${d.id}')`), '0');
  const after = await h.api(server, 'GET', `/v1/decisions/${d.id}`, { token: svc });
  assert.equal(after.json.state, 'concluded');
  assert.equal(after.json.result, null);
  h.assertProblem(await h.api(server, 'GET', `/v1/decisions/${crypto.randomUUID()}/result`), 404, 'not-found');

  h.operatorSql('SELECT admin.set_retention(30)');
  const bad = require('./lib/psql').psql(h.env('FREECOOP_TEST_CONNINFO_OPERATOR'),
    'SELECT admin.set_retention(0)', { allowError: true });
  assert.notEqual(bad.status, 0);
  h.operatorSql('SELECT admin.set_retention(365)');

  // The conclusions so far show in /metrics.
  const m = await h.api(server, 'GET', '/metrics');
  const concluded = /freecoop_conclusions_total\{outcome="concluded"\} (\d+)/.exec(m.text);
  assert.ok(concluded && Number(concluded[1]) >= 1, 'freecoop_conclusions_total counts conclusions');
});

test('numbers in metadata come back as sent, or are refused with 422: never changed, never 500', async () => {
  const plurality = await method('plurality.py');
  const phases = [60000, 120000, 120000, 180000];
  // Every number a double holds and every safe integer: the values come back unchanged, and
  // decimals with more digits than a double keeps come back digit for digit.
  const metadata = {
    max: 9007199254740991, min: -9007199254740991, zero: 0, frac: 0.1, neg: -2.5,
    tiny: 5e-324, small: 1.5e-300, exp: 12.5e3, nested: [{ a: [1, 2.25, -0.125] }],
  };
  const precise = '0.12345678901234567890123456789';
  const raw = JSON.stringify({
    title: h.randomName('numbers'), method: plurality,
    proposal_phase: { opens_at: D.at(phases[0]), closes_at: D.at(phases[1]) },
    voting_phase: { opens_at: D.at(phases[2]), closes_at: D.at(phases[3]) },
    metadata: { ...metadata, precise: 'PRECISE' },
  }).replace('"PRECISE"', precise);
  const created = await h.api(server, 'POST', '/v1/decisions', { token: svc, rawBody: raw });
  assert.equal(created.status, 201, created.text);
  const got = await h.api(server, 'GET', `/v1/decisions/${created.json.id}`, { token: svc });
  assert.equal(got.status, 200, got.text);
  const { precise: back, ...rest } = got.json.metadata;
  assert.deepEqual(rest, metadata);
  assert.ok(got.text.includes(`"precise":${precise}`), `the decimal is kept digit for digit: ${got.text}`);
  assert.equal(back, Number(precise));

  // What not every reader holds exactly: refused, naming metadata, and nothing is created.
  const countMine = () => h.superSql('SELECT count(*) FROM decision.decisions d JOIN decision.services s '
    + `ON s.id = d.service_id WHERE s.key_hash = sha256(convert_to(${h.lit(svc)}, 'UTF8'))`);
  const before = countMine();
  for (const n of ['1e1001', '1e-1001', '-1e400', '9007199254740993', '-9007199254740992',
    '123456789012345678901234567890', '-9223372036854775809', '18446744073709551615', '1e20']) {
    const body = raw.replace(precise, n);
    const r = await h.api(server, 'POST', '/v1/decisions', { token: svc, rawBody: body });
    h.assertProblem(r, 422, 'invalid-request', `metadata holding ${n}`);
    assert.deepEqual(r.json.invalid_params.map((p) => p.name), ['metadata'], n);
    assert.match(r.json.invalid_params[0].reason, /holds .*(whole number|double)/, n);
  }
  // The same rule for every body: a franchise batch, a proposal.
  const batch = await h.api(server, 'POST', `/v1/decisions/${created.json.id}/franchise`,
    { token: svc, rawBody: '{"voters":[1e999]}' });
  h.assertProblem(batch, 422, 'invalid-request', 'a franchise batch with 1e999');
  assert.match(batch.json.invalid_params[0].reason, /^holds 1e999, beyond the range of a double/);
  assert.equal(countMine(), before, 'no decision was created');
});

test('a franchise batch with a field it does not take is told the ones it does', async () => {
  const plurality = await method('plurality.py');
  const created = await createDecision(plurality, [60000, 120000, 120000, 180000]);
  assert.equal(created.status, 201, created.text);
  const r = await h.api(server, 'POST', `/v1/decisions/${created.json.id}/franchise`,
    { token: svc, body: { voter: [] } });
  h.assertProblem(r, 422, 'invalid-request', 'voter on the batch');
  assert.deepEqual(r.json.invalid_params, [{ name: 'voter', reason: 'unknown field' }]);
  assert.match(r.json.detail, / Its fields are proposer_franchise, voter_franchise, proposers and voters\.$/);
  // The create call's names are the batch's.
  const ok = await h.api(server, 'POST', `/v1/decisions/${created.json.id}/franchise`,
    { token: svc, body: { voter_franchise: [] } });
  assert.equal(ok.status, 200, ok.text);
});
