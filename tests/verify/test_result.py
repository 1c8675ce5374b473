#!/usr/bin/python3
"""scripts/verify-result against documents made here (docgen): a genuine result verifies,
in the jail and with --reference; each kind of forgery or mistake fails with its own
reason (exit 1); usage and fetch problems exit 2. The count results come from the real
count-worker (FREECOOP_WORKER_BIN). --server mode against the real api-server (genuine
results, 404/409/410) is tested in tests/integration/decisions.test.js; here a deliberately
lying HTTP server checks that the verifier trusts nothing a server says.
"""

import base64
import copy
import hashlib
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree (docgen, the script)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docgen  # noqa: E402
from docgen import b64, sign_jws, verify  # noqa: E402

RAISES = b'''def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    raise ValueError("no quorum: %d ballots" % len(ballots))
'''
LOOPS = b'''def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    n = 0
    while True:
        n += 1
'''
RETURNS_STR = b'''def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return "not bytes"
'''

RETURNS_2000 = b'''def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return b"x" * 2000
'''

W = None  # the World, made once: keys, a plurality decision and its files
TMP = None


def setUpModule():
    global W, TMP
    TMP = tempfile.mkdtemp(prefix="verify-test.")
    W = docgen.World(TMP)


def tearDownModule():
    shutil.rmtree(TMP, ignore_errors=True)


class Case(unittest.TestCase):
    def doc(self):
        return copy.deepcopy(W.doc)

    def jws(self, doc, signer=None, **kw):
        """Writes a JWS of doc signed by signer (the instance) and returns its path."""
        return W.write("case.jws", sign_jws(signer or W.authority, doc, **kw))

    def run_files(self, jws=None, jwks=None, method=None, extra=()):
        args = ["--jws", jws or W.path("result.jws"), "--jwks", jwks or W.path("jwks.json"),
                "--method", method or W.path("method.json")]
        return verify(args + list(extra))

    def assertVerified(self, result, *fragments):
        rc, out, err = result
        self.assertEqual(rc, 0, "did not verify:\n" + out + err)
        self.assertIn("verified: decision", out)
        for f in fragments:
            self.assertIn(f, out)

    def assertFailed(self, result, reason, rc=1):
        code, out, err = result
        self.assertEqual(code, rc, "expected exit %d (%s):\n%s%s" % (rc, reason, out, err))
        self.assertIn("FAILED: ", err)
        self.assertIn(reason, err)
        self.assertNotIn("verified: decision", out)


class Genuine(Case):
    def test_verifies_in_the_jail(self):
        result = self.run_files()
        self.assertVerified(result, "byte for byte", "count-worker --once",
                            '"Where we meet in 2027"', '"invalid": 1')
        self.assertEqual(result[1].count("ok: "), 9, result[1])
        # no ballot payload is printed
        for b in W.inputs["ballots"]:
            self.assertNotIn(b["payload"], result[1] + result[2])

    def test_verifies_with_reference(self):
        self.assertVerified(self.run_files(extra=["--reference"]), "plain CPython",
                            "byte for byte")

    def test_verifies_code_file_with_signature(self):
        sig = W.method["signatures"][0]["signature"]
        self.assertVerified(self.run_files(method=W.path("method.py"), extra=[
            "--signature", "%s:%s" % (W.auditor.kid, sig)]), "signed this exact code")

    def test_verifies_with_matching_decision_id_and_trailing_newline(self):
        with open(W.path("result.jws"), "rb") as f:
            W.write("nl.jws", f.read() + b"\n")
        self.assertVerified(verify([W.decision_id] + W.files(jws="nl.jws")))

    def test_two_auditors_and_decision_metadata(self):
        doc = self.doc()
        doc["method"]["auditors"] = [W.auditor.kid, W.both.kid]
        doc["decision"]["metadata"] = {"group": "bakery"}
        m = W.write("two.json", docgen.method_json(W.code, "plurality", [W.auditor, W.both]))
        self.assertVerified(self.run_files(jws=self.jws(doc), method=m), "bob-both")


