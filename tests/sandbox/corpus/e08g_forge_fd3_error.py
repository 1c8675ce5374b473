# attack: E08g forge on fd 3 a wire ERROR frame of an unknown kind (99) with a 4000-byte
#         message that is not UTF-8, then posix._exit(0).
# expect: error bad_result
# The worker must not relay an answer the protocol does not allow (kind 1..6, message at
# most 1024 bytes of UTF-8).


def u32(n):
    return n.to_bytes(4, "big")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    msg = b"\xff\xfe" * 2000
    body = bytes([4]) + u32(99) + u32(len(msg)) + msg
    posix.write(3, u32(len(body)) + body)
    posix._exit(0)
