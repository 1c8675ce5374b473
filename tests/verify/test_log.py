#!/usr/bin/python3
"""scripts/verify-log against group logs made here (DESIGN §10.6): a genuine log — founding,
ledger entries, decisions applied with some actions refused, a failed decision — verifies;
each tampering is refused with its own message (exit 1); usage problems exit 2. The JCS
(RFC 8785) of the script is checked against the RFC's examples, and the test's own,
independently written canonicaliser (with which the logs here are hashed and signed) too.

The decisions' results are genuine §7 documents: the real yes_no method counted by
tests/sandbox/reference.py (plain CPython, no worker), signed by a throwaway decision
authority; one of them is also checked by scripts/verify-result --reference. No server,
no database. Run with Debian's /usr/bin/python3 (python3-cryptography).
"""

import base64
import collections
import copy
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree (docgen, the script)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import docgen  # noqa: E402
from docgen import b64, b64url  # noqa: E402

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.environ.get("VERIFY_LOG_SCRIPT") or os.path.join(ROOT, "scripts", "verify-log")
VERIFY_RESULT = os.path.join(ROOT, "scripts", "verify-result")
REFERENCE = os.path.join(ROOT, "tests", "sandbox", "reference.py")
YES_NO = os.path.join(ROOT, "count-worker", "methods", "yes_no.py")
ZEROS = "0" * 64


# --- the test's own RFC 8785, written apart from the script's ----------------------------

def utf16_units(s):
    raw = s.encode("utf-16-be")
    return struct.unpack(">%dH" % (len(raw) // 2), raw)


SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
         "\t": "\\t"}


def canon_string(s):
    out = []
    for c in s:
        if c in SHORT:
            out.append(SHORT[c])
        elif ord(c) < 0x20:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def canon(v):
    """RFC 8785 for null, booleans, integers, strings, arrays and objects."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        assert abs(v) < 2 ** 53
        return "%d" % v
    if isinstance(v, str):
        return canon_string(v)
    if isinstance(v, list):
        return "[%s]" % ",".join(canon(x) for x in v)
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: utf16_units(kv[0]))
        return "{%s}" % ",".join(canon_string(k) + ":" + canon(x) for k, x in items)
    raise TypeError("not canonicalisable here: %r" % (v,))


# --- FreeCoop's signing keys and its log -------------------------------------------------

def thumb(x):
    """RFC 7638 thumbprint of the Ed25519 JWK with this x."""
    members = json.dumps({"kty": "OKP", "crv": "Ed25519", "x": x}, sort_keys=True,
                         separators=(",", ":"))
    return b64url(hashlib.sha256(members.encode()).digest())


class CoopKey:
    """An Ed25519 key of FreeCoop's (var/keys), its JWK's kid the RFC 7638 thumbprint."""

    def __init__(self, kid=None):
        self.key = Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)
        self.x = b64url(raw)
        self.kid = kid or thumb(self.x)

    def jwk(self):
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid,
                "alg": "EdDSA", "use": "sig"}

    def seal(self, entry, canonical=canon):
        """Sets the entry's hash, kid and signature, as FreeCoop appends it."""
        body = {k: v for k, v in entry.items() if k not in ("hash", "kid", "signature")}
        data = canonical(body).encode("utf-8")
        entry["hash"] = hashlib.sha256(data).hexdigest()
        entry["kid"] = self.kid
        entry["signature"] = b64url(self.key.sign(data))
        return entry


def reseal(entries, start, key, stop=None):
    """What a server holding the key could do: re-chain and re-sign entries[start:stop]
    (indices) after changing them."""
    for i in range(start, len(entries) if stop is None else stop):
        entries[i]["prev"] = entries[i - 1]["hash"] if i else ZEROS
        key.seal(entries[i])
    return entries


def jws_hash(jws):
    return hashlib.sha256(jws).hexdigest()


# --- decisions: genuine result documents (§7) --------------------------------------------

def count_yes_no(code_path, inputs):
    """The real yes_no method's result bytes, counted by tests/sandbox/reference.py."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(inputs, f)
        f.flush()
        r = subprocess.run(["/usr/bin/python3", REFERENCE, code_path, f.name],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, PYTHONHASHSEED="0"))
    assert r.returncode == 0, r.stderr
    return base64.b64decode(r.stdout.strip())


class Decision:
    """A concluded yes_no decision of the group: proposals (payload bytes, authored by the
    service unless by_member), each voter voting yes on the proposals in yes and no on the
    others."""

    def __init__(self, world, payloads, yes, by_member=(), failed=False, seed=0):
        rng = random.Random(seed)
        self.id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        accounts = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(4)]
        pseudo = [docgen.pseudonym(self.id, a) for a in accounts]
        ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in payloads]
        self.payload_of = dict(zip(ids, payloads))
        props = [{"id": pid, "proposer": pseudo[0] if i in by_member else "",
                  "payload": b64(p)} for i, (pid, p) in enumerate(zip(ids, payloads))]
        votes = {pid: "yes" if i in yes else "no" for i, pid in enumerate(ids)}
        ballots = [{"id": b64url(rng.randbytes(16)),
                    "payload": b64(json.dumps({"votes": votes}).encode())} for _ in pseudo]
        self.inputs = {"proposals": sorted(props, key=lambda p: p["id"]),
                       "ballots": sorted(ballots, key=lambda b: b["id"]),
                       "participants": sorted(pseudo),
                       "proposer_franchise": sorted(pseudo),
                       "voter_franchise": sorted(pseudo)}
        if failed:
            outcome = ("error", "exception", "ValueError: no quorum")
            self.adopted = []
        else:
            result = count_yes_no(world.code_path, self.inputs)
            outcome = ("ok", result)
            self.adopted = json.loads(result)["adopted"]
            assert self.adopted == sorted(ids[i] for i in yes), (self.adopted, yes)
        self.ids = ids
        self.doc = docgen.payload(self.id, world.code, "yes_no", [world.auditor],
                                  self.inputs, outcome)
        self.jws = docgen.sign_jws(world.authority, self.doc)

    def entry(self, refuse=None):
        """The members of its log entry: the adopted actions in proposal-id order, those
        of the proposals in refuse ({index: reason}) refused (a payload that is not JSON
        as its base64 string)."""
        refuse = refuse or {}
        reasons = {self.ids[i]: r for i, r in refuse.items()}
        applied, refused = [], []
        for pid in sorted(self.adopted):
            payload = self.payload_of[pid]
            try:
                action = json.loads(payload.decode("utf-8"))
            except (UnicodeError, ValueError):
                action = b64(payload)
            if pid in reasons:
                refused.append({"action": action, "reason": reasons[pid]})
            else:
                applied.append(action)
        return {"decision": self.id, "result": jws_hash(self.jws), "applied": applied,
                "refused": refused}


def act(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


class World:
    """A group's genuine log with everything verify-log reads, on disk in dir."""

    def __init__(self, directory):
        self.dir = directory
        self.coop = CoopKey()
        self.authority = docgen.Authority("instance", True, False)
        self.auditor = docgen.Authority("auditor", False, True)
        self.other = docgen.Authority("other instance", True, False)
        self.core_jwks = docgen.jwks(self.authority, self.auditor, self.other)
        self.code_path = YES_NO
        with open(YES_NO, "rb") as f:
            self.code = f.read()
        self.group = "7d4c2a8e-1f3b-4c6d-8e9f-0a1b2c3d4e5f"
        founder, applicant = str(uuid.uuid4()), str(uuid.uuid4())
        self.founder, self.applicant = founder, applicant

        # D1: admit the applicant (applied); a resolution (applied); make the applicant
        # treasurer (not adopted); a member's payload that is not JSON (adopted, refused);
        # a role for someone who is no member (adopted, refused).
        self.d1 = Decision(self, [
            act({"person": applicant}),
            act({"text": "We buy a new oven — ≥ 2 000 €, «Ofen» 🥖\u2028second line"}),
            act({"person": applicant, "role": "treasurer"}),
            b"\xff\xfeoven?",
            act({"person": str(uuid.uuid4()), "role": "member"}),
        ], yes=(0, 1, 3, 4), by_member=(3,), seed=1)
        # D2: the count failed; nothing applied
        self.d2 = Decision(self, [act({"text": "Close on Mondays"})], yes=(), failed=True,
                           seed=2)
        # D3: two resolutions adopted and applied, one not adopted
        self.d3 = Decision(self, [act({"text": "Open at 6"}), act({"text": "Open at 7"}),
                                  act({"text": "Sell \"sourdough\"\ttoo\\"})],
                           yes=(0, 2), seed=3)
        self.decisions = (self.d1, self.d2, self.d3)

        at = ["2027-01-04T09:00:00.000001Z", "2027-01-05T10:30:00Z",
              "2027-01-12T09:00:01.5Z", "2027-01-12T11:00:00Z", "2027-01-20T09:00:00Z",
              "2027-01-27T09:00:00Z"]
        body = [
            {"kind": "founded", "charter_version": 1,
             "name": "Bäckerei Ünal 🥐", "founder": founder},
            {"kind": "ledger", "charter_version": 1,
             "entry": {"id": str(uuid.uuid4()), "date": "2027-01-05",
                       "memo": "Opening balances\n«€» / tab\t, DEL \x7f, NUL \x00",
                       "postings": [{"account": "bank", "amount": 9007199254740991},
                                    {"account": "capital:" + founder,
                                     "amount": -9007199254740991}],
                       "posted_by": founder, "authorised_by": {"role": "treasurer"},
                       # RFC 8785's sorting example, as member names
                       "tags": {"\u20ac": "Euro Sign", "\r": "Carriage Return",
                                "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",
                                "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
                                "\u00f6": "Latin Small Letter O With Diaeresis"},
                       "flags": [True, False, None, 0, -1]}},
            dict(kind="decision", charter_version=1,
                 **self.d1.entry(refuse={3: "not an action: the payload is not UTF-8 JSON",
                                         4: "not a member"})),
            dict(kind="decision", charter_version=1, decision=self.d2.id,
                 result=jws_hash(self.d2.jws)),
            {"kind": "ledger", "charter_version": 1,
             "entry": {"id": str(uuid.uuid4()), "date": "2027-01-20", "memo": "Flour",
                       "postings": [{"account": "supplies", "amount": 12050},
                                    {"account": "bank", "amount": -12050}],
                       "posted_by": founder, "authorised_by": {"role": "treasurer"}}},
            dict(kind="decision", charter_version=1, **self.d3.entry()),
        ]
        self.entries = []
        for n, (when, members) in enumerate(zip(at, body), 1):
            e = {"group": self.group, "seq": n,
                 "prev": self.entries[-1]["hash"] if self.entries else ZEROS, "at": when}
            e.update(members)
            self.entries.append(self.coop.seal(e))
        self.write("keys.json", {"keys": [self.coop.jwk()]})
        self.write("authorities.json", self.core_jwks)
        self.results = self.results_dir("results")
        self.write("log.json", self.page(self.entries))

    def results_dir(self, name, **replace):
        """A directory of the decisions' result JWSs, those named in replace
        ({decision id: bytes}) replaced."""
        d = os.path.join(self.dir, name)
        os.makedirs(d, exist_ok=True)
        for dec in self.decisions:
            with open(os.path.join(d, dec.id + ".jws"), "wb") as f:
                f.write(replace.get(dec.id, dec.jws))
        return d

    @staticmethod
    def page(entries, head=None):
        return {"entries": entries, "head": head or entries[-1]["hash"]}

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, content):
        if not isinstance(content, (bytes, str)):
            content = json.dumps(content, ensure_ascii=False)
        if isinstance(content, str):
            content = content.encode("utf-8")
        with open(self.path(name), "wb") as f:
            f.write(content)
        return self.path(name)


