# attack: E07 ctypes through a module's real __builtins__:
#         functools.__builtins__['__import__']('ctypes').CDLL(None).system(...).
# expect: error sandbox_violation
# ctypes is not loaded: importing it searches the file system (stat/openat), which the jail
# kills before any library is mapped.


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    b = functools.__builtins__
    b = b if isinstance(b, dict) else b.__dict__
    ctypes = b["__import__"]("ctypes")
    ctypes.CDLL(None).system(b"touch @MARK@-e07")
    return b"escaped"
