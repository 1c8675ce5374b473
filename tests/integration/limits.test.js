'use strict';
// Abuse limits: per-token, per-account, per-service and per-client-address request rates
// (429 with Retry-After, nobody else slowed down, the bucket refills, a refused request
// changes nothing), X-Forwarded-For believed only from trusted proxies, at most
// max_access_tokens live access tokens per account (also under concurrent issuance on two
// instances), and the request deadline that cuts off a client trickling its request a
// byte at a time. Traffic goes to loopback addresses only (127.0.0.2 and on play other
// clients).

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const net = require('node:net');
const { holdTransaction } = require('./lib/psql');
const h = require('./lib/harness');
const D = require('./lib/decisions');

const servers = [];
after(() => Promise.all(servers.map((s) => s.stop())));

async function start(env) {
  const s = await h.startServer(env);
  servers.push(s);
  return s;
}

async function metric(server, line) {
  const text = (await h.api(server, 'GET', '/metrics')).text;
  const l = text.split('\n').find((x) => x.startsWith(`${line} `));
  return l ? Number(l.split(' ').pop()) : NaN;
}

// n requests at once; resolves with their statuses, the first 429, and how many requests
// the bucket may have refilled meanwhile at rate a second (rounded up, plus one).
async function burst(n, call, rate) {
  const t0 = Date.now();
  const rs = await Promise.all(Array.from({ length: n }, call));
  const refill = Math.ceil(((Date.now() - t0) / 1000) * rate) + 1;
  return { statuses: rs.map((r) => r.status), limited: rs.find((r) => r.status === 429), refill };
}

describe('rate limits', () => {
  it('an access token over its limit gets 429 with Retry-After; other tokens do not; it refills', async () => {
    const server = await start({ FREECOOP_RATE_LIMIT_TOKEN: '4', FREECOOP_RATE_LIMIT_TOKEN_BURST: '8' });
    const svc = h.createService(h.randomName('limits'));
    const [greedy, other] = [await D.person(server, svc), await D.person(server, svc)];
    const before = await metric(server, 'freecoop_http_rate_limited_total{limit="token"}');

    const b = await burst(20, () => h.api(server, 'GET', '/v1/me', { token: greedy.token }), 4);
    const ok = b.statuses.filter((s) => s === 200).length;
    assert.ok(ok >= 8 && ok <= 8 + b.refill, `the burst allowance (8, plus what refilled) was served: ${b.statuses}`);
    assert.deepEqual(b.statuses.filter((s) => s !== 200 && s !== 429), [], 'only 200 or 429');
    h.assertProblem(b.limited, 429, 'rate-limited', 'over the token limit');
    assert.match(b.limited.json.detail, /access token/);
    assert.equal(b.limited.headers.get('retry-after'), '1');
    assert.equal(await metric(server, 'freecoop_http_rate_limited_total{limit="token"}'),
      before + (20 - ok), 'each refusal is counted');

    // Another token of the same service is not held back.
    assert.equal((await h.api(server, 'GET', '/v1/me', { token: other.token })).status, 200);
    // After Retry-After, the greedy token works again.
    await h.sleep(1000);
    assert.equal((await h.api(server, 'GET', '/v1/me', { token: greedy.token })).status, 200);
  });

  it('a service over its limit gets 429 on its key and its accounts\' tokens; other services do not', async () => {
    const server = await start({ FREECOOP_RATE_LIMIT_SERVICE: '2', FREECOOP_RATE_LIMIT_SERVICE_BURST: '30' });
    const busyName = h.randomName('busy');
    const [busy, calm] = [h.createService(busyName), h.createService(h.randomName('calm'))];
    // 3 requests: 1 with the key, the claim (public), 1 with the authorization token
    const p = await D.person(server, busy);
    const b = await burst(40, () => h.api(server, 'POST', '/v1/accounts', { token: busy }), 2);
    const created = b.statuses.filter((s) => s === 201).length;
    // 30, less the 2 requests of D.person (which may have refilled), plus what refilled
    assert.ok(created >= 28 && created <= 30 + b.refill, `the burst allowance was created: ${b.statuses}`);
    h.assertProblem(b.limited, 429, 'rate-limited', 'over the service limit');
    assert.match(b.limited.json.detail, /service/);
    assert.match(b.limited.headers.get('retry-after'), /^[1-9]\d*$/);

    // The service's accounts share its bucket; another service has its own.
    h.assertProblem(await h.api(server, 'GET', '/v1/me', { token: p.token }), 429, 'rate-limited',
      'an account of the limited service');
    assert.equal((await h.api(server, 'POST', '/v1/accounts', { token: calm })).status, 201);

    // Nothing refused was stored: the service has exactly the accounts it got 201 for.
    const n = h.operatorSql(`SELECT accounts FROM admin.services WHERE name = ${h.lit(busyName)}`);
    assert.equal(Number(n), created + 1);
  });
});

