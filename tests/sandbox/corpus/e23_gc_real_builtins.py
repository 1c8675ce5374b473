# attack: E23 gc.get_objects() (gc through BuiltinImporter) to find the real builtins dict
#         among all objects -> its open() -> create a file. The worker freezes what
#         exists before the method runs, which hides it from get_objects(), so the
#         method unfreezes first: the jail, not the freezing, is what must stop it.
# expect: error sandbox_violation


def builtin_module(name):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "BuiltinImporter":
            return cls.load_module(name)
    raise LookupError("BuiltinImporter not found")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    gc = builtin_module("gc")
    gc.unfreeze()
    for o in gc.get_objects():
        if type(o) is dict and "open" in o and "__import__" in o and "compile" in o:
            o["open"]("@MARK@-e23", "w").close()
            return b"escaped"
    raise LookupError("real builtins not found")
