// A group's books (DESIGN §10.7): balances, reports and entries; recording as one's roles
// allow; one's signed statement, verified on the device.

import * as api from './api.js';
import { h, append, field, form, section, showErrors, clearErrors, errorLine, timeEl } from './dom.js';
import { verifyCompactJws } from './jws.js';
import { exponentOf, money, today, fiscalYear, recordForms } from './books-forms.js';

const enc = encodeURIComponent;
const TYPES = [['asset', 'Assets'], ['liability', 'Liabilities'], ['equity', 'Equity'], ['income', 'Income'], ['expense', 'Expenses']];
// Debits are positive: accounts whose natural balance is a credit are shown negated.
const CREDIT = new Set(['liability', 'equity', 'income']);
const row = (label, value, test) => [h('dt', {}, label), h('dd', { 'data-test': test }, value)];
const flag = () => [' ', h('span', { class: 'tag flag', 'data-test': 'negative-capital' }, 'negative capital')];

export async function booksView(root, ctx, gid) {
  const title = h('h1', { tabindex: '-1' }, 'Books');
  const loading = h('p', { class: 'loading' }, 'Loading the books…');
  append(root, h('a', { href: `#/groups/${gid}`, 'data-test': 'books-back' }, 'Back to the group'), title, loading);
  root.classList.add('books');
  root.setAttribute('aria-busy', 'true');
  ctx.setTitle('Books');
  const base = `/coop/v1/groups/${enc(gid)}`;
  const get = (path) => api.call('GET', `${base}${path}`);
  const [group, members, charter, accounts] = await Promise.all([api.getGroup(gid), api.members(gid),
    api.charter(gid), get('/ledger/accounts')]);
  loading.remove();
  root.removeAttribute('aria-busy');
  const failed = [group, members, charter, accounts].find((r) => !r.ok);
  title.textContent = failed ? (failed.status === 404 ? 'Group not found' : 'The books could not be shown')
    : `Books of ${group.data.name}`;
  ctx.setTitle(title.textContent);
  if (failed) return append(root, errorLine(failed.error));

  const c = charter.data.charter;
  const acc = c.accounting || {};
  const currency = acc.currency || 'EUR';
  const me = members.data.members.find((m) => m.id === ctx.person.id) || { roles: [] };
  const b = {
    gid, base, get, charter: c, me: ctx.person.id, roles: me.roles,
    currency, exp: exponentOf(currency), unit: acc.patronage_unit || 'minutes',
    fy: fiscalYear(today(), acc.fiscal_year_start || '01-01'),
    members: members.data.members, accounts: accounts.data.accounts,
    names: new Map(members.data.members.map((m) => [m.id, m.name])),
    perms: new Set(me.roles.flatMap((r) => ((c.roles || {})[r] || {}).permissions || [])),
  };
  b.fmt = (minor) => money(minor, b.exp);
  b.cur = (minor) => `${b.fmt(minor)} ${b.currency}`;
  b.name = (id) => b.names.get(id) || `${String(id).slice(0, 8)}…`;
  b.patronage = (n) => (b.unit === 'wages' ? `${b.cur(n)} of wages` : `${n} minute${n === 1 ? '' : 's'}`);

  const parts = [balancesSection(b, accounts), sheetSection(b), incomeSection(b), membersSection(b), entriesSection(b)];
  b.refresh = () => parts.forEach((s) => s.reload());
  append(root,
    h('p', { class: 'meta' }, `In ${b.currency}. Your roles: ${b.roles.join(', ') || 'none'}.`),
    parts[0],
    h('section', { 'aria-labelledby': 'record-h', 'data-test': 'books-record' }, h('h2', { id: 'record-h' }, 'Record'), recordForms(b)),
    parts.slice(1), statementSection(b, ctx));
}

// {code, label, amount, flag} rows and their total (minor units); wide figures scroll in
// the table's box, not the page.
function amounts(b, caption, rows, total, test) {
  return h('div', { class: 'table-scroll' }, h('table', { class: 'amounts', 'data-test': test },
    h('caption', {}, caption),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-code': r.code },
      h('th', { scope: 'row' }, r.label, r.flag ? flag() : null),
      h('td', { class: 'num', 'data-test': 'amount' }, b.fmt(r.amount))))),
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'Total'),
      h('td', { class: 'num', 'data-test': 'total' }, b.fmt(total))))));
}

function balancesSection(b, initial) {
  return section({ title: 'Balances', test: 'books-balances' }, async () => {
    const r = initial || await b.get('/ledger/accounts');
    initial = null;
    if (!r.ok) return errorLine(r.error);
    b.accounts = r.data.accounts;
    return [h('p', { class: 'hint' }, 'Liabilities, equity and income: positive when in credit.'),
      ...TYPES.map(([type, label]) => {
        const list = r.data.accounts.filter((a) => a.type === type);
        if (!list.length) return null;
        const rows = list.map((a) => {
          const amount = CREDIT.has(type) ? -a.balance : a.balance;
          return { code: a.code, label: a.name, amount, flag: a.code.startsWith('capital:') && amount < 0 };
        });
        return amounts(b, label, rows, rows.reduce((t, x) => t + x.amount, 0), `balances-${type}`);
      })];
  });
}

