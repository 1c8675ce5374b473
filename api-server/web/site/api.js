// The HTTP API, same origin. Every call resolves (never rejects) to {ok: true, status, data}
// or {ok: false, status, error}, error being {status, type, slug, title, detail, pointer,
// invalid_params}: the server's RFC 9457 problem, or one made here in the same shape.

import * as store from './store.js';

// 'notice' events (detail: text, or null when it clears) for the non-blocking banner.
export const notices = new EventTarget();

const PROBLEM = 'urn:freecoop:problem:';
// 401s a fresh access token cures: expired, revoked (a 21st revokes the oldest), unknown, none.
const RENEWABLE = new Set(['token-expired', 'token-revoked', 'invalid-credentials', 'missing-credentials']);
const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
const RETRY_AFTER_CAP_MS = 15000;
const RENEW_MARGIN_MS = 60000;
const RESTARTING = 'The server is restarting — retrying…';

let person = null;          // the current person's stored record
let renewing = null;        // the access-token renewal in flight, shared by every caller
const waiting = new Set();  // requests waiting to retry: the banner shows while non-empty

export function usePerson(p) { person = p || null; renewing = null; }
export function currentPerson() { return person; }

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function setWaiting(key, text) {
  if (text) waiting.add(key); else waiting.delete(key);
  const shown = text || (waiting.size ? RESTARTING : null);
  notices.dispatchEvent(new CustomEvent('notice', { detail: shown }));
}

function problem(status, body) {
  const b = body && typeof body === 'object' ? body : {};
  const type = typeof b.type === 'string' ? b.type : '';
  return {
    status,
    type,
    slug: type.startsWith(PROBLEM) ? type.slice(PROBLEM.length) : type,
    title: b.title || `HTTP ${status}`,
    detail: b.detail || b.title || `The server answered ${status}.`,
    pointer: typeof b.pointer === 'string' ? b.pointer : null,
    invalid_params: Array.isArray(b.invalid_params) ? b.invalid_params : [],
  };
}

const NETWORK_ERROR = {
  status: 0, type: 'network', slug: 'network', title: 'No connection', pointer: null, invalid_params: [],
  detail: 'The server could not be reached. What you typed is kept: try again in a moment.',
};

