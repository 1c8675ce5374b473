# attack: E22 read /proc/self/maps (the first step of scanning the process memory through
#         /proc/self/mem) with the real open() found by a subclass walk.
# expect: error sandbox_violation


def real_builtins():
    for cls in ().__class__.__base__.__subclasses__():
        g = getattr(cls.__dict__.get("__init__"), "__globals__", None)
        if g and "__builtins__" in g:
            b = g["__builtins__"]
            b = b if isinstance(b, dict) else b.__dict__
            if "open" in b:
                return b
    raise LookupError("no real builtins")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    with real_builtins()["open"]("/proc/self/maps", "rb") as f:
        return f.read()[:60000]
