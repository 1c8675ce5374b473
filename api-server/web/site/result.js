// A concluded decision's signed result, verified on this device (DESIGN §7), then charted.
// The count itself is re-run by scripts/verify-result, not here.

import * as api from './api.js';
import * as store from './store.js';
import { h, fill, errorLine, fromBase64 } from './dom.js';
import { verifyCompactJws, sha256Hex, b64urlToBytes } from './jws.js';
import { methodCode } from './ballot.js';
import { barChart, rowTotal } from './chart.js';

const enc = encodeURIComponent;
let jwks = null;
// The JWKS, once per page load (a failed fetch is tried again next time).
function authorities() {
  if (!jwks) {
    jwks = api.call('GET', '/v1/authorities');
    jwks.then((r) => { if (!r.ok) jwks = null; });
  }
  return jwks;
}

// The core's copy; once purged there (410), the one FreeCoop keeps for good.
async function fetchResult(d, gid) {
  const r = await api.call('GET', `/v1/decisions/${enc(d.id)}/result`);
  if (r.ok || (r.status !== 410 && r.status !== 404)) return r;
  const kept = await api.call('GET', `/coop/v1/groups/${enc(gid)}/decisions/${enc(d.id)}/result`);
  return kept.ok ? kept : r;
}

const b64ToBytes = (s) => b64urlToBytes(String(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));

async function signedBy(key, sig, bytes) {
  try {
    const k = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: key.x }, { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, k, b64ToBytes(sig), bytes);
  } catch {
    return false;
  }
}

// The checks, in order, stopping at the first that fails: {passed: [text], failed, doc}.
async function check(d, jws, keys, receipt) {
  const passed = [];
  const fail = (failed) => ({ passed, failed, doc: null });
  const v = await verifyCompactJws(jws, keys);
  if (!v.ok) return fail(v.reason);
  const key = keys.keys.find((k) => k.kid === v.header.kid);
  if (key.decision_authority !== true) return fail(`The key that signed it (“${key.name || key.kid}”) may not sign results.`);
  if (v.header.typ !== 'JOSE' || v.header.cty !== 'decision-result+json') return fail('The signed document is not a decision result.');
  passed.push(`Signed by the decision authority “${key.name || key.kid}”: the Ed25519 signature checks out on this device.`);

  const doc = v.payload;
  if (doc.version !== 1 || !doc.decision || doc.decision.id !== d.id) {
    return fail('The signed document is the result of another decision, not of this one.');
  }
  passed.push(`It is the result of this decision (“${doc.decision.title}”).`);

  const m = doc.method || {};
  if (!/^[0-9a-f]{64}$/.test(m.id || '')) return fail('The document does not name its voting method by a SHA-256 id.');
  const got = await methodCode(m.id);
  if (!got.ok) return fail(`The voting method's code could not be fetched: ${got.error.detail}`);
  const code = new TextEncoder().encode(String(got.data.code));
  const sha = await sha256Hex(code);
  if (sha !== m.id) return fail(`The voting method's code hashes to ${sha.slice(0, 16)}…, not to the id ${m.id.slice(0, 16)}… the document names.`);
  passed.push(`The voting method “${m.name}”: its code's SHA-256 is the id the document names (${m.id.slice(0, 12)}…).`);

  const auditors = [];
  for (const kid of m.auditors || []) {
    const k = keys.keys.find((x) => x.kid === kid && x.code_auditor === true);
    const s = (got.data.signatures || []).find((x) => x.auditor === kid && !x.revoked);
    if (!k || !s || !(await signedBy(k, s.signature, code))) return fail(`The auditor ${kid} named by the document did not sign this code.`);
    auditors.push(`“${k.name || kid}”`);
  }
  if (!auditors.length) return fail('The document names no auditor of the voting method.');
  passed.push(`Its code is signed by the auditor${auditors.length > 1 ? 's' : ''} ${auditors.join(', ')}.`);

  const ballots = (doc.inputs && Array.isArray(doc.inputs.ballots)) ? doc.inputs.ballots : [];
  const n = `ballots counted (${ballots.length} in all)`;
  if (receipt) {
    if (!ballots.some((b) => b.id === receipt.id)) {
      return fail(`Your ballot (receipt ${receipt.id}) is not among the ${n}. `
        + '(If you voted again from another device, that later ballot replaced it.)');
    }
    passed.push({ receipt: true, text: `Your ballot was counted: your receipt ${receipt.id} (kept by ${receipt.from}) is among the ${n}.` });
  } else {
    passed.push(`You have no receipt for this decision (you did not vote, or not from this device), so there is `
      + `no ballot of yours to look for among the ${n}.`);
  }
  return { passed, failed: null, doc };
}

// The receipt this device kept, else the one the server says is the person's.
async function myReceipt(d) {
  const who = api.currentPerson();
  const kept = who ? await store.getReceipt(who.id, d.id).catch(() => undefined) : undefined;
  if (kept) return { id: kept.ballot_id, from: 'this device' };
  const b = await api.myBallot(d.id);
  return b.ok && b.data.ballot_id ? { id: b.data.ballot_id, from: 'the server' } : null;
}

const num = (v) => {
  const [a, b] = String(v).split('/').map(Number);
  return b ? a / b : a || 0;
};
const plural = (n, w) => `${n} ${w}${num(n) === 1 ? '' : 's'}`;

