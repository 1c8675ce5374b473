#!/usr/bin/python3
"""The ranked and graded methods against belenios-tool 2.0, an independent implementation,
on seeded random ballot sets: many small and tied ones, close ones, a few larger ones.

    FREECOOP_WORKER_BIN=... /usr/bin/python3 test_belenios.py KIND [--seed N] [--jail N] [--fast N]

KIND is one of:
  schulze  schulze.py vs `method schulze`: the pairwise matrix equals belenios's "raw",
           the invalid count is the number of invalid payloads, and the ranking is
           exactly belenios's "winners" (the whole order in groups) as ids, each group
           in id order; adopted is the smallest id of the first group. belenios's groups
           must also be the layers of its own beatpaths under the rule schulze.py states
           (more winning votes, then fewer losing votes); the suite counts the cases
           where winning votes alone would give other groups.
  schulze_cycles
           the same checks on cycles of rotated rankings with a few tied and truncated
           ballots, where links of equal winning votes are common and losing votes
           often decide.
  stv      stv.py (SEATS 1 to 4) vs `method stv --nseats=S`: a line-by-line port of
           belenios's STV (belenios_stv.py) gives belenios's exact events in floating
           point, and stv.py's exact events in rational arithmetic; so stv.py is
           belenios's algorithm, and wherever the two differ, floating point is why.
  irv      irv.py vs `method stv --nseats=1`: the same winner; irv.py's eliminations
           (and their ties) are the first of belenios's events.
  mj       majority_judgment.py vs `method majority-judgment`: belenios takes the better
           middle grade of an even count, majority_judgment.py the lower (standard);
           on the grade scale turned upside down, belenios's order reversed must be
           exactly ours, groups of ties ordered by id. The grade counts must agree.

Cases 0..JAIL-1 run in the real jail and with plain Python (reference.py), which must
give the same bytes; the next FAST cases run in this process. --seed N runs only case N
and prints it, to reproduce a failure. Exit 77 (skipped) without belenios-tool. A full run
also fails when its cases lack what COVERAGE says the kind must exercise.
"""

import argparse
import collections
import fractions
import json
import random
import shutil
import subprocess
import sys

import belenios_stv
import methods_lib as lib

BASE_SEED = 20261124
# Proposal ids chosen so that Python string order is not the obvious one.
ID_POOL = ["a", "b", "B", "Z", "aa", "z", "10", "9", "p-2", "p-10", "x y", "\u00e9",
           "\u00fc", "\u03a9", "\U0001f34e"]
# Payloads each method counts as invalid; belenios never sees them.
INVALID_RANKED = [b"oops", b'{"ranking": ["nobody"]}', b"\xef\xbb\xbf{}", b"[]"]
INVALID_MJ = [b"oops", b'{"grades": {"nobody": "good"}}', b'{"grades": []}']
GRADES = ["excellent", "very good", "good", "acceptable", "poor", "reject"]


