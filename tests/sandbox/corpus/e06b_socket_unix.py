# attack: E06b BuiltinImporter.load_module('_socket') -> an AF_UNIX connection to the test
#         driver's listener at @UNIX@ (think: the server's control socket).
# expect: error sandbox_violation


def builtin_module(name):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "BuiltinImporter":
            return cls.load_module(name)
    raise LookupError("BuiltinImporter not found")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    _socket = builtin_module("_socket")
    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    s.connect("@UNIX@")
    s.sendall(b"escaped")
    return b"escaped"
