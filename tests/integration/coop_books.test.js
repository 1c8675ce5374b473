'use strict';
// The books (DESIGN §10.7): the default chart of accounts, entries in integer minor units
// posted within what each role permits (income, expenses within limits, capital but never
// one's own, never the reserve), reversals, the opening-balances entry; every entry in the
// group's signed log. Bad input changes nothing.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const C = require('./lib/coop');

let server;
test.before(async () => {
  // (the rate limits per token and account raised: one test posts thousands of entries)
  server = await C.coopServer({ FREECOOP_CONCLUDE_POLL_MS: '50', FREECOOP_WEBHOOK_POLL_MS: '100',
    FREECOOP_RATE_LIMIT_TOKEN: '100000', FREECOOP_RATE_LIMIT_TOKEN_BURST: '100000',
    FREECOOP_RATE_LIMIT_ACCOUNT: '100000', FREECOOP_RATE_LIMIT_ACCOUNT_BURST: '100000' });
});
test.after(() => server.stop());

const person = (name) => C.person(server, name);
const get = (who, p) => h.api(server, 'GET', p, { token: who.token });
const post = (who, p, body) => h.api(server, 'POST', p, { token: who.token, body });
const entry = (who, g, body) => post(who, `/coop/v1/groups/${g.id}/ledger/entries`, body);
const accounts = async (who, g) => {
  const r = await get(who, `/coop/v1/groups/${g.id}/ledger/accounts`);
  assert.equal(r.status, 200, r.text);
  return r.json.accounts;
};
const balance = async (who, g, code) => (await accounts(who, g)).find((a) => a.code === code).balance;
const entries = async (who, g) => (await get(who, `/coop/v1/groups/${g.id}/ledger/entries`)).json.entries;
const sale = (amount, date = '2027-01-05') => ({ date, memo: 'Bread', postings: [
  { account: 'bank', amount }, { account: 'sales', amount: -amount }] });
const expense = (amount, date = '2027-01-05') => ({ date, memo: 'Flour', postings: [
  { account: 'supplies', amount }, { account: 'bank', amount: -amount }] });

// Ada founds a group (a fast charter, edit(charter) applied first) and admits Bob by decision.
async function adaAndBob(edit = () => {}) {
  const ada = await person('Ada');
  const bob = await person('Bob');
  const charter = structuredClone(await C.fastCharter(server, ada));
  edit(charter);
  const g = await C.found(server, ada, charter);
  await post(bob, `/coop/v1/groups/${g.id}/applications`, {});
  await C.decide(server, ada, g, 'admit_member', [{ person: bob.id }]);
  return { ada, bob, g };
}

// verify-log replays the ledger of the log to the balances the server reports.
async function ledgerReplays(who, log) {
  const v = await C.verifyLog(server, who, log, { accounts: true });
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /ok: the ledger replayed from the log \(\d+ entr(y|ies)\) gives the \d+ balances the server reports/);
}

test('founding opens the default chart and the founder\'s capital account', async () => {
  const ada = await person('Ada');
  const g = await C.found(server, ada);
  const list = await accounts(ada, g);
  assert.deepEqual(list.map((a) => [a.code, a.type]), [
    ['bank', 'asset'], ['cash', 'asset'], ['receivables', 'asset'],
    ['patronage_payable', 'liability'], ['payables', 'liability'],
    [`capital:${ada.id}`, 'equity'], ['reserve', 'equity'], ['undistributed', 'equity'],
    ['other_income', 'income'], ['sales', 'income'],
    ['other_expenses', 'expense'], ['rent', 'expense'], ['supplies', 'expense'], ['wages', 'expense'],
  ]);
  assert.ok(list.every((a) => a.balance === 0));
  assert.equal(list.find((a) => a.code === 'sales').patronage, true);
  assert.equal(list.find((a) => a.code === 'other_income').patronage, false);
  assert.equal(list.find((a) => a.code === 'bank').patronage, undefined);
  assert.equal(list.find((a) => a.code === `capital:${ada.id}`).name, 'Capital: Ada');
  const eve = await person('Eve');
  h.assertProblem(await get(eve, `/coop/v1/groups/${g.id}/ledger/accounts`), 404, 'not-found');
  h.assertProblem(await entry(eve, g, sale(100)), 404, 'not-found');
});

