# attack: E11b C-stack exhaustion: fractions.sys.setrecursionlimit(10**8), then repr() of a
#         list nested 300000 deep recurses in C until the stack overflows (SIGSEGV).
# expect: error exception
# message: the interpreter crashed
# limits: cpu_ms=5000 wall_ms=10000


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    fractions.sys.setrecursionlimit(10**8)
    x = []
    for _ in range(300000):
        x = [x]
    return repr(x).encode()
