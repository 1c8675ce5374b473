# FreeCoop voting method: plurality (first past the post).
#
# Proposals: the payload of a proposal is ignored; only its id matters.
#
# Ballots: the payload is UTF-8 JSON naming one proposal:
#     {"choice": "<proposal id>"}
#   Other members of the object are ignored. A ballot is invalid (counted in "invalid",
#   given to no proposal) when its payload is not a JSON object, has no "choice" member,
#   or its "choice" is not the id of one of the proposals.
#
# participants, proposer_franchise, voter_franchise: not used. Who may vote, and that
#   each voter has at most one ballot, is enforced by the service before counting.
#
# Result: UTF-8 JSON bytes, json.dumps(..., sort_keys=True, separators=(",", ":")):
#     {"adopted": ["<id>"], "ballots": n, "counts": {"<id>": n, ...}, "invalid": n}
#   counts  the valid ballots of every proposal (0 for a proposal nobody chose);
#   invalid the number of invalid ballots; ballots the number of ballots in all;
#   adopted the proposal with the most votes, as a one-element list, or [] when there
#           is no valid ballot.
#
# Ties: when several proposals share the most votes, the one with the smallest id
#   (Python string order, i.e. by code point) is adopted. This is deterministic but
#   arbitrary; "counts" shows the tie to anyone reading the result.
#
# Count contract (DESIGN §4): no import statements; json and collections are pre-bound
# names. Everything that could depend on set iteration order is sorted explicitly.


def _choice(payload, ids):
    """The proposal id a ballot payload names, or None if the ballot is invalid."""
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
    choice = doc.get("choice")
    # Check the type before the set lookup: a list or dict is not hashable.
    if isinstance(choice, str) and choice in ids:
        return choice
    return None


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    ids = frozenset(p.id for p in proposals)

    # Many ballots share the same payload bytes: decode each distinct payload once.
    payloads = collections.Counter(b.payload for b in ballots)

    counts = {pid: 0 for pid in sorted(ids)}
    invalid = 0
    for payload, n in payloads.items():
        choice = _choice(payload, ids)
        if choice is None:
            invalid += n
        else:
            counts[choice] += n

    adopted = []
    if sum(counts.values()) > 0:
        # Most votes first, then the smallest id.
        adopted = [sorted(counts, key=lambda pid: (-counts[pid], pid))[0]]

    result = {"adopted": adopted, "ballots": len(ballots), "counts": counts,
              "invalid": invalid}
    return json.dumps(result, sort_keys=True, separators=(",", ":")).encode("utf-8")
