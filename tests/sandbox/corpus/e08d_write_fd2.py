# attack: E08d write to fd 2 (the worker's log stream in a careless design): forge a log
#         line through posix.write(2, ...).
# expect: error sandbox_violation


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    posix.write(2, b'{"level":"error","msg":"forged log line from a method"}\n')
    return b"escaped"
