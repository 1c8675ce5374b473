#!/usr/bin/python3
"""The method library on small cases a user would recognise, each worked out by hand,
with the exact result bytes it must give: invalid ballots, no ballots, no proposals,
ties, and hostile payloads that must count as invalid instead of raising. Every case runs
in the real jail (`count-worker --once`) and with plain Python (reference.py); both must
give the expected bytes.

    FREECOOP_WORKER_BIN=.../count-worker /usr/bin/python3 test_cases.py [NAME-PART...]
"""

import json
import sys

import methods_lib as lib

PLURALITY, SCHULZE, APPROVAL, YES_NO = "plurality", "schulze", "approval", "yes_no"
IRV, STV, BORDA, SCORE = "irv", "stv", "borda", "score"
MJ, CONSENT = "majority_judgment", "consent"
YES_NO_2_3 = "yes_no_two_thirds"

GRADE_NAMES = '["excellent","very good","good","acceptable","poor","reject"]'


def rank(*ids):
    return {"ranking": list(ids)}


def groups(*gs):
    return {"ranking": [list(g) for g in gs]}


def grades(**g):
    return {"grades": g}


# Tennessee's capital (the standard textbook example): 100 voters in four cities, each
# ranking the cities by distance from home.
TENNESSEE = ([rank("memphis", "nashville", "chattanooga", "knoxville")] * 42
             + [rank("nashville", "chattanooga", "knoxville", "memphis")] * 26
             + [rank("chattanooga", "knoxville", "nashville", "memphis")] * 15
             + [rank("knoxville", "chattanooga", "nashville", "memphis")] * 17)
CITIES = ["chattanooga", "knoxville", "memphis", "nashville"]

# The 45-voter example of the Schulze method's Wikipedia article (winner E, E>A>C>B>D).
WIKI45 = ([groups(*"ACBED")] * 5 + [groups(*"ADECB")] * 5 + [groups(*"BEDAC")] * 8
          + [groups(*"CABED")] * 3 + [groups(*"CAEBD")] * 7 + [groups(*"CBADE")] * 2
          + [groups(*"DCEBA")] * 7 + [groups(*"EBADC")] * 8)

# The "party food" STV example (Wikipedia): 20 voters, 3 seats, Droop quota 6.
FOOD = ([rank("oranges")] * 4 + [rank("pears", "oranges")] * 2
        + [rank("chocolate", "strawberries")] * 8 + [rank("chocolate", "hamburgers")] * 4
        + [rank("strawberries")] + [rank("hamburgers")])
FOODS = ["chocolate", "hamburgers", "oranges", "pears", "strawberries"]

# Payloads no method may choke on: each must count as invalid.
HOSTILE = [
    b"", b"not json", b"\xc3\x28", b"[" * 100000, b"1" * 5000, b"null", b"[]", b'"a"',
    b"{}", b'{"x": 1}', b"\xef\xbb\xbf", b'{"a": NaN}', b"{" * 100000, b"\xed\xa0\x80",
]
# And, per method, well-formed JSON of the wrong shape, unhashable ids included.
WRONG_SHAPE = {
    PLURALITY: [{"choice": ["a"]}, {"choice": {"a": 1}}, {"choice": 1}, {"choice": "c"}],
    SCHULZE: [{"ranking": "a"}, {"ranking": ["a"]}, {"ranking": [[["a"]]]},
              {"ranking": [[{"a": 1}]]}, {"ranking": [["a"], ["a"]]}],
    APPROVAL: [{"approve": "a"}, {"approve": [["a"]]}, {"approve": [{"a": 1}]},
               {"approve": ["a", "a"]}, {"approve": ["c"]}, {"approve": [None]},
               b'{"approve": ["a"], "approve": ["b"]}'],
    YES_NO: [{"votes": ["a"]}, {"votes": {"a": ["yes"]}}, {"votes": {"a": "YES"}},
             {"votes": {"c": "yes"}}, {"votes": {"a": True}},
             b'{"votes": {"a": "yes", "a": "no"}}'],
    YES_NO_2_3: [{"votes": ["a"]}, {"votes": {"a": ["yes"]}}, {"votes": {"a": "YES"}},
                 {"votes": {"c": "yes"}}, {"votes": {"a": True}}, {"votes": {"a": 1}},
                 b'{"votes": {"a": "yes", "a": "no"}}'],
    IRV: [{"ranking": [["a"]]}, {"ranking": [{"a": 1}]}, {"ranking": ["a", "a"]},
          {"ranking": ["c"]}, {"ranking": "ab"}, {"ranking": [1]}],
    STV: [{"ranking": [["a"], ["b"]]}, {"ranking": [{"a": 1}]}, {"ranking": ["b", "b"]},
          {"ranking": ["c"]}, {"ranking": {"a": 1}}],
    BORDA: [{"ranking": [["a", "b"]]}, {"ranking": [{"a": 1}]}, {"ranking": ["a", "a"]},
            {"ranking": ["c"]}, {"ranking": None}],
    SCORE: [{"scores": {"a": True}}, {"scores": {"a": 6}}, {"scores": {"a": -1}},
            {"scores": {"a": 2.5}}, {"scores": {"a": 3.0}}, {"scores": {"a": "3"}},
            {"scores": {"a": [5]}}, {"scores": {"c": 5}}, {"scores": ["a"]},
            b'{"scores": {"a": NaN}}', b'{"scores": {"a": 1e400}}',
            b'{"scores": {"a": 5, "a": 0}}'],
    MJ: [{"grades": {"a": "good"}}, {"grades": {"a": "good", "b": "great"}},
         {"grades": {"a": "good", "b": ["good"]}}, {"grades": {"a": "good", "b": 2}},
         {"grades": {"a": "good", "b": "good", "c": "good"}}, {"grades": ["good", "good"]},
         b'{"grades": {"a": "good", "b": "good", "b": "poor"}}'],
    CONSENT: [{"objections": "a"}, {"objections": [["a"]]}, {"objections": [{}]},
              {"objections": ["a", "a"]}, {"objections": ["c"]}, {"objections": None}],
}


