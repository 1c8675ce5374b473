# attack: E25 read from the inherited descriptors: fd 0 and then fd 4.. (a careless worker
#         would leak the control socket with further jobs on it).
# expect: error sandbox_violation


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    got = []
    for fd in (0, 4, 5, 6, 7):
        try:
            got.append(posix.read(fd, 4096))
        except OSError as e:
            got.append(repr(e).encode())
    return b"|".join(got)
