"""docgen — throwaway authorities, signed methods and signed result documents (DESIGN §7)
for the tests of scripts/verify-result. Nothing here talks to a server: the result of a
count comes from the real count-worker (`--once`), the rest is built and signed here the
way the api-server does.
"""

import base64
import hashlib
import json
import os
import random
import subprocess
import tempfile
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
METHODS = os.path.join(ROOT, "count-worker", "methods")
SCRIPT = os.environ.get("VERIFY_RESULT_SCRIPT") or os.path.join(ROOT, "scripts",
                                                                 "verify-result")
LIBRARIES = ["json", "math", "fractions", "itertools", "functools", "collections",
             "statistics", "heapq", "bisect", "operator"]


def worker_bin():
    path = os.environ.get("FREECOOP_WORKER_BIN")
    if not path:
        raise SystemExit("FREECOOP_WORKER_BIN is not set (ctest sets it to the built "
                         "count-worker)")
    return path


def b64url(data):
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64(data):
    return base64.b64encode(data).decode("ascii")


class Authority:
    """An Ed25519 key registered as an authority (admin.add_authority)."""

    def __init__(self, name, decision_authority, code_auditor):
        self.name = name
        self.kid = str(uuid.uuid4())
        self.key = Ed25519PrivateKey.generate()
        self.decision_authority = decision_authority
        self.code_auditor = code_auditor

    def raw_public(self):
        return self.key.public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)

    def jwk(self):
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(self.raw_public()),
                "kid": self.kid, "alg": "EdDSA", "use": "sig", "name": self.name,
                "decision_authority": self.decision_authority,
                "code_auditor": self.code_auditor, "created_at": "2026-11-01T10:00:00Z"}

    def sign(self, data):
        return self.key.sign(data)


def jwks(*authorities):
    return {"keys": [a.jwk() for a in authorities]}


def method_json(code, name, signers, revoked=()):
    """GET /v1/voting-methods/{id} for code (bytes) signed by each of signers."""
    return {"id": hashlib.sha256(code).hexdigest(), "name": name,
            "code": code.decode("utf-8"), "created_at": "2026-11-02T10:00:00Z",
            "auditors": [s.kid for s in signers if s.kid not in revoked],
            "signatures": [{"auditor": s.kid, "signature": b64(s.sign(code)),
                            "created_at": "2026-11-02T10:00:00Z",
                            "revoked": s.kid in revoked} for s in signers]}


def pseudonym(decision_id, account_id):
    return hashlib.sha256(("decision-pseudonym:v1:%s:%s" % (decision_id, account_id))
                          .encode("utf-8")).hexdigest()


def plurality_inputs(decision_id, proposals=3, voters=12, turnout=9, seed=1):
    """The inputs object of a plurality decision: the service's first proposal, the
    others by franchise members; turnout voters of voters cast one ballot each, one of
    them invalid."""
    rng = random.Random(seed)
    accounts = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(voters)]
    pseudo = [pseudonym(decision_id, a) for a in accounts]
    props = [{"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
              "proposer": "" if i == 0 else pseudo[i],
              "payload": b64(json.dumps({"title": "proposal %d" % i}).encode())}
             for i in range(proposals)]
    ballots = []
    for i in range(turnout):
        choice = props[rng.randrange(proposals)]["id"] if i else "no such proposal"
        ballots.append({"id": b64url(rng.randbytes(16)),
                        "payload": b64(json.dumps({"choice": choice}).encode())})
    participants = rng.sample(pseudo, turnout)
    return {"proposals": sorted(props, key=lambda p: p["id"]),
            "ballots": sorted(ballots, key=lambda b: b["id"]),
            "participants": sorted(participants),
            "proposer_franchise": sorted(pseudo[1:proposals]),
            "voter_franchise": sorted(pseudo)}


def count(code, inputs, *limits):
    """Runs the real count-worker --once: ("ok", result bytes) or ("error", kind, msg)."""
    with tempfile.TemporaryDirectory() as tmp:
        mpath, ipath = os.path.join(tmp, "m.py"), os.path.join(tmp, "in.json")
        with open(mpath, "wb") as f:
            f.write(code)
        with open(ipath, "w") as f:
            json.dump(inputs, f)
        r = subprocess.run([worker_bin(), "--once", "--method", mpath, "--inputs", ipath,
                            "--libraries", " ".join(LIBRARIES)] + list(limits),
                           capture_output=True, text=True, timeout=60)
    if r.returncode == 0:
        return ("ok", base64.b64decode(r.stdout.strip()))
    kind, _, message = r.stderr.strip().removeprefix("count-worker: ").partition(": ")
    assert r.returncode == 1, r.stderr
    return ("error", kind, message)


