#!/usr/bin/python3
"""bench_count — the count-worker's jail against plain CPython, in one run.

Run through scripts/bench-count (which picks the worker binary and Debian's
/usr/bin/python3). What it measures, for each ballot count in BENCH_SIZES:

  * plurality and Schulze (count-worker/methods/) over random but seeded inputs: 5
    proposals, N ballots with random 22-character ids, a voter_franchise of N 64-hex
    pseudonyms (participants and proposer_franchise: the 5 proposers);
  * each repetition runs the job in the jail (the worker in serve mode on a temporary
    socket, FREECOOP_WORKER_JOBS=1) and then the same method under plain
    /usr/bin/python3 with PYTHONHASHSEED=0 (a fresh subprocess that builds the same
    frozensets, in sorted order, with the same named tuples and pre-bound libraries);
  * count() CPU time in the jail (the RESULT's count_cpu_us) against count() CPU time in
    plain Python (time.process_time_ns around the call): their ratio is the headline
    (goal <= 1.15x at 1M ballots); also the jail's whole-job wall time (send -> answer),
    its whole-job CPU time (cpu_us) and its peak RSS;
  * the jail's result bytes must equal plain Python's: MISMATCH is printed otherwise.

And the per-job overhead: a trivial method (return b"ok") on empty inputs, 10 warm-up
jobs then 200 jobs on one connection, median and p90 round trip (goal: median <= 2 ms, issue 20).

The header shows the machine and both Pythons; the footer how much CPU time the
hypervisor stole during the run (on a shared virtual machine that is the main noise).

Inputs are generated once per size: the input part of the COUNT frame is built once,
sent to the jail and written to a file that the plain runner decodes (outside the timed
region) into fresh objects, as the worker does.

Environment: FREECOOP_WORKER_BIN (required here; the wrapper sets it), BENCH_SIZES
(default "10000 100000 1000000"; "" measures only the overhead), BENCH_REPS (default 5
at <= 10k ballots, else 3). Progress goes to stderr, the table to stdout. The exit status
is 1 when a job failed or a result differed, so the benchmark also guards correctness.

The same file is the plain runner: `bench_count.py --plain METHOD INPUTS` (internal).
"""

import base64
import json
import os
import platform
import random
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import namedtuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
METHODS_DIR = os.path.join(ROOT, "count-worker", "methods")
PLAIN_PYTHON = "/usr/bin/python3"

# The worker's allowed libraries when not configured otherwise (SPEC, serve mode); the
# plain runner binds the same names.
DEFAULT_LIBRARIES = ("json math fractions itertools functools collections statistics "
                     "heapq bisect operator").split()

# Limits of the measured jobs: generous, so that only the work is measured. The worker
# gets the same values as its ceilings so that it does not clamp them.
LIMITS = {"cpu_ms": 600000, "wall_ms": 1200000, "memory_mb": 8192, "result_max": 1048576}
TRIVIAL_LIMITS = {"cpu_ms": 1000, "wall_ms": 5000, "memory_mb": 256, "result_max": 1024}
TRIVIAL_METHOD = (b"def count(proposals, ballots, participants, proposer_franchise, "
                  b"voter_franchise):\n    return b\"ok\"\n")

DEFAULT_SIZES = "10000 100000 1000000"
NPROPOSALS = 5
OVERHEAD_WARMUP, OVERHEAD_JOBS = 10, 200
RATIO_GOAL, RATIO_GOAL_SIZE = 1.15, 1000000
OVERHEAD_GOAL_MS = 2.0

# Frame types and error kinds (SPEC, "Frames").
VALIDATE, COUNT, RESULT, ERROR = 1, 2, 3, 4
ERROR_KINDS = {1: "exception", 2: "timeout", 3: "memory", 4: "sandbox_violation",
               5: "bad_result", 6: "internal"}


def method_path(name):
    return os.path.join(METHODS_DIR, name + ".py")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# The frame protocol (SPEC "Frames"): u32 length-of-rest | u8 type | fields, big-endian;
# a bytes field is a u32 length then the raw bytes.

