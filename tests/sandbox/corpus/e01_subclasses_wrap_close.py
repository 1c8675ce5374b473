# attack: E01 subclass walk: object.__subclasses__() -> os._wrap_close.__init__.__globals__
#         (the globals of the os module, loaded because statistics imports random, which
#         imports os) -> os.system('touch @MARK@-e01').
# expect: error sandbox_violation
# Without the jail this writes the mark file as the worker's user; with it, system()'s first
# system call (rt_sigaction) is killed.


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "_wrap_close":
            cls.__init__.__globals__["system"]("touch @MARK@-e01")
            return b"escaped"
    raise LookupError("os._wrap_close not found")
