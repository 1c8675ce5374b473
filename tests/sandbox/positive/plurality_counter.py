# Plurality: a collections.Counter of first preferences over the ballots of franchised
# voters (a ballot's id is its voter's pseudonym), ties broken by proposal id.


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    valid = {p.id for p in proposals}
    tally = collections.Counter()
    for b in ballots:
        if b.id not in voter_franchise:
            continue
        ranking = [r for r in json.loads(b.payload)["ranking"] if r in valid]
        if ranking:
            tally[ranking[0]] += 1
    for p in proposals:
        tally[p.id] += 0
    order = sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))
    winner = order[0][0] if order and order[0][1] > 0 else None
    return json.dumps({"tally": order, "winner": winner, "most_common": tally.most_common(2)},
                      ensure_ascii=False, sort_keys=True).encode("utf-8")