class Keys(Case):
    def test_kid_not_in_jwks(self):
        stranger = docgen.Authority("stranger", True, False)
        self.assertFailed(self.run_files(jws=self.jws(self.doc(), stranger)),
                          "is not in the JWKS")

    def test_authority_revoked(self):
        keys = [k for k in W.jwks["keys"] if k["kid"] != W.authority.kid]
        self.assertFailed(self.run_files(jwks=W.write("revoked.json", {"keys": keys})),
                          "is not in the JWKS (unknown, or revoked since)")

    def test_non_authority_key(self):
        self.assertFailed(self.run_files(jws=self.jws(self.doc(), W.auditor)),
                          "is not a decision authority")

    def test_wrong_kid(self):
        # signed by the instance, but naming another decision authority
        self.assertFailed(self.run_files(jws=self.jws(self.doc(),
                                                      kid=W.other_authority.kid)),
                          "signature of the JWS does not verify")

    def test_kid_listed_twice(self):
        keys = W.jwks["keys"] + [W.other_authority.jwk() | {"kid": W.authority.kid}]
        self.assertFailed(self.run_files(jwks=W.write("twice.json", {"keys": keys})),
                          "lists the signing key")

    def test_not_an_ed25519_key(self):
        keys = [k | {"crv": "X25519"} if k["kid"] == W.authority.kid else k
                for k in W.jwks["keys"]]
        self.assertFailed(self.run_files(jwks=W.write("x25519.json", {"keys": keys})),
                          "not an Ed25519 signing key")

    def test_header_not_exact(self):
        for hdr in ({"alg": "none"}, {"crit": ["b64"]}, {"typ": "JWT"},
                    {"cty": "application/json"}):
            with self.subTest(hdr=hdr):
                h = docgen.header(W.authority.kid) | hdr
                self.assertFailed(self.run_files(jws=self.jws(self.doc(), hdr=h)),
                                  "header is not exactly")


class Method(Case):
    def changed_code(self):
        code = bytearray(W.code)
        code[code.index(b"-counts[pid]")] = ord("+")   # most votes last
        return bytes(code)

    def test_code_changed_by_one_byte(self):
        m = dict(W.method, code=self.changed_code().decode())
        self.assertFailed(self.run_files(method=W.write("changed.json", m)),
                          "this is not the code that was counted")

    def test_code_file_changed_by_one_byte(self):
        sig = W.method["signatures"][0]["signature"]
        self.assertFailed(self.run_files(method=W.write("changed.py", self.changed_code()),
                                         extra=["--signature", "%s:%s" % (W.auditor.kid,
                                                                          sig)]),
                          "this is not the code that was counted")

    def test_changed_code_named_in_the_document(self):
        # method.id follows the changed code, but the auditor signed the original
        code = self.changed_code()
        doc = self.doc()
        doc["method"]["id"] = hashlib.sha256(code).hexdigest()
        m = dict(W.method, id=doc["method"]["id"], code=code.decode())
        self.assertFailed(self.run_files(jws=self.jws(doc), method=W.write("c.json", m)),
                          "no valid, unrevoked signature by auditor")

    def test_auditor_is_not_a_code_auditor(self):
        doc = self.doc()
        doc["method"]["auditors"] = [W.other_authority.kid]
        m = W.write("na.json", docgen.method_json(W.code, "plurality",
                                                  [W.other_authority]))
        self.assertFailed(self.run_files(jws=self.jws(doc), method=m),
                          "is not a code auditor")

    def test_auditor_without_signature(self):
        doc = self.doc()
        doc["method"]["auditors"] = [W.auditor.kid, W.both.kid]
        self.assertFailed(self.run_files(jws=self.jws(doc)),
                          "the method has no signature by it")

    def test_auditor_signature_revoked(self):
        m = W.write("rv.json", docgen.method_json(W.code, "plurality", [W.auditor],
                                                  revoked=[W.auditor.kid]))
        self.assertFailed(self.run_files(method=m), "its signature was revoked")

    def test_auditor_key_revoked(self):
        keys = [k for k in W.jwks["keys"] if k["kid"] != W.auditor.kid]
        self.assertFailed(self.run_files(jwks=W.write("ra.json", {"keys": keys})),
                          "auditor %s is not in the JWKS" % W.auditor.kid)

    def test_signature_option_wrong(self):
        other = b64(W.auditor.sign(self.changed_code()))
        self.assertFailed(self.run_files(method=W.path("method.py"), extra=[
            "--signature", "%s:%s" % (W.auditor.kid, other)]),
            "no valid, unrevoked signature by auditor")


