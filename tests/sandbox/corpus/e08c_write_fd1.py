# attack: E08c write to fd 1 (the worker's stdout in a careless design) through
#         fractions.sys.modules['posix'].write(1, ...).
# expect: error sandbox_violation
# The child may write only to its own result pipe.


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    fractions.sys.modules["posix"].write(1, b"escaped to fd 1\n")
    return b"escaped"