// The chart's title and rows from a method's result (count-worker/methods/README.md).
function chartOf(res, ids, label) {
  const adopted = new Set(res.adopted || []);
  const row = (id, more) => ({ id, label: label(id), adopted: adopted.has(id), ...more });
  const counts = (map, word) => ids.map((id) => row(id, { value: num(map[id]), text: plural(map[id] || 0, word) }));
  if (res.motions) {
    return ['Votes on each proposal', ids.map((id) => {
      const m = res.motions[id] || {};
      return row(id, { segments: [{ value: m.yes || 0, cls: 'seg-yes' }, { value: m.no || 0, cls: 'seg-no' },
        { value: m.abstain || 0, cls: 'seg-abstain' }], text: `Yes ${m.yes || 0} · No ${m.no || 0} · Abstain ${m.abstain || 0}` });
    })];
  }
  if (res.grades && res.grade_names) {
    return ['Grades of each proposal, best grade first', ids.map((id) => row(id, {
      segments: (res.grades[id] || []).map((value, i) => ({ value, cls: `seg-g${Math.min(i, 5)}` })),
      text: `Majority grade: ${(res.majority_grade || {})[id] || 'none'}` }))];
  }
  if (res.pairwise && Array.isArray(res.ranking)) {
    const place = new Map();
    res.ranking.forEach((g, i) => [].concat(g).forEach((id) => place.set(id, i + 1)));
    return ['Head-to-head wins (Schulze)', ids.map((id) => {
      const wins = ids.filter((o) => o !== id && num((res.pairwise[id] || {})[o]) > num((res.pairwise[o] || {})[id])).length;
      return row(id, { value: wins, text: `Place ${place.get(id) || '–'} · beats ${wins} of ${ids.length - 1}` });
    })];
  }
  if (Array.isArray(res.rounds)) {
    const last = {};
    for (const r of res.rounds) Object.assign(last, r.counts || r.scores || {});
    return ['Votes in each proposal’s last round', counts(last, 'vote')];
  }
  for (const [key, word, title] of [['counts', 'vote', 'Votes'], ['approvals', 'approval', 'Approvals'],
    ['objections', 'objection', 'Objections'], ['points', 'point', 'Borda points'], ['totals', 'point', 'Total scores']]) {
    if (res[key]) return [title, counts(res[key], word)];
  }
  return ['Adopted', ids.map((id) => row(id, { value: adopted.has(id) ? 1 : 0, text: adopted.has(id) ? 'Adopted' : 'Not adopted' }))];
}

function outcomeOf(doc, describe) {
  const o = doc.outcome || {};
  if (o.status !== 'ok') return h('p', { class: 'error', 'data-test': 'result-error' }, `The count failed (${o.error}): ${o.message}`);
  let res;
  try { res = JSON.parse(fromBase64(o.result)); } catch { return h('p', { class: 'error' }, 'The result is not readable JSON.'); }
  const props = new Map((doc.inputs.proposals || []).map((p) => [p.id, p]));
  const label = (id) => (props.has(id) ? describe(props.get(id)) : id);
  const [title, rows] = chartOf(res, [...props.keys()], label);
  // In the method's ranking if any, else biggest first (stable: id order in ties).
  const order = Array.isArray(res.ranking) ? res.ranking.flat() : null;
  rows.sort(order ? (a, b) => order.indexOf(a.id) - order.indexOf(b.id) : (a, b) => rowTotal(b) - rowTotal(a));
  return h('figure', { class: 'result-figure' }, h('figcaption', {}, title), rows.length ? barChart({ title, rows }) : 'No proposals.');
}

export function resultPanel(d, g, describe) {
  const box = h('div', { class: 'vote-result', 'data-test': 'result', 'aria-busy': 'true' },
    h('p', { class: 'loading' }, 'Checking the signed result…'));
  (async () => {
    const [r, keys, receipt] = await Promise.all([fetchResult(d, g.gid), authorities(), myReceipt(d)]);
    box.removeAttribute('aria-busy');
    if (!r.ok || !keys.ok) return fill(box, errorLine({ detail: `The signed result could not be fetched: ${(!r.ok ? r : keys).error.detail}` }));
    const c = await check(d, typeof r.data === 'string' ? r.data : '', keys.data, receipt);
    const list = (items) => h('ul', { class: 'checks' }, items.map((p) => h('li', {
      'data-test': p.receipt ? 'result-receipt' : 'result-check' }, p.text || p)));
    const ok = !c.failed;
    const mine = c.passed.find((p) => p.receipt);
    // Verified: the word and one's own ballot in sight, the checks one click away.
    const verdict = h('div', { class: `vote-verdict ${ok ? 'verified' : 'failed'}`, role: ok ? 'status' : 'alert',
      'data-test': 'result-verdict', 'data-verified': String(ok) },
      h('p', { class: 'vote-verdict-word' }, ok ? 'Verified' : 'NOT verified'),
      ok ? [mine && list([mine]), h('details', {}, h('summary', {}, 'What this page checked'),
        list(c.passed.filter((p) => p !== mine)),
        h('p', { class: 'hint' }, 'The count itself is re-run by scripts/verify-result, not in the browser.'))]
        : [h('p', { 'data-test': 'result-failure' }, c.failed),
          c.passed.length ? [h('p', {}, 'What did check out before that:'), list(c.passed)] : null]);
    fill(box, h('h4', {}, 'The signed result'), verdict, c.doc ? outcomeOf(c.doc, describe) : null);
  })().catch((e) => fill(box, errorLine({ detail: `The result could not be checked: ${e.message || e}` })));
  return box;
}
