# attack: E11a plain Python recursion without end.
# expect: error exception
# message: ^RecursionError


def f(n):
    return f(n + 1) + 1


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return f(0)
