"""Helpers of the method-library suites: count a method's inputs in the real jail
(`count-worker --once`), with plain CPython (tests/sandbox/reference.py, as a verifier
does), or in this process, and check that the ways agree.

Environment:
  FREECOOP_WORKER_BIN   the count-worker binary (required for the jail)
  FREECOOP_METHODS_DIR  the methods under test (default: count-worker/methods); point it at
                        a deliberately broken copy to see the suites fail
"""

import base64
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REFERENCE = os.path.join(ROOT, "tests", "sandbox", "reference.py")
METHODS_DIR = os.environ.get("FREECOOP_METHODS_DIR") or os.path.join(ROOT, "count-worker",
                                                                        "methods")
# Debian's CPython 3.11, the worker's interpreter line (not a pyenv python3 on PATH).
PYTHON = "/usr/bin/python3"

sys.path.insert(0, os.path.dirname(REFERENCE))
import reference  # noqa: E402  (tests/sandbox/reference.py: the verifier's plain runner)

# Counts in this process must see the hash seed the worker uses (0): a driver started
# without it starts again with it, before it makes anything that would need cleaning up.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.execve(sys.executable, [sys.executable] + sys.argv,
              dict(os.environ, PYTHONHASHSEED="0"))

_tmp = tempfile.TemporaryDirectory(prefix="fc-methods-")
TMP = _tmp.name


def worker_bin():
    path = os.environ.get("FREECOOP_WORKER_BIN")
    if not path or not os.access(path, os.X_OK):
        sys.exit("FREECOOP_WORKER_BIN must name the count-worker binary (got %r)" % path)
    return path


def method_path(name):
    return os.path.join(METHODS_DIR, name + ".py")


def variant(name, old, new):
    """A copy of method `name` with the parameter line `old` replaced by `new` (e.g.
    "SEATS = 2" -> "SEATS = 3"): another method, as a different parameter makes one.
    Returns its path."""
    with open(method_path(name), encoding="utf-8") as f:
        source = f.read()
    if source.count(old + "\n") != 1:
        raise AssertionError("%s.py has no single line %r" % (name, old))
    path = os.path.join(TMP, "%s-%s.py" % (name, new.replace(" ", "").replace("/", "_")))
    # Cases run on threads and each asks for its variant: written aside, then renamed
    # into place, so no thread ever reads a file another is still writing.
    tmp = "%s.%d" % (path, threading.get_ident())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(source.replace(old + "\n", new + "\n"))
    os.replace(tmp, path)
    return path


def payload_bytes(p):
    """A ballot payload: bytes as they are, anything else as compact JSON."""
    if isinstance(p, bytes):
        return p
    return json.dumps(p, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def inputs(proposal_ids, payloads, participants=(), voter_franchise=()):
    """The inputs object of a result document (DESIGN §7): proposals with empty payloads,
    ballots with ids b000000, b000001, ... in payload order."""
    return {
        "proposals": [{"id": pid, "proposer": "", "payload": ""}
                      for pid in sorted(proposal_ids)],
        "ballots": [{"id": "b%06d" % i,
                     "payload": base64.b64encode(payload_bytes(p)).decode("ascii")}
                    for i, p in enumerate(payloads)],
        "participants": sorted(participants),
        "proposer_franchise": [],
        "voter_franchise": sorted(voter_franchise),
    }


def _write_inputs(doc):
    fd, path = tempfile.mkstemp(suffix=".json", dir=TMP)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return path


def _base64_stdout(cmd, what, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    if r.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (what, r.returncode, r.stderr.strip()))
    return base64.b64decode(r.stdout.strip(), validate=True)


def jail(method_file, doc):
    """The result bytes of `count-worker --once` (the real jail)."""
    path = _write_inputs(doc)
    try:
        return _base64_stdout([worker_bin(), "--once", "--method", method_file,
                               "--inputs", path], "count-worker --once %s" % method_file)
    finally:
        os.unlink(path)


def plain(method_file, doc):
    """The result bytes of reference.py under Debian's python3 with PYTHONHASHSEED=0."""
    path = _write_inputs(doc)
    try:
        env = dict(os.environ, PYTHONHASHSEED="0")
        return _base64_stdout([PYTHON, REFERENCE, method_file, path],
                              "reference.py %s" % method_file, env)
    finally:
        os.unlink(path)


def count_both(method_file, doc):
    """Counts in the jail and with plain Python; they must give the same bytes. Returns
    them."""
    got = jail(method_file, doc)
    want = plain(method_file, doc)
    if got != want:
        raise AssertionError("%s: the jail and plain Python differ:\n  jail:  %s\n  plain: %s"
                             % (os.path.basename(method_file), got[:400], want[:400]))
    return got


class InProcess:
    """A method run in this process with the globals reference.py gives it: for the many
    extra seeded cases that need no jail (every suite also runs some through the jail)."""

    def __init__(self, method_file):
        with open(method_file, encoding="utf-8") as f:
            source = f.read()
        self.globals = reference.method_globals(reference.DEFAULT_LIBRARIES.split())
        exec(compile(source, method_file, "exec"), self.globals)

    def count(self, doc):
        path = _write_inputs(doc)
        try:
            sets = reference.load_inputs(path)
        finally:
            os.unlink(path)
        result = self.globals["count"](*sets)
        assert type(result) is bytes, type(result)
        return result


def parallel(fn, items):
    """fn over items on every CPU (each call mostly waits for child processes); results
    in order. The first exception is raised."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(fn, items))
