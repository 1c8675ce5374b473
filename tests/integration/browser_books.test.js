'use strict';
// The books in the web page, in a real browser (Debian's chromium, headless): a founder,
// the treasurer under the default charter, records income, expenses and patronage in the
// page; an amount with too many decimals is refused before anything is sent, and an
// expense over her limits is refused with the limit and what is left shown next to the
// amount; the balances and reports show the right figures; her signed statement verifies
// in the page (and a forged one does not). No console error or warning; screenshots at
// phone and desktop size.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness');
const C = require('./lib/coop');
const B = require('./lib/browser');

// (the rate limits raised: the page reads every report again after each posting)
const S = B.suite({ FREECOOP_CONCLUDE_POLL_MS: '50', FREECOOP_WEBHOOK_POLL_MS: '50',
  FREECOOP_RATE_LIMIT_TOKEN: '100000', FREECOOP_RATE_LIMIT_TOKEN_BURST: '100000',
  FREECOOP_RATE_LIMIT_ACCOUNT: '100000', FREECOOP_RATE_LIMIT_ACCOUNT_BURST: '100000' });
const { sel, go, until, fits, clean } = S;
const browser = S.open;
const type = S.fill;
const click = S.tap;
// The error line the control t names as its description, once it says something.
async function fieldError(who, t) {
  await until(who, (s) => {
    const c = document.querySelector(s);
    const id = (c.getAttribute('aria-describedby') || '').split(' ').find((x) => x.endsWith('-error'));
    const p = document.getElementById(id);
    return p && !p.hidden && p.textContent && c.getAttribute('aria-invalid') === 'true';
  }, sel(t));
  return who.page.$eval(sel(t), (c) => document.getElementById(
    c.getAttribute('aria-describedby').split(' ').find((x) => x.endsWith('-error'))).textContent);
}
// The text of selector once it matches re.
async function textMatching(who, selector, re) {
  await until(who, (s, src) => new RegExp(src).test(document.querySelector(s)?.textContent || ''), selector, re.source);
  return B.text(who, selector);
}
// A downloaded file's path and text, once the browser has written it whole (its name can
// appear before its bytes do).
async function downloaded(who, whole) {
  const file = await B.download(who);
  for (let i = 0; ; i++) {
    const text = fs.readFileSync(file, 'utf8');
    if (whole(text) || i === 50) return { file, text };
    await h.sleep(100);
  }
}
const parses = (t) => { try { return !!JSON.parse(t); } catch { return false; } };
const pad = (n) => String(n).padStart(2, '0');
const d = new Date();
const TODAY = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const YEAR = d.getFullYear(); // the default charter's fiscal year starts on 1 January

let ada; let me; let g; let backup;

test('the founder signs up in the page; her group is founded through the API', async () => {
  ada = await browser('ada-books', B.DESKTOP);
  await go(ada);
  await type(ada, 'signup-name', 'Ada');
  await click(ada, 'signup-submit');
  await click(ada, 'backup-download');
  backup = JSON.parse((await downloaded(ada, parses)).text);
  fs.rmSync(ada.downloads, { recursive: true, force: true });
  fs.mkdirSync(ada.downloads);
  me = { id: backup.person.id, token: await h.accessToken(S.server(), backup.authorization_token) };
  g = await C.found(S.server(), me);
  clean(ada);
});

