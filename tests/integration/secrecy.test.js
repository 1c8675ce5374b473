'use strict';
// Secrecy against whoever reads the database (issue 14), tried as such a reader would:
// the superuser's psql beside the API. Every sealed ballot of a decision has one length;
// casting writes and locks nothing that names the voter, so no transaction id links a
// voter's rows to a ballot row; turnout and "have I voted" come from the ballot rows;
// every database role needs its credentials (no trust authentication); no process of
// ours runs as root.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./lib/harness');
const D = require('./lib/decisions');
const { execFileSync, spawnSync } = require('node:child_process');
const { psql } = require('./lib/psql');

let server;
let svc;
let auditor;
let plurality;

test.before(async () => {
  server = await h.startServer({ FREECOOP_CONCLUDE_POLL_MS: '100' });
  svc = h.createService(h.randomName('secrecy'));
  auditor = D.newAuditor('secrecy');
  plurality = await D.libraryMethod(server, auditor, 'plurality.py');
});

test.after(async () => {
  if (server) assert.equal(await server.stop(), 0, 'api-server exit code after SIGTERM');
});

const people = (n) => Promise.all(Array.from({ length: n }, () => D.person(server, svc)));

// xmin, xmax and ctid of every row of a table that names one of the accounts.
function rowVersions(table, column, ids) {
  return h.superSql(`SELECT string_agg(${column} || ':' || xmin || ':' || xmax || ':' || ctid, ','
                              ORDER BY ${column}, ctid)
                       FROM decision.${table} WHERE ${column} IN (${ids.map(h.lit).join(',')})`);
}

test('every sealed ballot of a decision has the same length, whatever it says', async () => {
  const voters = await people(4);
  const d = (await D.createDecision(server, svc, plurality, [0, 300, 300, 4000],
    { voter_franchise: voters.map((v) => v.id), proposals: [{ payload: D.b64('yes') }] })).json;
  assert.equal(d.ballot_size, 1024, 'the default ballot_size');
  await D.sleepUntil(d.voting_phase.opens_at);
  // A yes/no decision's three answers, and the longest and shortest a ballot may be.
  const payloads = ['yes', 'no', 'abstain', 'x'.repeat(1024)];
  for (const [i, v] of voters.entries()) {
    const r = await D.cast(server, v, d.id, payloads[i]);
    assert.equal(r.status, 201, r.text);
  }
  h.assertProblem(await D.cast(server, voters[0], d.id, 'x'.repeat(1025)), 413, 'payload-too-large',
    'a payload over ballot_size');
  const lengths = h.superSql(`SELECT string_agg(DISTINCT length(sealed)::text, ',')
                                FROM decision.ballots WHERE decision_id = '${d.id}'`);
  assert.equal(lengths, String(1024 + 36 + 4 + 12 + 16), 'one length: ballot_size + id + length + nonce + tag');
  assert.equal(h.superSql(`SELECT count(*) FROM decision.ballots WHERE decision_id = '${d.id}'`), '4',
    'the refused ballot changed nothing');

  // The published document carries the payloads as cast, not padded.
  await D.sleepUntil(d.voting_phase.closes_at);
  assert.equal((await D.waitState(server, svc, d.id, ['concluded', 'failed'])).state, 'concluded');
  const doc = (await D.verifiedResult(server, d.id)).payload;
  assert.deepEqual(doc.inputs.ballots.map((b) => Buffer.from(b.payload, 'base64').toString()).sort(),
    payloads.slice().sort());
});

test('ballot_size: chosen at creation, at most max_payload_size', async () => {
  const [v] = await people(1);
  const small = await D.createDecision(server, svc, plurality, [0, 200, 200, 5000],
    { voter_franchise: [v.id], ballot_size: 16 });
  assert.equal(small.status, 201, small.text);
  assert.equal(small.json.ballot_size, 16);
  await D.sleepUntil(small.json.voting_phase.opens_at);
  assert.equal((await D.cast(server, v, small.json.id, 'x'.repeat(16))).status, 201);
  h.assertProblem(await D.cast(server, v, small.json.id, 'x'.repeat(17)), 413, 'payload-too-large');
  assert.equal(h.superSql(`SELECT length(sealed) FROM decision.ballots WHERE decision_id = '${small.json.id}'`),
    String(16 + 68));
  for (const size of [0, 65537, 'big', 1.5]) {
    const r = await D.createDecision(server, svc, plurality, [0, 200, 200, 5000], { ballot_size: size });
    h.assertProblem(r, 422, 'invalid-request', `ballot_size ${size}`);
    assert.deepEqual(r.json.invalid_params.map((p) => p.name), ['ballot_size']);
  }
  const max = await D.createDecision(server, svc, plurality, [0, 200, 200, 5000], { ballot_size: 65536 });
  assert.equal(max.status, 201, max.text);
});

