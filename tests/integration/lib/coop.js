'use strict';
// Helpers for the FreeCoop suites: a server with FreeCoop ready and the library methods
// its default charter names registered, and people signed up with access tokens.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');
const D = require('./decisions');

const METHODS = path.resolve(__dirname, '..', '..', '..', 'count-worker', 'methods');
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
// The ids the default charter names: the SHA-256 of the library's code.
const YES_NO = sha256(fs.readFileSync(path.join(METHODS, 'yes_no.py')));
const TWO_THIRDS = sha256(fs.readFileSync(path.join(METHODS, 'yes_no_two_thirds.py')));

// A server whose FreeCoop answers, with yes_no and yes_no_two_thirds registered.
async function coopServer(env = {}) {
  const server = await h.startServer(env);
  for (let i = 0; i < 100 && (await h.api(server, 'GET', '/coop/v1/keys')).status !== 200; i++) {
    await h.sleep(50);
  }
  const auditor = D.newAuditor('coop');
  assert.equal(await D.libraryMethod(server, auditor, 'yes_no.py'), YES_NO);
  assert.equal(await D.libraryMethod(server, auditor, 'yes_no_two_thirds.py'), TWO_THIRDS);
  return server;
}

// A person signed up to FreeCoop, with an access token: {id, name, token}.
async function person(server, name = h.randomName('p')) {
  const r = await h.api(server, 'POST', '/coop/v1/people', { body: { name } });
  assert.equal(r.status, 201, r.text);
  const aut = await h.claim(server, r.json.id);
  return { id: r.json.id, name, token: await h.accessToken(server, aut) };
}

module.exports = { YES_NO, TWO_THIRDS, sha256, coopServer, person };
