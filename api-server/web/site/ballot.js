// The ballot form of each library voting method, chosen by the method's registered name.
// Each builds exactly the JSON the method's count() parses (count-worker/methods/*.py);
// parameters a method fixes in its code (score range, grades, seats) are read from it.

import * as api from './api.js';
import * as store from './store.js';
import { h, append, form, showErrors, errorLine, toBase64, uid } from './dom.js';

const KINDS = {
  plurality: 'choice', approval: 'approve', yes_no: 'yesno', yes_no_two_thirds: 'yesno', consent: 'consent',
  schulze: 'groups', irv: 'order', stv: 'order', borda: 'order', score: 'score', majority_judgment: 'grades',
};

// What wins, in words, for the library's methods (their constants as they ship).
const RULES = {
  plurality: 'Each voter picks one proposal; the most votes wins.',
  approval: 'Each voter approves any number of proposals; the most approved wins.',
  yes_no: 'Each proposal passes on its own with more yes than no, if half the voters take part.',
  yes_no_two_thirds: 'Each proposal passes on its own with two thirds of the yes and no votes, if half the voters take part.',
  consent: 'Each proposal passes unless someone objects.',
  schulze: 'Voters rank the proposals, ties allowed; the one that beats every other by the strongest chain of majorities wins.',
  irv: 'Voters rank the proposals; the last is dropped and its ballots go to their next choice until one has a majority.',
  stv: 'Voters rank the proposals; two are elected, votes beyond the quota and of the dropped passing to next choices.',
  borda: 'Voters rank the proposals; of n, the first gets n-1 points, the last 0; the most points wins.',
  score: 'Voters score each proposal 0 to 5; the highest total wins.',
  majority_judgment: 'Voters grade every proposal; the best median grade wins.',
};
const norm = (name) => String(name || '').trim().toLowerCase().replace(/\.py$/, '').replace(/[\s-]+/g, '_');
export const ruleOf = (name) => RULES[norm(name)] || '';

// The kind of ballot a method takes, by name ("Majority judgment", "majority-judgment"
// and "majority_judgment.py" alike), or null when this page has no form for it.
export function kindOf(name) {
  const n = norm(name);
  return KINDS[n] || (/^yes_no_/.test(n) ? 'yesno' : null);
}

// A method's code and signatures, fetched once per page load (they never change: the id
// is the code's SHA-256).
const methods = new Map();
export function methodCode(sha) {
  if (!methods.has(sha)) {
    const p = api.call('GET', `/v1/voting-methods/${encodeURIComponent(sha)}`);
    methods.set(sha, p);
    p.then((r) => { if (!r.ok) methods.delete(sha); });
  }
  return methods.get(sha);
}

// The constants at the top of a method's code, with the library's defaults.
function params(code) {
  const num = (name, dflt) => {
    const m = code.match(new RegExp(`^${name}\\s*=\\s*(-?\\d+)\\s*$`, 'm'));
    return m ? Number(m[1]) : dflt;
  };
  let grades = ['excellent', 'very good', 'good', 'acceptable', 'poor', 'reject'];
  const g = code.match(/^GRADES\s*=\s*(\[[^\]]*\])/m);
  try { if (g) grades = JSON.parse(g[1]); } catch { /* keep the defaults */ }
  return { min: num('MIN_SCORE', 0), max: num('MAX_SCORE', 5), seats: num('SEATS', 1), grades };
}

const CHOICES = { yesno: [['yes', 'Yes'], ['no', 'No'], ['abstain', 'Abstain']], consent: [['consent', 'Consent'], ['object', 'Object']] };

// One fieldset per proposal with a radio group, the error line tied to it.
function perProposal(list, describe, kind, checked) {
  return list.map((p) => {
    const legendId = uid('motion');
    return h('fieldset', { class: 'motion', 'data-test': 'motion', 'data-proposal': p.id },
      h('legend', { id: legendId }, describe(p)),
      h('div', { class: 'choices' }, CHOICES[kind].map(([value, label]) => {
        const id = uid('choice');
        return h('span', { class: 'choice' },
          h('input', { type: 'radio', id, name: `vote-${p.id}`, value, 'data-test': `vote-${value}`,
            'aria-describedby': `${legendId}-error`, checked: value === checked }),
          h('label', { for: id }, label));
      })),
      h('p', { id: `${legendId}-error`, class: 'field-error', hidden: true }));
  });
}

// One fieldset listing every proposal as a radio or a checkbox.
function oneList(list, describe, type, legend) {
  const errorId = uid('list-error');
  return h('fieldset', { class: 'motion' }, h('legend', {}, legend),
    list.map((p) => {
      const id = uid('pick');
      return h('span', { class: 'choice pick' },
        h('input', { type, id, name: 'pick', value: p.id, 'data-test': type === 'radio' ? 'choice' : 'approve',
          'data-proposal': p.id, 'aria-describedby': errorId }),
        h('label', { for: id }, describe(p)));
    }),
    h('p', { id: errorId, class: 'field-error', hidden: true }));
}

