# A listing: proposals sorted by (proposer, id), ballots sorted by id, the three pseudonym
# sets sorted. Exercises sorted() with tuple keys over str ids, bytes payload lengths.


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    lines = ["proposals %d" % len(proposals)]
    for p in sorted(proposals, key=lambda p: (p.proposer, p.id)):
        lines.append("%s\t%s\t%d" % (p.id, p.proposer or "-", len(p.payload)))
    lines.append("ballots %d" % len(ballots))
    for b in sorted(ballots):
        lines.append("%s\t%d" % (b.id, len(b.payload)))
    for name, s in (("participants", participants), ("proposer_franchise", proposer_franchise),
                    ("voter_franchise", voter_franchise)):
        lines.append("%s %s" % (name, ",".join(sorted(s))))
    return "\n".join(lines).encode("utf-8")
