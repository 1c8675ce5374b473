# attack: E10 memory bomb: keep allocating 16 MiB blocks.
# expect: error memory
# limits: memory_mb=256


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    hoard = []
    while True:
        hoard.append(b"x" * (16 << 20))