def run(args, timeout=60):
    r = subprocess.run(["/usr/bin/python3", SCRIPT] + list(args), capture_output=True,
                       text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def load_script():
    loader = importlib.machinery.SourceFileLoader("verify_log", SCRIPT)
    spec = importlib.util.spec_from_loader("verify_log", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


W = None
TMP = None


def setUpModule():
    global W, TMP
    TMP = tempfile.mkdtemp(prefix="verify-log-test.")
    W = World(TMP)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


class Case(unittest.TestCase):
    def entries(self):
        return copy.deepcopy(W.entries)

    def verify(self, entries=None, log=None, keys=None, authorities=None, results=None,
               extra=(), with_results=True):
        """Runs verify-log on entries (written as one log answer) or the log file log."""
        if log is None:
            log = W.write("case.json", W.page(entries if entries is not None else W.entries))
        args = ["--log", log, "--keys", keys or W.path("keys.json")]
        if with_results:
            args += ["--authorities", authorities or W.path("authorities.json"),
                     "--results", results or W.results]
        return run(args + list(extra))

    def assertVerified(self, result, entries=None, *fragments):
        rc, out, err = result
        self.assertEqual(rc, 0, "did not verify:\n" + out + err)
        entries = entries or W.entries
        self.assertIn("log of group %s: %d entries, head %s, verified"
                      % (W.group, len(entries), entries[-1]["hash"]), out)
        self.assertEqual(err, "")
        for f in fragments:
            self.assertIn(f, out)

    def assertFailed(self, result, *fragments, rc=1):
        code, out, err = result
        self.assertEqual(code, rc, "expected exit %d (%s):\n%s%s" % (rc, fragments, out, err))
        self.assertNotIn(", verified", out)
        for f in fragments:
            self.assertIn(f, err)
        if rc == 1:
            lines = err.splitlines()
            self.assertTrue(lines[-1].startswith("the log does not verify: "), err)
            self.assertTrue(all(line.startswith("FAILED: ") for line in lines[:-1]), err)
        return err


class Long(Case):
    """A log long enough to be checked on every CPU: the same verdicts, failures in the
    log's order."""

    def long_log(self, n=2600):
        entries = self.entries()
        while len(entries) < n:
            e = {"group": W.group, "seq": len(entries) + 1, "prev": entries[-1]["hash"],
                 "at": "2027-02-01T09:00:00Z", "kind": "ledger", "charter_version": 1,
                 "entry": {"id": str(uuid.uuid4()), "date": "2027-02-01", "memo": "Bread",
                           "postings": [{"account": "bank", "amount": len(entries)},
                                        {"account": "sales", "amount": -len(entries)}]}}
            entries.append(W.coop.seal(e))
        return entries

    def test_long_log_verifies(self):
        entries = self.long_log()
        self.assertVerified(self.verify(entries), entries)

    def test_long_log_failures_in_order(self):
        entries = self.long_log()
        entries[2299]["entry"]["memo"] = "Cake"        # changed after it was hashed
        sig = bytearray(base64.urlsafe_b64decode(entries[1699]["signature"] + "=="))
        sig[5] ^= 1
        entries[1699]["signature"] = b64url(bytes(sig))
        err = self.assertFailed(self.verify(entries))
        lines = [x for x in err.splitlines() if x.startswith("FAILED: seq ")]
        self.assertEqual([x.split(":")[1].strip() for x in lines],
                         ["seq 1700", "seq 2300", "seq 2300"], err)
        self.assertIn("signature does not verify", lines[0])
        self.assertIn("is not the SHA-256", lines[1])
        self.assertIn("signature does not verify", lines[2])


class Genuine(Case):
    def test_good_log_verifies(self):
        rc, out, err = result = self.verify()
        self.assertVerified(result, None, "3 decision results verify",
                            "ok: every hash is the SHA-256",
                            "ok: every signature verifies with FreeCoop's key %s" % W.coop.kid)
        self.assertTrue(out.endswith("log of group %s: 6 entries, head %s, verified\n"
                                     % (W.group, W.entries[-1]["hash"])), out)
        # the failed decision applies nothing, and says so
        self.assertIn("note: seq 4: nothing adopted: the count failed (exception)", out)

    def test_known_head_of_an_earlier_entry(self):
        h = W.entries[2]["hash"]
        self.assertVerified(self.verify(extra=["--known-head", h]), None,
                            "the log extends the head you saw, %s (seq 3)" % h)
        self.assertVerified(self.verify(extra=["--known-head", h.upper()]))

    def test_known_head_is_the_head(self):
        self.assertVerified(self.verify(extra=["--known-head", W.entries[-1]["hash"]]),
                            None, "(seq 6)")

    def test_pages_concatenated(self):
        e = W.entries
        text = (json.dumps(W.page(e[:2], e[1]["hash"])) + "\n" +
                json.dumps(W.page(e[2:5], e[4]["hash"]), indent=1) +
                json.dumps(W.page(e[5:])) + "\n")
        self.assertVerified(self.verify(log=W.write("pages.json", text)))
        # pages fetched while the log grew: each answer's head the group's head then
        text = json.dumps(W.page(e[:3], e[3]["hash"])) + json.dumps(W.page(e[3:]))
        self.assertVerified(self.verify(log=W.write("pages.json", text)))
        # an empty last page (?after=6)
        text = json.dumps(W.page(e)) + json.dumps(W.page([], e[-1]["hash"]))
        self.assertVerified(self.verify(log=W.write("pages.json", text)))

    def test_array_of_pages(self):
        e = W.entries
        pages = [W.page(e[:4]), W.page(e[4:])]
        self.assertVerified(self.verify(log=W.write("pages.json", pages)))

    def test_bare_array_of_entries(self):
        self.assertVerified(self.verify(log=W.write("bare.json", W.entries)), None,
                            "note: no head given")

    def test_without_results(self):
        rc, out, err = result = self.verify(with_results=False)
        self.assertVerified(result, None, "note: 3 decision results not checked",
                            "verified (3 decision results not checked)")

    def test_key_rotation(self):
        """Entries signed by an earlier key stay valid while the JWKS lists it."""
        new = CoopKey()
        entries = reseal(self.entries(), 3, new)
        keys = W.write("two-keys.json", {"keys": [W.coop.jwk(), new.jwk()]})
        self.assertVerified(self.verify(entries, keys=keys), entries,
                            "FreeCoop's keys %s" % ", ".join(sorted([W.coop.kid, new.kid])))

    def test_result_saved_with_a_newline(self):
        d = W.results_dir("nl", **{W.d1.id: W.d1.jws + b"\n"})
        self.assertVerified(self.verify(results=d))

    def test_refusing_is_the_services_judgement(self):
        """An adopted action moved from refused to applied, order kept, still verifies:
        which actions no longer applied is not for the log to prove."""
        entries = self.entries()
        e = entries[2]
        moved = [r for r in e["refused"] if isinstance(r["action"], dict)][0]
        e["refused"].remove(moved)
        adopted = [json.loads(W.d1.payload_of[p]) for p in sorted(W.d1.adopted)
                   if W.d1.payload_of[p][:1] == b"{"]
        e["applied"] = [a for a in adopted if a in e["applied"] or a == moved["action"]]
        reseal(entries, 2, W.coop)
        self.assertVerified(self.verify(entries), entries)

    def test_adopted_in_any_order_in_the_result(self):
        """The actions follow proposal-id order whatever the order of "adopted" (stv lists
        proposals in the order elected)."""
        doc = copy.deepcopy(W.d3.doc)
        result = json.loads(base64.b64decode(doc["outcome"]["result"]))
        result["adopted"].reverse()
        doc["outcome"]["result"] = b64(json.dumps(result).encode())
        jws = docgen.sign_jws(W.authority, doc)
        entries = self.entries()
        entries[5]["result"] = jws_hash(jws)
        reseal(entries, 5, W.coop)
        self.assertVerified(self.verify(entries, results=W.results_dir(
            "reordered", **{W.d3.id: jws})), entries)

    def test_the_fixture_is_a_genuine_result(self):
        """scripts/verify-result (with --reference, plain CPython) accepts D1's document:
        the decision entries here carry real §7 results."""
        jws = W.write("d1.jws", W.d1.jws)
        method = W.write("method.json", docgen.method_json(W.code, "yes_no", [W.auditor]))
        r = subprocess.run(["/usr/bin/python3", VERIFY_RESULT, W.d1.id, "--jws", jws,
                            "--jwks", W.path("authorities.json"), "--method", method,
                            "--reference"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("reproduces outcome.result byte for byte", r.stdout)


class Chain(Case):
    def test_changed_member(self):
        entries = self.entries()
        entries[1]["entry"]["postings"][0]["account"] = "cash"
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 2: hash %s is not the SHA-256" % entries[1]["hash"],
                          "the entry was changed after it was hashed",
                          "FAILED: seq 2: the signature does not verify with key %s"
                          % W.coop.kid)

    def test_changed_member_rehashed(self):
        """Hashed again without FreeCoop's key: the signature and the next link break."""
        entries = self.entries()
        entries[0]["name"] = "Someone else's bakery"
        good_sig = entries[0]["signature"]
        W.coop.seal(entries[0])
        entries[0]["signature"] = good_sig
        err = self.assertFailed(self.verify(entries),
                                "FAILED: seq 1: the signature does not verify",
                                "FAILED: seq 2: prev %s is not the hash of seq 1"
                                % W.entries[0]["hash"])
        self.assertNotIn("seq 1: hash", err)

    def test_changed_unsigned_member_changes_nothing(self):
        """hash, kid and signature are outside the signed bytes, but each is checked."""
        entries = self.entries()
        entries[3]["kid"] = "x" + entries[3]["kid"]
        self.assertFailed(self.verify(entries), "FAILED: seq 4: kid x%s is not a key"
                          % W.coop.kid)

    def test_removed_entry(self):
        entries = self.entries()
        del entries[2]
        err = self.assertFailed(self.verify(entries),
                                "FAILED: seq 4: seq 3 missing before it: the log has a gap")
        self.assertEqual(err.count("FAILED"), 1, err)

    def test_removed_entries(self):
        entries = self.entries()
        del entries[1:4]
        self.assertFailed(self.verify(entries), "FAILED: seq 5: seq 2 to 4 missing")

    def test_removed_last_entry(self):
        entries = self.entries()
        self.assertFailed(self.verify(log=W.write("case.json", W.page(
            entries[:-1], entries[-1]["hash"]))),
            "FAILED: head: %s is not the hash of the last entry (seq 5, hash"
            % entries[-1]["hash"])

    def test_removed_first_entry(self):
        self.assertFailed(self.verify(self.entries()[1:]),
                          "FAILED: seq 2: seq 1 missing before it",
                          "FAILED: seq 2: the log does not start at seq 1")

    def test_reordered_entries(self):
        entries = self.entries()
        entries[1], entries[2] = entries[2], entries[1]
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 3: seq 2 missing before it",
                          "FAILED: seq 2: out of order or repeated: it comes after seq 3")

    def test_repeated_entry(self):
        entries = self.entries()
        entries.insert(3, copy.deepcopy(entries[2]))
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 3: out of order or repeated: it comes after seq 3")

    def test_renumbered_after_removal(self):
        """The server removes an entry and renumbers without re-signing."""
        entries = self.entries()
        del entries[1]
        for e in entries[1:]:
            e["seq"] -= 1
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 2: prev %s is not the hash of seq 1 (%s)"
                          % (W.entries[1]["hash"], W.entries[0]["hash"]),
                          "FAILED: seq 2: hash", "FAILED: seq 2: the signature does not")

    def test_wrong_prev(self):
        entries = self.entries()
        entries[3]["prev"] = entries[1]["hash"]
        W.coop.seal(entries[3])
        reseal(entries, 4, W.coop)
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 4: prev %s is not the hash of seq 3 (%s): "
                          "the chain is broken" % (entries[1]["hash"], entries[2]["hash"]))

    def test_first_prev_not_zeros(self):
        entries = self.entries()
        entries[0]["prev"] = "1" * 64
        W.coop.seal(entries[0])
        reseal(entries, 1, W.coop)
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 1: prev %s is not 64 zeros" % ("1" * 64))

    def test_head_not_last(self):
        self.assertFailed(self.verify(log=W.write("case.json", W.page(
            W.entries, W.entries[3]["hash"]))),
            "FAILED: head: %s is not the hash of the last entry (seq 6"
            % W.entries[3]["hash"])

    def test_earlier_page_head_unknown(self):
        e = W.entries
        text = json.dumps(W.page(e[:3], "ab" * 32)) + json.dumps(W.page(e[3:]))
        self.assertFailed(self.verify(log=W.write("pages.json", text)),
                          "FAILED: head: %s (of page 1) is not the hash of any entry"
                          % ("ab" * 32))

    def test_another_group(self):
        entries = self.entries()
        entries[4]["group"] = "00000000-1f3b-4c6d-8e9f-0a1b2c3d4e5f"
        reseal(entries, 4, W.coop)
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 5: belongs to group \"00000000-1f3b-4c6d-8e9f-"
                          "0a1b2c3d4e5f\", not \"%s\" like the first entry" % W.group)

    def test_founded_twice_and_seq_1_not_founded(self):
        entries = self.entries()
        entries[0]["kind"], entries[1]["kind"] = "ledger", "founded"
        entries[0]["entry"] = {}
        reseal(entries, 0, W.coop)
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 1: is a ledger entry, but seq 1 must be the founding",
                          "FAILED: seq 2: is a founded entry, but only seq 1 founds")

    def test_shape(self):
        entries = self.entries()
        del entries[1]["at"]
        entries[1]["charter_version"] = 0
        entries[1]["hash"] = entries[1]["hash"].upper()
        entries[2]["refused"][0] = {"action": entries[2]["refused"][0]["action"]}
        entries[4]["kind"] = "note"
        self.assertFailed(self.verify(entries), "FAILED: seq 2: has no at",
                          "FAILED: seq 2: charter_version 0 is not a positive integer",
                          "FAILED: seq 2: hash \"%s\" is not 64 lowercase hex"
                          % entries[1]["hash"],
                          "FAILED: seq 3: refused[0] is not {\"action\", \"reason\"",
                          "FAILED: seq 5: kind \"note\" is not one of founded, decision, "
                          "ledger")

    def test_not_an_object(self):
        entries = self.entries()
        entries[2] = [entries[2]]
        self.assertFailed(self.verify(entries),
                          "FAILED: entry 3 of the log (no valid seq): is not a JSON object")

    def test_empty_log(self):
        self.assertFailed(self.verify(log=W.write("empty.json", {"entries": [],
                                                                  "head": None})),
                          "FAILED: the log has no entries")

    def test_not_json(self):
        self.assertFailed(self.verify(log=W.write("bad.json", b'{"entries": [')),
                          "FAILED: the log file is not JSON")


