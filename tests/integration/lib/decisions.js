'use strict';
// Helpers for the decision suites: auditors and signed methods, people with access
// tokens, decisions with phases relative to now, waiting for states, verifying results.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');

const METHODS = path.resolve(__dirname, '..', '..', '..', 'count-worker', 'methods');

// A code auditor registered by the operator: {id, name, privateKey}.
function newAuditor(name) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  const full = h.randomName(name);
  const id = h.operatorSql(`SELECT admin.add_authority(${h.lit(full)}, ${h.lit(pem)}, false, true)`);
  return { id, privateKey, name: full };
}

function sign(who, code) {
  return crypto.sign(null, Buffer.from(code, 'utf8'), who.privateKey).toString('base64');
}

function submit(server, who, name, code, sig = sign(who, code)) {
  return h.api(server, 'POST', '/v1/voting-methods',
    { body: { name, code, auditor: who.id, signature: sig } });
}

// Registers code (signed by who); returns the method id.
async function register(server, who, name, code) {
  const r = await submit(server, who, name, code);
  assert.ok(r.status === 201 || r.status === 200, `${name}: ${r.status} ${r.text}`);
  return r.json.id;
}

// Registers a method of the library by file name; returns its id.
function libraryMethod(server, who, file) {
  return register(server, who, file.replace(/\.py$/, ''),
    fs.readFileSync(path.join(METHODS, file), 'utf8'));
}

// An account of the service, claimed, with an access token: {id, token}.
async function person(server, serviceKey) {
  const acc = await h.newAccount(server, serviceKey);
  const aut = await h.claim(server, acc.id);
  return { id: acc.id, token: await h.accessToken(server, aut) };
}

const at = (ms) => new Date(Date.now() + ms).toISOString();
const b64 = (s) => Buffer.from(s, 'utf8').toString('base64');

// Creates a decision; phases are ms from now: [proposal opens, closes, voting opens, closes].
function createDecision(server, key, methodId, phases, extra = {}) {
  const body = {
    title: h.randomName('decision'),
    method: methodId,
    proposal_phase: { opens_at: at(phases[0]), closes_at: at(phases[1]) },
    voting_phase: { opens_at: at(phases[2]), closes_at: at(phases[3]) },
    ...extra,
  };
  return h.api(server, 'POST', '/v1/decisions', { token: key, body });
}

function cast(server, voter, decisionId, payload) {
  return h.api(server, 'POST', `/v1/decisions/${decisionId}/ballots`,
    { token: voter.token, body: { payload: b64(payload) } });
}

// Polls the decision (as its service) until its state is one of states.
async function waitState(server, key, id, states, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await h.api(server, 'GET', `/v1/decisions/${id}`, { token: key });
    assert.equal(last.status, 200, last.text);
    if (states.includes(last.json.state)) return last.json;
    await h.sleep(100);
  }
  throw new Error(`decision ${id} stayed ${last && last.json.state}, wanted ${states}`);
}

async function sleepUntil(iso) {
  const ms = Date.parse(iso) - Date.now();
  if (ms > 0) await h.sleep(ms + 50);
}

function decodeJws(jws) {
  const parts = jws.split('.');
  assert.equal(parts.length, 3, 'a compact JWS has three parts');
  return {
    header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
    signingInput: Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'),
    sig: Buffer.from(parts[2], 'base64url'),
  };
}

// The public key of a published decision authority, from the JWKS.
async function authorityKey(server, kid) {
  const jwks = (await h.api(server, 'GET', '/v1/authorities')).json;
  const jwk = jwks.keys.find((k) => k.kid === kid);
  assert.ok(jwk && jwk.decision_authority, `${kid} is a published decision authority`);
  return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
}

// Fetches the result JWS and checks it against the JWKS; returns {header, payload, text, key}.
async function verifiedResult(server, id) {
  const r = await h.api(server, 'GET', `/v1/decisions/${id}/result`);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^application\/jose/);
  // Exactly the compact serialization, byte for byte: no newline after it.
  assert.match(r.text, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'the JWS is the bare compact form');
  const d = decodeJws(r.text);
  assert.deepEqual(d.header, { alg: 'EdDSA', kid: d.header.kid, typ: 'JOSE', cty: 'decision-result+json' });
  const key = await authorityKey(server, d.header.kid);
  assert.ok(crypto.verify(null, d.signingInput, key, d.sig), 'the JWS signature verifies');
  return { ...d, text: r.text, key };
}

const pseudonym = (decision, account) => crypto.createHash('sha256')
  .update(`decision-pseudonym:v1:${decision}:${account}`).digest('hex');

module.exports = {
  METHODS, newAuditor, sign, submit, register, libraryMethod, person, at, b64, createDecision,
  cast, waitState, sleepUntil, decodeJws, authorityKey, verifiedResult, pseudonym,
};