// The access tokens of account id stored now, as the database superuser sees them.
// A token works unless expired, revoked, or pushed out by max_access_tokens newer ones
// (numbered below its account's access_tokens_live_from, migration 0016).
const LIVE = `t.revoked_at IS NULL AND t.expires_at > now() AND t.number >= (SELECT
  a.access_tokens_live_from FROM decision.accounts a WHERE a.id = t.account_id)`;

function storedTokens(id) {
  const rows = h.superSql(`SELECT count(*), count(*) FILTER (WHERE ${LIVE})
    FROM decision.access_tokens t WHERE account_id = ${h.lit(id)}`).split('|');
  return { all: Number(rows[0]), live: Number(rows[1]) };
}

const count = (statuses, s) => statuses.filter((x) => x === s).length;

describe('account and authorization-token limits', () => {
  it('many access tokens of one account together hit the account limit; its authorization token too; another account does not', async () => {
    const server = await start({ FREECOOP_RATE_LIMIT_TOKEN: '100', FREECOOP_RATE_LIMIT_TOKEN_BURST: '100',
      FREECOOP_RATE_LIMIT_ACCOUNT: '1', FREECOOP_RATE_LIMIT_ACCOUNT_BURST: '20' });
    const svc = h.createService(h.randomName('acct-limit'));
    const acct = await h.newAccount(server, svc);
    const aut = await h.claim(server, acct.id);
    const t0 = Date.now();
    const tokens = [];
    for (let i = 0; i < 5; i++) tokens.push(await h.accessToken(server, aut)); // 5 of the 20
    const other = await D.person(server, svc);
    const before = await metric(server, 'freecoop_http_rate_limited_total{limit="account"}');

    // 25 requests, 5 on each token: each token is far under its own limit (100).
    const b = await burst(25, (_, i) => h.api(server, 'GET', '/v1/me', { token: tokens[i % 5] }), 1);
    // The authorization token is the account's too: no new token while it is held back.
    const issue = await h.api(server, 'POST', '/v1/access-tokens', { token: aut });
    const ok = count(b.statuses, 200);
    const refilled = Math.ceil((Date.now() - t0) / 1000) + 1;
    assert.ok(ok >= 15 && ok <= 15 + refilled, `the account's burst (20, less 5 issued) was served: ${b.statuses}`);
    assert.equal(ok + count(b.statuses, 429), 25, `only 200 or 429: ${b.statuses}`);
    h.assertProblem(b.limited, 429, 'rate-limited', 'over the account limit');
    assert.match(b.limited.json.detail, /account/);
    assert.match(b.limited.headers.get('retry-after'), /^[1-9]\d*$/);
    h.assertProblem(issue, 429, 'rate-limited', 'issuing while the account is limited');
    assert.equal(storedTokens(acct.id).all, 5, 'the refused issuance stored nothing');
    assert.equal(await metric(server, 'freecoop_http_rate_limited_total{limit="account"}'), before + (25 - ok) + 1,
      'each refusal is counted');
    // Another account of the same service is not held back.
    assert.equal((await h.api(server, 'GET', '/v1/me', { token: other.token })).status, 200);
  });

  it('an authorization token over its limit gets 429 and issues nothing', async () => {
    const server = await start({ FREECOOP_RATE_LIMIT_TOKEN: '2', FREECOOP_RATE_LIMIT_TOKEN_BURST: '5' });
    const svc = h.createService(h.randomName('aut-limit'));
    const acct = await h.newAccount(server, svc);
    const aut = await h.claim(server, acct.id);

    const b = await burst(12, () => h.api(server, 'POST', '/v1/access-tokens', { token: aut }), 2);
    const issued = count(b.statuses, 201);
    assert.ok(issued >= 5 && issued <= 5 + b.refill, `the burst allowance (5) was issued: ${b.statuses}`);
    assert.equal(issued + count(b.statuses, 429), 12, `only 201 or 429: ${b.statuses}`);
    h.assertProblem(b.limited, 429, 'rate-limited', 'an authorization token over its limit');
    assert.match(b.limited.json.detail, /authorization token/);
    assert.equal(storedTokens(acct.id).all, issued, 'exactly the answered 201s were stored');
  });

  it('requests with an authorization token count against its service', async () => {
    const server = await start({ FREECOOP_RATE_LIMIT_SERVICE: '1', FREECOOP_RATE_LIMIT_SERVICE_BURST: '12' });
    const svc = h.createService(h.randomName('aut-svc'));
    const acct = await h.newAccount(server, svc); // 1 of the service's 12
    const aut = await h.claim(server, acct.id); // public: not the service's

    const b = await burst(20, () => h.api(server, 'POST', '/v1/access-tokens', { token: aut }), 1);
    const key = await h.api(server, 'POST', '/v1/accounts', { token: svc });
    const issued = count(b.statuses, 201);
    assert.ok(issued >= 11 && issued <= 12 + b.refill, `the service's burst was issued: ${b.statuses}`);
    h.assertProblem(b.limited, 429, 'rate-limited', 'the service is over its limit');
    assert.match(b.limited.json.detail, /service/);
    assert.equal(storedTokens(acct.id).all, issued, 'the refused ones issued nothing');
    // The authorization token drained the service's bucket: its key is held back now.
    h.assertProblem(key, 429, 'rate-limited', 'the service key after its account\'s authorization token used up the burst');
  });
});