class Signatures(Case):
    def test_bad_signature(self):
        entries = self.entries()
        entries[1]["signature"] = entries[2]["signature"]
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 2: the signature does not verify with key %s over the "
                          "entry's canonical JSON" % W.coop.kid)

    def test_signature_one_bit(self):
        entries = self.entries()
        sig = bytearray(base64.urlsafe_b64decode(entries[4]["signature"] + "=="))
        sig[10] ^= 1
        entries[4]["signature"] = b64url(bytes(sig))
        self.assertFailed(self.verify(entries), "FAILED: seq 5: the signature does not verify")

    def test_signature_not_base64url(self):
        entries = self.entries()
        entries[0]["signature"] = base64.b64encode(
            base64.urlsafe_b64decode(entries[0]["signature"] + "==")).decode()
        self.assertFailed(self.verify(entries), "FAILED: seq 1: signature is not")

    def test_key_not_in_jwks(self):
        stranger = CoopKey()
        entries = self.entries()
        stranger.seal(entries[1])
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 2: kid %s is not a key of FreeCoop's JWKS" % stranger.kid)

    def test_entries_by_a_stranger(self):
        """A whole log signed by another key, however consistent, is not FreeCoop's."""
        stranger = CoopKey()
        entries = reseal(self.entries(), 0, stranger)
        err = self.assertFailed(self.verify(entries), "is not a key of FreeCoop's JWKS")
        self.assertEqual(err.count("FAILED"), 6, err)

    def test_core_authority_key_is_not_coops(self):
        """An entry signed with a key of the core's JWKS (a decision authority's) is not
        signed by FreeCoop."""
        entries = self.entries()
        entries[1]["kid"] = W.authority.kid
        self.assertFailed(self.verify(entries), "FAILED: seq 2: kid %s is not a key of "
                          "FreeCoop's JWKS" % W.authority.kid)

    def test_kid_not_thumbprint(self):
        named = CoopKey(kid="freecoop-2027")
        entries = reseal(self.entries(), 0, named)
        keys = W.write("named.json", {"keys": [named.jwk()]})
        self.assertFailed(self.verify(entries, keys=keys),
                          "FAILED: seq 1: key freecoop-2027 of FreeCoop's JWKS has the RFC "
                          "7638 thumbprint %s: its kid is not its thumbprint"
                          % thumb(named.x))

    def test_jwks_key_not_ed25519(self):
        jwk = dict(W.coop.jwk(), crv="X25519")
        self.assertFailed(self.verify(keys=W.write("x.json", {"keys": [jwk]})),
                          "FAILED: seq 1: key %s is not an Ed25519 signing key" % W.coop.kid)


