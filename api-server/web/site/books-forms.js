// Amounts in minor units by integer and string arithmetic (never floating point), and the
// forms that record income, expenses and patronage.

import * as api from './api.js';
import { h, field, form, showErrors, clearErrors, uid } from './dom.js';

// ISO 4217 minor units, 2 unless named, as in coop/charter.c (the API does not give them).
const EXP = [['BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF', 0],
  ['BHD IQD JOD KWD LYD OMR TND', 3], ['CLF UYW', 4]];
export const exponentOf = (code) => (EXP.find(([list]) => list.split(' ').includes(code)) || [0, 2])[1];

// 123456 -> "1,234.56" with exponent 2: the digits are moved, never divided.
export function money(minor, exp) {
  const digits = String(minor).replace('-', '').padStart(exp + 1, '0');
  const whole = digits.slice(0, digits.length - exp).replace(/\B(?=(\d{3})+$)/g, ',');
  return `${minor < 0 ? '-' : ''}${whole}${exp ? `.${digits.slice(digits.length - exp)}` : ''}`;
}

// "120.50" (or "120,50") in the major unit -> {value: 12050} in minor units, or {error}.
export function parseAmount(text, exp, currency, { signed = false } = {}) {
  const t = text.trim().replace(/[\s']/g, '');
  const example = `120${exp ? `.${'5'.padEnd(exp, '0')}` : ''}`;
  const m = /^([+-]?)(\d*)(?:[.,](\d*))?$/.exec(t);
  if (!m || !(m[2] || m[3])) return { error: `Type an amount in ${currency} like ${example}, without separators.` };
  if (m[1] === '-' && !signed) return { error: 'Type the amount without a sign.' };
  const frac = m[3] || '';
  if (frac.length > exp) return { error: `${currency} has ${exp || 'no'} decimal place${exp === 1 ? '' : 's'}: ${t} has ${frac.length}.` };
  const v = BigInt(m[2] || '0') * 10n ** BigInt(exp) + BigInt(frac.padEnd(exp, '0') || '0');
  if (v === 0n) return { error: 'The amount cannot be zero.' };
  if (v >= 2n ** 53n) return { error: 'That amount is too large.' };
  return { value: Number(m[1] === '-' ? -v : v) };
}

// This device's date, YYYY-MM-DD.
export const today = () => new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);

// The fiscal year that holds day (YYYY-MM-DD), starting on start (MM-DD): {year, from, to}.
export function fiscalYear(day, start) {
  const y = Number(day.slice(0, 4)) - (day.slice(5) < start ? 1 : 0);
  const [m, d] = start.split('-').map(Number);
  const end = new Date(Date.UTC(y + 1, m - 1, d - 1));
  return { year: y, from: `${y}-${start}`, to: end.toISOString().slice(0, 10) };
}

// The most generous limit of the person's roles that record expenses (as the server does):
// null when one of them has none.
function limit(b, key) {
  const all = b.roles.map((r) => (b.charter.roles || {})[r])
    .filter((r) => r && (r.permissions || []).includes('record_expense')).map((r) => (r.limits || {})[key]);
  return all.includes(undefined) ? null : Math.max(...all);
}

const accountOptions = (b, types) => b.accounts.filter((a) => types.includes(a.type))
  .map((a) => ({ value: a.code, label: a.name }));

function select(label, name, test, options, preferred) {
  const f = field({ label, name, test, control: 'select', options });
  if (options.some((o) => o.value === preferred)) f.input.value = preferred;
  return f;
}

// send() gives {path, body, said, clear, fieldFor} or an {error}. What was typed stays on a
// failure; a lost answer may hide a posting, so the books reload.
function recording(b, { title, test, button, fields, send }) {
  const done = h('p', { role: 'status', class: 'progress', 'data-test': `${test}-done` });
  const id = uid('rec');
  return h('div', { class: 'subsection', role: 'group', 'aria-labelledby': id }, h('h3', { id }, title), form({
    label: title, test: `${test}-form`,
    onSubmit: async (f) => {
      done.textContent = '';
      clearErrors(f);
      const s = send();
      if (s.error) return showErrors(f, s.error);
      const r = await api.call('POST', `${b.base}${s.path}`, s.body, { retryNetwork: false });
      if (!r.ok) {
        showErrors(f, r.error, s.fieldFor);
        if (r.status !== 0) return;
        f.formError.textContent = 'The connection failed: this may or may not have been recorded. '
          + 'Check the books below before trying again.';
      } else {
        done.textContent = `Recorded: ${s.said} (log entry #${r.data.seq}).`;
        s.clear.forEach((x) => { x.input.value = ''; });
      }
      b.refresh();
    },
  }, fields.map((x) => x.wrap), h('button', { type: 'submit', 'data-test': `${test}-submit`, 'data-busy': 'Recording…' }, button), done));
}

const dateField = (test) => field({ label: 'Date', name: 'date', test, type: 'date', value: today(), required: true });
const problem = (detail, name) => ({ error: { detail, pointer: `/${name}` } });
// The API's pointers name postings by index: 0 is the debit, 1 the credit.
const POSTINGS = {
  '/postings': 'amount', '/postings/0/amount': 'amount', '/postings/1/amount': 'amount',
  '/postings/0': 'debit', '/postings/0/account': 'debit', '/postings/1': 'credit', '/postings/1/account': 'credit',
};

// An entry of two postings: `debit` receives the amount, `credit` gives it.
function entryForm(b, o) {
  const t = o.test;
  const date = dateField(`${t}-date`);
  const memo = field({ label: 'What for', name: 'memo', test: `${t}-memo`, maxlength: 500 });
  const amount = field({ label: `Amount (${b.currency})`, name: 'amount', test: `${t}-amount`, inputmode: 'decimal',
    autocomplete: 'off', required: true, hint: o.hint });
  const debit = select(o.debitLabel, 'debit', `${t}-debit`, accountOptions(b, o.debitTypes), o.debitDefault);
  const credit = select(o.creditLabel, 'credit', `${t}-credit`, accountOptions(b, o.creditTypes), o.creditDefault);
  return recording(b, { title: o.title, test: t, button: o.button, fields: [date, amount, debit, credit, memo],
    send: () => {
      const a = parseAmount(amount.input.value, b.exp, b.currency);
      if (a.error) return problem(a.error, 'amount');
      if (!date.input.value) return problem('Please give the date.', 'date');
      return { path: '/ledger/entries', fieldFor: POSTINGS, clear: [amount, memo], said: b.cur(a.value),
        body: { date: date.input.value, memo: memo.input.value.trim(), postings: [
          { account: debit.input.value, amount: a.value }, { account: credit.input.value, amount: -a.value }] } };
    } });
}

function patronageForm(b) {
  const wages = b.unit === 'wages';
  const person = select('Member', 'person', 'patronage-person', b.members.map((m) => ({ value: m.id, label: m.name })), b.me);
  const date = dateField('patronage-date');
  const amount = field({
    label: wages ? `Wages (${b.currency})` : 'Minutes worked', name: 'amount', test: 'patronage-amount',
    inputmode: wages ? 'decimal' : 'numeric', autocomplete: 'off', required: true, hint: 'A correction is a negative amount.',
  });
  return recording(b, { title: 'Patronage', test: 'patronage', button: 'Record patronage', fields: [person, date, amount],
    send: () => {
      const text = amount.input.value.trim();
      const a = wages ? parseAmount(text, b.exp, b.currency, { signed: true })
        : /^-?\d{1,15}$/.test(text) && Number(text) !== 0 ? { value: Number(text) }
          : { error: 'Type a whole number of minutes, not zero, like 480.' };
      if (a.error) return problem(a.error, 'amount');
      if (!date.input.value) return problem('Please give the date.', 'date');
      return { path: '/patronage', clear: [amount], said: `${b.patronage(a.value)} for ${b.name(person.input.value)}`,
        body: { person: person.input.value, date: date.input.value, amount: a.value } };
    } });
}

export function recordForms(b) {
  const out = [];
  if (b.perms.has('record_income')) {
    out.push(entryForm(b, {
      test: 'income', title: 'Income', button: 'Record income',
      debitLabel: 'Received into', debitTypes: ['asset'], debitDefault: 'bank',
      creditLabel: 'Income account', creditTypes: ['income'], creditDefault: 'sales',
    }));
  }
  if (b.perms.has('record_expense')) {
    const lim = (key, per) => { const x = limit(b, key); return x === null ? null : `${b.cur(x)} ${per}`; };
    const said = [lim('expense_per_entry', 'an entry'), lim('expense_per_month', 'a month')].filter(Boolean);
    out.push(entryForm(b, {
      test: 'expense', title: 'Expense', button: 'Record the expense',
      hint: said.length ? `Your limit: ${said.join(' and ')}; more needs an approve_expense decision.` : null,
      debitLabel: 'Expense account', debitTypes: ['expense'], debitDefault: 'supplies',
      creditLabel: 'Paid from', creditTypes: ['asset', 'liability'], creditDefault: 'bank',
    }));
  }
  if (b.perms.has('record_patronage')) out.push(patronageForm(b));
  return out.length ? out : h('p', { 'data-test': 'record-none' }, 'None of your roles records anything in the books.');
}
