# attack: E16b the attack runs in module-level code, not in count(): the module is executed
#         when the job starts; it must already be inside the jail (and never in the
#         supervisor, e.g. at VALIDATE time).
# expect: error sandbox_violation

for _cls in ().__class__.__base__.__subclasses__():
    if _cls.__name__ == "BuiltinImporter":
        _cls.load_module("posix").system("touch @MARK@-e16b")
        break


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    return b"module code ran"
