'use strict';
// Credentials kept in memory (credcache.h) and what must still hold: two instances on one
// database, each keeping the tokens it resolved. A person's repeated reads are answered
// without the database; a token revoked on one instance is refused at once there and on
// the other as soon as the database's notification arrives (well under a second, with a
// cache TTL of a minute); so is the oldest token past max_access_tokens, and every
// credential of a disabled service; an expired token is refused at its expiry; and an
// instance that stops hearing the database trusts nothing it kept.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

const ENV = { FREECOOP_CACHE_TTL_MS: '60000', FREECOOP_MAX_ACCESS_TOKENS: '2' };
const NOTIFIED_MS = 1000;

// Waits until fn() is true, at most ms; returns the time it took, or fails.
async function within(ms, what, fn) {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > ms) assert.fail(`${what}: not within ${ms} ms`);
    await h.sleep(10);
  }
}

async function metric(server, name) {
  const r = await h.api(server, 'GET', '/metrics');
  const m = r.text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
  assert.ok(m, `/metrics has ${name}`);
  return Number(m[1]);
}

const me = (server, token) => h.api(server, 'GET', '/v1/me', { token });
const refused = async (server, token, slug) => {
  const r = await me(server, token);
  return r.status === 401 && r.json && r.json.type.endsWith(slug);
};

describe('credentials kept in memory', () => {
  let a;
  let b;
  let svcName;
  let svc;

  before(async () => {
    a = await h.startServer(ENV);
    b = await h.startServer(ENV);
    svcName = h.randomName('cred-svc');
    svc = h.createService(svcName);
    for (const s of [a, b]) await within(5000, 'listening', async () => (await metric(s, 'freecoop_credential_cache_listening')) === 1);
  });
  after(async () => {
    for (const s of [a, b]) if (s) assert.equal(await s.stop(), 0);
  });

  async function person(name = h.randomName('p')) {
    const acct = await h.newAccount(a, svc, name);
    const aut = await h.claim(a, acct.id);
    return { acct, aut, token: await h.accessToken(a, aut) };
  }

  it("answers a person's repeated reads from memory, the same as the database does", async () => {
    const p = await person('Ada');
    const first = await me(b, p.token);
    assert.equal(first.status, 200, first.text);
    const hits = await metric(b, 'freecoop_credential_cache_hits_total');
    const queries = await metric(b, 'freecoop_db_batched_requests_total');
    for (let i = 0; i < 50; i++) {
      const again = await me(b, p.token);
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.json, first.json);
    }
    assert.ok(await metric(b, 'freecoop_credential_cache_hits_total') >= hits + 50, '50 reads resolved from memory');
    assert.ok(await metric(b, 'freecoop_db_batched_requests_total') < queries + 5, 'without a lookup each');
  });

  it('knows a token it just issued: its first read there asks the database nothing', async () => {
    const p = await person('Bo'); // issued on a
    const misses = await metric(a, 'freecoop_credential_cache_misses_total');
    const hits = await metric(a, 'freecoop_credential_cache_hits_total');
    const r = await me(a, p.token);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, p.acct.id);
    assert.equal(await metric(a, 'freecoop_credential_cache_misses_total'), misses, 'no lookup');
    assert.equal(await metric(a, 'freecoop_credential_cache_hits_total'), hits + 1);
    // The other instance has not seen it: it asks the database once.
    const bm = await metric(b, 'freecoop_credential_cache_misses_total');
    assert.equal((await me(b, p.token)).status, 200);
    assert.equal(await metric(b, 'freecoop_credential_cache_misses_total'), bm + 1);
  });

  it('refuses a revoked token at once where it was revoked, and on the other instance when notified', async () => {
    const p = await person();
    for (const s of [a, b]) assert.equal((await me(s, p.token)).status, 200);
    const r = await h.api(a, 'DELETE', '/v1/access-tokens/current', { token: p.token });
    assert.equal(r.status, 204, r.text);
    assert.ok(await refused(a, p.token, 'token-revoked'), 'refused at once on the instance that revoked it');
    const took = await within(NOTIFIED_MS, 'the other instance refuses it', () => refused(b, p.token, 'token-revoked'));
    assert.ok(took < NOTIFIED_MS);
  });

  it('refuses the oldest token past max_access_tokens, on both instances', async () => {
    const p = await person();
    for (const s of [a, b]) assert.equal((await me(s, p.token)).status, 200);
    await h.accessToken(a, p.aut);
    await h.accessToken(a, p.aut); // the third live token: the first is revoked
    assert.ok(await refused(a, p.token, 'token-revoked'), 'refused at once on the instance that issued');
    await within(NOTIFIED_MS, 'the other instance refuses it', () => refused(b, p.token, 'token-revoked'));
  });

  it("refuses every credential of a disabled service, on both instances, and takes them back when it is enabled", async () => {
    const name = h.randomName('cred-off');
    const key = h.createService(name);
    const acct = await h.newAccount(a, key, 'Bo');
    const token = await h.accessToken(a, await h.claim(a, acct.id));
    for (const s of [a, b]) {
      assert.equal((await h.api(s, 'GET', `/v1/accounts/${acct.id}`, { token: key })).status, 200);
      assert.equal((await me(s, token)).status, 200);
    }
    h.operatorSql(`SELECT admin.disable_service(${h.lit(name)})`);
    for (const s of [a, b]) {
      await within(NOTIFIED_MS, 'the service key refused', async () => (await h.api(s, 'GET', `/v1/accounts/${acct.id}`, { token: key })).status === 401);
      await within(NOTIFIED_MS, 'its account\'s token refused', () => refused(s, token, 'invalid-credentials'));
    }
    h.operatorSql(`SELECT admin.enable_service(${h.lit(name)})`);
    for (const s of [a, b]) assert.equal((await me(s, token)).status, 200);
  });

  it('refuses an access token at its expiry, whatever the cache TTL', async () => {
    const short = await h.startServer({ ...ENV, FREECOOP_ACCESS_TOKEN_TTL: '2' });
    try {
      const acct = await h.newAccount(short, svc);
      const r = await h.api(short, 'POST', '/v1/access-tokens', { token: await h.claim(short, acct.id) });
      assert.equal(r.status, 201, r.text);
      const expires = Date.parse(r.json.expires_at);
      while (Date.now() < expires - 300) {
        assert.equal((await me(short, r.json.access_token)).status, 200);
        await h.sleep(100);
      }
      await h.sleep(Math.max(0, expires - Date.now()) + 50);
      assert.ok(await refused(short, r.json.access_token, 'token-expired'), 'refused once it expired');
    } finally {
      assert.equal(await short.stop(), 0);
    }
  });

  it('trusts nothing it kept while it cannot hear the database, and listens again', async () => {
    const p = await person();
    assert.equal((await me(b, p.token)).status, 200);
    // Every instance's listening connection is cut; the token is revoked behind the API.
    h.superSql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'freecoop-api-server (listening)'");
    await within(5000, 'the instance notices', () => b.logs.some((l) => /not listening for revocations/.test(l)));
    h.superSql(`UPDATE decision.access_tokens SET revoked_at = now() WHERE token_hash = '\\x${h.sha256hex(p.token)}'`);
    assert.ok(await refused(b, p.token, 'token-revoked'), 'refused: nothing kept is trusted, or it was forgotten');
    await within(5000, 'listening again', async () => (await metric(b, 'freecoop_credential_cache_listening')) === 1);
    const q = await person();
    assert.equal((await me(b, q.token)).status, 200);
    assert.equal((await me(b, q.token)).status, 200);
  });
});
