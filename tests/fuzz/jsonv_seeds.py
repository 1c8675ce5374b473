#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_jsonv into DIR: the request-body examples of
api-server/openapi.yaml, bodies aimed at each field table of fuzz_jsonv.c, and texts
on each side of jsonv's rules (strict RFC 8259, depth and string limits).

Usage: jsonv_seeds.py OPENAPI_YAML DIR   (needs PyYAML: Debian's python3-yaml)
"""
import json
import os
import sys

try:
    import yaml
except ImportError:
    sys.exit("jsonv_seeds.py needs PyYAML (Debian: python3-yaml)")

UUID = "0b7f6a52-3c1e-4d8a-9f21-5e6d7c8b9a01"

# name -> body text (bytes); a name says what the text is about.
HANDMADE = {
    # the synthetic table (all_fields): every type, and the int64 edges body.c checks
    "all-fields-valid": json.dumps({
        "name": "caf\u00e9", "id": UUID, "active": None, "count": -5, "big": 0,
        "meta": {"a": [1]}, "tags": ["x", "y"], "note": None}),
    "all-fields-wrong": b'{"name":"","id":"0b7f6a52","active":1,"count":101,'
                        b'"big":1.5,"meta":[],"tags":[1,2,3,4],"colour":"red"}',
    "int64-min": b'{"name":"a","big":-9223372036854775808}',
    "int64-below-min": b'{"name":"a","big":-9223372036854775809}',
    "int64-max": b'{"name":"a","big":9223372036854775807}',
    "uint64-above": b'{"name":"a","count":18446744073709551616}',
    "nine-errors": b'{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9}',
    "empty": b"",
    "blank": b" \r\n\t ",
    "not-object": b'["name"]',
    "top-number": b"-0.5e+10",
    "top-string": b'"x"',
    "top-literal": b"null",
    # strings: escapes, surrogate pairs, raw UTF-8 at each length, code-point counting
    "escapes": b'{"name":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"}',
    "surrogate-pair": b'{"name":"\\ud83d\\ude00"}',
    "raw-utf8": '{"name":"\u00e9\u20ac\U0001f600\u007f"}'.encode(),
    "utf8-edges": b'["\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf"]',
    "ten-code-points": '{"name":"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"}'.encode(),
    # what jsonv refuses and json-c would take
    "duplicate-key": b'{"name":"a","name":"b"}',
    "duplicate-escaped-key": b'{"name":"a","n\\u0061me":"b"}',
    "lone-surrogate": b'{"name":"\\ud800"}',
    "escaped-nul": b'{"name":"a\\u0000"}',
    "overlong-utf8": b'{"name":"\xc0\xaf"}',
    "encoded-surrogate": b'{"name":"\xed\xa0\x80"}',
    "above-10ffff": b'{"name":"\xf4\x90\x80\x80"}',
    "raw-control": b'{"name":"a\x01"}',
    "leading-zero": b'{"count":01}',
    "nan": b'{"count":NaN}',
    "trailing-comma": b'{"name":"a",}',
    "trailing-garbage": b'{"name":"a"} x',
    "single-quotes": b"{'name':'a'}",
    "comment": b'{"name":"a"/* no */}',
    # the limits: depth 16 and 17 (the api-server's default is 16), a long key
    "depth-16": b"[" * 15 + b"{}" + b"]" * 15,
    "depth-17": b"[" * 16 + b"{}" + b"]" * 16,
    "long-key": b'{"' + b"k" * 60 + b'":1,"' + b"k" * 60 + b'":2}',
}


def openapi_bodies(path):
    """The request-body examples of every operation, by operationId."""
    with open(path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    for ops in spec["paths"].values():
        for op in ops.values():
            if not isinstance(op, dict) or "requestBody" not in op:
                continue
            for content in op["requestBody"].get("content", {}).values():
                if "example" in content:
                    yield op["operationId"], content["example"]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    spec, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for op, body in openapi_bodies(spec):
        seeds["openapi-" + op] = json.dumps(body, ensure_ascii=False,
                                            separators=(",", ":")).encode()
        # the same body as a client library would indent it
        seeds["openapi-" + op + "-pretty"] = json.dumps(body, indent=2).encode()
    for name, text in HANDMADE.items():
        seeds[name] = text if isinstance(text, bytes) else text.encode()
    for name, text in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(text)


if __name__ == "__main__":
    main()