describe('live access tokens per account', () => {
  it('the 21st live access token revokes the oldest: it answers 401 token-revoked, the other 20 work', async () => {
    const server = await start(); // max_access_tokens defaults to 20
    const svc = h.createService(h.randomName('cap'));
    const acct = await h.newAccount(server, svc);
    const aut = await h.claim(server, acct.id);
    const tokens = [];
    for (let i = 0; i < 21; i++) tokens.push(await h.accessToken(server, aut));

    h.assertProblem(await h.api(server, 'GET', '/v1/me', { token: tokens[0] }), 401, 'token-revoked',
      'the oldest token once a 21st was issued');
    for (const t of tokens.slice(1)) {
      const me = await h.api(server, 'GET', '/v1/me', { token: t });
      assert.equal(me.status, 200, me.text);
    }
    assert.deepEqual(storedTokens(acct.id), { all: 21, live: 20 });
  });

  it('30 concurrent issuances on two instances leave exactly 20 live tokens, the 20 newest', async () => {
    const [a, b] = [await start(), await start()];
    const svc = h.createService(h.randomName('cap-race'));
    const acct = await h.newAccount(a, svc);
    const aut = await h.claim(a, acct.id);

    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      h.api(i % 2 ? a : b, 'POST', '/v1/access-tokens', { token: aut })));
    assert.deepEqual(rs.map((r) => r.status), Array(30).fill(201), 'every issuance succeeded');
    assert.deepEqual(storedTokens(acct.id), { all: 30, live: 20 }, 'as the database superuser counts');

    // Exactly 20 of the tokens handed out work, and none is older than a revoked one.
    const me = await Promise.all(rs.map((r, i) =>
      h.api(i % 2 ? b : a, 'GET', '/v1/me', { token: r.json.access_token })));
    assert.equal(count(me.map((r) => r.status), 200), 20);
    for (const r of me.filter((x) => x.status !== 200)) h.assertProblem(r, 401, 'token-revoked');
    assert.equal(h.superSql(`SELECT max(number) FILTER (WHERE NOT (${LIVE}))
      < min(number) FILTER (WHERE ${LIVE}) FROM decision.access_tokens t
      WHERE account_id = ${h.lit(acct.id)}`), 't', 'no revoked token is newer than a live one');
    assert.equal(h.superSql(`SELECT count(DISTINCT number) = 30 AND min(number) = 1 AND max(number) = 30
      FROM decision.access_tokens WHERE account_id = ${h.lit(acct.id)}`), 't', 'numbered 1 to 30, once each');
  });

  it('two instances issuing at once for an account at its limit leave exactly 20 live tokens', async () => {
    const [a, b] = [await start(), await start()];
    const svc = h.createService(h.randomName('cap-cross'));
    const acct = await h.newAccount(a, svc);
    const aut = await h.claim(a, acct.id);
    const first = [];
    for (let i = 0; i < 20; i++) first.push(await h.accessToken(a, aut));
    // The two oldest are in use on both instances (each keeps them in memory).
    for (const s of [a, b]) {
      for (const t of first.slice(0, 2)) assert.equal((await h.api(s, 'GET', '/v1/me', { token: t })).status, 200);
    }

    // Both statements take their snapshot, then wait for the row: whichever goes second
    // must not trust what its snapshot says about the account's tokens (it cannot see the
    // token the first issued, so it cannot name every token it pushes out).
    const lock = await lockAccountRow(acct.id);
    const issuing = [a, b].map((s) => h.api(s, 'POST', '/v1/access-tokens', { token: aut }));
    const deadline = Date.now() + 10000;
    const waiting = () => Number(h.superSql(`SELECT count(*) FROM pg_stat_activity
      WHERE usename = 'freecoop_server' AND wait_event_type = 'Lock'`));
    while (waiting() < 2 && Date.now() < deadline) await h.sleep(20);
    assert.equal(waiting(), 2, 'both issuances wait for the account\'s row');
    await lock.release();
    const rs = await Promise.all(issuing);
    assert.deepEqual(rs.map((r) => r.status), [201, 201], rs.map((r) => r.text).join('\n'));
    assert.deepEqual(storedTokens(acct.id), { all: 22, live: 20 });
    // Refused everywhere: at once by the instance that pushed it out, by the other as soon
    // as its notification arrives.
    const deadline2 = Date.now() + 2000;
    for (const s of [a, b]) {
      for (const t of first.slice(0, 2)) {
        let r = await h.api(s, 'GET', '/v1/me', { token: t });
        while (r.status === 200 && Date.now() < deadline2) {
          await h.sleep(10);
          r = await h.api(s, 'GET', '/v1/me', { token: t });
        }
        h.assertProblem(r, 401, 'token-revoked', 'one of the two oldest');
      }
    }
    for (const t of [...first.slice(2), ...rs.map((r) => r.json.access_token)]) {
      assert.equal((await h.api(b, 'GET', '/v1/me', { token: t })).status, 200);
    }
  });
});

