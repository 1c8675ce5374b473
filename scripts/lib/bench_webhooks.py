#!/usr/bin/python3
"""Helpers of scripts/bench-webhooks: webhooks over HTTP, the checks, the conclusions.

Run with Debian's /usr/bin/python3 (standard library only). The database is reached as
the superuser through psql, whose libpq connection string is in BENCH_PG_CONNINFO.

  webhooks URL RECEIVER_PORT SERVICES_FILE OUT_JSON
      SERVICES_FILE: "service id|service key|path" a line. PUT /v1/webhook for each
      service, {"url": "http://127.0.0.1:RECEIVER_PORT<path>"}; every answer must be 201
      with a whsec_ secret. Writes {path: {"service", "key", "secret", "url"}}.
  lanes DUMP WEBHOOKS_JSON OUT_JSON
      The baseline's lanes from a receiver dump: one lane per path, its requests in the
      order they arrived (the first arrival of each webhook-id), with the path's secret.
  check DUMP WEBHOOKS_JSON EVENTS_FILE
      Checks every delivery of a receiver dump against the events that were queued
      (EVENTS_FILE, psql -A output "seq|id|service|type|decision|state"): each event
      received exactly once, at its service's path, with a valid signature under its
      service's secret, a webhook-timestamp within a minute of its arrival, the body of
      the spec (compact JSON: id = webhook-id, type, timestamp, data.decision, data.state,
      data.result), and in order per service (seq increasing in arrival order); and the
      delivery rate in each tenth of the arrivals. Prints JSON.
  conclude URL METHOD KEY_A KEY_B ROUNDS WARMUP OUT
      Creates WARMUP + ROUNDS small decisions (two proposals, no ballots) for each of the
      services A and B, then concludes them one at a time: round r closes one decision of
      A and one of B (A first in even rounds, B first in odd ones) by moving
      voting_closes_at to now() as the superuser, and polls GET /v1/decisions/{id} every
      10 ms until it says concluded or failed. The first WARMUP rounds are not counted.
      Writes "arm|decision id|round|seconds from the close to the GET that saw it|state"
      a line to OUT.
  report DECISIONS_FILE SERVER_LOG
      The server's time per conclusion of each arm, from the database (closed_at: the
      claim's transaction; concluded_at: the storing transaction's start; the commit
      timestamp of the decision's row, track_commit_timestamp) and from the server log
      (its "store" phase); prints JSON.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from datetime import datetime, timezone

CONNINFO = os.environ.get("BENCH_PG_CONNINFO", "")
AS_PG = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def log(msg):
    print(f"bench_webhooks: {msg}", file=sys.stderr, flush=True)


def psql_out(sql):
    return subprocess.run(AS_PG + ["psql", "-X", "-qtA", "-v", "ON_ERROR_STOP=1", CONNINFO, "-c", sql],
                          check=True, capture_output=True, text=True, cwd="/").stdout.strip()


def api(url, key, method, path, body=None):
    """(status, parsed JSON or None)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
            return r.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text.decode("utf-8", "replace")


def cmd_webhooks(url, port, services_file, out):
    hooks = {}
    for line in open(services_file):
        line = line.strip()
        if not line:
            continue
        service, key, path = line.split("|")
        target = f"http://127.0.0.1:{port}{path}"
        status, d = api(url, key, "PUT", "/v1/webhook", {"url": target})
        if status != 201 or not isinstance(d, dict) or not str(d.get("secret", "")).startswith("whsec_"):
            raise SystemExit(f"PUT /v1/webhook for {path}: HTTP {status} {d}")
        if len(base64.b64decode(d["secret"][6:], validate=True)) != 32:
            raise SystemExit(f"PUT /v1/webhook for {path}: the secret is not 32 bytes")
        hooks[path] = {"service": service, "key": key, "secret": d["secret"], "url": target}
    json.dump(hooks, open(out, "w"))
    log(f"{len(hooks)} webhooks set")