test('the treasurer records income and expenses, within her limits, and patronage', async () => {
  await go(ada, `#/groups/${g.id}/books`);
  await ada.page.waitForSelector(`${sel('balances-asset')} tr[data-code=bank]`, { timeout: 20000 });
  assert.match(await B.text(ada, 'h1'), /Books of/);
  assert.match(await B.text(ada, sel('expense-form')), /Your limit: 500\.00 EUR an entry and 2,000\.00 EUR a month/);

  await type(ada, 'income-amount', '3000.00');
  await type(ada, 'income-memo', 'Bread');
  await click(ada, 'income-submit');
  assert.match(await textMatching(ada, sel('income-done'), /Recorded/), /3,000\.00 EUR \(log entry #2\)/);

  // More decimals than the euro has: refused in the page, next to the amount, unsent.
  await type(ada, 'expense-amount', '12.345');
  await click(ada, 'expense-submit');
  assert.match(await fieldError(ada, 'expense-amount'), /EUR has 2 decimal places: 12\.345 has 3/);
  // A decimal comma is read as the decimal point.
  await type(ada, 'expense-amount', '450,00');
  await type(ada, 'expense-memo', 'Flour');
  await click(ada, 'expense-submit');
  assert.match(await textMatching(ada, sel('expense-done'), /Recorded/), /450\.00 EUR/);

  // Over the limit of an entry: the server's words, next to the amount; what was typed stays.
  await type(ada, 'expense-amount', '500.01');
  await click(ada, 'expense-submit');
  assert.match(await fieldError(ada, 'expense-amount'), /500\.01 is over your limit of 500\.00 an entry/);
  assert.equal(await ada.page.$eval(sel('expense-amount'), (e) => e.value), '500.01');
  // Three more of 450.00 this month (through the API), then the month's limit: 200.00 is left.
  for (let i = 0; i < 3; i++) {
    const r = await h.api(S.server(), 'POST', `/coop/v1/groups/${g.id}/ledger/entries`, { token: me.token, body: {
      date: TODAY, memo: 'Flour', postings: [{ account: 'supplies', amount: 45000 }, { account: 'bank', amount: -45000 }] } });
    assert.equal(r.status, 201, r.text);
  }
  await type(ada, 'expense-amount', '450');
  await click(ada, 'expense-submit');
  assert.match(await fieldError(ada, 'expense-amount'), /monthly limit of 2000\.00: 200\.00 is left this month/);
  await B.shoot(ada, 'books-over-limit');
  assert.ok(ada.refusals.some((r) => r.url.endsWith('/ledger/entries')), 'the 403s came from the server');

  await type(ada, 'patronage-amount', '480');
  await click(ada, 'patronage-submit');
  assert.match(await textMatching(ada, sel('patronage-done'), /Recorded/), /480 minutes for Ada/);
  clean(ada);
});

test('the balances and reports show the books\' figures', async () => {
  const amount = (table, code) => B.text(ada, `${sel(table)} tr[data-code="${code}"] ${sel('amount')}`);
  const total = (table) => B.text(ada, `${sel(table)} ${sel('total')}`);
  // Income 3,000.00; expenses 450.00 in the page and 3 x 450.00 through the API.
  await textMatching(ada, `${sel('balances-asset')} tr[data-code=bank] ${sel('amount')}`, /^1,200\.00$/);
  assert.equal(await total('balances-asset'), '1,200.00');
  assert.equal(await amount('balances-income', 'sales'), '3,000.00');
  assert.equal(await amount('balances-expense', 'supplies'), '1,800.00');
  assert.equal(await amount('balances-equity', `capital:${me.id}`), '0.00');

  await textMatching(ada, `${sel('sheet-assets')} ${sel('total')}`, /^1,200\.00$/);
  assert.equal(await amount('sheet-assets', 'bank'), '1,200.00');
  assert.equal(await total('sheet-liabilities'), '0.00');
  assert.equal(await total('sheet-equity'), '0.00');
  assert.match(await B.text(ada, sel('sheet-result')), /1,200\.00 EUR/);
  assert.match(await B.text(ada, sel('sheet-balanced')), /^Balanced/);

  assert.equal(await total('is-income'), '3,000.00');
  assert.equal(await total('is-expenses'), '1,800.00');
  assert.match(await B.text(ada, sel('is-net')), /Net result: 1,200\.00 EUR/);

  const mine = `${sel('member-report')}[data-person="${me.id}"]`;
  assert.equal(await B.text(ada, `${mine} ${sel('member-patronage')}`), '480 minutes');
  assert.equal(await B.text(ada, `${mine} ${sel('member-capital')}`), '0.00 EUR');
  assert.equal(await ada.page.$$eval(sel('negative-capital'), (x) => x.length), 0);

  await until(ada, () => document.querySelectorAll('[data-test=entry]').length === 5);
  assert.match(await B.text(ada, `${sel('entry')}[data-seq="2"]`), /Bread.*Bank\s*3,000\.00.*Sales\s*3,000\.00/s);
  assert.match(await B.text(ada, `${sel('entry')}[data-seq="2"] ${sel('entry-by')}`), /posted by Ada as treasurer/);
  assert.equal(await ada.page.$eval(sel('entries-more'), (e) => e.hidden), true);
  await B.shoot(ada, 'books');
  clean(ada);
});

test('her signed statement verifies in the page, downloads, and a forged one does not verify', async () => {
  assert.equal(await ada.page.$eval(sel('statement-year'), (e) => e.value), String(YEAR));
  await click(ada, 'statement-submit');
  assert.match(await textMatching(ada, sel('statement-verdict'), /erified/), /^Verified/);
  // The year's surplus so far: 1,200.00, 3/10 to the reserve, the rest hers; 1/5 in cash.
  assert.equal(await B.text(ada, sel('st-patronage')), '480 minutes');
  assert.equal(await B.text(ada, sel('st-allocation')), '840.00 EUR');
  assert.equal(await B.text(ada, sel('st-cash')), '168.00 EUR');
  assert.equal(await B.text(ada, sel('st-retained')), '672.00 EUR');
  assert.equal(await B.text(ada, sel('st-capital')), '0.00 EUR');
  assert.match(await B.text(ada, sel('st-status')), /^provisional/);
  await B.shoot(ada, 'books-statement');

  await click(ada, 'statement-download');
  const { file, text } = await downloaded(ada, (t) => /^[\w-]+\.[\w-]+\.[\w-]{86}$/.test(t));
  assert.equal(path.basename(file), `statement-${YEAR}.jws`);
  const parts = text.split('.');
  assert.equal(parts.length, 3);
  const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  assert.deepEqual([payload.person, payload.year, payload.allocation], [me.id, YEAR, 84000]);

  // The server (or someone between) changes a figure: the page says so.
  await ada.page.setRequestInterception(true);
  const forge = (req) => {
    if (!req.url().includes('/statement?')) return req.continue();
    const forged = [parts[0], Buffer.from(JSON.stringify({ ...payload, allocation: 9999999 })).toString('base64url'), parts[2]].join('.');
    return req.respond({ status: 200, contentType: 'application/jose', body: forged });
  };
  ada.page.on('request', forge);
  try {
    await click(ada, 'statement-submit');
    assert.match(await textMatching(ada, sel('statement-verdict'), /NOT/), /^NOT verified: The signature does not match/);
    assert.equal(await ada.page.$(sel('statement-figures')), null);
  } finally {
    ada.page.off('request', forge);
    await ada.page.setRequestInterception(false);
  }
  clean(ada);
});

test('on a phone: the books fit the screen', async () => {
  const phone = await browser('ada-books-phone', B.PHONE);
  await go(phone);
  const input = await phone.page.waitForSelector(sel('restore-file'), { timeout: 20000 });
  const f = path.join(phone.dir, 'backup.json');
  fs.writeFileSync(f, JSON.stringify(backup));
  await input.uploadFile(f);
  await phone.page.waitForSelector(sel('group-link'), { timeout: 20000 });
  await go(phone, `#/groups/${g.id}/books`);
  await until(phone, () => document.querySelectorAll('[data-test=entry]').length === 5);
  await textMatching(phone, `${sel('sheet-assets')} ${sel('total')}`, /^1,200\.00$/);
  await fits(phone);
  await B.shoot(phone, 'books');
  await type(phone, 'expense-amount', '600');
  await click(phone, 'expense-submit');
  assert.match(await fieldError(phone, 'expense-amount'), /over your limit of 500\.00 an entry/);
  await fits(phone);
  await B.shoot(phone, 'books-over-limit');
  clean(phone);
});