class Payload(Case):
    def test_version_2(self):
        doc = self.doc()
        doc["version"] = 2
        self.assertFailed(self.run_files(jws=self.jws(doc)), "not a version 1")

    def test_member_missing_or_unexpected(self):
        for path, change, reason in (
                ("runtime", None, "has no runtime"),
                ("inputs", {"weights": []}, "unexpected members: weights"),
                ("outcome", {"error": "exception"}, "unexpected members: error"),
                ("method", {"code": "x"}, "unexpected members: code")):
            with self.subTest(path=path):
                doc = self.doc()
                if change is None:
                    del doc[path]
                else:
                    doc[path].update(change)
                self.assertFailed(self.run_files(jws=self.jws(doc)), reason)

    def test_hash_seed(self):
        doc = self.doc()
        doc["runtime"]["hash_seed"] = 1
        self.assertFailed(self.run_files(jws=self.jws(doc)), "hash_seed is not 0")

    def test_duplicate_member(self):
        body = json.dumps(self.doc(), separators=(",", ":")).encode()
        body = body.replace(b'{"version":1,', b'{"version":1,"version":1,', 1)
        self.assertFailed(self.run_files(jws=self.jws(body)), "duplicate member 'version'")

    def test_not_canonical_base64(self):
        doc = self.doc()
        doc["inputs"]["ballots"][0]["payload"] += "\n"
        self.assertFailed(self.run_files(jws=self.jws(doc)), "is not base64")
        doc = self.doc()
        doc["outcome"]["result"] = doc["outcome"]["result"][:-4] + "AB=="   # spare bits set
        self.assertFailed(self.run_files(jws=self.jws(doc)), "outcome.result is not canonical")

    def test_counted_before_voting_closed(self):
        doc = self.doc()
        doc["counted_at"] = "2026-11-23T09:00:00.4Z"
        self.assertFailed(self.run_files(jws=self.jws(doc)), "counted_at is before")

    def test_other_decision(self):
        self.assertFailed(verify(["9d6f2d4e-5a38-4a43-9d5e-2b3e0f0a7c11"] + W.files()),
                          "this is the result of decision %s" % W.decision_id)


class Inputs(Case):
    def test_ballots_reordered(self):
        doc = self.doc()
        b = doc["inputs"]["ballots"]
        b[0], b[1] = b[1], b[0]
        self.assertFailed(self.run_files(jws=self.jws(doc)), "inputs.ballots (by id) is not "
                                                             "sorted")

    def test_proposals_reordered(self):
        doc = self.doc()
        doc["inputs"]["proposals"].reverse()
        self.assertFailed(self.run_files(jws=self.jws(doc)), "inputs.proposals (by id) is "
                                                             "not sorted")

    def test_pseudonyms_reordered_or_duplicated(self):
        doc = self.doc()
        doc["inputs"]["voter_franchise"].reverse()
        self.assertFailed(self.run_files(jws=self.jws(doc)), "voter_franchise is not sorted")
        doc = self.doc()
        v = doc["inputs"]["voter_franchise"]
        v.insert(1, v[0])
        self.assertFailed(self.run_files(jws=self.jws(doc)),
                          "inputs.voter_franchise holds %s twice" % v[0])

    def test_pseudonym_not_lowercase_hex(self):
        doc = self.doc()
        p = doc["inputs"]["participants"]
        upper = p.pop().upper()
        p.append(upper)
        p.sort()
        self.assertFailed(self.run_files(jws=self.jws(doc)),
                          "inputs.participants holds %s, not a pseudonym" % upper)

    def test_raw_account_id_as_proposer(self):
        doc = self.doc()
        doc["inputs"]["proposals"][0]["proposer"] = "6c1c7a40-58f2-4d3c-9c8e-0c6a1b2d3e4f"
        self.assertFailed(self.run_files(jws=self.jws(doc)), "proposer holds 6c1c7a40")

    def test_participants_and_ballots_disagree(self):
        doc = self.doc()
        doc["inputs"]["participants"].pop()
        self.assertFailed(self.run_files(jws=self.jws(doc)), "9 ballots but 8 participants")

    def test_participant_outside_voter_franchise(self):
        doc = self.doc()
        doc["inputs"]["voter_franchise"] = doc["inputs"]["voter_franchise"][:1]
        self.assertFailed(self.run_files(jws=self.jws(doc)), "outside the voter franchise")

    def test_proposer_outside_proposer_franchise(self):
        doc = self.doc()
        doc["inputs"]["proposer_franchise"] = []
        self.assertFailed(self.run_files(jws=self.jws(doc)), "outside the proposer franchise")


