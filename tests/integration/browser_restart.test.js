'use strict';
// The web page by keyboard alone, and while the server restarts. Bob applies to a group
// and Ada admits him and votes, every step with Tab, Space and Enter only (each control
// reached shows where the focus is). Then the server is stopped under the page: a ballot
// cast meanwhile waits with "The server is restarting — retrying…" and is cast once the
// server is back (the ballot counted); a comment, which the page does not re-send by
// itself, is refused in words beside it with what was typed kept, and posts on a second
// try; a group page opened while the server is down shows the notice and then the group.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const C = require('./lib/coop');
const B = require('./lib/browser');

const S = B.suite({ FREECOOP_CONCLUDE_POLL_MS: '50' });
const { sel, go, until, clean } = S;
let ada;
let bob;
let aPerson;

// Presses Tab until the focused element matches selector; the focus is visible there.
async function tabTo(who, selector, max = 300) {
  for (let i = 0; i < max; i++) {
    const at = await who.page.evaluate((s) => {
      const e = document.activeElement;
      if (!e || !e.matches(s)) return null;
      const st = getComputedStyle(e);
      return { outline: st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2 };
    }, selector);
    if (at) {
      assert.ok(at.outline, `${who.name}: the focus on ${selector} is not shown`);
      return;
    }
    await who.page.keyboard.press('Tab');
  }
  throw new Error(`${who.name}: Tab never reached ${selector}`);
}
// Starts from the top of the page, as someone who has just arrived would.
async function fromTop(who) {
  await who.page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
}

test.before(async () => {
  ada = await S.open('ada', B.DESKTOP);
  bob = await S.open('bob', B.PHONE);
  aPerson = await S.signUp(ada, 'Ada');
  await S.signUp(bob, 'Bob');
});

test('an applicant admitted, and voted on, by keyboard alone', async () => {
  const me = { id: aPerson.id, token: await h.accessToken(S.server(), aPerson.authorization_token) };
  const g = await C.found(S.server(), me, await C.fastCharter(S.server(), me, 1, 3));

  await go(bob, '#/');
  await bob.page.waitForSelector(sel('apply-gid'));
  await fromTop(bob);
  await tabTo(bob, sel('apply-gid'));
  await bob.page.keyboard.type(g.id);
  await tabTo(bob, sel('apply-submit'));
  await bob.page.keyboard.press('Enter');
  await until(bob, () => /sent/i.test(document.querySelector('[data-test=apply-done]')?.textContent || ''));

  await go(ada, `#/groups/${g.id}`);
  await ada.page.waitForSelector(sel('admit-submit'), { timeout: 20000 });
  await fromTop(ada);
  await tabTo(ada, sel('admit-submit'));
  await ada.page.keyboard.press('Enter');
  await ada.page.waitForSelector(sel('vote-yes'), { timeout: 20000 });
  await fromTop(ada);
  await tabTo(ada, sel('vote-yes'));
  await ada.page.keyboard.press('Space');
  await tabTo(ada, sel('vote-submit'));
  await ada.page.keyboard.press('Enter');
  await ada.page.waitForSelector(sel('receipt'), { timeout: 20000 });
  const id = await ada.page.$eval(sel('decision'), (e) => e.dataset.id);
  await C.waitApplied(S.server(), me, g.id, id);

  await go(bob, '#/');
  await until(bob, () => document.querySelectorAll('[data-test=group-link]').length === 1);
  await fromTop(bob);
  await tabTo(bob, sel('group-link'));
  await bob.page.keyboard.press('Enter');
  await bob.page.waitForSelector(sel('log-ok'), { timeout: 20000 });
  await until(bob, () => [...document.querySelectorAll('[data-test=member]')].some((e) => e.textContent.includes('Bob')));
  clean(ada);
  clean(bob);
});

test('a restart under the page: the ballot waits and is cast, the comment is kept, the page comes back', async () => {
  const me = { id: aPerson.id, token: await h.accessToken(S.server(), aPerson.authorization_token) };
  // Votes stay open long enough for the restart.
  const g = await C.found(S.server(), me, await C.fastCharter(S.server(), me, 1, 120));
  const r = await h.api(S.server(), 'POST', `/coop/v1/groups/${g.id}/decisions`, {
    token: me.token, body: { type: 'resolution', title: 'Open on Sundays', proposals: [{ text: 'Open on Sundays' }] },
  });
  assert.equal(r.status, 201, r.text);
  const did = r.json.id;
  await go(ada, `#/groups/${g.id}`);
  await ada.page.waitForSelector(sel('vote-yes'), { timeout: 20000 });
  await S.tap(ada, 'vote-yes');
  await S.fill(ada, 'comment-text', 'Sundays are our busiest day elsewhere.');

  let cast;
  await S.restart(async () => {
    // The comment is not re-sent by the page: refused in words, what was typed kept.
    await S.tap(ada, 'comment-submit');
    const error = '[data-test=comment-form] .field-error:not([hidden])';
    await ada.page.waitForSelector(error, { timeout: 20000 });
    assert.match(await B.text(ada, error), /may or may not have been posted\. What you typed is kept/);
    assert.equal(await ada.page.$eval(sel('comment-text'), (e) => e.value), 'Sundays are our busiest day elsewhere.');
    // The ballot is: the notice says so while it waits.
    cast = S.tap(ada, 'vote-submit');
    await until(ada, () => /restarting/.test(document.getElementById('notice').textContent));
    assert.equal(await ada.page.$eval('#notice', (e) => e.getAttribute('role')), 'status');
    await B.shoot(ada, 'restarting');
  });
  await cast;
  await ada.page.waitForSelector(sel('receipt'), { timeout: 30000 });
  await until(ada, () => document.getElementById('notice').textContent === '');
  // Cast once, at the core (the voter's own view of it).
  const mine = await h.api(S.server(), 'GET', `/v1/decisions/${did}/ballot`, { token: me.token });
  assert.equal(mine.status, 200, mine.text);

  // The comment posts on a second try, and the box empties.
  await S.tap(ada, 'comment-submit');
  await until(ada, () => [...document.querySelectorAll('[data-test=comment]')].some((e) => e.textContent.includes('busiest day')));
  assert.equal(await ada.page.$eval(sel('comment-text'), (e) => e.value), '');

  // A group page asked for while the server is down: the notice, then the page.
  await go(ada, '#/');
  await ada.page.waitForSelector(sel('group-link'), { timeout: 20000 });
  await S.restart(async () => {
    await ada.page.evaluate((gid) => { location.hash = `#/groups/${gid}`; }, g.id);
    await until(ada, () => /restarting/.test(document.getElementById('notice').textContent));
  });
  await ada.page.waitForSelector(sel('log-ok'), { timeout: 30000 });
  await until(ada, () => document.getElementById('notice').textContent === '');
  clean(ada);
});
