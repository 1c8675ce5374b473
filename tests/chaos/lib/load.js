'use strict';
// Load for the chaos suites: many voters casting at once, with a record of exactly what
// each of them was told, so that a test can hold the published result to it.

const assert = require('node:assert/strict');
const h = require('../../integration/lib/harness');
const D = require('../../integration/lib/decisions');

// Runs fn(item) over items, at most n at a time; resolves with the results in order.
async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
  return out;
}

// n people of the service, each with an access token.
function people(server, svc, n) {
  return pool(Array.from({ length: n }), 16, () => D.person(server, svc));
}

// Casts one ballot for each voter, `lanes` requests at a time, until every voter was tried
// or stop() says so. Each voter's record gets what the client saw: status and json, or
// error (no response: the connection broke or was refused). onAnswer runs after each.
async function castAll(server, voters, decisionId, { lanes = 32, onAnswer = () => {}, stop = () => false } = {}) {
  const seen = new Map();
  await pool(voters, lanes, async (v, i) => {
    if (stop()) return;
    const rec = { voter: v, payload: `ballot ${i} of ${v.id}` };
    seen.set(v.id, rec);
    try {
      const r = await D.cast(server, v, decisionId, rec.payload);
      rec.status = r.status;
      rec.json = r.json;
      rec.retryAfter = r.headers.get('retry-after');
      rec.text = r.text;
    } catch (err) {
      assert.equal(err.code, 'NO_RESPONSE', err.message);
      rec.error = err.message;
    }
    onAnswer(rec);
  });
  return seen;
}

// The published result of a decision, checked against the receipts voters hold.
//   receipts: voter id -> the ballot_id the voter's last acknowledged cast returned,
//             or null for a voter known to have no ballot.
// Returns the verified result document.
async function assertResultHolds(server, decisionId, receipts) {
  const doc = (await D.verifiedResult(server, decisionId)).payload;
  assert.equal(doc.outcome.status, 'ok', JSON.stringify(doc.outcome));
  const want = [...receipts.values()].filter((r) => r !== null).sort();
  const got = doc.inputs.ballots.map((b) => b.id).sort();
  const missing = want.filter((id) => !got.includes(id));
  assert.deepEqual(missing, [], `${missing.length} acknowledged ballots missing from the result`);
  assert.deepEqual(got, want, 'the result holds exactly the last acknowledged ballot of each voter');
  const voted = [...receipts].filter(([, r]) => r !== null).map(([id]) => D.pseudonym(decisionId, id)).sort();
  assert.deepEqual(doc.inputs.participants, voted, 'participants are exactly the voters with a ballot');
  return doc;
}

// Asks the server, as each voter, for the voter's current ballot: voter id -> ballot_id
// or null.
async function currentBallots(server, decisionId, voters) {
  const out = new Map();
  await pool(voters, 16, async (v) => {
    const r = await h.api(server, 'GET', `/v1/decisions/${decisionId}/ballot`, { token: v.token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.voted, r.json.ballot_id !== null, `voted and ballot_id agree: ${r.text}`);
    out.set(v.id, r.json.ballot_id);
  });
  return out;
}

module.exports = { pool, people, castAll, assertResultHolds, currentBallots };
