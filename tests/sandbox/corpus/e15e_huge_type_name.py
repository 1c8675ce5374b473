# attack: E15e an escaping exception whose type name is 100000 characters long (the type
#         name is not covered by a cut of str(exc)).
# expect: error exception
# message: ^BBBB


class E(Exception):
    pass


E.__name__ = "B" * 100000


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    raise E("short")