def enc_bytes(b):
    return struct.pack(">I", len(b)) + b


def enc_set(strings):
    """A set field: u32 n, then n bytes fields (UTF-8), in sorted order."""
    return b"".join([struct.pack(">I", len(strings))] +
                    [enc_bytes(s.encode("utf-8")) for s in sorted(strings)])


def enc_inputs(inp, payloads):
    """The input part of a COUNT frame (everything after the limits): proposals,
    ballots (ids with the given payloads) and the three pseudonym sets."""
    parts = [struct.pack(">I", len(inp.proposals))]
    for pid, proposer, payload in inp.proposals:
        parts += [enc_bytes(pid.encode()), enc_bytes(proposer.encode()), enc_bytes(payload)]
    parts.append(struct.pack(">I", len(inp.ballot_ids)))
    pack = struct.pack
    parts += [pack(">I%dsI" % len(bid), len(bid), bid, len(p)) + p
              for bid, p in zip(inp.ballot_ids_b, payloads)]
    parts += [enc_set(inp.participants), enc_set(inp.proposer_franchise),
              enc_set(inp.voter_franchise)]
    return b"".join(parts)


def count_head(method, limits, inputs_len):
    """The start of a COUNT frame up to the limits; inputs_len bytes of inputs follow."""
    fields = enc_bytes(method) + struct.pack(
        ">IIII", limits["cpu_ms"], limits["wall_ms"], limits["memory_mb"], limits["result_max"])
    return struct.pack(">IB", 1 + len(fields) + inputs_len, COUNT) + fields


EMPTY_INPUTS = struct.pack(">IIIII", 0, 0, 0, 0, 0)


class WorkerError(Exception):
    """The worker answered ERROR: kind and message, quoted as received."""

    def __init__(self, kind, message):
        super().__init__("%s: %s" % (kind, message))
        self.kind, self.message = kind, message


Result = namedtuple("Result", "result cpu_us count_cpu_us peak_rss_kb")