class Outcome(Case):
    def changed_result(self):
        doc = self.doc()
        result = json.loads(base64.b64decode(doc["outcome"]["result"]))
        result["invalid"] = 0
        doc["outcome"]["result"] = b64(json.dumps(result, sort_keys=True,
                                                  separators=(",", ":")).encode())
        return doc

    def test_outcome_changed(self):
        self.assertFailed(self.run_files(jws=self.jws(self.changed_result())),
                          "gives other bytes than outcome.result")

    def test_outcome_changed_reference(self):
        self.assertFailed(self.run_files(jws=self.jws(self.changed_result()),
                                         extra=["--reference"]),
                          "gives other bytes than outcome.result")

    def test_ballot_changed(self):
        # a ballot's payload swapped for a valid vote: the signature and the order hold
        doc = self.doc()
        doc["inputs"]["ballots"][0]["payload"] = b64(json.dumps(
            {"choice": doc["inputs"]["proposals"][0]["id"]}).encode())
        self.assertFailed(self.run_files(jws=self.jws(doc)), "gives other bytes")

    def test_claims_success(self):
        # a method that raises, published as if it had produced a result
        doc = docgen.payload(W.decision_id, RAISES, "raises", [W.auditor], W.inputs,
                             ("ok", b'{"adopted":[]}'))
        m = W.write("raises-ok.json", docgen.method_json(RAISES, "raises", [W.auditor]))
        self.assertFailed(self.run_files(jws=self.jws(doc), method=m),
                          "the document says the count succeeded, but the re-count with "
                          "count-worker --once")

    def test_claims_an_error(self):
        doc = self.doc()
        doc["outcome"] = {"status": "error", "error": "exception", "message": "ValueError"}
        self.assertFailed(self.run_files(jws=self.jws(doc)),
                          "the document says the count failed (exception), but the re-count")


class ErrorDocuments(Case):
    """Documents of decisions whose count failed (the api-server signs those too)."""

    def error_case(self, code, outcome, name):
        doc = docgen.payload(W.decision_id, code, name, [W.auditor], W.inputs, outcome)
        m = W.write(name + ".json", docgen.method_json(code, name, [W.auditor]))
        return self.jws(doc), m

    def test_exception(self):
        outcome = docgen.count(RAISES, W.inputs)
        self.assertEqual(outcome, ("error", "exception", "ValueError: no quorum: 9 ballots "
                                                         "(line 2)"))
        jws, m = self.error_case(RAISES, outcome, "raises")
        self.assertVerified(self.run_files(jws=jws, method=m),
                            "fails the same way: exception", "the count failed: exception")
        self.assertVerified(self.run_files(jws=jws, method=m, extra=["--reference"]),
                            "fails the same way: exception")

    def test_bad_result(self):
        outcome = docgen.count(RETURNS_STR, W.inputs)
        self.assertEqual(outcome[:2], ("error", "bad_result"))
        jws, m = self.error_case(RETURNS_STR, outcome, "str")
        self.assertVerified(self.run_files(jws=jws, method=m), "fails the same way")
        self.assertVerified(self.run_files(jws=jws, method=m, extra=["--reference"]),
                            "fails the same way: bad_result")

    def test_timeout_depends_on_limits(self):
        outcome = docgen.count(LOOPS, W.inputs, "--cpu-ms", "200")
        self.assertEqual(outcome[:2], ("error", "timeout"))
        jws, m = self.error_case(LOOPS, outcome, "loops")
        for extra in ([], ["--reference"]):
            self.assertVerified(self.run_files(jws=jws, method=m,
                                               extra=["--cpu-ms", "200"] + extra),
                                "fails the same way: timeout", "depends on the limits")

    def test_result_limit(self):
        outcome = docgen.count(RETURNS_2000, W.inputs, "--result-max", "1000")
        self.assertEqual(outcome[:2], ("error", "bad_result"))
        jws, m = self.error_case(RETURNS_2000, outcome, "big")
        self.assertVerified(self.run_files(jws=jws, method=m, extra=["--result-max", "1000"]),
                            "fails the same way: bad_result")
        # under the api-server's default limit (1 MiB) the count succeeds
        result = self.run_files(jws=jws, method=m)
        self.assertFailed(result, "succeeded (2000 bytes); whether a count ends in timeout or "
                                  "memory (or bad_result, for a large result) depends on the "
                                  "limits")
        self.assertIn("this re-count ran with --cpu-ms 60000 --memory-mb 2048 --result-max "
                      "1048576 --wall-ms 120000", result[2])

    def test_wrong_kind(self):
        jws, m = self.error_case(RAISES, ("error", "timeout", "the method exceeded its CPU "
                                          "time limit of 60000 ms"), "raises2")
        self.assertFailed(self.run_files(jws=jws, method=m),
                          "failed with timeout, the re-count with count-worker --once")
        self.assertFailed(self.run_files(jws=jws, method=m), "depends on the limits")

    def test_method_succeeds(self):
        jws, m = self.error_case(W.code, ("error", "memory", "the job was killed"), "p2")
        self.assertFailed(self.run_files(jws=jws, method=m),
                          "the document says the count failed (memory), but the re-count")

    def test_memory_needs_the_jail(self):
        jws, m = self.error_case(W.code, ("error", "memory", "the job was killed"), "p3")
        self.assertFailed(self.run_files(jws=jws, method=m, extra=["--reference"]),
                          "cannot be reproduced by --reference", rc=2)


