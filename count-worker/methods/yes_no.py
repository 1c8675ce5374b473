# FreeCoop voting method: yes/no motions with a quorum.
#
# Proposals: every proposal is a separate motion; its payload is ignored, only its id
#   matters. Each motion is decided on its own, so any number of them may be adopted.
#
# Ballots: the payload is UTF-8 JSON giving a vote on some or all of the motions:
#     {"votes": {"<proposal id>": "yes" | "no" | "abstain", ...}}
#   A motion the ballot does not mention counts as an abstention on that motion. Other
#   members of the object are ignored. A ballot is invalid (counted in "invalid", voting
#   on no motion) when its payload is not a JSON object, has an object member twice, has
#   no "votes" object, or "votes" names something that is not the id of a proposal or
#   gives a value other than the three strings above.
#
# participants, voter_franchise: the quorum (below) is the share of the voter franchise
#   that took part, len(participants) / len(voter_franchise); every participant counts
#   towards it, whether their ballot is valid or not. proposer_franchise: not used. Who
#   may vote, and that each voter has at most one ballot, is enforced by the service.
#
# Result: UTF-8 JSON bytes, json.dumps(..., sort_keys=True, separators=(",", ":")):
#     {"adopted": ["<id>", ...], "ballots": n, "invalid": n,
#      "motions": {"<id>": {"abstain": n, "adopted": bool, "no": n, "yes": n}, ...},
#      "quorum": {"met": bool, "participants": n, "required": "1/2", "voters": n},
#      "threshold": "1/2"}
#   motions   per motion, the valid ballots voting yes, no, and abstaining (explicitly or
#             by not mentioning it), and whether it is adopted;
#   quorum    participants = len(participants), voters = len(voter_franchise), required
#             = QUORUM as a fraction, met = participants >= QUORUM * voters (an empty
#             franchise meets only a QUORUM of 0);
#   threshold THRESHOLD as a fraction;
#   adopted   every motion, in id order, with yes > THRESHOLD * (yes + no) when the
#             quorum is met; [] when it is not. Abstentions count towards neither side.
#   invalid   the number of invalid ballots; ballots the number of ballots in all.
#
# Ties: none to break. A motion with yes = no (including 0 = 0) is not adopted with the
#   default THRESHOLD: a motion needs more yes than no votes.
#
# Count contract (DESIGN §4): no import statements; json, collections and fractions are
# pre-bound names. Everything that could depend on set iteration order is sorted
# explicitly. A method with other parameters is another method (its id is the SHA-256 of
# this source).

# The share of the voter franchise that must take part for any motion to be adopted.
QUORUM = fractions.Fraction(1, 2)

# A motion is adopted when yes > THRESHOLD * (yes + no): 1/2 is a simple majority of the
# votes cast on it. The comparison is strict: with 2/3, exactly two thirds (2 yes, 1 no)
# is not enough.
THRESHOLD = fractions.Fraction(1, 2)

VOTES = ("yes", "no", "abstain")


def _object(pairs):
    """json object_pairs_hook: a dict, refusing a member given twice (an ambiguous
    ballot)."""
    doc = dict(pairs)
    if len(doc) != len(pairs):
        raise ValueError("duplicate member")
    return doc


def _votes(payload, ids):
    """The ballot's yes and no votes as a tuple of (proposal id, "yes" | "no") pairs in
    id order (abstentions left out), or None if the ballot is invalid."""
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
    votes = doc.get("votes")
    if not isinstance(votes, dict):
        return None
    # Keys of a JSON object are strings; check the value's type before the tuple lookup.
    for pid, vote in votes.items():
        if pid not in ids or not isinstance(vote, str) or vote not in VOTES:
            return None
    return tuple(sorted((pid, vote) for pid, vote in votes.items() if vote != "abstain"))


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    order = sorted(p.id for p in proposals)
    ids = frozenset(order)

    # Decode each distinct payload once, then merge payloads with the same meaning.
    payloads = collections.Counter(b.payload for b in ballots)
    decoded = collections.Counter()
    invalid = 0
    for payload, n in payloads.items():
        votes = _votes(payload, ids)
        if votes is None:
            invalid += n
        else:
            decoded[votes] += n
    valid = len(ballots) - invalid

    tally = {pid: {"yes": 0, "no": 0} for pid in order}
    for votes, n in decoded.items():
        for pid, vote in votes:
            tally[pid][vote] += n

    voters = len(voter_franchise)
    turnout = len(participants)
    met = turnout >= QUORUM * voters and (voters > 0 or QUORUM == 0)

    motions = {}
    adopted = []
    for pid in order:
        yes, no = tally[pid]["yes"], tally[pid]["no"]
        passed = met and yes > THRESHOLD * (yes + no)
        motions[pid] = {"abstain": valid - yes - no, "adopted": passed, "no": no,
                        "yes": yes}
        if passed:
            adopted.append(pid)

    result = {"adopted": adopted, "ballots": len(ballots), "invalid": invalid,
              "motions": motions,
              "quorum": {"met": met, "participants": turnout, "required": str(QUORUM),
                         "voters": voters},
              "threshold": str(THRESHOLD)}
    return json.dumps(result, sort_keys=True, separators=(",", ":")).encode("utf-8")
