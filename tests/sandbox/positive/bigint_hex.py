# Big integers (printed in hex: Debian's 3.11 limits int->decimal str to 4300 digits):
# 3**10000, 500!, a product over the ballots and a binomial over the proposals.


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    big = 3 ** 10000
    prod = 1
    for b in sorted(ballots):
        prod = prod * (len(b.payload) + 1) + int.from_bytes(b.payload[:8], "big")
    parts = [
        hex(big),
        hex(math.factorial(500)),
        hex(prod),
        hex(math.comb(len(proposals) * 40 + 7, len(proposals) + 3)),
        hex(pow(7, 10 ** 5, (1 << 127) - 1)),
        hex(math.isqrt(big)),
        str(big.bit_length()),
    ]
    return "\n".join(parts).encode("ascii")
