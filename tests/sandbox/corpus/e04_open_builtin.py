# attack: E04 the naive way: open() is not among the method's builtins.
# expect: error exception
# message: ^NameError
# The jail is not even reached: NameError: name 'open' is not defined.


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    with open("@MARK@-e04", "w") as f:
        f.write("escaped")
    return b"escaped"