# A valid ballot per method: sent in other encodings than UTF-8 it must be invalid (given
# bytes, json.loads would guess the encoding and load a codec, which the jail forbids).
VALID = {
    PLURALITY: {"choice": "a"}, SCHULZE: groups("a"), APPROVAL: {"approve": ["a"]},
    YES_NO: {"votes": {"a": "yes"}}, YES_NO_2_3: {"votes": {"a": "yes"}}, IRV: rank("a"),
    STV: rank("a"), BORDA: rank("a"),
    SCORE: {"scores": {"a": 5}}, MJ: {"grades": {"a": "good", "b": "good"}},
    CONSENT: {"objections": ["a"]},
}
ENCODINGS = ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"]


def hostile(method):
    text = json.dumps(VALID[method])
    return (HOSTILE + WRONG_SHAPE[method]
            + [text.encode(encoding) for encoding in ENCODINGS])


def k(method):
    return len(hostile(method))


# (name, method or (method, parameter line, replacement), proposal ids, payloads,
#  participants, voter franchise, expected result bytes)
CASES = [
    # -- plurality ---------------------------------------------------------------------
    ("plurality: lunch, with an unreadable ballot and an unknown choice", PLURALITY,
     ["pizza", "salad", "soup"],
     [{"choice": "pizza"}] * 3 + [{"choice": "salad"}] * 2 + [{"choice": "soup"}]
     + [b"{not json", {"choice": "tacos"}], [], [],
     b'{"adopted":["pizza"],"ballots":8,"counts":{"pizza":3,"salad":2,"soup":1},'
     b'"invalid":2}'),
    ("plurality: a tie goes to the smallest id", PLURALITY, ["b", "a"],
     [{"choice": "b"}, {"choice": "a"}, {"choice": "b"}, {"choice": "a"}], [], [],
     b'{"adopted":["a"],"ballots":4,"counts":{"a":2,"b":2},"invalid":0}'),
    ("plurality: no ballots", PLURALITY, ["a", "b"], [], [], [],
     b'{"adopted":[],"ballots":0,"counts":{"a":0,"b":0},"invalid":0}'),
    ("plurality: no proposals", PLURALITY, [], [{"choice": "a"}] * 2, [], [],
     b'{"adopted":[],"ballots":2,"counts":{},"invalid":2}'),
    ("plurality: hostile payloads", PLURALITY, ["a", "b"], hostile(PLURALITY), [], [],
     b'{"adopted":[],"ballots":%d,"counts":{"a":0,"b":0},"invalid":%d}'
     % (k(PLURALITY), k(PLURALITY))),

    # -- schulze -----------------------------------------------------------------------
    # The ranking is the whole order in groups, as belenios-tool's "winners".
    ("schulze: Wikipedia's 45 voters", SCHULZE, list("ABCDE"), WIKI45, [], [],
     b'{"adopted":["E"],"invalid":0,"pairwise":{"A":{"B":20,"C":26,"D":30,"E":22},'
     b'"B":{"A":25,"C":16,"D":33,"E":18},"C":{"A":19,"B":29,"D":17,"E":24},'
     b'"D":{"A":15,"B":12,"C":28,"E":14},"E":{"A":23,"B":27,"C":21,"D":31}},'
     b'"ranking":[["E"],["A"],["C"],["B"],["D"]]}'),
    ("schulze: a two-way tie is one group, the smallest id adopted; unranked ties last",
     SCHULZE, ["a", "b", "c"], [groups("b", "a"), groups("a", "b"), groups(["a", "b"])],
     [], [],
     b'{"adopted":["a"],"invalid":0,"pairwise":{"a":{"b":1,"c":3},"b":{"a":1,"c":3},'
     b'"c":{"a":0,"b":0}},"ranking":[["a","b"],["c"]]}'),
    # b beats a; c ties with both. The first group is every unbeaten proposal: b and c;
    # then a.
    ("schulze: a beaten proposal ranks below every unbeaten one", SCHULZE,
     ["a", "b", "c"], [groups("b", "a", "c"), groups("c", "b", "a")], [], [],
     b'{"adopted":["b"],"invalid":0,"pairwise":{"a":{"b":0,"c":1},"b":{"a":2,"c":1},'
     b'"c":{"a":1,"b":1}},"ranking":[["b","c"],["a"]]}'),
    # A cycle a>b>c>a, each link 5 winning votes; losing votes order the links:
    # c->a (5,1) is stronger than a->b (5,4) and b->c (5,4). So c beats a ((5,1) against
    # the path a->b->c of (5,4)); a and b tie at (5,4) both ways, as do b and c. The first
    # group is b and c, then a.
    ("schulze: a cycle of equal winning votes, decided by losing votes", SCHULZE,
     ["a", "b", "c"],
     [groups(["a", "c"])] * 3 + [groups("b", "c")] * 4 + [groups("a", "b"),
                                                          groups("c", "a", "b")], [], [],
     b'{"adopted":["b"],"invalid":0,"pairwise":{"a":{"b":5,"c":1},"b":{"a":4,"c":5},'
     b'"c":{"a":5,"b":4}},"ranking":[["b","c"],["a"]]}'),
    # Another cycle a>b>c>a of 3 winning votes each: b->c (3,1) has fewer votes against
    # it than a->b and c->a (3,2). So b beats c ((3,1) against the path c->a->b of
    # (3,2)), a ties with b and with c at (3,2) both ways: [a, b] then c. Winning votes
    # alone tie all three. The ballot naming zzz is invalid.
    ("schulze: the link with fewer losing votes decides; an invalid ballot", SCHULZE,
     ["a", "b", "c"],
     [groups("a"), groups("a", "b"), groups("b", "c"), groups("b", "c"), groups("c", "a"),
      groups("zzz")], [], [],
     b'{"adopted":["a"],"invalid":1,"pairwise":{"a":{"b":3,"c":2},"b":{"a":2,"c":3},'
     b'"c":{"a":3,"b":1}},"ranking":[["a","b"],["c"]]}'),
    ("schulze: no ballots", SCHULZE, ["a", "b"], [], [], [],
     b'{"adopted":[],"invalid":0,"pairwise":{"a":{"b":0},"b":{"a":0}},'
     b'"ranking":[["a","b"]]}'),
    ("schulze: no proposals", SCHULZE, [], [groups("a")], [], [],
     b'{"adopted":[],"invalid":1,"pairwise":{},"ranking":[]}'),
    ("schulze: hostile payloads", SCHULZE, ["a", "b"], hostile(SCHULZE) + [groups("b")],
     [], [],
     b'{"adopted":["b"],"invalid":%d,"pairwise":{"a":{"b":0},"b":{"a":1}},'
     b'"ranking":[["b"],["a"]]}' % k(SCHULZE)),

    # -- approval ----------------------------------------------------------------------
    ("approval: the outing, with three invalid ballots", APPROVAL,
     ["hike", "movie", "picnic"],
     [{"approve": ["hike", "picnic"]}, {"approve": ["picnic"]},
      {"approve": ["movie", "picnic"]}, {"approve": ["hike"]}, {"approve": []},
      {"approve": ["hike", "hike"]}, {"approve": "hike"}, {"approve": ["bowling"]}], [], [],
     b'{"adopted":["picnic"],"approvals":{"hike":2,"movie":1,"picnic":3},"ballots":8,'
     b'"invalid":3,"seats":1}'),
    ("approval: a tie goes to the smallest id", APPROVAL, ["x", "y"],
     [{"approve": ["y"]}, {"approve": ["x", "y"]}, {"approve": ["x"]}], [], [],
     b'{"adopted":["x"],"approvals":{"x":2,"y":2},"ballots":3,"invalid":0,"seats":1}'),
    ("approval: nothing approved, nothing adopted", APPROVAL, ["x", "y"],
     [{"approve": []}] * 2, [], [],
     b'{"adopted":[],"approvals":{"x":0,"y":0},"ballots":2,"invalid":0,"seats":1}'),
    ("approval: no ballots, no proposals", APPROVAL, [], [], [], [],
     b'{"adopted":[],"approvals":{},"ballots":0,"invalid":0,"seats":1}'),
    ("approval: hostile payloads", APPROVAL, ["a", "b"], hostile(APPROVAL), [], [],
     b'{"adopted":[],"approvals":{"a":0,"b":0},"ballots":%d,"invalid":%d,"seats":1}'
     % (k(APPROVAL), k(APPROVAL))),
    ("approval, SEATS = 2: the second seat's tie goes to the smallest id",
     (APPROVAL, "SEATS = 1", "SEATS = 2"), ["a", "b", "c"],
     [{"approve": ["a", "c"]}, {"approve": ["a", "b"]}, {"approve": ["a"]}], [], [],
     b'{"adopted":["a","b"],"approvals":{"a":3,"b":1,"c":1},"ballots":3,"invalid":0,'
     b'"seats":2}'),
    ("approval, SEATS = 3: only approved proposals get seats",
     (APPROVAL, "SEATS = 1", "SEATS = 3"), ["a", "b", "c"],
     [{"approve": ["b"]}, {"approve": ["a", "b"]}], [], [],
     b'{"adopted":["b","a"],"approvals":{"a":1,"b":2,"c":0},"ballots":2,"invalid":0,'
     b'"seats":3}'),

    # -- yes_no ------------------------------------------------------------------------
    ("yes_no: two motions, 4 of 6 voted, one invalid ballot", YES_NO, ["budget", "mascot"],
     [{"votes": {"budget": "yes", "mascot": "no"}}, {"votes": {"budget": "yes"}},
      {"votes": {"budget": "no", "mascot": "abstain"}}, {"votes": {"budget": "maybe"}}],
     ["v1", "v2", "v3", "v4"], ["v1", "v2", "v3", "v4", "v5", "v6"],
     b'{"adopted":["budget"],"ballots":4,"invalid":1,'
     b'"motions":{"budget":{"abstain":0,"adopted":true,"no":1,"yes":2},'
     b'"mascot":{"abstain":2,"adopted":false,"no":1,"yes":0}},'
     b'"quorum":{"met":true,"participants":4,"required":"1/2","voters":6},'
     b'"threshold":"1/2"}'),
    ("yes_no: 4 of 10 voted, no quorum, nothing adopted", YES_NO, ["budget"],
     [{"votes": {"budget": "yes"}}] * 4, ["v1", "v2", "v3", "v4"],
     ["v%02d" % i for i in range(10)],
     b'{"adopted":[],"ballots":4,"invalid":0,'
     b'"motions":{"budget":{"abstain":0,"adopted":false,"no":0,"yes":4}},'
     b'"quorum":{"met":false,"participants":4,"required":"1/2","voters":10},'
     b'"threshold":"1/2"}'),
    ("yes_no: exactly half the franchise is a quorum; yes = no fails", YES_NO,
     ["m1", "m2"],
     [{"votes": {"m1": "yes", "m2": "yes"}}, {"votes": {"m1": "no", "m2": "yes"}}],
     ["v1", "v2"], ["v1", "v2", "v3", "v4"],
     b'{"adopted":["m2"],"ballots":2,"invalid":0,'
     b'"motions":{"m1":{"abstain":0,"adopted":false,"no":1,"yes":1},'
     b'"m2":{"abstain":0,"adopted":true,"no":0,"yes":2}},'
     b'"quorum":{"met":true,"participants":2,"required":"1/2","voters":4},'
     b'"threshold":"1/2"}'),
    ("yes_no: no ballots", YES_NO, ["m1"], [], [], ["v1", "v2"],
     b'{"adopted":[],"ballots":0,"invalid":0,'
     b'"motions":{"m1":{"abstain":0,"adopted":false,"no":0,"yes":0}},'
     b'"quorum":{"met":false,"participants":0,"required":"1/2","voters":2},'
     b'"threshold":"1/2"}'),
    ("yes_no: no proposals, an empty franchise", YES_NO, [], [{"votes": {}}], ["v1"], [],
     b'{"adopted":[],"ballots":1,"invalid":0,"motions":{},'
     b'"quorum":{"met":false,"participants":1,"required":"1/2","voters":0},'
     b'"threshold":"1/2"}'),
    ("yes_no: hostile payloads", YES_NO, ["a", "b"], hostile(YES_NO) + [
        {"votes": {"a": "yes"}}], ["v1"], ["v1"],
     b'{"adopted":["a"],"ballots":%d,"invalid":%d,'
     b'"motions":{"a":{"abstain":0,"adopted":true,"no":0,"yes":1},'
     b'"b":{"abstain":1,"adopted":false,"no":0,"yes":0}},'
     b'"quorum":{"met":true,"participants":1,"required":"1/2","voters":1},'
     b'"threshold":"1/2"}' % (k(YES_NO) + 1, k(YES_NO))),
    ("yes_no, THRESHOLD = 2/3: more than two thirds: 3 to 1 passes, 2 to 1 does not",
     (YES_NO, "THRESHOLD = fractions.Fraction(1, 2)", "THRESHOLD = fractions.Fraction(2, 3)"),
     ["m1", "m2"],
     [{"votes": {"m1": "yes", "m2": "yes"}}] * 2 + [{"votes": {"m1": "no", "m2": "yes"}}]
     + [{"votes": {"m2": "no"}}], ["v1"], ["v1"],
     b'{"adopted":["m2"],"ballots":4,"invalid":0,'
     b'"motions":{"m1":{"abstain":1,"adopted":false,"no":1,"yes":2},'
     b'"m2":{"abstain":0,"adopted":true,"no":1,"yes":3}},'
     b'"quorum":{"met":true,"participants":1,"required":"1/2","voters":1},'
     b'"threshold":"2/3"}'),

    ("yes_no, QUORUM = 0: no quorum needed, even of an empty franchise",
     (YES_NO, "QUORUM = fractions.Fraction(1, 2)", "QUORUM = fractions.Fraction(0)"),
     ["m1"], [{"votes": {"m1": "yes"}}], [], [],
     b'{"adopted":["m1"],"ballots":1,"invalid":0,'
     b'"motions":{"m1":{"abstain":0,"adopted":true,"no":0,"yes":1}},'
     b'"quorum":{"met":true,"participants":0,"required":"0","voters":0},'
     b'"threshold":"1/2"}'),

    # -- yes_no_two_thirds -------------------------------------------------------------
    # Adopted when 3 * yes >= 2 * (yes + no), i.e. yes >= 2 * no, and yes > 0.
    # m1: 2 yes, 1 no: 6 >= 6, exactly two thirds, adopted. m2: 1 yes, 1 no, 1 abstention
    # by omission: 3 >= 4 fails. 3 of 6 voted: exactly half is a quorum.
    ("yes_no_two_thirds: exactly two thirds (2 to 1) adopts; 1 to 1 fails", YES_NO_2_3,
     ["m1", "m2"],
     [{"votes": {"m1": "yes", "m2": "yes"}}, {"votes": {"m1": "yes", "m2": "no"}},
      {"votes": {"m1": "no"}}], ["v1", "v2", "v3"], ["v%d" % i for i in range(1, 7)],
     b'{"adopted":["m1"],"ballots":3,"invalid":0,'
     b'"motions":{"m1":{"abstain":0,"adopted":true,"no":1,"yes":2},'
     b'"m2":{"abstain":1,"adopted":false,"no":1,"yes":1}},'
     b'"quorum":{"met":true,"participants":3,"required":"1/2","voters":6},'
     b'"threshold":"2/3"}'),
    # 9 ballots: 3 x (m1 yes, m2 yes, m3 yes), 2 x (m1 yes, m2 yes, m3 no),
    # 1 x (m1 abstain, m2 yes), 3 x (m1 no, m2 no).
    # m1: 5 yes, 3 no (62.5%): 15 >= 16 fails. m2: 6 yes, 3 no: 18 >= 18 adopted.
    # m3: 3 yes, 2 no (60%), 4 abstentions by omission: 9 >= 10 fails.
    ("yes_no_two_thirds: just under two thirds (5 to 3, 3 to 2) fails; 6 to 3 adopts",
     YES_NO_2_3, ["m1", "m2", "m3"],
     [{"votes": {"m1": "yes", "m2": "yes", "m3": "yes"}}] * 3
     + [{"votes": {"m1": "yes", "m2": "yes", "m3": "no"}}] * 2
     + [{"votes": {"m1": "abstain", "m2": "yes"}}]
     + [{"votes": {"m1": "no", "m2": "no"}}] * 3,
     ["v%d" % i for i in range(1, 10)], ["v%d" % i for i in range(1, 10)],
     b'{"adopted":["m2"],"ballots":9,"invalid":0,'
     b'"motions":{"m1":{"abstain":1,"adopted":false,"no":3,"yes":5},'
     b'"m2":{"abstain":0,"adopted":true,"no":3,"yes":6},'
     b'"m3":{"abstain":4,"adopted":false,"no":2,"yes":3}},'
     b'"quorum":{"met":true,"participants":9,"required":"1/2","voters":9},'
     b'"threshold":"2/3"}'),
    # 9 ballots, 2 invalid, 7 valid. budget: 2 yes, 1 no, 4 abstentions (3 explicit, 1
    # empty votes): 6 >= 6 adopted; the abstentions and invalid ballots do not dilute it.
    # mascot: only abstentions (0 yes, 0 no): not adopted, though 0 >= 0. 9 of 16 took
    # part (the 7 valid ballots alone would not be a quorum: 8 are needed).
    ("yes_no_two_thirds: abstentions and invalid ballots count for neither side; "
     "only abstentions adopt nothing", YES_NO_2_3, ["budget", "mascot"],
     [{"votes": {"budget": "yes"}}] * 2 + [{"votes": {"budget": "no", "mascot": "abstain"}}]
     + [{"votes": {"budget": "abstain", "mascot": "abstain"}}] * 3 + [{"votes": {}}]
     + [{"votes": {"budget": "maybe"}}, b"{not json"],
     ["v%02d" % i for i in range(1, 10)], ["v%02d" % i for i in range(1, 17)],
     b'{"adopted":["budget"],"ballots":9,"invalid":2,'
     b'"motions":{"budget":{"abstain":4,"adopted":true,"no":1,"yes":2},'
     b'"mascot":{"abstain":7,"adopted":false,"no":0,"yes":0}},'
     b'"quorum":{"met":true,"participants":9,"required":"1/2","voters":16},'
     b'"threshold":"2/3"}'),
    # m1: 200 yes, 100 no: 600 >= 600 adopted. m2: 199 yes, 100 no, 1 abstention:
    # 597 >= 598 fails.
    ("yes_no_two_thirds: 200 to 100 adopts, 199 to 100 fails", YES_NO_2_3, ["m1", "m2"],
     [{"votes": {"m1": "yes", "m2": "yes"}}] * 199 + [{"votes": {"m1": "yes"}}]
     + [{"votes": {"m1": "no", "m2": "no"}}] * 100,
     ["v%03d" % i for i in range(300)], ["v%03d" % i for i in range(300)],
     b'{"adopted":["m1"],"ballots":300,"invalid":0,'
     b'"motions":{"m1":{"abstain":0,"adopted":true,"no":100,"yes":200},'
     b'"m2":{"abstain":1,"adopted":false,"no":100,"yes":199}},'
     b'"quorum":{"met":true,"participants":300,"required":"1/2","voters":300},'
     b'"threshold":"2/3"}'),
    # The ballots of "yes_no, THRESHOLD = 2/3" above: there 2 to 1 fails (more than two
    # thirds); here it is exactly two thirds and adopts. m2: 3 to 1, 9 >= 8.
    ("yes_no_two_thirds: at least two thirds, unlike yes_no with THRESHOLD = 2/3",
     YES_NO_2_3, ["m1", "m2"],
     [{"votes": {"m1": "yes", "m2": "yes"}}] * 2 + [{"votes": {"m1": "no", "m2": "yes"}}]
     + [{"votes": {"m2": "no"}}], ["v1"], ["v1"],
     b'{"adopted":["m1","m2"],"ballots":4,"invalid":0,'
     b'"motions":{"m1":{"abstain":1,"adopted":true,"no":1,"yes":2},'
     b'"m2":{"abstain":0,"adopted":true,"no":1,"yes":3}},'
     b'"quorum":{"met":true,"participants":1,"required":"1/2","voters":1},'
     b'"threshold":"2/3"}'),
    ("yes_no_two_thirds: 4 of 10 voted, no quorum, nothing adopted", YES_NO_2_3,
     ["budget"], [{"votes": {"budget": "yes"}}] * 4, ["v1", "v2", "v3", "v4"],
     ["v%02d" % i for i in range(10)],
     b'{"adopted":[],"ballots":4,"invalid":0,'
     b'"motions":{"budget":{"abstain":0,"adopted":false,"no":0,"yes":4}},'
     b'"quorum":{"met":false,"participants":4,"required":"1/2","voters":10},'
     b'"threshold":"2/3"}'),
    ("yes_no_two_thirds: no ballots", YES_NO_2_3, ["m1"], [], [], ["v1", "v2"],
     b'{"adopted":[],"ballots":0,"invalid":0,'
     b'"motions":{"m1":{"abstain":0,"adopted":false,"no":0,"yes":0}},'
     b'"quorum":{"met":false,"participants":0,"required":"1/2","voters":2},'
     b'"threshold":"2/3"}'),
    ("yes_no_two_thirds: no proposals, an empty franchise", YES_NO_2_3, [],
     [{"votes": {}}], ["v1"], [],
     b'{"adopted":[],"ballots":1,"invalid":0,"motions":{},'
     b'"quorum":{"met":false,"participants":1,"required":"1/2","voters":0},'
     b'"threshold":"2/3"}'),
    ("yes_no_two_thirds: hostile payloads", YES_NO_2_3, ["a", "b"], hostile(YES_NO_2_3) + [
        {"votes": {"a": "yes"}}], ["v1"], ["v1"],
     b'{"adopted":["a"],"ballots":%d,"invalid":%d,'
     b'"motions":{"a":{"abstain":0,"adopted":true,"no":0,"yes":1},'
     b'"b":{"abstain":1,"adopted":false,"no":0,"yes":0}},'
     b'"quorum":{"met":true,"participants":1,"required":"1/2","voters":1},'
     b'"threshold":"2/3"}' % (k(YES_NO_2_3) + 1, k(YES_NO_2_3))),
    # With the quorum met and no votes at all, 0 >= 0 holds, yet nothing is adopted:
    # a motion needs a yes vote.
    ("yes_no_two_thirds, QUORUM = 0: no ballots, quorum met, still nothing adopted",
     (YES_NO_2_3, "QUORUM = fractions.Fraction(1, 2)", "QUORUM = fractions.Fraction(0)"),
     ["m1"], [], [], ["v1", "v2"],
     b'{"adopted":[],"ballots":0,"invalid":0,'
     b'"motions":{"m1":{"abstain":0,"adopted":false,"no":0,"yes":0}},'
     b'"quorum":{"met":true,"participants":0,"required":"0","voters":2},'
     b'"threshold":"2/3"}'),
    ("yes_no_two_thirds, QUORUM = 0: one yes adopts, no votes does not",
     (YES_NO_2_3, "QUORUM = fractions.Fraction(1, 2)", "QUORUM = fractions.Fraction(0)"),
     ["m1", "m2"], [{"votes": {"m2": "yes"}}], ["v1"], ["v1", "v2", "v3"],
     b'{"adopted":["m2"],"ballots":1,"invalid":0,'
     b'"motions":{"m1":{"abstain":1,"adopted":false,"no":0,"yes":0},'
     b'"m2":{"abstain":0,"adopted":true,"no":0,"yes":1}},'
     b'"quorum":{"met":true,"participants":1,"required":"0","voters":3},'
     b'"threshold":"2/3"}'),
    # A parameter changed is another method: at least three quarters, 3 to 1 exactly.
    ("yes_no_two_thirds, THRESHOLD = 3/4: exactly 3 to 1 adopts, 5 to 2 does not",
     (YES_NO_2_3, "THRESHOLD = fractions.Fraction(2, 3)",
      "THRESHOLD = fractions.Fraction(3, 4)"), ["m1", "m2"],
     [{"votes": {"m1": "yes", "m2": "yes"}}] * 3 + [{"votes": {"m1": "no", "m2": "no"}}]
     + [{"votes": {"m2": "yes"}}] * 2 + [{"votes": {"m2": "no"}}], ["v1"], ["v1"],
     b'{"adopted":["m1"],"ballots":7,"invalid":0,'
     b'"motions":{"m1":{"abstain":3,"adopted":true,"no":1,"yes":3},'
     b'"m2":{"abstain":0,"adopted":false,"no":2,"yes":5}},'
     b'"quorum":{"met":true,"participants":1,"required":"1/2","voters":1},'
     b'"threshold":"3/4"}'),

    # -- irv ---------------------------------------------------------------------------
    ("irv: Tennessee's capital, with two invalid ballots", IRV, CITIES,
     TENNESSEE + [groups(["memphis"]), rank("memphis", "memphis")], [], [],
     b'{"adopted":["knoxville"],"ballots":102,"invalid":2,"rounds":['
     b'{"counts":{"chattanooga":15,"knoxville":17,"memphis":42,"nashville":26},'
     b'"eliminated":"chattanooga","exhausted":0},'
     b'{"counts":{"knoxville":32,"memphis":42,"nashville":26},'
     b'"eliminated":"nashville","exhausted":0},'
     b'{"adopted":"knoxville","counts":{"knoxville":58,"memphis":42},"exhausted":0}]}'),
    ("irv: a tie for the fewest eliminates the largest id; exhausted ballots", IRV,
     ["a", "b", "c"],
     [rank("a")] * 3 + [rank("b")] * 2 + [rank("c", "b")] * 2 + [rank()], [], [],
     b'{"adopted":["b"],"ballots":8,"invalid":0,"rounds":['
     b'{"counts":{"a":3,"b":2,"c":2},"eliminated":"c","exhausted":1,"tie":["b"]},'
     b'{"adopted":"b","counts":{"a":3,"b":4},"exhausted":1}]}'),
    ("irv: one each, the smallest id wins", IRV, ["a", "b"], [rank("b"), rank("a")], [], [],
     b'{"adopted":["a"],"ballots":2,"invalid":0,"rounds":['
     b'{"counts":{"a":1,"b":1},"eliminated":"b","exhausted":0,"tie":["a"]},'
     b'{"adopted":"a","counts":{"a":1},"exhausted":1}]}'),
    ("irv: a proposal nobody ranks takes no part", IRV, ["a", "b", "d"],
     [rank("a", "b")] * 2 + [rank("b")], [], [],
     b'{"adopted":["a"],"ballots":3,"invalid":0,"rounds":['
     b'{"adopted":"a","counts":{"a":2,"b":1},"exhausted":0}]}'),
    ("irv: no ballots", IRV, ["a"], [], [], [],
     b'{"adopted":[],"ballots":0,"invalid":0,"rounds":[]}'),
    ("irv: only empty rankings, no proposals", IRV, [], [rank()] * 2, [], [],
     b'{"adopted":[],"ballots":2,"invalid":0,"rounds":[]}'),
    ("irv: hostile payloads", IRV, ["a", "b"], hostile(IRV), [], [],
     b'{"adopted":[],"ballots":%d,"invalid":%d,"rounds":[]}' % (k(IRV), k(IRV))),

    # -- stv ---------------------------------------------------------------------------
    ("stv: two seats, a surplus of 1/5, a tie for the fewest", STV, ["a", "b", "c", "d"],
     [rank("a", "b")] * 5 + [rank("c")] * 3 + [rank("d", "c")] * 2 + [rank("b")]
     + [groups(["a", "b"]), rank("a", "zzz")], [], [],
     b'{"adopted":["a","c"],"ballots":13,"invalid":2,"quota":4,"rounds":['
     b'{"elected":["a"],"exhausted":"0","scores":{"a":"5","b":"1","c":"3","d":"2"},'
     b'"transfer":"1/5"},'
     b'{"eliminated":"d","exhausted":"0","scores":{"b":"2","c":"3","d":"2"},"tie":["b"]},'
     b'{"elected":["c"],"exhausted":"0","scores":{"b":"2","c":"5"},"transfer":"1/5"}],'
     b'"seats":2}'),
    ("stv, SEATS = 3: Wikipedia's party food", (STV, "SEATS = 2", "SEATS = 3"), FOODS, FOOD,
     [], [],
     b'{"adopted":["chocolate","oranges","strawberries"],"ballots":20,"invalid":0,'
     b'"quota":6,"rounds":['
     b'{"elected":["chocolate"],"exhausted":"0","scores":{"chocolate":"12",'
     b'"hamburgers":"1","oranges":"4","pears":"2","strawberries":"1"},"transfer":"1/2"},'
     b'{"eliminated":"pears","exhausted":"0","scores":{"hamburgers":"3","oranges":"4",'
     b'"pears":"2","strawberries":"5"}},'
     b'{"elected":["oranges"],"exhausted":"0","scores":{"hamburgers":"3","oranges":"6",'
     b'"strawberries":"5"},"transfer":"0"},'
     b'{"eliminated":"hamburgers","exhausted":"0","scores":{"hamburgers":"3",'
     b'"strawberries":"5"}},'
     b'{"elected":["strawberries"],"exhausted":"3","scores":{"strawberries":"5"}}],'
     b'"seats":3}'),
    # Three transfers of 1/3 make exactly the quota, which belenios's floating-point sum
    # misses by a hair (it eliminates c first; the same proposals win).
    ("stv, SEATS = 3: surpluses that add up to exactly the quota",
     (STV, "SEATS = 2", "SEATS = 3"), ["a", "b", "c", "d"],
     [rank("b", "d", "a")] * 3 + [rank("a", "d", "c")] * 3, [], [],
     b'{"adopted":["a","b","d"],"ballots":6,"invalid":0,"quota":2,"rounds":['
     b'{"elected":["a"],"exhausted":"0","scores":{"a":"3","b":"3","c":"0","d":"0"},'
     b'"tie":["b"],"transfer":"1/3"},'
     b'{"elected":["b"],"exhausted":"0","scores":{"b":"3","c":"0","d":"1"},'
     b'"transfer":"1/3"},'
     b'{"elected":["d"],"exhausted":"0","scores":{"c":"0","d":"2"},"transfer":"0"}],'
     b'"seats":3}'),
    # An exact tie (1 against 1, after surpluses of 3/5 and 1/3) goes to the smallest id;
    # belenios's floating-point 0.9999... splits it and elects e instead of a.
    ("stv, SEATS = 3: an exact tie after two surpluses", (STV, "SEATS = 2", "SEATS = 3"),
     ["a", "b", "c", "d", "e"], [rank("c", "b", "a", "d", "e")] * 5 + [rank("e")], [], [],
     b'{"adopted":["c","b","a"],"ballots":6,"invalid":0,"quota":2,"rounds":['
     b'{"elected":["c"],"exhausted":"0","scores":{"a":"0","b":"0","c":"5","d":"0","e":"1"},'
     b'"transfer":"3/5"},'
     b'{"elected":["b"],"exhausted":"0","scores":{"a":"0","b":"3","d":"0","e":"1"},'
     b'"transfer":"1/3"},'
     b'{"eliminated":"d","exhausted":"0","scores":{"a":"1","d":"0","e":"1"}},'
     b'{"eliminated":"e","exhausted":"0","scores":{"a":"1","e":"1"},"tie":["a"]},'
     b'{"elected":["a"],"exhausted":"1","scores":{"a":"1"}}],"seats":3}'),
    ("stv: fewer proposals ranked than seats", STV, ["a", "b", "c"], [rank("a")] * 3, [], [],
     b'{"adopted":["a"],"ballots":3,"invalid":0,"quota":2,"rounds":['
     b'{"elected":["a"],"exhausted":"0","scores":{"a":"3"}}],"seats":2}'),
    ("stv: no ballots", STV, ["a", "b", "c"], [], [], [],
     b'{"adopted":[],"ballots":0,"invalid":0,"quota":1,"rounds":[],"seats":2}'),
    ("stv: hostile payloads, no proposals", STV, [], hostile(STV), [], [],
     b'{"adopted":[],"ballots":%d,"invalid":%d,"quota":1,"rounds":[],"seats":2}'
     % (k(STV), k(STV))),

    # -- borda -------------------------------------------------------------------------
    ("borda: Tennessee's capital, with one invalid ballot", BORDA, CITIES,
     TENNESSEE + [rank("memphis", "atlanta")], [], [],
     b'{"adopted":["nashville"],"ballots":101,"invalid":1,'
     b'"points":{"chattanooga":173,"knoxville":107,"memphis":126,"nashville":194},'
     b'"ranking":["nashville","chattanooga","memphis","knoxville"]}'),
    ("borda: short rankings and a three-way tie", BORDA, ["a", "b", "c", "d"],
     [rank("a", "b", "c", "d")] * 2 + [rank("b", "c", "a", "d"), rank("c")], [], [],
     b'{"adopted":["a"],"ballots":4,"invalid":0,"points":{"a":7,"b":7,"c":7,"d":0},'
     b'"ranking":["a","b","c","d"]}'),
    ("borda: one proposal, ranked", BORDA, ["a"], [rank("a")], [], [],
     b'{"adopted":["a"],"ballots":1,"invalid":0,"points":{"a":0},"ranking":["a"]}'),
    ("borda: only empty rankings", BORDA, ["a", "b"], [rank(), rank()], [], [],
     b'{"adopted":[],"ballots":2,"invalid":0,"points":{"a":0,"b":0},"ranking":["a","b"]}'),
    ("borda: no ballots, no proposals", BORDA, [], [], [], [],
     b'{"adopted":[],"ballots":0,"invalid":0,"points":{},"ranking":[]}'),
    ("borda: hostile payloads", BORDA, ["a", "b"], hostile(BORDA), [], [],
     b'{"adopted":[],"ballots":%d,"invalid":%d,"points":{"a":0,"b":0},'
     b'"ranking":["a","b"]}' % (k(BORDA), k(BORDA))),

    # -- score -------------------------------------------------------------------------
    ("score: the next project, with four invalid ballots", SCORE,
     ["bike-shed", "garden", "solar"],
     [{"scores": {"solar": 5, "garden": 3}},
      {"scores": {"solar": 4, "garden": 5, "bike-shed": 0}}, {"scores": {"garden": 4}},
      {"scores": {"solar": True}}, {"scores": {"solar": 6}}, {"scores": {"solar": 2.5}},
      b'{"scores": {"garden": 3.0}}'], [], [],
     b'{"adopted":["garden"],"ballots":7,"invalid":4,"range":[0,5],'
     b'"ranking":["garden","solar","bike-shed"],'
     b'"totals":{"bike-shed":0,"garden":12,"solar":9}}'),
    ("score: a tie goes to the smallest id", SCORE, ["x", "y"],
     [{"scores": {"y": 5}}, {"scores": {"x": 5, "y": 0}}], [], [],
     b'{"adopted":["x"],"ballots":2,"invalid":0,"range":[0,5],"ranking":["x","y"],'
     b'"totals":{"x":5,"y":5}}'),
    ("score: only zeros, nothing adopted", SCORE, ["x", "y"], [{"scores": {"x": 0}}] * 3,
     [], [],
     b'{"adopted":[],"ballots":3,"invalid":0,"range":[0,5],"ranking":["x","y"],'
     b'"totals":{"x":0,"y":0}}'),
    ("score: no ballots", SCORE, ["x"], [], [], [],
     b'{"adopted":[],"ballots":0,"invalid":0,"range":[0,5],"ranking":["x"],'
     b'"totals":{"x":0}}'),
    ("score: hostile payloads", SCORE, ["a", "b"], hostile(SCORE), [], [],
     b'{"adopted":[],"ballots":%d,"invalid":%d,"range":[0,5],"ranking":["a","b"],'
     b'"totals":{"a":0,"b":0}}' % (k(SCORE), k(SCORE))),
    ("score, range 1..5: an unscored proposal gets 1, a 0 is invalid",
     (SCORE, "MIN_SCORE = 0", "MIN_SCORE = 1"), ["x", "y"],
     [{"scores": {"x": 5}}, {"scores": {"y": 3}}, {"scores": {"y": 0}}], [], [],
     b'{"adopted":["x"],"ballots":3,"invalid":1,"range":[1,5],"ranking":["x","y"],'
     b'"totals":{"x":6,"y":4}}'),

    # -- majority judgment -------------------------------------------------------------
    ("majority judgment: two share the majority grade; the tie-break decides", MJ,
     ["a", "b", "c"],
     [grades(a="excellent", b="very good", c="good"),
      grades(a="good", b="good", c="acceptable"), grades(a="good", b="good", c="acceptable"),
      grades(a="poor", b="acceptable", c="acceptable"),
      grades(a="reject", b="acceptable", c="reject"),
      grades(a="excellent"), grades(a="great", b="good", c="good"), grades()], [], [],
     b'{"adopted":["b"],"ballots":8,"blank":1,"grade_names":' + GRADE_NAMES.encode()
     + b',"grades":{"a":[1,0,2,0,1,1],"b":[0,1,2,2,0,0],"c":[0,0,1,3,0,1]},"invalid":2,'
     b'"majority_grade":{"a":"good","b":"good","c":"acceptable"},'
     b'"ranking":["b","a","c"]}'),
    # belenios-tool takes the better middle grade here and would adopt a.
    ("majority judgment: an even count takes the lower middle grade", MJ, ["a", "b"],
     [grades(a="excellent", b="good"), grades(a="reject", b="good")], [], [],
     b'{"adopted":["b"],"ballots":2,"blank":0,"grade_names":' + GRADE_NAMES.encode()
     + b',"grades":{"a":[1,0,0,0,0,1],"b":[0,0,2,0,0,0]},"invalid":0,'
     b'"majority_grade":{"a":"reject","b":"good"},"ranking":["b","a"]}'),
    ("majority judgment: the same grades tie; the smallest id first", MJ, ["b", "a"],
     [grades(a="good", b="poor"), grades(a="poor", b="good"), grades(a="good", b="good")],
     [], [],
     b'{"adopted":["a"],"ballots":3,"blank":0,"grade_names":' + GRADE_NAMES.encode()
     + b',"grades":{"a":[0,0,2,0,1,0],"b":[0,0,2,0,1,0]},"invalid":0,'
     b'"majority_grade":{"a":"good","b":"good"},"ranking":["a","b"]}'),
    ("majority judgment: only blank ballots", MJ, ["a"], [grades()] * 2, [], [],
     b'{"adopted":[],"ballots":2,"blank":2,"grade_names":' + GRADE_NAMES.encode()
     + b',"grades":{"a":[0,0,0,0,0,0]},"invalid":0,"majority_grade":{"a":null},'
     b'"ranking":["a"]}'),
    ("majority judgment: no ballots, no proposals", MJ, [], [], [], [],
     b'{"adopted":[],"ballots":0,"blank":0,"grade_names":' + GRADE_NAMES.encode()
     + b',"grades":{},"invalid":0,"majority_grade":{},"ranking":[]}'),
    ("majority judgment: hostile payloads", MJ, ["a", "b"], hostile(MJ), [], [],
     b'{"adopted":[],"ballots":%d,"blank":0,"grade_names":%s,'
     b'"grades":{"a":[0,0,0,0,0,0],"b":[0,0,0,0,0,0]},"invalid":%d,'
     b'"majority_grade":{"a":null,"b":null},"ranking":["a","b"]}'
     % (k(MJ), GRADE_NAMES.encode(), k(MJ))),

    # -- consent -----------------------------------------------------------------------
    ("consent: one objection blocks; invalid ballots are no objection", CONSENT,
     ["new-logo", "picnic", "raise-dues"],
     [{"objections": []}, {"objections": ["raise-dues"]},
      {"objections": ["raise-dues", "new-logo"]}, {"objections": "raise-dues"},
      {"objections": ["picnic", "picnic"]}], ["v1", "v2", "v3", "v4", "v5"],
     ["v%d" % i for i in range(1, 10)],
     b'{"adopted":["picnic"],"ballots":5,"invalid":2,'
     b'"objections":{"new-logo":1,"picnic":0,"raise-dues":2},'
     b'"quorum":{"met":true,"participants":5,"required":"0","voters":9}}'),
    ("consent: silence is consent", CONSENT, ["a", "b"], [], [], ["v1", "v2", "v3"],
     b'{"adopted":["a","b"],"ballots":0,"invalid":0,"objections":{"a":0,"b":0},'
     b'"quorum":{"met":true,"participants":0,"required":"0","voters":3}}'),
    ("consent: no proposals", CONSENT, [], [{"objections": []}], ["v1"], ["v1"],
     b'{"adopted":[],"ballots":1,"invalid":0,"objections":{},'
     b'"quorum":{"met":true,"participants":1,"required":"0","voters":1}}'),
    ("consent: hostile payloads", CONSENT, ["a", "b"], hostile(CONSENT), [], [],
     b'{"adopted":["a","b"],"ballots":%d,"invalid":%d,"objections":{"a":0,"b":0},'
     b'"quorum":{"met":true,"participants":0,"required":"0","voters":0}}'
     % (k(CONSENT), k(CONSENT))),
    ("consent, QUORUM = 1/2: 1 of 3 voted, nothing adopted",
     (CONSENT, "QUORUM = fractions.Fraction(0)", "QUORUM = fractions.Fraction(1, 2)"),
     ["a"], [{"objections": []}], ["v1"], ["v1", "v2", "v3"],
     b'{"adopted":[],"ballots":1,"invalid":0,"objections":{"a":0},'
     b'"quorum":{"met":false,"participants":1,"required":"1/2","voters":3}}'),
    ("consent, QUORUM = 1/2: an empty franchise never meets it",
     (CONSENT, "QUORUM = fractions.Fraction(0)", "QUORUM = fractions.Fraction(1, 2)"),
     ["a"], [], [], [],
     b'{"adopted":[],"ballots":0,"invalid":0,"objections":{"a":0},'
     b'"quorum":{"met":false,"participants":0,"required":"1/2","voters":0}}'),
]