class Canonical(Case):
    def seal_with(self, entries, i, text_of_body):
        """Signs entry i over the bytes text_of_body gives (a server with a wrong JCS)."""
        W.coop.seal(entries[i], canonical=text_of_body)
        reseal(entries, i + 1, W.coop)
        return entries

    @staticmethod
    def python_json(body):
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def test_float(self):
        entries = self.entries()
        entries[4]["entry"]["postings"][0]["amount"] = 120.5
        entries[4]["entry"]["postings"][1]["amount"] = -120.5
        self.seal_with(entries, 4, self.python_json)
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 5: /entry/postings/0/amount is a number with a "
                          "fraction or exponent (120.5): the log holds no floating point")

    def test_float_of_an_integer_value(self):
        entries = self.entries()
        entries[3]["charter_version"] = 1.0
        self.seal_with(entries, 3, self.python_json)
        text = json.dumps(W.page(entries)).replace('"charter_version": 1.0',
                                                   '"charter_version": 1E0')
        err = self.assertFailed(self.verify(log=W.write("case.json", text)),
                                "FAILED: seq 4: /charter_version is a number with a fraction "
                                "or exponent (1E0)")
        self.assertIn("charter_version 1E0 is not a positive integer", err)

    def test_integer_beyond_2_53(self):
        entries = self.entries()
        entries[1]["entry"]["postings"][0]["amount"] = 2 ** 53
        entries[1]["entry"]["postings"][1]["amount"] = -2 ** 53
        self.seal_with(entries, 1, self.python_json)
        self.assertFailed(self.verify(entries), "FAILED: seq 2: /entry/postings/0/amount is "
                          "the integer 9007199254740992, beyond +-(2^53 - 1)")

    def test_duplicate_member(self):
        text = json.dumps(W.page(W.entries), ensure_ascii=False)
        text = text.replace('"memo": "Flour"', '"memo": "Flour", "memo": "Bread"', 1)
        self.assertFailed(self.verify(log=W.write("case.json", text)),
                          "FAILED: seq 5: /entry has the member \"memo\" more than once")

    def test_lone_surrogate(self):
        text = json.dumps(W.page(W.entries), ensure_ascii=True)
        text = text.replace('"memo": "Flour"', '"memo": "Flour \\ud800"', 1)
        self.assertFailed(self.verify(log=W.write("case.json", text)),
                          "FAILED: seq 5: /entry/memo holds a lone surrogate")

    def test_code_point_order_is_not_jcs(self):
        """A server sorting names by code point (not UTF-16 units) hashes other bytes for
        the entry holding RFC 8785's sorting example."""
        entries = self.seal_with(self.entries(), 1, self.python_json)
        self.assertFailed(self.verify(entries), "FAILED: seq 2: the signature does not",
                          "FAILED: seq 2: hash")

    def test_escaped_non_ascii_is_not_jcs(self):
        entries = self.seal_with(self.entries(), 0, lambda b: json.dumps(
            b, sort_keys=True, separators=(",", ":")))
        self.assertFailed(self.verify(entries), "FAILED: seq 1: hash")

    def test_json_escapes_in_the_file_are_fine(self):
        """How the file spells a value does not matter, only the value: \\u escapes,
        whitespace, member order."""
        entries = [dict(reversed(list(e.items()))) for e in W.entries]
        text = json.dumps(W.page(entries), ensure_ascii=True, indent=3)
        self.assertVerified(self.verify(log=W.write("case.json", text)))


