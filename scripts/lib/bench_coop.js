'use strict';
// Helpers of scripts/bench-coop, in Node.js (built-ins only: fetch, node:fs).
//
//   me URL OUT_JSON
//       One person signs up (POST /coop/v1/people), claims their tokens at the core
//       (POST /v1/accounts/{id}/authorization-token, POST /v1/access-tokens) and founds a
//       group "Bench" under the default charter, so that GET /coop/v1/me lists one group.
//       Checks that GET /v1/me and GET /coop/v1/me answer 200 with that token. Writes
//       {"id", "token", "group", "charter"} (charter: the default charter, as
//       GET /coop/v1/groups/{gid}/charter gives it).
//   people URL ME_JSON N PROPOSAL_S VOTING_S CONCURRENCY OUT_JSON
//       A founder signs up and founds a group under the default charter with every decision
//       type's proposal_seconds and voting_seconds set to PROPOSAL_S and VOTING_S; then N
//       people sign up, claim their tokens and apply to it (POST .../applications {}),
//       CONCURRENCY at a time. Writes {"founder": {"id", "token"}, "group", "people": [id],
//       "seconds"}.
//   start URL PEOPLE_JSON OUT_JSON
//       The founder starts an admit_member decision with one proposal {"person": id} per
//       person. Writes {"decision", "voting_phase", "t": {"start", "started"}}.
//   vote URL PEOPLE_JSON START_JSON OUT_JSON
//       Waits for the decision's voting phase, votes yes on every proposal as the founder
//       (GET /v1/decisions/{id}/proposals, then one ballot), then polls GET
//       /coop/v1/groups/{gid}/decisions every 20 ms until the decision is applied (or
//       failed). Then reads the result (counted_at), the group's log entry for the decision
//       and the members. Writes START_JSON's members and more: the phases' times, the
//       client's clock readings (ms since the epoch), the ballot's size and the checks.
//   groups URL ME_JSON N OUT
//       N more groups under the default charter (8 at a time): the person of ME_JSON founds
//       the first two, a new person each of the others (so each is member and treasurer of
//       their own, as a co-op's treasurer is). Writes "<group id> <founder's access token>",
//       one group a line.
// Every unexpected answer ends the run with exit status 1 and the answer on stderr.
const fs = require('node:fs');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function api(url, method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let data;
  if (body !== undefined) {
    data = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(url + path, { method, headers, body: data, signal: AbortSignal.timeout(60000) });
  } catch (e) {
    throw new Error(`${method} ${path}: no answer (${e.cause ? e.cause.code || e.cause.message : e.message})`);
  }
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, text, json };
}

// api(), but any status other than want ends the run.
async function must(want, url, method, path, opts) {
  const r = await api(url, method, path, opts);
  if (r.status !== want) throw new Error(`${method} ${path}: HTTP ${r.status} (wanted ${want}): ${r.text.slice(0, 400)}`);
  return r;
}

// A person signed up and holding an access token: {id, token}.
async function person(url, name) {
  const p = await must(201, url, 'POST', '/coop/v1/people', { body: { name } });
  const id = p.json.id;
  const aut = (await must(201, url, 'POST', `/v1/accounts/${id}/authorization-token`)).json.authorization_token;
  const token = (await must(201, url, 'POST', '/v1/access-tokens', { token: aut })).json.access_token;
  return { id, token };
}

async function cmdMe(url, out) {
  const me = await person(url, 'Bench reader');
  const g = await must(201, url, 'POST', '/coop/v1/groups', { token: me.token, body: { name: 'Bench' } });
  const c = await must(200, url, 'GET', `/coop/v1/groups/${g.json.id}/charter`, { token: me.token });
  await must(200, url, 'GET', '/v1/me', { token: me.token });
  const cm = await must(200, url, 'GET', '/coop/v1/me', { token: me.token });
  if (!Array.isArray(cm.json.groups) || cm.json.groups.length !== 1) {
    throw new Error(`GET /coop/v1/me does not list the one group: ${cm.text.slice(0, 400)}`);
  }
  fs.writeFileSync(out, JSON.stringify({ id: me.id, token: me.token, group: g.json.id, charter: c.json.charter }));
}

async function cmdPeople(url, meFile, n, proposalS, votingS, conc, out) {
  const t0 = Date.now();
  const charter = JSON.parse(fs.readFileSync(meFile, 'utf8')).charter;
  for (const t of Object.values(charter.decision_types)) {
    t.proposal_seconds = Number(proposalS);
    t.voting_seconds = Number(votingS);
  }
  const founder = await person(url, 'Bench founder');
  const g = await must(201, url, 'POST', '/coop/v1/groups',
    { token: founder.token, body: { name: 'Bench admission', charter } });
  const gid = g.json.id;
  const people = new Array(Number(n));
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < people.length; i = next++) {
      const p = await person(url, `Applicant ${i + 1}`);
      await must(201, url, 'POST', `/coop/v1/groups/${gid}/applications`, { token: p.token, body: {} });
      people[i] = p.id;
    }
  };
  await Promise.all(Array.from({ length: Number(conc) }, lane));
  fs.writeFileSync(out, JSON.stringify({ founder, group: gid, people, seconds: (Date.now() - t0) / 1000 }));
}