test('casting writes and locks nothing that names the voter: no xmin or xmax links a voter to a ballot', async () => {
  const voters = await people(6);
  const ids = voters.map((v) => v.id);
  const d = (await D.createDecision(server, svc, plurality, [0, 300, 300, 6000],
    { voter_franchise: ids, proposer_franchise: ids.slice(0, 2) })).json;
  await D.sleepUntil(d.voting_phase.opens_at);
  // Every account's token is looked up once before the snapshot (nothing is written then
  // either, but a first lookup may set hint bits; versions are what matter).
  for (const v of voters) assert.equal((await h.api(server, 'GET', '/v1/me', { token: v.token })).status, 200);
  const before = {
    franchise: rowVersions('franchise', 'account_id', ids),
    accounts: rowVersions('accounts', 'id', ids),
    tokens: rowVersions('access_tokens', 'account_id', ids),
  };
  // One at a time, then all together (one batch), then recasts.
  for (const v of voters.slice(0, 2)) assert.equal((await D.cast(server, v, d.id, `a ${v.id}`)).status, 201);
  const together = await Promise.all(voters.slice(2).map((v) => D.cast(server, v, d.id, `b ${v.id}`)));
  for (const r of together) assert.equal(r.status, 201, r.text);
  assert.equal((await D.cast(server, voters[0], d.id, 'again')).json.replaced, true);

  assert.deepEqual({
    franchise: rowVersions('franchise', 'account_id', ids),
    accounts: rowVersions('accounts', 'id', ids),
    tokens: rowVersions('access_tokens', 'account_id', ids),
  }, before, 'no row naming a voter has a new version or a lock');
  // The transactions that wrote ballot rows touched no row that names an account.
  const links = h.superSql(`
    WITH x AS (SELECT DISTINCT xmin::text AS xid FROM decision.ballots WHERE decision_id = '${d.id}')
    SELECT count(*) FROM x WHERE EXISTS (
      SELECT 1 FROM decision.franchise f WHERE f.xmin::text = x.xid OR f.xmax::text = x.xid
      UNION ALL SELECT 1 FROM decision.accounts a WHERE a.xmin::text = x.xid OR a.xmax::text = x.xid
      UNION ALL SELECT 1 FROM decision.access_tokens t WHERE t.xmin::text = x.xid OR t.xmax::text = x.xid)`);
  assert.equal(links, '0', 'no xmin/xmax of a franchise, account or token row is a ballot transaction');
  assert.equal(h.superSql(`SELECT count(*) FROM decision.franchise WHERE decision_id = '${d.id}' AND xmax <> 0`), '0',
    'no franchise row is locked or updated');
  assert.equal(h.superSql(`SELECT count(*) FROM information_schema.columns WHERE table_schema = 'decision'
                             AND table_name = 'franchise' AND column_name ~ 'vot(ed|e_at)'`), '0',
  'the franchise keeps no trace of voting');

  // Turnout is the number of ballot rows; whether one voted is one's slot.
  const asService = await h.api(server, 'GET', `/v1/decisions/${d.id}`, { token: svc });
  assert.equal(asService.json.counts.voted, 6);
  const mine = await h.api(server, 'GET', `/v1/decisions/${d.id}`, { token: voters[0].token });
  assert.deepEqual(mine.json.you, { proposer: true, voter: true, voted: true });
  assert.equal(h.operatorSql(`SELECT voters || '/' || voted FROM admin.decisions WHERE id = '${d.id}'`), '6/6');

  // Participants are worked out at conclusion: every voter who cast, once.
  await D.sleepUntil(d.voting_phase.closes_at);
  assert.equal((await D.waitState(server, svc, d.id, ['concluded', 'failed'])).state, 'concluded');
  const doc = (await D.verifiedResult(server, d.id)).payload;
  assert.deepEqual(doc.inputs.participants, ids.map((a) => D.pseudonym(d.id, a)).sort());
  assert.equal(doc.inputs.ballots.length, 6);
});

