#!/usr/bin/python3
"""Helpers of scripts/bench-ballots: bulk data through COPY, and the checks.

Run with Debian's /usr/bin/python3 (python3-cryptography). The database is reached as the
superuser through psql, whose libpq connection string is in BENCH_PG_CONNINFO.

  create URL SERVICE_KEY METHOD CLOSES_IN_S BALLOT_SIZE [BODIES_FILE]
      creates a decision over HTTP (5 proposals by the service; proposal phase 3 to 2 hours
      ago, voting phase from an hour ago to CLOSES_IN_S from now); prints its id and the
      proposal ids; with BODIES_FILE, writes there one cast body a line, one per proposal:
      {"payload": base64 of {"choice":"<proposal id>"}}.
  voters SERVICE DECISION PER_SLICE SLICES THREADS DIR [SQL_DECISION]
      accounts (claimed), access tokens "acc_..." valid for 30 days, voter-franchise rows
      of DECISION; writes DIR/tokens.<slice>.<thread>, one token a line: slice s is round
      s's voters, split between the wrk threads, so that no voter repeats within a round.
      With SQL_DECISION, the last slice are voters of that decision instead, for pgbench
      (their account ids in DIR/accounts.sql, one a line).
  fill SERVICE DECISION N MASTER_KEY_FILE PROPOSAL_ID...
      N accounts, voter-franchise rows and N ballots sealed exactly as the server seals
      them (crypto.c, ballot.c: padded to the decision's ballot_size); prints the expected
      plurality counts
      as JSON on stdout.
  cast-check DECISION MASTER_KEY_FILE ACK_FILE...
      opens every ballot of DECISION and checks that every ballot id acknowledged with a
      201 (the ACK files, one id a line) is in the database; prints JSON.
  result JWS_FILE JWKS_FILE EXPECTED_JSON
      verifies the JWS signature against the JWKS, reads the outcome and counts the
      document's ballots; prints JSON (ok false when anything differs).
  pct FILE...
      p50 and p99 (ms) of pgbench per-transaction logs (latency in us, column 3).
"""
import base64
import hashlib
import hmac
import json
import math
import os
import random
import subprocess
import sys
import time
import urllib.request
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CONNINFO = os.environ.get("BENCH_PG_CONNINFO", "")
# The superuser authenticates only by peer as the cluster's OS owner: psql runs as that
# user when we run as root.
AS_PG = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
WRAP_AAD = b"freecoop-data-key:v1:"
CHUNK = 20000  # rows written to psql at a time


def log(msg):
    print(f"bench_ballots: {msg}", file=sys.stderr, flush=True)


def psql_out(sql):
    """Runs one statement as the superuser; returns its unaligned, tuple-only output."""
    return subprocess.run(AS_PG + ["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", CONNINFO, "-c", sql],
                          check=True, capture_output=True, text=True, cwd="/").stdout.strip()


class Copy:
    """COPY ... FROM STDIN through psql, fed line by line (text format).

    The session runs with session_replication_role = replica: the foreign-key triggers do
    not fire. The rows are consistent by construction (every referenced row exists or is
    loaded alongside), and checking 1M keys one by one would triple the loading time."""

    def __init__(self, table_cols):
        self.n = 0
        self.buf = []
        self.p = subprocess.Popen(
            AS_PG + ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", CONNINFO, "-c",
                     f"COPY {table_cols} FROM STDIN"],
            stdin=subprocess.PIPE, cwd="/",
            env=dict(os.environ, PGOPTIONS="-c session_replication_role=replica"))

    def row(self, line):
        self.buf.append(line)
        if len(self.buf) >= CHUNK:
            self.flush()

    def flush(self):
        if self.buf:
            self.p.stdin.write(("\n".join(self.buf) + "\n").encode("ascii"))
            self.n += len(self.buf)
            self.buf = []

    def close(self):
        self.flush()
        self.p.stdin.close()
        if self.p.wait() != 0:
            raise SystemExit("COPY failed")
        return self.n


def in_parallel(*jobs):
    """Runs each job (a function of no arguments) in a forked process; waits for all."""
    pids = []
    for job in jobs:
        pid = os.fork()
        if pid == 0:
            try:
                job()
                os._exit(0)
            except BaseException as e:  # noqa: BLE001 - reported, then the child exits
                print(f"bench_ballots: {e!r}", file=sys.stderr, flush=True)
                os._exit(1)
        pids.append(pid)
    failed = [pid for pid in pids if os.waitpid(pid, 0)[1] != 0]
    if failed:
        raise SystemExit("a loading process failed")


