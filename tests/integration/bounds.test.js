'use strict';
// Bounded work (issue 14): a decision whose result document could exceed
// max_document_size is refused at creation, franchise append and proposal, so a
// conclusion can always be stored; the proposal limit holds under concurrent inserts;
// conclusions run conclude_concurrency at once and are picked fairly across services; a
// revoked authority key stops signing without a restart.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness');
const D = require('./lib/decisions');

const servers = [];
async function start(extra = {}) {
  const s = await h.startServer({ FREECOOP_CONCLUDE_POLL_MS: '50', ...extra });
  servers.push(s);
  return s;
}
test.afterEach(async () => {
  for (const s of servers.splice(0)) assert.equal(await s.stop(), 0, 'api-server exit code');
});

const people = (server, svc, n) => Promise.all(Array.from({ length: n }, () => D.person(server, svc)));

const MAX_DOCUMENT = 200000;
const RESULT_MAX = 1024;
// A method whose result is exactly RESULT_MAX bytes: the longest outcome there can be.
const FULL_RESULT = `def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    head = b'{"adopted": [], "x": "'
    return head + b"x" * (${RESULT_MAX} - len(head) - 2) + b'"}'
`;

test('a decision is refused when its result document could exceed max_document_size, and one at the bound is stored', async () => {
  const server = await start({ FREECOOP_MAX_DOCUMENT_SIZE: String(MAX_DOCUMENT),
    FREECOOP_COUNT_RESULT_MAX: String(RESULT_MAX) });
  const svc = h.createService(h.randomName('bound'));
  const full = await D.register(server, D.newAuditor('bound'), h.randomName('full'), FULL_RESULT);
  const voters = await people(server, svc, 12);
  // The worst title: every character escaped to six bytes in the document.
  const title = '\u0001'.repeat(500);
  const proposals = [{ payload: crypto.randomBytes(300).toString('base64') }];
  const create = (n, phases, extra = {}) => h.api(server, 'POST', '/v1/decisions', {
    token: svc,
    body: {
      title, method: full, ballot_size: 1024, proposals,
      proposal_phase: { opens_at: D.at(phases[0]), closes_at: D.at(phases[1]) },
      voting_phase: { opens_at: D.at(phases[2]), closes_at: D.at(phases[3]) },
      proposer_franchise: voters.slice(0, n).map((v) => v.id),
      voter_franchise: voters.slice(0, n).map((v) => v.id),
      ...extra,
    },
  });
  // The most voters with 1024-byte ballots that fit.
  let n = 0;
  for (;;) {
    const r = await create(n + 1, [60000, 61000, 61000, 62000]);
    if (r.status !== 201) {
      h.assertProblem(r, 422, 'document-too-large', `${n + 1} voters`);
      assert.match(r.json.detail, /ballot_size|bytes/);
      break;
    }
    n++;
    assert.ok(n < voters.length, 'the bound should refuse a dozen voters of 1024 bytes');
  }
  assert.ok(n >= 1, 'one voter fits');
  // Smaller ballots fit more voters.
  assert.equal((await create(n + 1, [60000, 61000, 61000, 62000], { ballot_size: 64 })).status, 201);

  // At the bound: a franchise batch that would pass it is refused whole.
  const d = (await create(n, [1500, 2500, 2500, 4000])).json;
  const grow = await h.api(server, 'POST', `/v1/decisions/${d.id}/franchise`,
    { token: svc, body: { voter_franchise: [voters[n].id] } });
  h.assertProblem(grow, 422, 'document-too-large', 'a batch past the bound');
  assert.equal((await h.api(server, 'GET', `/v1/decisions/${d.id}`, { token: svc })).json.counts.voter_franchise, n);
  // A proposal that would pass it is refused too.
  await D.sleepUntil(d.proposal_phase.opens_at);
  const big = await h.api(server, 'POST', `/v1/decisions/${d.id}/proposals`,
    { token: voters[0].token, body: { payload: crypto.randomBytes(60000).toString('base64') } });
  h.assertProblem(big, 409, 'limit-reached', 'a proposal past the bound');
  assert.match(big.json.detail, /document/);

  // Every voter casts the longest ballot; the count returns the longest result.
  await D.sleepUntil(d.voting_phase.opens_at);
  for (const v of voters.slice(0, n)) {
    const r = await D.cast(server, v, d.id, '\u0001'.repeat(1024));
    assert.equal(r.status, 201, r.text);
  }
  await D.sleepUntil(d.voting_phase.closes_at);
  assert.equal((await D.waitState(server, svc, d.id, ['concluded', 'failed'])).state, 'concluded');
  const res = await D.verifiedResult(server, d.id);
  assert.ok(res.text.length <= MAX_DOCUMENT, `the document (${res.text.length} bytes) is within max_document_size`);
  assert.equal(res.payload.inputs.ballots.length, n);
  assert.equal(Buffer.from(res.payload.outcome.result, 'base64').length, RESULT_MAX);
});