test('participants count only the voters who cast', async () => {
  const voters = await people(5);
  const d = (await D.createDecision(server, svc, plurality, [0, 300, 300, 2500],
    { voter_franchise: voters.map((v) => v.id) })).json;
  await D.sleepUntil(d.voting_phase.opens_at);
  for (const v of voters.slice(0, 2)) assert.equal((await D.cast(server, v, d.id, 'x')).status, 201);
  const absent = await h.api(server, 'GET', `/v1/decisions/${d.id}`, { token: voters[4].token });
  assert.deepEqual(absent.json.you, { proposer: false, voter: true, voted: false });
  await D.sleepUntil(d.voting_phase.closes_at);
  assert.equal((await D.waitState(server, svc, d.id, ['concluded', 'failed'])).state, 'concluded');
  const doc = (await D.verifiedResult(server, d.id)).payload;
  assert.deepEqual(doc.inputs.participants, voters.slice(0, 2).map((v) => D.pseudonym(d.id, v.id)).sort());
  assert.equal(doc.inputs.voter_franchise.length, 5);
});

test('a ballot row that is no voter\'s (damage) fails the conclusion rather than being counted', async () => {
  const voters = await people(2);
  const d = (await D.createDecision(server, svc, plurality, [0, 200, 200, 1500],
    { voter_franchise: voters.map((v) => v.id) })).json;
  await D.sleepUntil(d.voting_phase.opens_at);
  assert.equal((await D.cast(server, voters[0], d.id, 'x')).status, 201);
  // A database writer copies the ballot to a slot no voter has.
  const bogus = crypto.randomBytes(32).toString('hex');
  h.superSql(`INSERT INTO decision.ballots (decision_id, slot, sealed)
                SELECT decision_id, '\\x${bogus}', sealed FROM decision.ballots
                 WHERE decision_id = '${d.id}'`);
  await D.sleepUntil(d.voting_phase.closes_at);
  await h.sleep(1500);
  const row = h.superSql(`SELECT coalesce(outcome, 'none') || '|' || coalesce(last_error, '')
                            FROM decision.decisions WHERE id = '${d.id}'`);
  assert.match(row, /^none\|.*(does not open|no voter)/, 'not concluded; why is recorded');
  // Mended, it concludes with the one real ballot.
  h.superSql(`DELETE FROM decision.ballots WHERE decision_id = '${d.id}' AND slot = '\\x${bogus}'`);
  assert.equal((await D.waitState(server, svc, d.id, ['concluded', 'failed'], 20000)).state, 'concluded');
  assert.equal((await D.verifiedResult(server, d.id)).payload.inputs.ballots.length, 1);
});

test('decisions made before padding (ballot_size NULL) still cast and conclude', async () => {
  const voters = await people(3);
  const d = (await D.createDecision(server, svc, plurality, [0, 300, 300, 2000],
    { voter_franchise: voters.map((v) => v.id) })).json;
  h.superSql(`UPDATE decision.decisions SET ballot_size = NULL WHERE id = '${d.id}'`);
  await D.sleepUntil(d.voting_phase.opens_at);
  const sent = ['a', 'bb', 'ccc'];
  for (const [i, v] of voters.entries()) assert.equal((await D.cast(server, v, d.id, sent[i])).status, 201);
  assert.equal(h.superSql(`SELECT string_agg(length(sealed)::text, ',' ORDER BY length(sealed))
                             FROM decision.ballots WHERE decision_id = '${d.id}'`), '65,66,67',
  'sealed unpadded, as before migration 0005');
  await D.sleepUntil(d.voting_phase.closes_at);
  assert.equal((await D.waitState(server, svc, d.id, ['concluded', 'failed'])).state, 'concluded');
  const doc = (await D.verifiedResult(server, d.id)).payload;
  assert.deepEqual(doc.inputs.ballots.map((b) => Buffer.from(b.payload, 'base64').toString()).sort(), sent);
});

// ---- the database roles ----

const SERVER = h.env('FREECOOP_TEST_CONNINFO_SERVER');
const OPERATOR = h.env('FREECOOP_TEST_CONNINFO_OPERATOR');
const SUPER = h.env('FREECOOP_TEST_CONNINFO_SUPER');
const PG_OS_USER = process.env.FREECOOP_TEST_PG_OS_USER;
const without = (conninfo, key) => conninfo.split(/\s+/).filter((kv) => !kv.startsWith(`${key}=`)).join(' ');
const as = (conninfo, user) => `user=${user} ${without(without(conninfo, 'user'), 'passfile')}`;

function connects(conninfo, opts = {}) {
  const r = psql(conninfo, 'SELECT current_user', { allowError: true, ...opts });
  return { ok: r.status === 0, err: r.stderr };
}