def random_uuids(n):
    """n random version-4 UUIDs as text."""
    raw = os.urandom(16 * n)
    return [str(uuid.UUID(bytes=raw[16 * i:16 * i + 16], version=4)) for i in range(n)]


def bytea(b):
    return "\\\\x" + b.hex()  # COPY text: a backslash is written twice


def copy_accounts(service, ids):
    """Claimed accounts of service (authorization token hashes are random: never used), each
    with the one access token access_tokens() stores, numbered 1."""
    c = Copy("decision.accounts (id, service_id, authorization_token_hash, claimed_at, "
             "access_tokens_issued)")
    hashes = os.urandom(32 * len(ids))
    for i, a in enumerate(ids):
        c.row(f"{a}\t{service}\t{bytea(hashes[32 * i:32 * i + 32])}\tnow\t1")
    return c.close()


def copy_franchise(decision, ids):
    c = Copy("decision.franchise (decision_id, account_id, proposer, voter)")
    for a in ids:
        c.row(f"{decision}\t{a}\tf\tt")
    n = c.close()
    psql_out(f"UPDATE decision.decisions SET voter_count = voter_count + {n} WHERE id = '{decision}'")
    return n


def cmd_voters(service, decision, per_slice, slices, threads, out):
    per_slice, slices, threads = int(per_slice), int(slices), int(threads)
    n = per_slice * slices
    t0 = time.monotonic()
    ids = random_uuids(n)
    secrets = os.urandom(32 * n)
    tokens = ["acc_" + base64.urlsafe_b64encode(secrets[32 * i:32 * i + 32]).rstrip(b"=").decode()
              for i in range(n)]
    for s in range(slices):
        for t in range(threads):
            with open(os.path.join(out, f"tokens.{s}.{t}"), "w") as f:
                f.writelines(tok + "\n" for tok in tokens[s * per_slice + t:(s + 1) * per_slice:threads])

    def access_tokens():
        c = Copy("decision.access_tokens (token_hash, account_id, number, expires_at)")
        expires = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(time.time() + 30 * 86400))
        for a, tok in zip(ids, tokens):
            c.row(f"{bytea(hashlib.sha256(tok.encode()).digest())}\t{a}\t1\t{expires}")
        c.close()

    in_parallel(lambda: copy_accounts(service, ids), access_tokens,
                lambda: copy_franchise(decision, ids))
    log(f"{n} voters (accounts, access tokens, franchise) in {time.monotonic() - t0:.1f} s")


def data_keys(decision, master_file):
    """The decision's ballot key, slot key and ballot_size, unwrapped as crypto_deckey_open
    does."""
    master = open(master_file, "rb").read()
    if len(master) != 32:
        raise SystemExit("the master key file must hold 32 bytes")
    key, size = psql_out(f"SELECT encode(data_key, 'hex'), coalesce(ballot_size, 0) "
                         f"FROM decision.decisions WHERE id = '{decision}'").split("|")
    wrapped = bytes.fromhex(key)
    dk = AESGCM(master).decrypt(wrapped[:12], wrapped[12:], WRAP_AAD + decision.encode())
    return (hmac.digest(dk, b"ballot-key:v1", "sha256"),
            hmac.digest(dk, b"ballot-slot:v1", "sha256"), int(size))


def padded(ballot_id, payload, size):
    """A ballot's plaintext as api-server/core/ballot.c makes it: id, u32 length, payload, zeros."""
    return (ballot_id + len(payload).to_bytes(4, "big") + payload
            + bytes(size - len(payload)))


def hmac_sha256(key):
    """HMAC-SHA256 under a fixed key, its pads hashed once (3x faster than hmac.digest)."""
    k = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(x ^ 0x36 for x in k))
    outer = hashlib.sha256(bytes(x ^ 0x5C for x in k))

    def mac(msg):
        i = inner.copy()
        i.update(msg)
        o = outer.copy()
        o.update(i.digest())
        return o.digest()
    return mac


