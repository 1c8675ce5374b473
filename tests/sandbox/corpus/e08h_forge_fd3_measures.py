# attack: E08h forge on fd 3 a RESULT frame with impossible measurements: cpu_us 7,
#         count_cpu_us 2**40 (12 days), peak_rss_kb 7, then posix._exit(0).
# expect: error bad_result
# also: result forged
# Whatever the worker answers, it must not relay measurements the method made up: the
# driver checks count_cpu_us <= cpu_us on every RESULT (count() is part of the job), and
# here also that cpu_us and peak_rss_kb are not the forged 7.


def u32(n):
    return n.to_bytes(4, "big")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = fractions.sys.modules["posix"]
    body = (bytes([3]) + u32(6) + b"forged" + (7).to_bytes(8, "big")
            + (2**40).to_bytes(8, "big") + (7).to_bytes(8, "big"))
    posix.write(3, u32(len(body)) + body)
    posix._exit(0)
