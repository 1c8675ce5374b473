# attack: E15c an escaping exception with a 10 MB message.
# expect: error exception
# message: ^ValueError: AAAA


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    raise ValueError("A" * 10**7)
