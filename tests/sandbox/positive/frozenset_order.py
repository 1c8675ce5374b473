# The determinism guarantee: the output depends on frozenset iteration order (no sorting
# at all). It matches plain Python only if the worker uses hash seed 0 and builds each
# frozenset by inserting its elements in sorted order (DESIGN §4).


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    out = [
        "|".join(p.id for p in proposals),
        "|".join(b.id for b in ballots),
        "|".join(participants),
        "|".join(proposer_franchise),
        "|".join(voter_franchise),
        "|".join(p.proposer for p in proposals),
        # a set built by the method from the same strings, and dict order from set order
        "|".join({p.id + "#" for p in proposals}),
        "|".join(dict.fromkeys(x for b in ballots for x in json.loads(b.payload)["ranking"])),
    ]
    return "\n".join(out).encode("utf-8")