def aes_gcm_sealer(key):
    """seal(nonce, plaintext, aad) -> ciphertext || tag with AES-256-GCM under key.

    AESGCM.encrypt sets the key up again on every call (about 20 us); this keeps one
    OpenSSL context keyed and only changes the nonce (about 3 us), through the libcrypto
    binding python3-cryptography ships. It is checked against AESGCM before use, and
    AESGCM is used whenever the binding is not there."""
    aes = AESGCM(key)
    try:
        from cryptography.hazmat.bindings.openssl.binding import Binding
        lib, ffi = Binding.lib, Binding.ffi
        ctx = ffi.gc(lib.EVP_CIPHER_CTX_new(), lib.EVP_CIPHER_CTX_free)
        if lib.EVP_CipherInit_ex(ctx, lib.EVP_get_cipherbyname(b"aes-256-gcm"), ffi.NULL, key,
                                 ffi.NULL, 1) != 1:
            return aes.encrypt
        n, out = ffi.new("int *"), ffi.new("unsigned char[]", 65536)
        get_tag = lib.EVP_CTRL_AEAD_GET_TAG

        def seal(nonce, pt, aad):
            if (lib.EVP_CipherInit_ex(ctx, ffi.NULL, ffi.NULL, ffi.NULL, nonce, 1) != 1 or
                    lib.EVP_CipherUpdate(ctx, ffi.NULL, n, aad, len(aad)) != 1 or
                    lib.EVP_CipherUpdate(ctx, out, n, pt, len(pt)) != 1 or
                    lib.EVP_CipherFinal_ex(ctx, out + n[0], n) != 1 or
                    lib.EVP_CIPHER_CTX_ctrl(ctx, get_tag, 16, out + len(pt)) != 1):
                raise RuntimeError("AES-GCM failed")
            return ffi.buffer(out, len(pt) + 16)[:]
        probe = (os.urandom(12), os.urandom(85), os.urandom(68))
        if seal(*probe) == aes.encrypt(*probe):
            return seal
    except (ImportError, AttributeError):
        pass
    log("sealing with AESGCM.encrypt (slower)")
    return aes.encrypt


def cmd_fill(service, decision, n, master_file, *proposals):
    n = int(n)
    t0 = time.monotonic()
    ballot_key, slot_key, size = data_keys(decision, master_file)
    # A fixed, clearly ordered distribution over the proposals, and one invalid ballot in
    # a thousand (a choice that names no proposal), so the count has something to refuse.
    rng = random.Random(20261124)
    weights = [0.9 ** k for k in range(len(proposals))]
    choices = rng.choices(range(len(proposals)), weights=weights, k=n)
    payloads = [json.dumps({"choice": p}, separators=(",", ":")).encode() for p in proposals]
    bad = json.dumps({"choice": "no-such-proposal"}, separators=(",", ":")).encode()
    expected = {p: 0 for p in proposals}
    for i, k in enumerate(choices):
        if i % 1000 != 999:
            expected[proposals[k]] += 1
    invalid = n // 1000
    ids = random_uuids(n)

    def people():
        t = time.monotonic()
        copy_accounts(service, ids)
        t1 = time.monotonic()
        copy_franchise(decision, ids)
        log(f"{n} accounts in {t1 - t:.1f} s, then their franchise rows in "
            f"{time.monotonic() - t1:.1f} s")

    def ballots():
        t = time.monotonic()
        seal = aes_gcm_sealer(ballot_key)
        slot_of = hmac_sha256(slot_key)
        aad0 = decision.encode()
        ballot_ids = random_uuids(n)
        nonces = os.urandom(12 * n)
        c = Copy("decision.ballots (decision_id, slot, sealed)")
        for i, a in enumerate(ids):
            payload = bad if i % 1000 == 999 else payloads[choices[i]]
            slot = slot_of(a.encode())
            nonce = nonces[12 * i:12 * i + 12]
            sealed = nonce + seal(nonce, padded(ballot_ids[i].encode(), payload, size),
                                  aad0 + slot)
            c.row(f"{decision}\t{bytea(slot)}\t{bytea(sealed)}")
        c.close()
        log(f"{n} sealed ballots in {time.monotonic() - t:.1f} s")

    in_parallel(people, ballots)
    log(f"{n} voters with their ballots loaded in {time.monotonic() - t0:.1f} s")
    sealed_len = 12 + 36 + 4 + size + 16
    print(json.dumps({"ballots": n, "counts": expected, "invalid": invalid,
                      "sealed_len": sealed_len}))


def cmd_cast_check(decision, master_file, *ack_files):
    ballot_key, _, _ = data_keys(decision, master_file)
    aes = AESGCM(ballot_key)
    out = subprocess.run(
        AS_PG + ["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", CONNINFO, "-c",
                 f"COPY (SELECT encode(slot, 'hex'), encode(sealed, 'hex') FROM decision.ballots "
                 f"WHERE decision_id = '{decision}') TO STDOUT"],
        check=True, capture_output=True, text=True, cwd="/").stdout
    stored, bad, sizes = set(), 0, set()
    aad0 = decision.encode()
    for line in out.splitlines():
        slot, sealed = (bytes.fromhex(x) for x in line.split("\t"))
        sizes.add(len(sealed))
        try:
            pt = aes.decrypt(sealed[:12], sealed[12:], aad0 + slot)
            stored.add(pt[:36].decode())
        except Exception:  # noqa: BLE001 - any failure to open is what we count
            bad += 1
    acked, dup = set(), 0
    for f in ack_files:
        for line in open(f):
            line = line.strip()
            if line:
                dup += line in acked
                acked.add(line)
    lost = acked - stored
    print(json.dumps({"rows": len(stored) + bad, "opened": len(stored), "unopenable": bad,
                      "acked": len(acked), "acked_duplicates": dup, "acked_lost": len(lost),
                      "stored_unacked": len(stored - acked), "sealed_sizes": sorted(sizes)}))


