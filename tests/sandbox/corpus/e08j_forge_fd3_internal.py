# attack: E08j forge on fd 3 a well-formed wire ERROR frame of kind internal (6) — "a
#         worker-side failure" — then posix._exit(0): a method blames the platform for its
#         own outcome (and the published result document would say so).
# expect: error bad_result
# Method code runs only after the child's own internal checks (inputs, random seeding),
# so an internal error read from the pipe after method code ran is a forgery.


def u32(n):
    return n.to_bytes(4, "big")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    msg = b"inputs: ballot 0 is not valid UTF-8"
    body = bytes([4]) + u32(6) + u32(len(msg)) + msg
    posix.write(3, u32(len(body)) + body)
    posix._exit(0)
