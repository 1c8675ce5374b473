# JSON-decoded payloads: the proposals' amounts and titles and the ballots' scores,
# re-encoded with sorted keys and non-ASCII kept (UTF-8).


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    props = {p.id: json.loads(p.payload.decode("utf-8")) for p in proposals}
    scores = collections.defaultdict(int)
    for b in ballots:
        for pid, s in json.loads(b.payload)["scores"].items():
            scores[pid] += s
    doc = {
        "budget": sum(v["amount"] for v in props.values()),
        "titles": {k: v["title"] for k, v in props.items()},
        "scores": dict(scores),
        "service_authored": sorted(p.id for p in proposals if p.proposer == ""),
        "ballot_ids": sorted(b.id for b in ballots),
    }
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