test('max_proposals holds under concurrent proposals', async () => {
  const server = await start({ FREECOOP_MAX_PROPOSALS: '5' });
  const svc = h.createService(h.randomName('race'));
  const plurality = await D.libraryMethod(server, D.newAuditor('race'), 'plurality.py');
  const proposers = await people(server, svc, 24);
  const d = (await D.createDecision(server, svc, plurality, [0, 20000, 20000, 21000], {
    proposer_franchise: proposers.map((p) => p.id), proposals: [{ payload: D.b64('service') }],
  })).json;
  const answers = await Promise.all(proposers.map((p) => h.api(server, 'POST', `/v1/decisions/${d.id}/proposals`,
    { token: p.token, body: { payload: D.b64(`from ${p.id}`) } })));
  const ok = answers.filter((r) => r.status === 201);
  assert.equal(ok.length, 4, 'five proposals in all, the service\'s included');
  for (const r of answers.filter((x) => x.status !== 201)) h.assertProblem(r, 409, 'limit-reached');
  assert.equal(h.superSql(`SELECT count(*) FROM decision.proposals WHERE decision_id = '${d.id}'`), '5');
});

test('conclusions run side by side and are picked fairly across services', async () => {
  const server = await start({ FREECOOP_CONCLUDE_CONCURRENCY: '2' });
  const auditor = D.newAuditor('fair');
  const slow = await D.register(server, auditor, h.randomName('slow'),
    'def count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n'
    + '    n = 0\n    for i in range(12000000):\n        n += i\n    return b\'{"adopted": []}\'\n');
  const plurality = await D.libraryMethod(server, auditor, 'plurality.py');
  const [heavy, light] = [h.createService(h.randomName('heavy')), h.createService(h.randomName('light'))];
  const [hv, lv] = [await D.person(server, heavy), await D.person(server, light)];
  // Four slow decisions of one service close first; one quick decision of another a
  // moment later. First come, first served would count it last.
  const heavies = [];
  for (let i = 0; i < 4; i++) {
    heavies.push((await D.createDecision(server, heavy, slow, [0, 500, 500, 1500],
      { voter_franchise: [hv.id] })).json);
  }
  const quick = (await D.createDecision(server, light, plurality, [0, 500, 500, 1700],
    { voter_franchise: [lv.id] })).json;
  await D.sleepUntil(quick.voting_phase.opens_at);
  for (const d of heavies) assert.equal((await D.cast(server, hv, d.id, '{}')).status, 201);
  assert.equal((await D.cast(server, lv, quick.id, '{}')).status, 201);
  await D.sleepUntil(quick.voting_phase.closes_at);

  const ids = [...heavies, quick].map((d) => `'${d.id}'`).join(',');
  let most = 0;
  for (let i = 0; i < 600; i++) {
    const [running, open] = h.superSql(`SELECT count(*) FILTER (WHERE lease_owner IS NOT NULL AND lease_until > now()
                                                               AND outcome IS NULL),
                                               count(*) FILTER (WHERE outcome IS NULL)
                                          FROM decision.decisions WHERE id IN (${ids})`).split('|').map(Number);
    most = Math.max(most, running);
    assert.ok(running <= 2, `at most conclude_concurrency at once (${running})`);
    if (open === 0) break;
    await h.sleep(50);
  }
  assert.equal(most, 2, 'two conclusions ran side by side');
  const at = Object.fromEntries(h.superSql(`SELECT id || '=' || extract(epoch FROM concluded_at)
                                              FROM decision.decisions WHERE id IN (${ids})`)
    .split('\n').map((l) => l.split('=')).map(([k, v]) => [k, Number(v)]));
  const heavyTimes = heavies.map((d) => at[d.id]).sort();
  assert.ok(at[quick.id] < heavyTimes[2],
    `the other service's decision was not held up behind the heavy ones (${at[quick.id]} vs ${heavyTimes})`);
});

