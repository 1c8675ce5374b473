# attack: E01b subclass walk: object.__subclasses__() -> the first class whose __init__ is a
#         Python function -> its __globals__['__builtins__'] (the real builtins) ->
#         __import__('posix').system('touch @MARK@-e01b').
# expect: error sandbox_violation


def real_builtins():
    for cls in ().__class__.__base__.__subclasses__():
        g = getattr(cls.__dict__.get("__init__"), "__globals__", None)
        if g and "__builtins__" in g:
            b = g["__builtins__"]
            b = b if isinstance(b, dict) else b.__dict__
            if "__import__" in b:
                return b
    raise LookupError("no class with a Python __init__ and real builtins")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    real_builtins()["__import__"]("posix").system("touch @MARK@-e01b")
    return b"escaped"
