// Starting a decision and proposing in one: a form per effect that builds its actions
// (DESIGN 10.5). Amounts go from a decimal string to integer minor units, never a float.

import * as api from './api.js';
import * as D from './decisions.js';
import { parseAmount, money } from './books-forms.js';
import { ruleOf } from './ballot.js';
import { h, append, fill, field, form, clearErrors, timeEl, formatSeconds, toBase64, fromBase64, uid, errorLine } from './dom.js';

const enc = encodeURIComponent;
const holders = (l) => (l && l.length ? `holders of ${l.join(', ')}` : 'no one');

// A decision type's rule in words.
const same = (t) => `${t.start}` === `${t.propose}` && `${t.start}` === `${t.vote}`;
export const ruleLine = (t) => (same(t) ? `Holders of ${t.start.join(', ') || 'no role'} start, propose and vote.`
  : `Started by ${holders(t.start)}; proposals by ${holders(t.propose)}; votes by ${holders(t.vote)}.`)
  + ` ${formatSeconds(t.proposal_seconds)} for proposals, then ${formatSeconds(t.voting_seconds)} for voting.`;
export const methodLine = (m) => `Counted by ${(m && m.name) || 'an unknown method'}. ${ruleOf(m && m.name)}`;

// An error next to a field of dom.js, which takes the focus so that it is read out.
export function mark(f, text) {
  f.input.setAttribute('aria-invalid', 'true');
  f.error.textContent = text;
  f.error.hidden = false;
  f.input.focus();
  return true;
}
const bad = (f, text) => { mark(f, text); return null; };
const formError = (f, text) => { f.formError.textContent = text; f.formError.hidden = false; };

const segments = (pointer) => pointer.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));

// "/decision_types/admit/vote/0" in words: item 1 of “vote” of decision type “admit”.
export function pointerWords(pointer) {
  const p = segments(pointer);
  const words = p.map((s, i) => (/^\d+$/.test(s) ? `item ${Number(s) + 1}` : `“${s}”`));
  if (p.length > 1 && p[0] === 'decision_types') words.splice(0, 2, `decision type “${p[1]}”`);
  return words.length ? words.reverse().join(' of ') : 'the charter as a whole';
}

// Where the member at pointer is in JSON text, {start, end} of `"name": value` (of the
// value alone in an array), or of its deepest ancestor there when it is missing.
export function locate(text, pointer) {
  const want = segments(pointer);
  let i = 0;
  let best = null;
  const ws = () => { while (/\s/.test(text[i] || '')) i++; };
  const string = () => {
    const s = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    return JSON.parse(text.slice(s, ++i));
  };
  const value = (path, start = i) => {
    ws();
    if (start < i && text[start] !== '"') start = i;
    const c = text[i];
    if (c === '{' || c === '[') {
      for (let n = 0, more = true; more; n++) {
        i++;
        ws();
        if (text[i] === '}' || text[i] === ']') break;
        if (c === '[') value([...path, String(n)]);
        else {
          const k = i;
          const key = string();
          ws();
          i++;
          value([...path, key], k);
        }
        ws();
        more = text[i] === ',';
      }
      i++;
    } else if (c === '"') string();
    else while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
    if (path.every((s, k) => s === want[k]) && (!best || path.length >= best.depth)) best = { depth: path.length, start, end: i };
  };
  try { value([]); } catch { return null; }
  return best;
}

function selectIn(ta, start, end) {
  ta.focus();
  ta.setSelectionRange(start, end);
  // Bring the selection into view, a few lines below the textarea's top.
  const line = ta.value.slice(0, start).split('\n').length;
  ta.scrollTop = Math.max(0, (line - 3) * (parseFloat(getComputedStyle(ta).lineHeight) || 20));
}

// An editor per effect: {el, read() -> actions (or null, the error shown), place(i, rest, detail)}.

const personField = (people, label) => field({ label, name: 'person', control: 'select', test: 'action-person',
  options: people.map((p) => ({ value: p.id, label: p.name })) });
const nothing = (text) => ({ el: h('p', { class: 'error' }, text), read: () => null, place: () => false });

function resolution(g, effect, many) {
  const items = [];
  const list = h('div');
  const add = () => {
    const f = field({ label: many ? `Proposal ${items.length + 1}` : 'Your proposal', name: 'text', control: 'textarea', rows: 3,
      test: 'action-text', hint: items.length ? null : 'Each proposal is voted on by itself.' });
    items.push(f);
    list.append(f.wrap);
    return f;
  };
  add();
  let sent = [];
  return {
    el: h('div', {}, list, many && h('button', { type: 'button', class: 'secondary', 'data-test': 'action-add',
      onclick: () => add().input.focus() }, 'Add another proposal')),
    read() {
      sent = items.filter((f) => f.input.value.trim());
      return sent.length ? sent.map((f) => ({ text: f.input.value.trim() })) : bad(items[0], 'Please write the proposal.');
    },
    place: (i, rest, detail) => mark(sent[i] || items[0], detail),
  };
}

