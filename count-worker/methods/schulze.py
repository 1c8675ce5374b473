# FreeCoop voting method: Schulze (beatpath), winning votes, then losing votes.
#
# Proposals: the payload of a proposal is ignored; only its id matters.
#
# Ballots: the payload is UTF-8 JSON ranking proposals in groups, most preferred first:
#     {"ranking": [["p1"], ["p2", "p3"], ["p4"]]}
#   Proposals in the same group are ranked equal. Proposals the ballot does not mention
#   rank below every mentioned one, equal to each other. Empty groups are skipped and
#   other members of the object are ignored. A ballot is invalid (counted in "invalid",
#   otherwise ignored entirely) when its payload is not a JSON object whose "ranking"
#   is a list of lists of strings, or when it names an id that is not a proposal, or
#   names one proposal twice.
#
# participants, proposer_franchise, voter_franchise: not used. Who may vote, and that
#   each voter has at most one ballot, is enforced by the service before counting.
#
# Result: UTF-8 JSON bytes, json.dumps(..., sort_keys=True, separators=(",", ":")):
#     {"adopted": ["<id>"], "invalid": n, "pairwise": {"<a>": {"<b>": n, ...}, ...},
#      "ranking": [["<id>", ...], ["<id>", ...], ...]}
#   pairwise[a][b] the number of valid ballots ranking a strictly above b (every
#                  ordered pair of distinct proposals, zeros included);
#   ranking        every proposal once, in Schulze order, as groups of tied proposals
#                  (see Ranking below), best group first, the ids inside a group in
#                  Python string order (by code point); [] when there are no proposals;
#   invalid        the number of invalid ballots;
#   adopted        the smallest id of the first group, as a one-element list, or [] when
#                  there are no proposals or no valid ballot.
#
# Method: the Schulze method with winning votes, and losing votes as the secondary
#   measure, exactly as belenios-tool 2.0 (src/lib/core/schulze.ml) after CIVS
#   (beatpath2.pm). With W = pairwise[a][b] and L = pairwise[b][a], there is a link
#   a -> b of strength (W, L) when W > L, and none otherwise. Strengths are totally
#   ordered: (W1, L1) is stronger than (W2, L2) when W1 > W2, or W1 = W2 and L1 < L2
#   (of two links with the same winning votes, the one with fewer votes against it);
#   the absence of a link is weaker than every link. A path is as strong as its weakest
#   link; p[a][b], the strength of the strongest path from a to b, is computed with
#   Floyd-Warshall. a beats b when p[a][b] is stronger than p[b][a]; this relation is
#   transitive (Schulze 2011, for any such order of links), so no proposal beats itself
#   through others.
#   Internally a strength (W, L) is the integer W * M - L with M = valid ballots + 1
#   (L <= valid < M) and the absence of a link is 0, so the integers compare as the
#   pairs do.
#
# Ranking: the first group holds every proposal that no other proposal beats (the
#   Schulze winners); each next group every proposal not yet ranked that no other
#   proposal not yet ranked beats (p stays the strongest paths among all proposals).
#   These groups are belenios-tool's "winners". A proposal in a later group need not be
#   beaten by every proposal of an earlier one: with b beating a and c tied with both,
#   the ranking is [[b, c], [a]].
#
# Ties: proposals in one group are tied. The adopted proposal is the smallest id of the
#   first group (Python string order, i.e. by code point): deterministic but arbitrary;
#   ranking and pairwise show such ties to anyone reading the result.
#
# Efficiency: identical payloads are decoded once, and identical rankings (after putting
#   each group in id order) are counted once with their multiplicity, so the work grows
#   with the number of distinct rankings, not the number of ballots.
#
# Count contract (DESIGN §4): no import statements; json and collections are pre-bound
# names. Everything that could depend on set iteration order is sorted explicitly.


def _ranking(payload, ids):
    """The canonical ranking of a ballot payload, a tuple of groups, each a tuple of
    proposal ids in id order; or None if the ballot is invalid."""
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
    seen = set()
    groups = []
    for group in ranking:
        if not isinstance(group, list):
            return None
        for pid in group:
            # Check the type before the set lookups: a list or dict is not hashable.
            if not isinstance(pid, str) or pid not in ids or pid in seen:
                return None
            seen.add(pid)
        if group:
            groups.append(tuple(sorted(group)))
    return tuple(groups)


def _pairwise(order, rankings):
    """d[a][b]: the weight of the rankings that put a strictly above b."""
    d = {a: {b: 0 for b in order if b != a} for a in order}
    for groups, n in rankings.items():
        # Position of each proposal; unmentioned proposals share the last position.
        rank = dict.fromkeys(order, len(groups))
        for i, group in enumerate(groups):
            for pid in group:
                rank[pid] = i
        for a in order:
            ra = rank[a]
            row = d[a]
            for b in order:
                if ra < rank[b]:
                    row[b] += n
    return d


def _strongest_paths(order, d, valid):
    """p[a][b]: the strength of the strongest path from a to b, each strength (W, L)
    encoded as the integer W * m - L (m = valid + 1), and 0 for no path."""
    m = valid + 1
    p = {a: {b: (d[a][b] * m - d[b][a] if d[a][b] > d[b][a] else 0)
             for b in order if b != a}
         for a in order}
    for i in order:
        for j in order:
            if j == i:
                continue
            pji = p[j][i]
            if pji == 0:
                continue
            row = p[j]
            for k in order:
                if k != i and k != j:
                    via = min(pji, p[i][k])
                    if via > row[k]:
                        row[k] = via
    return p


def _schulze_groups(order, p):
    """Every proposal, best group first: repeatedly every remaining proposal that no
    remaining proposal beats (order is sorted, so each group is in id order)."""
    remaining = list(order)
    groups = []
    while remaining:
        group = [c for c in remaining
                 if not any(p[o][c] > p[c][o] for o in remaining if o != c)]
        if not group:  # unreachable: the beat relation is a strict partial order
            group = remaining
        groups.append(group)
        taken = set(group)
        remaining = [c for c in remaining if c not in taken]
    return groups


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    order = sorted(p.id for p in proposals)
    ids = frozenset(order)

    # Decode each distinct payload once, then merge payloads with the same meaning
    # (e.g. different spacing or group order) into one canonical ranking.
    payloads = collections.Counter(b.payload for b in ballots)
    rankings = collections.Counter()
    valid = 0
    invalid = 0
    for payload, n in payloads.items():
        groups = _ranking(payload, ids)
        if groups is None:
            invalid += n
        else:
            rankings[groups] += n
            valid += n

    d = _pairwise(order, rankings)
    p = _strongest_paths(order, d, valid)
    ranking = _schulze_groups(order, p)
    adopted = ranking[0][:1] if ranking and valid > 0 else []

    result = {"adopted": adopted, "invalid": invalid, "pairwise": d, "ranking": ranking}
    return json.dumps(result, sort_keys=True, separators=(",", ":")).encode("utf-8")
