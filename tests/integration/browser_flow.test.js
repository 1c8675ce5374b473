'use strict';
// The web page in a real browser (Debian's chromium, headless): two people, each in a
// browser profile of their own, sign up; one founds a group, the other applies and is
// admitted by a decision voted in the page; the backup file restores a person in a fresh
// profile; a rewritten log is warned about. The page gives no console error or warning,
// and screenshots at phone and desktop size are kept (build/<preset>/browser-screenshots).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const h = require('./lib/harness');
const C = require('./lib/coop');
const B = require('./lib/browser');

const S = B.suite({ FREECOOP_CONCLUDE_POLL_MS: '50', FREECOOP_WEBHOOK_POLL_MS: '50' });
const { sel, go, until, fits, clean } = S;
const type = S.fill;
const click = S.tap;

let ada; let bob; let backup; let quick;

test('two people sign up, each in their own browser, and keep their tokens on the device', async () => {
  ada = await S.open('ada', B.DESKTOP);
  bob = await S.open('bob', B.PHONE);
  const a = await S.signUp(ada, 'Ada');
  assert.equal(a.name, 'Ada');
  assert.match(a.authorization_token, /^aut_/);
  assert.match(a.access_token, /^acc_/);
  await B.shoot(ada, 'home-new');
  const b = await S.signUp(bob, 'Bob');
  assert.equal(b.name, 'Bob');
  await fits(bob);
  await B.shoot(bob, 'home-new');

  // The backup file: the person and their authorization token, which nothing else recovers.
  const warning = await B.text(ada, sel('backup-panel'));
  assert.match(warning, /cannot be recovered|can't be recovered|lost/i);
  await click(ada, 'backup-download');
  backup = JSON.parse(fs.readFileSync(await B.download(ada), 'utf8'));
  assert.equal(backup.authorization_token, a.authorization_token);
  clean(ada);
  clean(bob);
});

test('one founds a group in the page; it lists it with her roles', async () => {
  await go(ada, '#/');
  await type(ada, 'found-name', 'The Bakery');
  await click(ada, 'found-submit');
  await until(ada, () => location.hash.startsWith('#/groups/'));
  await ada.page.waitForSelector(sel('log-ok'), { timeout: 20000 });
  await until(ada, () => document.querySelectorAll('[data-test=charter-type]').length === 8);
  // Each type with its method's name and rule in words.
  const ofType = (name, part) => B.text(ada, `${sel('charter-type')}[data-type=${name}] ${sel(part)}`);
  assert.match(await ofType('admit_member', 'method-rule'), /^Counted by yes_no\. Each proposal passes on its own with more yes than no/);
  assert.match(await ofType('amend_charter', 'method-rule'), /^Counted by yes_no_two_thirds\. .*two thirds of the yes and no votes/);
  assert.match(await ofType('admit_member', 'type-rule'), /^Holders of member start, propose and vote\. \d+ \w+ for proposals, then/);
  await B.shoot(ada, 'group');
  await go(ada, '#/');
  await until(ada, () => [...document.querySelectorAll('[data-test=group-link]')].some((e) => e.textContent.includes('The Bakery')));
  clean(ada);
});

test('the other applies, is admitted by a decision voted in the page, and sees the group', async () => {
  // A group whose decisions take seconds (the default charter gives them a week): founded
  // with Ada's tokens from her backup file, as any client of the API could.
  const token = await h.accessToken(S.server(), backup.authorization_token);
  const me = { id: backup.person.id, token };
  quick = await C.found(S.server(), me, await C.fastCharter(S.server(), me, 1, 3));

  await go(bob, '#/');
  await type(bob, 'apply-gid', quick.id);
  await click(bob, 'apply-submit');
  await until(bob, () => /sent/i.test(document.querySelector('[data-test=apply-done]')?.textContent || ''));

  await go(ada, `#/groups/${quick.id}`);
  await ada.page.waitForSelector(`${sel('application')}`, { timeout: 20000 });
  await click(ada, 'admit-submit');
  await ada.page.waitForSelector(sel('decision'), { timeout: 20000 });
  // The voting phase opens after a second: the page asks for Ada's vote.
  await ada.page.waitForSelector(sel('vote-yes'), { timeout: 20000 });
  await B.shoot(ada, 'ballot');
  await click(ada, 'vote-yes');
  await click(ada, 'vote-submit');
  await ada.page.waitForSelector(sel('receipt'), { timeout: 20000 });
  const receipt = await B.text(ada, sel('receipt-id'));
  assert.match(receipt, /\S{16,}/);
  // The decision closes, is counted and applied: Bob is a member.
  const id = await ada.page.$eval(sel('decision'), (e) => e.dataset.id);
  await C.waitApplied(S.server(), me, quick.id, id);
  await go(ada, `#/groups/${quick.id}`);
  await until(ada, (name) => [...document.querySelectorAll('[data-test=member]')].some((e) => e.textContent.includes(name)), 'Bob');
  await until(ada, () => document.querySelector('[data-test=decision]')?.dataset.state === 'applied');
  await B.shoot(ada, 'group-applied');

  await go(bob, '#/');
  await until(bob, () => document.querySelectorAll('[data-test=group-link]').length === 1);
  await click(bob, 'group-link');
  await bob.page.waitForSelector(sel('log-ok'), { timeout: 20000 });
  await fits(bob);
  await B.shoot(bob, 'group');
  clean(ada);
  clean(bob);
});

test('the backup file restores a person in a fresh browser profile', async () => {
  const again = await S.open('ada-restored', B.PHONE);
  await go(again);
  const file = await again.page.waitForSelector(sel('restore-file'), { timeout: 20000 });
  const path = require('node:path');
  const f = path.join(again.dir, 'backup.json');
  fs.writeFileSync(f, JSON.stringify(backup));
  await file.uploadFile(f);
  await until(again, () => [...document.querySelectorAll('[data-test=group-link]')].some((e) => e.textContent.includes('The Bakery')));
  await fits(again);
  await B.shoot(again, 'home-restored');
  clean(again);
});

test('a log rewritten behind the page is warned about, loudly', async () => {
  await go(ada, `#/groups/${quick.id}`);
  await ada.page.waitForSelector(sel('log-ok'), { timeout: 20000 });
  // Someone with the database rewrites the group's history: its last entry, the one this
  // device saw, is gone, and the log ends one entry earlier — a chain that checks out.
  h.superSql(`DELETE FROM coop.log WHERE group_id = '${quick.id}' AND seq = (SELECT log_seq FROM coop.groups WHERE id = '${quick.id}');
              UPDATE coop.groups g SET log_seq = g.log_seq - 1, log_head = (SELECT l.hash FROM coop.log l
                WHERE l.group_id = g.id AND l.seq = g.log_seq - 1) WHERE g.id = '${quick.id}'`);
  await go(ada, '#/');
  await go(ada, `#/groups/${quick.id}`);
  const warning = await B.text(ada, sel('log-warning'));
  assert.match(warning, /rewritten/);
  assert.equal(await ada.page.$eval(sel('log-warning'), (e) => e.getAttribute('role')), 'alert');
  await B.shoot(ada, 'log-warning');
  clean(ada);
});
