# attack: E20 replace the job with a shell: posix.execv('/bin/sh', ...).
# expect: error sandbox_violation


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    posix.execv("/bin/sh", ["sh", "-c", "touch @MARK@-e20"])
    return b"escaped"
