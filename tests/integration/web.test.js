'use strict';
// The web page's files (DESIGN §10.8): served as they are in api-server/web/site, at / and
// /web/<name>, with a content security policy that keeps the page to its own files and
// this server, an ETag a browser revalidates with (304), and the whole page under 150 KB.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./lib/harness');

const SITE = path.join(__dirname, '..', '..', 'api-server', 'web', 'site');
const CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'";
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

describe('the web page', () => {
  let server;
  before(async () => {
    server = await h.startServer();
  });
  after(async () => {
    if (server) await server.stop();
  });

  const files = () => fs.readdirSync(SITE).filter((f) => /^[a-z0-9_-]+\.(html|js|css|svg)$/.test(f)).sort();

  it('serves index.html at / with the policy, an ETag and no caching without revalidation', async () => {
    const r = await h.api(server, 'GET', '/');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, fs.readFileSync(path.join(SITE, 'index.html'), 'utf8'));
    assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8$/);
    assert.equal(r.headers.get('content-security-policy'), CSP);
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.match(r.headers.get('etag'), /^"[0-9a-f]{32}"$/);
    // A browser revalidating the copy it has gets 304 and no body.
    const again = await h.api(server, 'GET', '/', { headers: { 'If-None-Match': r.headers.get('etag') } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    assert.equal(again.headers.get('etag'), r.headers.get('etag'));
    const other = await h.api(server, 'GET', '/', { headers: { 'If-None-Match': '"0123456789abcdef0123456789abcdef"' } });
    assert.equal(other.status, 200);
  });

  it('serves every file of the folder as it is, with its type; the page is under 150 KB', async () => {
    const names = files();
    assert.ok(names.includes('index.html'), 'the folder has no index.html');
    let total = 0;
    const etags = new Set();
    for (const name of names) {
      const want = fs.readFileSync(path.join(SITE, name));
      const r = await h.api(server, 'GET', `/web/${name}`);
      assert.equal(r.status, 200, `${name}: ${r.text}`);
      assert.equal(Buffer.compare(Buffer.from(r.text, 'utf8'), want), 0, `${name} differs from the file`);
      assert.ok(r.headers.get('content-type').startsWith(TYPES[path.extname(name)]), `${name}: ${r.headers.get('content-type')}`);
      assert.equal(r.headers.get('content-security-policy'), CSP);
      etags.add(r.headers.get('etag'));
      total += want.length;
    }
    assert.equal(etags.size, names.length, 'each file has its own ETag');
    assert.ok(total < 150000, `the page and its files are ${total} bytes (under 150 kB)`);
  });

  it('loads nothing from elsewhere: every script, style sheet and icon the page names is one of its files', async () => {
    const html = fs.readFileSync(path.join(SITE, 'index.html'), 'utf8');
    const refs = [...html.matchAll(/\b(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1]); // (#/: the page's own routes)
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      assert.match(ref, /^\/web\/[a-z0-9_-]+\.(js|css|svg)$/, `index.html names ${ref}`);
      assert.equal((await h.api(server, 'GET', ref)).status, 200, ref);
    }
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'an inline script (the policy would block it)');
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'an inline event handler (the policy would block it)');
    for (const name of files().filter((f) => f.endsWith('.js'))) {
      const js = fs.readFileSync(path.join(SITE, name), 'utf8');
      for (const m of js.matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'/g)) {
        const spec = m[1] || m[2];
        assert.match(spec, /^\.\/[a-z0-9_-]+\.js$/, `${name} imports ${spec}`);
        assert.ok(fs.existsSync(path.join(SITE, spec.slice(2))), `${name} imports ${spec}, not a file of the page`);
      }
    }
  });

  it('answers 404 for a name that is not a file of the page', async () => {
    for (const p of ['/web/nothing.js', '/web/INDEX.HTML', '/web/index.php', '/web/a.b.js', '/web/%2e%2e%2fmain.c']) {
      const r = await h.api(server, 'GET', p, { validate: p === '/web/nothing.js' });
      assert.equal(r.status, 404, `${p}: ${r.status} ${r.text}`);
      assert.equal(r.json.type, 'urn:freecoop:problem:not-found');
    }
    h.assertProblem(await h.api(server, 'GET', '/index.html'), 404, 'route-not-found');
  });
});
