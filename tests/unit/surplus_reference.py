#!/usr/bin/python3
"""surplus_reference — the surplus allocation of DESIGN 10.7, written apart from
api-server/coop/surplus.c in exact rational arithmetic (fractions.Fraction), and a property
test of the C code against it.

The rules are surplus.h's: a surplus's patronage part S = net - non_patronage split by
largest remainder between the reserve (S x reserve_share, plus non_patronage whole) and the
members (S x (1 - reserve_share) x patronage / total); S < 0 with net >= 0 all to the
reserve; a loss under "allocate" the negated split of |net|; under "reserve_first" the
reserve absorbs up to its balance and the rest is split by patronage alone, negated; no
patronage: all to the reserve; ties to the reserve, then by person id; cash =
floor(allocation x cash_share) of a positive allocation, retained the rest.

Usage: surplus_reference.py --property CLI [--seed N] [--cases N]
           feeds CLI (tests/unit/surplus_cli) N random cases (default 6000) made from seed N
           (default fixed), one JSON object a line, and compares each answer with this
           module's; prints the seed, and on failure the first case that differs
       surplus_reference.py --case JSON
           prints this module's answer to one case
"""
import argparse
import json
import random
import re
import subprocess
import sys
from fractions import Fraction
from math import floor

AMOUNT_MAX = 2**53 - 1
SHARE_D_MAX = 10**9 - 1
TOTAL_MAX = 2**63 - 1
PERSON = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
DEFAULT_SEED = 20260107
DEFAULT_CASES = 6000


def valid(case):
    """Whether surplus_compute must accept case."""
    def amount(v):
        return -AMOUNT_MAX <= v <= AMOUNT_MAX

    def share(n, d):
        return 0 < d <= SHARE_D_MAX and 0 <= n <= d

    members = case["members"]
    persons = [m["person"] for m in members]
    return (amount(case["net"]) and amount(case["reserve_balance"])
            and 0 <= case["non_patronage"] <= AMOUNT_MAX
            and share(case["reserve_n"], case["reserve_d"])
            and share(case["cash_n"], case["cash_d"])
            and case["loss_policy"] in ("allocate", "reserve_first")
            and all(0 <= m["patronage"] <= AMOUNT_MAX for m in members)
            and sum(m["patronage"] for m in members) <= TOTAL_MAX
            and all(PERSON.match(p) for p in persons)
            and len(set(persons)) == len(persons))


def largest_remainder(amount, quotas):
    """Rounds quotas (a list of (tie_key, Fraction) summing to amount) to integers summing to
    amount: floors, then one more each for the largest fractional parts, ties by tie_key."""
    floors = [floor(q) for _, q in quotas]
    rank = sorted(range(len(quotas)), key=lambda i: (-(quotas[i][1] - floors[i]), quotas[i][0]))
    left = amount - sum(floors)
    assert 0 <= left < len(quotas)
    for i in rank[:left]:
        floors[i] += 1
    return floors


def split(amount, reserve_share, members):
    """The reserve's part and each member's of amount >= 0; members sorted by person, with
    some patronage."""
    total = sum(m["patronage"] for m in members)
    quotas = [((0, b""), amount * reserve_share)]
    quotas += [((1, m["person"].encode()), amount * (1 - reserve_share) * Fraction(m["patronage"], total))
               for m in members]
    assert sum(q for _, q in quotas) == amount
    parts = largest_remainder(amount, quotas)
    return parts[0], parts[1:]


def allocate(case):
    """The answer surplus_cli gives to case, or None when the case is invalid."""
    if not valid(case):
        return None
    net, non_patronage = case["net"], case["non_patronage"]
    rshare = Fraction(case["reserve_n"], case["reserve_d"])
    cshare = Fraction(case["cash_n"], case["cash_d"])
    members = sorted(case["members"], key=lambda m: m["person"].encode())
    total = sum(m["patronage"] for m in members)
    s = net - non_patronage
    if total == 0 or (net >= 0 and s < 0):
        reserve, parts = net, [0] * len(members)
    elif net >= 0:
        reserve, parts = split(s, rshare, members)
        reserve += non_patronage
    elif case["loss_policy"] == "allocate":
        reserve, parts = split(-net, rshare, members)
        reserve, parts = -reserve, [-p for p in parts]
    else:
        absorbed = min(-net, max(case["reserve_balance"], 0))
        _, parts = split(-net - absorbed, Fraction(0), members)
        reserve, parts = -absorbed, [-p for p in parts]
    out = []
    for m, a in zip(members, parts):
        cash = floor(a * cshare) if a > 0 else 0
        out.append({"person": m["person"], "patronage": m["patronage"], "allocation": a,
                    "cash": cash, "retained": a - cash, "former": m["former"]})
    assert reserve + sum(parts) == net
    return {"net": net, "non_patronage": non_patronage, "patronage_surplus": s,
            "reserve": reserve, "members": out}


# ---- the reference's own check, on cases computed by hand ----

