# attack: E15f an escaping exception whose message holds lone surrogates and a NUL (not
#         encodable as UTF-8): the answer must still be valid UTF-8.
# expect: error exception
# message: ^ValueError


def count(proposals, ballots, parts, proposer_franchise, voter_franchise):
    raise ValueError("before \ud800 \udfff \x00 after")
