#!/usr/bin/python3
"""verify_once_bench — a third party's re-count: `count-worker --once` against reference.py.

Run by scripts/bench-count (its last section; issue 20). For each ballot count in
BENCH_ONCE_SIZES it writes a Schulze inputs object (DESIGN §7, compact JSON as the
api-server publishes it) in two variants:

  * realistic: 8 proposals; each ballot's ranking drawn, with repetition, from 400
    rankings with Zipf-like weights, so that most payloads equal others;
  * distinct: the same, with a per-ballot "nonce" member in every payload (Schulze ignores
    it), so that every payload is different;

with 22-character ballot ids, a voter_franchise of 1.25 N and participants of N 64-hex
pseudonyms, and runs on the same file, interleaved, `count-worker --once` (default
limits, libraries) and `PYTHONHASHSEED=0 /usr/bin/python3 tests/sandbox/reference.py`.

Measured per run: wall time from start to exit, CPU time and peak RSS. reference.py is
one process: its peak is the kernel's ru_maxrss (os.wait4). --once is the worker plus its
jailed child (a fork): a sampler reads VmRSS of the worker and of every descendant
(/proc/PID/task/*/children) every 5 ms and keeps the largest sum. RSS counts pages the
child still shares with the worker (copy-on-write) in both, as the issue's figures did,
so the sum is an upper bound on memory used; a spike shorter than 5 ms can be missed.

Prints one line per size and variant, e.g.
  once/reference time, schulze 1M realistic: 1.05x (goal <= 1.10), --once 4.6 s, peak RSS
  900 MiB (goal < 1.2 GiB), reference 4.4 s / 1.0 GiB; CPU 4.2 s / 4.1 s = 1.02x
(medians over BENCH_ONCE_REPS, default 1). The CPU times (user + system, the jailed child
included) are what to compare when the machine is busy: wall times then mostly measure
the others' load. Both runs must print the same result: MISMATCH and exit status 1
otherwise (FAILED when a run fails).

    verify_once_bench.py WORKER_BIN
Environment: BENCH_ONCE_SIZES ("1000000"), BENCH_ONCE_REPS (1), BENCH_ONCE_VARIANTS
("realistic distinct"), BENCH_ONCE_TMP (a directory for the inputs; default a temporary one).
"""

import base64
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
METHOD = os.path.join(ROOT, "count-worker", "methods", "schulze.py")
REFERENCE = os.path.join(ROOT, "tests", "sandbox", "reference.py")
PLAIN_PYTHON = "/usr/bin/python3"