def method_file(method):
    if isinstance(method, tuple):
        return lib.variant(*method)
    return lib.method_path(method)


def run(case):
    """None if the case passes, else what went wrong."""
    name, method, ids, payloads, participants, franchise, want = case
    doc = lib.inputs(ids, payloads, participants, franchise)
    path = method_file(method)
    try:
        got = {"jail": lib.jail(path, doc), "plain Python": lib.plain(path, doc)}
    except AssertionError as e:
        return str(e)
    wrong = ["%s gave\n      %s" % (how, b.decode("utf-8", "replace"))
             for how, b in got.items() if b != want]
    if wrong:
        return "want\n      %s\n    %s" % (want.decode(), "\n    ".join(wrong))
    return None


def main():
    names = sys.argv[1:]
    cases = [c for c in CASES if not names or any(n in c[0] for n in names)]
    if not cases:
        sys.exit("no case matches %s" % names)
    methods = {(c[1][0] if isinstance(c[1], tuple) else c[1]) for c in cases}
    failures = 0
    for case, problem in zip(cases, lib.parallel(run, cases)):
        if problem is None:
            print("ok   %s" % case[0])
        else:
            failures += 1
            print("FAIL %s\n    %s" % (case[0], problem))
    print("%d cases over %d methods, %d failed" % (len(cases), len(methods), failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
