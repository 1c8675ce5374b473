# attack: E14d count() returns a bytearray (bytes-like, but not bytes).
# expect: error bad_result


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return bytearray(b"almost bytes")
