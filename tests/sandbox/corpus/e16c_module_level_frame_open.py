# attack: E16c module-level frame walk: a generator consumed by collections.Counter at
#         import time reaches the collections module's real builtins -> open() a file.
# expect: error sandbox_violation

_found = []


def _gen():
    _found.append(_g.gi_frame.f_back.f_globals)
    yield 1


_g = _gen()
collections.Counter(_g)
_b = _found[0]["__builtins__"]
_b = _b if isinstance(_b, dict) else _b.__dict__
_b["open"]("@MARK@-e16c", "w").close()


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return b"escaped"
