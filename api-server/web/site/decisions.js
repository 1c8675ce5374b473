// A group's decisions: their state, whether this person still needs to vote (worked out
// here, so the server never lists who has not voted), ballot form, receipt and result.

import * as api from './api.js';
import { h, fill, errorLine, timeEl, fromBase64 } from './dom.js';
import { kindOf, ballotForm } from './ballot.js';
import { resultPanel } from './result.js';
import { money } from './books-forms.js';

const OPEN = new Set(['proposing', 'voting', 'counting']);

// g: {names: Map id -> name, types: the charter's decision_types, at(iso, fn), needs(id, bool)}

export function personName(g, id) {
  return g.names.get(id) || `someone not in the group (${String(id).slice(0, 8)}…)`;
}

// An action in words, by the effect of the decision's type.
export function describeAction(action, effect, g) {
  if (!action || typeof action !== 'object') return JSON.stringify(action);
  const who = action.person ? personName(g, action.person) : '';
  switch (effect) {
    case 'admit_member': return `Admit ${who}`;
    case 'remove_member': return `Remove ${who}`;
    case 'assign_role': return `Give ${who} the role “${action.role}”`;
    case 'revoke_role': return `Take the role “${action.role}” from ${who}`;
    case 'resolution': return `Resolve: “${action.text}”`;
    case 'amend_charter': return 'Adopt a new charter';
    case 'approve_expense': {
      const e = action.entry || {};
      const out = (e.postings || []).filter((p) => p.amount > 0);
      const sum = g && g.exponent !== undefined
        ? `${money(out.reduce((t, p) => t + p.amount, 0), g.exponent)} ${g.currency}` : '';
      return `Approve the expense “${e.memo || ''}” of ${e.date || '?'}${sum ? ` (${sum})` : ''}`;
    }
    case 'allocate_surplus': return `Allocate the surplus of ${action.year}`;
    default: return JSON.stringify(action);
  }
}

function describeProposal(p, effect, g) {
  let action;
  try { action = JSON.parse(fromBase64(p.payload)); } catch { return 'A proposal that is not readable text'; }
  const text = describeAction(action, effect, g);
  if (p.proposer === '') return text;
  return `${p.mine ? 'Your proposal' : 'A member’s proposal'}: ${typeof action === 'object' ? text : String(action)}`;
}

function stateLine(d) {
  switch (d.state) {
    case 'proposing': return ['Taking proposals until ', timeEl(d.proposal_phase.closes_at),
      '; voting from then until ', timeEl(d.voting_phase.closes_at), '.'];
    case 'voting': return ['Voting until ', timeEl(d.voting_phase.closes_at), '.'];
    case 'counting': return 'Voting has closed; the votes are being counted.';
    case 'applied': return d.log_seq ? `Decided and applied (log entry #${d.log_seq}).` : 'Decided and applied.';
    case 'failed': return 'The count failed, so nothing was applied.';
    default: return d.state;
  }
}

function outcome(d, effect, g) {
  if (d.state !== 'applied') return null;
  const applied = d.applied || [];
  const refused = d.refused || [];
  if (!applied.length && !refused.length) return h('p', {}, 'Nothing was adopted.');
  return h('ul', { class: 'outcome' },
    applied.map((a) => h('li', {}, 'Done: ', describeAction(a, effect, g))),
    refused.map((r) => h('li', {}, 'Adopted but not applied: ', describeAction(r.action, effect, g), ` — ${r.reason}`)));
}

export function decisionItem(d, g) {
  const type = g.types[d.type] || {};
  const effect = type.effect || d.type;
  const vote = h('div', { class: 'vote' });
  const li = h('li', { class: 'card decision', 'data-test': 'decision', 'data-id': d.id, 'data-state': d.state },
    h('h3', {}, d.title),
    h('p', { class: 'meta' }, `${d.type} · `, h('span', { 'data-test': 'decision-state' }, stateLine(d))),
    outcome(d, effect, g),
    vote);
  if (OPEN.has(d.state)) showVote(vote, d, effect, g);
  else if (d.state === 'applied' || d.state === 'failed') vote.append(resultPanel(d, g, (p) => describeProposal(p, effect, g)));
  return li;
}

