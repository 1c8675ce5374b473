# attack: E15h posix._exit(0) without a result (exit_group is allowed: the child simply
#         ends).
# expect: error bad_result


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    fractions.sys.modules["posix"]._exit(0)
