# attack: E21 sleep without burning CPU: BuiltinImporter.load_module('time').sleep(1000)
#         (only a wall-clock limit would end it; the jail kills clock_nanosleep first).
# expect: error sandbox_violation
# limits: cpu_ms=2000 wall_ms=3000


def builtin_module(name):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "BuiltinImporter":
            return cls.load_module(name)
    raise LookupError("BuiltinImporter not found")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    builtin_module("time").sleep(1000)
    return b"slept"
