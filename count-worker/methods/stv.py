# FreeCoop voting method: single transferable vote (STV), SEATS winners.
#
# Proposals: the payload of a proposal is ignored; only its id matters.
#
# Ballots: the payload is UTF-8 JSON ranking some or all proposals, most preferred first,
#   one proposal per place (no ties):
#     {"ranking": ["<proposal id>", ...]}
#   Proposals the ballot does not mention are not ranked: once every proposal it ranks is
#   out of the count, the ballot is exhausted and counts for nobody. An empty ranking is
#   a valid ballot that counts for nobody (but is counted in the quota). Other members of
#   the object are ignored. A ballot is invalid (counted in "invalid", ignored entirely)
#   when its payload is not a JSON object, has no "ranking" list, or the list holds
#   something that is not the id of a proposal, or names one proposal twice.
#
# participants, proposer_franchise, voter_franchise: not used. Who may vote, and that
#   each voter has at most one ballot, is enforced by the service before counting.
#
# Result: UTF-8 JSON bytes, json.dumps(..., sort_keys=True, separators=(",", ":")):
#     {"adopted": ["<id>", ...], "ballots": n, "invalid": n, "quota": q, "seats": SEATS,
#      "rounds": [{"elected": ["<id>"], "exhausted": "<w>", "scores": {"<id>": "<w>"},
#                  "tie": ["<id>", ...], "transfer": "<w>"}
#                 | {"eliminated": "<id>", "exhausted": "<w>", "scores": {...},
#                    "tie": [...]}, ...]}
#   Weights <w> are exact fractions as strings ("7", "13/5").
#   rounds   one entry per round: scores the weight of the ballots counting for each
#            continuing proposal (their highest-ranked continuing one), exhausted the
#            weight of valid ballots counting for nobody, then what the round decided:
#            "elected" one proposal that reached the quota, with "transfer" the share of
#            each of its ballots' weight passed on; or "elected" every continuing
#            proposal (in id order) when no more continue than seats are left; or
#            "eliminated" one proposal. "tie" (only when there was one) lists the other
#            proposals whose score equalled the elected or eliminated one's;
#   adopted  the proposals elected, in the order they were elected (at most SEATS);
#   quota    the Droop quota, floor(valid / (SEATS + 1)) + 1, valid counting every valid
#            ballot, empty rankings included;
#   invalid  the number of invalid ballots; ballots the number of ballots in all.
#
# Method: the variant belenios-tool 2.0 implements (`belenios-tool method stv`), in exact
#   rational arithmetic where belenios uses floating point. The continuing proposals are
#   at first those that at least one valid ballot ranks; a proposal nobody ranks takes no
#   part and is never elected, so fewer than SEATS proposals may be adopted. Each round,
#   in this order:
#   1. if no more proposals continue than seats are left, all of them are elected;
#   2. else if the highest score reaches the quota, that one proposal is elected (one per
#      round, even when several reach the quota), and every ballot counting for it passes
#      on to its next continuing preference with its weight multiplied by
#      (score - quota) / score (the surplus, spread over all its ballots);
#   3. else the proposal with the lowest score is eliminated and its ballots pass on at
#      their current weight.
#   The count ends when SEATS proposals are elected or none continue. The quota is fixed
#   at the start, and exhausted ballots keep counting in it.
#
# Ties: equal scores are ordered by id (Python string order, i.e. by code point) as
#   belenios orders them by choice index: the smallest id is elected, the largest id is
#   eliminated. So ties favour the smallest id. "tie" shows a tie to anyone reading the
#   result. Scores are exact, so a tie is a real tie (belenios's floating-point sums can
#   split or make one in the last bit).
#
# Efficiency: identical payloads are decoded once and identical rankings are counted
#   once with their multiplicity; ballots passed on together share one weight, so the
#   work per ballot is in integers and only the few weights are fractions; each round
#   moves only the elected or eliminated proposal's ballots.
#
# Count contract (DESIGN §4): no import statements; json, collections and fractions are
# pre-bound names. Everything that could depend on set iteration order is sorted
# explicitly.

