# attack: E17 (job 1 of 2) spread a secret from the inputs: the driver gives this job a
#         ballot whose id, payload and voter pseudonym hold 'RESIDUE-SECRET:<random hex>';
#         the method copies it into library modules, the builtins and many new objects.
# inputs: secret
# expect: result planted


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    found = [b for b in ballots if b"RESIDUE-SECRET:" in b.payload]
    if not found:
        return b"no secret in the inputs"
    secret = found[0].payload
    collections.STASH = [secret, secret.decode(), secret * 3, bytearray(secret)]
    real = collections.__builtins__
    real = real if isinstance(real, dict) else real.__dict__
    real["STASH"] = secret.decode()
    fractions.sys.modules["stash"] = collections
    fractions.sys.STASH = [secret.hex(), repr(secret)]
    keep = [secret.decode() + str(i) for i in range(10000)]
    collections.STASH.append(keep)
    return b"planted"
