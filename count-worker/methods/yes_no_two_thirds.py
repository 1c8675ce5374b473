# FreeCoop voting method: yes/no motions that need two thirds of the votes, with a quorum.
#
# The same ballots, quorum and result as yes_no.py; only the rule for adopting a motion
# differs: at least two thirds of the yes and no votes cast on it, where yes_no.py needs
# more than half. It is a method of its own, not yes_no.py with another THRESHOLD: there
# the comparison is strict ("more than"), so yes_no.py with THRESHOLD = 2/3 refuses
# exactly two thirds (2 yes to 1 no), which this method adopts. It is meant for decisions
# that should need a qualified majority (amending the charter, removing a member).
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
# Result: UTF-8 JSON bytes, json.dumps(..., sort_keys=True, separators=(",", ":")), the
#   same members as yes_no.py's:
#     {"adopted": ["<id>", ...], "ballots": n, "invalid": n,
#      "motions": {"<id>": {"abstain": n, "adopted": bool, "no": n, "yes": n}, ...},
#      "quorum": {"met": bool, "participants": n, "required": "1/2", "voters": n},
#      "threshold": "2/3"}
#   motions   per motion, the valid ballots voting yes, no, and abstaining (explicitly or
#             by not mentioning it), and whether it is adopted;
#   quorum    participants = len(participants), voters = len(voter_franchise), required
#             = QUORUM as a fraction, met = participants >= QUORUM * voters (an empty
#             franchise meets only a QUORUM of 0);
#   threshold THRESHOLD as a fraction: the share of yes + no a motion needs, at least;
#   adopted   every motion, in id order, with yes >= THRESHOLD * (yes + no) and yes > 0,
#             when the quorum is met; [] when it is not. Abstentions (explicit or by
#             omission) and invalid ballots count towards neither side: they neither help
#             nor hinder a motion, they only count towards the quorum.
#   invalid   the number of invalid ballots; ballots the number of ballots in all.
#
# The rule in whole numbers: with THRESHOLD = n/d, a motion passes when
#   d * yes >= n * (yes + no), i.e. 3 * yes >= 2 * (yes + no), i.e. yes >= 2 * no: exactly
#   two thirds is enough (2 yes to 1 no, 4 to 2, 6 to 3); less is not (5 yes to 3 no is
#   62.5%: refused; 3 to 2 is 60%: refused). No floating point is involved anywhere.
#
# No votes: a motion nobody voted yes or no on (0 yes, 0 no: no ballots, or only
#   abstentions) is not adopted, as in yes_no.py. Here that needs saying: 0 >= 2/3 * 0
#   holds, so the comparison alone would adopt it; a motion needs at least one yes vote.
#
# Ties: none to break. yes = no (with at least one vote each) is 50% and fails with the
#   default THRESHOLD.
#
# Count contract (DESIGN §4): no import statements; json, collections and fractions are
# pre-bound names. Everything that could depend on set iteration order is sorted
# explicitly. A method with other parameters is another method (its id is the SHA-256 of
# this source).

# The share of the voter franchise that must take part for any motion to be adopted.
QUORUM = fractions.Fraction(1, 2)

# A motion is adopted when yes >= THRESHOLD * (yes + no) (and yes > 0), compared in whole
# numbers as denominator * yes >= numerator * (yes + no). Exactly the threshold is enough.
THRESHOLD = fractions.Fraction(2, 3)

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


def _passes(yes, no):
    """At least THRESHOLD of the yes and no votes, and at least one yes vote; integers
    only."""
    return yes > 0 and THRESHOLD.denominator * yes >= THRESHOLD.numerator * (yes + no)


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
        passed = met and _passes(yes, no)
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
