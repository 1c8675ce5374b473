# attack: E03 frame walk: a generator resumed inside collections.Counter.update reads
#         gi_frame.f_back.f_globals (the globals of the collections module), whose
#         __builtins__ are the real ones -> open('@MARK@-e03', 'w').
# expect: error sandbox_violation


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    found = []

    def gen():
        found.append(g.gi_frame.f_back.f_globals)
        yield "x"

    g = gen()
    collections.Counter().update(g)
    b = found[0]["__builtins__"]
    b = b if isinstance(b, dict) else b.__dict__
    with b["open"]("@MARK@-e03", "w") as f:
        f.write("escaped")
    return b"escaped"
