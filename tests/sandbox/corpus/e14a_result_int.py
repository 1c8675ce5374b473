# attack: E14a count() returns an int.
# expect: error bad_result


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return 42