def uid(k):
    return "00000000-0000-4000-8000-%012x" % k


def hand_case(net, rn, rd, patronages, non_patronage=0, policy="allocate", balance=0,
              cn=1, cd=5):
    return {"net": net, "non_patronage": non_patronage, "reserve_balance": balance,
            "reserve_n": rn, "reserve_d": rd, "cash_n": cn, "cash_d": cd,
            "loss_policy": policy,
            "members": [{"person": uid(i + 1), "patronage": p, "former": False}
                        for i, p in enumerate(patronages)]}


def self_check():
    """The reference against a few splits written out by hand (test_surplus.c has them)."""
    def parts(case):
        out = allocate(case)
        return out["reserve"], [m["allocation"] for m in out["members"]]

    # 1000 x 1/4 = 250 exactly; 750 x 2/7, 4/7, 1/7 = 214 2/7, 428 4/7, 107 1/7: the one
    # unit left goes to the largest fraction, the second member's.
    assert parts(hand_case(1000, 1, 4, [2, 4, 1])) == (250, [214, 429, 107])
    # 10 x 1/3 = 3 1/3; 20/3 x 1/5, 3/5, 1/5 = 1 1/3, 4, 1 1/3: three-way tie, reserve first.
    assert parts(hand_case(10, 1, 3, [1, 3, 1])) == (4, [1, 4, 1])
    # 11: 3 2/3; 1 7/15, 4 6/15, 1 7/15: reserve, then the first by person id.
    assert parts(hand_case(11, 1, 3, [1, 3, 1])) == (4, [2, 4, 1])
    # The negated split of 1000.
    assert parts(hand_case(-1000, 1, 4, [2, 4, 1], 200)) == (-250, [-214, -429, -107])
    # Reserve absorbs 400; 600 x 1/7, 2/7, 4/7 = 85 5/7, 171 3/7, 342 6/7.
    assert parts(hand_case(-1000, 1, 4, [1, 2, 4], 0, "reserve_first", 400)) == (
        -400, [-86, -171, -343])
    assert parts(hand_case(100, 1, 4, [0, 0])) == (100, [0, 0])
    assert parts(hand_case(100, 1, 4, [1], 150)) == (100, [0])
    out = allocate(hand_case(7, 0, 1, [1], cn=1, cd=3))
    assert (out["members"][0]["cash"], out["members"][0]["retained"]) == (2, 5)


# ---- random cases ----

def rand_person(rng, near=None):
    if near is not None and rng.random() < 0.5:
        # the same id but for its last digits: byte order decides between them
        return near[:-2] + "%02x" % rng.randrange(256)
    return "%08x-%04x-4%03x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                           rng.getrandbits(12), 0x8000 | rng.getrandbits(14),
                                           rng.getrandbits(48))


def rand_share(rng):
    kind = rng.random()
    if kind < 0.4:
        d = rng.choice([1, 2, 3, 4, 5, 6, 7, 10, 12, 100])
    elif kind < 0.7:
        d = rng.randint(1, 1000)
    else:
        d = rng.choice([SHARE_D_MAX, rng.randint(1, SHARE_D_MAX)])
    r = rng.random()
    n = 0 if r < 0.1 else d if r < 0.2 else rng.randint(0, d)
    return n, d


def rand_amount(rng):
    kind = rng.random()
    if kind < 0.45:
        return rng.randint(-60, 60)
    if kind < 0.75:
        return rng.randint(-10**7, 10**7)
    if kind < 0.9:
        return rng.randint(-AMOUNT_MAX, AMOUNT_MAX)
    return rng.choice([0, AMOUNT_MAX, -AMOUNT_MAX, 1, -1])


def rand_patronages(rng, n):
    kind = rng.random()
    if kind < 0.25:
        return [rng.randint(0, 4) for _ in range(n)]                # many ties and zeros
    if kind < 0.4:
        return [rng.choice([0, 480])] * n                            # all equal (or none)
    if kind < 0.7:
        return [rng.randint(0, 100000) for _ in range(n)]
    if kind < 0.85:
        return [rng.choice([0, rng.randint(0, AMOUNT_MAX)]) for _ in range(n)]
    return [rng.choice([AMOUNT_MAX, AMOUNT_MAX - 1, 1, 0]) for _ in range(n)]