class Decisions(Case):
    def with_result(self, name, decision, jws, index, resign=True):
        """entries with the decision's result replaced by jws (and, with resign, the entry
        hashing to it, re-signed by FreeCoop): (entries, results dir)."""
        entries = self.entries()
        if resign:
            entries[index]["result"] = jws_hash(jws)
            reseal(entries, index, W.coop)
        return entries, W.results_dir(name, **{decision.id: jws})

    def test_result_one_byte_changed(self):
        jws = W.d1.jws
        cut = jws.index(b".")
        for name, at in (("header", 5), ("payload", cut + 40), ("signature", len(jws) - 20)):
            with self.subTest(part=name):
                bad = bytearray(jws)
                bad[at] = ord("A") if bad[at] != ord("A") else ord("B")
                entries, d = self.with_result("one-byte-" + name, W.d1, bytes(bad), 2,
                                              resign=False)
                err = self.assertFailed(
                    self.verify(entries, results=d),
                    "FAILED: seq 3: the result JWS %s/%s.jws has SHA-256 %s, but the "
                    "entry's result is %s" % (d, W.d1.id, jws_hash(bytes(bad)), jws_hash(jws)))
                self.assertRegex(err, r"FAILED: seq 3: the result JWS \S+ (does not verify|"
                                      r"has a header|.*base64url|.*not JSON|.*UTF-8)")

    def test_result_one_byte_changed_and_rehashed(self):
        """Even re-signed by FreeCoop, an altered result does not verify at the core's
        key."""
        jws = bytearray(W.d3.jws)
        jws[jws.index(b".") + 30] ^= 0x01
        entries, d = self.with_result("rehashed", W.d3, bytes(jws), 5)
        self.assertFailed(self.verify(entries, results=d),
                          "FAILED: seq 6: the result JWS %s/%s.jws " % (d, W.d3.id))

    def test_result_hash_mismatch(self):
        entries = self.entries()
        entries[2]["result"] = jws_hash(W.d1.jws + b" ")
        reseal(entries, 2, W.coop)
        err = self.assertFailed(self.verify(entries),
                                "FAILED: seq 3: the result JWS %s/%s.jws has SHA-256 %s, but "
                                "the entry's result is %s: it is not the result the entry "
                                "applied" % (W.results, W.d1.id, jws_hash(W.d1.jws),
                                             entries[2]["result"]))
        self.assertEqual(err.count("FAILED"), 1, err)

    def test_result_of_another_decision(self):
        entries, d = self.with_result("swapped", W.d1, W.d3.jws, 2)
        self.assertFailed(self.verify(entries, results=d),
                          "FAILED: seq 3: the result JWS %s/%s.jws is the result of decision "
                          "\"%s\", not of the entry's decision %s" % (d, W.d1.id, W.d3.id,
                                                                      W.d1.id))

    def test_result_missing(self):
        d = W.results_dir("missing")
        os.unlink(os.path.join(d, W.d2.id + ".jws"))
        self.assertFailed(self.verify(results=d),
                          "FAILED: seq 4: no result JWS %s/%s.jws" % (d, W.d2.id),
                          "download GET /coop/v1/groups/%s/decisions/%s/result"
                          % (W.group, W.d2.id))

    def test_result_by_an_unknown_authority(self):
        stranger = docgen.Authority("stranger", True, False)
        entries, d = self.with_result("stranger", W.d1, docgen.sign_jws(stranger, W.d1.doc), 2)
        self.assertFailed(self.verify(entries, results=d),
                          "is signed by authority %s, which is not in the core's JWKS "
                          "(unknown, or revoked since)" % stranger.kid)

    def test_result_by_a_code_auditor(self):
        entries, d = self.with_result("auditor", W.d1, docgen.sign_jws(W.auditor, W.d1.doc), 2)
        self.assertFailed(self.verify(entries, results=d),
                          "is signed by %s, which is not a decision authority" % W.auditor.kid)

    def test_result_signed_by_freecoop(self):
        """FreeCoop's own key cannot stand in for the core's."""
        jws = docgen.sign_jws(W.authority, W.d1.doc)
        parts = jws.split(b".")
        sig = W.coop.key.sign(parts[0] + b"." + parts[1])
        forged = parts[0] + b"." + parts[1] + b"." + b64url(sig).encode()
        entries, d = self.with_result("by-coop", W.d1, forged, 2)
        self.assertFailed(self.verify(entries, results=d), "FAILED: seq 3: the result JWS",
                          "does not verify: its Ed25519 signature is not authority %s's"
                          % W.authority.kid)

    def test_result_with_another_header(self):
        hdr = dict(docgen.header(W.authority.kid), typ="JWT")
        entries, d = self.with_result("header", W.d1,
                                      docgen.sign_jws(W.authority, W.d1.doc, hdr=hdr), 2)
        self.assertFailed(self.verify(entries, results=d), "has a header that is not exactly")

    def test_results_of_two_services(self):
        doc = copy.deepcopy(W.d3.doc)
        doc["decision"]["service"] = str(uuid.uuid4())
        entries, d = self.with_result("service", W.d3, docgen.sign_jws(W.authority, doc), 5)
        self.assertFailed(self.verify(entries, results=d),
                          "FAILED: seq 6: the result is of a decision of service \"%s\", but "
                          "seq 3's is of service" % doc["decision"]["service"])

    def test_decision_applied_twice(self):
        entries = self.entries()
        twice = copy.deepcopy(entries[5])
        twice.update(seq=7, at="2027-02-01T09:00:00Z")
        entries.append(twice)
        reseal(entries, 6, W.coop)
        self.assertFailed(self.verify(entries),
                          "FAILED: seq 7: decision %s was already applied by seq 6" % W.d3.id)


class Adopted(Case):
    def changed(self, index, change):
        entries = self.entries()
        change(entries[index])
        reseal(entries, index, W.coop)
        self.last = entries
        return self.verify(entries)

    def test_an_adopted_action_left_out(self):
        dropped = W.entries[2]["applied"][0]
        err = self.assertFailed(self.changed(2, lambda e: e["applied"].pop(0)),
                                "FAILED: seq 3: applied + refused are not the result's adopted "
                                "proposals: the result adopts proposal ",
                                "which is neither applied nor refused")
        self.assertIn(json.dumps(dropped, ensure_ascii=False, sort_keys=True)[:60], err)

    def test_an_action_not_adopted(self):
        not_adopted = json.loads(W.d1.payload_of[W.d1.ids[2]])
        self.assertFailed(self.changed(2, lambda e: e["applied"].append(not_adopted)),
                          "FAILED: seq 3: applied + refused are not the result's adopted "
                          "proposals: applied[2] {\"person\": \"%s\", \"role\": \"treasurer\"} "
                          "is not the action of an adopted proposal" % W.applicant)

    def test_an_action_changed(self):
        def change(e):
            e["applied"][0] = dict(e["applied"][0], text="We buy two ovens")
        self.assertFailed(self.changed(5, change), "FAILED: seq 6: applied + refused",
                          "applied[0] {\"text\": \"We buy two ovens\"} is not the action",
                          "which is neither applied nor refused")

    def test_an_action_applied_twice(self):
        twice = W.entries[5]["applied"][0]
        self.assertFailed(self.changed(5, lambda e: e["applied"].append(e["applied"][0])),
                          "applied[2] %s is not the action of an adopted proposal (or is "
                          "listed more often than adopted)"
                          % json.dumps(twice, ensure_ascii=False))

    def test_applied_out_of_order(self):
        self.assertFailed(self.changed(5, lambda e: e["applied"].reverse()),
                          "FAILED: seq 6: applied + refused are not the result's adopted "
                          "proposals: applied and refused are not each in the proposal-id "
                          "order of the adopted proposals")

    def test_refused_out_of_order(self):
        self.assertFailed(self.changed(2, lambda e: e["refused"].reverse()),
                          "not each in the proposal-id order")

    def test_a_payload_that_is_not_json_applied(self):
        def apply_it(e):
            r = [r for r in e["refused"] if isinstance(r["action"], str)][0]
            e["refused"].remove(r)
            e["applied"].append(r["action"])
        self.assertFailed(self.changed(2, apply_it),
                          "is the payload of an adopted proposal that is not a JSON action: "
                          "it can only be refused")

    def test_a_failed_decision_applies_nothing(self):
        self.assertFailed(self.changed(3, lambda e: e.update(applied=[{"text": "Close on "
                                                                               "Mondays"}])),
                          "FAILED: seq 4: applied + refused are not the result's adopted "
                          "proposals: applied[0] {\"text\": \"Close on Mondays\"} is not the "
                          "action of an adopted proposal")

    def test_refused_all(self):
        """Refusing every adopted action (say, the charter changed) is allowed."""
        def refuse_all(e):
            e["refused"] = [{"action": a, "reason": "books changed"} for a in e["applied"]]
            e["applied"] = []
        self.assertVerified(self.changed(5, refuse_all), self.last)

    def test_empty_reason(self):
        def change(e):
            e["refused"][0]["reason"] = ""
        self.assertFailed(self.changed(2, change), "refused[0] is not {\"action\", "
                          "\"reason\": <non-empty string>}")