test('a treasurer posts income: the entry, the balances, the signed log', async () => {
  const ada = await person('Ada');
  const g = await C.found(server, ada);
  const r = await entry(ada, g, sale(12050));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.seq, 2);
  assert.equal(r.json.date, '2027-01-05');
  assert.equal(r.json.memo, 'Bread');
  assert.deepEqual(r.json.postings, [{ account: 'bank', amount: 12050 }, { account: 'sales', amount: -12050 }]);
  assert.equal(r.json.posted_by, ada.id);
  assert.deepEqual(r.json.authorised_by, { role: 'treasurer' });
  assert.equal(await balance(ada, g, 'bank'), 12050);
  assert.equal(await balance(ada, g, 'sales'), -12050);
  assert.deepEqual(await entries(ada, g), [r.json]);

  const log = await C.log(server, ada, g.id);
  assert.equal(log.entries.length, 2);
  const e = log.entries[1];
  assert.equal(e.kind, 'ledger');
  assert.equal(e.seq, 2);
  const { seq, ...logged } = r.json; // eslint-disable-line no-unused-vars
  assert.deepEqual(e.entry, logged);
  assert.equal((await get(ada, `/coop/v1/groups/${g.id}`)).json.head, e.hash);
  await ledgerReplays(ada, log);
});

test('bad entries are refused with a problem and change nothing', async () => {
  const ada = await person('Ada');
  const g = await C.found(server, ada);
  assert.equal((await entry(ada, g, sale(500))).status, 201);
  const before = h.superSql(`SELECT count(*) FROM coop.log WHERE group_id = '${g.id}'`);
  const two = (a, b) => ({ date: '2027-01-05', postings: [{ account: 'bank', amount: a }, { account: 'sales', amount: b }] });
  const cases = [
    [two(100, -99), 422, 'unbalanced', '/postings'],
    [two(12.5, -12.5), 422, 'invalid-entry', '/postings/0/amount'],
    [two('100', '-100'), 422, 'invalid-entry', '/postings/0/amount'],
    [two(0, 0), 422, 'invalid-entry', '/postings/0/amount'],
    [{ ...two(100, -100), date: '2027-02-30' }, 422, 'invalid-entry', '/date'],
    [{ ...two(100, -100), date: '2027-1-05' }, 422, 'invalid-request'],
    [{ ...two(100, -100), date: 'yesterday!' }, 422, 'invalid-entry', '/date'],
    [{ date: '2027-01-05', postings: [{ account: 'nope', amount: 1 }, { account: 'bank', amount: -1 }] },
      422, 'unknown-account', '/postings/0/account'],
    [{ date: '2027-01-05', postings: [{ account: 'bank', amount: 1 }, { account: 'bank' }] }, 422, 'invalid-entry', '/postings/1'],
    [{ date: '2027-01-05', postings: [{ account: 'bank', amount: 1 }] }, 422, 'invalid-request'],
    [{ postings: [] }, 422, 'invalid-request'],
    [{ ...two(100, -100), reverses: 'not-an-id' }, 422, 'invalid-request'],
    [{ ...two(100, -100), reverses: g.id }, 422, 'invalid-entry', '/reverses'],
    [{ date: '2027-01-05', postings: [{ account: 'reserve', amount: 1 }, { account: 'bank', amount: -1 }] },
      403, 'not-permitted', '/postings'],
  ];
  for (const [body, status, slug, pointer] of cases) {
    const r = await entry(ada, g, body);
    h.assertProblem(r, status, slug, JSON.stringify(body));
    if (pointer) assert.equal(r.json.pointer, pointer, JSON.stringify(body));
  }
  // Beyond 2^53: refused by the body's reader, as every such number.
  const big = await h.api(server, 'POST', `/coop/v1/groups/${g.id}/ledger/entries`, { token: ada.token,
    rawBody: '{"date":"2027-01-05","postings":[{"account":"bank","amount":9007199254740993},'
      + '{"account":"sales","amount":-9007199254740993}]}' });
  h.assertProblem(big, 422, 'invalid-request');
  assert.equal(h.superSql(`SELECT count(*) FROM coop.log WHERE group_id = '${g.id}'`), before);
  assert.equal((await entries(ada, g)).length, 1);
  assert.equal(await balance(ada, g, 'bank'), 500);
});