def payload(decision_id, code, method_name, auditors, inputs, outcome):
    """A result document payload (§7) for a decision that was counted."""
    if outcome[0] == "ok":
        out = {"status": "ok", "result": b64(outcome[1])}
    else:
        out = {"status": "error", "error": outcome[1], "message": outcome[2]}
    return {"version": 1,
            "decision": {"id": decision_id, "title": "Where we meet in 2027",
                         "service": "4c1d9e2f-8a3b-4c5d-9e6f-7a8b9c0d1e2f",
                         "created_at": "2026-11-20T09:00:00.000001Z",
                         "proposal_phase": {"opens_at": "2026-11-21T09:00:00Z",
                                            "closes_at": "2026-11-22T09:00:00Z"},
                         "voting_phase": {"opens_at": "2026-11-22T09:00:00Z",
                                          "closes_at": "2026-11-23T09:00:00.5Z"}},
            "method": {"id": hashlib.sha256(code).hexdigest(), "name": method_name,
                       "auditors": [a.kid for a in auditors]},
            "inputs": inputs,
            "outcome": out,
            "counted_at": "2026-11-23T09:00:01.123456Z",
            "runtime": {"python": "3.11.2", "hash_seed": 0, "libraries": LIBRARIES}}


def header(kid):
    return {"alg": "EdDSA", "kid": kid, "typ": "JOSE", "cty": "decision-result+json"}


def sign_jws(signer, doc, hdr=None, kid=None):
    """Compact JWS of doc (a dict, or the exact payload bytes) signed by signer; the
    header names kid (default: the signer's)."""
    h = b64url(json.dumps(hdr or header(kid or signer.kid), separators=(",", ":")).encode())
    body = doc if isinstance(doc, bytes) else json.dumps(doc, separators=(",", ":")).encode()
    p = b64url(body)
    return ("%s.%s.%s" % (h, p, b64url(signer.sign(("%s.%s" % (h, p)).encode()))))\
        .encode("ascii")


class World:
    """One instance's authorities and a concluded plurality decision, on disk in dir:
    result.jws, jwks.json, method.json, method.py."""

    def __init__(self, directory):
        self.dir = directory
        self.authority = Authority("instance", True, False)
        self.other_authority = Authority("other instance", True, False)
        self.auditor = Authority("alice-auditor", False, True)
        self.both = Authority("bob-both", True, True)
        self.jwks = jwks(self.authority, self.other_authority, self.auditor, self.both)
        with open(os.path.join(METHODS, "plurality.py"), "rb") as f:
            self.code = f.read()
        self.decision_id = str(uuid.uuid4())
        self.inputs = plurality_inputs(self.decision_id)
        self.outcome = count(self.code, self.inputs)
        assert self.outcome[0] == "ok", self.outcome
        self.doc = payload(self.decision_id, self.code, "plurality", [self.auditor],
                           self.inputs, self.outcome)
        self.method = method_json(self.code, "plurality", [self.auditor])
        self.write("jwks.json", self.jwks)
        self.write("method.json", self.method)
        self.write("method.py", self.code)
        self.write("result.jws", sign_jws(self.authority, self.doc))

    def jws_parts(self):
        """The three parts of result.jws, as bytes."""
        with open(self.path("result.jws"), "rb") as f:
            return f.read().split(b".")

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, content):
        if isinstance(content, (dict, list)):
            content = json.dumps(content).encode()
        with open(self.path(name), "wb") as f:
            f.write(content)
        return self.path(name)

    def files(self, jws="result.jws", jwks="jwks.json", method="method.json"):
        return ["--jws", self.path(jws), "--jwks", self.path(jwks), "--method",
                self.path(method)]


def verify(args, timeout=60):
    """Runs scripts/verify-result with the built worker: (exit status, stdout, stderr)."""
    r = subprocess.run(["/usr/bin/python3", SCRIPT, "--worker", worker_bin()] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr
