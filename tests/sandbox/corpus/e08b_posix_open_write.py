# attack: E08b BuiltinImporter.load_module('posix') -> posix.open('@MARK@-e08b',
#         O_WRONLY|O_CREAT) and posix.write to it.
# expect: error sandbox_violation


def builtin_module(name):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "BuiltinImporter":
            return cls.load_module(name)
    raise LookupError("BuiltinImporter not found")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    posix = builtin_module("posix")
    fd = posix.open("@MARK@-e08b", posix.O_WRONLY | posix.O_CREAT | posix.O_TRUNC, 0o644)
    posix.write(fd, b"escaped")
    posix.close(fd)
    return b"escaped"
