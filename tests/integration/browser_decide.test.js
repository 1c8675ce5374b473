'use strict';
// Deciding in the page, in a real browser (Debian's chromium, headless): decisions started
// from the form of each effect — an amendment whose charter has a fault shows the server's
// pointer in place in the JSON editor, then a valid one; a role assigned; an expense typed
// in euros proposed in integer cents; a surplus allocation computed and proposed as it is —
// a member proposing in the proposal phase, and the discussion (a comment posted and
// listed, one too long refused in words). No console problems; screenshots at phone and
// desktop size.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const C = require('./lib/coop');
const B = require('./lib/browser');

const S = B.suite({ FREECOOP_CONCLUDE_POLL_MS: '50', FREECOOP_WEBHOOK_POLL_MS: '50' });
const { sel, go, until, visible, type, click, fits, clean } = S;
const START = sel('start-form');
// Sets a control's value at once (long texts), as typing would.
async function setValue(who, s, value) {
  await visible(who, s);
  await who.page.$eval(s, (e, v) => { e.value = v; e.dispatchEvent(new Event('input', { bubbles: true })); }, value);
}

// Signs up in the page; the person's API identity {id, name, token} from the stored record.
async function signUp(who, name) {
  const rec = await S.signUp(who, name);
  return { id: rec.id, name, token: await h.accessToken(S.server(), rec.authorization_token) };
}

const get = (who, p) => h.api(S.server(), 'GET', p, { token: who.token });
// The decisions of the group whose type is type, newest last, with their actions as the core keeps them.
async function started(who, type) {
  const r = await get(who, `/coop/v1/groups/${group.id}/decisions`);
  assert.equal(r.status, 200, r.text);
  const d = r.json.decisions.filter((x) => x.type === type).pop();
  assert.ok(d, `no ${type} decision was started`);
  const p = await get(who, `/v1/decisions/${d.id}/proposals`);
  assert.equal(p.status, 200, p.text);
  d.proposals = p.json.proposals.map((x) => ({ ...x, action: JSON.parse(Buffer.from(x.payload, 'base64').toString('utf8')) }));
  return d;
}
// Starts a decision of the form's current type with title; waits for the page to say so.
async function submitStart(who, title) {
  await type(who, `${START} ${sel('start-title')}`, title);
  await click(who, sel('start-submit'));
  await until(who, () => /started/.test(document.querySelector('[data-test=start-done]')?.textContent || ''));
}
async function chooseType(who, name) {
  await visible(who, `${START} ${sel('start-type')}`);
  await who.page.select(`${START} ${sel('start-type')}`, name);
}

let ada; let bob; let A; let Bo; let group;

test('a group whose decisions take seconds; two members, each in their own browser', async () => {
  ada = await S.open('ada', B.DESKTOP);
  bob = await S.open('bob', B.PHONE);
  A = await signUp(ada, 'Ada');
  Bo = await signUp(bob, 'Bob');
  // Resolutions take proposals for long enough to propose in the page; the rest are quick.
  const charter = await C.fastCharter(S.server(), A, 1, 2);
  charter.decision_types.resolution.proposal_seconds = 120;
  // Only the treasurer (Ada) may start an allocation of the surplus.
  charter.decision_types.allocate_surplus.start = ['treasurer'];
  group = await C.found(S.server(), A, charter);
  const r = await h.api(S.server(), 'POST', `/coop/v1/groups/${group.id}/applications`, { token: Bo.token, body: {} });
  assert.equal(r.status, 201, r.text);
  await C.decide(S.server(), A, group, 'admit_member', [{ person: Bo.id }]);
});

