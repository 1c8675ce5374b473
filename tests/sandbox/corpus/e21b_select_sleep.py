# attack: E21b sleep without the time module: BuiltinImporter.load_module('select') and
#         select([], [], [], 1000), or poll on the pipe.
# expect: error sandbox_violation
# limits: cpu_ms=2000 wall_ms=3000


def builtin_module(name):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "BuiltinImporter":
            return cls.load_module(name)
    raise LookupError("BuiltinImporter not found")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    builtin_module("select").select([], [], [], 1000)
    return b"slept"
