# attack: E22b read the supervisor's environment: /proc/<getppid()>/environ.
# expect: error sandbox_violation


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    fd = posix.open("/proc/%d/environ" % posix.getppid(), posix.O_RDONLY)
    return posix.read(fd, 60000)
