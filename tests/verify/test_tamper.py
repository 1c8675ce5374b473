#!/usr/bin/python3
"""Flipping any single byte of a genuine result JWS makes scripts/verify-result fail.

Every position of the JWS (header, both dots, payload, signature) is changed two ways:
XOR 0x01 (often another base64url character) and XOR 0x20 (swaps a letter's case: still
base64url, so the change reaches the signature check); every 7th position also XOR 0x80
(not ASCII). Each of these ~12,000 variants runs through the script in this process (a
subprocess each would take half an hour); a spread sample also runs as a subprocess. The last signature character is also replaced by each of
the 64 base64url characters: its low bits are padding, so a lax decoder would accept
several spellings of the same signature. In process, the options are parsed once and the
JWS comes from memory: the script's own argument parsing and file reading are what the
subprocess sample and test_verify_result exercise.
"""

import contextlib
import importlib.machinery
import importlib.util
import io
import os
import shutil
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree (docgen, the script)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docgen  # noqa: E402

MASKS = (0x01, 0x20)  # at every position
NON_ASCII, NON_ASCII_EVERY = 0x80, 7
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def load_script():
    loader = importlib.machinery.SourceFileLoader("verify_result", docgen.SCRIPT)
    spec = importlib.util.spec_from_loader("verify_result", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


class Tamper(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="verify-tamper.")
        cls.w = docgen.World(cls.tmp)
        with open(cls.w.path("result.jws"), "rb") as f:
            cls.jws = f.read()
        cls.vr = load_script()
        cls.args = cls.vr.parse_args(["--worker", docgen.worker_bin(), "--jws", "JWS",
                                      "--jwks", cls.w.path("jwks.json"), "--method",
                                      cls.w.path("method.json")])
        # the script's reading of files, with the JWS under test in memory
        read, cls.variant = cls.vr.read, None
        cls.vr.read = lambda path, what: cls.variant if path == "JWS" else read(path, what)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def main(self, jws):
        """The script on jws, in this process: (exit status, stdout, stderr)."""
        type(self).variant = jws
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = self.vr.run(self.args)
        return rc, out.getvalue(), err.getvalue()

    def test_genuine_passes_in_process(self):
        rc, out, err = self.main(self.jws)
        self.assertEqual(rc, 0, out + err)

    def test_every_byte_flipped(self):
        h, p, _ = self.jws.split(b".")
        passed, tried = [], 0
        for i in range(len(self.jws)):
            for mask in MASKS + ((NON_ASCII,) if i % NON_ASCII_EVERY == 0 else ()):
                bad = bytearray(self.jws)
                bad[i] ^= mask
                rc, out, err = self.main(bytes(bad))
                tried += 1
                if rc != 1 or not err.startswith("FAILED: "):
                    passed.append((i, mask, rc, err.strip()[:100]))
        # header, payload and signature all covered
        self.assertGreater(len(h), 50)
        self.assertGreater(len(p), 1000)
        self.assertGreater(tried, 2 * len(self.jws))
        self.assertEqual(passed, [], "%d of %d one-byte changes did not fail (position, "
                                     "mask, exit, stderr)" % (len(passed), tried))

    def test_last_signature_character(self):
        accepted = []
        for c in ALPHABET:
            rc, out, err = self.main(self.jws[:-1] + c.encode())
            if rc == 0:
                accepted.append(c)
        self.assertEqual(accepted, [chr(self.jws[-1])],
                         "spellings of the signature's last character that verify")

    def test_flips_as_subprocess(self):
        """The same, end to end, at ~20 positions spread over the parts and the dots."""
        dots = [i for i, c in enumerate(self.jws) if c == ord(".")]
        n = len(self.jws)
        positions = sorted(set([0, 1, n - 2, n - 1] + dots + [d - 1 for d in dots] +
                               [d + 1 for d in dots] + list(range(3, n, n // 6))))
        for i in positions:
            bad = bytearray(self.jws)
            bad[i] ^= 0x01
            path = self.w.write("s.jws", bytes(bad))
            with self.subTest(position=i):
                rc, out, err = docgen.verify(["--jws", path, "--jwks",
                                              self.w.path("jwks.json"), "--method",
                                              self.w.path("method.json")])
                self.assertEqual(rc, 1, out + err)
                self.assertTrue(err.startswith("FAILED: "), err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
