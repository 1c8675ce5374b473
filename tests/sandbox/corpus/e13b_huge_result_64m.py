# attack: E13b a 64 MiB result (1024 times result_max): the child must not stream it.
# expect: error bad_result


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return b"x" * (64 << 20)
