# statistics over the scores each proposal received: mean, median, pstdev, fmean,
# quantiles and mode, printed with repr (exact float digits).


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    per = collections.defaultdict(list)
    for b in sorted(ballots):
        for pid, s in sorted(json.loads(b.payload)["scores"].items()):
            per[pid].append(s)
    out = []
    for pid in sorted(per):
        xs = per[pid]
        row = [pid, repr(statistics.mean(xs)), repr(statistics.median(xs)),
               repr(statistics.pstdev(xs)), repr(statistics.fmean(xs)),
               repr(statistics.mode(xs))]
        if len(xs) >= 2:
            row.append(repr(statistics.quantiles(xs, n=4)))
            row.append(repr(statistics.stdev(xs)))
        out.append(" ".join(row))
    allx = [s for xs in per.values() for s in xs]
    out.append("all %r %r" % (statistics.median_low(allx) if allx else None,
                              statistics.harmonic_mean(allx) if allx and min(allx) >= 0 else None))
    return "\n".join(out).encode("utf-8")
