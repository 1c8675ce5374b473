'use strict';
// Helpers for the FreeCoop suites: a server with FreeCoop ready and the library methods
// its default charter names registered, and people signed up with access tokens.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');
const D = require('./decisions');

const METHODS = path.resolve(__dirname, '..', '..', '..', 'count-worker', 'methods');
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
// The ids the default charter names: the SHA-256 of the library's code.
const YES_NO = sha256(fs.readFileSync(path.join(METHODS, 'yes_no.py')));
const TWO_THIRDS = sha256(fs.readFileSync(path.join(METHODS, 'yes_no_two_thirds.py')));

// A server whose FreeCoop answers, with yes_no and yes_no_two_thirds registered.
async function coopServer(env = {}) {
  const server = await h.startServer(env);
  for (let i = 0; i < 100 && (await h.api(server, 'GET', '/coop/v1/keys')).status !== 200; i++) {
    await h.sleep(50);
  }
  const auditor = D.newAuditor('coop');
  assert.equal(await D.libraryMethod(server, auditor, 'yes_no.py'), YES_NO);
  assert.equal(await D.libraryMethod(server, auditor, 'yes_no_two_thirds.py'), TWO_THIRDS);
  return server;
}

// A person signed up to FreeCoop, with an access token: {id, name, token}.
async function person(server, name = h.randomName('p')) {
  const r = await h.api(server, 'POST', '/coop/v1/people', { body: { name } });
  assert.equal(r.status, 201, r.text);
  const aut = await h.claim(server, r.json.id);
  return { id: r.json.id, name, token: await h.accessToken(server, aut) };
}

const os = require('node:os');
const { spawnSync } = require('node:child_process');
const VERIFY_LOG = path.resolve(__dirname, '..', '..', '..', 'scripts', 'verify-log');

const get = (server, who, p) => h.api(server, 'GET', p, { token: who.token });
const post = (server, who, p, body) => h.api(server, 'POST', p, { token: who.token, body });

// A group founded by who (under charter, else the default): the group as POST answers it.
async function found(server, who, charter) {
  const r = await post(server, who, '/coop/v1/groups', { name: h.randomName('g'), ...(charter ? { charter } : {}) });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

// The default charter with phases short enough for a test: proposals for proposalS
// seconds, voting for votingS, every type.
async function fastCharter(server, who, proposalS = 1, votingS = 2) {
  const g = await found(server, who);
  const c = (await get(server, who, `/coop/v1/groups/${g.id}/charter`)).json.charter;
  for (const t of Object.values(c.decision_types)) {
    t.proposal_seconds = proposalS;
    t.voting_seconds = votingS;
  }
  return c;
}

// The decision of group gid as its list shows it to who.
async function listed(server, who, gid, id) {
  const r = await get(server, who, `/coop/v1/groups/${gid}/decisions`);
  assert.equal(r.status, 200, r.text);
  return r.json.decisions.find((d) => d.id === id);
}

// Waits until decision id of group gid is applied or failed; returns its list item.
async function waitApplied(server, who, gid, id, ms = 30000) {
  const end = Date.now() + ms;
  let d;
  while (Date.now() < end) {
    d = await listed(server, who, gid, id);
    if (d && (d.state === 'applied' || d.state === 'failed')) return d;
    await h.sleep(100);
  }
  throw new Error(`decision ${id} stayed ${d && d.state}`);
}

// Each voter votes on every proposal of decision d (as the core lists them): votes(p)
// gives "yes" | "no" | "abstain" for proposal p ({id, action}); everyone yes by default.
async function voteAll(server, d, voters, votes = () => 'yes') {
  await D.sleepUntil(d.voting_phase.opens_at);
  for (const v of voters) {
    const r = await get(server, v, `/v1/decisions/${d.id}/proposals`);
    assert.equal(r.status, 200, r.text);
    const ballot = { votes: {} };
    for (const p of r.json.proposals) {
      let action;
      try { action = JSON.parse(Buffer.from(p.payload, 'base64').toString('utf8')); } catch { action = null; }
      ballot.votes[p.id] = votes({ id: p.id, action });
    }
    const c = await D.cast(server, v, d.id, JSON.stringify(ballot));
    assert.equal(c.status, 201, c.text);
  }
}

// Starts a decision of type in group g by who with actions, voters vote (voteAll), and
// waits until FreeCoop applied it: {decision (as started), listed (as listed once applied)}.
async function decide(server, who, g, type, actions, voters = [who], votes) {
  const r = await post(server, who, `/coop/v1/groups/${g.id}/decisions`,
    { type, title: h.randomName('t'), proposals: actions });
  assert.equal(r.status, 201, r.text);
  await voteAll(server, r.json, voters, votes);
  return { decision: r.json, listed: await waitApplied(server, who, g.id, r.json.id) };
}

// The group's whole log as who reads it.
async function log(server, who, gid) {
  const r = await get(server, who, `/coop/v1/groups/${gid}/log`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// Runs scripts/verify-log on logJson (an answer of GET .../log, or any text), with
// FreeCoop's and the core's keys and, unless results is false, the result of every
// decision entry as FreeCoop serves it (or as results maps decision id to text).
async function verifyLog(server, who, logJson, { results = true, knownHead, accounts = false } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-log-'));
  try {
    const text = typeof logJson === 'string' ? logJson : JSON.stringify(logJson);
    fs.writeFileSync(path.join(dir, 'log.json'), text);
    fs.writeFileSync(path.join(dir, 'keys.json'), (await h.api(server, 'GET', '/coop/v1/keys')).text);
    fs.writeFileSync(path.join(dir, 'authorities.json'), (await h.api(server, 'GET', '/v1/authorities')).text);
    const args = [VERIFY_LOG, '--log', path.join(dir, 'log.json'), '--keys', path.join(dir, 'keys.json')];
    if (results) {
      fs.mkdirSync(path.join(dir, 'results'));
      const entries = typeof logJson === 'string' ? JSON.parse(logJson).entries : logJson.entries;
      for (const e of entries.filter((x) => x.kind === 'decision')) {
        let jws = typeof results === 'object' ? results[e.decision] : undefined;
        if (jws === undefined) {
          const r = await get(server, who, `/coop/v1/groups/${e.group}/decisions/${e.decision}/result`);
          assert.equal(r.status, 200, r.text);
          jws = r.text;
        }
        fs.writeFileSync(path.join(dir, 'results', `${e.decision}.jws`), jws);
      }
      args.push('--authorities', path.join(dir, 'authorities.json'), '--results', path.join(dir, 'results'));
    }
    if (knownHead) args.push('--known-head', knownHead);
    if (accounts) {
      const entries = typeof logJson === 'string' ? JSON.parse(logJson).entries : logJson.entries;
      const r = await get(server, who, `/coop/v1/groups/${entries[0].group}/ledger/accounts`);
      assert.equal(r.status, 200, r.text);
      fs.writeFileSync(path.join(dir, 'accounts.json'), r.text);
      args.push('--accounts', path.join(dir, 'accounts.json'));
    }
    const p = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
    return { status: p.status, stdout: p.stdout, stderr: p.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = {
  YES_NO, TWO_THIRDS, sha256, coopServer, person, found, fastCharter, listed, waitApplied,
  voteAll, decide, log, verifyLog,
};
