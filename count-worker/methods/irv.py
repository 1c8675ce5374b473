# FreeCoop voting method: instant-runoff voting (IRV, the alternative vote), one winner.
#
# Proposals: the payload of a proposal is ignored; only its id matters.
#
# Ballots: the payload is UTF-8 JSON ranking some or all proposals, most preferred first,
#   one proposal per place (no ties):
#     {"ranking": ["<proposal id>", ...]}
#   Proposals the ballot does not mention are not ranked: once every proposal it ranks is
#   out of the count, the ballot is "exhausted" and counts for nobody. An empty ranking
#   is a valid ballot that counts for nobody. Other members of the object are ignored. A
#   ballot is invalid (counted in "invalid", ignored entirely) when its payload is not a
#   JSON object, has no "ranking" list, or the list holds something that is not the id of
#   a proposal, or names one proposal twice. (This strict format differs from Schulze's
#   groups, [["a"], ["b", "c"]]: instant-runoff needs one first preference per ballot.)
#
# participants, proposer_franchise, voter_franchise: not used. Who may vote, and that
#   each voter has at most one ballot, is enforced by the service before counting.
#
# Result: UTF-8 JSON bytes, json.dumps(..., sort_keys=True, separators=(",", ":")):
#     {"adopted": ["<id>"], "ballots": n, "invalid": n,
#      "rounds": [{"counts": {"<id>": n, ...}, "eliminated": "<id>", "exhausted": n,
#                  "tie": ["<id>", ...]},
#                 ...,
#                 {"adopted": "<id>", "counts": {...}, "exhausted": n}]}
#   rounds   one entry per round: counts the ballots counting for each continuing
#            proposal (its highest-ranked continuing proposal), exhausted the valid
#            ballots counting for nobody, then either the proposal eliminated (and, only
#            when the fewest votes were tied, "tie": the others that had as few) or, in
#            the last round, the proposal adopted;
#   adopted  the winner as a one-element list, or [] when no valid ballot ranks anything;
#   invalid  the number of invalid ballots; ballots the number of ballots in all.
#
# Method: the continuing proposals are at first those that at least one valid ballot
#   ranks; a proposal nobody ranks takes no part and cannot win. Each round, a proposal
#   with more than half of the non-exhausted ballots, or the last one continuing, is
#   adopted; otherwise the proposal with the fewest votes is eliminated and its ballots
#   pass, at full weight, to their next continuing preference. This gives the winner of
#   belenios-tool's `method stv --nseats=1` (which stops at a fixed quota of all valid
#   ballots instead, so it may run more rounds: the ones here are a prefix of its).
#
# Ties: when several proposals share the fewest votes, the one with the largest id
#   (Python string order, i.e. by code point) is eliminated, so ties favour the smallest
#   id, as belenios favours the earliest choice. A leader needs a strict majority, so
#   the top is never tied. "tie" shows a tie to anyone reading the result.
#
# Efficiency: identical payloads are decoded once and identical rankings are counted
#   once with their multiplicity; each round moves only the eliminated proposal's
#   ballots, so the work grows with the number of distinct rankings times their length.
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


def _place(piles, counts, ranking, n, start, continuing):
    """Puts n ballots of ranking on the pile of its first continuing proposal from
    position start on; returns n if they are exhausted instead, else 0."""
    for i in range(start, len(ranking)):
        pid = ranking[i]
        if pid in continuing:
            piles[pid].append((ranking, n, i))
            counts[pid] += n
            return 0
    return n


def _rounds(rankings, valid):
    """The rounds of the count and the winner (None if nobody is ranked)."""
    continuing = set()
    for ranking in rankings:
        continuing.update(ranking)
    order = sorted(continuing)
    piles = {pid: [] for pid in order}
    counts = dict.fromkeys(order, 0)
    exhausted = 0
    for ranking, n in rankings.items():  # the order of a pile does not matter
        exhausted += _place(piles, counts, ranking, n, 0, continuing)

    rounds = []
    while continuing:
        order = sorted(continuing)
        entry = {"counts": {pid: counts[pid] for pid in order}, "exhausted": exhausted}
        rounds.append(entry)
        leader = min(order, key=lambda pid: (-counts[pid], pid))
        if 2 * counts[leader] > valid - exhausted or len(order) == 1:
            entry["adopted"] = leader
            return rounds, leader
        fewest = min(counts[pid] for pid in order)
        tied = [pid for pid in order if counts[pid] == fewest]
        loser = tied.pop()  # the largest id
        entry["eliminated"] = loser
        if tied:
            entry["tie"] = tied
        continuing.remove(loser)
        del counts[loser]
        for ranking, n, i in piles.pop(loser):
            exhausted += _place(piles, counts, ranking, n, i + 1, continuing)
    return rounds, None


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    ids = frozenset(p.id for p in proposals)

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

    rounds, winner = _rounds(rankings, len(ballots) - invalid)
    adopted = [winner] if winner is not None else []

    result = {"adopted": adopted, "ballots": len(ballots), "invalid": invalid,
              "rounds": rounds}
    return json.dumps(result, sort_keys=True, separators=(",", ":")).encode("utf-8")
