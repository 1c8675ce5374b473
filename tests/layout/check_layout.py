#!/usr/bin/env python3
"""check_layout — the lines the house's includes may not cross (README, Development).

Reads every C file of the tree (api-server/, count-worker/, common/), resolves each
quoted include as the compiler does (the including file's folder, then its part's root:
api-server/ or count-worker/, then common/, then the tree's root), and fails, printing the file, the line and
the include, when one crosses a forbidden line:

  count-worker/        -> api-server/           the worker knows nothing of the server
  common/              -> api-server/, count-worker/
  api-server/db/       -> any other part of the api-server
  api-server/worker/   -> any other part of the api-server (the count-worker's client)
  api-server/core/     -> http/, v1/, conclude/, events/
                                               the operations and their store know no front
                                               and no job
  api-server/conclude/ -> http/, v1/           the conclusion job runs without a request
  api-server/events/   -> http/, v1/, conclude/ the delivery of service events runs
                                               without a request, beside the conclusion
  api-server/http/     -> v1/, coop/, web/      the front knows no handler by name
  app.h, config.h      -> http/, v1/, conclude/, events/
                                               what every part includes stays low
  api-server/web/      -> any part but http/http.h and http/routes.h: the page's files are
                          served by the front and know nothing else
  api-server/coop/     -> core/ but core/core.h, db/ but db/db.h, worker/, conclude/,
                          events/, v1/, http/ but http.h and routes.h:
                          FreeCoop reaches the Decision API through its interface only (the
                          database pool is a library it uses for its own schema)

and when a file outside the stores (api-server/core/store*.c, FreeCoop's
api-server/coop/store*.c) and the database layer (api-server/db/) reads a SQL result (PQgetvalue, PQgetisnull, PQntuples, PQnfields,
PQgetlength): everything else gets structs from the store (core/types.h).

Usage: check_layout.py [ROOT]      check the tree at ROOT (default: this checkout)
       check_layout.py --self-test plant one violation of each kind in a scratch tree and
                                   check that each is reported
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
RESULT_READ = re.compile(r"\b(PQgetvalue|PQgetisnull|PQntuples|PQnfields|PQgetlength)\s*\(")

# (who, what they may not include, why). A path ends with "/" for a folder; "!" before a
# path makes an exception to the rule it follows.
RULES = [
    ("count-worker/", ["api-server/"], "the count-worker reaches into the api-server"),
    ("common/", ["api-server/", "count-worker/"], "common/ reaches into one side"),
    ("api-server/db/", ["api-server/core/", "api-server/conclude/", "api-server/http/",
                        "api-server/v1/", "api-server/coop/", "api-server/events/",
                        "api-server/app.h",
                        "api-server/main.c"],
     "the database layer reaches up into the api-server"),
    ("api-server/worker/", ["api-server/core/", "api-server/conclude/", "api-server/http/",
                            "api-server/v1/", "api-server/coop/", "api-server/db/",
                            "api-server/events/",
                            "api-server/app.h", "api-server/main.c"],
     "the count-worker's client reaches up into the api-server"),
    ("api-server/core/", ["api-server/http/", "api-server/v1/", "api-server/conclude/",
                          "api-server/coop/", "api-server/events/"],
     "the core (operations and store) reaches up into the front or a job"),
    ("api-server/conclude/", ["api-server/http/", "api-server/v1/", "api-server/coop/"],
     "the conclusion job reaches into the HTTP front"),
    ("api-server/events/", ["api-server/http/", "api-server/v1/", "api-server/conclude/",
                            "api-server/coop/"],
     "the delivery of service events reaches into the HTTP front or the conclusion"),
    ("api-server/http/", ["api-server/v1/", "api-server/coop/", "api-server/web/"],
     "the HTTP front reaches up into the handlers"),
    ("api-server/app.h", ["api-server/http/", "api-server/v1/", "api-server/conclude/",
                          "api-server/events/"],
     "app.h, included by every part, reaches up"),
    ("api-server/config.h", ["api-server/http/", "api-server/v1/", "api-server/conclude/",
                             "api-server/events/"],
     "config.h, included by every part, reaches up"),
    ("api-server/config.c", ["api-server/http/", "api-server/v1/", "api-server/conclude/",
                             "api-server/events/"],
     "the settings reach up into a part"),
    ("api-server/coop/", ["api-server/core/", "!api-server/core/core.h", "api-server/db/",
                          "!api-server/db/db.h",
                          "api-server/worker/", "api-server/events/",
                          "api-server/conclude/", "api-server/v1/", "api-server/http/",
                          "!api-server/http/http.h", "!api-server/http/routes.h"],
     "FreeCoop reaches the Decision API other than through its interface (core/core.h)"),
    ("api-server/web/", ["api-server/core/", "api-server/db/", "api-server/worker/",
                         "api-server/events/", "api-server/conclude/", "api-server/v1/",
                         "api-server/coop/", "api-server/http/", "!api-server/http/http.h",
                         "!api-server/http/routes.h"],
     "the web page's files reach into the server beyond the front's interface"),
]


def under(path, prefix):
    return path == prefix or (prefix.endswith("/") and path.startswith(prefix))


def forbidden(src, target):
    """The reason src may not include target, or None."""
    for who, what, why in RULES:
        if not under(src, who):
            continue
        hit = False
        for p in what:
            if p.startswith("!"):
                if under(target, p[1:]):
                    hit = False
            elif under(target, p):
                hit = True
        if hit:
            return why
    return None


def c_files(root):
    for part in ("api-server", "count-worker", "common"):
        for d, dirs, files in os.walk(os.path.join(root, part)):
            dirs.sort()
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(d, f), root)


def resolve(root, src, name):
    """The tree path a quoted include of src names, or None (a system or generated one)."""
    part = src.split("/")[0]
    for base in (os.path.dirname(src), part, "common", ""):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def check(root):
    """Every violation under root, as printable lines."""
    bad = []
    for src in c_files(root):
        with open(os.path.join(root, src), encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        for n, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if m:
                target = resolve(root, src, m.group(1))
                why = target and forbidden(src, target)
                if why:
                    bad.append(f"{src}:{n}: #include \"{m.group(1)}\" ({target}): {why}")
            if RESULT_READ.search(line) and src.startswith("api-server/"):
                store = re.match(r"api-server/(core|coop)/store[a-z_]*\.c$", src)
                if not store and not src.startswith("api-server/db/"):
                    bad.append(f"{src}:{n}: {RESULT_READ.search(line).group(1)}: a SQL "
                               "result is read outside the store (core/store*.c) and db/")
    return bad


def self_test():
    """Each planted violation is reported, and a clean tree passes."""
    plants = {
        "count-worker/job.c": '#include "api-server/app.h"',
        "common/util.c": '#include "../count-worker/job.h"',
        "api-server/core/store_x.c": '#include "http/http.h"',
        "api-server/conclude/conclude.c": '#include "v1/v1.h"',
        "api-server/http/http.c": '#include "v1/v1.h"',
        "api-server/events/events.c": '#include "http/http.h"',
        "api-server/core/store_z.c": '#include "events/events.h"',
        "api-server/coop/log.c": '#include "events/events.h"',
        "api-server/coop/groups.c": "int f(void) { return PQntuples(0); }",
        "api-server/coop/people.c": '#include "db/migrate.h"',
        "api-server/db/db.c": '#include "core/store.h"',
        "api-server/worker/worker.c": '#include "conclude/conclude.h"',
        "api-server/app.h": '#include "http/guard.h"',
        "api-server/coop/group.c": '#include "core/store.h"',
        "api-server/v1/h_x.c": "int f(void) { return PQntuples(0); }",
        "api-server/web/web.c": '#include "core/store.h"',
    }
    allowed = {
        "api-server/coop/books.c": '#include "core/core.h"\n#include "http/http.h"',
        "api-server/v1/h_y.c": '#include "core/store.h"\n#include "http/http.h"',
        "api-server/core/store_x.h": '#include "db/db.h"',
        "api-server/events/client.c": '#include "core/hostcheck.h"',
        "api-server/coop/store.c": '#include "db/db.h"\nint g(void) { return PQntuples(0); }',
        "api-server/core/store_y.c": "int g(void) { return PQntuples(0); }",
        "api-server/main.c": '#include "v1/v1.h"',
        "api-server/web/page.c": '#include "http/http.h"',
    }
    headers = ["api-server/app.h", "api-server/http/http.h", "api-server/http/guard.h",
               "api-server/v1/v1.h", "api-server/core/store.h", "api-server/core/core.h",
               "api-server/db/db.h", "api-server/conclude/conclude.h", "count-worker/job.h",
               "api-server/events/events.h", "api-server/core/hostcheck.h",
               "api-server/db/migrate.h"]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        def write(path, text):
            os.makedirs(os.path.dirname(os.path.join(tmp, path)), exist_ok=True)
            with open(os.path.join(tmp, path), "w") as f:
                f.write(text + "\n")

        for h in headers:
            write(h, "/* empty */")
        for path, text in allowed.items():
            write(path, text)
        if check(tmp):
            failures.append("a tree without violations is refused: " + "; ".join(check(tmp)))
        for path, text in plants.items():
            before = open(os.path.join(tmp, path)).read() if os.path.exists(
                os.path.join(tmp, path)) else None
            write(path, text)
            found = [b for b in check(tmp) if b.startswith(path)]
            if not found:
                failures.append(f"not reported: {path}: {text}")
            if before is None:
                os.remove(os.path.join(tmp, path))
            else:
                write(path, before.rstrip("\n"))
    for f in failures:
        print("self-test: " + f)
    return not failures


def main():
    if sys.argv[1:] == ["--self-test"]:
        ok = self_test()
        print("self-test: every planted violation reported" if ok else "self-test FAILED")
        return 0 if ok else 1
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    bad = check(root)
    for b in bad:
        print(b)
    n = sum(1 for _ in c_files(root))
    print(f"layout: {n} files, {len(bad)} line(s) crossed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
