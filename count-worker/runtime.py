# The count-worker's Python runtime, executed once in the supervisor (trusted code only;
# method code never runs here). It defines what a method sees: the Proposal and Ballot
# named tuples of the count contract (DESIGN §4), a copy of the builtins without I/O,
# import or dynamic code, and the globals a method's module starts from. It also holds the
# static check that VALIDATE runs (in a jailed child) on a method's syntax tree.
#
# These are guard rails against mistakes, not the security boundary: the jail is.

import builtins
import codecs
import gc
import sys
from collections import namedtuple

import _ast

# json.loads(bytes) recognises UTF-8 with a BOM and UTF-16/32 and decodes them with their
# codecs, which Python imports on first use. In a jailed child that import is a forbidden
# open(): one voter's UTF-16 ballot would fail the whole count. Look them up here, before
# the jail, so that such a payload decodes in the jail exactly as in plain Python.
for _encoding in ("utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le",
                  "utf-32-be"):
    codecs.lookup(_encoding)

Proposal = namedtuple("Proposal", "id proposer payload")
Ballot = namedtuple("Ballot", "id payload")

# Builtins a method may not use: I/O, import, dynamic code, the interactive helpers.
FORBIDDEN_BUILTINS = frozenset(
    "open print input __import__ exec eval compile breakpoint help exit quit "
    "copyright credits license __loader__ __spec__".split())

COUNT_PARAMETERS = 5


def restricted_builtins():
    return {k: v for k, v in vars(builtins).items() if k not in FORBIDDEN_BUILTINS}


def method_globals(libraries):
    """The globals template of every method: the allowed libraries by name, the named
    tuples and the restricted builtins. Each job gets a copy."""
    g = {"__builtins__": restricted_builtins(), "__name__": "__method__",
         "Proposal": Proposal, "Ballot": Ballot}
    for name in libraries:
        if name == "random":
            raise ValueError("library random is not allowed: it is not reproducible")
        if not name.isidentifier():
            raise ValueError("invalid library name %r" % name)
        g[name] = __import__(name)
    return g


def reseed():
    """statistics imports random, whose shared generator the supervisor seeded from the
    operating system: seed it with 0 in every job so that a method using it stays
    reproducible by a verifier (who does the same)."""
    r = sys.modules.get("random")
    if r is not None:
        r.seed(0)


def freeze_inputs():
    """Called once the inputs of a count are built (with the collector off): moves every
    object so far into the collector's permanent generation, so that the collections the
    method's own garbage triggers do not walk a million input objects each time."""
    gc.freeze()


def _walk(tree):
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                todo.extend(v for v in value if isinstance(v, _ast.AST))
            elif isinstance(value, _ast.AST):
                todo.append(value)


def _takes_five(fn):
    a = fn.args
    return (len(a.posonlyargs) + len(a.args) == COUNT_PARAMETERS and a.vararg is None
            and a.kwarg is None and not a.kwonlyargs)


def check(tree):
    """None if the syntax tree of a method is acceptable, else the reason."""
    imports = [n for n in _walk(tree) if isinstance(n, (_ast.Import, _ast.ImportFrom))]
    if imports:
        return "import statements are not allowed (line %d)" % min(n.lineno for n in imports)
    for node in tree.body:
        if isinstance(node, _ast.FunctionDef) and node.name == "count" and _takes_five(node):
            return None
    return "count must be defined at module level with exactly five parameters"
