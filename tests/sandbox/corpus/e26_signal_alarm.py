# attack: E26 signals: install a handler through BuiltinImporter.load_module('_signal') and
#         arm an alarm (to interrupt the worker's own bookkeeping, or outlive a limit).
# expect: error sandbox_violation


def builtin_module(name):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "BuiltinImporter":
            return cls.load_module(name)
    raise LookupError("BuiltinImporter not found")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    signal = builtin_module("_signal")
    signal.signal(signal.SIGXCPU, lambda *a: None)
    signal.alarm(1)
    return b"escaped"
