# attack: E12 fork: posix.fork(); the child leaves a mark file and turns into a 30 s sleep
#         that would outlive the job.
# expect: error sandbox_violation


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    pid = posix.fork()
    if pid == 0:
        fd = posix.open("@MARK@-e12", posix.O_WRONLY | posix.O_CREAT, 0o644)
        posix.close(fd)
        posix.execv("/bin/sleep", ["sleep", "30"])
    return b"forked %d" % pid
