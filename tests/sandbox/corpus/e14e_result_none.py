# attack: E14e count() returns None (falls off its end).
# expect: error bad_result


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    pass
