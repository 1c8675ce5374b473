# attack: E05 an import statement at run time (VALIDATE rejects it; a COUNT of it must fail
#         with an exception because __import__ is absent from the method's builtins).
# expect: error exception
# message: [Ii]mport
# validate: reject import statements are not allowed \(line 9\)


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    import os
    os.system("touch @MARK@-e05")
    return b"escaped"
