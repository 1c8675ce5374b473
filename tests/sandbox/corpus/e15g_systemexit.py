# attack: E15g SystemExit(0) through fractions.sys.exit: it must not look like a clean exit
#         of the job, nor stop the worker.
# expect: error exception
# message: ^SystemExit


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    fractions.sys.exit(0)
