# attack: E15b an escaping exception whose __str__ never returns: the formatting runs
#         method code and must stay under the job's CPU limit.
# expect: error timeout
# limits: cpu_ms=300 wall_ms=5000


class Loop(Exception):
    def __str__(self):
        while True:
            pass


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    raise Loop()