// Holds the account's row lock in a superuser session, as an issuing statement of another
// instance would, until release() commits. Resolves {pid, release} once it is held.
// (The suites run one at a time: the only server sessions waiting for a lock meanwhile
// are the test's.)
function lockAccountRow(id) {
  return holdTransaction(h.env('FREECOOP_TEST_CONNINFO_SUPER'),
    `SELECT 1 FROM decision.accounts WHERE id = ${h.lit(id)} FOR NO KEY UPDATE`);
}

// A claim of a random (unknown) id from a loopback address: 404 unless limited.
function claimFrom(server, from, headers = {}) {
  return h.api(server, 'POST', `/v1/accounts/${crypto.randomUUID()}/authorization-token`, { from, headers });
}

describe('client address limits', () => {
  it('claims and method submissions from one address get 429 past its limit; other addresses do not', async () => {
    const server = await start({ FREECOOP_RATE_LIMIT_ADDRESS: '1', FREECOOP_RATE_LIMIT_ADDRESS_BURST: '4' });
    const svc = h.createService(h.randomName('addr'));
    const acct = await h.newAccount(server, svc);
    const auditor = D.newAuditor('addr-auditor');
    const code = 'def count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n    return b""\n';
    const forged = D.sign(auditor, `${code}# not this code\n`);
    const before = await metric(server, 'freecoop_http_rate_limited_total{limit="address"}');

    const submit = (from) => h.api(server, 'POST', '/v1/voting-methods',
      { from, body: { name: 'x', code, auditor: auditor.id, signature: forged } });

    const b = await burst(10, () => claimFrom(server, '127.0.0.2'), 1);
    // At once, while the bucket is empty: a real claim, and a method submission (a
    // signature check), which shares the address's bucket.
    const [real, sub] = await Promise.all([
      h.api(server, 'POST', `/v1/accounts/${acct.id}/authorization-token`, { from: '127.0.0.2' }),
      submit('127.0.0.2')]);
    assert.ok(count(b.statuses, 404) >= 4 && count(b.statuses, 404) <= 4 + b.refill, `the burst (4) was served: ${b.statuses}`);
    assert.equal(count(b.statuses, 404) + count(b.statuses, 429), 10, `only 404 or 429: ${b.statuses}`);
    h.assertProblem(b.limited, 429, 'rate-limited', 'claims over the address limit');
    assert.match(b.limited.json.detail, /client address/);
    assert.match(b.limited.headers.get('retry-after'), /^[1-9]\d*$/);
    h.assertProblem(real, 429, 'rate-limited', 'a real claim from the limited address');
    h.assertProblem(sub, 429, 'rate-limited', 'a submission from the limited address');
    // The refused claim claimed nothing: from another address the account is claimed.
    const claimed = await h.api(server, 'POST', `/v1/accounts/${acct.id}/authorization-token`, { from: '127.0.0.3' });
    assert.equal(claimed.status, 201, claimed.text);
    // Method submissions are limited on their own too, from a fresh address.
    const m = await burst(8, () => submit('127.0.0.4'), 1);
    assert.ok(count(m.statuses, 422) >= 4 && count(m.statuses, 422) <= 4 + m.refill, `the burst was checked: ${m.statuses}`);
    h.assertProblem(m.limited, 429, 'rate-limited', 'submissions over the address limit');
    assert.equal(await metric(server, 'freecoop_http_rate_limited_total{limit="address"}'),
      before + count(b.statuses, 429) + 2 + count(m.statuses, 429), 'each refusal is counted');
    // Requests with a token are not counted by address.
    assert.equal((await h.api(server, 'POST', '/v1/accounts', { token: svc, from: '127.0.0.2' })).status, 201);
  });

  it('X-Forwarded-For names the client only when the peer is a trusted proxy', async () => {
    const server = await start({ FREECOOP_RATE_LIMIT_ADDRESS: '1', FREECOOP_RATE_LIMIT_ADDRESS_BURST: '3',
      FREECOOP_TRUSTED_PROXIES: '127.0.0.6, 10.0.0.0/8' });
    const viaProxy = (xff) => claimFrom(server, '127.0.0.6', { 'X-Forwarded-For': xff });

    // Through the trusted proxy: one client, whatever it prepends itself; and the
    // proxies named after it (10.0.0.0/8) are skipped.
    const b = await burst(10, (_, i) => viaProxy(['198.51.100.1', '203.0.113.9, 198.51.100.1',
      '198.51.100.1, 10.1.2.3'][i % 3]), 1);
    assert.ok(count(b.statuses, 404) >= 3 && count(b.statuses, 404) <= 3 + b.refill, `one client's burst: ${b.statuses}`);
    h.assertProblem(b.limited, 429, 'rate-limited', 'a client behind the trusted proxy');
    // Another client behind the same proxy has its own bucket; so has the proxy itself.
    assert.equal((await viaProxy('198.51.100.2')).status, 404);
    assert.equal((await viaProxy('198.51.100.2, 10.9.9.9')).status, 404);
    assert.equal((await claimFrom(server, '127.0.0.6')).status, 404);

    // An untrusted peer's X-Forwarded-For is ignored: every request counts as the peer's.
    const u = await burst(8, (_, i) => claimFrom(server, '127.0.0.7', { 'X-Forwarded-For': `198.51.100.${10 + i}` }), 1);
    assert.ok(count(u.statuses, 404) >= 3 && count(u.statuses, 404) <= 3 + u.refill, `the peer's burst: ${u.statuses}`);
    h.assertProblem(u.limited, 429, 'rate-limited', 'an untrusted peer naming other clients');
  });
});

