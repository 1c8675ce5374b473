#!/usr/bin/python3
"""Reference runner: counts with plain CPython, the way a verifier does (DESIGN §7).

    PYTHONHASHSEED=0 /usr/bin/python3 reference.py METHOD_FILE INPUTS_JSON
                                                    [--libraries "json math ..."]

METHOD_FILE is a voting method (UTF-8 source defining count, DESIGN §4). INPUTS_JSON is the
`inputs` object of a result document, or a whole document payload that contains one:
    {"proposals": [{"id", "proposer", "payload": base64}], "ballots": [{"id", "payload"}],
     "participants": [...], "proposer_franchise": [...], "voter_franchise": [...]}
Prints the bytes count() returns as standard base64 and a newline, like
`count-worker --once`. Use Debian's /usr/bin/python3 (3.11, the worker's interpreter line).

This is NOT a sandbox: the method runs with full builtins and no limits. Run only audited
methods with it. It exists so that a worker's result can be compared with plain Python.
"""

import argparse
import base64
import json
import os
import sys
from collections import namedtuple

# The allowed libraries of the worker when it is not configured otherwise (SPEC, serve mode).
DEFAULT_LIBRARIES = "json math fractions itertools functools collections statistics heapq bisect operator"

# The named tuples of the count contract (DESIGN §4).
Proposal = namedtuple("Proposal", "id proposer payload")
Ballot = namedtuple("Ballot", "id payload")


def require_hash_seed_0():
    """Set iteration order depends on the hash seed: the worker uses 0. If this process
    was started with another seed (or none), run it again with PYTHONHASHSEED=0."""
    if os.environ.get("PYTHONHASHSEED") == "0" and not sys.flags.hash_randomization:
        return
    if os.environ.get("PYTHONHASHSEED") == "0":
        sys.exit("reference.py: PYTHONHASHSEED=0 is set but hash randomization is on")
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def frozen(elements, key=None):
    """A frozenset built by inserting the elements in sorted order: with a fixed hash
    seed its iteration order then depends only on its contents."""
    return frozenset(sorted(elements, key=key))


def load_inputs(path):
    with open(path, "rb") as f:
        doc = json.loads(f.read().decode("utf-8"))
    inputs = doc["inputs"] if "inputs" in doc else doc
    proposals = [Proposal(p["id"], p["proposer"], base64.b64decode(p["payload"], validate=True))
                 for p in inputs.get("proposals", [])]
    ballots = [Ballot(b["id"], base64.b64decode(b["payload"], validate=True))
               for b in inputs.get("ballots", [])]
    # The argument order of count(): proposals, ballots, participants, proposer_franchise,
    # voter_franchise. Proposals and ballots are sorted by id, pseudonyms as strings.
    return (frozen(proposals, key=lambda p: p.id),
            frozen(ballots, key=lambda b: b.id),
            frozen(inputs.get("participants", [])),
            frozen(inputs.get("proposer_franchise", [])),
            frozen(inputs.get("voter_franchise", [])))


def method_globals(libraries):
    """The names a method starts with: each allowed library, Proposal, Ballot and
    __name__ (the worker also restricts __builtins__; that changes no correct result)."""
    g = {"__name__": "__method__", "Proposal": Proposal, "Ballot": Ballot}
    for name in libraries:
        g[name] = __import__(name)
    # statistics imports random: the worker seeds its shared generator with 0 in every job.
    if "random" in sys.modules:
        sys.modules["random"].seed(0)
    return g


def main():
    require_hash_seed_0()
    ap = argparse.ArgumentParser(description="Count with plain CPython (see module doc).")
    ap.add_argument("method")
    ap.add_argument("inputs")
    ap.add_argument("--libraries", default=DEFAULT_LIBRARIES,
                    help="allowed libraries, space or comma separated")
    args = ap.parse_args()

    libraries = args.libraries.replace(",", " ").split()
    with open(args.method, "rb") as f:
        source = f.read().decode("utf-8")
    sets = load_inputs(args.inputs)
    g = method_globals(libraries)

    exec(compile(source, args.method, "exec"), g)
    result = g["count"](*sets)
    if type(result) is not bytes:
        sys.exit("reference.py: count returned %s, not bytes" % type(result).__name__)
    sys.stdout.write(base64.b64encode(result).decode("ascii") + "\n")


if __name__ == "__main__":
    main()