def read_dump(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def cmd_lanes(dump, hooks_file, out):
    hooks = json.load(open(hooks_file))
    lanes = defaultdict(list)
    seen = set()
    for _t, path, wid, _ts, _sig, body in read_dump(dump):
        if wid in seen:
            continue
        seen.add(wid)
        lanes[path].append({"id": wid, "body": body})
    json.dump([{"path": p, "secret": hooks[p]["secret"], "records": r} for p, r in sorted(lanes.items())],
              open(out, "w"))


def rfc3339(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def cmd_check(dump, hooks_file, events_file):
    hooks = json.load(open(hooks_file))
    by_service = {h["service"]: p for p, h in hooks.items()}
    keys = {p: base64.b64decode(h["secret"][6:]) for p, h in hooks.items()}
    events = {}
    for line in open(events_file):
        line = line.strip()
        if line:
            seq, eid, service, typ, dec, state = line.split("|")
            events[eid] = (int(seq), service, typ, dec, state)
    recs = read_dump(dump)
    r = {"events": len(events), "requests": len(recs), "missing": 0, "duplicates": 0,
         "unknown": 0, "wrong_path": 0, "bad_signature": 0, "bad_timestamp": 0,
         "bad_body": 0, "out_of_order": 0, "first_problem": None}

    def problem(kind, detail):
        r[kind] += 1
        if r["first_problem"] is None:
            r["first_problem"] = f"{kind}: {detail}"

    seen = set()
    last_seq = {}
    skew = []
    for t_us, path, wid, ts, sig, body in recs:
        if wid in seen:
            problem("duplicates", wid)
            continue
        seen.add(wid)
        ev = events.get(wid)
        if ev is None:
            problem("unknown", f"webhook-id {wid!r} at {path}")
            continue
        seq, service, typ, dec, state = ev
        if by_service.get(service) != path:
            problem("wrong_path", f"{wid} of service {service} arrived at {path}")
        key = keys.get(path)
        want = "v1," + base64.b64encode(hmac.digest(key, f"{wid}.{ts}.{body}".encode(), "sha256")).decode() \
            if key is not None else None
        if want is None or want not in sig.split(" "):
            problem("bad_signature", f"{wid}: {sig!r}")
        try:
            d = float(ts) - t_us / 1e6
            skew.append(d)
            if not -60 <= d <= 5:
                problem("bad_timestamp", f"{wid}: webhook-timestamp {ts}, arrived {t_us / 1e6:.3f}")
        except ValueError:
            problem("bad_timestamp", f"{wid}: webhook-timestamp {ts!r}")
        try:
            b = json.loads(body)
            ok = (json.dumps(b, separators=(",", ":"), ensure_ascii=False) == body
                  and set(b) == {"id", "type", "timestamp", "data"} and b["id"] == wid
                  and b["type"] == typ and set(b["data"]) == {"decision", "state", "result"}
                  and b["data"]["decision"] == dec and b["data"]["state"] == state
                  and b["data"]["result"] == f"/v1/decisions/{dec}/result"
                  and rfc3339(b["timestamp"]).tzinfo is not None)
        except (ValueError, KeyError, TypeError, AttributeError):
            ok = False
        if not ok:
            problem("bad_body", body[:300])
        if seq < last_seq.get(service, -1):
            problem("out_of_order", f"service {service}: seq {seq} after {last_seq[service]}")
        last_seq[service] = max(seq, last_seq.get(service, -1))
    # The delivery rate as the queue drains: arrivals per second in each tenth of them.
    times = sorted(rec[0] for rec in recs)
    k = len(times) // 10
    if k >= 2:
        r["rate_by_tenth"] = [round((k - 1) / ((times[i * k + k - 1] - times[i * k]) / 1e6), 1)
                              if times[i * k + k - 1] > times[i * k] else None for i in range(10)]
    missing = [e for e in events if e not in seen]
    r["missing"] = len(missing)
    if missing and r["first_problem"] is None:
        r["first_problem"] = f"missing: {missing[0]} (and {len(missing) - 1} more)"
    r["timestamp_minus_arrival_s"] = [round(min(skew), 3), round(max(skew), 3)] if skew else None
    r["ok"] = all(r[k] == 0 for k in ("missing", "duplicates", "unknown", "wrong_path", "bad_signature",
                                       "bad_timestamp", "bad_body", "out_of_order"))
    print(json.dumps(r))


def cmd_conclude(url, method, key_a, key_b, rounds, warmup, out):
    rounds, warmup = int(rounds), int(warmup)
    now = time.time()
    ts = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + s))  # noqa: E731
    decisions = {"A": [], "B": []}
    for arm, key in (("A", key_a), ("B", key_b)):
        for k in range(warmup + rounds):
            status, d = api(url, key, "POST", "/v1/decisions", {
                "title": f"bench-webhooks {arm} {k}",
                "method": method,
                "proposal_phase": {"opens_at": ts(-3 * 3600), "closes_at": ts(-2 * 3600)},
                "voting_phase": {"opens_at": ts(-3600), "closes_at": ts(7200)},
                "proposals": [{"payload": base64.b64encode(f'{{"title":"option {i}"}}'.encode()).decode()}
                              for i in range(2)],
            })
            if status != 201:
                raise SystemExit(f"POST /v1/decisions: HTTP {status} {d}")
            decisions[arm].append(d["id"])
    keys = {"A": key_a, "B": key_b}
    with open(out, "w") as f:
        for r in range(warmup + rounds):
            for arm in (("A", "B") if r % 2 == 0 else ("B", "A")):
                dec = decisions[arm][r]
                t0 = time.monotonic()
                psql_out(f"UPDATE decision.decisions SET voting_closes_at = now() WHERE id = '{dec}'")
                state = None
                while time.monotonic() - t0 < 60:
                    status, d = api(url, keys[arm], "GET", f"/v1/decisions/{dec}")
                    if status == 200 and d.get("state") in ("concluded", "failed"):
                        state = d["state"]
                        break
                    time.sleep(0.01)
                secs = time.monotonic() - t0
                if state is None:
                    log(f"decision {dec} ({arm}) did not conclude within 60 s")
                if r >= warmup:
                    f.write(f"{arm}|{dec}|{r - warmup}|{secs:.4f}|{state or 'none'}\n")
                f.flush()


