# FreeCoop voting method: majority judgment (Balinski and Laraki).
#
# Proposals: the payload of a proposal is ignored; only its id matters.
#
# Ballots: the payload is UTF-8 JSON giving every proposal one grade of GRADES (below):
#     {"grades": {"<proposal id>": "excellent" | "very good" | ... | "reject", ...}}
#   A ballot must grade every proposal. {"grades": {}} is a blank ballot: counted in
#   "blank", grading nothing. Other members of the object are ignored. A ballot is
#   invalid (counted in "invalid", grading nothing) when its payload is not a JSON object,
#   has an object member twice, has no "grades" object, or "grades" names something that
#   is not the id of a proposal, gives a value that is not one of GRADES, or leaves a
#   proposal out (unless it is blank).
#
# participants, proposer_franchise, voter_franchise: not used. Who may vote, and that
#   each voter has at most one ballot, is enforced by the service before counting.
#
# Result: UTF-8 JSON bytes, json.dumps(..., sort_keys=True, separators=(",", ":")):
#     {"adopted": ["<id>"], "ballots": n, "blank": n, "grade_names": GRADES,
#      "grades": {"<id>": [n, ...], ...}, "invalid": n,
#      "majority_grade": {"<id>": "<grade>" | null, ...}, "ranking": ["<id>", ...]}
#   grades         per proposal, how many valid ballots gave it each grade, in the order
#                  of grade_names (best first);
#   majority_grade per proposal, its majority grade (below), or null when there is no
#                  valid ballot;
#   ranking        every proposal, best first;
#   adopted        the first of ranking, as a one-element list, or [] when there is no
#                  valid ballot;
#   blank, invalid the number of blank and invalid ballots; ballots the number in all.
#
# Method: standard majority judgment. A proposal's majority grade is the median of its
#   grades; with an even number of grades, the lower (worse) of the two middle ones, so
#   that a majority of the valid ballots gave it that grade or better. Proposals are
#   ranked by majority grade; proposals with the same majority grade are separated by
#   removing one majority grade from each and comparing the majority grades of the rest,
#   and so on: that is, by comparing their sequences of majority grades (Balinski and
#   Laraki's "majority values") lexicographically.
#   belenios-tool 2.0 (`method majority-judgment`) does the same except that with an even
#   number of grades it takes the better of the two middle ones, at every step of the
#   sequence. On the grade scale turned upside down, its ranking is exactly this one
#   reversed.
#
# Ties: two proposals tie only when they received exactly the same grades (their
#   sequences are then equal). Tied proposals are ranked in id order (Python string
#   order, i.e. by code point), so a tie for first place goes to the smallest id;
#   "grades" shows the tie to anyone reading the result.
#
# Efficiency: identical payloads are decoded once. A proposal's sequence of majority
#   grades is compared run by run from its grade counts, so ranking costs nothing per
#   ballot.
#
# Count contract (DESIGN §4): no import statements; json, collections, bisect, functools
# and itertools are pre-bound names. Everything that could depend on set iteration order
# is sorted explicitly. A method with other grades is another method (its id is the
# SHA-256 of this source).

# The grades, best first.
GRADES = ["excellent", "very good", "good", "acceptable", "poor", "reject"]

GRADE_INDEX = {name: i for i, name in enumerate(GRADES)}


def _object(pairs):
    """json object_pairs_hook: a dict, refusing a member given twice (an ambiguous
    ballot)."""
    doc = dict(pairs)
    if len(doc) != len(pairs):
        raise ValueError("duplicate member")
    return doc


def _grades(payload, ids):
    """The grade index of every proposal as a tuple in id order, () for a blank ballot,
    or None if the ballot is invalid."""
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
    grades = doc.get("grades")
    if not isinstance(grades, dict):
        return None
    if not grades:
        return ()
    if len(grades) != len(ids):
        return None
    for pid, grade in grades.items():
        # Check the type before the dict lookup: a list or dict is not hashable.
        if pid not in ids or not isinstance(grade, str) or grade not in GRADE_INDEX:
            return None
    return tuple(GRADE_INDEX[grades[pid]] for pid in sorted(grades))


