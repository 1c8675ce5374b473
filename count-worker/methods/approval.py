# FreeCoop voting method: approval voting.
#
# Proposals: the payload of a proposal is ignored; only its id matters.
#
# Ballots: the payload is UTF-8 JSON listing the proposals the voter approves of:
#     {"approve": ["<proposal id>", ...]}
#   The order of the list does not matter; an empty list approves of nothing (a valid
#   ballot). Other members of the object are ignored. A ballot is invalid (counted in
#   "invalid", approving of nothing) when its payload is not a JSON object, has an object
#   member twice, has no "approve" list, or the list holds something that is not the id
#   of a proposal, or names one proposal twice.
#
# participants, proposer_franchise, voter_franchise: not used. Who may vote, and that
#   each voter has at most one ballot, is enforced by the service before counting.
#
# Result: UTF-8 JSON bytes, json.dumps(..., sort_keys=True, separators=(",", ":")):
#     {"adopted": ["<id>", ...], "approvals": {"<id>": n, ...}, "ballots": n,
#      "invalid": n, "seats": SEATS}
#   approvals the number of valid ballots approving of each proposal (0 included);
#   invalid   the number of invalid ballots; ballots the number of ballots in all;
#   seats     SEATS, below;
#   adopted   the SEATS proposals with the most approvals, most first. A proposal nobody
#             approved of is never adopted, so adopted is shorter (or []) when fewer
#             than SEATS proposals have an approval.
#
# Ties: proposals with equally many approvals are taken in id order (Python string order,
#   i.e. by code point), so a tie for the last seat goes to the smallest id. This is
#   deterministic but arbitrary; "approvals" shows the tie to anyone reading the result.
#
# Count contract (DESIGN §4): no import statements; json and collections are pre-bound
# names. Everything that could depend on set iteration order is sorted explicitly.

# How many proposals are adopted. A method with another value is another method (its id
# is the SHA-256 of this source).
SEATS = 1


def _object(pairs):
    """json object_pairs_hook: a dict, refusing a member given twice (an ambiguous
    ballot)."""
    doc = dict(pairs)
    if len(doc) != len(pairs):
        raise ValueError("duplicate member")
    return doc


def _approved(payload, ids):
    """The frozenset of proposal ids a ballot approves of, or None if it is invalid."""
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
    approve = doc.get("approve")
    if not isinstance(approve, list):
        return None
    try:
        approved = frozenset(approve)
    except TypeError:  # a list or dict in it is not hashable
        return None
    # Only a string equals a proposal id, so this checks the types too.
    if len(approved) != len(approve) or not approved <= ids:
        return None
    return approved


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    order = sorted(p.id for p in proposals)
    ids = frozenset(order)

    # Many ballots share the same payload bytes: decode each distinct payload once.
    payloads = collections.Counter(b.payload for b in ballots)

    approvals = dict.fromkeys(order, 0)
    invalid = 0
    for payload, n in payloads.items():
        approved = _approved(payload, ids)
        if approved is None:
            invalid += n
            continue
        for pid in approved:
            approvals[pid] += n

    # Most approvals first, then the smallest id; nobody's approval, no seat.
    ranked = sorted(order, key=lambda pid: (-approvals[pid], pid))
    adopted = [pid for pid in ranked[:SEATS] if approvals[pid] > 0]

    result = {"adopted": adopted, "approvals": approvals, "ballots": len(ballots),
              "invalid": invalid, "seats": SEATS}
    return json.dumps(result, sort_keys=True, separators=(",", ":")).encode("utf-8")
