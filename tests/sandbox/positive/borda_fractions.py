# Harmonic Borda with exact fractions: a proposal ranked k-th gets 1/k; totals and the
# normalised shares are fractions.Fraction, printed as num/den.


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    F = fractions.Fraction
    totals = {p.id: F(0) for p in proposals}
    for b in sorted(ballots):
        for k, pid in enumerate(json.loads(b.payload)["ranking"], start=1):
            if pid in totals:
                totals[pid] += F(1, k)
    grand = sum(totals.values(), F(0))
    out = []
    for pid, t in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
        share = t / grand if grand else F(0)
        out.append("%s %s %s %s" % (pid, t, share, format(float(share), ".12f")))
    out.append("limit %s" % F(grand).limit_denominator(1000))
    return "\n".join(out).encode("utf-8")
