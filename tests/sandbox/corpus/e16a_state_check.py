# attack: E16a (job 2 of 2) look for the state e16a_state_mutate left in its job.
# after: e16a_state_mutate.py
# expect: result none
# Returns b'none' when nothing carried over, else the list of what did.


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    sys = fractions.sys
    found = []
    real = collections.__builtins__
    real = real if isinstance(real, dict) else real.__dict__
    if "PWNED" in real:
        found.append("real builtins PWNED")
    if real["sorted"]([2, 1]) != [1, 2]:
        found.append("real builtins sorted")
    if len("abc") != 3 or "PWNED" in __builtins__:
        found.append("method builtins")
    if hasattr(collections, "PWNED") or hasattr(collections.ChainMap, "PWNED"):
        found.append("collections")
    if math.pi != 3.141592653589793:
        found.append("math.pi")
    if collections.Counter("aab").most_common() != [("a", 2), ("b", 1)]:
        found.append("Counter.most_common")
    if json.dumps([1]) != "[1]" or sys.modules.get("json") is not json:
        found.append("json")
    if "PWNED" in sys.modules:
        found.append("sys.modules")
    if sys.getrecursionlimit() <= 40:
        found.append("recursion limit %d" % sys.getrecursionlimit())
    if hasattr(Proposal, "PWNED") or repr(Ballot("b", b"")) != "Ballot(id='b', payload=b'')":
        found.append("Proposal/Ballot")
    if fractions.Fraction(1, 2) + fractions.Fraction(1, 2) != 1:
        found.append("Fraction")
    if functools.reduce(lambda a, b: a + b, [1, 2, 3]) != 6:
        found.append("functools.reduce")
    # SPEC: the worker seeds random with 0 in every job.
    if statistics.random.random() != 0.8444218515250481:
        found.append("random state")
    return ("; ".join(found) or "none").encode()
