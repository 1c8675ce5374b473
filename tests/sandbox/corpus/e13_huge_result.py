# attack: E13 a result one byte over result_max (65536).
# expect: error bad_result


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return b"x" * 65537
