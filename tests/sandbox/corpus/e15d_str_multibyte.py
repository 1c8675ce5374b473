# attack: E15d an escaping exception whose message is 10**5 three-byte characters: 1000
#         characters are 3000 bytes, so a cut by characters alone breaks the 1024-byte bound,
#         and a cut by bytes alone can split a character (the driver decodes strictly).
# expect: error exception
# message: ^ValueError: €€€


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    raise ValueError("€" * 10**5)