// A report for the dates of its own small form; the server's refusals show in its place.
function reportSection(b, { title, test, fields, load }) {
  const s = section({ title, test }, load);
  s.insertBefore(form({
    label: title, test: `${test}-form`,
    onSubmit: async (f) => {
      const empty = fields.find((x) => !x.input.value);
      if (empty) return showErrors(f, { detail: 'Please give a date.', pointer: `/${empty.input.name}` });
      clearErrors(f);
      await s.reload();
    },
  }, h('div', { class: 'inline-fields' }, fields.map((x) => x.wrap)),
  h('button', { type: 'submit', class: 'secondary', 'data-test': `${test}-submit`, 'data-busy': 'Loading…' }, 'Show')),
  s.querySelector('.section-body'));
  return s;
}

const reportSide = (b, sec, caption, test) => amounts(b, caption,
  sec.accounts.map((a) => ({ code: a.code, label: a.name, amount: a.balance })), sec.total, test);

function sheetSection(b) {
  const at = field({ label: 'At the end of', name: 'at', test: 'sheet-at', type: 'date', value: today() });
  return reportSection(b, {
    title: 'Balance sheet', test: 'books-sheet', fields: [at],
    load: async () => {
      const r = await b.get(`/reports/balance-sheet?at=${enc(at.input.value || today())}`);
      if (!r.ok) return errorLine(r.error);
      const d = r.data;
      return [reportSide(b, d.assets, 'Assets', 'sheet-assets'), reportSide(b, d.liabilities, 'Liabilities', 'sheet-liabilities'),
        reportSide(b, d.equity, 'Equity', 'sheet-equity'),
        h('p', { 'data-test': 'sheet-result' }, `Result not yet allocated: ${b.cur(d.result)}.`),
        h('p', { class: d.balanced ? 'meta' : 'error', 'data-test': 'sheet-balanced' },
          `${d.balanced ? 'Balanced' : 'NOT balanced'}: assets = liabilities + equity + the result.`)];
    },
  });
}

function incomeSection(b) {
  const from = field({ label: 'From', name: 'from', test: 'is-from', type: 'date', value: b.fy.from });
  const to = field({ label: 'To', name: 'to', test: 'is-to', type: 'date', value: b.fy.to });
  return reportSection(b, {
    title: 'Income statement', test: 'books-income', fields: [from, to],
    load: async () => {
      const r = await b.get(`/reports/income-statement?from=${enc(from.input.value)}&to=${enc(to.input.value)}`);
      if (!r.ok) return errorLine(r.error);
      const d = r.data;
      return [h('p', { class: 'meta' }, `From ${d.from} to ${d.to}.`),
        reportSide(b, d.income, 'Income', 'is-income'), reportSide(b, d.expenses, 'Expenses', 'is-expenses'),
        h('p', { 'data-test': 'is-net' }, h('strong', {}, `${d.net < 0 ? 'Net loss' : 'Net result'}: ${b.cur(d.net)}.`))];
    },
  });
}

function membersSection(b) {
  return section({ title: 'Members\' capital and patronage', test: 'books-members' }, async () => {
    const r = await b.get('/reports/members');
    if (!r.ok) return errorLine(r.error);
    for (const m of r.data.members) if (!b.names.has(m.person)) b.names.set(m.person, m.name);
    return h('ul', { class: 'cards' }, r.data.members.map((m) => h('li', { 'data-test': 'member-report', 'data-person': m.person },
      h('strong', {}, m.name), m.member ? null : ' (former member)',
      m.negative_capital ? flag() : null,
      h('dl', { class: 'facts' }, row('Capital', b.cur(m.capital), 'member-capital'),
        m.payable_as_former ? row('Payable as former member', b.cur(m.payable_as_former)) : null,
        row('Patronage', b.patronage(m.patronage), 'member-patronage')))));
  });
}

function entryItem(b, e, code) {
  const by = e.authorised_by || {};
  return h('li', { 'data-test': 'entry', 'data-seq': e.seq },
    h('p', {}, h('strong', {}, e.memo || '(no memo)'), ' · ', h('time', { datetime: e.date }, e.date),
      e.opening ? ' · opening balances' : null, e.reverses ? ' · reverses an earlier entry' : null),
    h('div', { class: 'table-scroll' }, h('table', { class: 'amounts postings' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Account'), h('th', { scope: 'col', class: 'num' }, 'Debit'),
        h('th', { scope: 'col', class: 'num' }, 'Credit'))),
      h('tbody', {}, e.postings.map((p) => h('tr', {}, h('th', { scope: 'row' }, code.get(p.account) || p.account),
        h('td', { class: 'num' }, p.amount > 0 ? b.fmt(p.amount) : ''), h('td', { class: 'num' }, p.amount < 0 ? b.fmt(-p.amount) : '')))))),
    h('p', { class: 'meta', 'data-test': 'entry-by' }, `#${e.seq} · posted by ${b.name(e.posted_by)} `,
      by.decision ? ['on decision ', h('code', { title: by.decision }, `${by.decision.slice(0, 8)}…`)] : `as ${by.role || 'unknown'}`));
}

