"""belenios-tool 2.0's STV (src/lib/core/stv.ml), ported line by line to Python.

`method stv` counts in floating point: a surplus spread over a winner's ballots can add up
to a hair under the quota, or split a tie in the last bit. To tell such rounding apart
from a real difference, the agreement test runs this port twice: with float (it must give
belenios-tool's exact events, which shows the port is faithful) and with
fractions.Fraction (it must give the FreeCoop method's exact events). The port keeps
belenios's list orders, so that its float sums are added in the same order.

    compute(nseats, ballots, number=float) -> (events, winners)
ballots are belenios rank vectors (entry i: the rank of choice i, 1 best, 0 unranked);
events use belenios's names: ["Win", [c...]], ["Lose", c], ["TieWin", [c, c]],
["TieLose", [c, c]].
    fails(nseats, ballots, winners) -> bool
whether belenios-tool 2.0 fails its final assertion (exit 124, "Assertion failed") instead
of answering: it does when there are valid ballots but fewer winners than
min(nseats, number of choices), i.e. fewer choices are ranked than seats.
"""


def process(ballot):
    """A rank vector as a preference list, or None if invalid (ties, gaps, ranks out of
    range): ranks must be exactly 1..k, every other entry 0."""
    used = [False] * len(ballot)
    prefs = []
    rank = 1
    while True:
        hits = [i for i, r in enumerate(ballot) if r == rank]
        if not hits:
            break
        if used[hits[0]] or len(hits) > 1:
            return None  # belenios asserts here; its ballots come from valid JSON
        used[hits[0]] = True
        prefs.append(hits[0])
        rank += 1
    if all(used[i] or ballot[i] == 0 for i in range(len(ballot))):
        return prefs
    return None


def assign(choices, wballot):
    """stv.ml's assign: the ballot goes to its first choice's list; its other choices get
    an (empty) entry. OCaml prepends; run() reverses each list once all are assigned."""
    _, prefs = wballot
    if not prefs:
        return
    choices.setdefault(prefs[0], []).append(wballot)
    for x in prefs[1:]:
        choices.setdefault(x, [])


def transfer(coef, i, scores):
    """stv.ml's transfer: every assigned ballot without i, i's ballots reweighted by coef;
    OCaml's fold conses, so the list comes out reversed."""
    accu = []
    for ai, (ab, _) in scores:
        for w, b in ab:
            if ai == i:
                w = w * coef
            accu.append((w, [x for x in b if x != i]))
    accu.reverse()
    return accu


def run(quota, ballots, nseats, number):
    events = []
    while nseats > 0:
        choices = {}
        for b in ballots:
            assign(choices, b)
        for bs in choices.values():
            bs.reverse()
        if len(choices) <= nseats:
            events.append(["Win", sorted(choices)])
            return events
        scores = []
        for ai in sorted(choices):
            bs = choices[ai]
            total = number(0)
            for w, _ in bs:
                total = total + w
            scores.append((ai, (bs, total)))
        scores.sort(key=lambda s: (-s[1][1], s[0]))
        ai, (_, aw) = scores[0]
        if aw >= quota:
            if len(scores) > 1 and scores[1][1][1] == aw:
                events.append(["TieWin", [ai, scores[1][0]]])
            c = (aw - quota) / aw
            events.append(["Win", [ai]])
            ballots = transfer(c, ai, scores)
            nseats -= 1
        else:
            ai, (_, aw) = scores[-1]
            if len(scores) > 1 and scores[-2][1][1] == aw:
                events.append(["TieLose", [ai, scores[-2][0]]])
            events.append(["Lose", ai])
            ballots = transfer(number(1), ai, scores)
    return events


def compute(nseats, ballots, number=float):
    valid = sorted(p for p in map(process, ballots) if p is not None)
    quota = number(len(valid) // (nseats + 1) + 1)
    events = run(quota, [(number(1), b) for b in valid], nseats, number)
    winners = [c for e in events if e[0] == "Win" for c in e[1]]
    return events, winners


def fails(nseats, ballots, winners):
    if not any(process(b) is not None for b in ballots):
        return False
    return len(winners) != min(nseats, len(ballots[0]))