class KnownHead(Case):
    def test_known_head_not_in_the_log(self):
        self.assertFailed(self.verify(extra=["--known-head", "cd" * 32]),
                          "FAILED: --known-head: the log no longer contains the head you saw "
                          "(%s): history was rewritten" % ("cd" * 32))

    def test_rewritten_history(self):
        """The server, with its own key, drops a ledger entry and re-signs everything
        after it: the log verifies by itself, but not against the head seen before."""
        seen = W.entries[4]["hash"]
        entries = self.entries()
        del entries[1]
        for e in entries[1:]:
            e["seq"] -= 1
        reseal(entries, 1, W.coop)
        self.assertVerified(self.verify(entries), entries)
        err = self.assertFailed(self.verify(entries, extra=["--known-head", seen]),
                                "the log no longer contains the head you saw (%s): history "
                                "was rewritten" % seen)
        self.assertEqual(err.count("FAILED"), 1, err)

    def test_known_head_that_is_no_hash(self):
        self.assertFailed(self.verify(extra=["--known-head", "seq 3"]),
                          "--known-head must be a hash", rc=2)


# --- the books: the balances the server reports (GET .../ledger/accounts) ---------------

CHART = {"bank": ("Bank", "asset"), "reserve": ("Reserve", "equity"),
         "sales": ("Sales", "income"), "supplies": ("Supplies", "expense")}


def replayed(entries):
    """The test's own replay: the amounts (JSON integers) of every posted entry's postings,
    summed per account code."""
    balances = collections.Counter()
    for e in entries:
        if e["kind"] == "ledger":
            for p in e["entry"].get("postings", ()):
                if type(p.get("amount")) is int:
                    balances[p["account"]] += p["amount"]
    return balances


def accounts_answer(entries, change=None, drop=()):
    """GET .../ledger/accounts for the group whose log is entries: the chart (accounts
    never posted to included, with balance 0) with the replayed balances, those named in
    change ({code: balance}) changed, those in drop left out."""
    balances = replayed(entries)
    codes = sorted(set(CHART) | set(balances))
    accounts = []
    for code in codes:
        if code in drop:
            continue
        name, kind = CHART.get(code, ("Capital", "equity"))
        a = {"code": code, "name": name, "type": kind, "balance": balances[code]}
        if code == "sales":
            a["patronage"] = True
        if code in (change or {}):
            a["balance"] = change[code]
        accounts.append(a)
    return {"accounts": accounts}


def appended(entries, *ledger):
    """entries with ledger entries (their "entry" members) appended, sealed by FreeCoop."""
    for le in ledger:
        e = {"group": W.group, "seq": len(entries) + 1, "prev": entries[-1]["hash"],
             "at": "2027-02-01T09:00:00Z", "kind": "ledger", "charter_version": 1,
             "entry": le}
        entries.append(W.coop.seal(e))
    return entries


def posted(postings, memo="Correction", **more):
    """A posted entry by the founder as treasurer."""
    return dict({"id": str(uuid.uuid4()), "date": "2027-02-01", "memo": memo,
                 "postings": [{"account": a, "amount": m} for a, m in postings],
                 "posted_by": W.founder, "authorised_by": {"role": "treasurer"}}, **more)


