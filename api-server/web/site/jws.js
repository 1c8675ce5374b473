// Compact JWS (RFC 7515) verification with a JWKS's Ed25519 keys, by crypto.subtle: a
// document is trusted only once its signature is checked here, on the device.

export function b64urlToBytes(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) {
    throw new Error('not base64url');
  }
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export function bytesToB64url(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let bin = '';
  for (const b of u8) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const toBytes = (data) => (typeof data === 'string' ? new TextEncoder().encode(data)
  : data instanceof Uint8Array ? data : new Uint8Array(data));

export async function sha256Hex(data) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', toBytes(data)));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const fail = (reason, header = null) => ({ ok: false, reason, header, payload: null, payloadText: null });

function parseJsonPart(part, what) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(b64urlToBytes(part));
  } catch {
    return { error: `The ${what} is not valid base64url UTF-8.` };
  }
  try {
    const value = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: `The ${what} is not a JSON object.` };
    return { value, text };
  } catch {
    return { error: `The ${what} is not valid JSON.` };
  }
}

// Never throws: anything wrong gives ok:false with the reason in words.
export async function verifyCompactJws(jws, jwks) {
  try {
    if (typeof jws !== 'string') return fail('The document is not a compact JWS (not text).');
    const parts = jws.trim().split('.');
    if (parts.length !== 3) return fail('The document is not a compact JWS (it needs three dot-separated parts).');
    const [h, p, s] = parts;
    const head = parseJsonPart(h, 'JWS header');
    if (head.error) return fail(head.error);
    const header = head.value;
    if (header.alg !== 'EdDSA') return fail(`The signature algorithm is "${header.alg}", not EdDSA.`, header);
    if (Array.isArray(header.crit) && header.crit.length) {
      return fail('The JWS header has critical extensions this page does not understand.', header);
    }
    const keys = jwks && Array.isArray(jwks.keys) ? jwks.keys : [];
    const jwk = keys.find((k) => k && k.kid === header.kid);
    if (!jwk) return fail(`No published authority key has the id "${header.kid}".`, header);
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
      return fail(`The authority key "${header.kid}" is not an Ed25519 key.`, header);
    }
    let sig;
    try { sig = b64urlToBytes(s); } catch { return fail('The signature is not valid base64url.', header); }
    if (sig.length !== 64) return fail('The signature has the wrong length for Ed25519.', header);
    let key;
    try {
      key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
        { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      return fail(`The authority key could not be used by this browser (${e.message || e}).`, header);
    }
    const good = await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, new TextEncoder().encode(`${h}.${p}`));
    if (!good) return fail('The signature does not match the document: it was altered or not signed by the authority.', header);
    const body = parseJsonPart(p, 'signed document');
    if (body.error) return fail(body.error, header);
    return { ok: true, reason: null, header, payload: body.value, payloadText: body.text };
  } catch (e) {
    return fail(`The signature could not be checked: ${e.message || e}`);
  }
}
