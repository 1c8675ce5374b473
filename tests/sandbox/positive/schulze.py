# Schulze (strongest paths) with the other allowed libraries: itertools for the pairs,
# functools.reduce and operator for the counts, heapq for the top three, bisect for ranks.


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    cands = sorted(p.id for p in proposals)
    index = {c: i for i, c in enumerate(cands)}
    n = len(cands)
    d = [[0] * n for _ in range(n)]
    for b in sorted(ballots):
        if b.id not in voter_franchise:
            continue
        ranking = [c for c in json.loads(b.payload)["ranking"] if c in index]
        ranked = set(ranking)
        order = ranking + [c for c in cands if c not in ranked]
        pos = {c: (k if c in ranked else len(ranking)) for k, c in enumerate(order)}
        for a, c in itertools.permutations(cands, 2):
            if pos[a] < pos[c]:
                d[index[a]][index[c]] += 1
    p = [[d[i][j] if d[i][j] > d[j][i] else 0 for j in range(n)] for i in range(n)]
    for k in range(n):
        for i in range(n):
            if i == k:
                continue
            for j in range(n):
                if j != i and j != k:
                    p[i][j] = max(p[i][j], min(p[i][k], p[k][j]))
    wins = {c: sum(1 for j in range(n) if p[index[c]][j] > p[j][index[c]]) for c in cands}
    total = functools.reduce(operator.add, (sum(row) for row in d), 0)
    top = heapq.nsmallest(3, cands, key=lambda c: (-wins[c], c))
    levels = sorted(set(wins.values()))
    ranks = {c: len(levels) - bisect.bisect_left(levels, wins[c]) for c in cands}
    return json.dumps({"wins": wins, "top": top, "ranks": ranks, "pairs": total,
                       "matrix": d}, ensure_ascii=False, sort_keys=True).encode("utf-8")
