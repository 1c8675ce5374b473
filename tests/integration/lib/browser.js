'use strict';
// The browser the web page is tested in: Debian's chromium, headless, driven over the
// DevTools protocol by puppeteer-core. Each person is a browser profile of their own (a
// user data directory: their IndexedDB, their downloads). What the page writes to the
// console is kept: a test fails on any error or warning the page itself gives, on an
// uncaught exception, and on a file of the page that did not load. The API's refusals the
// page handles (a 403, a 404, a 409) show in Chrome's console as "Failed to load
// resource": those are kept apart, by URL, for the test to judge.

const assert = require('node:assert/strict');
const test = require('node:test');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const puppeteer = require('puppeteer-core');

const CHROMIUM = process.env.FREECOOP_TEST_CHROMIUM || '/usr/bin/chromium';
// Screenshots are kept here (the build folder's browser-screenshots/ under ctest).
const SHOTS = process.env.FREECOOP_TEST_SCREENSHOTS
  || path.join(process.env.FREECOOP_BUILD_DIR || os.tmpdir(), 'browser-screenshots');

const PHONE = { width: 360, height: 740, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { width: 1280, height: 800, deviceScaleFactor: 1 };

// A person's browser: {browser, page, dir, downloads, problems, refusals, close()}.
async function open(server, name, { viewport = DESKTOP } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `freecoop-browser-${name}-`));
  const downloads = path.join(dir, 'downloads');
  fs.mkdirSync(downloads);
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: path.join(dir, 'profile'),
    // (root runs the suites in CI: chromium's sandbox needs an unprivileged user)
    args: ['--no-sandbox', '--no-first-run', '--no-default-browser-check', '--disable-dev-shm-usage',
      '--disable-gpu', '--disable-extensions', '--disable-background-networking', '--lang=en-US'],
  });
  const page = (await browser.pages())[0] || await browser.newPage();
  await page.setViewport(viewport);
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  const who = { browser, page, dir, downloads, problems: [], refusals: [], name, server };
  const base = `http://127.0.0.1:${server.port}`;
  page.on('console', (m) => {
    const type = m.type();
    const text = m.text();
    const url = (m.location() && m.location().url) || '';
    if (/^Failed to load resource/.test(text)) {
      // The page's own files must load; the API's answers are the page's to handle.
      if (url.startsWith(`${base}/v1/`) || url.startsWith(`${base}/coop/`)) who.refusals.push({ text, url });
      else who.problems.push(`${type}: ${text} (${url})`);
    } else if (type === 'error' || type === 'warn' || type === 'warning' || type === 'assert') {
      who.problems.push(`${type}: ${text} (${url})`);
    }
  });
  page.on('pageerror', (e) => who.problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    const u = r.url();
    if (u.startsWith(base) && !u.startsWith(`${base}/v1/`) && !u.startsWith(`${base}/coop/`)) {
      who.problems.push(`request failed: ${u} ${r.failure() && r.failure().errorText}`);
    }
  });
  who.close = async () => {
    await browser.close().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return who;
}