// One exchange, retried on 503 (unavailable) or 429 (busy), and on a network failure when
// `retryNetwork` says a repeat does no harm.
async function send(method, path, { body, bearer, retryNetwork = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const key = {};
  try {
    for (let attempt = 0; ; attempt++) {
      const delay = RETRY_DELAYS_MS[attempt];
      let res;
      try {
        res = await fetch(path, {
          method, headers, cache: 'no-store', redirect: 'error',
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch {
        if (!retryNetwork || delay === undefined) return { ok: false, status: 0, error: NETWORK_ERROR };
        setWaiting(key, RESTARTING);
        await sleep(delay);
        continue;
      }
      if ((res.status === 503 || res.status === 429) && delay !== undefined) {
        const after = Number(res.headers.get('Retry-After')) * 1000 || 0;
        setWaiting(key, res.status === 503 ? RESTARTING : 'The server is busy — retrying…');
        await sleep(Math.min(Math.max(delay, after), RETRY_AFTER_CAP_MS));
        continue;
      }
      return read(res);
    }
  } finally {
    if (waiting.has(key)) setWaiting(key, null);
  }
}

async function read(res) {
  const text = await res.text().catch(() => '');
  const type = res.headers.get('Content-Type') || '';
  let data = text || null;
  if (text && type.includes('json')) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.ok) return { ok: true, status: res.status, data, date: res.headers.get('Date') };
  return { ok: false, status: res.status, error: problem(res.status, data) };
}

// A new access token from the authorization token, stored before anyone uses it.
export function renewAccess() {
  if (!person || !person.authorization_token) {
    return Promise.resolve({ ok: false, status: 0, error: { ...NETWORK_ERROR, slug: 'no-person',
      type: 'no-person', title: 'Not signed in', detail: 'Sign up or restore a backup file first.' } });
  }
  if (!renewing) {
    const who = person;
    renewing = (async () => {
      const r = await accessToken(who.authorization_token);
      if (!r.ok) {
        if (r.status === 401) {
          r.error.detail = `This device's authorization token for ${who.name} is not accepted `
            + `(${r.error.detail}). Restore it from a backup file on the Account page.`;
        }
        return r;
      }
      // Its expiry by this device's clock, measured from the server's Date header, so that a
      // skewed clock neither renews on every call nor too late.
      const lifetime = Date.parse(r.data.expires_at) - (Date.parse(r.date) || Date.now());
      const updated = await store.updatePerson(who.id, {
        access_token: r.data.access_token, access_expires_at: r.data.expires_at,
        access_expires_local: Date.now() + (lifetime > 0 ? lifetime : 0),
      });
      if (person && person.id === who.id) person = updated;
      return r;
    })().finally(() => { renewing = null; });
  }
  return renewing;
}

function expiresSoon(p) {
  const at = p.access_expires_local || Date.parse(p.access_expires_at || '');
  return !p.access_token || !(at - Date.now() > RENEW_MARGIN_MS);
}

// With the person's access token: renewed before it expires, and once more if the server
// refuses it anyway (clocks differ, a token was revoked elsewhere).
export async function call(method, path, body, { retryNetwork = method === 'GET' } = {}) {
  if (!person || expiresSoon(person)) {
    const r = await renewAccess();
    if (!r.ok) return r;
  }
  const once = () => send(method, path, { body, bearer: person.access_token, retryNetwork });
  const r = await once();
  if (r.status !== 401 || !RENEWABLE.has(r.error.slug)) return r;
  const renewed = await renewAccess();
  return renewed.ok ? once() : renewed;
}

const enc = encodeURIComponent;

// Without a token: signing up, claiming, the public reads.
export const signUp = (name) => send('POST', '/coop/v1/people', { body: { name }, retryNetwork: true });
// Not retried on a network failure: a claim that reached the server cannot be repeated
// (409 already-claimed), and its token is lost with the answer.
export const claim = (id) => send('POST', `/v1/accounts/${enc(id)}/authorization-token`);
// Retried freely: one more token is harmless (the oldest of 20 is revoked).
export const accessToken = (aut) => send('POST', '/v1/access-tokens', { bearer: aut, retryNetwork: true });

export const me = () => call('GET', '/coop/v1/me');
// Not retried on a network failure: a repeat could found a second group.
export const foundGroup = (name) => call('POST', '/coop/v1/groups', { name }, { retryNetwork: false });
export const apply = (gid, message) =>
  call('POST', `/coop/v1/groups/${enc(gid)}/applications`, message ? { message } : {}, { retryNetwork: true });

const group = (gid, rest = '') => `/coop/v1/groups/${enc(gid)}${rest}`;
export const getGroup = (gid) => call('GET', group(gid));
export const members = (gid) => call('GET', group(gid, '/members'));
export const charter = (gid) => call('GET', group(gid, '/charter'));
export const applications = (gid) => call('GET', group(gid, '/applications'));
export const decisions = (gid) => call('GET', group(gid, '/decisions'));
export const log = (gid, after = 0) => call('GET', group(gid, `/log?after=${Number(after)}`));
// Not retried on a network failure: a repeat could start a second decision.
export const startDecision = (gid, body) => call('POST', group(gid, '/decisions'), body, { retryNetwork: false });

// At the core, where people vote with the same access token.
const decision = (id, rest = '') => `/v1/decisions/${enc(id)}${rest}`;
export const coreDecision = (id) => call('GET', decision(id));
export const myBallot = (id) => call('GET', decision(id, '/ballot'));
export const proposals = (id) => call('GET', decision(id, '/proposals'));
// Casting again replaces the ballot, so a repeat after a lost answer does no harm.
export const castBallot = (id, payload) =>
  call('POST', decision(id, '/ballots'), { payload }, { retryNetwork: true });
