# attack: E15i a BaseException that is not an Exception (KeyboardInterrupt) with a
#         __str__ that returns a non-str.
# expect: error exception
# message: ^KeyboardInterrupt


class K(KeyboardInterrupt):
    def __str__(self):
        return 12345


K.__name__ = "KeyboardInterrupt"


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    raise K()
