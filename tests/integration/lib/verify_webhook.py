#!/usr/bin/python3
"""Checks a Standard Webhooks signature on its own, with nothing of the server's code.

usage: verify_webhook.py --secret whsec_... --id ID --timestamp TS --signature SIG [BODY]

BODY is a file holding the exact request body (stdin when absent or "-"). The signature
header may list several space-separated signatures ("v1,<base64> v1,<base64>"); one v1
signature equal to base64(HMAC-SHA256(key, "<id>.<timestamp>." + body)), where key is the
base64 decoding of the secret after "whsec_", is a match. Exits 0 on a match; otherwise
prints why and exits 1 (2 for bad usage).
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import sys


def main():
    p = argparse.ArgumentParser(description="Verify a Standard Webhooks v1 signature.")
    p.add_argument("--secret", required=True)
    p.add_argument("--id", required=True, dest="msg_id")
    p.add_argument("--timestamp", required=True)
    p.add_argument("--signature", required=True)
    p.add_argument("body", nargs="?", default="-")
    a = p.parse_args()

    if a.body == "-":
        body = sys.stdin.buffer.read()
    else:
        with open(a.body, "rb") as f:
            body = f.read()

    if not a.secret.startswith("whsec_"):
        print("the secret does not start with whsec_")
        return 1
    try:
        key = base64.b64decode(a.secret[len("whsec_"):], validate=True)
    except (binascii.Error, ValueError) as e:
        print(f"the secret is not standard base64: {e}")
        return 1
    if len(key) != 32:
        print(f"the secret's key has {len(key)} bytes, not 32")
        return 1
    if not a.timestamp.isdigit():
        print(f"webhook-timestamp is not unix seconds: {a.timestamp!r}")
        return 1

    signed = f"{a.msg_id}.{a.timestamp}.".encode() + body
    expected = hmac.new(key, signed, hashlib.sha256).digest()

    entries = a.signature.split(" ")
    seen = []
    for entry in entries:
        version, sep, value = entry.partition(",")
        if not sep:
            seen.append(f"malformed entry {entry!r}")
            continue
        if version != "v1":
            seen.append(f"version {version!r} ignored")
            continue
        try:
            got = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            seen.append(f"v1 value {value!r} is not standard base64")
            continue
        if hmac.compare_digest(got, expected):
            return 0
        seen.append("a v1 signature that does not match")
    print("no matching v1 signature: " + "; ".join(seen or ["empty header"]))
    return 1


if __name__ == "__main__":
    sys.exit(main())