// Waits for a download to finish in the person's downloads; its path. (Chrome may show
// the file under its final name before its last bytes are written: it is done once no
// .crdownload is left and its size held still for a moment.)
async function download(who, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  let last = null;
  for (;;) {
    const names = fs.readdirSync(who.downloads);
    const done = names.filter((f) => !f.endsWith('.crdownload'));
    if (done.length > 0 && done.length === names.length) {
      const file = path.join(who.downloads, done[0]);
      const size = fs.statSync(file).size;
      if (size > 0 && last === size) return file;
      last = size;
    }
    if (Date.now() > end) throw new Error(`${who.name}: no whole download within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

// A screenshot kept as a test artifact: <name>-phone.png / <name>-desktop.png. What it
// shows must not hold a programming slip a person would read ("null", "undefined", "NaN",
// "[object Object]").
async function shoot(who, name) {
  const slips = await who.page.evaluate(() => document.body.innerText.split('\n')
    .filter((l) => /\b(null|undefined|NaN)\b|\[object \w+\]/.test(l)));
  assert.deepEqual(slips, [], `${who.name}'s page shows a slip at ${name}`);
  fs.mkdirSync(SHOTS, { recursive: true });
  const vp = who.page.viewport();
  const kind = vp && vp.width < 600 ? 'phone' : 'desktop';
  const file = path.join(SHOTS, `${name}-${kind}.png`);
  await who.page.screenshot({ path: file, fullPage: true });
  return file;
}

// The text of the first element matching selector (waits for it).
async function text(who, selector, timeoutMs = 10000) {
  const el = await who.page.waitForSelector(selector, { timeout: timeoutMs });
  return el.evaluate((e) => e.textContent.trim());
}

// The helpers of one suite's browsers on server: each person's browser opened (and all
// closed with closeAll), pages visited, controls typed in and clicked by CSS selector
// (sel(t) for data-test t), waits, and the checks every page gets.
function session(server) {
  const people = [];
  const visible = (who, s) => who.page.waitForSelector(s, { visible: true, timeout: 20000 });
  const S = {
    sel: (t) => `[data-test=${t}]`,
    visible,
    async open(name, viewport) {
      const who = await open(server, name, { viewport });
      people.push(who);
      return who;
    },
    async closeAll() {
      for (const p of people.splice(0)) await p.close();
    },
    // Opens the page at hash, loading it anew (a visit, as a person coming back would).
    async go(who, hash = '') {
      const url = `http://127.0.0.1:${server.port}/${hash}`;
      if (who.page.url() === url) await who.page.reload({ waitUntil: 'domcontentloaded' });
      else await who.page.goto(url, { waitUntil: 'domcontentloaded' });
    },
    // Waits until fn (run in the page, with args) is true.
    until: (who, fn, ...args) => who.page.waitForFunction(fn, { timeout: 20000 }, ...args),
    async type(who, s, value) {
      const el = await visible(who, s);
      await el.click({ clickCount: 3 });
      await el.type(value);
    },
    async click(who, s) {
      await (await visible(who, s)).click();
    },
    // The same, by data-test name.
    fill: (who, t, value) => S.type(who, S.sel(t), value),
    tap: (who, t) => S.click(who, S.sel(t)),
    // No horizontal scrolling: the page fits the viewport's width (a phone's browser would
    // widen its layout viewport to fit a page too wide, so that is checked too).
    async fits(who) {
      const w = await who.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      const vw = who.page.viewport().width;
      assert.ok(w[0] <= vw && w[1] === vw, `${who.name}: the page is ${w[0]} px wide in a ${vw} px viewport`);
    },
    // The page gave no console error or warning, no uncaught exception, no failed file.
    clean(who) {
      assert.deepEqual(who.problems, [], `${who.name}'s page reported problems`);
    },
    // Signs up in the page as name; the person as the device keeps them (IndexedDB).
    async signUp(who, name) {
      await S.go(who);
      await S.type(who, S.sel('signup-name'), name);
      await S.click(who, S.sel('signup-submit'));
      await who.page.waitForSelector(S.sel('backup-download'), { timeout: 20000 });
      const all = await who.page.evaluate(() => new Promise((resolve, reject) => {
        const q = indexedDB.open('freecoop');
        q.onerror = () => reject(q.error);
        q.onsuccess = () => {
          const g = q.result.transaction('people').objectStore('people').getAll();
          g.onsuccess = () => resolve(g.result);
        };
      }));
      return all.find((p) => p.name === name);
    },
  };
  return S;
}

// A browser suite: a FreeCoop server (lib/coop.js's coopServer with env) started before
// its tests and stopped after them, with the session of its browsers (closed after them);
// S.server() is the server once started; S.restart(meanwhile) stops it, runs meanwhile
// (what the browsers do while it is down) and starts it again on the same port.
function suite(env = {}) {
  const C = require('./coop');
  const h = require('./harness');
  let server = null;
  const S = session({ get port() { return server.port; } });
  S.server = () => server;
  S.restart = async (meanwhile) => {
    const { port } = server;
    assert.equal(await server.stop(), 0, 'the server stops cleanly');
    await meanwhile();
    server = await h.startServer(env, { port });
  };
  test.before(async () => {
    server = await C.coopServer(env);
  });
  test.after(async () => {
    await S.closeAll();
    if (server) await server.stop();
  });
  return S;
}

module.exports = { open, download, shoot, text, session, suite, PHONE, DESKTOP, SHOTS };
