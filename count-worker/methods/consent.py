# FreeCoop voting method: consent (adopted unless someone objects).
#
# Proposals: every proposal is decided on its own; its payload is ignored, only its id
#   matters. Any number of proposals may be adopted.
#
# Ballots: the payload is UTF-8 JSON listing the proposals the voter objects to:
#     {"objections": ["<proposal id>", ...]}
#   The voter consents to every proposal not listed; an empty list consents to all. The
#   order of the list does not matter. Other members of the object are ignored. A ballot
#   is invalid (counted in "invalid", objecting to nothing) when its payload is not a
#   JSON object, has an object member twice, has no "objections" list, or the list holds
#   something that is not the id of a proposal, or names one proposal twice. An invalid
#   ballot is not an objection: a voter who wants to object must cast a valid one.
#
# participants, voter_franchise: the quorum (below) is the share of the voter franchise
#   that took part, len(participants) / len(voter_franchise). proposer_franchise: not
#   used. Who may vote, and that each voter has at most one ballot, is enforced by the
#   service before counting.
#
# Result: UTF-8 JSON bytes, json.dumps(..., sort_keys=True, separators=(",", ":")):
#     {"adopted": ["<id>", ...], "ballots": n, "invalid": n,
#      "objections": {"<id>": n, ...},
#      "quorum": {"met": bool, "participants": n, "required": "0", "voters": n}}
#   objections the number of valid ballots objecting to each proposal (0 included);
#   quorum     participants = len(participants), voters = len(voter_franchise),
#              required = QUORUM as a fraction, met = participants >= QUORUM * voters
#              (an empty franchise meets only a QUORUM of 0);
#   adopted    every proposal, in id order, that no valid ballot objects to, when the
#              quorum is met; [] when it is not.
#   invalid    the number of invalid ballots; ballots the number of ballots in all.
#
# Method: lazy consensus. With the default QUORUM of 0, silence is consent: a proposal
#   nobody objects to is adopted even when nobody voted at all (the voting phase is the
#   time given to object). Set QUORUM to require a share of the franchise to take part
#   first; an empty franchise then never meets it.
#
# Ties: none; a single objection blocks a proposal.
#
# Count contract (DESIGN §4): no import statements; json, collections and fractions are
# pre-bound names. Everything that could depend on set iteration order is sorted
# explicitly. A method with another QUORUM is another method (its id is the SHA-256 of
# this source).

# The share of the voter franchise that must take part before anything is adopted.
QUORUM = fractions.Fraction(0)


def _object(pairs):
    """json object_pairs_hook: a dict, refusing a member given twice (an ambiguous
    ballot)."""
    doc = dict(pairs)
    if len(doc) != len(pairs):
        raise ValueError("duplicate member")
    return doc


def _objections(payload, ids):
    """The frozenset of proposal ids a ballot objects to, or None if it is invalid."""
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
    objections = doc.get("objections")
    if not isinstance(objections, list):
        return None
    try:
        objected = frozenset(objections)
    except TypeError:  # a list or dict in it is not hashable
        return None
    # Only a string equals a proposal id, so this checks the types too.
    if len(objected) != len(objections) or not objected <= ids:
        return None
    return objected


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    order = sorted(p.id for p in proposals)
    ids = frozenset(order)

    # Many ballots share the same payload bytes: decode each distinct payload once.
    payloads = collections.Counter(b.payload for b in ballots)

    objections = dict.fromkeys(order, 0)
    invalid = 0
    for payload, n in payloads.items():
        objected = _objections(payload, ids)
        if objected is None:
            invalid += n
            continue
        for pid in objected:
            objections[pid] += n

    voters = len(voter_franchise)
    turnout = len(participants)
    met = turnout >= QUORUM * voters and (voters > 0 or QUORUM == 0)
    adopted = [pid for pid in order if objections[pid] == 0] if met else []

    result = {"adopted": adopted, "ballots": len(ballots), "invalid": invalid,
              "objections": objections,
              "quorum": {"met": met, "participants": turnout, "required": str(QUORUM),
                         "voters": voters}}
    return json.dumps(result, sort_keys=True, separators=(",", ":")).encode("utf-8")