test('expenses within the role\'s limits: per entry and per month, with what is left', async () => {
  const ada = await person('Ada');
  const g = await C.found(server, ada);
  // The default treasurer: 500.00 an entry, 2,000.00 a month.
  const over = await entry(ada, g, expense(50001));
  h.assertProblem(over, 403, 'over-limit');
  assert.match(over.json.detail, /500\.01.*500\.00/);
  for (let i = 0; i < 4; i++) assert.equal((await entry(ada, g, expense(45000, `2027-03-0${i + 1}`))).status, 201);
  const month = await entry(ada, g, expense(45000, '2027-03-20'));
  h.assertProblem(month, 403, 'over-limit');
  assert.match(month.json.detail, /2000\.00.*200\.00 is left/);
  assert.equal((await entry(ada, g, expense(20000, '2027-03-31'))).status, 201, 'what is left fits');
  assert.equal((await entry(ada, g, expense(45000, '2027-04-01'))).status, 201, 'another month');
  assert.equal(await balance(ada, g, 'supplies'), 4 * 45000 + 20000 + 45000);
});

test('concurrent expenses that together exceed the monthly limit: at most the limit is posted', async () => {
  const ada = await person('Ada');
  const g = await C.found(server, ada);
  const rs = await Promise.all(Array.from({ length: 10 }, (_, i) =>
    entry(ada, g, expense(45000, `2027-05-${String(i + 1).padStart(2, '0')}`))));
  const ok = rs.filter((r) => r.status === 201);
  assert.equal(ok.length, 4, rs.map((r) => r.status).join(' '));
  for (const r of rs.filter((x) => x.status !== 201)) h.assertProblem(r, 403, 'over-limit');
  assert.equal(await balance(ada, g, 'supplies'), 4 * 45000);
  const log = await C.log(server, ada, g.id);
  assert.equal(log.entries.length, 5);
  await ledgerReplays(ada, log);
});

test('who may post what: members without the permission, and one\'s own capital', async () => {
  const { ada, bob, g } = await adaAndBob();
  assert.ok((await accounts(ada, g)).some((a) => a.code === `capital:${bob.id}`), 'opened at admission');
  // Bob is a member (record_patronage only).
  h.assertProblem(await entry(bob, g, sale(100)), 403, 'not-permitted');
  h.assertProblem(await entry(bob, g, expense(100)), 403, 'not-permitted');
  // Ada's buy-in is posted by another member, never by herself; Bob's by Ada.
  const buyIn = (p, amount) => ({ date: '2027-01-10', memo: 'Buy-in', postings: [
    { account: 'bank', amount }, { account: `capital:${p.id}`, amount: -amount }] });
  h.assertProblem(await entry(ada, g, buyIn(ada, 10000)), 403, 'not-permitted');
  const r = await entry(ada, g, buyIn(bob, 10000));
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.authorised_by, { role: 'treasurer' });
  assert.equal(await balance(bob, g, `capital:${bob.id}`), -10000);
});

test('reversals negate an entry exactly, once', async () => {
  const ada = await person('Ada');
  const g = await C.found(server, ada);
  const first = (await entry(ada, g, sale(7000))).json;
  const wrong = await entry(ada, g, { date: '2027-01-06', postings: [
    { account: 'bank', amount: -6999 }, { account: 'sales', amount: 6999 }], reverses: first.id });
  h.assertProblem(wrong, 422, 'invalid-entry');
  const back = await entry(ada, g, { date: '2027-01-06', memo: 'Wrong till', postings: [
    { account: 'sales', amount: 7000 }, { account: 'bank', amount: -7000 }], reverses: first.id });
  assert.equal(back.status, 201, back.text);
  assert.equal(back.json.reverses, first.id);
  assert.equal(await balance(ada, g, 'bank'), 0);
  h.assertProblem(await entry(ada, g, { date: '2027-01-07', postings: [
    { account: 'sales', amount: 7000 }, { account: 'bank', amount: -7000 }], reverses: first.id }), 409, 'already-reversed');
});

test('the opening-balances entry: by manage_accounts, while the ledger is empty, once', async () => {
  const ada = await person('Ada');
  const charter = structuredClone(await C.fastCharter(server, ada));
  charter.roles.treasurer.permissions.push('manage_accounts');
  const g = await C.found(server, ada, charter);
  const opening = { date: '2027-01-01', memo: 'Opening balances', opening: true, postings: [
    { account: 'bank', amount: 250000 }, { account: 'payables', amount: -50000 },
    { account: `capital:${ada.id}`, amount: -200000 }] };
  const r = await entry(ada, g, opening);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.opening, true);
  h.assertProblem(await entry(ada, g, opening), 409, 'ledger-not-empty');
  assert.equal(await balance(ada, g, `capital:${ada.id}`), -200000);
  // Without manage_accounts: not permitted.
  const other = await C.found(server, ada);
  h.assertProblem(await entry(ada, other, opening), 403, 'not-permitted');
});

