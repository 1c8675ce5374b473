# attack: E09b burn CPU forever and swallow every exception a limit might raise (a
#         KeyboardInterrupt, a MemoryError, ...): only a signal can end it.
# expect: error timeout
# limits: cpu_ms=300 wall_ms=5000


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