// A select per proposal (a score or a grade), labelled by the proposal.
function selects(list, describe, test, options, prompt) {
  return list.map((p) => {
    const id = uid(test);
    return h('div', { class: 'field' },
      h('label', { for: id }, describe(p)),
      h('select', { id, name: `${test}-${p.id}`, 'data-test': test, 'data-proposal': p.id, 'aria-describedby': `${id}-error` },
        h('option', { value: '' }, prompt), options.map(([v, l]) => h('option', { value: v }, l))),
      h('p', { id: `${id}-error`, class: 'field-error', hidden: true }));
  });
}

// An ordered list the person reorders with the buttons, or with Alt+ArrowUp/Down on an
// item; an aria-live line says where the item went. With `equal`, an item may share the
// place of the one above (Schulze's groups).
function rankingList(list, describe, equal) {
  const hintId = uid('rank-hint');
  const live = h('p', { class: 'hint rank-live', 'aria-live': 'polite', 'data-test': 'rank-live' });
  const ol = h('ol', { class: 'ranking', 'data-test': 'ranking', 'aria-label': 'Your ranking, best first' });
  const say = (text) => { live.textContent = ''; setTimeout(() => { live.textContent = text; }, 50); };
  const places = () => {
    let place = 0;
    return [...ol.children].map((li, i) => {
      const box = li.querySelector('input');
      if (box && i === 0) box.checked = false;
      if (!(box && box.checked)) place = i + 1;
      return place;
    });
  };
  const renumber = () => {
    const at = places();
    [...ol.children].forEach((li, i) => {
      const tied = at.filter((x) => x === at[i]).length > 1;
      li.querySelector('.rank-place').textContent = `${at[i]}${tied ? '=' : ''}`;
      li.dataset.place = at[i];
    });
  };
  const where = (li) => `${li.dataset.text}: now place ${li.dataset.place} of ${ol.children.length}.`;
  const move = (li, by, keep) => {
    const all = [...ol.children];
    const j = all.indexOf(li) + by;
    if (j < 0 || j >= all.length) return say(`${li.dataset.text} is already ${j < 0 ? 'first' : 'last'}.`);
    if (by < 0) ol.insertBefore(li, all[j]); else ol.insertBefore(all[j], li);
    renumber();
    (keep || li).focus();
    say(`Moved ${by < 0 ? 'up' : 'down'}. ${where(li)}`);
  };
  for (const p of list) {
    const text = describe(p);
    const li = h('li', { class: 'rank-item', tabindex: '0', 'data-test': 'rank-item', 'data-proposal': p.id,
      'data-text': text, 'aria-describedby': hintId });
    const box = equal ? uid('equal') : null;
    append(li, h('span', { class: 'rank-place', 'aria-hidden': 'true' }), h('span', { class: 'rank-text' }, text),
      h('span', { class: 'rank-moves' },
        h('button', { type: 'button', class: 'secondary', 'data-test': 'rank-up', 'aria-label': `Move up: ${text}`,
          onclick: (e) => move(li, -1, e.currentTarget) }, 'Move up'),
        h('button', { type: 'button', class: 'secondary', 'data-test': 'rank-down', 'aria-label': `Move down: ${text}`,
          onclick: (e) => move(li, 1, e.currentTarget) }, 'Move down')),
      equal ? h('span', { class: 'choice rank-equal' },
        h('input', { type: 'checkbox', id: box, 'data-test': 'rank-equal',
          onchange: () => { renumber(); say(where(li)); } }),
        h('label', { for: box }, 'Same place as the one above')) : null);
    li.addEventListener('keydown', (e) => {
      if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
      e.preventDefault();
      move(li, e.key === 'ArrowUp' ? -1 : 1, e.target);
    });
    ol.append(li);
  }
  renumber();
  const nodes = [h('p', { id: hintId, class: 'hint' }, 'Best first. Move an item with its buttons, or focus it and press '
    + `Alt+Arrow Up or Alt+Arrow Down.${equal ? ' Tick “Same place” to rank two equal.' : ''}`), ol, live];
  const read = () => {
    const at = places();
    const ids = [...ol.children].map((li) => li.dataset.proposal);
    if (!equal) return ids;
    const groups = [];
    ids.forEach((id, i) => { if (i && at[i] === at[i - 1]) groups[groups.length - 1].push(id); else groups.push([id]); });
    return groups;
  };
  return { nodes, read };
}