function person(g, effect) {
  const people = effect === 'admit_member' ? g.pending : g.members;
  if (!people.length) return nothing('No one has a pending application.');
  const p = personField(people, effect === 'admit_member' ? 'Applicant' : 'Member');
  return { el: p.wrap, read: () => [{ person: p.input.value }], place: (i, rest, detail) => mark(p, detail) };
}

// assign_role offers the roles the member does not hold; revoke_role those they do.
function role(g, effect) {
  const p = personField(g.members, 'Member');
  const r = field({ label: 'Role', name: 'role', control: 'select', test: 'action-role' });
  const sync = () => {
    const held = (g.members.find((m) => m.id === p.input.value) || { roles: [] }).roles;
    const keep = r.input.value;
    fill(r.input, Object.keys(g.charter.roles || {}).filter((x) => held.includes(x) === (effect === 'revoke_role'))
      .map((x) => h('option', { value: x, selected: x === keep }, x)));
  };
  p.input.addEventListener('change', sync);
  sync();
  return {
    el: h('div', { class: 'pair' }, p.wrap, r.wrap),
    read: () => (r.input.value ? [{ person: p.input.value, role: r.input.value }]
      : bad(r, `This member holds ${effect === 'assign_role' ? 'every role already' : 'no role'}.`)),
    place: (i, rest, detail) => mark(rest === '/role' ? r : p, detail),
  };
}

function charterEditor(g) {
  const initial = () => JSON.stringify(g.charter, null, 2);
  const f = field({ label: 'The new charter (JSON)', name: 'charter', control: 'textarea', test: 'charter-editor', rows: 18,
    spellcheck: 'false', class: 'code', value: initial(), hint: 'The whole charter once adopted: the one in force, changed.' });
  f.error.setAttribute('data-test', 'charter-error');
  return {
    el: h('div', {}, f.wrap, h('button', { type: 'button', class: 'secondary', 'data-test': 'charter-reset',
      onclick: () => { f.input.value = initial(); f.input.focus(); } }, 'Start again from the charter in force')),
    read() {
      let charter;
      try { charter = JSON.parse(f.input.value); } catch (e) {
        mark(f, `This is not JSON: ${e.message}`);
        const at = Number((/position (\d+)/.exec(e.message) || [])[1]);
        if (at >= 0) selectIn(f.input, at, at + 1);
        return null;
      }
      return [{ charter }];
    },
    place(i, rest, detail) {
      const ptr = rest.replace(/^\/charter/, '');
      mark(f, `${detail} This is at ${pointerWords(ptr)} (JSON pointer ${ptr || '""'}), selected in the editor.`);
      const at = locate(f.input.value, ptr);
      if (at) selectIn(f.input, at.start, at.end);
      return true;
    },
  };
}

function expenseEditor(g) {
  const { exponent: exp, currency } = g;
  const date = field({ label: 'Date', name: 'date', type: 'date', test: 'expense-date', value: new Date().toISOString().slice(0, 10) });
  const memo = field({ label: 'Memo', name: 'memo', test: 'expense-memo', maxlength: 500 });
  const rows = [];
  const box = h('div');
  const sumError = h('p', { class: 'field-error', hidden: true, 'data-test': 'postings-error' });
  let used = []; // the rows sent, by posting index
  if (!g.accounts) g.accounts = api.call('GET', `/coop/v1/groups/${enc(g.gid)}/ledger/accounts`);
  const add = () => {
    const account = field({ label: 'Account', name: 'account', control: 'select', test: 'posting-account',
      options: [{ value: '', label: 'Loading the accounts…' }] });
    const amount = field({ label: `Amount (${currency})`, name: 'amount', test: 'posting-amount', inputmode: 'decimal', autocomplete: 'off' });
    const row = { account, amount };
    box.append(h('fieldset', { class: 'posting', 'data-test': 'posting' }, h('legend', {}, `Posting ${rows.length + 1}`), account.wrap, amount.wrap));
    g.accounts.then((r) => (r.ok ? fill(account.input, h('option', { value: '' }, 'Choose an account'),
      r.data.accounts.map((a) => h('option', { value: a.code }, `${a.name} (${a.code})`))) : account.wrap.append(errorLine(r.error))));
    rows.push(row);
    return row;
  };
  add();
  add();
  return {
    el: h('div', {}, date.wrap, memo.wrap, h('p', { class: 'hint' }, 'Debits positive (the expense), credits negative (where the '
      + `money comes from), summing to zero; in ${currency}. Blank postings are left out.`), box, sumError,
    h('button', { type: 'button', class: 'secondary', 'data-test': 'posting-add', onclick: () => add().account.input.focus() }, 'Add a posting')),
    read() {
      sumError.hidden = true;
      if (!date.input.value) return bad(date, 'Choose the date of the expense.');
      const postings = [];
      let sum = 0n;
      used = [];
      for (const r of rows.filter((x) => x.account.input.value || x.amount.input.value.trim())) {
        if (!r.account.input.value) return bad(r.account, 'Choose an account.');
        const a = parseAmount(r.amount.input.value, exp, currency, { signed: true });
        if (a.error) return bad(r.amount, a.error);
        sum += BigInt(a.value);
        postings.push({ account: r.account.input.value, amount: a.value });
        used.push(r);
      }
      if (sum) return bad({ input: used[used.length - 1].amount.input, error: sumError },
        `The postings sum to ${money(Number(sum), exp)} ${currency}, not zero.`);
      const entry = { date: date.input.value, postings };
      if (memo.input.value.trim()) entry.memo = memo.input.value.trim();
      return [{ entry }];
    },
    place(i, rest, detail) {
      const m = /^\/entry\/postings\/(\d+)\/(account|amount)$/.exec(rest);
      if (m && used[m[1]]) return mark(used[m[1]][m[2]], detail);
      const f = { '/entry/date': date, '/entry/memo': memo }[rest];
      if (f || rest.startsWith('/entry/postings')) return mark(f || { input: rows[0].amount.input, error: sumError }, detail);
      return false;
    },
  };
}

