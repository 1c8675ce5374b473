# attack: E08e forge the answer on fd 3 (where the study's prototype keeps the result
#         pipe): write a complete wire RESULT frame claiming 'forged' and zero CPU time,
#         then posix._exit(0) without returning.
# expect: error bad_result
# also: result forged
# Writing to the result pipe is allowed by design; the worker must either reject the
# forged frame (bad_result) or at most relay what the method could have returned anyway
# (the 6 bytes 'forged', with its own measurements): never a malformed answer.


def u32(n):
    return n.to_bytes(4, "big")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    body = bytes([3]) + u32(6) + b"forged" + bytes(24)
    posix.write(3, u32(len(body)) + body)
    posix._exit(0)
