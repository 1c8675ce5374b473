# attack: E16e module-level code raises (with a traceback that points into this file).
# expect: error exception
# message: ^ZeroDivisionError.*line 5

x = 1 // 0


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return b"unreachable"
