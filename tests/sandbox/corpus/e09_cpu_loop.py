# attack: E09 burn CPU forever.
# expect: error timeout
# limits: cpu_ms=300 wall_ms=5000


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    n = 0
    while True:
        n += 1
