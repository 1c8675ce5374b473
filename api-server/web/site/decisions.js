// A group's decisions: their state, whether this person still needs to vote (worked out
// here, from the core's "my ballot" answer, so the server never lists who has not voted),
// the yes/no ballot form, and the receipt.

import * as api from './api.js';
import { h, fill, form, showErrors, errorLine, timeEl, toBase64, fromBase64, uid } from './dom.js';

const OPEN = new Set(['proposing', 'voting', 'counting']);
// The library's yes_no methods (and variants such as yes_no_two_thirds) all take
// {"votes": {"<proposal id>": "yes" | "no" | "abstain"}}.
const YES_NO = /^yes_no(_|$)/;
const CHOICES = [['yes', 'Yes'], ['no', 'No'], ['abstain', 'Abstain']];

// g: {names: Map id -> name, types: the charter's decision_types, later(ms, fn), needs(id, bool)}

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
  return li;
}

// Reads the person's place in the decision at the core and shows what they can do.
async function showVote(area, d, effect, g, after = null) {
  area.setAttribute('aria-busy', 'true');
  fill(area, h('p', { class: 'loading' }, 'Checking your vote…'));
  const [core, mine] = await Promise.all([api.coreDecision(d.id), api.myBallot(d.id)]);
  area.removeAttribute('aria-busy');
  const refresh = () => showVote(area, d, effect, g);
  if (!core.ok || !mine.ok) {
    g.needs(d.id, false);
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
  if (!b.voter) {
    g.needs(d.id, false);
    return fill(area, status('You do not vote in this decision.'));
  }
  if (c.state === 'scheduled' || c.state === 'proposing') {
    g.needs(d.id, false);
    g.at(c.voting_phase.opens_at, refresh);
    return fill(area, status(['You vote in this decision. Voting opens ', timeEl(c.voting_phase.opens_at), '.']));
  }
  const receipt = b.ballot_id ? receiptBox(after && after.ballot_id === b.ballot_id ? after : { ballot_id: b.ballot_id }) : null;
  if (c.state !== 'voting') {
    g.needs(d.id, false);
    return fill(area, status(b.voted ? 'You voted; voting has closed.' : 'You did not vote; voting has closed.'), receipt);
  }
  g.at(c.voting_phase.closes_at, () => { if (!area.querySelector('form')) refresh(); });
  const method = c.method.name;
  const canVoteHere = YES_NO.test(method);
  const ballot = () => ballotForm(d, effect, g, (cast) => showVote(area, d, effect, g, cast));
  if (b.voted) {
    g.needs(d.id, false);
    const change = h('button', {
      type: 'button', class: 'secondary', 'data-test': 'vote-change',
      onclick: async () => {
        const f = await ballot();
        change.replaceWith(f);
        // Keep the keyboard where the button was: on the new form's first choice.
        const first = f.querySelector('input');
        if (first) first.focus();
      },
    }, 'Change my vote');
    fill(area,
      status(['You voted. You may change your vote until ', timeEl(c.voting_phase.closes_at), '.']),
      receipt, canVoteHere ? change : null);
    // Just cast: take focus to the receipt, so that it is read out and the form's focus is not lost.
    if (after && receipt) receipt.focus();
    return;
  }
  g.needs(d.id, true);
  fill(area,
    h('p', { class: 'needs-vote', 'data-test': 'vote-status' }, 'Needs your vote — voting closes ', timeEl(c.voting_phase.closes_at), '.'),
    canVoteHere ? await ballot()
      : h('p', {}, `This decision is counted by “${method}”, whose ballot form is not on this page yet.`));
}

function receiptBox(r) {
  return h('div', { class: 'receipt', 'data-test': 'receipt', tabindex: '-1' },
    h('p', {}, r.replaced === true ? 'Your new ballot replaced the earlier one. ' : '', 'Your receipt: ',
      h('code', { 'data-test': 'receipt-id' }, r.ballot_id)),
    h('p', { class: 'hint' }, 'The receipt is published with your ballot — not with your name — in the '
      + 'signed result, so you can check that your ballot was counted. Casting again gives a new one.'));
}

// The yes/no ballot: one yes / no / abstain choice per proposal (each is its own motion).
async function ballotForm(d, effect, g, onCast) {
  const r = await api.proposals(d.id);
  if (!r.ok) return errorLine(r.error);
  const motions = r.data.proposals;
  const fieldsets = motions.map((p) => {
    const legendId = uid('motion');
    const errorId = `${legendId}-error`;
    return h('fieldset', { class: 'motion', 'data-test': 'motion', 'data-proposal': p.id },
      h('legend', { id: legendId }, describeProposal(p, effect, g)),
      h('div', { class: 'choices' }, CHOICES.map(([value, label]) => {
        const id = uid('choice');
        return h('span', { class: 'choice' },
          h('input', { type: 'radio', id, name: `vote-${p.id}`, value, 'data-test': `vote-${value}`, 'aria-describedby': errorId }),
          h('label', { for: id }, label));
      })),
      h('p', { id: errorId, class: 'field-error', hidden: true }));
  });
  return form({
    label: `Your ballot: ${d.title}`, test: 'ballot-form',
    onSubmit: async (f) => {
      const votes = {};
      for (const p of motions) {
        const chosen = f.querySelector(`input[name="vote-${p.id}"]:checked`);
        if (!chosen) return showErrors(f, { detail: 'Choose yes, no or abstain.', pointer: `/vote-${p.id}` });
        votes[p.id] = chosen.value;
      }
      const cast = await api.castBallot(d.id, toBase64(JSON.stringify({ votes })));
      if (!cast.ok) return showErrors(f, cast.error);
      onCast(cast.data);
    },
  }, h('p', { class: 'hint' }, 'Your ballot is secret: it is sealed before it is stored, and nothing kept links it to you.'),
  fieldsets,
  h('button', { type: 'submit', 'data-test': 'vote-submit', 'data-busy': 'Casting…' }, 'Cast my vote'));
}
