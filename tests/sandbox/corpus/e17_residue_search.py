# attack: E17 (job 2 of 2) search everything this job can reach for job 1's secret:
#         gc.get_objects() (gc through BuiltinImporter) and, from there, every str, bytes
#         and bytearray reachable through gc.get_referents, plus the modules and builtins.
# after: e17_residue_plant.py
# expect: result none
# limits: cpu_ms=10000 wall_ms=20000 memory_mb=512


def builtin_module(name):
    for cls in ().__class__.__base__.__subclasses__():
        if cls.__name__ == "BuiltinImporter":
            return cls.load_module(name)
    raise LookupError("BuiltinImporter not found")


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    gc = builtin_module("gc")
    # The needle is built at run time so that no constant of this code holds it.
    needle = "".join(["RESIDUE", "-", "SECRET", ":"])
    needle_b = needle.encode()
    mine = (id(needle), id(needle_b))
    real = collections.__builtins__
    todo = gc.get_objects() + [fractions.sys.modules, real, globals(),
                               proposals, ballots, participants]
    seen = {}
    hits = []
    while todo:
        o = todo.pop()
        if id(o) in seen:
            continue
        seen[id(o)] = o
        t = type(o)
        if t is str or t is bytes or t is bytearray or isinstance(o, (str, bytes, bytearray)):
            n = needle if isinstance(o, str) else needle_b
            if id(o) not in mine and n in o:
                hits.append(repr(o[:60]))
            continue
        todo.extend(gc.get_referents(o))
    if hits:
        return ("found %d: %s" % (len(hits), ", ".join(hits[:5]))).encode()
    return b"none"