// A decision authority of its own: {pem path, id}.
function newAuthority() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fc-authority-'));
  const file = path.join(dir, 'authority.pem');
  fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const id = h.operatorSql(`SELECT admin.add_authority(${h.lit(h.randomName('authority'))},
    ${h.lit(publicKey.export({ type: 'spki', format: 'pem' }))}, true, false)`);
  return { file, id, dir };
}

function metric(text, name) {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

test('a revoked authority key stops signing without a restart; a valid one concludes', async () => {
  const own = newAuthority();
  const periodic = newAuthority();
  try {
    // Checked only when storing (the periodic check far away): the store refuses.
    const a = await start({ FREECOOP_AUTHORITY_KEY_FILE: own.file, FREECOOP_AUTHORITY_CHECK_MS: '3600000' });
    // Checked every 100 ms.
    const b = await start({ FREECOOP_AUTHORITY_KEY_FILE: periodic.file, FREECOOP_AUTHORITY_CHECK_MS: '100' });
    const svc = h.createService(h.randomName('revoked'));
    const plurality = await D.libraryMethod(a, D.newAuditor('revoked'), 'plurality.py');
    const v = await D.person(a, svc);
    const d = (await D.createDecision(a, svc, plurality, [0, 300, 300, 1500], { voter_franchise: [v.id] })).json;
    await D.sleepUntil(d.voting_phase.opens_at);
    assert.equal((await D.cast(a, v, d.id, '{}')).status, 201);
    h.operatorSql(`SELECT admin.revoke_authority('${own.id}')`);
    h.operatorSql(`SELECT admin.revoke_authority('${periodic.id}')`);
    await D.sleepUntil(d.voting_phase.closes_at);
    await h.sleep(1500);
    assert.equal(h.superSql(`SELECT coalesce(outcome, 'none') FROM decision.decisions WHERE id = '${d.id}'`), 'none',
      'nothing was signed with a revoked key');
    assert.equal(h.superSql(`SELECT count(*) FROM decision.results WHERE decision_id = '${d.id}'`), '0');
    assert.ok(a.parsedLogs().some((l) => /authority key was revoked/.test(l.msg || '')), 'the store said why');
    for (const s of [a, b]) {
      const m = await h.api(s, 'GET', '/metrics');
      assert.equal(metric(m.text, 'freecoop_authority_valid'), 0, 'the instance knows its key may not sign');
    }
    assert.ok(b.parsedLogs().some((l) => l.level === 'error' && /no longer a registered/.test(l.msg || '')));
    // An instance with a valid key concludes it.
    const c = await start();
    assert.equal((await D.waitState(c, svc, d.id, ['concluded', 'failed'], 20000)).state, 'concluded');
    const res = await D.verifiedResult(c, d.id);
    assert.notEqual(res.header.kid, own.id);
    assert.notEqual(res.header.kid, periodic.id);
  } finally {
    fs.rmSync(own.dir, { recursive: true, force: true });
    fs.rmSync(periodic.dir, { recursive: true, force: true });
  }
});