class Connection:
    """One connection to the worker: one request at a time, answered in order."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)

    def close(self):
        self.sock.close()

    def _read_exact(self, n):
        buf = bytearray(n)
        view, got = memoryview(buf), 0
        while got < n:
            r = self.sock.recv_into(view[got:])
            if r == 0:
                raise ConnectionError("the worker closed the connection")
            got += r
        return bytes(buf)

    def request(self, *parts):
        """Sends a frame given in parts (already framed) and returns the parsed answer:
        a Result, or raises WorkerError."""
        for p in parts:
            self.sock.sendall(p)
        (length,) = struct.unpack(">I", self._read_exact(4))
        body = self._read_exact(length)
        kind, pos = body[0], 1
        if kind == RESULT:
            (n,) = struct.unpack_from(">I", body, pos)
            result = body[pos + 4:pos + 4 + n]
            cpu_us, count_cpu_us, rss_kb = struct.unpack_from(">QQQ", body, pos + 4 + n)
            return Result(result, cpu_us, count_cpu_us, rss_kb)
        if kind == ERROR:
            code, n = struct.unpack_from(">II", body, pos)
            message = body[pos + 8:pos + 8 + n].decode("utf-8", "replace")
            raise WorkerError(ERROR_KINDS.get(code, "kind %d" % code), message)
        raise ConnectionError("unexpected answer type %d" % kind)

    def validate(self, method):
        self.request(struct.pack(">IB", 1 + 4 + len(method), VALIDATE) + enc_bytes(method))

    def count(self, method, limits, inputs):
        return self.request(count_head(method, limits, len(inputs)), inputs)


class Worker:
    """count-worker in serve mode on a socket in a temporary directory."""

    def __init__(self, binary, tmp):
        self.path = os.path.join(tmp, "worker.sock")
        self.log_path = os.path.join(tmp, "worker.log")
        env = dict(os.environ,
                   FREECOOP_WORKER_SOCKET=self.path,
                   FREECOOP_WORKER_JOBS="1",
                   FREECOOP_WORKER_MAX_CPU_MS=str(LIMITS["cpu_ms"]),
                   FREECOOP_WORKER_MAX_WALL_MS=str(LIMITS["wall_ms"]),
                   FREECOOP_WORKER_MAX_MEMORY_MB=str(LIMITS["memory_mb"]),
                   FREECOOP_WORKER_MAX_RESULT_BYTES=str(LIMITS["result_max"]))
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=self.log_file)
        # A successful connect() means it is ready (SPEC, serve mode).
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                sys.exit("bench-count: the worker exited with status %d:\n%s"
                         % (self.proc.returncode, self.log_tail()))
            try:
                Connection(self.path).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    sys.exit("bench-count: the worker did not listen within 30 s:\n"
                             + self.log_tail())
                time.sleep(0.05)

    def python_version(self):
        """The embedded CPython's version, from the worker's start-up log line."""
        with open(self.log_path, "rb") as f:
            m = re.search(rb"Python (\d+\.\d+\.\d+\S*?)[,\s]", f.read())
        return m.group(1).decode() if m else "unknown"

    def log_tail(self, lines=20):
        with open(self.log_path, "rb") as f:
            return b"".join(f.readlines()[-lines:]).decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


# ---------------------------------------------------------------------------------------
# Inputs: random but seeded (random.Random(N) for N ballots), so every run of the
# benchmark counts the same ballots.

Inputs = namedtuple("Inputs", "proposals ballot_ids ballot_ids_b participants "
                              "proposer_franchise voter_franchise")


def random_ids(rng, n):
    """n distinct random 22-character ids (128 random bits, base64url)."""
    raw = rng.randbytes(16 * n)
    ids = [base64.urlsafe_b64encode(raw[i:i + 16])[:22].decode() for i in range(0, 16 * n, 16)]
    assert len(set(ids)) == n
    return ids


def random_pseudonyms(rng, n):
    """n random 64-hex pseudonyms (as DESIGN §7: hex of a SHA-256)."""
    h = rng.randbytes(32 * n).hex()
    return [h[i:i + 64] for i in range(0, 64 * n, 64)]


def make_inputs(rng, n):
    ids = sorted(random_ids(rng, NPROPOSALS))
    proposers = random_pseudonyms(rng, NPROPOSALS)
    proposals = [(pid, proposer, json.dumps({"title": "Proposal %d" % (i + 1)}).encode())
                 for i, (pid, proposer) in enumerate(zip(ids, proposers))]
    ballot_ids = sorted(random_ids(rng, n))
    return Inputs(proposals, ballot_ids, [b.encode() for b in ballot_ids],
                  sorted(proposers), sorted(proposers), sorted(random_pseudonyms(rng, n)))


def plurality_payloads(rng, inp):
    """One payload per ballot: a choice weighted towards the first proposals, and about
    1% invalid ballots (an unknown id, malformed JSON)."""
    ids = [p[0] for p in inp.proposals]
    pool = [json.dumps({"choice": pid}).encode() for pid in ids]
    weights = [30, 25, 20, 14, 10]
    pool += [json.dumps({"choice": "no-such-proposal"}).encode(), b'{"choice": ']
    weights += [0.5, 0.5]
    return rng.choices(pool, weights, k=len(inp.ballot_ids))


def schulze_payloads(rng, inp):
    """One payload per ballot, drawn from a pool of 2000 random rankings: noisy
    preferences around a common order, random ties, random truncation, and varied
    spellings of the same ranking (spacing, order inside a group); about 1% invalid
    (unknown id, an id twice, not a list of lists, malformed JSON)."""
    ids = [p[0] for p in inp.proposals]
    pool = []
    for _ in range(2000):
        scored = sorted(ids, key=lambda pid: ids.index(pid) * 0.6 + rng.random() * 3)
        scored = scored[:rng.randint(1, len(ids))]           # truncation
        groups = []
        for pid in scored:
            if groups and rng.random() < 0.2:                # a tie with the previous
                groups[-1].append(pid)
            else:
                groups.append([pid])
        if rng.random() < 0.5:
            groups = [list(reversed(g)) for g in groups]
        seps = (", ", ": ") if rng.random() < 0.5 else (",", ":")
        pool.append(json.dumps({"ranking": groups}, separators=seps).encode())
    invalid = [json.dumps({"ranking": [[ids[0]], ["no-such-proposal"]]}).encode(),
               json.dumps({"ranking": [[ids[0]], [ids[1], ids[0]]]}).encode(),
               json.dumps({"ranking": ids}).encode(),
               b'{"ranking": [["']
    weights = [99 / len(pool)] * len(pool) + [1 / len(invalid)] * len(invalid)
    return rng.choices(pool + invalid, weights, k=len(inp.ballot_ids))


METHODS = [("plurality", plurality_payloads), ("schulze", schulze_payloads)]


# ---------------------------------------------------------------------------------------
# The plain runner: a fresh /usr/bin/python3 per repetition, like a fresh job in the jail.

def decode_inputs(blob):
    """The five argument lists from the input part of a COUNT frame, decoded as the worker
    does: a fresh str (UTF-8) or bytes object for every field. (Loading shared objects
    instead, e.g. with marshal, which writes identical objects once and loads them
    shared, would make plain Python hash a handful of payloads instead of a million and
    flatter its count() time by a factor of two.)"""
    unpack, pos = struct.unpack_from, 0

    def fields(k):
        # The next k bytes fields, each as a new bytes object.
        nonlocal pos
        out = []
        for _ in range(k):
            (n,) = unpack(">I", blob, pos)
            out.append(blob[pos + 4:pos + 4 + n])
            pos += 4 + n
        return out

    def count_of():
        nonlocal pos
        (n,) = unpack(">I", blob, pos)
        pos += 4
        return n

    f = fields(3 * count_of())
    proposals = [(f[i].decode(), f[i + 1].decode(), f[i + 2]) for i in range(0, len(f), 3)]
    f = fields(2 * count_of())
    ballots = [(f[i].decode(), f[i + 1]) for i in range(0, len(f), 2)]
    del f
    sets = [[b.decode() for b in fields(count_of())] for _ in range(3)]
    if pos != len(blob):
        raise ValueError("trailing bytes in the inputs")
    return [proposals, ballots] + sets


def plain_main(method_path, inputs_path):
    """`--plain METHOD_FILE INPUTS_FILE`: the plain run of one repetition. INPUTS_FILE is
    the input part of the COUNT frame the jail got. Builds the five frozensets as the
    worker does, times count() with process CPU time (the clock of the RESULT's
    count_cpu_us) and writes u64 nanoseconds + the result bytes to stdout."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        sys.exit("bench_count --plain: needs PYTHONHASHSEED=0")
    with open(method_path, "rb") as f:
        source = f.read().decode("utf-8")
    with open(inputs_path, "rb") as f:
        proposals, ballots, participants, pf, vf = decode_inputs(f.read())

    # As count-worker/runtime.py: the named tuples, restricted builtins, the libraries.
    import builtins
    Proposal = namedtuple("Proposal", "id proposer payload")
    Ballot = namedtuple("Ballot", "id payload")
    forbidden = set("open print input __import__ exec eval compile breakpoint help exit quit "
                    "copyright credits license __loader__ __spec__".split())
    g = {"__builtins__": {k: v for k, v in vars(builtins).items() if k not in forbidden},
         "__name__": "__method__", "Proposal": Proposal, "Ballot": Ballot}
    for name in DEFAULT_LIBRARIES:
        g[name] = __import__(name)
    if "random" in sys.modules:  # statistics imports it; the worker seeds it with 0
        sys.modules["random"].seed(0)

    # Frozensets built by inserting the elements in sorted order (DESIGN §4).
    sets = (frozenset(sorted((Proposal(*p) for p in proposals), key=lambda p: p.id)),
            frozenset(sorted((Ballot(*b) for b in ballots), key=lambda b: b.id)),
            frozenset(sorted(participants)), frozenset(sorted(pf)), frozenset(sorted(vf)))
    del proposals, ballots

    exec(compile(source, method_path, "exec"), g)
    count = g["count"]
    t0 = time.process_time_ns()
    result = count(*sets)
    t1 = time.process_time_ns()
    if type(result) is not bytes:
        sys.exit("count returned %s, not bytes" % type(result).__name__)
    sys.stdout.buffer.write(struct.pack(">Q", t1 - t0) + result)


