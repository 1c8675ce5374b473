# attack: E01c subclass walk -> some __init__.__globals__['__builtins__'] (the real builtins)
#         -> open('@MARK@-e01c', 'w'): create a file through the real open().
# expect: error sandbox_violation


def real_builtins():
    for cls in ().__class__.__base__.__subclasses__():
        g = getattr(cls.__dict__.get("__init__"), "__globals__", None)
        if g and "__builtins__" in g:
            b = g["__builtins__"]
            b = b if isinstance(b, dict) else b.__dict__
            if "open" in b:
                return b
    raise LookupError("no class with a Python __init__ and real builtins")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    with real_builtins()["open"]("@MARK@-e01c", "w") as f:
        f.write("escaped")
    return b"escaped"
