# attack: E15a an escaping exception whose __str__ raises (the worker formats it in C).
# expect: error exception
# message: ^Evil: <unprintable>


class Evil(Exception):
    def __str__(self):
        raise RuntimeError("no string for you")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    raise Evil("hidden")
