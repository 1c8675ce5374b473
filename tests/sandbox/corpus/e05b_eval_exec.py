# attack: E05b dynamic code: eval/exec are not among the method's builtins; getattr on the
#         method's own __builtins__ finds nothing either.
# expect: error exception
# message: ^(NameError|KeyError)


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    b = globals()["__builtins__"]
    b = b if isinstance(b, dict) else b.__dict__
    for name in ("exec", "eval", "compile", "__import__", "open"):
        if name in b:
            return ("builtin %s is available" % name).encode()
    return eval("__import__('posix').system('touch @MARK@-e05b')")