def rand_case(rng):
    n = rng.choice([0, 1, 1, 2, 3, 3, 4, 5, 6, 8, 10, 17, 40]) if rng.random() < 0.97 \
        else rng.randint(100, 400)
    persons = []
    for _ in range(n):
        p = rand_person(rng, persons[-1] if persons else None)
        persons.append(p if p not in persons else rand_person(rng))
    rn, rd = rand_share(rng)
    cn, cd = rand_share(rng)
    net = rand_amount(rng)
    np_kind = rng.random()
    non_patronage = (0 if np_kind < 0.4 else abs(net) + rng.randint(0, 5) if np_kind < 0.5
                     else rng.randint(0, max(0, min(AMOUNT_MAX, abs(net)))))
    non_patronage = min(non_patronage, AMOUNT_MAX)
    balance = rng.choice([0, rng.randint(-50, 50), min(rng.randint(0, abs(net) + 10), AMOUNT_MAX),
                          rng.randint(-AMOUNT_MAX, AMOUNT_MAX)])
    return {"net": net, "non_patronage": non_patronage, "reserve_balance": balance,
            "reserve_n": rn, "reserve_d": rd, "cash_n": cn, "cash_d": cd,
            "loss_policy": rng.choice(["allocate", "reserve_first"]),
            "members": [{"person": p, "patronage": q, "former": rng.random() < 0.15}
                        for p, q in zip(persons, rand_patronages(rng, n))]}


def spoil(rng, case):
    """Makes case invalid in one way (or, at its edge, just valid)."""
    how = rng.randrange(12)
    c = json.loads(json.dumps(case))
    if how == 0:
        c["net"] = rng.choice([AMOUNT_MAX + 1, -AMOUNT_MAX - 1])
    elif how == 1:
        c["non_patronage"] = rng.choice([-1, AMOUNT_MAX + 1])
    elif how == 2:
        c["reserve_balance"] = rng.choice([AMOUNT_MAX + 1, -AMOUNT_MAX - 1])
    elif how == 3:
        c["reserve_n"], c["reserve_d"] = rng.choice([(2, 1), (-1, 3), (0, 0), (1, 10**9)])
    elif how == 4:
        c["cash_n"], c["cash_d"] = rng.choice([(4, 3), (-1, 3), (1, -2), (5, 10**9)])
    elif how == 5:
        c["loss_policy"] = rng.choice(["Allocate", "reserve", ""])
    elif how == 6 and c["members"]:
        c["members"][0]["patronage"] = rng.choice([-1, AMOUNT_MAX + 1])
    elif how == 7 and c["members"]:
        c["members"][-1]["person"] = c["members"][0]["person"]
        if len(c["members"]) == 1:
            c["members"].append(dict(c["members"][0]))
    elif how == 8 and c["members"]:
        p = c["members"][0]["person"]
        c["members"][0]["person"] = rng.choice([p.upper(), p[:-1], p + "0", p.replace("-", "x"),
                                               "", p[:8] + "g" + p[9:]])
    elif how == 9:
        # total patronage at SURPLUS_PATRONAGE_TOTAL_MAX, or one past it
        c["members"] = [{"person": rand_person(rng), "patronage": AMOUNT_MAX, "former": False}
                        for _ in range(1024)]
        c["members"].append({"person": rand_person(rng), "patronage": rng.choice([1023, 1024]),
                             "former": True})
    return c


def cases(seed, count):
    rng = random.Random(seed)
    for _ in range(count):
        case = rand_case(rng)
        yield spoil(rng, case) if rng.random() < 0.06 else case


def well_formed(got, net):
    """What holds of any answer, checked on the C code's own output."""
    if "error" in got:
        return True
    ms = got["members"]
    persons = [m["person"].encode() for m in ms]
    return (got["reserve"] + sum(m["allocation"] for m in ms) == net
            and persons == sorted(persons)
            and all(m["cash"] + m["retained"] == m["allocation"] for m in ms)
            and all(0 <= m["cash"] <= max(m["allocation"], 0) for m in ms))


def property_test(cli, seed, count):
    print("surplus property test: seed %d, %d cases" % (seed, count))
    batch = list(cases(seed, count))
    text = "".join(json.dumps(c) + "\n" for c in batch)
    run = subprocess.run([cli], input=text, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        print("surplus_cli exited %d: %s" % (run.returncode, run.stderr))
        return 1
    lines = run.stdout.splitlines()
    if len(lines) != len(batch):
        print("surplus_cli answered %d lines to %d cases" % (len(lines), len(batch)))
        return 1
    invalid = 0
    for i, (case, line) in enumerate(zip(batch, lines)):
        got = json.loads(line)
        want = allocate(case)
        want = {"error": "invalid"} if want is None else want
        invalid += "error" in want
        if got != want or not well_formed(got, case["net"]):
            print("case %d of seed %d differs (rerun: --seed %d --cases %d)"
                  % (i, seed, seed, i + 1))
            print("case:     " + json.dumps(case))
            print("expected: " + json.dumps(want))
            print("got:      " + json.dumps(got))
            return 1
    print("all %d cases agree (%d invalid ones refused by both)" % (count, invalid))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--property", metavar="CLI")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--cases", type=int, default=DEFAULT_CASES)
    ap.add_argument("--case", metavar="JSON")
    args = ap.parse_args()
    self_check()
    if args.case is not None:
        print(json.dumps(allocate(json.loads(args.case))))
        return 0
    if args.property is None:
        ap.error("--property CLI or --case JSON")
    return property_test(args.property, args.seed, args.cases)


if __name__ == "__main__":
    sys.exit(main())
