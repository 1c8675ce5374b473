# attack: E08f forge on fd 3 a wire RESULT frame whose result (1 MiB) exceeds result_max
#         (65536), then posix._exit(0).
# expect: error bad_result
# A forged frame must not smuggle out more than result_max bytes.


def u32(n):
    return n.to_bytes(4, "big")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    big = b"F" * (1 << 20)
    body = bytes([3]) + u32(len(big)) + big + bytes(24)
    frame = u32(len(body)) + body
    view = memoryview(frame)
    while len(view):
        view = view[posix.write(3, view):]
    posix._exit(0)