test('accounts opened by manage_accounts; patronage recorded by record_patronage; both in the log', async () => {
  const { ada, bob, g } = await adaAndBob((charter) => {
    charter.roles.treasurer.permissions.push('manage_accounts');
  });
  const open = (who, body) => post(who, `/coop/v1/groups/${g.id}/ledger/accounts`, body);

  const r = await open(ada, { code: 'grants', name: 'Grants', type: 'income', patronage: false });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json, { code: 'grants', name: 'Grants', type: 'income', patronage: false, balance: 0 });
  const v = await open(ada, { code: 'van', name: 'The van', type: 'asset' });
  assert.equal(v.status, 201, v.text);
  assert.equal(v.json.patronage, undefined);
  h.assertProblem(await open(ada, { code: 'grants', name: 'Again', type: 'income' }), 409, 'account-exists');
  h.assertProblem(await open(ada, { code: 'Bad Code', name: 'x', type: 'asset' }), 422, 'invalid-entry');
  h.assertProblem(await open(ada, { code: 'capital', name: 'x', type: 'wealth' }), 422, 'invalid-entry');
  h.assertProblem(await open(ada, { code: 'loan', name: 'x', type: 'liability', patronage: true }), 422, 'invalid-entry');
  h.assertProblem(await open(bob, { code: 'mine', name: 'x', type: 'asset' }), 403, 'not-permitted');
  assert.ok((await accounts(bob, g)).some((a) => a.code === 'grants' && a.patronage === false));
  // A grant is income (record_income); the new account is usable at once.
  const grant = await entry(ada, g, { date: '2027-02-01', memo: 'City grant', postings: [
    { account: 'bank', amount: 100000 }, { account: 'grants', amount: -100000 }] });
  assert.equal(grant.status, 201, grant.text);

  // Patronage: Bob (member: record_patronage) records minutes for Ada and himself.
  const rec = (who, body) => post(who, `/coop/v1/groups/${g.id}/patronage`, body);
  const p1 = await rec(bob, { person: ada.id, date: '2027-02-01', amount: 480 });
  assert.equal(p1.status, 201, p1.text);
  assert.equal(p1.json.person, ada.id);
  assert.equal(p1.json.amount, 480);
  assert.equal(p1.json.recorded_by, bob.id);
  assert.equal((await rec(bob, { person: bob.id, date: '2027-02-01', amount: 300 })).status, 201);
  assert.equal((await rec(bob, { person: bob.id, date: '2027-02-02', amount: -60 })).status, 201, 'a correction');
  const eve = await person('Eve');
  h.assertProblem(await rec(bob, { person: eve.id, date: '2027-02-01', amount: 10 }), 422, 'invalid-entry');
  h.assertProblem(await rec(bob, { person: ada.id, date: '2027-02-30', amount: 10 }), 422, 'invalid-entry');
  h.assertProblem(await rec(bob, { person: ada.id, date: '2027-02-01', amount: 0 }), 422, 'invalid-entry');
  h.assertProblem(await rec(bob, { person: ada.id, date: '2027-02-01', amount: 1.5 }), 422, 'invalid-request');
  const list = (await get(ada, `/coop/v1/groups/${g.id}/patronage`)).json.patronage;
  assert.deepEqual(list.map((x) => [x.person, x.amount]), [[ada.id, 480], [bob.id, 300], [bob.id, -60]]);

  const log = await C.log(server, ada, g.id);
  const kinds = log.entries.map((e) => e.kind);
  assert.deepEqual(kinds, ['founded', 'decision', 'ledger', 'ledger', 'ledger', 'ledger', 'ledger', 'ledger']);
  assert.deepEqual(log.entries[2].entry, { account: { code: 'grants', name: 'Grants', type: 'income', patronage: false } });
  assert.deepEqual(log.entries[5].entry.patronage, { id: p1.json.id, person: ada.id, date: '2027-02-01', amount: 480, recorded_by: bob.id });
  const ok = await C.verifyLog(server, ada, log, { accounts: true });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
});