NPROPOSALS = 8
NRANKINGS = 400
TIME_GOAL = 1.10
RSS_GOAL_MIB = 1.2 * 1024
SAMPLE_S = 0.005


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def size_name(n):
    if n >= 1000000 and n % 1000000 == 0:
        return "%dM" % (n // 1000000)
    if n >= 1000 and n % 1000 == 0:
        return "%dk" % (n // 1000)
    return str(n)


def hexid(rng, nbytes):
    return rng.randbytes(nbytes).hex()


def rankings_pool(rng, ids):
    """NRANKINGS rankings of the proposals (groups of ties, some proposals left out)."""
    pool = []
    for _ in range(NRANKINGS):
        order = ids[:]
        rng.shuffle(order)
        order = order[:rng.randint(1, len(order))]
        groups, i = [], 0
        while i < len(order):
            k = 1 if rng.random() < 0.8 else 2
            groups.append(order[i:i + k])
            i += k
        pool.append(groups)
    return pool


def write_inputs(path, n, distinct, seed=20):
    """Writes the inputs object of a Schulze decision with n ballots to path."""
    rng = random.Random(seed)
    ids = sorted("%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                                  rng.getrandbits(12), rng.getrandbits(12),
                                                  rng.getrandbits(48))
                 for _ in range(NPROPOSALS))
    voters = [hexid(rng, 32) for _ in range(n + n // 4)]
    proposers = voters[:NPROPOSALS - 1]
    proposals = [{"id": pid, "proposer": "" if i == 0 else proposers[i - 1],
                  "payload": base64.b64encode(json.dumps({"title": "proposal %d" % i})
                                              .encode()).decode()}
                 for i, pid in enumerate(ids)]
    pool = rankings_pool(rng, ids)
    weights = [1.0 / (k + 1) for k in range(len(pool))]
    encoded = [base64.b64encode(json.dumps({"ranking": r}, separators=(",", ":")).encode())
               .decode() for r in pool]
    picks = rng.choices(range(len(pool)), weights, k=n)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    ballot_ids = sorted({"".join(rng.choices(alphabet, k=22)) for _ in range(n)})
    while len(ballot_ids) < n:  # (a collision among 64^22 is not going to happen)
        ballot_ids = sorted(set(ballot_ids) | {"".join(rng.choices(alphabet, k=22))})
    if distinct:
        payloads = [base64.b64encode(json.dumps({"nonce": hexid(rng, 8), "ranking": pool[k]},
                                                separators=(",", ":")).encode()).decode()
                    for k in picks]
    else:
        payloads = [encoded[k] for k in picks]
    inputs = {"proposals": proposals,
              "ballots": [{"id": b, "payload": p} for b, p in zip(ballot_ids, payloads)],
              "participants": sorted(voters[:n]),
              "proposer_franchise": sorted(proposers),
              "voter_franchise": sorted(voters)}
    with open(path, "w") as f:
        json.dump(inputs, f, separators=(",", ":"))


def tree_rss_kb(pid):
    """VmRSS of pid and all its descendants, in KiB (0 for those already gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, task)) as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            pass
    return total


def run(cmd, env=None, sample=False):
    """Runs cmd to its end: (stdout, wall s, CPU s, peak KiB). The CPU time (user + system)
    is wait4's, which counts the children the process reaped (the jailed child); the peak
    is wait4's ru_maxrss (the largest single process), or with sample the largest sum over
    the process tree that the sampler saw. Output goes through files, so that nothing has
    to be read before the wait. Raises RuntimeError if cmd fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        peak = 0
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG if sample else 0)
            if pid != 0:
                break
            peak = max(peak, tree_rss_kb(p.pid))
            time.sleep(SAMPLE_S)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            raise RuntimeError("%s exited with %d: %s"
                               % (" ".join(cmd[:2]), p.returncode,
                                  err.read().decode(errors="replace")[-500:]))
        return (out.read().decode(), wall, ru.ru_utime + ru.ru_stime,
                peak if sample else ru.ru_maxrss)


def gib_or_mib(kb):
    mib = kb / 1024
    return "%.2f GiB" % (mib / 1024) if mib >= 1024 else "%.0f MiB" % mib


def summary(what, once, ref):
    """The line of one size and variant, from the medians of (stdout, wall, CPU, peak)."""
    (o_t, o_cpu, o_kb), (r_t, r_cpu, r_kb) = [
        [statistics.median(r[k] for r in runs) for k in (1, 2, 3)] for runs in (once, ref)]
    return ("once/reference time, %s: %.2fx (goal <= %.2f), --once %.1f s, peak RSS %s "
            "(goal < 1.2 GiB%s), reference %.1f s / %s; CPU %.1f s / %.1f s = %.2fx"
            % (what, o_t / r_t, TIME_GOAL, o_t, gib_or_mib(o_kb),
               "" if o_kb / 1024 < RSS_GOAL_MIB else ": missed", r_t, gib_or_mib(r_kb),
               o_cpu, r_cpu, o_cpu / r_cpu))


def measure(worker, path, what, reps):
    """reps interleaved runs of --once and reference.py on path: the summary line, or a
    FAILED or MISMATCH line (then also False)."""
    once, ref = [], []
    for rep in range(reps):
        log("once: %s, repetition %d" % (what, rep + 1))
        try:
            once.append(run([worker, "--once", "--method", METHOD, "--inputs", path],
                            sample=True))
            ref.append(run([PLAIN_PYTHON, REFERENCE, METHOD, path],
                           env=dict(os.environ, PYTHONHASHSEED="0")))
        except RuntimeError as e:
            return "FAILED, %s: %s" % (what, e), False
        if once[-1][0] != ref[-1][0]:
            return ("MISMATCH, %s: --once and reference.py printed different results"
                    % what), False
    return summary(what, once, ref), True


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: verify_once_bench.py WORKER_BIN")
    worker = sys.argv[1]
    sizes = [int(s) for s in os.environ.get("BENCH_ONCE_SIZES", "1000000").split()]
    reps = int(os.environ.get("BENCH_ONCE_REPS", "1"))
    variants = os.environ.get("BENCH_ONCE_VARIANTS", "realistic distinct").split()
    ok = True
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_ONCE_TMP")) as tmp:
        for n in sizes:
            for variant in variants:
                path = os.path.join(tmp, "inputs-%d-%s.json" % (n, variant))
                log("once: writing %s ballots, %s payloads" % (size_name(n), variant))
                write_inputs(path, n, variant == "distinct")
                line, good = measure(worker, path, "schulze %s %s" % (size_name(n), variant),
                                     reps)
                print(line, flush=True)
                ok = ok and good
                os.unlink(path)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