// In the order posted, a page of at most 500 (the server's) at a time.
function entriesSection(b) {
  return section({ title: 'Entries', test: 'books-entries' }, async () => {
    const list = h('ol', { class: 'cards entries' });
    const status = h('div', { role: 'status' });
    const more = h('button', { type: 'button', class: 'secondary', 'data-test': 'entries-more', hidden: true }, 'Show more entries');
    let after = 0;
    const load = async () => {
      if (more.getAttribute('aria-disabled')) return;
      more.setAttribute('aria-disabled', 'true');
      status.replaceChildren(after ? h('p', { class: 'loading' }, 'Loading entries…') : '');
      const r = await b.get(`/ledger/entries?after=${after}`);
      more.removeAttribute('aria-disabled');
      if (!r.ok) return status.replaceChildren(errorLine(r.error));
      const got = r.data.entries;
      status.replaceChildren(after || got.length ? '' : h('p', {}, 'No entries yet.'));
      const code = new Map(b.accounts.map((a) => [a.code, a.name]));
      list.append(...got.map((e) => entryItem(b, e, code)));
      if (got.length) after = got[got.length - 1].seq;
      more.hidden = got.length < 500;
    };
    more.addEventListener('click', load);
    await load();
    return [list, status, more];
  });
}

function statementSection(b, ctx) {
  const year = field({ label: 'Fiscal year (the year it starts in)', name: 'year', test: 'statement-year',
    inputmode: 'numeric', maxlength: 4, value: String(b.fy.year), autocomplete: 'off' });
  const out = h('div', { 'data-test': 'statement-result', 'aria-live': 'polite' });
  let url = null;
  const drop = () => { if (url) URL.revokeObjectURL(url); url = null; };
  ctx.onCleanup(drop);
  const f = form({
    label: 'Your signed statement', test: 'statement-form',
    onSubmit: async (el) => {
      const y = year.input.value.trim();
      if (!/^\d{4}$/.test(y)) return showErrors(el, { detail: 'A year is 4 digits, like 2027.', pointer: '/year' });
      clearErrors(el);
      out.replaceChildren(h('p', { class: 'loading' }, 'Getting your statement…'));
      const [st, keys] = await Promise.all([b.get(`/reports/members/${enc(b.me)}/statement?year=${y}`),
        api.call('GET', '/coop/v1/keys')]);
      out.replaceChildren();
      if (!st.ok || !keys.ok) return showErrors(el, (st.ok ? keys : st).error);
      const jws = String(st.data).trim();
      const v = await verifyCompactJws(jws, keys.data);
      const p = v.payload || {};
      // A good signature on someone else's statement is not a statement of one's own.
      const why = !v.ok ? v.reason : p.person !== b.me ? 'It is not your statement.'
        : p.group !== b.gid ? 'It is another group\'s statement.' : String(p.year) !== y ? `It is for ${p.year}, not ${y}.` : null;
      drop();
      url = URL.createObjectURL(new Blob([jws], { type: 'application/jose' }));
      out.replaceChildren(
        h('p', { class: why ? 'verdict bad' : 'verdict good', 'data-test': 'statement-verdict' },
          why ? `NOT verified: ${why}` : 'Verified: signed by FreeCoop, for you, this group and year.'),
        v.ok ? statementFigures(b, p) : null,
        h('p', {}, h('a', { href: url, download: `statement-${y}.jws`, 'data-test': 'statement-download' }, `Download statement-${y}.jws`)),
        h('p', { class: 'hint' }, 'Anyone, a bank or a tax office, can check it against /coop/v1/keys.'));
    },
  }, year.wrap, h('button', { type: 'submit', 'data-test': 'statement-submit', 'data-busy': 'Checking…' }, 'Get and verify my statement'));
  return h('section', { 'aria-labelledby': 'statement-h', 'data-test': 'books-statement' },
    h('h2', { id: 'statement-h' }, 'Your signed statement'),
    h('p', {}, 'Your patronage, surplus share and capital for a year, signed by FreeCoop.'), f, out);
}

function statementFigures(b, p) {
  return h('dl', { class: 'facts statement', 'data-test': 'statement-figures' },
    row('Status', p.status === 'allocated' ? 'allocated: the year is closed' : 'provisional: not allocated yet', 'st-status'),
    row('Patronage', b.patronage(p.patronage), 'st-patronage'),
    [['Allocation', 'allocation'], ['Paid in cash', 'cash'], ['Retained', 'retained'], ['Capital at year end', 'capital']]
      .map(([label, key]) => row(label, b.cur(p[key]), `st-${key}`)),
    p.payable_as_former ? row('Payable as former member', b.cur(p.payable_as_former), 'st-former') : null,
    row('Issued', [timeEl(p.issued_at), `, log entry #${p.seq}`], 'st-seq'));
}
