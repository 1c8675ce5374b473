# attack: E12b a thread (clone) through BuiltinImporter.load_module('_thread'): a thread
#         that would keep running after count() returned.
# expect: error sandbox_violation


def builtin_module(name):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "BuiltinImporter":
            return cls.load_module(name)
    raise LookupError("BuiltinImporter not found")


def spin():
    while True:
        pass


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    builtin_module("_thread").start_new_thread(spin, ())
    return b"thread started"
