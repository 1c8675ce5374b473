'use strict';
// Tokens: access tokens of an account, revocation, expiry, the credential kinds each route
// takes, malformed Authorization headers, and that only hashes of tokens are stored.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./lib/harness');

const ACC = /^acc_[A-Za-z0-9_-]{43}$/;

describe('tokens', () => {
  let server;
  let svc;
  let svcName;

  before(async () => {
    server = await h.startServer();
    svcName = h.randomName('tok-svc');
    svc = h.createService(svcName);
  });

  after(async () => {
    if (server) {
      const code = await server.stop();
      assert.equal(code, 0, 'api-server exit code after SIGTERM');
    }
  });

  it('issues many access tokens per account, all valid at once', async () => {
    const name = h.randomName('Emmy');
    const acct = await h.newAccount(server, svc, name);
    const aut = await h.claim(server, acct.id);
    const tokens = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      const r = await h.api(server, 'POST', '/v1/access-tokens', { token: aut });
      assert.equal(r.status, 201, r.text);
      assert.ok(ACC.test(r.json.access_token), 'access token shape');
      assert.match(r.headers.get('cache-control') || '', /no-store/);
      const ttl = Date.parse(r.json.expires_at) - t0;
      assert.ok(ttl > 3540000 && ttl < 3660000, `expires_at ${r.json.expires_at} is not about now + 3600 s`);
      tokens.push(r.json.access_token);
    }
    assert.equal(new Set(tokens).size, tokens.length, 'access tokens must all differ');
    // {} is accepted as the body too.
    const withBody = await h.api(server, 'POST', '/v1/access-tokens', { token: aut, body: {} });
    assert.equal(withBody.status, 201, withBody.text);
    tokens.push(withBody.json.access_token);

    for (const t of tokens) {
      const me = await h.api(server, 'GET', '/v1/me', { token: t });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.json.id, acct.id);
      assert.equal(me.json.name, name);
      assert.equal(me.json.claimed, true);
      assert.equal(me.json.created_at, acct.created_at);
      assert.equal(me.json.service.name, svcName);
    }
  });

  it('GET /v1/me names the account and its service', async () => {
    const acct = await h.newAccount(server, svc);
    const acc = await h.accessToken(server, await h.claim(server, acct.id));
    const me = await h.api(server, 'GET', '/v1/me', { token: acc });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.id, acct.id);
    assert.equal(me.json.name, null);
    const svcId = h.operatorSql(`SELECT id FROM admin.services WHERE name = ${h.lit(svcName)}`);
    assert.deepEqual(me.json.service, { id: svcId, name: svcName });
  });

  it('DELETE /v1/access-tokens/current revokes only that token', async () => {
    const acct = await h.newAccount(server, svc);
    const aut = await h.claim(server, acct.id);
    const a = await h.accessToken(server, aut);
    const b = await h.accessToken(server, aut);
    const c = await h.accessToken(server, aut);

    const del = await h.api(server, 'DELETE', '/v1/access-tokens/current', { token: b });
    assert.equal(del.status, 204, del.text);
    assert.equal(del.text, '');

    const revoked = await h.api(server, 'GET', '/v1/me', { token: b });
    h.assertProblem(revoked, 401, 'token-revoked', 'GET /v1/me with a revoked token');
    const again = await h.api(server, 'DELETE', '/v1/access-tokens/current', { token: b });
    h.assertProblem(again, 401, 'token-revoked', 'revoking a revoked token');
    const acctRead = await h.api(server, 'GET', `/v1/accounts/${acct.id}`, { token: b });
    h.assertProblem(acctRead, 401, 'token-revoked', 'GET /v1/accounts/{id} with a revoked token');

    for (const t of [a, c]) {
      const me = await h.api(server, 'GET', '/v1/me', { token: t });
      assert.equal(me.status, 200, me.text);
    }
    // The authorization token still issues new access tokens.
    const d = await h.accessToken(server, aut);
    const me = await h.api(server, 'GET', '/v1/me', { token: d });
    assert.equal(me.status, 200, me.text);
  });

  it('an expired access token gets 401 token-expired', async () => {
    const short = await h.startServer({ FREECOOP_ACCESS_TOKEN_TTL: '1' });
    try {
      const acct = await h.newAccount(short, svc);
      const aut = await h.claim(short, acct.id);
      const t0 = Date.now();
      const r = await h.api(short, 'POST', '/v1/access-tokens', { token: aut });
      assert.equal(r.status, 201, r.text);
      const ttl = Date.parse(r.json.expires_at) - t0;
      assert.ok(ttl > -1000 && ttl < 2500, `expires_at ${r.json.expires_at} is not about now + 1 s`);
      await h.sleep(2200);
      const me = await h.api(short, 'GET', '/v1/me', { token: r.json.access_token });
      h.assertProblem(me, 401, 'token-expired', 'GET /v1/me after expiry');
      const del = await h.api(short, 'DELETE', '/v1/access-tokens/current', { token: r.json.access_token });
      h.assertProblem(del, 401, 'token-expired', 'DELETE current after expiry');
      // The other server (default TTL) agrees: expiry is in the data, not the process.
      const other = await h.api(server, 'GET', '/v1/me', { token: r.json.access_token });
      h.assertProblem(other, 401, 'token-expired', 'GET /v1/me after expiry, other server');
    } finally {
      assert.equal(await short.stop(), 0, 'short-TTL api-server exit code');
    }
  });

  it('each route takes only its credential kind (401 wrong-credential-kind)', async () => {
    const acct = await h.newAccount(server, svc);
    const aut = await h.claim(server, acct.id);
    const acc = await h.accessToken(server, aut);
    const cases = [
      ['GET', '/v1/me', aut, 'aut_ on /v1/me'],
      ['GET', '/v1/me', svc, 'svc_ on /v1/me'],
      ['DELETE', '/v1/access-tokens/current', aut, 'aut_ on DELETE current'],
      ['DELETE', '/v1/access-tokens/current', svc, 'svc_ on DELETE current'],
      ['POST', '/v1/access-tokens', acc, 'acc_ on POST /v1/access-tokens'],
      ['POST', '/v1/access-tokens', svc, 'svc_ on POST /v1/access-tokens'],
      ['POST', '/v1/accounts', acc, 'acc_ on POST /v1/accounts'],
      ['POST', '/v1/accounts', aut, 'aut_ on POST /v1/accounts'],
      ['GET', `/v1/accounts/${acct.id}`, aut, 'aut_ on GET /v1/accounts/{id}'],
    ];
    for (const [method, path, token, what] of cases) {
      const r = await h.api(server, method, path, { token });
      h.assertProblem(r, 401, 'wrong-credential-kind', what);
    }
    // Nothing was revoked or created by those: the tokens still work.
    assert.equal((await h.api(server, 'GET', '/v1/me', { token: acc })).status, 200);
  });

  it('unknown well-formed tokens get 401 invalid-credentials', async () => {
    const cases = [
      ['GET', '/v1/me', h.fakeToken('acc_')],
      ['POST', '/v1/access-tokens', h.fakeToken('aut_')],
      ['POST', '/v1/accounts', h.fakeToken('svc_')],
    ];
    for (const [method, path, token] of cases) {
      const r = await h.api(server, method, path, { token });
      h.assertProblem(r, 401, 'invalid-credentials', `${method} ${path} with an unknown ${token.slice(0, 4)} token`);
    }
  });

  it('a missing Authorization header gets 401 missing-credentials with WWW-Authenticate', async () => {
    for (const [method, path] of [['GET', '/v1/me'], ['POST', '/v1/accounts'], ['POST', '/v1/access-tokens'],
      ['DELETE', '/v1/access-tokens/current'], ['GET', '/v1/accounts/0b7f6a52-3c1e-4d8a-9f21-5e6d7c8b9a01']]) {
      const r = await h.api(server, method, path);
      h.assertProblem(r, 401, 'missing-credentials', `${method} ${path} without credentials`);
      assert.match(r.headers.get('www-authenticate') || '', /^Bearer\b/, `${method} ${path}: WWW-Authenticate`);
    }
  });

  it('malformed Authorization headers get 401 malformed-credentials', async () => {
    const body43 = h.fakeToken('').slice(0, 43);
    const cases = [
      'Basic dXNlcjpwYXNz',
      'Basic x',
      'Bearer',
      'Bearer acc_short',
      `Bearer xyz_${body43}`,
      `Bearer ${body43}`,
      `Bearer  acc_${body43}`,
      `Bearer acc_${body43}x`,
      `Bearer acc_${body43.slice(0, 42)}`,
      `Bearer acc_${body43.slice(0, 40)}+/=`,
      `Bearer acc_${body43.slice(0, 42)}.`,
      `Bearer acc_${body43} extra`,
      `Token acc_${body43}`,
      `Bearer ACC_${body43}`,
    ];
    for (const value of cases) {
      const r = await h.api(server, 'GET', '/v1/me', { headers: { Authorization: value } });
      h.assertProblem(r, 401, 'malformed-credentials', `Authorization: ${h.redact(value)}`);
    }
  });

  it('the database holds only hashes of tokens, and the log none of them', async () => {
    const name = h.randomName('tok-hash-svc');
    const key = h.createService(name);
    const acct = await h.newAccount(server, key);
    const aut = await h.claim(server, acct.id);
    const acc = await h.accessToken(server, aut);
    const secrets = { 'service key': key, 'authorization token': aut, 'access token': acc };

    // Every base table outside the system schemas, each row as text (bytea shows as hex).
    const tables = h.superSql(`SELECT format('%I.%I', table_schema, table_name)
      FROM information_schema.tables
      WHERE table_type = 'BASE TABLE'
        AND table_schema NOT IN ('pg_catalog', 'information_schema')
        AND table_schema NOT LIKE 'pg_toast%'
      ORDER BY 1`).split('\n').filter((t) => t !== '');
    assert.ok(tables.includes('decision.services') && tables.includes('decision.accounts')
      && tables.includes('decision.access_tokens'), `tables found: ${tables.join(', ')}`);
    // Every row as text, searched in the database (a dump of every row, documents
    // included, is too large to fetch): how many rows hold each needle.
    const rows = tables.map((t) => `SELECT ${h.lit(t)} || ': ' || x::text AS line FROM ${t} x`).join(' UNION ALL ');
    const holding = (needles) => h.superSql(`WITH r AS (${rows}) SELECT ${needles.map(([n, hex]) => (hex
      ? `count(*) FILTER (WHERE strpos(lower(line), ${h.lit(n)}) > 0)`
      : `count(*) FILTER (WHERE strpos(line, ${h.lit(n)}) > 0)`)).join(', ')} FROM r`).split('|').map(Number);
    assert.ok(holding([['decision.services', false]])[0] > 0, 'the scan read nothing');

    for (const [what, token] of Object.entries(secrets)) {
      const body = token.slice(4);
      const raw = Buffer.from(body, 'base64url');
      const needles = {
        'the token': token,
        'its base64url body': body,
        'the token as hex bytes': Buffer.from(token, 'utf8').toString('hex'),
        'its raw 32 bytes as hex': raw.toString('hex'),
        'its raw bytes as base64': raw.toString('base64').replace(/=+$/, ''),
      };
      const forms = Object.entries(needles);
      const found = holding([...forms.map(([, n]) => [n, /^[0-9a-f]+$/.test(n)]),
        [`\\x${h.sha256hex(token)}`, true]]);
      forms.forEach(([form], i) => assert.equal(found[i], 0, `the database holds ${what}: ${form}`));
      assert.ok(found[forms.length] > 0, `the database lacks the SHA-256 of the ${what}`);
    }
    // And where the hashes belong.
    assert.equal(h.superSql(`SELECT count(*) FROM decision.services WHERE name = ${h.lit(name)}
      AND key_hash = decode('${h.sha256hex(key)}', 'hex')`), '1');
    assert.equal(h.superSql(`SELECT count(*) FROM decision.accounts WHERE id = '${acct.id}'
      AND authorization_token_hash = decode('${h.sha256hex(aut)}', 'hex') AND claimed_at IS NOT NULL`), '1');
    assert.equal(h.superSql(`SELECT count(*) FROM decision.access_tokens WHERE account_id = '${acct.id}'
      AND token_hash = decode('${h.sha256hex(acc)}', 'hex')`), '1');

    // Use each once more so they pass through the log paths of authenticated requests.
    await h.api(server, 'GET', '/v1/me', { token: acc });
    await h.api(server, 'GET', `/v1/accounts/${acct.id}`, { token: key });
    await h.api(server, 'POST', '/v1/access-tokens', { token: aut });
    await h.api(server, 'DELETE', '/v1/access-tokens/current', { token: acc });
    const log = server.logs.join('\n');
    assert.ok(server.logs.length > 0, 'no log lines were captured');
    for (const [what, token] of Object.entries(secrets)) {
      assert.ok(!log.includes(token.slice(4)), `the server log contains the ${what}`);
    }
  });
});