class Usage(Case):
    def test_usage(self):
        for args in ([], ["--server", "http://127.0.0.1:9"],
                     ["x", "--server", "ftp://example.org"],
                     ["--jws", "a", "--jwks", "b"], ["--cpu-ms", "0"] + W.files(),
                     ["--signature", "nocolon"] + W.files()):
            with self.subTest(args=args):
                rc, out, err = verify(args)
                self.assertEqual(rc, 2, err)
                self.assertIn("usage:", err)

    def test_missing_file(self):
        self.assertFailed(self.run_files(jwks=W.path("nope.json")), "cannot read the JWKS",
                          rc=2)

    def test_code_file_without_signature(self):
        self.assertFailed(self.run_files(method=W.path("method.py")),
                          "--signature KID:BASE64", rc=2)

    def test_no_worker(self):
        rc, out, err = verify(W.files() + ["--worker", W.path("no-such-worker")])
        self.assertEqual(rc, 2, err)
        self.assertIn("no count-worker found", err)


class LyingServer(http.server.BaseHTTPRequestHandler):
    """Serves whatever a test puts in routes: the verifier's threat model is a server that
    lies (another decision's result, its own JWKS), which the real api-server never does."""
    routes = {}

    def do_GET(self):
        status, ctype, body = self.routes.get(self.path, (404, "application/problem+json",
                                                          b'{"detail":"no such thing"}'))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class ServerMode(Case):
    """--server against a server that serves what the test chooses at the API's paths."""

    @classmethod
    def setUpClass(cls):
        cls.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LyingServer)
        cls.url = "http://127.0.0.1:%d" % cls.httpd.server_address[1]
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.httpd.shutdown()
        cls.httpd.server_close()

    def serve(self, decision_id):
        def read(name):
            with open(W.path(name), "rb") as f:
                return f.read()
        LyingServer.routes = {
            "/v1/decisions/%s/result" % decision_id:
                (200, "application/jose", read("result.jws")),
            "/v1/authorities": (200, "application/json", read("jwks.json")),
            "/v1/voting-methods/%s" % W.doc["method"]["id"]:
                (200, "application/json", read("method.json"))}

    def test_server_serves_another_decision(self):
        self.serve("9d6f2d4e-5a38-4a43-9d5e-2b3e0f0a7c11")
        self.assertFailed(verify(["9d6f2d4e-5a38-4a43-9d5e-2b3e0f0a7c11", "--server",
                                  self.url]),
                          "this is the result of decision %s" % W.decision_id)

    def test_pinned_jwks_overrides_the_servers(self):
        self.serve(W.decision_id)
        keys = [k for k in W.jwks["keys"] if k["kid"] != W.authority.kid]
        self.assertFailed(verify([W.decision_id, "--server", self.url, "--jwks",
                                  W.write("pinned.json", {"keys": keys})]),
                          "is not in the JWKS")

    def test_unreachable(self):
        self.assertFailed(verify([W.decision_id, "--server", "http://127.0.0.1:9"]),
                          "cannot fetch the result", rc=2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
