# attack: E16d module-level code that never finishes (count() is never reached).
# expect: error timeout
# limits: cpu_ms=300 wall_ms=5000

while True:
    pass


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return b"unreachable"