const b64url = (s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

async function cmdStart(url, peopleFile, out) {
  const { founder, group: gid, people } = JSON.parse(fs.readFileSync(peopleFile, 'utf8'));
  const r = { group: gid, n: people.length, t: {} };
  r.t.start = Date.now();
  const d = (await must(201, url, 'POST', `/coop/v1/groups/${gid}/decisions`, {
    token: founder.token,
    body: { type: 'admit_member', title: `Admit ${people.length}`, proposals: people.map((p) => ({ person: p })) },
  })).json;
  r.t.started = Date.now();
  r.decision = d.id;
  r.voting_phase = d.voting_phase;
  fs.writeFileSync(out, JSON.stringify(r));
}

async function cmdVote(url, peopleFile, startFile, out) {
  const { founder, group: gid, people } = JSON.parse(fs.readFileSync(peopleFile, 'utf8'));
  const who = { token: founder.token };
  const r = JSON.parse(fs.readFileSync(startFile, 'utf8'));
  const d = { id: r.decision, voting_phase: r.voting_phase };
  const opens = Date.parse(d.voting_phase.opens_at);
  const closes = Date.parse(d.voting_phase.closes_at);
  if (opens > Date.now()) await sleep(opens - Date.now() + 20);
  const props = (await must(200, url, 'GET', `/v1/decisions/${d.id}/proposals`, who)).json.proposals;
  r.proposals = props.length;
  const ballot = { votes: {} };
  for (const p of props) ballot.votes[p.id] = 'yes';
  const text = JSON.stringify(ballot);
  r.ballot_bytes = Buffer.byteLength(text, 'utf8');
  const payload = Buffer.from(text, 'utf8').toString('base64');
  await must(201, url, 'POST', `/v1/decisions/${d.id}/ballots`, { ...who, body: { payload } });
  r.t.voted = Date.now();
  if (r.t.voted >= closes) throw new Error(`the ballot was cast after the voting phase closed (${d.voting_phase.closes_at})`);

  // Until the list says applied (or failed), every 20 ms.
  let item;
  const deadline = closes + 120000;
  r.polls = 0;
  for (;;) {
    const l = await must(200, url, 'GET', `/coop/v1/groups/${gid}/decisions`, who);
    r.polls++;
    item = l.json.decisions.find((x) => x.id === d.id);
    if (item && (item.state === 'applied' || item.state === 'failed')) break;
    if (Date.now() > deadline) throw new Error(`decision ${d.id} is still ${item && item.state} 120 s after its voting closed`);
    await sleep(20);
  }
  r.t.seen_applied = Date.now();
  r.state = item.state;
  r.listed_applied = (item.applied || []).length;
  r.listed_refused = (item.refused || []).length;
  r.end_to_end_ms = r.t.seen_applied - closes;

  const jws = (await must(200, url, 'GET', `/v1/decisions/${d.id}/result`)).text.trim();
  const doc = b64url(jws.split('.')[1]);
  r.counted_at = doc.counted_at;
  const log = (await must(200, url, 'GET', `/coop/v1/groups/${gid}/log`, who)).json;
  const e = log.entries.find((x) => x.decision === d.id);
  if (!e) throw new Error(`the group's log has no entry for decision ${d.id}`);
  r.log_seq = e.seq;
  r.log_at = e.at;
  r.log_applied = (e.applied || []).length;
  r.log_refused = (e.refused || []).length;
  r.counted_to_log_at_ms = Date.parse(e.at) - Date.parse(doc.counted_at);
  // Date.parse keeps milliseconds; the microseconds of both stamps, for the exact figure.
  const us = (s) => { const m = /\.(\d+)/.exec(s); return m ? Number((m[1] + '000000').slice(3, 6)) / 1000 : 0; };
  r.counted_to_log_at_ms += us(e.at) - us(doc.counted_at);
  const m = (await must(200, url, 'GET', `/coop/v1/groups/${gid}/members`, who)).json.members;
  r.members = m.length;
  const set = new Set(m.map((x) => x.id));
  r.missing_members = people.filter((p) => !set.has(p)).length;
  fs.writeFileSync(out, JSON.stringify(r));
}

async function cmdGroups(url, meFile, n, out) {
  const me = JSON.parse(fs.readFileSync(meFile, 'utf8'));
  const rows = new Array(Number(n));
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < rows.length; i = next++) {
      const t = i < 2 ? me : await person(url, `Bench treasurer ${i + 1}`);
      const g = await must(201, url, 'POST', '/coop/v1/groups',
        { token: t.token, body: { name: `Bench books ${i + 1}` } });
      rows[i] = `${g.json.id} ${t.token}`;
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  fs.writeFileSync(out, rows.join('\n') + '\n');
}

const [cmd, ...args] = process.argv.slice(2);
const cmds = { me: cmdMe, people: cmdPeople, start: cmdStart, vote: cmdVote, groups: cmdGroups };
if (!cmds[cmd]) {
  console.error('usage: bench_coop.js me URL OUT | people URL ME_JSON N PROPOSAL_S VOTING_S CONCURRENCY OUT | start URL PEOPLE_JSON OUT | vote URL PEOPLE_JSON START_JSON OUT | groups URL ME_JSON N OUT');
  process.exit(2);
}
cmds[cmd](...args).catch((e) => {
  console.error(`bench_coop.js ${cmd}: ${e.message}`);
  process.exit(1);
});