def _runs(cum, start, step, length):
    """The grades at positions start, start + step, ... (length of them) of the sorted
    grades (best first) whose cumulative counts are cum, as (grade, repeat) runs."""
    runs = []
    x = start
    while length > 0:
        g = bisect.bisect_right(cum, x)
        if step > 0:
            m = min(cum[g] - x, length)
        else:
            m = min(x - (cum[g - 1] if g > 0 else 0) + 1, length)
        runs.append((g, m))
        x += step * m
        length -= m
    return runs


def _pairs(a, b):
    """Zips two run lists of equal total length into ((grade_a, grade_b), repeat) runs."""
    out = []
    i = j = 0
    ra = a[0][1] if a else 0
    rb = b[0][1] if b else 0
    while i < len(a):
        m = min(ra, rb)
        out.append(((a[i][0], b[j][0]), m))
        ra -= m
        rb -= m
        if ra == 0:
            i += 1
            ra = a[i][1] if i < len(a) else 0
        if rb == 0:
            j += 1
            rb = b[j][1] if j < len(b) else 0
    return out


def _majority_values(counts):
    """The sequence of majority grades of a proposal with these grade counts (best
    first), as ((grade, grade), repeat) runs: the median removed first stands alone as a
    pair with -1, then the grades are removed two at a time, alternating sides.

    Of n' sorted grades the majority grade is at position n' // 2 (the lower median when
    n' is even). Removing it leaves a gap; the next majority grade is always on one of
    its edges: on the right edge first when n is odd, on the left edge when n is even."""
    n = sum(counts)
    if n == 0:
        return []
    cum = list(itertools.accumulate(counts))
    k = n // 2
    seq = [((bisect.bisect_right(cum, k), -1), 1)]
    if n % 2 == 1:
        # k, then k+1, k-1, k+2, k-2, ...
        seq += _pairs(_runs(cum, k + 1, 1, k), _runs(cum, k - 1, -1, k))
    else:
        # k, then k-1, k+1, k-2, k+2, ..., and position 0 last
        seq += _pairs(_runs(cum, k - 1, -1, k - 1), _runs(cum, k + 1, 1, k - 1))
        seq.append(((bisect.bisect_right(cum, 0), -1), 1))
    return seq


def _compare(a, b):
    """Compares two majority-value sequences of the same length: < 0 if a is better."""
    i = j = 0
    ra = a[0][1] if a else 0
    rb = b[0][1] if b else 0
    while i < len(a):
        if a[i][0] != b[j][0]:
            return -1 if a[i][0] < b[j][0] else 1
        m = min(ra, rb)
        ra -= m
        rb -= m
        if ra == 0:
            i += 1
            ra = a[i][1] if i < len(a) else 0
        if rb == 0:
            j += 1
            rb = b[j][1] if j < len(b) else 0
    return 0


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    order = sorted(p.id for p in proposals)
    ids = frozenset(order)

    # Decode each distinct payload once, then merge payloads with the same grades.
    payloads = collections.Counter(b.payload for b in ballots)
    decoded = collections.Counter()
    invalid = blank = 0
    for payload, n in payloads.items():
        grades = _grades(payload, ids)
        if grades is None:
            invalid += n
        elif not grades:
            blank += n
        else:
            decoded[grades] += n

    counts = {pid: [0] * len(GRADES) for pid in order}
    for grades, n in decoded.items():
        for pid, g in zip(order, grades):
            counts[pid][g] += n
    valid = len(ballots) - invalid - blank

    values = {pid: _majority_values(counts[pid]) for pid in order}
    # sorted() is stable and order is in id order: ties stay in id order.
    ranking = sorted(order, key=functools.cmp_to_key(lambda a, b: _compare(values[a],
                                                                          values[b])))
    majority = {pid: (GRADES[values[pid][0][0][0]] if valid else None) for pid in order}
    adopted = ranking[:1] if valid else []

    result = {"adopted": adopted, "ballots": len(ballots), "blank": blank,
              "grade_names": GRADES, "grades": counts, "invalid": invalid,
              "majority_grade": majority, "ranking": ranking}
    return json.dumps(result, sort_keys=True, separators=(",", ":")).encode("utf-8")
