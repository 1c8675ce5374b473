# attack: E14c count() returns a bytes subclass whose __len__, __bytes__ and __buffer__-ish
#         methods lie (a careless worker using len() or bytes() would run them).
# expect: error bad_result


class B(bytes):
    def __len__(self):
        return 10**9

    def __bytes__(self):
        return b"y" * 10**7

    def __eq__(self, other):
        return True

    __hash__ = bytes.__hash__


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return B(b"ok")
