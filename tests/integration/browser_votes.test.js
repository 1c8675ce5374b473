'use strict';
// Voting in the web page with each library method's ballot form, and the result verified
// in the browser. A group whose `resolution` decisions are counted by Schulze: a ranked
// ballot cast entirely with the keyboard (Alt+Arrow to reorder, Enter to cast), then the
// signed result shown "Verified" with the person's receipt found and a chart; the same
// result with its payload altered (answered by request interception) shown "NOT
// verified". Then one decision per other library method, voted in the page, each ballot
// counted as valid. No console error or warning; screenshots at phone and desktop size.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');
const C = require('./lib/coop');
const D = require('./lib/decisions');
const B = require('./lib/browser');

let server;
let who;
let me;
const ids = {};
test.before(async () => {
  server = await C.coopServer({ FREECOOP_CONCLUDE_POLL_MS: '50', FREECOOP_WEBHOOK_POLL_MS: '50' });
  const auditor = D.newAuditor('votes');
  for (const m of ['schulze', 'plurality', 'approval', 'consent', 'irv', 'stv', 'borda', 'score', 'majority_judgment']) {
    ids[m] = await D.libraryMethod(server, auditor, `${m}.py`);
  }
});
test.after(async () => {
  if (who) await who.close();
  if (server) await server.stop();
});