// Reads the person's place in the decision at the core and shows what they can do.
async function showVote(area, d, effect, g, after = null) {
  area.setAttribute('aria-busy', 'true');
  fill(area, h('p', { class: 'loading' }, 'Checking your vote…'));
  const [core, mine] = await Promise.all([api.coreDecision(d.id), api.myBallot(d.id)]);
  area.removeAttribute('aria-busy');
  const refresh = () => showVote(area, d, effect, g);
  g.needs(d.id, false);
  if (!core.ok || !mine.ok) {
    const miss = !core.ok ? core : mine;
    if (miss.status === 404) {
      return fill(area, h('p', { 'data-test': 'vote-status' },
        'You do not vote in this decision: its voters are the members who held a voting role when it started.'));
    }
    return fill(area, errorLine(miss.error));
  }
  const c = core.data;
  const b = mine.data;
  const status = (text) => h('p', { class: 'status', 'data-test': 'vote-status' }, text);
  if (!b.voter) return fill(area, status('You do not vote in this decision.'));
  if (c.state === 'scheduled' || c.state === 'proposing') {
    g.at(c.voting_phase.opens_at, refresh);
    return fill(area, status(['You vote in this decision. Voting opens ', timeEl(c.voting_phase.opens_at), '.']));
  }
  const receipt = b.ballot_id ? receiptBox(after && after.ballot_id === b.ballot_id ? after : { ballot_id: b.ballot_id }) : null;
  if (c.state !== 'voting') {
    return fill(area, status(b.voted ? 'You voted; voting has closed.' : 'You did not vote; voting has closed.'), receipt);
  }
  g.at(c.voting_phase.closes_at, () => { if (!area.querySelector('form')) refresh(); });
  const canVoteHere = kindOf(c.method.name) !== null;
  const ballot = () => ballotForm(d, c.method, (p) => describeProposal(p, effect, g), (cast) => showVote(area, d, effect, g, cast));
  if (b.voted) {
    const change = h('button', {
      type: 'button', class: 'secondary', 'data-test': 'vote-change',
      onclick: async () => {
        const f = await ballot();
        change.replaceWith(f);
        // Keep the keyboard where the button was: on the form's first control.
        const first = f.querySelector('input, select, [tabindex="0"]');
        if (first) first.focus();
      },
    }, 'Change my vote');
    fill(area,
      status(['You voted. You may change your vote until ', timeEl(c.voting_phase.closes_at), '.']),
      receipt, canVoteHere ? change : null);
    // Just cast: focus the receipt, so that it is read out and focus is not lost with the form.
    if (after && receipt) receipt.focus();
    return;
  }
  g.needs(d.id, true);
  fill(area,
    h('p', { class: 'needs-vote', 'data-test': 'vote-status' }, 'Needs your vote — voting closes ', timeEl(c.voting_phase.closes_at), '.'),
    canVoteHere ? await ballot()
      : h('p', { 'data-test': 'no-ballot-form' }, `This page has no ballot form for the voting method “${c.method.name}”: `
        + 'vote with another client of the API.'));
}

function receiptBox(r) {
  return h('div', { class: 'receipt', 'data-test': 'receipt', tabindex: '-1' },
    h('p', {}, r.replaced === true ? 'Your new ballot replaced the earlier one. ' : '', 'Your receipt: ',
      h('code', { 'data-test': 'receipt-id' }, r.ballot_id)),
    h('p', { class: 'hint' }, 'The receipt is published with your ballot — not with your name — in the '
      + 'signed result, so you can check that your ballot was counted. Casting again replaces this ballot: '
      + 'only the last one counts, and it has a new receipt.'));
}
