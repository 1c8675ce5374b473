'use strict';
// Accounts: creation by a service, who may read them, and the one-time exchange of the
// account id for the authorization token (SPEC §2, DESIGN §3).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./lib/harness');

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('accounts', () => {
  let server;
  let svcA;
  let svcB;
  let svcAName;

  before(async () => {
    server = await h.startServer();
    svcAName = h.randomName('acc-svc-a');
    svcA = h.createService(svcAName);
    svcB = h.createService(h.randomName('acc-svc-b'));
  });

  after(async () => {
    if (server) {
      const code = await server.stop();
      assert.equal(code, 0, 'api-server exit code after SIGTERM');
    }
  });

  it('creates an account without a body: 201, name null, Location', async () => {
    const before = Date.now();
    const r = await h.api(server, 'POST', '/v1/accounts', { token: svcA });
    assert.equal(r.status, 201, r.text);
    assert.match(r.json.id, UUID_V4);
    assert.equal(r.json.name, null);
    assert.equal(r.headers.get('location'), `/v1/accounts/${r.json.id}`);
    const created = Date.parse(r.json.created_at);
    assert.ok(Math.abs(created - before) < 60000, `created_at ${r.json.created_at} is not now`);
  });

  it('creates an account with {} and with a name', async () => {
    const empty = await h.api(server, 'POST', '/v1/accounts', { token: svcA, body: {} });
    assert.equal(empty.status, 201, empty.text);
    assert.equal(empty.json.name, null);

    const named = await h.api(server, 'POST', '/v1/accounts', { token: svcA, body: { name: 'Ada Lovelace' } });
    assert.equal(named.status, 201, named.text);
    assert.equal(named.json.name, 'Ada Lovelace');
    assert.equal(named.headers.get('location'), `/v1/accounts/${named.json.id}`);
    assert.notEqual(named.json.id, empty.json.id);

    // 200 code points of a two-byte character is within the 1..200 limit.
    const long = 'é'.repeat(200);
    const wide = await h.api(server, 'POST', '/v1/accounts', { token: svcA, body: { name: long } });
    assert.equal(wide.status, 201, wide.text);
    assert.equal(wide.json.name, long);
  });

  it('the owning service reads the account, claimed false then true', async () => {
    const name = h.randomName('Grace');
    const acct = await h.newAccount(server, svcA, name);
    const r = await h.api(server, 'GET', `/v1/accounts/${acct.id}`, { token: svcA });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { id: acct.id, name, claimed: false, created_at: acct.created_at });

    await h.claim(server, acct.id);
    const after = await h.api(server, 'GET', `/v1/accounts/${acct.id}`, { token: svcA });
    assert.equal(after.status, 200, after.text);
    assert.equal(after.json.claimed, true);
  });

  it('the account reads itself with its access token', async () => {
    const name = h.randomName('Hedy');
    const acct = await h.newAccount(server, svcA, name);
    const acc = await h.accessToken(server, await h.claim(server, acct.id));
    const r = await h.api(server, 'GET', `/v1/accounts/${acct.id}`, { token: acc });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { id: acct.id, name, claimed: true, created_at: acct.created_at });
  });

  it('another service gets 404, indistinguishable from a missing account', async () => {
    const secretName = h.randomName('secret-name');
    const acct = await h.newAccount(server, svcA, secretName);
    const other = await h.api(server, 'GET', `/v1/accounts/${acct.id}`, { token: svcB });
    h.assertProblem(other, 404, 'not-found', 'GET another service\'s account');
    assert.ok(!other.text.includes(secretName), 'the 404 leaks the account name');
    assert.ok(!other.text.includes(acct.created_at), 'the 404 leaks created_at');
    assert.ok(!other.text.includes(svcAName), 'the 404 leaks the owning service');

    const missingId = crypto.randomUUID();
    const missing = await h.api(server, 'GET', `/v1/accounts/${missingId}`, { token: svcB });
    h.assertProblem(missing, 404, 'not-found', 'GET a missing account');
    const norm = (j, id) => ({ ...j, request_id: '', instance: (j.instance || '').replace(id, 'ID'), detail: j.detail.replace(id, 'ID') });
    assert.deepEqual(norm(other.json, acct.id), norm(missing.json, missingId),
      'a foreign account and a missing one must answer alike');

    // The owner still sees it, so nothing was changed by the foreign read.
    const own = await h.api(server, 'GET', `/v1/accounts/${acct.id}`, { token: svcA });
    assert.equal(own.status, 200, own.text);
  });

  it('an access token of another account gets 404', async () => {
    const a = await h.newAccount(server, svcA, h.randomName('a'));
    const b = await h.newAccount(server, svcA, h.randomName('b'));
    const accB = await h.accessToken(server, await h.claim(server, b.id));
    const r = await h.api(server, 'GET', `/v1/accounts/${a.id}`, { token: accB });
    h.assertProblem(r, 404, 'not-found', 'GET another account with an access token');
    assert.ok(!r.text.includes(a.name), 'the 404 leaks the account name');
  });

  it('exchanges the id for an authorization token exactly once', async () => {
    const acct = await h.newAccount(server, svcA);
    const first = await h.api(server, 'POST', `/v1/accounts/${acct.id}/authorization-token`);
    assert.equal(first.status, 201, first.text);
    assert.match(first.headers.get('cache-control') || '', /no-store/);
    assert.ok(/^aut_[A-Za-z0-9_-]{43}$/.test(first.json.authorization_token), 'aut_ token shape');

    const second = await h.api(server, 'POST', `/v1/accounts/${acct.id}/authorization-token`);
    h.assertProblem(second, 409, 'already-claimed', 'second exchange');
    assert.ok(!second.text.includes('aut_'), 'the 409 must not carry a token');

    // The first token still works: it issues access tokens.
    const acc = await h.accessToken(server, first.json.authorization_token);
    assert.ok(acc.startsWith('acc_'));
  });

  it('twenty concurrent exchanges of a fresh id: exactly one 201, nineteen 409', async () => {
    const acct = await h.newAccount(server, svcA);
    const results = await Promise.all(Array.from({ length: 20 }, () =>
      h.api(server, 'POST', `/v1/accounts/${acct.id}/authorization-token`)));
    const statuses = results.map((r) => r.status);
    const wins = results.filter((r) => r.status === 201);
    const lost = results.filter((r) => r.status === 409);
    assert.equal(wins.length, 1, `statuses: ${statuses.join(',')}`);
    assert.equal(lost.length, 19, `statuses: ${statuses.join(',')}`);
    for (const r of lost) h.assertProblem(r, 409, 'already-claimed');
    // The winner's token is the one that works.
    await h.accessToken(server, wins[0].json.authorization_token);
  });

  it('an unknown id gets 404, a non-UUID 400 invalid-id', async () => {
    const unknown = await h.api(server, 'POST', `/v1/accounts/${crypto.randomUUID()}/authorization-token`);
    h.assertProblem(unknown, 404, 'not-found', 'exchange of an unknown id');

    for (const bad of ['not-a-uuid', '12345', '0b7f6a52-3c1e-4d8a-9f21-5e6d7c8b9a0', '0b7f6a523c1e4d8a9f215e6d7c8b9a01x',
      'zb7f6a52-3c1e-4d8a-9f21-5e6d7c8b9a01']) {
      const claimBad = await h.api(server, 'POST', `/v1/accounts/${bad}/authorization-token`);
      h.assertProblem(claimBad, 400, 'invalid-id', `exchange of ${bad}`);
      const getBad = await h.api(server, 'GET', `/v1/accounts/${bad}`, { token: svcA });
      h.assertProblem(getBad, 400, 'invalid-id', `GET /v1/accounts/${bad}`);
    }
  });

  it('a disabled service gets 401 invalid-credentials, and works again once enabled', async () => {
    const name = h.randomName('acc-svc-disabled');
    const key = h.createService(name);
    const acct = await h.newAccount(server, key);

    h.operatorSql(`SELECT admin.disable_service(${h.lit(name)})`);
    try {
      const create = await h.api(server, 'POST', '/v1/accounts', { token: key });
      h.assertProblem(create, 401, 'invalid-credentials', 'POST /v1/accounts by a disabled service');
      const read = await h.api(server, 'GET', `/v1/accounts/${acct.id}`, { token: key });
      h.assertProblem(read, 401, 'invalid-credentials', 'GET by a disabled service');
    } finally {
      h.operatorSql(`SELECT admin.enable_service(${h.lit(name)})`);
    }
    const again = await h.api(server, 'GET', `/v1/accounts/${acct.id}`, { token: key });
    assert.equal(again.status, 200, again.text);
  });
});