def b64url(s):
    return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))


def cmd_result(jws_file, jwks_file, expected_file):
    t0 = time.monotonic()
    expected = json.load(open(expected_file))
    jws = open(jws_file, "rb").read().strip()
    h, p, s = jws.split(b".")
    header = json.loads(b64url(h))
    key = next(k for k in json.load(open(jwks_file))["keys"] if k["kid"] == header["kid"])
    pub = Ed25519PublicKey.from_public_bytes(b64url(key["x"].encode()))
    try:
        pub.verify(b64url(s), h + b"." + p)
        sig_ok = True
    except Exception:  # noqa: BLE001
        sig_ok = False
    del jws
    doc = b64url(p)
    del p
    dec = json.JSONDecoder()
    # The document is large (every ballot and pseudonym): parse only its small members,
    # and count the ballots of inputs by their objects' opening bytes.
    i = doc.index(b'"inputs":{"proposals":[')
    j = doc.index(b'],"ballots":[', i)
    k = doc.index(b'],"participants":[', j)
    nballots = doc.count(b'{"id":', j, k)
    o = doc.index(b',"outcome":', k)
    outcome, _ = dec.raw_decode(doc[o + 11:].decode())
    tail = doc[o:]
    counted = {}
    if outcome.get("status") == "ok":
        counted = json.loads(base64.b64decode(outcome["result"]))
    got_counts = counted.get("counts", {})
    ok = (sig_ok and outcome.get("status") == "ok" and nballots == expected["ballots"]
          and counted.get("ballots") == expected["ballots"]
          and got_counts == expected["counts"] and counted.get("invalid") == expected["invalid"])
    print(json.dumps({"ok": ok, "signature_ok": sig_ok, "jws_bytes": os.path.getsize(jws_file),
                      "payload_bytes": len(doc), "document_ballots": nballots,
                      "result_ballots": counted.get("ballots"),
                      "result_invalid": counted.get("invalid"),
                      "counts_match": got_counts == expected["counts"],
                      "adopted": counted.get("adopted"), "outcome_status": outcome.get("status"),
                      "outcome_error": outcome.get("error"), "message": outcome.get("message"),
                      "runtime": json.loads(tail[tail.index(b',"runtime":') + 11:-1]),
                      "verify_s": round(time.monotonic() - t0, 1)}))


def api(url, key, method, path, body=None):
    req = urllib.request.Request(url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + key,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def cmd_create(url, key, method, closes_in, ballot_size, bodies=None):
    now = time.time()
    ts = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + s))  # noqa: E731
    d = api(url, key, "POST", "/v1/decisions", {
        "title": f"bench-ballots {time.strftime('%H:%M:%S')}",
        "method": method,
        "ballot_size": int(ballot_size),
        "proposal_phase": {"opens_at": ts(-3 * 3600), "closes_at": ts(-2 * 3600)},
        "voting_phase": {"opens_at": ts(-3600), "closes_at": ts(int(closes_in))},
        "proposals": [{"payload": base64.b64encode(f'{{"title":"option {k}"}}'.encode()).decode()}
                      for k in range(5)],
    })
    props = api(url, key, "GET", f"/v1/decisions/{d['id']}/proposals")
    props = props["proposals"] if isinstance(props, dict) else props
    pids = sorted(p["id"] for p in props)
    if bodies:
        with open(bodies, "w") as f:
            for pid in pids:
                payload = json.dumps({"choice": pid}, separators=(",", ":")).encode()
                f.write(json.dumps({"payload": base64.b64encode(payload).decode()},
                                   separators=(",", ":")) + "\n")
    print(d["id"], *pids)


def cmd_pct(*files):
    v = []
    for f in files:
        for line in open(f):
            v.append(int(line.split()[2]))
    v.sort()
    if not v:
        print("nan nan")
        return
    q = lambda x: v[max(0, math.ceil(len(v) * x) - 1)] / 1000  # nearest rank  # noqa: E731
    print(f"{q(0.50):.2f} {q(0.99):.2f}")


if __name__ == "__main__":
    cmds = {"create": cmd_create, "voters": cmd_voters, "fill": cmd_fill, "cast-check": cmd_cast_check,
            "result": cmd_result, "pct": cmd_pct}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
