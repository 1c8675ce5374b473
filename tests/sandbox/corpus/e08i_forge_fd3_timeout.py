# attack: E08i forge on fd 3 a well-formed wire ERROR frame of kind timeout (2), then
#         posix._exit(0) after a few milliseconds: the job would be reported as having hit
#         its limit when it did not.
# expect: error bad_result
# The jailed child never writes a timeout (only the supervisor observes limits), so a
# timeout read from the result pipe can only be a forgery.


def u32(n):
    return n.to_bytes(4, "big")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    msg = b"the method exceeded its CPU time limit of 1 ms"
    body = bytes([4]) + u32(2) + u32(len(msg)) + msg
    posix.write(3, u32(len(body)) + body)
    posix._exit(0)
