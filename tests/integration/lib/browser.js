'use strict';
// The browser the web page is tested in: Debian's chromium, headless, driven over the
// DevTools protocol by puppeteer-core. Each person is a browser profile of their own (a
// user data directory: their IndexedDB, their downloads). What the page writes to the
// console is kept: a test fails on any error or warning the page itself gives, on an
// uncaught exception, and on a file of the page that did not load. The API's refusals the
// page handles (a 403, a 404, a 409) show in Chrome's console as "Failed to load
// resource": those are kept apart, by URL, for the test to judge.

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

// Waits for a file to appear in the person's downloads; its path.
async function download(who, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const done = fs.readdirSync(who.downloads).filter((f) => !f.endsWith('.crdownload'));
    if (done.length > 0) return path.join(who.downloads, done[0]);
    if (Date.now() > end) throw new Error(`${who.name}: no download within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A screenshot kept as a test artifact: <name>-phone.png / <name>-desktop.png.
async function shoot(who, name) {
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

module.exports = { open, download, shoot, text, PHONE, DESKTOP, SHOTS };