test('every role authenticates: no trust, no password-less login', () => {
  assert.equal(h.superSql("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method IN ('trust', 'password', 'md5')"),
    '0', 'no trust (or clear-text) authentication in pg_hba.conf');
  assert.equal(h.superSql("SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL"), '0');
  // With their pass files, the two password roles connect (SCRAM).
  assert.ok(connects(SERVER).ok, 'freecoop_server with its pass file');
  assert.ok(connects(OPERATOR).ok, 'freecoop_operator with its pass file');
  assert.equal(h.superSql("SELECT count(*) FROM pg_authid WHERE rolname IN ('freecoop_server', 'freecoop_operator') AND rolpassword LIKE 'SCRAM-SHA-256$%'"),
    '2', 'only SCRAM verifiers are stored');
  // Without credentials, nobody gets in.
  const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fc-nopass-')), 'none');
  fs.writeFileSync(empty, '', { mode: 0o600 });
  for (const user of ['freecoop_server', 'freecoop_operator']) {
    const r = connects(`${as(SERVER, user)} passfile=${empty}`);
    assert.equal(r.ok, false, `${user} without a password`);
    assert.match(r.err, /password/i, user);
    const wrong = path.join(path.dirname(empty), `${user}.wrong`);
    fs.writeFileSync(wrong, `*:*:*:${user}:${crypto.randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
    const w = connects(`${as(SERVER, user)} passfile=${wrong}`);
    assert.equal(w.ok, false, `${user} with a wrong password`);
    assert.match(w.err, /password authentication failed/i, user);
  }
  for (const user of ['freecoop_owner', 'decision_operator', 'freecoop_test_nobody']) {
    assert.equal(connects(`${as(SERVER, user)} passfile=${empty}`).ok, false, user);
  }
  // The superuser: only by peer authentication as the cluster's OS owner.
  if (PG_OS_USER) {
    const root = psql(as(SUPER, 'postgres'), 'SELECT 1', { allowError: true, osUser: 'root' });
    assert.notEqual(root.status, 0, 'root (not the postgres OS user) is not the superuser');
    assert.match(root.stderr, /peer authentication failed/i);
    for (const user of [process.env.FREECOOP_TEST_SERVER_USER, 'nobody']) {
      const r = psql(as(SUPER, 'postgres'), 'SELECT 1', { allowError: true, osUser: user });
      assert.notEqual(r.status, 0, `OS user ${user} as the superuser`);
    }
  }
  // The superuser's only way in is peer authentication (no password works for it).
  assert.equal(h.superSql(`SELECT string_agg(auth_method || ' ' || array_to_string(user_name, ','), ';')
                             FROM pg_hba_file_rules WHERE 'postgres' = ANY (user_name) OR 'all' = ANY (user_name)`),
  'peer postgres');
  fs.rmSync(path.dirname(empty), { recursive: true, force: true });
});

// ---- the processes ----

function uids(pid) {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'));
  return line.split(/\s+/).slice(1).map(Number);
}

test('no process of ours runs as root', { skip: process.getuid() !== 0 && 'the tests do not run as root' }, async () => {
  const uidOf = (user) => Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const serverUid = uidOf(process.env.FREECOOP_TEST_SERVER_USER);
  assert.notEqual(serverUid, 0);
  assert.deepEqual(uids(server.proc.pid), [serverUid, serverUid, serverUid, serverUid],
    'the api-server (real, effective, saved, fs uid) is its dedicated user');
  const workerPid = Number(process.env.FREECOOP_TEST_WORKER_PID);
  const workerUid = uidOf(process.env.FREECOOP_TEST_WORKER_USER);
  assert.notEqual(workerUid, 0);
  assert.notEqual(workerUid, serverUid, 'the count-worker has a user of its own');
  assert.notEqual(process.env.FREECOOP_TEST_WORKER_USER, 'nobody');
  assert.deepEqual(uids(workerPid), [workerUid, workerUid, workerUid, workerUid], 'the count-worker');

  // Without a user to become, they refuse to run as root.
  const refused = await h.runServerUntilExit({ FREECOOP_USER: undefined });
  assert.notEqual(refused.code, 0);
  assert.equal(refused.answered, false);
  assert.ok(refused.logs.some((l) => /refusing to run as root/.test(l)), refused.logs.join('\n'));
  const w = spawnSync(process.env.FREECOOP_WORKER_BIN,
    ['--socket', path.join(os.tmpdir(), `fc-root-${process.pid}.sock`)],
    { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 20000 });
  assert.notEqual(w.status, 0);
  assert.match(w.stderr, /refusing to run as root/);
});