class Books(Case):
    FLOUR = 4  # the index of the entry posting the flour (seq 5)

    def books(self, entries=None, answer=None, name="accounts.json", with_results=False):
        """verify-log --accounts with the answer (by default, the one entries give)."""
        entries = entries if entries is not None else W.entries
        path = W.write(name, answer if answer is not None else accounts_answer(entries))
        return self.verify(entries, extra=["--accounts", path], with_results=with_results)

    def reversal(self, postings, of=None):
        return posted(postings, memo="Flour, reversed",
                      reverses=(of or W.entries[self.FLOUR])["entry"]["id"])

    def test_the_replay_in_the_test(self):
        """The fixture's balances, by hand: what the replay below must give."""
        capital = "capital:" + W.founder
        self.assertEqual(replayed(W.entries), {"bank": 9007199254740991 - 12050,
                                               capital: -9007199254740991, "supplies": 12050})
        self.assertEqual([a["code"] for a in accounts_answer(W.entries)["accounts"]],
                         ["bank", capital, "reserve", "sales", "supplies"])

    def test_genuine_balances_verify(self):
        self.assertVerified(self.books(with_results=True), None,
                            "ok: the ledger replayed from the log (2 entries) gives the 5 "
                            "balances the server reports",
                            "3 decision results verify")

    def test_without_accounts(self):
        rc, out, err = result = self.verify()
        self.assertVerified(result, None, "note: 2 ledger entries replayed but not compared "
                            "with the server's balances: give --accounts FILE (GET /coop/v1/"
                            "groups/%s/ledger/accounts)" % W.group)
        self.assertNotIn("ok: the ledger", out)

    def test_every_kind_of_ledger_entry(self):
        """An account opened and a patronage record post nothing; an entry posted on a
        decision's authority, right after the decision's entry, is replayed like any."""
        entries = appended(
            self.entries(),
            posted([("bank", -40000), ("supplies", 40000)], memo="A new oven",
                   authorised_by={"decision": W.d3.id}),
            {"account": {"code": "sales", "name": "Sales", "type": "income",
                         "patronage": True}},
            {"patronage": {"id": str(uuid.uuid4()), "person": W.applicant,
                           "date": "2027-02-01", "amount": 2500, "recorded_by": W.founder}})
        self.assertEqual(replayed(entries)["supplies"], 52050)
        self.assertVerified(self.books(entries), entries,
                            "ok: the ledger replayed from the log (3 entries) gives the 5 "
                            "balances the server reports")

    def test_balance_off_by_one(self):
        bank = replayed(W.entries)["bank"]
        err = self.assertFailed(
            self.books(answer=accounts_answer(W.entries, change={"bank": bank + 1})),
            "FAILED: --accounts: account bank: the ledger replayed from the log gives a "
            "balance of %d, but the server reports %d" % (bank, bank + 1))
        self.assertEqual(err.count("FAILED"), 1, err)

    def test_balance_of_an_account_never_posted_to(self):
        err = self.assertFailed(
            self.books(answer=accounts_answer(W.entries, change={"reserve": -1})),
            "FAILED: --accounts: account reserve: the ledger replayed from the log gives a "
            "balance of 0, but the server reports -1")
        self.assertEqual(err.count("FAILED"), 1, err)

    def test_account_posted_to_missing_from_the_answer(self):
        err = self.assertFailed(
            self.books(answer=accounts_answer(W.entries, drop=("supplies",))),
            "FAILED: --accounts: account supplies: the ledger replayed from the log gives a "
            "balance of 12050 (posted to from seq 5), but the server reports no such "
            "account")
        self.assertEqual(err.count("FAILED"), 1, err)

    def test_unbalanced_entry(self):
        """Signed as it is (a server posting an entry that does not balance): only the
        books fail, with the balances the server would then report or without them."""
        entries = self.entries()
        flour = entries[self.FLOUR]["entry"]
        flour["postings"][0]["amount"] = 12051
        reseal(entries, self.FLOUR, W.coop)
        want = ("FAILED: seq 5: ledger entry %s: its postings sum to 1, not 0: it does not "
                "balance (supplies 12051, bank -12050)" % flour["id"])
        for result in (self.verify(entries), self.books(entries)):
            err = self.assertFailed(result, want)
            self.assertEqual(err.count("FAILED"), 1, err)
        # compared with the genuine balances, supplies is off too
        err = self.assertFailed(self.books(entries, accounts_answer(W.entries)), want,
                                "FAILED: --accounts: account supplies: the ledger replayed "
                                "from the log gives a balance of 12051, but the server "
                                "reports 12050")
        self.assertEqual(err.count("FAILED"), 2, err)

    def test_amounts_that_are_not_non_zero_integers(self):
        for amount, shown in ((0, "0"), ("12050", '"12050"'), (None, "null"),
                              (True, "true")):
            with self.subTest(amount=amount):
                entries = self.entries()
                flour = entries[self.FLOUR]["entry"]
                flour["postings"].append({"account": "sales", "amount": amount})
                reseal(entries, self.FLOUR, W.coop)
                err = self.assertFailed(self.books(entries),
                                        "FAILED: seq 5: ledger entry %s: postings[2].amount "
                                        "%s is not a non-zero integer of at most 2^53 - 1 "
                                        "either way" % (flour["id"], shown))
                self.assertEqual(err.count("FAILED"), 1, err)

    def test_postings_that_are_not_postings(self):
        entries = self.entries()
        entries[1]["entry"]["postings"] = []
        entries[self.FLOUR]["entry"]["postings"][1] = {"acount": "bank", "amount": -12050}
        reseal(entries, 1, W.coop)
        err = self.assertFailed(self.verify(entries),
                                "FAILED: seq 2: ledger entry %s: postings [] is not a "
                                "non-empty array" % entries[1]["entry"]["id"],
                                "FAILED: seq 5: ledger entry %s: postings[1] {\"acount\": "
                                "\"bank\", \"amount\": -12050} is not {\"account\": <code>, "
                                "\"amount\": <integer>}" % entries[self.FLOUR]["entry"]["id"])
        self.assertEqual(err.count("FAILED"), 2, err)

    def test_an_entry_posted_twice(self):
        entries = appended(self.entries(), dict(copy.deepcopy(W.entries[self.FLOUR]["entry"]),
                                                date="2027-02-01"))
        err = self.assertFailed(self.verify(entries),
                                "FAILED: seq 7: ledger entry %s: it has the id of the entry "
                                "posted at seq 5: each entry is posted once"
                                % W.entries[self.FLOUR]["entry"]["id"])
        self.assertEqual(err.count("FAILED"), 1, err)

    def test_reversal_verifies(self):
        """The negated postings in another order; the reversed entry and the reversal
        leave supplies at 0, which the server reports."""
        entries = appended(self.entries(),
                           self.reversal([("bank", 12050), ("supplies", -12050)]))
        self.assertEqual(replayed(entries)["supplies"], 0)
        self.assertVerified(self.books(entries), entries,
                            "ok: the ledger replayed from the log (3 entries) gives the 5 "
                            "balances the server reports")
        self.assertVerified(self.verify(entries), entries, "note: 3 ledger entries replayed")

    def test_reversal_reversed(self):
        """A reversal is an entry like any other: it can be reversed, once."""
        entries = appended(self.entries(),
                           self.reversal([("supplies", -12050), ("bank", 12050)]))
        entries = appended(entries, self.reversal([("supplies", 12050), ("bank", -12050)],
                                                  of=entries[-1]))
        self.assertVerified(self.books(entries), entries)

    def test_reversal_that_does_not_negate_exactly(self):
        flour = W.entries[self.FLOUR]["entry"]["id"]
        for postings in ([("supplies", -12000), ("bank", 12000)],
                         [("supplies", -12050), ("cash", 12050)],
                         [("supplies", 12050), ("bank", -12050)],
                         [("supplies", -6025), ("supplies", -6025), ("bank", 12050)]):
            with self.subTest(postings=postings):
                entries = appended(self.entries(), self.reversal(postings))
                err = self.assertFailed(
                    self.verify(entries),
                    "FAILED: seq 7: ledger entry %s: it does not negate the postings of entry "
                    "%s (seq 5) exactly: it posts %s, the negation is supplies -12050, bank "
                    "12050" % (entries[-1]["entry"]["id"], flour,
                               ", ".join("%s %d" % p for p in postings)))
                self.assertEqual(err.count("FAILED"), 1, err)

    def test_reversed_twice(self):
        entries = appended(self.entries(),
                           self.reversal([("supplies", -12050), ("bank", 12050)]),
                           self.reversal([("supplies", -12050), ("bank", 12050)]))
        err = self.assertFailed(self.books(entries),
                                "FAILED: seq 8: ledger entry %s: it reverses entry %s (seq 5), "
                                "already reversed by seq 7: an entry is reversed once"
                                % (entries[-1]["entry"]["id"],
                                   W.entries[self.FLOUR]["entry"]["id"]))
        self.assertEqual(err.count("FAILED"), 1, err)

    def test_reversal_of_no_earlier_entry(self):
        later = posted([("supplies", 500), ("bank", -500)])
        for target in (str(uuid.uuid4()), later["id"], None):
            with self.subTest(target=target):
                r = posted([("supplies", -500), ("bank", 500)], reverses=target)
                entries = appended(self.entries(), r, later)
                err = self.assertFailed(self.verify(entries),
                                        "FAILED: seq 7: ledger entry %s: it reverses %s, which "
                                        "is no entry posted before it in the log"
                                        % (r["id"], json.dumps(target)))
                self.assertEqual(err.count("FAILED"), 1, err)

    def test_answer_that_is_not_an_accounts_answer(self):
        bank = replayed(W.entries)["bank"]
        for answer, want in (
                (b"{\"accounts\": [", "FAILED: --accounts: the accounts file is not JSON"),
                ({"accounts": {}}, "FAILED: --accounts: the accounts file is not an answer "
                                   "of GET .../ledger/accounts"),
                ({"accounts": [{"code": "bank", "balance": float(bank)}]},
                 "FAILED: --accounts: account bank: its balance %.1f is not an integer "
                 "(minor units)" % bank),
                ({"accounts": [{"code": "bank"}]},
                 "FAILED: --accounts: account bank: it has no balance"),
                ({"accounts": [{"balance": bank}]},
                 "FAILED: --accounts: accounts[0] has no code (a string)"),
                ({"accounts": ["bank"]},
                 "FAILED: --accounts: accounts[0] \"bank\" is not an object"),
                (accounts_answer(W.entries)["accounts"] * 2, "FAILED: --accounts: the "
                 "accounts file is not an answer")):
            with self.subTest(answer=answer):
                self.assertFailed(self.books(answer=answer), want)
        answer = accounts_answer(W.entries)
        answer["accounts"].append(dict(answer["accounts"][0]))
        err = self.assertFailed(self.books(answer=answer),
                                "FAILED: --accounts: account bank is listed twice")
        self.assertEqual(err.count("FAILED"), 1, err)

    def test_unreadable_answer(self):
        self.assertFailed(self.verify(extra=["--accounts", W.path("no-such.json")]),
                          "cannot read the accounts file", rc=2)

    def test_help(self):
        rc, out, err = run(["--help"])
        self.assertEqual(rc, 0)
        for f in ("--accounts", "ledger/accounts", " 9. Books", "negate",
                  "but not compared"):
            self.assertIn(f, out)

    def test_every_balance_replaced(self):
        """Any value of the answer replaced: a clear failure, never a crash."""
        import contextlib
        import io
        m = load_script()
        for i, key in ((0, "code"), (0, "balance"), (2, "balance"), (None, "accounts")):
            for value in Robust.VALUES:
                answer = accounts_answer(W.entries)
                if i is None:
                    answer[key] = value
                else:
                    answer["accounts"][i][key] = value
                path = W.write("robust-accounts.json", json.dumps(answer))
                out, err = io.StringIO(), io.StringIO()
                with self.subTest(i=i, key=key, value=value), \
                        contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    rc = m.main(["--log", W.path("log.json"), "--keys", W.path("keys.json"),
                                 "--accounts", path])
                    self.assertIn(rc, (0, 1), err.getvalue())
                    if rc == 1:
                        self.assertIn("FAILED: --accounts: ", err.getvalue())


