// Does the group's log still extend what this device saw before? The device remembers the
// last entry it saw and checks that it is still there, unchanged, and that later entries
// chain to it: a server that rewrote history cannot pass.

import * as api from './api.js';
import * as store from './store.js';
import { sha256Hex } from './jws.js';

const ZEROS = '0'.repeat(64);
const UNSIGNED = new Set(['hash', 'kid', 'signature']);

// RFC 8785 canonical JSON: members sorted by UTF-16 code units (the default sort), values
// as JSON.stringify writes them (the log holds only integers).
function jcs(v) {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jcs).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${jcs(v[k])}`).join(',')}}`;
}

const entryHash = (entry) =>
  sha256Hex(jcs(Object.fromEntries(Object.entries(entry).filter(([k]) => !UNSIGNED.has(k)))));

// Resolves to one of
//   {state: 'error', error}          the log could not be read
//   {state: 'rewritten', known}      the remembered entry is gone or changed
//   {state: 'broken', known, why}    the entries sent do not hold together
//   {state: 'first' | 'extends', known, seq, head, hashed}: all is well; remembered now
export async function checkLog(gid) {
  const known = await store.getHead(gid);
  const r = await api.log(gid, known ? known.seq - 1 : 0);
  if (!r.ok) return { state: 'error', error: r.error };
  const entries = r.data.entries || [];
  if (known) {
    const first = entries[0];
    if (!first || first.seq !== known.seq || first.hash !== known.head) return { state: 'rewritten', known };
  } else if (!entries.length || entries[0].seq !== 1 || entries[0].prev !== ZEROS) {
    return { state: 'broken', known, why: 'it does not start with the founding entry' };
  }
  for (let i = 1; i < entries.length; i++) {
    const [a, b] = [entries[i - 1], entries[i]];
    if (b.seq !== a.seq + 1 || b.prev !== a.hash) {
      return { state: 'broken', known, why: `entry #${b.seq} does not follow entry #${a.seq}` };
    }
  }
  const last = entries[entries.length - 1];
  if (last.hash !== r.data.head) return { state: 'broken', known, why: 'its head is not its last entry' };
  // No WebCrypto outside a secure context (https, localhost): there the chain is checked as
  // the server states it, and the page says so.
  const hashed = Boolean(globalThis.crypto && crypto.subtle);
  if (hashed) {
    for (const e of entries) {
      if (await entryHash(e) !== e.hash) {
        return { state: 'broken', known, why: `entry #${e.seq} does not hash to the hash it states` };
      }
    }
  }
  await store.putHead(gid, last.seq, last.hash);
  return { state: known ? 'extends' : 'first', known, seq: last.seq, head: last.hash, hashed };
}
