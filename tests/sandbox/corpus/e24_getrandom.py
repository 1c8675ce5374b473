# attack: E24 an unseeded generator: statistics.random.Random() asks the kernel for entropy
#         (getrandom), which is not reproducible and not allowed.
# expect: error sandbox_violation


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return repr(statistics.random.Random().random()).encode()