test('an amendment whose charter has a fault shows the server\'s pointer in place in the editor', async () => {
  await go(ada, `#/groups/${group.id}`);
  await until(ada, () => document.querySelectorAll('[data-test=charter-type]').length === 8);
  assert.equal(await ada.page.$eval(sel('books-link'), (e) => e.getAttribute('href')), `#/groups/${group.id}/books`);
  await chooseType(ada, 'amend_charter');
  const editor = `${START} ${sel('charter-editor')}`;
  await visible(ada, editor);
  const text = await ada.page.$eval(editor, (e) => e.value);
  const c = JSON.parse(text);
  assert.equal(c.decision_types.resolution.proposal_seconds, 120, 'the editor starts from the charter in force');

  // Not JSON at all: said, and the caret put where the parser stopped.
  await setValue(ada, editor, text.replace('"roles": {', '"roles": {,'));
  await type(ada, `${START} ${sel('start-title')}`, 'A new charter');
  await click(ada, sel('start-submit'));
  assert.match(await B.text(ada, `${START} ${sel('charter-error')}`), /not JSON/);

  // A role no one defined, as the second voter role of admit_member.
  c.decision_types.admit_member.vote = ['member', 'nobody'];
  const faulty = JSON.stringify(c, null, 2);
  await setValue(ada, editor, faulty);
  await click(ada, sel('start-submit'));
  await until(ada, () => /pointer/.test(document.querySelector('[data-test=start-form] [data-test=charter-error]')?.textContent || ''));
  const said = await B.text(ada, `${START} ${sel('charter-error')}`);
  assert.match(said, /item 2 of “vote” of decision type “admit_member”/);
  assert.match(said, /\/decision_types\/admit_member\/vote\/1/);
  const at = faulty.indexOf('"nobody"');
  const sel2 = await ada.page.$eval(editor, (e) => [e.selectionStart, e.selectionEnd, document.activeElement === e]);
  assert.ok(sel2[0] >= at && sel2[0] < at + '"nobody"'.length, `the selection starts at ${sel2[0]}, not in "nobody" at ${at}`);
  assert.equal(sel2[1], at + '"nobody"'.length);
  assert.equal(sel2[2], true, 'the editor has the focus');
  assert.equal(await ada.page.$eval(editor, (e) => e.getAttribute('aria-invalid')), 'true');
  await B.shoot(ada, 'decide-charter-error');
  clean(ada);
});

test('a valid amendment is started from the editor', async () => {
  const editor = `${START} ${sel('charter-editor')}`;
  const c = JSON.parse(await ada.page.$eval(editor, (e) => e.value));
  c.decision_types.admit_member.vote = ['member'];
  c.decision_types.remove_member.voting_seconds = 7;
  await setValue(ada, editor, JSON.stringify(c, null, 2));
  await click(ada, sel('start-submit'));
  await until(ada, () => /started/.test(document.querySelector('[data-test=start-done]')?.textContent || ''));
  const d = await started(A, 'amend_charter');
  assert.equal(d.proposals.length, 1);
  assert.equal(d.proposals[0].action.charter.decision_types.remove_member.voting_seconds, 7);
  clean(ada);
});

test('a role assigned from its form', async () => {
  await chooseType(ada, 'assign_role');
  await visible(ada, `${START} ${sel('action-person')}`);
  await ada.page.select(`${START} ${sel('action-person')}`, Bo.id);
  // Bob holds "member": the form offers only the roles he does not hold.
  assert.deepEqual(await ada.page.$$eval(`${START} ${sel('action-role')} option`, (o) => o.map((x) => x.value)), ['treasurer']);
  await submitStart(ada, 'Bob keeps the books');
  const d = await started(A, 'assign_role');
  assert.deepEqual(d.proposals.map((p) => p.action), [{ person: Bo.id, role: 'treasurer' }]);
  clean(ada);
});

test('an expense typed in euros is proposed in integer cents, balanced', async () => {
  await chooseType(ada, 'approve_expense');
  const rows = `${START} ${sel('posting')}`;
  await until(ada, () => document.querySelectorAll('[data-test=start-form] [data-test=posting-account] option').length > 2);
  await setValue(ada, `${START} ${sel('expense-date')}`, '2027-01-06');
  await type(ada, `${START} ${sel('expense-memo')}`, 'New oven');
  const [r1, r2] = await ada.page.$$(rows);
  await (await r1.$(sel('posting-account'))).select('other_expenses');
  await (await r1.$(sel('posting-amount'))).type('2500.10');
  await (await r2.$(sel('posting-account'))).select('bank');
  await (await r2.$(sel('posting-amount'))).type('-2500.01');
  await type(ada, `${START} ${sel('start-title')}`, 'The oven');
  await click(ada, sel('start-submit'));
  assert.match(await B.text(ada, `${START} ${sel('postings-error')}`), /sum to 0\.09 EUR, not zero/);
  await type(ada, `${rows}:nth-of-type(2) ${sel('posting-amount')}`, '-2500,1');
  await click(ada, sel('start-submit'));
  await until(ada, () => /started/.test(document.querySelector('[data-test=start-done]')?.textContent || ''));
  const d = await started(A, 'approve_expense');
  assert.deepEqual(d.proposals[0].action, { entry: { date: '2027-01-06', memo: 'New oven',
    postings: [{ account: 'other_expenses', amount: 250010 }, { account: 'bank', amount: -250010 }] } });
  clean(ada);
});

