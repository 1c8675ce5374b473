# attack: E14b count() returns a str.
# expect: error bad_result


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return "a str, not bytes"
