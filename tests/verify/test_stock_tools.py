#!/usr/bin/python3
"""The README's stock-tools verification (openssl, base64, sha256sum, python3, and
count-worker --once or reference.py), as tests/verify/stock-tools.sh runs it: a genuine
result passes; a changed payload, method, result or input order stops it."""

import base64
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree (docgen, the script)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docgen  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stock-tools.sh")


class StockTools(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="verify-stock.")
        cls.w = docgen.World(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_steps(self, recount=None, jws=None, method=None):
        """stock-tools.sh in a fresh directory with the World's files, jws and method
        replaced if given: (exit status, output)."""
        d = tempfile.mkdtemp(dir=self.tmp)
        for name in ("result.jws", "jwks.json", "method.json"):
            shutil.copy(self.w.path(name), d)
        if jws is not None:
            with open(os.path.join(d, "result.jws"), "wb") as f:
                f.write(jws)
        if method is not None:
            with open(os.path.join(d, "method.json"), "w") as f:
                json.dump(method, f)
        r = subprocess.run(["sh", SCRIPT, d, recount or docgen.worker_bin()],
                           capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout + r.stderr

    def signed(self, change):
        doc = copy.deepcopy(self.w.doc)
        change(doc)
        return docgen.sign_jws(self.w.authority, doc)

    def assertStops(self, result, message):
        rc, out = result
        self.assertNotEqual(rc, 0, out)
        self.assertNotIn("the result is reproduced", out)
        self.assertIn(message, out)

    def test_genuine(self):
        for recount in (None, "--reference"):
            with self.subTest(recount=recount):
                rc, out = self.run_steps(recount)
                self.assertEqual(rc, 0, out)
                self.assertEqual(out.count("Signature Verified Successfully"), 2, out)
                self.assertIn("method.py: OK", out)
                self.assertIn("the result is reproduced", out)

    def test_payload_changed(self):
        h, p, s = self.w.jws_parts()
        doc = base64.urlsafe_b64decode(p + b"=" * (-len(p) % 4)).replace(b"Where", b"Wh3re")
        tampered = b".".join([h, docgen.b64url(doc).encode(), s])
        self.assertStops(self.run_steps(jws=tampered), "Signature Verification Failure")

    def test_method_changed(self):
        code = self.w.code.replace(b"-counts[pid]", b"+counts[pid]")
        self.assertStops(self.run_steps(method=dict(self.w.method, code=code.decode())),
                         "method.py: FAILED")

    def test_auditor_signature_of_other_code(self):
        code = self.w.code.replace(b"-counts[pid]", b"+counts[pid]")
        m = copy.deepcopy(self.w.method)
        m["signatures"][0]["signature"] = docgen.b64(self.w.auditor.sign(code))
        self.assertStops(self.run_steps(method=m), "Signature Verification Failure")

    def test_result_changed(self):
        def change(doc):
            r = json.loads(base64.b64decode(doc["outcome"]["result"]))
            r["invalid"] = 0
            doc["outcome"]["result"] = docgen.b64(json.dumps(r).encode())
        self.assertStops(self.run_steps(jws=self.signed(change)),
                         "claimed.b64 recount.b64 differ")

    def test_inputs_reordered(self):
        def change(doc):
            doc["inputs"]["ballots"].reverse()
        self.assertStops(self.run_steps(jws=self.signed(change)), "AssertionError")


def commands(lines):
    """The lines that run something: no comments, no blank lines, no curl."""
    return [ln.rstrip() for ln in lines
            if ln.strip() and not ln.lstrip().startswith(("#", "curl "))]


def readme_steps(path):
    """The check steps of README's stock-tools block (from unb64url to claimed.b64), or
    None when the README has no such section."""
    with open(path) as f:
        text = f.read()
    if "### With stock tools only" not in text:
        return None
    block = text.split("### With stock tools only", 1)[1].split("```sh\n", 1)[1]
    lines = block.split("\n```", 1)[0].splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("unb64url()"))
    end = next(i for i, ln in enumerate(lines) if "> claimed.b64" in ln)
    return commands(lines[start:end + 1])


def script_steps():
    with open(SCRIPT) as f:
        text = f.read()
    region = text.split("# --- README steps start", 1)[1].split("# --- README steps end")[0]
    return commands(region.splitlines()[1:])


class Readme(unittest.TestCase):
    def test_readme_runs_these_steps(self):
        steps = readme_steps(os.path.join(docgen.ROOT, "README.md"))
        if steps is None:
            self.skipTest("README.md has no stock-tools section")
        self.assertEqual(steps, script_steps())


if __name__ == "__main__":
    unittest.main(verbosity=2)