def belenios(args, ballots):
    """belenios-tool method ARGS on the rank or grade vectors; None if it fails its
    assertion (stv only: fewer choices ranked than seats)."""
    r = subprocess.run(["belenios-tool", "method"] + args, input=json.dumps(ballots),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        if "Assertion failed" in r.stderr and args[0] == "stv":
            return None
        raise AssertionError("belenios-tool %s: exit %d: %s" % (args, r.returncode, r.stderr))
    return json.loads(r.stdout)


# -- ballot sets --------------------------------------------------------------------------

def ballot_count(rnd):
    return rnd.choice([0, 1, 2, 3, rnd.randint(4, 12), rnd.randint(4, 40),
                       rnd.randint(40, 150)])


def random_ranking(rnd, ids, full=False):
    r = list(ids)
    rnd.shuffle(r)
    return r if full else r[:rnd.randint(0, len(r))]


def rankings(rnd, ids, n):
    """n strict rankings in one of several styles; ties and near-ties are common."""
    style = rnd.choice(["factions", "factions", "random", "close", "mirror"])
    if style == "factions":
        factions = [random_ranking(rnd, ids) for _ in range(rnd.randint(1, 4))]
        weights = [rnd.randint(1, 5) for _ in factions]
        return [rnd.choices(factions, weights)[0] for _ in range(n)]
    if style == "random":
        return [random_ranking(rnd, ids) for _ in range(n)]
    if style == "close":  # two camps of (nearly) the same size, a few others
        a, b = random_ranking(rnd, ids, True), random_ranking(rnd, ids, True)
        half = n // 2
        out = [a] * half + [b] * (n - half - rnd.randint(0, min(2, n - half)))
        return out + [random_ranking(rnd, ids) for _ in range(n - len(out))]
    out = []  # "mirror": ballots and their reversals, everything ties
    while len(out) < n:
        r = random_ranking(rnd, ids)
        out += [r, r[::-1]]
    return out[:n]


def with_invalid(rnd, payloads, pool):
    """payloads with 0-2 invalid ones inserted; returns them and the invalid count."""
    extra = [rnd.choice(pool) for _ in range(rnd.choice([0, 0, 1, 2]))]
    out = list(payloads)
    for p in extra:
        out.insert(rnd.randint(0, len(out)), p)
    return out, len(extra)


def profile(rnd):
    ids = sorted(rnd.sample(ID_POOL, rnd.randint(1, 7)))
    n = ballot_count(rnd)
    if rnd.random() < 0.03:
        n = rnd.randint(1000, 2000)  # larger: identical payloads merge
    return ids, n


def rank_vector(ids, ranking):
    v = [0] * len(ids)
    for place, pid in enumerate(ranking):
        v[ids.index(pid)] = place + 1
    return v


# -- schulze ------------------------------------------------------------------------------

def schulze_vectors(ids, ballots):
    """belenios's rank vectors of ballots given as groups: group i ranks i + 1, 0 for an
    unmentioned proposal."""
    vectors = []
    for groups in ballots:
        v = [0] * len(ids)
        for place, group in enumerate(groups):
            for pid in group:
                v[ids.index(pid)] = place + 1
        vectors.append(v)
    return vectors


def schulze_case(rnd):
    ids, n = profile(rnd)
    ballots = []
    for r in rankings(rnd, ids, n):
        groups = []  # cut the ranking into groups of equal rank
        for pid in r:
            if groups and rnd.random() < 0.3:
                groups[-1].append(pid)
            else:
                groups.append([pid])
        ballots.append(groups)
    payloads, invalid = with_invalid(rnd, [{"ranking": g} for g in ballots],
                                     INVALID_RANKED)
    return ids, payloads, schulze_vectors(ids, ballots), invalid


def schulze_cycle_case(rnd):
    """Every rotation of one order, each 2 or 3 times, and a few ballots with ties and
    unranked proposals: a cycle whose links often have the same winning votes, so that
    losing votes decide (in about a third of these cases; in the random sets above,
    rarely)."""
    ids = sorted(rnd.sample(ID_POOL, rnd.randint(3, 5)))
    base = rnd.sample(ids, len(ids))
    ballots = []
    for r in range(len(ids)):
        ballots += [[[pid] for pid in base[r:] + base[:r]]] * rnd.randint(2, 3)
    for _ in range(rnd.randint(1, 4)):
        place = {pid: rnd.randint(0, 2) for pid in ids}  # 0: unranked
        ballots.append([g for g in ([p for p in ids if place[p] == i] for i in (1, 2)) if g])
    rnd.shuffle(ballots)
    payloads, invalid = with_invalid(rnd, [{"ranking": g} for g in ballots],
                                     INVALID_RANKED)
    return ids, payloads, schulze_vectors(ids, ballots), invalid


def stronger(x, y):
    """belenios's order of beatpath strengths [W, L] (src/lib/core/schulze.ml, Beat.compare):
    more winning votes, or as many and fewer losing votes."""
    return x[0] > y[0] or (x[0] == y[0] and x[1] < y[1])


def layers(ids, beats):
    """ids in groups: repeatedly every remaining id that no remaining id beats."""
    remaining, out = list(ids), []
    while remaining:
        layer = [c for c in remaining if not any(beats(o, c) for o in remaining if o != c)]
        out.append(sorted(layer))
        remaining = [c for c in remaining if c not in layer]
    return out


def check_schulze(case, result, stats):
    ids, _, vectors, invalid = case
    bel = belenios(["schulze", "--blank-allowed=false", "--nchoices=%d" % len(ids)], vectors)
    ix = {pid: i for i, pid in enumerate(ids)}
    raw, bp = bel["raw"], bel["beatpaths"]
    pairwise = {a: {b: raw[ix[a]][ix[b]] for b in ids if b != a} for a in ids}
    assert result["pairwise"] == pairwise, "pairwise %s, belenios raw %s" % (
        result["pairwise"], pairwise)
    assert (result["invalid"], bel["valid"]) == (invalid, len(vectors)), \
        "invalid %d, want %d" % (result["invalid"], invalid)

    # The whole order, exactly: belenios's "winners" as ids, each group in id order.
    groups = [sorted(ids[i] for i in g) for g in bel["winners"]]
    assert result["ranking"] == groups, "ranking %s, belenios %s" % (result["ranking"], groups)
    assert result["adopted"] == (groups[0][:1] if bel["valid"] > 0 else []), \
        "adopted %s, belenios %s" % (result["adopted"], groups)

    # belenios's groups are the layers of its own beatpaths under the rule schulze.py
    # states; winning votes alone would give other layers where losing votes decide.
    assert layers(ids, lambda a, b: stronger(bp[ix[a]][ix[b]], bp[ix[b]][ix[a]])) == groups, \
        "belenios's groups are not the layers of its beatpaths: %s" % bp
    if layers(ids, lambda a, b: bp[ix[a]][ix[b]][0] > bp[ix[b]][ix[a]][0]) != groups:
        stats["losing votes decide the groups"] += 1
    if any(len(g) > 1 for g in groups):
        stats["with tied proposals"] += 1


# What the seeded sets of a kind must contain, so that agreement means something.
COVERAGE = {"schulze": ["with tied proposals"],
            "schulze_cycles": ["losing votes decide the groups", "with tied proposals"]}


# -- stv ----------------------------------------------------------------------------------

def surplus_camps(rnd):
    """2 or 3 equal camps, each with its own first choice and the same later ones, and
    one seat more than camps: the surpluses, thirds of a vote, add up to exactly the
    quota or a tie, which belenios's floating-point sums often miss by a hair."""
    camps = rnd.choice([2, 3])
    ids = sorted(rnd.sample(ID_POOL, camps + rnd.choice([1, 2])))
    firsts, shared = ids[:camps], ids[camps:]
    rnd.shuffle(firsts)
    ballots = []
    for first in firsts:
        ballots += [[first] + rnd.sample(shared, len(shared))] * rnd.choice([3, 6, 9, 12])
    return ids, camps + 1, ballots


def stv_case(rnd):
    ids, n = profile(rnd)
    seats = rnd.choice([1, 2, 2, 3])
    ballots = rankings(rnd, ids, n)
    if rnd.random() < 0.2:
        ids, seats, ballots = surplus_camps(rnd)
    payloads, invalid = with_invalid(rnd, [{"ranking": r} for r in ballots], INVALID_RANKED)
    return ids, payloads, [rank_vector(ids, r) for r in ballots], seats, invalid


def stv_events(result, seats):
    """stv.py's rounds as belenios events (ids)."""
    events = []
    for r in result["rounds"]:
        if "eliminated" in r:
            if "tie" in r:
                events.append(["TieLose", [r["eliminated"], max(r["tie"])]])
            events.append(["Lose", r["eliminated"]])
        else:
            if "tie" in r:
                events.append(["TieWin", [r["elected"][0], min(r["tie"])]])
            events.append(["Win", r["elected"]])
    if not result["rounds"] and seats > 0:
        events.append(["Win", []])  # belenios's answer when no choice is ranked
    return events


def named(ids, events):
    return [[e, [ids[c] for c in x] if isinstance(x, list) else ids[x]] for e, x in events]


def check_stv(case, result, stats):
    ids, _, vectors, seats, invalid = case
    valid = len(vectors)
    quota = valid // (seats + 1) + 1
    got = (result["seats"], result["quota"], result["invalid"])
    assert got == (seats, quota, invalid), "seats, quota, invalid %s, want %s" % (
        got, (seats, quota, invalid))
    # Every round accounts for every valid ballot: continuing, exhausted, or kept by an
    # elected proposal (exactly the quota).
    kept = 0
    for r in result["rounds"]:
        total = sum(map(fractions.Fraction, r["scores"].values()))
        assert total + fractions.Fraction(r["exhausted"]) + kept == valid, \
            "round %s does not account for %d valid ballots" % (r, valid)
        if "transfer" in r:
            kept += quota

    ours = stv_events(result, seats)
    exact, exact_winners = belenios_stv.compute(seats, vectors, fractions.Fraction)
    assert ours == named(ids, exact), "events %s, exact port %s" % (ours, named(ids, exact))
    assert result["adopted"] == [ids[c] for c in exact_winners], "adopted %s, port %s" % (
        result["adopted"], [ids[c] for c in exact_winners])

    bel = belenios(["stv", "--nseats=%d" % seats], vectors)
    events, winners = belenios_stv.compute(seats, vectors, float)
    if bel is None:
        assert belenios_stv.fails(seats, vectors, winners), "belenios failed unexpectedly"
        stats["belenios fails: fewer ranked than seats"] += 1
        return
    assert (bel["events"], bel["winners"]) == (events, winners), \
        "the port is not belenios: %s vs %s" % ((bel["events"], bel["winners"]),
                                                 (events, winners))
    if named(ids, bel["events"]) == ours:
        stats["same events as belenios"] += 1
    else:
        assert (events, winners) != (exact, exact_winners), "differ, but not by rounding"
        stats["events differ by floating point"] += 1
        if [ids[c] for c in bel["winners"]] != result["adopted"]:
            stats["winners differ by floating point"] += 1


# -- irv ----------------------------------------------------------------------------------

def irv_case(rnd):
    ids, n = profile(rnd)
    ballots = rankings(rnd, ids, n)
    payloads, invalid = with_invalid(rnd, [{"ranking": r} for r in ballots], INVALID_RANKED)
    return ids, payloads, [rank_vector(ids, r) for r in ballots], invalid


def check_irv(case, result, stats):
    ids, _, vectors, invalid = case
    valid = len(vectors)
    assert result["invalid"] == invalid, "invalid %d, want %d" % (result["invalid"], invalid)
    rounds = result["rounds"]
    for r in rounds:
        assert sum(r["counts"].values()) + r["exhausted"] == valid, \
            "round %s does not account for %d valid ballots" % (r, valid)
    if rounds:
        last = rounds[-1]
        leader = last["adopted"]
        assert (2 * last["counts"][leader] > valid - last["exhausted"]
                or len(last["counts"]) == 1), last
        assert result["adopted"] == [leader], "adopted %s, last round %s" % (
            result["adopted"], last)

    bel = belenios(["stv", "--nseats=1"], vectors)
    if bel is None:  # valid ballots, none ranking anything
        assert result["adopted"] == [] and valid > 0 and not any(map(any, vectors)), \
            "belenios failed, adopted %s" % result["adopted"]
        stats["belenios fails: nothing ranked"] += 1
        return
    assert result["adopted"] == [ids[c] for c in bel["winners"]], \
        "adopted %s, belenios %s" % (result["adopted"], bel["winners"])
    ours = []
    for r in rounds[:-1]:
        if "tie" in r:
            ours.append(["TieLose", [r["eliminated"], max(r["tie"])]])
        ours.append(["Lose", r["eliminated"]])
    theirs = named(ids, bel["events"])
    assert theirs[:len(ours)] == ours, "eliminations %s, belenios %s" % (ours, theirs)
    rest = theirs[len(ours):]
    assert rest and all(e[0] in ("Lose", "TieLose") for e in rest[:-1]) and \
        rest[-1] == ["Win", result["adopted"]], theirs
    stats["belenios ran more rounds (fixed quota)" if len(rest) > 1
          else "same rounds as belenios"] += 1


# -- majority judgment --------------------------------------------------------------------

def mj_case(rnd):
    ids, n = profile(rnd)
    n = min(n, 400)  # belenios's majority judgment takes time quadratic in n
    g = len(GRADES)
    style = rnd.choice(["factions", "random", "close", "shuffled"])
    if style == "factions":
        factions = [[rnd.randrange(g) for _ in ids] for _ in range(rnd.randint(1, 4))]
        ballots = [rnd.choice(factions) for _ in range(n)]
    elif style == "random":
        ballots = [[rnd.randrange(g) for _ in ids] for _ in range(n)]
    elif style == "close":  # grades around one middle grade: long tie-breaks
        mid = rnd.randrange(1, g - 1)
        ballots = [[mid + rnd.choice([-1, 0, 0, 1]) for _ in ids] for _ in range(n)]
    else:  # every proposal gets the same grades in another order: exact ties
        column = [rnd.randrange(g) for _ in range(n)]
        cols = []
        for _ in ids:
            c = list(column)
            rnd.shuffle(c)
            if rnd.random() < 0.3 and c:  # or nearly the same
                c[rnd.randrange(n)] = rnd.randrange(g)
            cols.append(c)
        ballots = [[cols[j][i] for j in range(len(ids))] for i in range(n)]
    blank = rnd.choice([0, 0, 1, 3]) if n else 0
    payloads = [{"grades": {pid: GRADES[x] for pid, x in zip(ids, b)}} for b in ballots]
    payloads += [{"grades": {}}] * blank
    rnd.shuffle(payloads)
    payloads, invalid = with_invalid(rnd, payloads, INVALID_MJ)
    # Upside down: our best grade (index 0) is belenios's worst (G).
    vectors = [[g - x for x in b] for b in ballots] + [[0] * len(ids)] * blank
    return ids, payloads, vectors, len(ballots), blank, invalid


def check_mj(case, result, stats):
    ids, _, vectors, valid, blank, invalid = case
    g = len(GRADES)
    bel = belenios(["majority-judgment", "--blank-allowed=true", "--nchoices=%d" % len(ids),
                    "--ngrades=%d" % g], vectors)
    assert (bel["valid"], bel["blank"], bel["invalid"]) == (valid, blank, []), bel
    assert (result["blank"], result["invalid"]) == (blank, invalid), \
        "blank, invalid %s, want %s" % ((result["blank"], result["invalid"]), (blank, invalid))
    grades = {pid: bel["raw"][i][::-1] for i, pid in enumerate(ids)}
    assert result["grades"] == grades, "grades %s, belenios %s" % (result["grades"], grades)
    want = [pid for group in reversed(bel["winners"]) for pid in sorted(ids[i] for i in group)]
    assert result["ranking"] == want, "ranking %s, want %s" % (result["ranking"], want)
    assert result["adopted"] == (want[:1] if valid else []), result["adopted"]
    for pid in ids:  # the lower middle grade: position valid // 2 of the sorted grades
        sorted_grades = [x for x, n in enumerate(grades[pid]) for _ in range(n)]
        want_grade = GRADES[sorted_grades[valid // 2]] if valid else None
        assert result["majority_grade"][pid] == want_grade, "majority grade of %s: %s, want %s" % (
            pid, result["majority_grade"][pid], want_grade)
    if any(len(group) > 1 for group in bel["winners"]) and valid:
        stats["with tied proposals"] += 1
    if valid % 2 == 0 and valid:
        stats["even count (the conventions differ)"] += 1


KINDS = {
    "schulze": (schulze_case, check_schulze, lambda case: lib.method_path("schulze")),
    "schulze_cycles": (schulze_cycle_case, check_schulze,
                       lambda case: lib.method_path("schulze")),
    "stv": (stv_case, check_stv, None),
    "irv": (irv_case, check_irv, lambda case: lib.method_path("irv")),
    "mj": (mj_case, check_mj, lambda case: lib.method_path("majority_judgment")),
}


def stv_method(case):
    seats = case[3]
    if seats == 2:
        return lib.method_path("stv")
    return lib.variant("stv", "SEATS = 2", "SEATS = %d" % seats)


def run_case(kind, index, jail, in_process):
    """Runs and checks case index; returns what it counted (a Counter)."""
    stats = collections.Counter()
    make, check, method = KINDS[kind]
    case = make(random.Random(BASE_SEED + index))
    path = (method or stv_method)(case)
    doc = lib.inputs(case[0], case[1])
    if jail:
        raw = lib.count_both(path, doc)
    else:
        if path not in in_process:
            in_process[path] = lib.InProcess(path)
        raw = in_process[path].count(doc)
    try:
        check(case, json.loads(raw), stats)
    except AssertionError as e:
        raise AssertionError("case %d (rerun: %s %s --seed %d): %s\n  proposals %s\n"
                             "  payloads %s" % (index, sys.argv[0], kind, index, e,
                                                case[0], case[1][:40])) from None
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=sorted(KINDS))
    ap.add_argument("--seed", type=int, help="run only this case, in the jail, verbosely")
    ap.add_argument("--jail", type=int, default=25, help="cases through the jail")
    ap.add_argument("--fast", type=int, default=300, help="further cases in this process")
    args = ap.parse_args()
    if shutil.which("belenios-tool") is None:
        print("SKIPPED: belenios-tool is not installed (apt-get install belenios-tool)")
        sys.exit(77)
    lib.worker_bin()

    in_process = {}
    if args.seed is not None:
        case = KINDS[args.kind][0](random.Random(BASE_SEED + args.seed))
        print("case %d: %s" % (args.seed, json.dumps(case, ensure_ascii=False,
                                                      default=repr)[:4000]))
        print("ok", dict(run_case(args.kind, args.seed, True, in_process)))
        return
    stats = sum(lib.parallel(lambda i: run_case(args.kind, i, True, in_process),
                             range(args.jail)), collections.Counter())
    for i in range(args.jail, args.jail + args.fast):
        stats += run_case(args.kind, i, False, in_process)
    print("%s: %d cases agree with belenios-tool (%d in the jail)" % (
        args.kind, args.jail + args.fast, args.jail))
    for key, n in sorted(stats.items()):
        print("  %5d  %s" % (n, key))
    missing = [key for key in COVERAGE.get(args.kind, []) if not stats[key]]
    if missing:
        sys.exit("FAIL: no case %s" % ", no case ".join(missing))


if __name__ == "__main__":
    main()