# How many proposals are elected. A method with another value is another method (its id
# is the SHA-256 of this source).
SEATS = 2


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


class _Count:
    """The state of the count. Ballots with the same ranking share a pile entry
    (ranking, n, position, weight class): n ballots on the pile of the proposal at
    ranking[position], each weighing weights[class]. Ballots passed on together keep
    sharing a weight, so there are few classes and the per-ballot work is in integers;
    a score is a sum over the classes of a pile."""

    def __init__(self, rankings):
        self.continuing = set()
        for ranking in rankings:
            self.continuing.update(ranking)
        self.weights = [fractions.Fraction(1)]
        self.piles = {pid: [] for pid in self.continuing}
        # Per proposal, and for the exhausted ballots: how many ballots of each class.
        self.tally = {pid: collections.Counter() for pid in self.continuing}
        self.exhausted = collections.Counter()
        for ranking, n in rankings.items():  # sums are exact: the order does not matter
            self._place(ranking, n, 0, 0)

    def _place(self, ranking, n, start, cls):
        """Puts n ballots of ranking on the first continuing proposal from start on."""
        for i in range(start, len(ranking)):
            pid = ranking[i]
            if pid in self.continuing:
                self.piles[pid].append((ranking, n, i, cls))
                self.tally[pid][cls] += n
                return
        self.exhausted[cls] += n

    def weight(self, counts):
        """The total weight of ballots counted by class."""
        return sum((n * self.weights[cls] for cls, n in counts.items()),
                   fractions.Fraction(0))

    def remove(self, pid, factor):
        """Takes pid out of the count; its ballots pass on, their weight times factor
        (those left with no weight pass on to nobody)."""
        self.continuing.remove(pid)
        del self.tally[pid]
        moved = {}  # class -> the class of its weight times factor
        for ranking, n, i, cls in self.piles.pop(pid):
            if factor != 1:
                if cls not in moved:
                    moved[cls] = len(self.weights)
                    self.weights.append(self.weights[cls] * factor)
                cls = moved[cls]
            if self.weights[cls] != 0:
                self._place(ranking, n, i + 1, cls)


def _round(state, seats_left, quota):
    """Runs one round; returns its entry and the proposals it elected."""
    order = sorted(state.continuing)
    scores = {pid: state.weight(state.tally[pid]) for pid in order}
    entry = {"exhausted": str(state.weight(state.exhausted)),
             "scores": {pid: str(scores[pid]) for pid in order}}
    if len(order) <= seats_left:
        entry["elected"] = order
        for pid in order:
            state.remove(pid, 0)
        return entry, order
    ranked = sorted(order, key=lambda pid: (-scores[pid], pid))
    top = ranked[0]
    if scores[top] >= quota:
        tied = [pid for pid in ranked[1:] if scores[pid] == scores[top]]
        factor = (scores[top] - quota) / scores[top]
        entry["elected"] = [top]
        entry["transfer"] = str(factor)
        state.remove(top, factor)
        elected = [top]
    else:
        loser = ranked[-1]  # the fewest votes, then the largest id
        tied = [pid for pid in ranked[:-1] if scores[pid] == scores[loser]]
        entry["eliminated"] = loser
        state.remove(loser, 1)
        elected = []
    if tied:
        entry["tie"] = tied
    return entry, elected


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

    quota = (len(ballots) - invalid) // (SEATS + 1) + 1
    state = _Count(rankings)
    rounds = []
    adopted = []
    while len(adopted) < SEATS and state.continuing:
        entry, elected = _round(state, SEATS - len(adopted), quota)
        rounds.append(entry)
        adopted.extend(elected)

    result = {"adopted": adopted, "ballots": len(ballots), "invalid": invalid,
              "quota": quota, "rounds": rounds, "seats": SEATS}
    return json.dumps(result, sort_keys=True, separators=(",", ":")).encode("utf-8")
