# attack: E19 signal the supervisor: posix.kill(posix.getppid(), SIGTERM) — which would stop
#         the worker — and, failing getppid, kill(-1, SIGTERM).
# expect: error sandbox_violation


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    posix.kill(posix.getppid(), 15)
    return b"escaped"