class Usage(Case):
    def test_results_without_authorities(self):
        rc, out, err = run(["--log", W.path("log.json"), "--keys", W.path("keys.json"),
                            "--results", W.results])
        self.assertEqual(rc, 2, err)
        self.assertIn("--results needs --authorities", err)

    def test_unreadable_log(self):
        rc, out, err = run(["--log", W.path("no-such.json"), "--keys", W.path("keys.json")])
        self.assertEqual(rc, 2, err)
        self.assertIn("cannot read the log", err)

    def test_keys_not_a_jwks(self):
        self.assertFailed(self.verify(keys=W.write("k.json", {"key": []})),
                          "FAILED: FreeCoop's JWKS is not a JWKS")

    def test_help(self):
        rc, out, err = run(["--help"])
        self.assertEqual(rc, 0)
        for f in ("--known-head", "RFC 8785", "proposal-id order", "interleaving",
                  "history was rewritten", "Exit status"):
            self.assertIn(f, out)


def tolerant(body):
    """canon, or Python's JSON for what canon refuses (floats, huge integers)."""
    try:
        return canon(body)
    except (TypeError, AssertionError):
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Robust(Case):
    """Any value of any entry replaced by a value of another type: a clear failure (exit
    1), never a crash. In-process, for speed."""

    VALUES = [None, True, 0, -1, 2 ** 60, "", "x", "0" * 64, [], [None], {}, {"action": 1},
              {"action": {}, "reason": 7}, 1.5]

    def paths(self, value, path=()):
        yield path
        if isinstance(value, dict):
            for k, v in value.items():
                yield from self.paths(v, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from self.paths(v, path + (i,))

    def test_every_value_replaced(self):
        import contextlib
        import io
        m = load_script()
        rng = random.Random(7)
        paths = [p for p in self.paths(W.entries) if len(p) >= 2]
        accounts = W.write("robust-accounts.json", accounts_answer(W.entries))
        for path in rng.sample(paths, min(len(paths), 150)):
            entries = self.entries()
            target = entries
            for p in path[:-1]:
                target = target[p]
            target[path[-1]] = rng.choice(self.VALUES)
            for i in range(path[0], len(entries)):  # re-signed, as a server might
                entries[i]["prev"] = entries[i - 1].get("hash") if i else ZEROS
                W.coop.seal(entries[i], canonical=tolerant)
            log = W.write("robust.json", W.page(entries))
            out, err = io.StringIO(), io.StringIO()
            with self.subTest(path=path), contextlib.redirect_stdout(out), \
                    contextlib.redirect_stderr(err):
                rc = m.main(["--log", log, "--keys", W.path("keys.json"), "--authorities",
                             W.path("authorities.json"), "--results", W.results,
                             "--accounts", accounts])
                self.assertIn(rc, (0, 1), err.getvalue())
                if rc == 1:
                    self.assertIn("FAILED: ", err.getvalue())


class JCS(unittest.TestCase):
    """The script's canonicaliser, and the test's, against RFC 8785."""

    @classmethod
    def setUpClass(cls):
        cls.m = load_script()

    def both(self, text):
        """(the script's JCS of the JSON text, the test's)."""
        mine = canon(json.loads(text))
        return self.m.jcs(self.m.parse_json(text.encode("utf-8"), "test")), mine

    def test_rfc8785_sorting(self):
        """RFC 8785 §3.2.3: names sorted by UTF-16 code units."""
        text = r'''{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }'''
        order = ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis",
                 "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"]
        want = ('{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small '
                'Letter O With Diaeresis","\u20ac":"Euro Sign","\U0001f600":"Emoji: Grinning '
                'Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}')
        for got in self.both(text):
            self.assertEqual(got, want)
            self.assertEqual([v for v in json.loads(got).values()], order)
        # code point order would put the emoji last
        self.assertNotEqual(json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False,
                                       separators=(",", ":")), want)

    def test_rfc8785_strings_and_literals(self):
        """RFC 8785 §3.2.4's example without its numbers (floats, refused here)."""
        text = r'''{
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }'''
        want = r'''{"literals":[null,true,false],"string":"€$\u000f\nA'B\"\\\\\"/"}'''
        for got in self.both(text):
            self.assertEqual(got, want)
        self.assertEqual(self.m.canonical_bytes(json.loads(text)), want.encode("utf-8"))

    def test_rfc8785_numbers_are_refused(self):
        text = '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001]}'
        with self.assertRaises(self.m.NotCanonical) as cm:
            self.m.jcs(self.m.parse_json(text.encode(), "test"))
        self.assertIn("/numbers/0 is a number with a fraction or exponent "
                      "(333333333.33333329)", str(cm.exception))

    def test_controls_and_escapes(self):
        s = "".join(chr(c) for c in range(0x21)) + "\x7f\u2028\u2029\"\\/\U0001d11e"
        text = json.dumps({"s": s, "n": [0, -0, 1, -9007199254740991, 9007199254740991]})
        got, mine = self.both(text)
        self.assertEqual(got, mine)
        self.assertIn(r'"\u0000\u0001', got)
        self.assertIn(r'\b\t\n\u000b\f\r\u000e', got)
        self.assertIn('\x7f\u2028\u2029\\"\\\\/\U0001d11e"', got)
        self.assertIn('[0,0,1,-9007199254740991,9007199254740991]', got)

    def test_nested_and_empty(self):
        text = '{"b": [], "a": {}, "c": [{"z": null, "y": [true]}], "": ""}'
        for got in self.both(text):
            self.assertEqual(got, '{"":"","a":{},"b":[],"c":[{"y":[true],"z":null}]}')

    def test_rfc8037_thumbprint(self):
        """RFC 8037 Appendix A.3: the thumbprint of its Ed25519 key."""
        self.assertEqual(self.m.thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
                         "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")

    def test_the_api_servers_vector(self):
        """The entry, hash and signature of tests/unit/test_glog.c (the api-server's own
        sealing, with RFC 8032 §7.1 TEST 1's key): the same bytes here."""
        text = ('{"group": "6f1c2b7e-2d4a-4c1e-9a53-0b8f3e1d2c4a", "seq": 2, "prev": "%s", '
                '"at": "2026-03-01T10:00:00.000000Z", "kind": "decision", '
                '"charter_version": 1, "decision": "0b1d9f0e-7c55-4a8e-b1a2-c3d4e5f60718", '
                '"result": "%s", "applied": [{"text": "Buy a kettle \\u2615, \\"cheap\\"\\n"}],'
                ' "refused": [{"action": {"person": "x"}, "reason": "not a member"}]}'
                % (ZEROS, "ab" * 32))
        data = self.m.canonical_bytes(self.m.parse_json(text.encode(), "test"))
        self.assertEqual(data.decode("utf-8"), canon(json.loads(text)))
        self.assertEqual(hashlib.sha256(data).hexdigest(),
                         "fd6481b216f6afca312b50608d4bc84bb7e9905734ce9624a2c8ce7683bf6b7d")
        pub = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        sig = self.m.b64url_decode("jEpsfexhu8yt3ZzNkZy25mLWpOzpsygGmBz89gIvqkGEdFEbgVL3SYftTu"
                                   "pOtEuTMxmtGy9t5gHeWdb955jQCA", "signature")
        self.m.Ed25519PublicKey.from_public_bytes(pub).verify(sig, data)  # raises if not
        # RFC 8032's TEST 1 key is RFC 8037 A.3's: its thumbprint, as a FreeCoop kid
        self.assertEqual(self.m.thumbprint(b64url(pub)),
                         "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")

    def test_interleaving(self):
        f = self.m.interleaves
        e = [("a", True), ("b", True), ("c", False)]
        self.assertTrue(f(e, ["a", "b"], ["c"]))
        self.assertTrue(f(e, ["b"], ["a", "c"]))
        self.assertTrue(f(e, [], ["a", "b", "c"]))
        self.assertFalse(f(e, ["a", "b", "c"], []))  # c may not be applied
        self.assertFalse(f(e, ["b", "a"], ["c"]))
        self.assertFalse(f(e, ["a"], ["c", "b"]))
        self.assertTrue(f([("a", True), ("a", True)], ["a"], ["a"]))
        self.assertTrue(f([], [], []))


if __name__ == "__main__":
    unittest.main(verbosity=2)
