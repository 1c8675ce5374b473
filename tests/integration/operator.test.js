'use strict';
// The operator interface (sql/0002_admin.sql) and the privileges behind it
// (sql/0001_foundation.sql), exercised through psql as the operator login and
// checked as the superuser. Needs a database migrated to at least 0002:
//   FREECOOP_TEST_CONNINFO_OPERATOR  e.g. "host=/tmp/pg dbname=freecoop user=freecoop_operator"
//   FREECOOP_TEST_CONNINFO_SUPER     e.g. "host=/tmp/pg dbname=freecoop user=postgres"
// Names carry a random suffix, so the suite can run repeatedly on one database.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { psql, psqlRows } = require('./lib/psql');

const OP = process.env.FREECOOP_TEST_CONNINFO_OPERATOR;
const SUPER = process.env.FREECOOP_TEST_CONNINFO_SUPER;
if (!OP || !SUPER) {
  throw new Error('FREECOOP_TEST_CONNINFO_OPERATOR and FREECOOP_TEST_CONNINFO_SUPER must be set '
    + '(libpq conninfo strings for freecoop_operator and for the superuser)');
}

const RUN = crypto.randomBytes(4).toString('hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const B64URL_KEY = /^svc_[A-Za-z0-9_-]{43}$/;

// SQL literal: the tests build SQL from their own values only.
function lit(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

function uniq(name) {
  return `${name}-${RUN}`;
}

function one(conninfo, sql) {
  return psql(conninfo, sql).stdout;
}

// Runs sql expecting failure; returns psql's stderr.
function fails(conninfo, sql) {
  const r = psql(conninfo, sql, { allowError: true });
  assert.notEqual(r.status, 0, `expected an error from: ${sql}`);
  return r.stderr;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'freecoop-operator-test-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function openssl(args) {
  const r = spawnSync('openssl', args, { encoding: 'buffer' });
  if (r.error) throw new Error(`could not run openssl: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

// A fresh key pair: {pem (public, SPKI), der (SPKI bytes), privPem}.
function newKey(algorithm, opts = []) {
  const priv = path.join(tmp, `${crypto.randomBytes(6).toString('hex')}.pem`);
  openssl(['genpkey', '-algorithm', algorithm, ...opts, '-out', priv]);
  const pem = openssl(['pkey', '-in', priv, '-pubout']).toString('utf8');
  const der = openssl(['pkey', '-in', priv, '-pubout', '-outform', 'DER']);
  return { pem, der, privPem: fs.readFileSync(priv, 'utf8') };
}

function serviceRow(name) {
  const rows = psqlRows(OP, `SELECT id, name, disabled_at IS NOT NULL, accounts
                               FROM admin.services WHERE name = ${lit(name)}`);
  assert.equal(rows.length, 1, `admin.services should show ${name}`);
  const [id, n, disabled, accounts] = rows[0];
  return { id, name: n, disabled: disabled === 't', accounts: Number(accounts) };
}

function authorityRow(id) {
  const rows = psqlRows(OP, `SELECT name, public_key, decision_authority, code_auditor,
                                    revoked_at IS NOT NULL
                               FROM admin.authorities WHERE id = ${lit(id)}`);
  assert.equal(rows.length, 1, `admin.authorities should show ${id}`);
  const [name, publicKey, da, ca, revoked] = rows[0];
  return { name, publicKey, da: da === 't', ca: ca === 't', revoked: revoked === 't' };
}

function storedPublicKeyHex(id) {
  return one(SUPER, `SELECT encode(public_key, 'hex') FROM decision.authorities WHERE id = ${lit(id)}`);
}

test('create_service returns a svc_ key once and stores only its SHA-256', () => {
  const name = uniq('svc-key');
  const key = one(OP, `SELECT admin.create_service(${lit(name)})`);
  assert.match(key, B64URL_KEY);

  const expected = crypto.createHash('sha256').update(key, 'utf8').digest('hex');
  assert.equal(one(SUPER, `SELECT encode(key_hash, 'hex') FROM decision.services WHERE name = ${lit(name)}`),
    expected);
  // Neither the key nor its random part appears in any column of any row.
  for (const needle of [key, key.slice(4)]) {
    assert.equal(one(SUPER, `SELECT count(*) FROM decision.services s
                              WHERE strpos(row_to_json(s)::text, ${lit(needle)}) > 0
                                 OR strpos(encode(s.key_hash, 'escape'), ${lit(needle)}) > 0`), '0');
  }
  assert.notEqual(one(OP, `SELECT admin.create_service(${lit(uniq('svc-key2'))})`), key);
});

test('create_service rejects a duplicate or invalid name', () => {
  const name = uniq('svc-dup');
  one(OP, `SELECT admin.create_service(${lit(name)})`);
  assert.match(fails(OP, `SELECT admin.create_service(${lit(name)})`),
    new RegExp(`service "${name}" already exists`));
  assert.match(fails(OP, "SELECT admin.create_service('')"), /invalid service name/);
  assert.match(fails(OP, `SELECT admin.create_service(${lit('x'.repeat(201))})`), /invalid service name/);
  assert.match(fails(OP, 'SELECT admin.create_service(NULL)'), /must not be null/);
  assert.equal(one(OP, `SELECT admin.create_service(${lit(uniq('y'.repeat(180)))}) IS NOT NULL`), 't');
});

test('disable_service and enable_service work by name and by id', () => {
  const name = uniq('svc-toggle');
  one(OP, `SELECT admin.create_service(${lit(name)})`);
  const { id, disabled } = serviceRow(name);
  assert.equal(disabled, false);

  one(OP, `SELECT admin.disable_service(${lit(name)})`);
  assert.equal(serviceRow(name).disabled, true);
  one(OP, `SELECT admin.enable_service(${lit(id)})`);
  assert.equal(serviceRow(name).disabled, false);
  one(OP, `SELECT admin.disable_service(${lit(id.toUpperCase())})`);
  assert.equal(serviceRow(name).disabled, true);
  // Disabling again keeps the first timestamp.
  const before = one(OP, `SELECT disabled_at FROM admin.services WHERE id = ${lit(id)}`);
  one(OP, `SELECT admin.disable_service(${lit(name)})`);
  assert.equal(one(OP, `SELECT disabled_at FROM admin.services WHERE id = ${lit(id)}`), before);
  one(OP, `SELECT admin.enable_service(${lit(name)})`);
  assert.equal(serviceRow(name).disabled, false);

  assert.match(fails(OP, `SELECT admin.disable_service(${lit(uniq('no-such'))})`),
    new RegExp(`service "${uniq('no-such')}" does not exist`));
  assert.match(fails(OP, `SELECT admin.enable_service(${lit(crypto.randomUUID())})`), /does not exist/);
});

test('add_authority accepts a PEM from openssl and keeps the raw 32 bytes', () => {
  const k = newKey('ed25519');
  assert.ok(k.pem.startsWith('-----BEGIN PUBLIC KEY-----'));
  assert.equal(k.der.length, 44);
  assert.deepEqual(k.der.subarray(0, 12), SPKI_ED25519_PREFIX);
  const raw = k.der.subarray(12);

  const name = uniq('auth-pem');
  const id = one(OP, `SELECT admin.add_authority(${lit(name)}, ${lit(k.pem)}, true, false)`);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(storedPublicKeyHex(id), raw.toString('hex'));
  assert.deepEqual(authorityRow(id),
    { name, publicKey: raw.toString('base64url'), da: true, ca: false, revoked: false });

  // The same key again, under another name, is refused.
  assert.match(fails(OP, `SELECT admin.add_authority(${lit(uniq('auth-pem-again'))}, ${lit(k.pem)}, true, false)`),
    new RegExp(`already registered as authority "${name}"`));
  assert.match(fails(OP, `SELECT admin.add_authority(${lit(name)}, ${lit(newKey('ed25519').pem)}, true, false)`),
    new RegExp(`authority "${name}" already exists`));
});

test('add_authority accepts base64url and base64 of the raw key', () => {
  const k1 = newKey('ed25519');
  const raw1 = k1.der.subarray(12);
  const id1 = one(OP, `SELECT admin.add_authority(${lit(uniq('auth-b64url'))},
                                                   ${lit(raw1.toString('base64url'))}, false, true)`);
  assert.equal(storedPublicKeyHex(id1), raw1.toString('hex'));
  const row = authorityRow(id1);
  assert.equal(row.da, false);
  assert.equal(row.ca, true);

  const k2 = newKey('ed25519');
  const raw2 = k2.der.subarray(12);
  const id2 = one(OP, `SELECT admin.add_authority(${lit(uniq('auth-b64'))},
                                                   ${lit(raw2.toString('base64'))}, true, true)`);
  assert.equal(storedPublicKeyHex(id2), raw2.toString('hex'));
});

test('add_authority rejects garbage, other key types and no ability', () => {
  const name = uniq('auth-bad');
  const add = (key, da = true, ca = false) =>
    fails(OP, `SELECT admin.add_authority(${lit(name)}, ${lit(key)}, ${da}, ${ca})`);

  assert.match(add('not a key at all!'), /neither PEM nor base64/);
  assert.match(add(crypto.randomBytes(31).toString('base64url')), /must be 32 bytes, got 31/);
  assert.match(add(crypto.randomBytes(33).toString('base64url')), /must be 32 bytes, got 33/);

  const rsa = newKey('RSA', ['-pkeyopt', 'rsa_keygen_bits:2048']);
  assert.match(add(rsa.pem), /PEM public key is not an Ed25519 key/);
  const ed448 = newKey('ed448');
  assert.match(add(ed448.pem), /PEM public key is not an Ed25519 key/);
  assert.match(add('-----BEGIN PUBLIC KEY-----\n@@@@\n-----END PUBLIC KEY-----\n'), /malformed PEM public key/);

  // A private key pasted by mistake is refused and not echoed back.
  const ed = newKey('ed25519');
  const err = add(ed.privPem);
  assert.match(err, /PEM block is "PRIVATE KEY", expected "PUBLIC KEY"/);
  const privBody = ed.privPem.split('\n')[1];
  assert.ok(!err.includes(privBody), 'the error message must not contain the private key');

  // DER SPKI without the PEM armour is not silently accepted either.
  assert.match(add(ed.der.toString('base64')), /without PEM armour/);

  assert.match(add(ed.pem, false, false), /at least one ability/);
  assert.equal(one(SUPER, `SELECT count(*) FROM decision.authorities WHERE name = ${lit(name)}`), '0');
});

test('revoke_authority sets revoked_at, by name or by id', () => {
  const a = uniq('auth-revoke-a');
  const idA = one(OP, `SELECT admin.add_authority(${lit(a)}, ${lit(newKey('ed25519').pem)}, true, false)`);
  const idB = one(OP, `SELECT admin.add_authority(${lit(uniq('auth-revoke-b'))},
                                                   ${lit(newKey('ed25519').pem)}, false, true)`);
  one(OP, `SELECT admin.revoke_authority(${lit(a)})`);
  assert.equal(authorityRow(idA).revoked, true);
  assert.equal(authorityRow(idB).revoked, false);
  one(OP, `SELECT admin.revoke_authority(${lit(idB)})`);
  assert.equal(authorityRow(idB).revoked, true);
  assert.match(fails(OP, `SELECT admin.revoke_authority(${lit(uniq('no-such'))})`),
    new RegExp(`authority "${uniq('no-such')}" does not exist`));
});

test('admin.services and admin.accounts count accounts and active tokens', () => {
  const name = uniq('svc-views');
  one(OP, `SELECT admin.create_service(${lit(name)})`);
  const { id: serviceId } = serviceRow(name);
  const accountId = crypto.randomUUID();
  const h = () => `'\\x${crypto.randomBytes(32).toString('hex')}'::bytea`;
  // Four tokens, one active: the first was pushed out by newer ones (numbered below
  // live_from), the third expired, the fourth revoked.
  psql(SUPER, `
    INSERT INTO decision.accounts (id, service_id, name, access_tokens_issued, access_tokens_live_from)
      VALUES (${lit(accountId)}, ${lit(serviceId)}, 'alice', 4, 2);
    INSERT INTO decision.access_tokens (token_hash, account_id, number, expires_at, revoked_at) VALUES
      (${h()}, ${lit(accountId)}, 1, now() + interval '1 hour', NULL),
      (${h()}, ${lit(accountId)}, 2, now() + interval '1 hour', NULL),
      (${h()}, ${lit(accountId)}, 3, now() - interval '1 hour', NULL),
      (${h()}, ${lit(accountId)}, 4, now() + interval '1 hour', now())`);

  assert.equal(serviceRow(name).accounts, 1);
  // An unclaimed account's id is a claim secret: the operator sees its handle (the SHA-256
  // of the id), never the id, anywhere in the view.
  const handle = crypto.createHash('sha256').update(accountId, 'utf8').digest('hex');
  assert.deepEqual(psqlRows(OP, `SELECT id IS NULL, service_id, service_name, name, claimed_at IS NULL,
                                        active_access_tokens
                                   FROM admin.accounts WHERE handle = ${lit(handle)}`),
    [['t', serviceId, name, 'alice', 't', '1']]);
  assert.equal(one(OP, `SELECT count(*) FROM admin.accounts a
                         WHERE strpos(row_to_json(a)::text, ${lit(accountId)}) > 0
                            OR strpos(row_to_json(a)::text, ${lit(accountId.replace(/-/g, ''))}) > 0`), '0',
  'no column of admin.accounts shows the unclaimed id');
  // Once claimed, the id is no secret any more, and the operator may see it.
  psql(SUPER, `UPDATE decision.accounts SET claimed_at = now(),
                      authorization_token_hash = ${h()} WHERE id = ${lit(accountId)}`);
  assert.equal(one(OP, `SELECT id FROM admin.accounts WHERE handle = ${lit(handle)}`), accountId);

  // The views have exactly the documented columns, none of them a hash.
  const cols = psqlRows(OP, `SELECT table_name, string_agg(column_name, ',' ORDER BY ordinal_position)
                               FROM information_schema.columns WHERE table_schema = 'admin'
                              GROUP BY table_name ORDER BY table_name`);
  assert.deepEqual(cols, [
    ['accounts', 'handle,id,service_id,service_name,name,created_at,claimed_at,active_access_tokens'],
    ['authorities', 'id,name,public_key,decision_authority,code_auditor,created_at,revoked_at'],
    ['decisions', 'id,service_id,service_name,title,state,method_id,method_name,proposal_opens_at,'
      + 'proposal_closes_at,voting_opens_at,voting_closes_at,created_at,closed_at,concluded_at,'
      + 'attempts,last_error,conclusion_running,purged_at,voters,voted'],
    ['failed_deliveries', 'event,service,service_name,type,decision,created_at,attempts,last_error,'
      + 'failed_at'],
    ['groups', 'id,name,created_at,charter_version,log_seq,log_head,members'],
    ['people', 'id,name,created_at'],
    ['services', 'id,name,created_at,disabled_at,accounts'],
    ['voting_methods', 'id,name,created_at,code_length,auditors'],
    // a webhook's URL and delivery state, never its sealed secret
    ['webhooks', 'service,service_name,url,created_at,last_success_at,last_failure_at,'
      + 'last_failure,queued,failed'],
  ]);
});

test('the operator cannot read or write schema decision directly', () => {
  for (const sql of [
    'SELECT * FROM decision.access_tokens',
    'SELECT token_hash FROM decision.access_tokens',
    'SELECT key_hash FROM decision.services',
    'SELECT * FROM decision.accounts',
    'SELECT * FROM decision.authorities',
    `INSERT INTO decision.services (name, key_hash) VALUES (${lit(uniq('sneaky'))}, '\\x00')`,
    `INSERT INTO decision.authorities (name, public_key, decision_authority, code_auditor)
       VALUES (${lit(uniq('sneaky'))}, '\\x00', true, true)`,
    "UPDATE admin.authorities SET revoked_at = NULL",
    `INSERT INTO admin.services (name) VALUES (${lit(uniq('sneaky'))})`,
    'DELETE FROM admin.authorities',
  ]) {
    assert.match(fails(OP, sql), /permission denied/, sql);
  }
});

test('the operator cannot call functions it was not granted', () => {
  for (const sql of [
    'SELECT decision.gen_random_bytes(8)',
    "SELECT decision.digest('x', 'sha256')",
    "SELECT pg_catalog.pg_read_file('postgresql.conf')",
  ]) {
    assert.match(fails(OP, sql), /permission denied/, sql);
  }
});

test('PUBLIC cannot execute the admin functions or read the views', () => {
  const role = `freecoop_test_${RUN}`;
  psql(SUPER, `CREATE ROLE ${role} NOLOGIN`);
  try {
    // Even with USAGE on the schema, a role outside decision_operator has nothing. (Only
    // the three roles of pg_hba.conf may log in at all: the superuser takes the role.)
    psql(SUPER, `GRANT USAGE ON SCHEMA admin TO ${role}`);
    const as = (sql) => `SET ROLE ${role}; ${sql}`;
    assert.equal(one(SUPER, as('SELECT current_user')), role);
    for (const sql of [
      `SELECT admin.create_service(${lit(uniq('public'))})`,
      `SELECT admin.disable_service(${lit(uniq('public'))})`,
      `SELECT admin.enable_service(${lit(uniq('public'))})`,
      `SELECT admin.add_authority(${lit(uniq('public'))}, 'x', true, true)`,
      `SELECT admin.revoke_authority(${lit(uniq('public'))})`,
      'SELECT * FROM admin.services',
      'SELECT * FROM admin.accounts',
      'SELECT * FROM admin.authorities',
      'SELECT * FROM decision.services',
    ]) {
      assert.match(fails(SUPER, as(sql)), /permission denied/, sql);
    }
  } finally {
    psql(SUPER, `REVOKE ALL ON SCHEMA admin FROM ${role}; DROP ROLE ${role}`);
  }
  // And the catalog agrees: no admin function is executable by PUBLIC
  // (a NULL acl would mean the default, which includes PUBLIC).
  assert.equal(one(SUPER, `SELECT count(*) FROM pg_proc p
                            WHERE p.pronamespace IN ('admin'::regnamespace, 'decision'::regnamespace)
                              AND (p.proacl IS NULL
                                   OR EXISTS (SELECT FROM aclexplode(p.proacl) a WHERE a.grantee = 0))`), '0');
});

test('freecoop_owner owns everything; freecoop_server has exactly its DML', () => {
  // Objects in decision and admin, other than pgcrypto's, belong to freecoop_owner.
  const strays = psqlRows(SUPER, `
    SELECT c.oid::regclass::text FROM pg_class c
     WHERE c.relnamespace IN ('admin'::regnamespace, 'decision'::regnamespace)
       AND c.relowner <> 'freecoop_owner'::regrole
    UNION ALL
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace IN ('admin'::regnamespace, 'decision'::regnamespace)
       AND p.proowner <> 'freecoop_owner'::regrole
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')`);
  assert.deepEqual(strays, []);
  assert.deepEqual(psqlRows(SUPER, `SELECT n.nspname, pg_get_userbyid(n.nspowner) FROM pg_namespace n
                                     WHERE n.nspname IN ('admin', 'decision') ORDER BY 1`),
    [['admin', 'freecoop_owner'], ['decision', 'freecoop_owner']]);

  const grants = psqlRows(SUPER, `
    SELECT table_schema || '.' || table_name, string_agg(privilege_type, ',' ORDER BY privilege_type)
      FROM information_schema.role_table_grants
     WHERE grantee = 'freecoop_server'
     GROUP BY 1 ORDER BY 1`);
  assert.deepEqual(grants, [
    ['coop.accounts', 'INSERT,SELECT'],
    ['coop.applications', 'INSERT,SELECT,UPDATE'],
    ['coop.charters', 'INSERT,SELECT'],
    ['coop.closed_years', 'INSERT,SELECT'],
    ['coop.comments', 'INSERT,SELECT'],
    ['coop.decisions', 'INSERT,SELECT,UPDATE'],
    ['coop.entries', 'INSERT,SELECT'],
    ['coop.groups', 'INSERT,SELECT,UPDATE'],
    ['coop.log', 'INSERT,SELECT'],
    ['coop.member_roles', 'DELETE,INSERT,SELECT'],
    ['coop.members', 'DELETE,INSERT,SELECT'],
    ['coop.patronage', 'INSERT,SELECT'],
    ['coop.people', 'INSERT,SELECT'],
    ['coop.postings', 'INSERT,SELECT'],
    ['coop.results', 'INSERT,SELECT'],
    ['coop.settings', 'SELECT'],
    ['decision.access_tokens', 'DELETE,INSERT,SELECT,UPDATE'],
    ['decision.accounts', 'INSERT,SELECT,UPDATE'],
    ['decision.authorities', 'INSERT,SELECT,UPDATE'],
    ['decision.ballots', 'DELETE,INSERT,SELECT,UPDATE'],
    ['decision.decisions', 'INSERT,SELECT,UPDATE'],
    ['decision.events', 'DELETE,INSERT,SELECT,UPDATE'],
    ['decision.franchise', 'INSERT,SELECT,UPDATE'],
    ['decision.method_signatures', 'INSERT,SELECT'],
    ['decision.proposals', 'INSERT,SELECT,UPDATE'],
    ['decision.results', 'DELETE,INSERT,SELECT,UPDATE'],
    ['decision.services', 'INSERT,SELECT,UPDATE'],
    ['decision.settings', 'SELECT'],
    ['decision.voting_methods', 'INSERT,SELECT'],
    ['decision.webhooks', 'DELETE,INSERT,SELECT,UPDATE'],
    ['public.schema_migrations', 'SELECT'],
  ]);
  assert.deepEqual(psqlRows(SUPER, `SELECT has_schema_privilege('freecoop_server', 'decision', 'USAGE'),
                                          has_schema_privilege('freecoop_server', 'admin', 'USAGE'),
                                          has_schema_privilege('decision_operator', 'decision', 'USAGE'),
                                          has_schema_privilege('decision_operator', 'admin', 'USAGE'),
                                          pg_has_role('freecoop_operator', 'decision_operator', 'MEMBER')`),
    [['t', 'f', 'f', 't', 't']]);
  assert.deepEqual(psqlRows(SUPER, `SELECT rolname, rolcanlogin FROM pg_roles
                                     WHERE rolname IN ('freecoop_owner', 'freecoop_server',
                                                       'decision_operator', 'freecoop_operator')
                                     ORDER BY 1`),
    [['decision_operator', 'f'], ['freecoop_operator', 't'], ['freecoop_owner', 'f'], ['freecoop_server', 't']]);
});
