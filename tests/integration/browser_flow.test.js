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

let server;
const people = [];
test.before(async () => {
  server = await C.coopServer({ FREECOOP_CONCLUDE_POLL_MS: '50', FREECOOP_WEBHOOK_POLL_MS: '50' });
});
test.after(async () => {
  for (const p of people) await p.close();
  if (server) await server.stop();
});

const sel = (t) => `[data-test=${t}]`;
async function browser(name, viewport) {
  const who = await B.open(server, name, { viewport });
  people.push(who);
  return who;
}
// Opens the page at hash, loading it anew (a visit, as a person coming back would).
async function go(who, hash = '') {
  const url = `http://127.0.0.1:${server.port}/${hash}`;
  if (who.page.url() === url) await who.page.reload({ waitUntil: 'domcontentloaded' });
  else await who.page.goto(url, { waitUntil: 'domcontentloaded' });
}
// Waits until fn (run in the page) is true.
const until = (who, fn, ...args) => who.page.waitForFunction(fn, { timeout: 20000 }, ...args);
async function type(who, t, value) {
  const el = await who.page.waitForSelector(sel(t), { visible: true, timeout: 20000 });
  await el.click({ clickCount: 3 });
  await el.type(value);
}
async function click(who, t) {
  const el = await who.page.waitForSelector(sel(t), { visible: true, timeout: 20000 });
  await el.click();
}
// No horizontal scrolling: the page fits the viewport's width.
async function fits(who) {
  const w = await who.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(w[0] <= w[1], `${who.name}: the page is ${w[0]} px wide in a ${w[1]} px viewport`);
}
function clean(who) {
  assert.deepEqual(who.problems, [], `${who.name}'s page reported problems`);
}
async function signUp(who, name) {
  await go(who);
  await type(who, 'signup-name', name);
  await click(who, 'signup-submit');
  await who.page.waitForSelector(sel('backup-download'), { timeout: 20000 });
  return who.page.evaluate(() => new Promise((resolve, reject) => {
    const q = indexedDB.open('freecoop');
    q.onerror = () => reject(q.error);
    q.onsuccess = () => {
      const g = q.result.transaction('people').objectStore('people').getAll();
      g.onsuccess = () => resolve(g.result);
    };
  }));
}

let ada; let bob; let backup; let quick;

test('two people sign up, each in their own browser, and keep their tokens on the device', async () => {
  ada = await browser('ada', B.DESKTOP);
  bob = await browser('bob', B.PHONE);
  const a = await signUp(ada, 'Ada');
  assert.equal(a.length, 1);
  assert.equal(a[0].name, 'Ada');
  assert.match(a[0].authorization_token, /^aut_/);
  assert.match(a[0].access_token, /^acc_/);
  await B.shoot(ada, 'home-new');
  const b = await signUp(bob, 'Bob');
  assert.equal(b[0].name, 'Bob');
  await fits(bob);
  await B.shoot(bob, 'home-new');

  // The backup file: the person and their authorization token, which nothing else recovers.
  const warning = await B.text(ada, sel('backup-panel'));
  assert.match(warning, /cannot be recovered|can't be recovered|lost/i);
  await click(ada, 'backup-download');
  backup = JSON.parse(fs.readFileSync(await B.download(ada), 'utf8'));
  assert.equal(JSON.stringify(backup).includes(a[0].authorization_token), true);
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
  assert.match(await B.text(ada, `${sel('charter-type')}[data-type=admit_member] ${sel('method-name')}`), /yes_no/);
  await B.shoot(ada, 'group');
  await go(ada, '#/');
  await until(ada, () => [...document.querySelectorAll('[data-test=group-link]')].some((e) => e.textContent.includes('The Bakery')));
  clean(ada);
});

test('the other applies, is admitted by a decision voted in the page, and sees the group', async () => {
  // A group whose decisions take seconds (the default charter gives them a week): founded
  // with Ada's tokens from her backup file, as any client of the API could.
  const token = await h.accessToken(server, backup.authorization_token);
  const me = { id: backup.person.id, token };
  quick = await C.found(server, me, await C.fastCharter(server, me, 1, 3));

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
  await C.waitApplied(server, me, quick.id, id);
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
  const again = await browser('ada-restored', B.PHONE);
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