test('an expense over the limit is made by an adopted approve_expense decision', async () => {
  const ada = await person('Ada');
  const g = await C.found(server, ada, await C.fastCharter(server, ada));
  const big = { date: '2027-06-01', memo: 'New oven', postings: [
    { account: 'other_expenses', amount: 250000 }, { account: 'bank', amount: -250000 }] };
  h.assertProblem(await entry(ada, g, big), 403, 'over-limit');
  const toReserve = { date: '2027-06-01', postings: [{ account: 'reserve', amount: 100 }, { account: 'bank', amount: -100 }] };
  const { decision, listed } = await C.decide(server, ada, g, 'approve_expense', [{ entry: big }, { entry: toReserve }]);
  assert.deepEqual(listed.applied, [{ entry: big }]);
  assert.equal(listed.refused.length, 1);
  assert.match(listed.refused[0].reason, /only by allocate_surplus/);

  const posted = await entries(ada, g);
  assert.equal(posted.length, 1);
  assert.deepEqual(posted[0].authorised_by, { decision: decision.id });
  assert.equal(posted[0].posted_by, ada.id);
  assert.deepEqual(posted[0].postings, big.postings);
  assert.equal(await balance(ada, g, 'other_expenses'), 250000);
  // The decision's entry, then the ledger entry it posted, chained.
  const log = await C.log(server, ada, g.id);
  assert.deepEqual(log.entries.map((e) => [e.seq, e.kind]), [[1, 'founded'], [2, 'decision'], [3, 'ledger']]);
  assert.equal(log.entries[2].prev, log.entries[1].hash);
  assert.equal(log.entries[2].entry.id, posted[0].id);
  assert.equal(posted[0].seq, 3);
  assert.equal(listed.log_seq, 2);
  const v = await C.verifyLog(server, ada, log, { accounts: true });
  assert.equal(v.status, 0, v.stdout + v.stderr);
  // It does not count against the treasurer's own monthly limit.
  assert.equal((await entry(ada, g, expense(45000, '2027-06-02'))).status, 201);
});

test('a removed member\'s capital moves to capital payable to them, in the same application', async () => {
  const { ada, bob, g } = await adaAndBob();
  assert.equal((await entry(ada, g, { date: '2027-01-10', memo: 'Buy-in', postings: [
    { account: 'bank', amount: 10000 }, { account: `capital:${bob.id}`, amount: -10000 }] })).status, 201);
  const { decision, listed } = await C.decide(server, ada, g, 'remove_member', [{ person: bob.id }], [ada, bob]);
  assert.deepEqual(listed.applied, [{ person: bob.id }]);
  const list = await accounts(ada, g);
  assert.equal(list.find((a) => a.code === `capital:${bob.id}`).balance, 0);
  const former = list.find((a) => a.code === `former:${bob.id}`);
  assert.deepEqual(former, { code: `former:${bob.id}`, name: 'Capital payable: Bob', type: 'liability', balance: -10000 });
  const moved = (await entries(ada, g)).at(-1);
  assert.deepEqual(moved.authorised_by, { decision: decision.id });
  assert.deepEqual(moved.postings, [{ account: `capital:${bob.id}`, amount: 10000 }, { account: `former:${bob.id}`, amount: -10000 }]);
  const log = await C.log(server, ada, g.id);
  assert.deepEqual(log.entries.slice(-2).map((e) => e.kind), ['decision', 'ledger']);
  await ledgerReplays(ada, log);
});

