# attack: E08 BuiltinImporter.load_module('posix') -> posix.system('touch @MARK@-e08').
# expect: error sandbox_violation


def builtin_module(name):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "BuiltinImporter":
            return cls.load_module(name)
    raise LookupError("BuiltinImporter not found")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    builtin_module("posix").system("touch @MARK@-e08")
    return b"escaped"