// The allocation is proposed as the server computes it: it is applied only if the books
// then still give the same.
function surplusEditor(g) {
  const year = field({ label: 'Fiscal year (the year it starts in)', name: 'year', type: 'number', test: 'surplus-year',
    value: new Date().getFullYear() - 1, min: 1900, max: 9998 });
  const out = h('div', { 'data-test': 'surplus-summary', 'aria-live': 'polite' });
  const amount = (n) => `${money(n, g.exponent)} ${g.currency}`;
  let got = null;
  const compute = async () => {
    got = null;
    out.setAttribute('aria-busy', 'true');
    fill(out, h('p', { class: 'loading' }, 'Computing the allocation…'));
    const r = await api.call('GET', `/coop/v1/groups/${enc(g.gid)}/ledger/surplus?year=${enc(year.input.value)}`);
    out.removeAttribute('aria-busy');
    if (!r.ok) return fill(out, errorLine(r.error));
    got = r.data;
    return fill(out, h('p', {}, `Net ${amount(got.net)}; to the reserve ${amount(got.reserve)}.`), h('ul', { class: 'plain' },
      got.members.map((m) => h('li', {}, `${D.personName(g, m.person)}: ${amount(m.allocation)} (${amount(m.cash)} in cash)`))));
  };
  year.input.addEventListener('input', () => { got = null; fill(out); });
  return {
    el: h('div', {}, year.wrap, h('button', { type: 'button', class: 'secondary', 'data-test': 'surplus-compute', onclick: compute },
      'Compute the allocation'), out),
    read: () => (got ? [{ year: got.year, allocation: got }] : bad(year, 'Compute the allocation of this year first.')),
    place: (i, rest, detail) => mark(year, detail),
  };
}

const EDITORS = {
  resolution, admit_member: person, remove_member: person, assign_role: role, revoke_role: role,
  amend_charter: charterEditor, approve_expense: expenseEditor, allocate_surplus: surplusEditor,
};
const editor = (effect, g, many) => (EDITORS[effect] || (() => nothing('Not an effect this page knows.')))(g, effect, many);

// The server's refusal next to what its pointer names, or on the form's own line.
function showRefusal(f, e, ed, fields) {
  const m = /^\/proposals\/(\d+)(.*)$/.exec(e.pointer || '');
  if (fields[e.pointer]) return mark(fields[e.pointer], e.detail);
  if (m && ed.place(Number(m[1]), m[2], e.detail)) return true;
  return formError(f, e.detail);
}

const LOST = 'The connection failed: this may or may not have been done. Check the decisions before trying again.';

