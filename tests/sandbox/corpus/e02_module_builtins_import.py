# attack: E02 a library module's own __builtins__ is the real builtins dict:
#         collections.__builtins__['__import__']('os') -> os.mkdir('@MARK@-e02').
# expect: error sandbox_violation


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    b = collections.__builtins__
    b = b if isinstance(b, dict) else b.__dict__
    os = b["__import__"]("os")
    os.mkdir("@MARK@-e02")
    return repr(os.listdir("/")).encode()
