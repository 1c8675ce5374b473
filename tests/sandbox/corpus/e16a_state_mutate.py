# attack: E16a (job 1 of 2) leave state behind for the next job: mutate the real builtins,
#         the method builtins, library modules (collections, math.pi, Counter methods,
#         json.dumps), sys.modules, the recursion limit, the Proposal class and the shared
#         random generator — at module level and in count().
# expect: result mutated
# The next job (e16a_state_check) must see none of it.

_real = collections.__builtins__
_real = _real if isinstance(_real, dict) else _real.__dict__
_real["PWNED"] = "module level"
_real["sorted"] = lambda *a, **k: ["pwned"]
__builtins__["len"] = lambda x: -1
collections.PWNED = True
math.pi = 3


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    sys = fractions.sys
    collections.Counter.most_common = lambda self, n=None: [("pwned", 1)]
    collections.ChainMap.PWNED = True
    json.dumps = lambda *a, **k: "pwned"
    sys.modules["PWNED"] = collections
    sys.modules["json"] = collections
    sys.setrecursionlimit(40)
    Proposal.PWNED = True
    Ballot.__repr__ = lambda self: "pwned"
    fractions.Fraction.__add__ = lambda a, b: 0
    functools.reduce = lambda *a: "pwned"
    for _ in range(1000):
        statistics.random.random()
    statistics.random.seed(12345)
    return b"mutated"