export function startSection(g, onStarted) {
  const headingId = uid('start');
  const s = h('section', { 'aria-labelledby': headingId, 'data-test': 'start' }, h('h2', { id: headingId }, 'Start a decision'));
  const types = Object.entries(g.types).filter(([, t]) => (t.start || []).some((r) => g.myRoles.includes(r)));
  if (!types.length) return append(s, h('p', {}, 'None of your roles may start a decision in this group.'));
  const type = field({ label: 'Decision type', name: 'type', control: 'select', test: 'start-type',
    options: types.map(([n, t]) => ({ value: n, label: `${n}${t.effect === n ? '' : ` (${t.effect})`}`.replaceAll('_', ' ') })) });
  const rule = h('p', { class: 'hint', 'data-test': 'start-rule' });
  const title = field({ label: 'Title', name: 'title', test: 'start-title', maxlength: 200, required: true });
  const slot = h('div', { class: 'actions' });
  const editors = new Map(); // one per type: switching types loses nothing typed
  let ed;
  const show = () => {
    const name = type.input.value;
    if (!editors.has(name)) editors.set(name, editor(g.types[name].effect, g, true));
    ed = editors.get(name);
    fill(slot, ed.el);
    rule.textContent = `${ruleLine(g.types[name])} ${methodLine(g.methods[name])}`;
  };
  type.input.addEventListener('change', show);
  show();
  const done = h('p', { role: 'status', class: 'progress', 'data-test': 'start-done' });
  return append(s, form({
    label: 'Start a decision', test: 'start-form',
    onSubmit: async (f) => {
      clearErrors(f);
      done.textContent = '';
      const body = { type: type.input.value, title: title.input.value.trim() };
      if (!body.title) return mark(title, 'Please give the decision a title.');
      if (!(body.proposals = ed.read())) return null;
      const r = await api.startDecision(g.gid, body);
      if (r.status === 0) { formError(f, LOST); return onStarted(); }
      if (!r.ok) return showRefusal(f, r.error, ed, { '/title': title, '/type': type });
      done.replaceChildren(`“${r.data.title}” started: proposals until `, timeEl(r.data.proposal_phase.closes_at),
        ', voting until ', timeEl(r.data.voting_phase.closes_at), '.');
      title.input.value = '';
      editors.delete(body.type);
      show();
      return onStarted();
    },
  }, type.wrap, rule, title.wrap, slot,
  h('button', { type: 'submit', 'data-test': 'start-submit', 'data-busy': 'Starting…' }, 'Start the decision'), done));
}

// ---- proposing, in the proposal phase, by the members of the proposer franchise ----

function describe(p, effect, g) {
  try {
    const a = JSON.parse(fromBase64(p.payload));
    return `${D.describeAction ? D.describeAction(a, effect, g) : JSON.stringify(a)}${p.mine ? ' (yours)' : ''}`;
  } catch { return 'A proposal that is not readable text'; }
}

export function proposePanel(d, g) {
  if (d.state !== 'proposing') return null;
  const t = g.types[d.type];
  const effect = t ? t.effect : d.type;
  const box = h('div', { class: 'propose', 'data-test': 'propose' }, h('p', { class: 'loading' }, 'Loading the proposals…'));
  const key = d.id; // its editor outlives reloads of the list, with what was typed
  const load = async (message) => {
    box.setAttribute('aria-busy', 'true');
    const [c, list] = await Promise.all([api.coreDecision(d.id), api.proposals(d.id)]);
    box.removeAttribute('aria-busy');
    // Outside both franchises the core answers 404 (the vote line says so).
    const miss = [c, list].find((x) => !x.ok);
    if (miss) return fill(box, miss.status === 404 ? null : errorLine(miss.error));
    if (c.data.state !== 'proposing') return fill(box);
    g.at(c.data.proposal_phase.closes_at, () => load());
    const listing = [h('h4', {}, `Proposals so far (${list.data.proposals.length})`), h('ul', { class: 'plain', 'data-test': 'proposals' },
      list.data.proposals.map((p) => h('li', { 'data-test': 'proposal', 'data-mine': String(!!p.mine) }, describe(p, effect, g))))];
    if (!(c.data.you || {}).proposer || !t) return fill(box, listing);
    if (!g.kept.has(key)) g.kept.set(key, editor(effect, g, false));
    const ed = g.kept.get(key);
    return fill(box, listing, form({
      label: `Add a proposal to “${d.title}”`, test: 'propose-form',
      onSubmit: async (f) => {
        clearErrors(f);
        const actions = ed.read();
        if (!actions) return null;
        // Not retried on a network failure: a repeat would propose twice.
        const r = await api.call('POST', `/v1/decisions/${enc(d.id)}/proposals`,
          { payload: toBase64(JSON.stringify(actions[0])) }, { retryNetwork: false });
        if (!r.ok) return r.status === 0 ? formError(f, LOST) : showRefusal(f, r.error, ed, {});
        g.kept.delete(key);
        return load('Your proposal was added.');
      },
    }, h('p', { class: 'hint' }, 'Proposals are taken until ', timeEl(c.data.proposal_phase.closes_at), '.'), ed.el,
    h('button', { type: 'submit', 'data-test': 'propose-submit', 'data-busy': 'Proposing…' }, 'Add my proposal'),
    h('p', { role: 'status', class: 'progress', 'data-test': 'propose-done' }, message || '')));
  };
  load();
  return box;
}