// Opens a raw connection; resolves {sock, closed} where closed resolves with the time the
// server closed it.
function connect(server) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1', () => {
      const closed = new Promise((res) => sock.on('close', () => res(Date.now())));
      resolve({ sock, closed });
    });
    sock.on('error', reject);
    sock.setNoDelay(true);
  });
}

// Writes text one byte every ms milliseconds until the socket closes or text ends.
async function trickle(sock, text, ms) {
  for (const ch of text) {
    if (sock.destroyed || sock.writableEnded) return false;
    sock.write(ch);
    await h.sleep(ms);
  }
  return true;
}

describe('request deadline', () => {
  it('a client trickling its headers is cut off at request_timeout; others are served meanwhile', async () => {
    const server = await start({ FREECOOP_REQUEST_TIMEOUT: '2', FREECOOP_CONNECTION_TIMEOUT: '30' });
    const before = await metric(server, 'freecoop_http_connections_cut_off_total');
    const { sock, closed } = await connect(server);
    sock.on('error', () => {});
    const t0 = Date.now();
    const headers = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`;
    const trickling = trickle(sock, headers, 100); // 20 s at this pace
    await h.sleep(500);
    assert.equal((await h.api(server, 'GET', '/healthz')).status, 200, 'others are served meanwhile');
    const at = await Promise.race([closed, h.sleep(8000).then(() => null)]);
    sock.destroy();
    assert.ok(at !== null, 'the trickling connection was never closed');
    assert.ok(at - t0 >= 1800 && at - t0 < 4500, `closed after ${at - t0} ms, request_timeout is 2 s`);
    assert.equal(await trickling, false, 'cut off before its headers were complete');
    // (idle keep-alive connections of this test's other requests may be cut off too)
    assert.ok(await metric(server, 'freecoop_http_connections_cut_off_total') >= before + 1, 'counted');
  });

  it('a body trickled past the deadline is cut off; a slow request within it is answered', async () => {
    const server = await start({ FREECOOP_REQUEST_TIMEOUT: '2' });
    const svc = h.createService(h.randomName('slowbody'));
    const body = JSON.stringify({ name: 'slow but in time' });
    const head = `POST /v1/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${svc}\r\n`
      + `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;

    // Within the deadline: 1.2 s of trickling, then the answer.
    const fine = await connect(server);
    let answer = '';
    fine.sock.on('data', (d) => { answer += d; });
    fine.sock.write(head);
    await trickle(fine.sock, body, Math.floor(1200 / body.length));
    await fine.closed;
    assert.match(answer, /^HTTP\/1\.1 201 /, answer.slice(0, 200));

    // Past it: the headers at once, the body at 5 bytes a second.
    const slow = await connect(server);
    slow.sock.on('error', () => {});
    let got = '';
    slow.sock.on('data', (d) => { got += d; });
    const t0 = Date.now();
    slow.sock.write(head.replace('slow but in time', 'x'));
    const complete = await trickle(slow.sock, body, 200);
    const at = await Promise.race([slow.closed, h.sleep(5000).then(() => null)]);
    slow.sock.destroy();
    assert.equal(complete, false, 'cut off before the body was complete');
    assert.ok(at !== null && at - t0 < 4500, 'closed at the deadline');
    assert.equal(got, '', 'nothing was answered, nothing created');
  });

  it('an idle keep-alive connection is closed at the deadline too, after its answers', async () => {
    const server = await start({ FREECOOP_REQUEST_TIMEOUT: '1' });
    const { sock, closed } = await connect(server);
    let got = '';
    sock.on('data', (d) => { got += d; });
    for (let i = 0; i < 3; i++) { // three requests, each within its own deadline
      sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await h.sleep(700);
    }
    const t0 = Date.now();
    const at = await Promise.race([closed, h.sleep(4000).then(() => null)]);
    sock.destroy();
    assert.equal(got.match(/HTTP\/1\.1 200 /g).length, 3, 'each request on the connection was answered');
    assert.ok(at !== null && at - t0 < 2000, 'the idle connection was closed');
  });
});