def summary(v):
    if not v:
        return {"n": 0}
    return {"n": len(v), "mean": statistics.fmean(v), "median": statistics.median(v),
            "p90": sorted(v)[max(0, int(len(v) * 0.9 + 0.5) - 1)], "min": min(v), "max": max(v)}


def cmd_report(decisions_file, server_log):
    rows = [line.strip().split("|") for line in open(decisions_file) if line.strip()]
    arm_of = {r[1]: r[0] for r in rows}
    seen = {r[1]: float(r[3]) for r in rows}
    states = {r[1]: r[4] for r in rows}
    ids = ",".join(f"'{d}'" for d in arm_of)
    db = psql_out(
        "SELECT id, extract(epoch FROM pg_xact_commit_timestamp(xmin) - closed_at) * 1000, "
        "extract(epoch FROM pg_xact_commit_timestamp(xmin) - concluded_at) * 1000, "
        "extract(epoch FROM concluded_at - closed_at) * 1000, "
        "extract(epoch FROM closed_at - voting_closes_at) * 1000, outcome "
        f"FROM decision.decisions WHERE id IN ({ids})")
    store = {}
    pat = re.compile(r"decision ([0-9a-f-]{36}) (?:concluded|failed): .*? store ([0-9.]+) ms")
    for line in open(server_log, errors="replace"):
        m = pat.search(line)
        if m and m.group(1) in arm_of:
            store[m.group(1)] = float(m.group(2))
    per = {"A": defaultdict(list), "B": defaultdict(list)}
    for line in db.splitlines():
        dec, total, tx, to_store, claim, outcome = line.split("|")
        a = per[arm_of[dec]]
        if total:
            a["claim_to_commit_ms"].append(float(total))
            a["store_tx_ms"].append(float(tx))
            a["claim_to_store_ms"].append(float(to_store))
        if claim:
            a["close_to_claim_ms"].append(float(claim))
        a["outcome"].append(outcome or "none")
    for dec, arm in arm_of.items():
        per[arm]["seen_by_get_ms"].append(seen[dec] * 1000)
        per[arm]["state"].append(states[dec])
        if dec in store:
            per[arm]["log_store_ms"].append(store[dec])
    out = {}
    for arm in ("A", "B"):
        p = per[arm]
        out[arm] = {k: summary(v) for k, v in p.items() if k not in ("outcome", "state")}
        out[arm]["outcomes"] = {s: p["outcome"].count(s) for s in sorted(set(p["outcome"]))}
    if not all(out[a].get("claim_to_commit_ms", {}).get("n") for a in ("A", "B")):
        out["note"] = "no commit timestamps: is track_commit_timestamp on?"
    print(json.dumps(out))


if __name__ == "__main__":
    cmds = {"webhooks": cmd_webhooks, "lanes": cmd_lanes, "check": cmd_check,
            "conclude": cmd_conclude, "report": cmd_report}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
