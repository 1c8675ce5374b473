# FreeCoop voting method: Borda count.
#
# Proposals: the payload of a proposal is ignored; only its id matters.
#
# Ballots: the payload is UTF-8 JSON ranking some or all proposals, most preferred first,
#   one proposal per place (no ties), as for instant-runoff and STV:
#     {"ranking": ["<proposal id>", ...]}
#   With C proposals, the proposal in place i (0 = first) gets C - 1 - i points; a
#   proposal the ballot does not rank gets 0. So a full ranking gives C-1, C-2, ..., 0,
#   and ranking fewer proposals gives the ranked ones the same points as a full ranking
#   would and the others none. An empty ranking is a valid ballot that gives no points.
#   Other members of the object are ignored. A ballot is invalid (counted in "invalid",
#   giving no points) when its payload is not a JSON object, has no "ranking" list, or
#   the list holds something that is not the id of a proposal, or names one proposal
#   twice.
#
# participants, proposer_franchise, voter_franchise: not used. Who may vote, and that
#   each voter has at most one ballot, is enforced by the service before counting.
#
# Result: UTF-8 JSON bytes, json.dumps(..., sort_keys=True, separators=(",", ":")):
#     {"adopted": ["<id>"], "ballots": n, "invalid": n, "points": {"<id>": n, ...},
#      "ranking": ["<id>", ...]}
#   points  the total points of every proposal (0 included);
#   ranking every proposal, most points first;
#   adopted the first of ranking, as a one-element list, or [] when no valid ballot
#           ranks any proposal;
#   invalid the number of invalid ballots; ballots the number of ballots in all.
#
# Ties: proposals with equal points are ranked in id order (Python string order, i.e. by
#   code point), so a tie for the most points goes to the smallest id. This is
#   deterministic but arbitrary; "points" shows the tie to anyone reading the result.
#
# Count contract (DESIGN §4): no import statements; json and collections are pre-bound
# names. Everything that could depend on set iteration order is sorted explicitly.


def _ranking(payload, ids):
    """The ranking of a ballot payload as a tuple of proposal ids, most preferred first,
    or None if the ballot is invalid."""
    try:
        # Decode here: given bytes, json.loads guesses UTF-16 or UTF-32 from a BOM or
        # zero bytes and looks up that codec, an import the jail forbids (it would
        # fail the whole count). A ballot is UTF-8 JSON.
        doc = json.loads(payload.decode("utf-8"))
    except (ValueError, RecursionError):
        # ValueError covers malformed JSON, bad UTF-8 and over-long integers;
        # RecursionError a deeply nested payload. Either way: an invalid ballot.
        return None
    if not isinstance(doc, dict):
        return None
    ranking = doc.get("ranking")
    if not isinstance(ranking, list):
        return None
    try:
        named = frozenset(ranking)
    except TypeError:  # a list or dict in it is not hashable
        return None
    # Only a string equals a proposal id, so this checks the types too.
    if len(named) != len(ranking) or not named <= ids:
        return None
    return tuple(ranking)


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    order = sorted(p.id for p in proposals)
    ids = frozenset(order)
    top = len(order) - 1  # the points of a first place

    # Decode each distinct payload once, then merge payloads with the same ranking.
    payloads = collections.Counter(b.payload for b in ballots)
    rankings = collections.Counter()
    invalid = 0
    for payload, n in payloads.items():
        ranking = _ranking(payload, ids)
        if ranking is None:
            invalid += n
        else:
            rankings[ranking] += n

    points = dict.fromkeys(order, 0)
    ranked_any = False
    for ranking, n in rankings.items():
        for i, pid in enumerate(ranking):
            points[pid] += (top - i) * n
            ranked_any = True

    ranking = sorted(order, key=lambda pid: (-points[pid], pid))
    adopted = ranking[:1] if ranked_any else []

    result = {"adopted": adopted, "ballots": len(ballots), "invalid": invalid,
              "points": points, "ranking": ranking}
    return json.dumps(result, sort_keys=True, separators=(",", ":")).encode("utf-8")
