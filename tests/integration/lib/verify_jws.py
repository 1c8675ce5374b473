#!/usr/bin/python3
"""verify_jws.py — check a compact JWS (RFC 7515) signed with Ed25519, the way a third
party would, with nothing but python3-cryptography (Debian's /usr/bin/python3).

    verify_jws.py JWS_FILE --jwks JWKS_FILE
    verify_jws.py JWS_FILE --x BASE64URL

JWS_FILE holds the compact serialization (header.payload.signature, each part unpadded
base64url; surrounding whitespace is ignored). With --jwks the key is the JWKS entry whose
kid is the header's kid and that is an OKP/Ed25519 decision authority (GET
/v1/authorities); with --x it is the given raw public key (a JWK's "x").

Checks: three parts, each canonical unpadded base64url; the protected header is a JSON
object with alg "EdDSA" and no "crit"; the Ed25519 signature over the ASCII text
header "." payload. Deliberately independent of the project's own code (used by
tests/integration/thirdparty.test.js).

Exit status: 0 valid ("valid" on stdout); 1 the JWS does not verify ("invalid: reason" on
stderr); 2 bad usage or an unreadable file.
"""

import argparse
import base64
import binascii
import json
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

B64URL = re.compile(r"[A-Za-z0-9_-]*\Z")


class Invalid(Exception):
    pass


def b64url(text, what):
    """Strict unpadded base64url: the alphabet only, and the canonical encoding of the
    bytes (no length of 1 mod 4, no set bits in the unused low bits of the last character)."""
    if not B64URL.match(text) or len(text) % 4 == 1:
        raise Invalid("%s is not unpadded base64url" % what)
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise Invalid("%s is not unpadded base64url" % what)
    if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != text:
        raise Invalid("%s is not canonical base64url" % what)
    return raw


def key_from_jwks(path, kid):
    with open(path, "rb") as f:
        jwks = json.loads(f.read().decode("utf-8"))
    found = [k for k in jwks.get("keys", [])
             if isinstance(k, dict) and k.get("kid") == kid]
    if len(found) != 1:
        raise Invalid("kid %r is %s in the JWKS" % (kid, "not" if not found else "more than once"))
    k = found[0]
    if k.get("kty") != "OKP" or k.get("crv") != "Ed25519":
        raise Invalid("key %s is not an OKP/Ed25519 key" % kid)
    if k.get("decision_authority") is not True:
        raise Invalid("key %s is not a decision authority" % kid)
    return k.get("x", "")


def verify(jws, jwks_path=None, x=None):
    parts = jws.split(".")
    if len(parts) != 3:
        raise Invalid("a compact JWS has three parts, this has %d" % len(parts))
    h64, p64, s64 = parts
    header_raw = b64url(h64, "the header")
    b64url(p64, "the payload")
    sig = b64url(s64, "the signature")
    try:
        header = json.loads(header_raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Invalid("the protected header is not UTF-8 JSON")
    if not isinstance(header, dict):
        raise Invalid("the protected header is not a JSON object")
    if header.get("alg") != "EdDSA":
        raise Invalid("alg is %r, not EdDSA" % header.get("alg"))
    if "crit" in header:
        raise Invalid("the header has crit parameters this verifier does not understand")
    if jwks_path is not None:
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Invalid("the header has no kid")
        x = key_from_jwks(jwks_path, kid)
    raw_key = b64url(x, "the key's x")
    if len(raw_key) != 32:
        raise Invalid("an Ed25519 public key has 32 bytes, this has %d" % len(raw_key))
    if len(sig) != 64:
        raise Invalid("an Ed25519 signature has 64 bytes, this has %d" % len(sig))
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(
            sig, ("%s.%s" % (h64, p64)).encode("ascii"))
    except InvalidSignature:
        raise Invalid("the signature does not verify")
    return header


def main():
    ap = argparse.ArgumentParser(description="Verify an Ed25519 compact JWS (see module doc).")
    ap.add_argument("jws", help="file holding the compact JWS")
    key = ap.add_mutually_exclusive_group(required=True)
    key.add_argument("--jwks", help="JWKS file (GET /v1/authorities); the key is the header's kid")
    key.add_argument("--x", help="the raw Ed25519 public key, unpadded base64url (a JWK's x)")
    args = ap.parse_args()
    try:
        with open(args.jws, "rb") as f:
            jws = f.read().decode("ascii").strip()
    except (OSError, UnicodeDecodeError) as e:
        print("verify_jws.py: cannot read %s: %s" % (args.jws, e), file=sys.stderr)
        return 2
    try:
        header = verify(jws, jwks_path=args.jwks, x=args.x)
    except OSError as e:
        print("verify_jws.py: cannot read %s: %s" % (args.jwks, e), file=sys.stderr)
        return 2
    except (Invalid, ValueError) as e:
        print("invalid: %s" % e, file=sys.stderr)
        return 1
    print("valid: kid %s" % header.get("kid"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