test('a year\'s surplus: computed from the books and the patronage, exactly in minor units', async () => {
  const { ada, bob, g } = await adaAndBob();
  const e = (body) => entry(ada, g, body).then((r) => assert.equal(r.status, 201, r.text));
  await e(sale(100000, '2027-03-01'));
  await e({ date: '2027-04-01', memo: 'Interest', postings: [{ account: 'bank', amount: 10000 }, { account: 'other_income', amount: -10000 }] });
  await e(expense(30000, '2027-05-01'));
  await e(sale(99999, '2028-01-01')); // next year
  const rec = (who, p, amount, date = '2027-06-01') => post(who, `/coop/v1/groups/${g.id}/patronage`, { person: p.id, date, amount })
    .then((r) => assert.equal(r.status, 201, r.text));
  await rec(bob, ada, 500);
  await rec(bob, ada, -20);     // a correction: 480
  await rec(bob, bob, 300);
  await rec(bob, bob, 9999, '2026-12-31'); // another year
  const r = await get(bob, `/coop/v1/groups/${g.id}/ledger/surplus?year=2027`);
  assert.equal(r.status, 200, r.text);
  // net 80,000 = 110,000 - 30,000; non-patronage 10,000; S = 70,000: reserve 3/10 = 21,000;
  // members 49,000 by 480 : 300 -> 30,153.85 and 18,846.15: floors leave 1 unit, to Ada's
  // larger fraction. Reserve 21,000 + 10,000. Cash 1/5, floored.
  assert.equal(r.json.year, 2027);
  assert.equal(r.json.net, 80000);
  assert.equal(r.json.non_patronage, 10000);
  assert.equal(r.json.patronage_surplus, 70000);
  assert.equal(r.json.reserve, 31000);
  const byPerson = Object.fromEntries(r.json.members.map((m) => [m.person, m]));
  assert.deepEqual(byPerson[ada.id], { person: ada.id, patronage: 480, allocation: 30154, cash: 6030, retained: 24124 });
  assert.deepEqual(byPerson[bob.id], { person: bob.id, patronage: 300, allocation: 18846, cash: 3769, retained: 15077 });
  assert.deepEqual(r.json.members.map((m) => m.person), [ada.id, bob.id].sort());
  for (const q of ['', '?year=27', '?year=2027.5', '?year=abc']) {
    h.assertProblem(await get(bob, `/coop/v1/groups/${g.id}/ledger/surplus${q}`), 422, 'invalid-request', q);
  }
  const eve = await person('Eve');
  h.assertProblem(await get(eve, `/coop/v1/groups/${g.id}/ledger/surplus?year=2027`), 404, 'not-found');

  // Allocated by decision: the year closes into undistributed surplus, which the
  // allocation empties; nothing more is dated in the year.
  const alloc = await C.decide(server, ada, g, 'allocate_surplus', [{ year: 2027, allocation: r.json }], [ada, bob]);
  assert.deepEqual(alloc.listed.applied, [{ year: 2027, allocation: r.json }]);
  const bal = Object.fromEntries((await accounts(ada, g)).map((a) => [a.code, a.balance]));
  assert.equal(bal.reserve, -31000);
  assert.equal(bal[`capital:${ada.id}`], -24124);
  assert.equal(bal[`capital:${bob.id}`], -15077);
  assert.equal(bal.patronage_payable, -(6030 + 3769));
  assert.equal(bal.undistributed, 0);
  assert.equal(bal.other_income, 0);
  assert.equal(bal.supplies, 0);
  assert.equal(bal.sales, -99999, '2028\'s sale stays');
  const again = await get(bob, `/coop/v1/groups/${g.id}/ledger/surplus?year=2027`);
  assert.deepEqual(again.json, r.json, 'closing entries are not the year\'s income or expenses');
  h.assertProblem(await entry(ada, g, sale(100, '2027-12-31')), 409, 'period-closed');
  h.assertProblem(await post(bob, `/coop/v1/groups/${g.id}/patronage`, { person: ada.id, date: '2027-07-01', amount: 5 }), 409, 'period-closed');
  const twice = await C.decide(server, ada, g, 'allocate_surplus', [{ year: 2027, allocation: r.json }], [ada, bob]);
  assert.match(twice.listed.refused[0].reason, /period closed/);
  // Books changed between the start and the application: refused.
  const y28 = (await get(bob, `/coop/v1/groups/${g.id}/ledger/surplus?year=2028`)).json;
  const stale = await post(ada, `/coop/v1/groups/${g.id}/decisions`, { type: 'allocate_surplus', title: '2028', proposals: [{ year: 2028, allocation: y28 }] });
  assert.equal(stale.status, 201, stale.text);
  await e(sale(1, '2028-02-01'));
  await C.voteAll(server, stale.json, [ada, bob]);
  const ls = await C.waitApplied(server, ada, g.id, stale.json.id);
  assert.match(ls.refused[0].reason, /books changed/);
  const log = await C.log(server, ada, g.id);
  await ledgerReplays(ada, log);

  // Ada's signed statement for 2027, checked offline with python3-cryptography against
  // FreeCoop's JWKS.
  const st = await get(bob, `/coop/v1/groups/${g.id}/reports/members/${ada.id}/statement?year=2027`);
  assert.equal(st.status, 200, st.text);
  assert.match(st.headers.get('content-type'), /^application\/jose/);
  const jwks = (await h.api(server, 'GET', '/coop/v1/keys')).text;
  const py = require('node:child_process').spawnSync('/usr/bin/python3', ['-c', `
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
jws, jwks = sys.argv[1], json.loads(sys.argv[2])
h, p, s = jws.split(".")
d = lambda x: base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
header = json.loads(d(h))
key = [k for k in jwks["keys"] if k["kid"] == header["kid"]][0]
Ed25519PublicKey.from_public_bytes(d(key["x"])).verify(d(s), (h + "." + p).encode())
print(json.dumps({"header": header, "payload": json.loads(d(p))}))
`, st.text, jwks], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const { header, payload } = JSON.parse(py.stdout);
  assert.equal(header.cty, 'member-statement+json');
  assert.equal(payload.person, ada.id);
  assert.equal(payload.year, 2027);
  assert.equal(payload.status, 'allocated');
  assert.deepEqual([payload.patronage, payload.allocation, payload.cash, payload.retained], [480, 30154, 6030, 24124]);
  assert.equal(payload.capital, 24124, 'the retained part, at the year\'s end');
  assert.equal(payload.currency, 'EUR');
  assert.ok(log.entries.some((e) => e.seq === payload.seq && e.hash === payload.head) || payload.seq >= log.entries.length);
  // Tampered: the signature no longer verifies.
  const parts = st.text.split('.');
  const forged = [parts[0], Buffer.from(JSON.stringify({ ...payload, allocation: 99999 })).toString('base64url'), parts[2]].join('.');
  const bad = require('node:child_process').spawnSync('/usr/bin/python3', ['-c', `
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
jws, jwks = sys.argv[1], json.loads(sys.argv[2])
h, p, s = jws.split(".")
d = lambda x: base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
Ed25519PublicKey.from_public_bytes(d(jwks["keys"][0]["x"])).verify(d(s), (h + "." + p).encode())
`, forged, jwks], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0, 'a changed statement does not verify');
  h.assertProblem(await get(bob, `/coop/v1/groups/${g.id}/reports/members/${eve.id}/statement?year=2027`), 404, 'not-found');
  h.assertProblem(await get(bob, `/coop/v1/groups/${g.id}/reports/members/${ada.id}/statement`), 422, 'invalid-request');
});

test('the hledger export passes hledger check and gives our balances; the CSV has every posting', async () => {
  const { spawnSync } = require('node:child_process');
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const { ada, bob, g } = await adaAndBob();
  const ok = (r) => assert.equal(r.status, 201, r.text);
  ok(await entry(ada, g, { ...sale(12050), memo: 'Bread; "rye"\nand buns' }));
  ok(await entry(ada, g, expense(4599, '2027-01-06')));
  ok(await entry(ada, g, { date: '2027-01-07', memo: 'Buy-in', postings: [
    { account: 'bank', amount: 10000 }, { account: `capital:${bob.id}`, amount: -10000 }] }));
  const first = (await entries(ada, g))[0];
  ok(await entry(ada, g, { date: '2027-01-08', postings: [
    { account: 'sales', amount: 12050 }, { account: 'bank', amount: -12050 }], reverses: first.id }));
  ok(await entry(ada, g, sale(1, '2027-01-09')));

  const j = await get(bob, `/coop/v1/groups/${g.id}/ledger/export?format=hledger`);
  assert.equal(j.status, 200, j.text);
  assert.match(j.headers.get('content-type'), /^text\/plain/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hledger-'));
  try {
    const file = path.join(dir, 'books.journal');
    fs.writeFileSync(file, j.text);
    const check = spawnSync('hledger', ['-f', file, 'check', 'accounts', 'commodities'], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr + j.text);
    const bal = spawnSync('hledger', ['-f', file, 'balance', '-O', 'csv', '--no-total', '-N', '--empty'], { encoding: 'utf8' });
    assert.equal(bal.status, 0, bal.stderr);
    const theirs = {};
    for (const line of bal.stdout.trim().split('\n').slice(1)) {
      const [account, amount] = line.split(',').map((x) => x.replace(/^"|"$/g, ''));
      theirs[account] = amount === '0' ? 0 : Math.round(Number(amount.replace(' EUR', '')) * 100);
    }
    for (const a of await accounts(bob, g)) {
      assert.equal(theirs[a.code] ?? 0, a.balance, `${a.code}: hledger ${theirs[a.code]}, ours ${a.balance}`);
    }
    assert.equal(theirs.bank, 1 + 10000 - 4599);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const c = await get(bob, `/coop/v1/groups/${g.id}/ledger/export?format=csv`);
  assert.equal(c.status, 200, c.text);
  const rows = c.text.trim().split('\r\n');
  assert.equal(rows[0], 'seq,entry,date,account,amount_minor,amount,currency,memo');
  assert.equal(rows.length, 1 + 10);
  assert.match(rows[1], /^\d+,[0-9a-f-]{36},2027-01-05,bank,12050,120\.50,EUR,"Bread; ""rye"" and buns"$/);
  h.assertProblem(await get(bob, `/coop/v1/groups/${g.id}/ledger/export?format=pdf`), 422, 'invalid-request');
  h.assertProblem(await get(await person('Eve'), `/coop/v1/groups/${g.id}/ledger/export?format=csv`), 404, 'not-found');
});

test('the export of a ledger longer than a page streams every entry, in order', async () => {
  const ada = await person('Ada');
  const g = await C.found(server, ada);
  const n = 2345; // more than two pages of 1,000
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < n; i = next++) {
      const r = await entry(ada, g, sale(i + 1, `2027-0${1 + (i % 9)}-1${i % 10}`));
      assert.equal(r.status, 201, r.text);
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  const c = await get(ada, `/coop/v1/groups/${g.id}/ledger/export?format=csv`);
  assert.equal(c.status, 200, c.text);
  assert.equal(c.headers.get('transfer-encoding'), 'chunked');
  assert.equal(c.headers.get('content-length'), null);
  const rows = c.text.trim().split('\r\n').slice(1).map((l) => l.split(','));
  assert.equal(rows.length, 2 * n);
  const seqs = [...new Set(rows.map((r) => Number(r[0])))];
  assert.equal(seqs.length, n);
  assert.ok(seqs.every((x, i) => i === 0 || x > seqs[i - 1]), 'the entries in the log\'s order');
  const bank = rows.filter((r) => r[3] === 'bank').reduce((t, r) => t + Number(r[4]), 0);
  assert.equal(bank, (n * (n + 1)) / 2);
  assert.equal(bank, await balance(ada, g, 'bank'));
  const j = await get(ada, `/coop/v1/groups/${g.id}/ledger/export?format=hledger`);
  assert.equal(j.status, 200, j.text);
  assert.equal((j.text.match(/^2027-/gm) || []).length, n);
});

test('reports: the balance sheet balances, the income statement of a period, members\' capital', async () => {
  const { ada, bob, g } = await adaAndBob();
  const ok = (r) => assert.equal(r.status, 201, r.text);
  ok(await entry(ada, g, { date: '2027-01-02', memo: 'Buy-in', postings: [
    { account: 'bank', amount: 50000 }, { account: `capital:${bob.id}`, amount: -50000 }] }));
  ok(await entry(ada, g, sale(20000, '2027-02-01')));
  ok(await entry(ada, g, expense(5000, '2027-02-02')));
  ok(await entry(ada, g, sale(7000, '2027-03-01')));
  // Bob takes out more than he put in: his capital is negative (flagged).
  ok(await entry(ada, g, { date: '2027-03-02', memo: 'Pay-out', postings: [
    { account: `capital:${bob.id}`, amount: 60000 }, { account: 'bank', amount: -60000 }] }));
  const rep = (p) => get(bob, `/coop/v1/groups/${g.id}/reports/${p}`);

  const feb = await rep('balance-sheet?at=2027-02-28');
  assert.equal(feb.status, 200, feb.text);
  assert.equal(feb.json.assets.total, 50000 + 20000 - 5000);
  assert.equal(feb.json.equity.total, 50000);
  assert.equal(feb.json.result, 15000);
  assert.equal(feb.json.balanced, true);
  assert.equal(feb.json.currency, 'EUR');
  const end = (await rep('balance-sheet?at=2027-12-31')).json;
  assert.equal(end.balanced, true);
  assert.equal(end.assets.accounts.find((a) => a.code === 'bank').balance, 50000 + 20000 - 5000 + 7000 - 60000);
  // Today (before these 2027 entries): nothing yet, still balanced.
  const today = (await rep('balance-sheet')).json;
  assert.equal(today.assets.total, 0);
  assert.equal(today.balanced, true);

  const q1 = await rep('income-statement?from=2027-01-01&to=2027-02-28');
  assert.equal(q1.status, 200, q1.text);
  assert.equal(q1.json.income.total, 20000);
  assert.equal(q1.json.expenses.total, 5000);
  assert.equal(q1.json.net, 15000);
  assert.equal((await rep('income-statement?from=2027-01-01&to=2027-12-31')).json.net, 22000);
  for (const q of ['income-statement?from=2027-02-30&to=2027-03-01', 'income-statement?from=2027-03-01',
    'income-statement?from=2027-03-01&to=2027-01-01', 'balance-sheet?at=yesterday']) {
    h.assertProblem(await rep(q), 422, 'invalid-request', q);
  }
  const members = (await rep('members')).json.members;
  const b = members.find((m) => m.person === bob.id);
  assert.deepEqual(b, { person: bob.id, name: 'Bob', member: true, capital: -10000, negative_capital: true, payable_as_former: 0, patronage: 0 });
  assert.equal(members.find((m) => m.person === ada.id).negative_capital, false);
  h.assertProblem(await get(await person('Eve'), `/coop/v1/groups/${g.id}/reports/members`), 404, 'not-found');
});
