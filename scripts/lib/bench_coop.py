#!/usr/bin/python3
"""Helpers of scripts/bench-coop: synthetic group logs for scripts/verify-log, and its floor.

Run with Debian's /usr/bin/python3 and python3-cryptography (what verify-log runs on).

  genlog DIR N[,N...]
      A fresh Ed25519 key, its JWKS as DIR/keys.json ({"keys": [{"kty": "OKP", "crv":
      "Ed25519", "x", "kid" (RFC 7638 thumbprint), "use": "sig", "alg": "EdDSA"}]}), and
      one log of the largest N entries written as FreeCoop writes them (DESIGN §10.6,
      api-server/coop/glog.h): seq 1 kind "founded", then kind "ledger" entries, each with
      an "entry" {"id", "date", "memo", "lines": [{"account", "amount"}, ...]}; every entry
      {"group", "seq", "prev", "at", "kind", "charter_version", ...} hashed (SHA-256) and
      signed (Ed25519) over its RFC 8785 canonical JSON without hash, kid and signature.
      For each N, DIR/log-N.json holds the first N entries as GET .../log answers them
      (each entry as FreeCoop stores it: the canonical JSON of the sealed entry):
      {"entries": [...], "head": "<the last entry's hash>"}. Prints the seconds it took.
  floor LOG KEYS
      What any verifier of LOG pays, each step timed on its own: reading and parsing the
      file (json.loads), the canonical JSON and SHA-256 of every entry (json.dumps with
      sorted keys: enough for these ASCII-only entries, not a general RFC 8785), and the
      Ed25519 verifications alone (the bytes and signatures prepared beforehand; one
      public key object). Prints JSON {"entries", "parse_s", "canonical_hash_s",
      "verify_s"}; the hashes are checked against the log's, not timed.
"""
import base64
import hashlib
import json
import os
import sys
import time
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)

UNSIGNED = ("hash", "kid", "signature")


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def canonical(entry):
    """RFC 8785 for what these entries hold: ASCII member names (so code-unit order is
    Python's order), ASCII strings and integers."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def cmd_genlog(out_dir, sizes):
    t0 = time.monotonic()
    sizes = sorted(int(n) for n in sizes.split(","))
    key = Ed25519PrivateKey.generate()
    x = b64url(key.public_key().public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw))
    kid = b64url(hashlib.sha256(('{"crv":"Ed25519","kty":"OKP","x":"%s"}' % x)
                                .encode("ascii")).digest())
    with open(os.path.join(out_dir, "keys.json"), "w") as f:
        json.dump({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid,
                             "use": "sig", "alg": "EdDSA"}]}, f)
    group = str(uuid.uuid4())
    start = 1767225600  # 2026-01-01T00:00:00Z, then one entry every 7 seconds
    prev = "0" * 64
    texts = []
    for seq in range(1, sizes[-1] + 1):
        t = start + 7 * seq
        e = {"group": group, "seq": seq, "prev": prev,
             "at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % (seq * 7919 % 1000000),
             "kind": "founded" if seq == 1 else "ledger", "charter_version": 1}
        if seq > 1:
            amount = 100 + seq * 37 % 100000
            e["entry"] = {"id": str(uuid.uuid4()), "date": time.strftime("%Y-%m-%d", time.gmtime(t)),
                          "memo": "Sale %d" % seq,
                          "lines": [{"account": "4000", "amount": -amount},
                                    {"account": "1000", "amount": amount}]}
        data = canonical(e)
        e["hash"] = prev = hashlib.sha256(data).hexdigest()
        e["kid"] = kid
        e["signature"] = b64url(key.sign(data))
        texts.append(canonical(e).decode("utf-8"))  # served as stored: canonical, sealed
    for n in sizes:
        with open(os.path.join(out_dir, "log-%d.json" % n), "w") as f:
            f.write('{"entries":[')
            f.write(",".join(texts[:n]))
            f.write('],"head":%s}\n' % json.dumps(json.loads(texts[n - 1])["hash"]))
    print("%.3f" % (time.monotonic() - t0))


def cmd_floor(log_path, keys_path):
    jwk = json.load(open(keys_path))["keys"][0]
    pub = Ed25519PublicKey.from_public_bytes(
        base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4)))
    t0 = time.perf_counter()
    with open(log_path, "rb") as f:
        entries = json.loads(f.read().decode("utf-8"))["entries"]
    t1 = time.perf_counter()
    datas, hashes = [], []
    for e in entries:
        data = canonical({k: v for k, v in e.items() if k not in UNSIGNED})
        datas.append(data)
        hashes.append(hashlib.sha256(data).hexdigest())
    t2 = time.perf_counter()
    bad = sum(h != e["hash"] for h, e in zip(hashes, entries))
    if bad:
        sys.exit("floor: %d hashes differ from the log's: the canonical form here is not "
                 "the log's" % bad)
    sigs = [base64.urlsafe_b64decode(e["signature"] + "==") for e in entries]
    verify = pub.verify
    t3 = time.perf_counter()
    for s, d in zip(sigs, datas):
        verify(s, d)  # raises InvalidSignature
    t4 = time.perf_counter()
    print(json.dumps({"entries": len(entries), "parse_s": t1 - t0, "canonical_hash_s": t2 - t1,
                      "verify_s": t4 - t3}))


if __name__ == "__main__":
    cmds = {"genlog": cmd_genlog, "floor": cmd_floor}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