test('a surplus allocation is computed and proposed exactly as the server gives it', async () => {
  await chooseType(ada, 'allocate_surplus');
  await type(ada, `${START} ${sel('surplus-year')}`, '2027');
  await click(ada, sel('surplus-compute'));
  await until(ada, () => /reserve/.test(document.querySelector('[data-test=surplus-summary]')?.textContent || ''));
  await submitStart(ada, 'The 2027 surplus');
  const d = await started(A, 'allocate_surplus');
  const s = await get(A, `/coop/v1/groups/${group.id}/ledger/surplus?year=2027`);
  assert.deepEqual(d.proposals[0].action, { year: 2027, allocation: s.json });
  clean(ada);
});

let resolution;
test('a member proposes in the proposal phase; the proposals are listed', async () => {
  await chooseType(ada, 'resolution');
  await type(ada, `${START} ${sel('action-text')}`, 'We open on Sundays.');
  await submitStart(ada, 'Sundays');
  resolution = (await started(A, 'resolution')).id;
  await B.shoot(ada, 'decide-started');

  await go(bob, `#/groups/${group.id}`);
  const item = `${sel('decision')}[data-id="${resolution}"]`;
  await type(bob, `${item} ${sel('propose-form')} ${sel('action-text')}`, 'We open on Sunday mornings only.');
  await click(bob, `${item} ${sel('propose-submit')}`);
  await until(bob, (s) => /added/.test(document.querySelector(`${s} [data-test=propose-done]`)?.textContent || ''), item);
  await until(bob, (s) => document.querySelectorAll(`${s} [data-test=proposal]`).length === 2, item);
  assert.match(await B.text(bob, `${item} ${sel('proposal')}[data-mine=true]`), /Sunday mornings/);
  const p = (await get(A, `/v1/decisions/${resolution}/proposals`)).json.proposals;
  assert.equal(p.length, 2);
  assert.deepEqual(p.filter((x) => x.proposer !== '').map((x) => JSON.parse(Buffer.from(x.payload, 'base64'))),
    [{ text: 'We open on Sunday mornings only.' }]);
  await fits(bob);
  await B.shoot(bob, 'decide-proposed');
  clean(bob);
});

test('a comment is posted and listed; one too long is refused in words', async () => {
  const item = `${sel('decision')}[data-id="${resolution}"]`;
  await type(bob, `${item} ${sel('comment-text')}`, 'Mornings are when we sell most.');
  await click(bob, `${item} ${sel('comment-submit')}`);
  await until(bob, (s) => document.querySelectorAll(`${s} [data-test=comment]`).length === 1, item);
  assert.match(await B.text(bob, `${item} ${sel('comment')}`), /Bob[\s\S]*Mornings are when we sell most\./);
  assert.equal(await bob.page.$eval(`${item} ${sel('comment-text')}`, (e) => e.value), '');

  await go(ada, `#/groups/${group.id}`);
  await until(ada, (s) => /Mornings/.test(document.querySelector(`${s} [data-test=comments]`)?.textContent || ''), item);
  await setValue(ada, `${item} ${sel('comment-text')}`, 'x'.repeat(10001));
  assert.match(await B.text(ada, `${item} ${sel('comment-form')} .hint`), /1 over the limit/);
  await click(ada, `${item} ${sel('comment-submit')}`);
  await until(ada, (s) => /too long/.test(document.querySelector(`${s} [data-test=comment-form] .field-error`)?.textContent || ''), item);
  assert.equal((await ada.page.$eval(`${item} ${sel('comment-text')}`, (e) => e.value)).length, 10001, 'what was typed is kept');
  await B.shoot(ada, 'decide-discussion');
  await B.shoot(bob, 'decide-discussion');
  await (await bob.page.$(item)).screenshot({ path: require('node:path').join(B.SHOTS, 'decide-item-phone.png') });
  clean(ada);
  clean(bob);
});

test('a member is offered only the types their roles may start; the forms fit a phone', async () => {
  const offered = (who) => who.page.$$eval(`${START} ${sel('start-type')} option`, (o) => o.map((x) => x.value));
  assert.equal((await offered(ada)).length, 8);
  assert.deepEqual((await offered(bob)).sort(), ['admit_member', 'amend_charter', 'approve_expense', 'assign_role', 'remove_member',
    'resolution', 'revoke_role']);
  for (const type of ['approve_expense', 'amend_charter']) {
    await chooseType(bob, type);
    await until(bob, () => !document.querySelector('[data-test=start-form] [data-test=posting-account] option[value=""]:only-child'));
    await fits(bob);
    await (await visible(bob, START)).screenshot({ path: require('node:path').join(B.SHOTS, `decide-${type}-phone.png`) });
  }
  clean(bob);
});