const sel = (t) => `[data-test=${t}]`;
const until = (fn, ...args) => who.page.waitForFunction(fn, { timeout: 30000 }, ...args);
async function go(hash) {
  const url = `http://127.0.0.1:${server.port}/${hash}`;
  if (who.page.url() === url) await who.page.reload({ waitUntil: 'domcontentloaded' });
  else await who.page.goto(url, { waitUntil: 'domcontentloaded' });
}
const clean = () => assert.deepEqual(who.problems, [], `${who.name}'s page reported problems`);
async function fits() {
  const w = await who.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(w[0] <= w[1], `the page is ${w[0]} px wide in a ${w[1]} px viewport`);
}
// Switches between phone and desktop size (puppeteer reloads the page when isMobile
// changes), then waits for the page to show selector again.
async function resize(viewport, selector) {
  await who.page.setViewport(viewport);
  await who.page.waitForSelector(selector, { timeout: 20000 });
  await who.page.$eval(selector, (e) => e.scrollIntoView());
}
// Presses Tab until the focused element matches selector (keyboard only, as a person would).
async function tabTo(selector, max = 400) {
  for (let i = 0; i < max; i++) {
    if (await who.page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
    await who.page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}
const order = (did) => who.page.$$eval(`[data-id="${did}"] ${sel('rank-item')}`, (els) => els.map((e) => e.dataset.proposal));
// The decision's card in the page.
const card = (did) => `[data-test=decision][data-id="${did}"]`;

async function startDecision(gid, type, texts) {
  const r = await h.api(server, 'POST', `/coop/v1/groups/${gid}/decisions`,
    { token: me.token, body: { type, title: `${type}: ${h.randomName('t')}`, proposals: texts.map((text) => ({ text })) } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
// The counted ballots and the decoded result, as the core publishes them.
async function published(did) {
  const { payload } = await D.verifiedResult(server, did);
  return { payload, result: JSON.parse(Buffer.from(payload.outcome.result, 'base64').toString('utf8')) };
}

let group;
let ranked;
let receipt;

test('a ranked (Schulze) ballot cast with the keyboard alone, then its result verified in the page', async () => {
  who = await B.open(server, 'rhea', { viewport: B.PHONE });
  await go('');
  const name = await who.page.waitForSelector(sel('signup-name'), { visible: true, timeout: 20000 });
  await name.type('Rhea');
  await who.page.keyboard.press('Enter');
  await who.page.waitForSelector(sel('backup-download'), { timeout: 20000 });
  const stored = await who.page.evaluate(() => new Promise((resolve, reject) => {
    const q = indexedDB.open('freecoop');
    q.onerror = () => reject(q.error);
    q.onsuccess = () => {
      const g = q.result.transaction('people').objectStore('people').getAll();
      g.onsuccess = () => { q.result.close(); resolve(g.result[0]); };
    };
  }));
  me = { id: stored.id, token: await h.accessToken(server, stored.authorization_token) };

  // A group whose resolutions are counted by Schulze, and one by each other method.
  const charter = await C.fastCharter(server, me, 1, 25);
  charter.decision_types.resolution.method = ids.schulze;
  for (const m of ['plurality', 'approval', 'consent', 'irv', 'stv', 'borda', 'score', 'majority_judgment']) {
    charter.decision_types[`by_${m}`] = { ...charter.decision_types.resolution, method: ids[m], voting_seconds: 40 };
  }
  group = await C.found(server, me, charter);
  ranked = await startDecision(group.id, 'resolution', ['Open on Sundays', 'Open late on Fridays', 'Keep the hours']);

  await go(`#/groups/${group.id}`);
  await who.page.waitForSelector(`${card(ranked.id)} ${sel('rank-item')}`, { timeout: 20000 });
  const before = await order(ranked.id);
  assert.equal(before.length, 3);
  await fits();
  await B.shoot(who, 'ballot-ranked');

  // The last proposal to the top: focus it with Tab, Alt+ArrowUp twice.
  await tabTo(`${card(ranked.id)} [data-test=rank-item][data-proposal="${before[2]}"]`);
  await who.page.keyboard.down('Alt');
  await who.page.keyboard.press('ArrowUp');
  await who.page.keyboard.press('ArrowUp');
  await who.page.keyboard.up('Alt');
  await until((s) => /place 1 of 3/.test(document.querySelector(s)?.textContent || ''), `${card(ranked.id)} ${sel('rank-live')}`);
  assert.deepEqual(await order(ranked.id), [before[2], before[0], before[1]]);
  assert.equal(await who.page.evaluate(() => document.activeElement.dataset.proposal), before[2], 'focus stays on the moved item');
  // ... then the (now) third one down and up again: it stays third, and is ranked equal to the second.
  await tabTo(`${card(ranked.id)} [data-test=rank-item][data-proposal="${before[1]}"]`);
  await who.page.keyboard.down('Alt');
  await who.page.keyboard.press('ArrowDown');
  await who.page.keyboard.up('Alt');
  await until((s) => /already last/.test(document.querySelector(s)?.textContent || ''), `${card(ranked.id)} ${sel('rank-live')}`);
  await tabTo(`${card(ranked.id)} [data-test=rank-item][data-proposal="${before[1]}"] [data-test=rank-equal]`);
  await who.page.keyboard.press('Space');
  await until((s) => /place 2 of 3/.test(document.querySelector(s)?.textContent || ''), `${card(ranked.id)} ${sel('rank-live')}`);
  await tabTo(`${card(ranked.id)} ${sel('vote-submit')}`);
  await who.page.keyboard.press('Enter');
  await who.page.waitForSelector(`${card(ranked.id)} ${sel('receipt-id')}`, { timeout: 20000 });
  receipt = await B.text(who, `${card(ranked.id)} ${sel('receipt-id')}`);
  assert.match(receipt, /^[0-9a-f-]{36}$/);
  // The receipt is kept on the device, per person and decision.
  const kept = await who.page.evaluate((k) => new Promise((resolve) => {
    const q = indexedDB.open('freecoop');
    q.onsuccess = () => {
      const g = q.result.transaction('receipts').objectStore('receipts').get(k);
      g.onsuccess = () => { q.result.close(); resolve(g.result); };
    };
  }), `${me.id}:${ranked.id}`);
  assert.equal(kept.ballot_id, receipt);
  await B.shoot(who, 'ballot-ranked-cast');

  // Counted and applied: the page verifies the signed result and finds the receipt.
  await C.waitApplied(server, me, group.id, ranked.id, 60000);
  const { payload, result } = await published(ranked.id);
  const mine = payload.inputs.ballots.find((b) => b.id === receipt);
  assert.deepEqual(JSON.parse(Buffer.from(mine.payload, 'base64').toString('utf8')),
    { ranking: [[before[2]], [before[0], before[1]]] }, 'the ballot is exactly what schulze.py parses');
  assert.equal(result.invalid, 0);
  assert.deepEqual(result.adopted, [before[2]]);

  await go(`#/groups/${group.id}`);
  const verdict = `${card(ranked.id)} ${sel('result-verdict')}`;
  await who.page.waitForSelector(verdict, { timeout: 20000 });
  assert.equal(await who.page.$eval(verdict, (e) => e.dataset.verified), 'true', await B.text(who, verdict));
  assert.equal(await who.page.$eval(verdict, (e) => e.getAttribute('role')), 'status');
  assert.match(await B.text(who, verdict), /^✓?\s*Verified/);
  assert.match(await B.text(who, `${card(ranked.id)} ${sel('result-receipt')}`), new RegExp(receipt));
  assert.equal(await who.page.$$eval(`${card(ranked.id)} ${sel('result-chart')} ${sel('chart-row')}`, (e) => e.length), 3);
  assert.match(await who.page.$eval(`${card(ranked.id)} ${sel('result-chart')}`, (e) => e.textContent), /Open late on Fridays|Open on Sundays|Keep the hours/);
  await who.page.$eval(card(ranked.id), (e) => e.scrollIntoView());
  await fits();
  await B.shoot(who, 'result-verified');
  await resize(B.DESKTOP, verdict);
  await B.shoot(who, 'result-verified');
  clean();
});

test('a result whose payload was altered is shown NOT verified', async () => {
  const real = (await h.api(server, 'GET', `/v1/decisions/${ranked.id}/result`)).text;
  const [hd, pl, sig] = real.split('.');
  const doc = JSON.parse(Buffer.from(pl, 'base64url').toString('utf8'));
  doc.inputs.ballots = doc.inputs.ballots.filter((b) => b.id !== receipt); // a ballot dropped
  const forged = `${hd}.${Buffer.from(JSON.stringify(doc)).toString('base64url')}.${sig}`;
  const answer = (r) => {
    if (r.isInterceptResolutionHandled()) return;
    if (r.url().endsWith(`/v1/decisions/${ranked.id}/result`)) {
      r.respond({ status: 200, contentType: 'application/jose', body: forged });
    } else {
      r.continue();
    }
  };
  await who.page.setRequestInterception(true);
  who.page.on('request', answer);
  try {
    await go(`#/groups/${group.id}`);
    const verdict = `${card(ranked.id)} ${sel('result-verdict')}`;
    await who.page.waitForSelector(verdict, { timeout: 20000 });
    assert.equal(await who.page.$eval(verdict, (e) => e.dataset.verified), 'false');
    assert.equal(await who.page.$eval(verdict, (e) => e.getAttribute('role')), 'alert');
    assert.match(await B.text(who, verdict), /NOT verified/);
    assert.match(await B.text(who, `${card(ranked.id)} ${sel('result-failure')}`), /signature does not match/);
    assert.equal(await who.page.$(`${card(ranked.id)} ${sel('result-chart')}`), null, 'no chart of an unverified result');
    await who.page.$eval(card(ranked.id), (e) => e.scrollIntoView());
    await B.shoot(who, 'result-not-verified');
    await resize(B.PHONE, verdict);
    await B.shoot(who, 'result-not-verified');
  } finally {
    who.page.off('request', answer);
    await who.page.setRequestInterception(false);
  }
  clean();
});

test('every other library method: its ballot form, cast in the page, is counted as a valid ballot', async () => {
  const texts = ['Paint it green', 'Paint it blue', 'Leave it'];
  const ds = {};
  for (const m of ['plurality', 'approval', 'consent', 'irv', 'stv', 'borda', 'score', 'majority_judgment']) {
    ds[m] = await startDecision(group.id, `by_${m}`, texts);
  }
  await go(`#/groups/${group.id}`);
  const within = (m, t) => `${card(ds[m].id)} ${t}`;
  const click = async (s) => (await who.page.waitForSelector(s, { visible: true, timeout: 20000 })).click();
  const cast = async (m) => {
    await click(within(m, sel('vote-submit')));
    await who.page.waitForSelector(within(m, sel('receipt-id')), { timeout: 20000 });
  };
  await who.page.waitForSelector(within('plurality', sel('choice')), { timeout: 20000 });
  await B.shoot(who, 'ballots-all');
  // Plurality: submitting without a choice says so next to the choices.
  await click(within('plurality', sel('vote-submit')));
  await until((s) => document.querySelector(s)?.getAttribute('aria-invalid') === 'true', within('plurality', sel('choice')));
  await click(within('plurality', `.choice:nth-of-type(2) ${sel('choice')}`));
  await cast('plurality');
  await click(within('approval', `.choice:nth-of-type(1) ${sel('approve')}`));
  await click(within('approval', `.choice:nth-of-type(3) ${sel('approve')}`));
  await cast('approval');
  await click(within('consent', `${sel('motion')}:nth-of-type(2) ${sel('vote-object')}`));
  await cast('consent');
  for (const m of ['irv', 'stv', 'borda']) {
    await click(within(m, `${sel('rank-item')}:nth-of-type(3) ${sel('rank-up')}`));
    await cast(m);
  }
  const scores = await who.page.$$(within('score', sel('score')));
  for (const [i, s] of scores.entries()) await s.select(String([5, 2, 0][i]));
  await cast('score');
  // Majority judgment: every proposal must be graded; the first missing one is named.
  const grades = await who.page.$$(within('majority_judgment', sel('grade')));
  await grades[0].select('good');
  await click(within('majority_judgment', sel('vote-submit')));
  await until((s) => document.querySelectorAll(s)[1]?.getAttribute('aria-invalid') === 'true', within('majority_judgment', sel('grade')));
  await grades[1].select('excellent');
  await grades[2].select('reject');
  await cast('majority_judgment');
  // Recasting replaces the ballot, and says so.
  const first = await B.text(who, within('plurality', sel('receipt-id')));
  await click(within('plurality', sel('vote-change')));
  await click(within('plurality', `.choice:nth-of-type(3) ${sel('choice')}`));
  await click(within('plurality', sel('vote-submit')));
  await until((s, was) => /replaced the earlier one/.test(document.querySelector(s)?.textContent || '')
    && !document.querySelector(s).textContent.includes(was), within('plurality', sel('receipt')), first);
  assert.match(await B.text(who, within('plurality', sel('receipt'))), /replaced the earlier one/);
  await fits();
  await B.shoot(who, 'ballots-all-cast');

  for (const [m, d] of Object.entries(ds)) {
    await C.waitApplied(server, me, group.id, d.id, 90000);
    const { payload, result } = await published(d.id);
    assert.equal(payload.inputs.ballots.length, 1, m);
    assert.equal(result.invalid, 0, `${m}: the page's ballot is valid: ${Buffer.from(payload.inputs.ballots[0].payload, 'base64')}`);
    if (m !== 'consent') assert.equal(result.adopted.length >= 1, true, `${m} adopted something`);
  }
  await go(`#/groups/${group.id}`);
  await until((n) => document.querySelectorAll('[data-test=result-verdict][data-verified=true]').length === n, 9);
  assert.equal(await who.page.$$eval(sel('result-chart'), (e) => e.length), 9);
  await fits();
  await B.shoot(who, 'results-all');
  await resize(B.DESKTOP, `${card(ds.majority_judgment.id)} ${sel('result-chart')}`);
  await until((n) => document.querySelectorAll('[data-test=result-verdict][data-verified=true]').length === n, 9);
  await B.shoot(who, 'results-all');

  // A genuine signed result, but of another decision, passed off as this one's.
  const other = (await h.api(server, 'GET', `/v1/decisions/${ds.approval.id}/result`)).text;
  const swap = (r) => {
    if (r.isInterceptResolutionHandled()) return;
    if (r.url().endsWith(`/v1/decisions/${ds.plurality.id}/result`)) r.respond({ status: 200, contentType: 'application/jose', body: other });
    else r.continue();
  };
  await who.page.setRequestInterception(true);
  who.page.on('request', swap);
  try {
    await go(`#/groups/${group.id}`);
    const verdict = `${card(ds.plurality.id)} ${sel('result-verdict')}`;
    await who.page.waitForSelector(verdict, { timeout: 20000 });
    assert.equal(await who.page.$eval(verdict, (e) => e.dataset.verified), 'false');
    assert.match(await B.text(who, `${card(ds.plurality.id)} ${sel('result-failure')}`), /another decision/);
  } finally {
    who.page.off('request', swap);
    await who.page.setRequestInterception(false);
  }
  clean();
});