// The form's parts for a kind: {nodes, collect(form) -> {ballot} | {error, pointer}}.
function parts(kind, list, describe, m) {
  const picked = (f, name) => f.querySelector(`input[name="${name}"]:checked`);
  switch (kind) {
    case 'yesno':
    case 'consent':
      return {
        nodes: [kind === 'consent' ? h('p', { class: 'hint' }, 'Each proposal is adopted unless someone objects. '
          + 'The ballot carries no reasons: say why you object in the discussion.') : null,
        perProposal(list, describe, kind, kind === 'consent' ? 'consent' : null)],
        collect: (f) => {
          const votes = {};
          for (const p of list) {
            const c = picked(f, `vote-${p.id}`);
            if (!c) return { error: 'Choose yes, no or abstain.', pointer: `/vote-${p.id}` };
            votes[p.id] = c.value;
          }
          if (kind === 'yesno') return { ballot: { votes } };
          return { ballot: { objections: list.filter((p) => votes[p.id] === 'object').map((p) => p.id) } };
        },
      };
    case 'choice': return {
      nodes: [oneList(list, describe, 'radio', 'Choose one')],
      collect: (f) => (picked(f, 'pick') ? { ballot: { choice: picked(f, 'pick').value } }
        : { error: 'Choose one of the proposals.', pointer: '/pick' }),
    };
    case 'approve': return {
      nodes: [h('p', { class: 'hint' }, `Approve of as many as you like (none is a valid ballot too). `
        + `The ${m.seats === 1 ? 'one' : m.seats} most approved ${m.seats === 1 ? 'is' : 'are'} adopted.`),
      oneList(list, describe, 'checkbox', 'Approve of')],
      collect: (f) => ({ ballot: { approve: [...f.querySelectorAll('input[name=pick]:checked')].map((c) => c.value) } }),
    };
    case 'groups':
    case 'order': {
      const r = rankingList(list, describe, kind === 'groups');
      return { nodes: r.nodes, collect: () => ({ ballot: { ranking: r.read() } }) };
    }
    case 'score':
    case 'grades': {
      const test = kind === 'score' ? 'score' : 'grade';
      const options = kind === 'score'
        ? Array.from({ length: m.max - m.min + 1 }, (_, i) => [String(m.min + i), String(m.min + i)])
        : m.grades.map((g) => [g, g]);
      return {
        nodes: [h('p', { class: 'hint' }, kind === 'score' ? `Give each proposal a score from ${m.min} (worst) to ${m.max} (best).`
          : 'Give every proposal a grade.'),
        selects(list, describe, test, options, kind === 'score' ? 'Choose a score' : 'Choose a grade')],
        collect: (f) => {
          const out = {};
          for (const p of list) {
            const v = f.querySelector(`select[name="${test}-${p.id}"]`).value;
            if (v === '') return { error: `Choose a ${test} for this proposal.`, pointer: `/${test}-${p.id}` };
            out[p.id] = kind === 'score' ? Number(v) : v;
          }
          return { ballot: kind === 'score' ? { scores: out } : { grades: out } };
        },
      };
    }
    default: return null;
  }
}

// The ballot form for decision d counted by method {id, name}: casts, keeps the receipt on
// the device, then onCast(receipt).
export async function ballotForm(d, method, describe, onCast) {
  const kind = kindOf(method.name);
  const [r, code] = await Promise.all([api.proposals(d.id),
    ['score', 'grades', 'approve'].includes(kind) ? methodCode(method.id) : null]);
  if (!r.ok) return errorLine(r.error);
  if (code && !code.ok) return errorLine(code.error);
  const list = r.data.proposals;
  if (!list.length) return h('p', {}, 'There is nothing to vote on: this decision has no proposals.');
  const part = parts(kind, list, describe, params(code ? String(code.data.code || '') : ''));
  return form({
    label: `Your ballot: ${d.title}`, test: 'ballot-form',
    onSubmit: async (f) => {
      const got = part.collect(f);
      if (got.error) return showErrors(f, { detail: got.error, pointer: got.pointer });
      const cast = await api.castBallot(d.id, toBase64(JSON.stringify(got.ballot)));
      if (!cast.ok) return showErrors(f, cast.error);
      const who = api.currentPerson();
      // The receipt is what proves, later, that this ballot was counted: keep it here too.
      await store.putReceipt(who.id, d.id, cast.data.ballot_id).catch(() => {});
      onCast(cast.data);
    },
  }, h('p', { class: 'hint' }, 'Your ballot is secret: it is sealed before it is stored, and nothing kept links it to you. '
    + 'You may vote again until voting closes: a new ballot replaces the earlier one.'),
  part.nodes,
  h('button', { type: 'submit', 'data-test': 'vote-submit', 'data-busy': 'Casting…' }, 'Cast my vote'));
}
