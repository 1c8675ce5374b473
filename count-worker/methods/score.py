# FreeCoop voting method: score voting (range voting), highest total wins.
#
# Proposals: the payload of a proposal is ignored; only its id matters.
#
# Ballots: the payload is UTF-8 JSON giving whole-number scores from MIN_SCORE to
#   MAX_SCORE (0 to 5) to some or all proposals, higher is better:
#     {"scores": {"<proposal id>": n, ...}}
#   A proposal the ballot does not score gets MIN_SCORE from it. Other members of the
#   object are ignored. A ballot is invalid (counted in "invalid", scoring nothing) when
#   its payload is not a JSON object, has an object member twice, has no "scores"
#   object, or "scores" names something that is not the id of a proposal or gives a
#   value that is not a whole number in the range (true, false, 2.5, 3.0 and "3" are
#   all invalid).
#
# participants, proposer_franchise, voter_franchise: not used. Who may vote, and that
#   each voter has at most one ballot, is enforced by the service before counting.
#
# Result: UTF-8 JSON bytes, json.dumps(..., sort_keys=True, separators=(",", ":")):
#     {"adopted": ["<id>"], "ballots": n, "invalid": n, "range": [0, 5],
#      "ranking": ["<id>", ...], "totals": {"<id>": n, ...}}
#   totals  the sum of every proposal's scores over the valid ballots (0 included);
#   range   [MIN_SCORE, MAX_SCORE];
#   ranking every proposal, highest total first;
#   adopted the first of ranking, as a one-element list, or [] when no proposal has a
#           total above what MIN_SCORE from every valid ballot would give (in
#           particular when there is no valid ballot);
#   invalid the number of invalid ballots; ballots the number of ballots in all.
#
# Ties: proposals with equal totals are ranked in id order (Python string order, i.e. by
#   code point), so a tie for the highest total goes to the smallest id. This is
#   deterministic but arbitrary; "totals" shows the tie to anyone reading the result.
#
# Count contract (DESIGN §4): no import statements; json and collections are pre-bound
# names. Everything that could depend on set iteration order is sorted explicitly. A
# method with another range is another method (its id is the SHA-256 of this source).

# The lowest and highest score a ballot may give (whole numbers).
MIN_SCORE = 0
MAX_SCORE = 5


def _object(pairs):
    """json object_pairs_hook: a dict, refusing a member given twice (an ambiguous
    ballot)."""
    doc = dict(pairs)
    if len(doc) != len(pairs):
        raise ValueError("duplicate member")
    return doc


def _scores(payload, ids):
    """The scores of a ballot as a tuple of (proposal id, score) pairs in id order, or
    None if the ballot is invalid."""
    try:
        # Decode here: given bytes, json.loads guesses UTF-16 or UTF-32 from a BOM or
        # zero bytes and looks up that codec, an import the jail forbids (it would
        # fail the whole count). A ballot is UTF-8 JSON.
        doc = json.loads(payload.decode("utf-8"), object_pairs_hook=_object)
    except (ValueError, RecursionError):
        # ValueError covers malformed JSON, bad UTF-8, over-long integers and duplicate
        # members; RecursionError a deeply nested payload. Either way: an invalid ballot.
        return None
    if not isinstance(doc, dict):
        return None
    scores = doc.get("scores")
    if not isinstance(scores, dict):
        return None
    for pid, score in scores.items():
        # type() is int, not isinstance: JSON true and false are bools, a kind of int.
        if pid not in ids or type(score) is not int or not MIN_SCORE <= score <= MAX_SCORE:
            return None
    return tuple(sorted(scores.items()))


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    order = sorted(p.id for p in proposals)
    ids = frozenset(order)

    # Decode each distinct payload once, then merge payloads with the same scores.
    payloads = collections.Counter(b.payload for b in ballots)
    decoded = collections.Counter()
    invalid = 0
    for payload, n in payloads.items():
        scores = _scores(payload, ids)
        if scores is None:
            invalid += n
        else:
            decoded[scores] += n
    valid = len(ballots) - invalid

    # Every valid ballot gives MIN_SCORE to what it does not score.
    totals = dict.fromkeys(order, MIN_SCORE * valid)
    for scores, n in decoded.items():
        for pid, score in scores:
            totals[pid] += (score - MIN_SCORE) * n

    ranking = sorted(order, key=lambda pid: (-totals[pid], pid))
    adopted = [pid for pid in ranking[:1] if totals[pid] > MIN_SCORE * valid]

    result = {"adopted": adopted, "ballots": len(ballots), "invalid": invalid,
              "range": [MIN_SCORE, MAX_SCORE], "ranking": ranking, "totals": totals}
    return json.dumps(result, sort_keys=True, separators=(",", ":")).encode("utf-8")