def run_plain(method_path, inputs_path):
    """(count() CPU ms, result bytes) of one plain run; raises RuntimeError on failure."""
    p = subprocess.run([PLAIN_PYTHON, os.path.abspath(__file__), "--plain", method_path,
                        inputs_path],
                       env=dict(os.environ, PYTHONHASHSEED="0"), capture_output=True)
    if p.returncode != 0 or len(p.stdout) < 8:
        err = p.stderr.decode("utf-8", "replace").strip()
        log(err)
        raise RuntimeError("plain run failed (status %d): %s"
                           % (p.returncode, err.splitlines()[-1] if err else "no output"))
    (ns,) = struct.unpack_from(">Q", p.stdout)
    return ns / 1e6, p.stdout[8:]


# ---------------------------------------------------------------------------------------
# The benchmark.

def difference(a, b):
    """Where two results first differ, with a little context on both sides."""
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    lo = max(0, i - 40)
    return ("first difference at byte %d (jail %d bytes, plain %d bytes): jail %r, plain %r"
            % (i, len(a), len(b), a[lo:i + 40], b[lo:i + 40]))


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def p90(xs):
    """Nearest-rank 90th percentile."""
    s = sorted(xs)
    return s[max(0, -(-9 * len(s) // 10) - 1)]


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            model = m.group(1) if m else model
    except OSError:
        pass
    return "%d CPUs (nproc), %s, %s %s" % (len(os.sched_getaffinity(0)), model,
                                           platform.system(), platform.release())


def load_average():
    """The 1/5/15-minute load averages: other work on the machine makes timings noisy."""
    return " ".join("%.2f" % x for x in os.getloadavg())


def cpu_ticks():
    """(steal, total) clock ticks of all CPUs from /proc/stat, or None. On a virtual
    machine, time the hypervisor gives to others ("steal") shows up as noise, mostly in
    the wall times and the overhead's tail."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (v[7] if len(v) > 7 else 0), sum(v[:8])


def steal_since(start):
    end = cpu_ticks()
    if start is None or end is None or end[1] == start[1]:
        return "unknown"
    return "%.0f%%" % (100.0 * (end[0] - start[0]) / (end[1] - start[1]))


def plain_version():
    return subprocess.run([PLAIN_PYTHON, "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True).stdout.strip()


def reps_for(n):
    if os.environ.get("BENCH_REPS"):
        return int(os.environ["BENCH_REPS"])
    return 5 if n <= 10000 else 3


class Session:
    """The benchmark's one connection, opened again if the worker drops it (it closes a
    connection on a frame it cannot take, e.g. one over max_job_mb)."""

    def __init__(self, path):
        self.path, self.conn = path, Connection(path)

    def get(self):
        return self.conn

    def reconnect(self):
        self.conn.close()
        self.conn = Connection(self.path)


def bench_size(conn, tmp, n, sources, problems):
    """Runs every method over n ballots, interleaved; returns one table row per method."""
    t = time.monotonic()
    rng = random.Random(n)
    inp = make_inputs(rng, n)
    cases = []
    for name, payloads_of in METHODS:
        payloads = payloads_of(rng, inp)
        blob = enc_inputs(inp, payloads)
        # The plain runner reads the very bytes the jail gets.
        plain_input = os.path.join(tmp, "inputs-%s-%d" % (name, n))
        with open(plain_input, "wb") as f:
            f.write(blob)
        del payloads
        cases.append({"name": name, "blob": blob, "plain_input": plain_input,
                      "jail_count": [], "plain_count": [], "wall": [], "cpu": [], "rss": [],
                      "results": set(), "mismatch": False, "errors": 0})
    log("%d ballots: inputs generated in %.1f s (COUNT frames of %s MB)"
        % (n, time.monotonic() - t, " / ".join("%.1f" % (len(c["blob"]) / 2**20) for c in cases)))

    reps = reps_for(n)
    for rep in range(1, reps + 1):
        for c in cases:
            where = "%s, %d ballots, repetition %d" % (c["name"], n, rep)
            # In the jail: send -> answer.
            t0 = time.perf_counter()
            try:
                r = conn.get().count(sources[c["name"]], LIMITS, c["blob"])
            except WorkerError as e:
                problems.append("ERROR from the worker (%s): %s: %s" % (where, e.kind, e.message))
                log(problems[-1])
                c["errors"] += 1
                r = None
            except (ConnectionError, OSError) as e:
                problems.append("connection failed (%s): %s" % (where, e))
                log(problems[-1])
                c["errors"] += 1
                conn.reconnect()
                r = None
            wall = (time.perf_counter() - t0) * 1e3
            if r is not None:
                c["jail_count"].append(r.count_cpu_us / 1e3)
                c["wall"].append(wall)
                c["cpu"].append(r.cpu_us / 1e3)
                c["rss"].append(r.peak_rss_kb / 1024)
                c["results"].add(r.result)
            # Plain Python, same inputs.
            try:
                plain_ms, plain_result = run_plain(method_path(c["name"]), c["plain_input"])
            except RuntimeError as e:
                problems.append("%s: %s" % (where, e))
                log(problems[-1])
                c["errors"] += 1
                continue
            c["plain_count"].append(plain_ms)
            if r is not None and r.result != plain_result:
                c["mismatch"] = True
                problems.append("MISMATCH (%s): %s" % (where, difference(r.result, plain_result)))
                log("!" * 72 + "\n" + problems[-1] + "\n" + "!" * 72)
            log("  %-9s %8d rep %d/%d: count() jail %9.1f ms, plain %9.1f ms; job wall %9.1f ms"
                % (c["name"], n, rep, reps, r.count_cpu_us / 1e3 if r else float("nan"),
                   plain_ms, wall if r else float("nan")))
    if any(len(c["results"]) > 1 for c in cases):
        problems.append("MISMATCH: the jail gave different results across repetitions at %d" % n)
    rows = []
    for c in cases:
        jc, pc = median(c["jail_count"]), median(c["plain_count"])
        rows.append({"method": c["name"], "n": n, "reps": reps, "jail": jc, "plain": pc,
                     "ratio": jc / pc if pc > 0 else float("nan"), "wall": median(c["wall"]),
                     "cpu": median(c["cpu"]), "rss": max(c["rss"], default=float("nan")),
                     "check": ("MISMATCH" if c["mismatch"] or len(c["results"]) > 1 else
                               "ERRORS" if c["errors"] else "same")})
        os.unlink(c["plain_input"])
    return rows


def bench_overhead(conn, problems):
    """Round trips of a trivial job on one connection: (median ms, p90 ms)."""
    times = []
    for i in range(OVERHEAD_WARMUP + OVERHEAD_JOBS):
        t0 = time.perf_counter()
        try:
            r = conn.count(TRIVIAL_METHOD, TRIVIAL_LIMITS, EMPTY_INPUTS)
        except WorkerError as e:
            problems.append("ERROR from the worker (trivial job %d): %s: %s" % (i, e.kind, e.message))
            return float("nan"), float("nan")
        dt = (time.perf_counter() - t0) * 1e3
        if r.result != b"ok":
            problems.append("trivial job %d returned %r" % (i, r.result))
        if i >= OVERHEAD_WARMUP:
            times.append(dt)
    return median(times), p90(times)


def main():
    binary = os.environ.get("FREECOOP_WORKER_BIN")
    if not binary:
        sys.exit("bench_count: set FREECOOP_WORKER_BIN (scripts/bench-count does)")
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", DEFAULT_SIZES).split()]
    sources = {}
    for name, _ in METHODS:
        with open(method_path(name), "rb") as f:
            sources[name] = f.read()

    problems = []
    started, ticks = time.monotonic(), cpu_ticks()
    with tempfile.TemporaryDirectory(prefix="freecoop-bench-count.") as tmp:
        worker = Worker(binary, tmp)
        try:
            print("bench-count: count-worker jail vs plain CPython")
            print("machine:  %s; load average %s" % (machine(), load_average()))
            print("python:   worker (embedded) %s, plain %s %s (PYTHONHASHSEED=0)"
                  % (worker.python_version(), PLAIN_PYTHON, plain_version()))
            print("worker:   %s (FREECOOP_WORKER_JOBS=1, limits %s)"
                  % (binary, " ".join("%s=%d" % kv for kv in LIMITS.items())))
            print("inputs:   %d proposals; ballots %s; voter_franchise of the same size; "
                  "repetitions %s" % (NPROPOSALS, " ".join(map(str, sizes)),
                                      " ".join(str(reps_for(n)) for n in sizes)), flush=True)

            conn = Session(worker.path)
            for name in sorted(sources):
                try:
                    conn.get().validate(sources[name])
                except WorkerError as e:
                    problems.append("VALIDATE %s: %s: %s" % (name, e.kind, e.message))
            rows = []
            for n in sizes:
                rows += bench_size(conn, tmp, n, sources, problems)
            log("per-job overhead: %d warm-up + %d trivial jobs" % (OVERHEAD_WARMUP, OVERHEAD_JOBS))
            overhead_ticks = cpu_ticks()
            over_med, over_p90 = bench_overhead(conn.get(), problems)
            overhead_steal = steal_since(overhead_ticks)
            conn.get().close()
        except OSError:
            # The worker went away (or refused us): show why before the traceback.
            log("worker log (last lines):\n" + worker.log_tail())
            raise
        finally:
            worker.stop()
        if problems:
            log("worker log (last lines):\n" + worker.log_tail())

    print()
    print("%-9s %8s %4s | %11s %11s %7s | %11s %11s %9s | %s"
          % ("method", "ballots", "reps", "jail count", "plain count", "ratio",
             "job wall", "job CPU", "peak RSS", "result"))
    print("%-9s %8s %4s | %11s %11s %7s | %11s %11s %9s | %s"
          % ("", "", "", "CPU ms", "CPU ms", "", "ms", "ms", "MB", "jail = plain"))
    print("-" * 99)
    for r in rows:
        print("%-9s %8d %4d | %11.1f %11.1f %6.2fx | %11.1f %11.1f %9.1f | %s"
              % (r["method"], r["n"], r["reps"], r["jail"], r["plain"], r["ratio"],
                 r["wall"], r["cpu"], r["rss"], r["check"]))
    print("(medians over the repetitions; peak RSS is the largest; ratio = jail count() CPU /"
          " plain count() CPU.\n The jail's CPU clock advances in scheduler ticks (4 ms at HZ=250)"
          " while a CPU limit is armed,\n so ratios of counts that take a few ms are noise.)")
    print()
    for r in rows:
        if r["n"] == RATIO_GOAL_SIZE:
            ok = r["ratio"] <= RATIO_GOAL
            print("count() ratio at %d ballots, %-9s %.3fx  (goal <= %.2fx) %s"
                  % (r["n"], r["method"] + ":", r["ratio"], RATIO_GOAL,
                     "ok" if ok else "ABOVE GOAL"))
    print("per-job overhead (trivial method, empty inputs, %d jobs on one connection after %d "
          "warm-up): median %.2f ms, p90 %.2f ms  (goal: median <= %.1f ms) %s"
          % (OVERHEAD_JOBS, OVERHEAD_WARMUP, over_med, over_p90, OVERHEAD_GOAL_MS,
             "ok" if over_med <= OVERHEAD_GOAL_MS else "ABOVE GOAL"))
    print("CPU time stolen by the hypervisor: %s of the run, %s during the overhead jobs"
          % (steal_since(ticks), overhead_steal))
    print("total time: %.0f s; load average at the end %s"
          % (time.monotonic() - started, load_average()))
    if problems:
        print()
        print("PROBLEMS:")
        for p in problems:
            print("  " + p)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--plain":
        plain_main(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
