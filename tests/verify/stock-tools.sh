#!/bin/sh
# The README's "verify with stock tools only" steps, as one script, so that the tests run
# exactly what the README tells people to type (keep the two in step).
#
#   stock-tools.sh DIR COUNT_WORKER|--reference
#
# DIR holds result.jws, jwks.json and method.json (what the README's curl lines fetch).
# Exits non-zero, at the first step that fails, unless the result verifies.
set -eu
cd "$1"
RECOUNT=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# --- README steps start (after the curl lines) ---
unb64url() { s=$(tr -- '-_' '+/'); case $((${#s} % 4)) in 2) s="$s==" ;; 3) s="$s=" ;; esac
             printf %s "$s" | base64 -d; }
[ "$(tr -cd . < result.jws | wc -c)" -eq 2 ]   # three parts: header.payload.signature
H=$(cut -d. -f1 result.jws); P=$(cut -d. -f2 result.jws); S=$(cut -d. -f3 result.jws)
printf %s "$H" | unb64url > header.json
printf %s "$P" | unb64url > payload.json
printf %s "$S" | unb64url > signature.bin

# 1. The header, and the decision authority's key from the JWKS, as PEM.
KID=$(python3 -c 'import json; h = json.load(open("header.json")); k = h.pop("kid")
assert h == {"alg": "EdDSA", "typ": "JOSE", "cty": "decision-result+json"}, h; print(k)')
X=$(python3 -c 'import json, sys; [k] = [k for k in json.load(open("jwks.json"))["keys"]
    if k["kid"] == sys.argv[1] and k["kty"] == "OKP" and k["crv"] == "Ed25519"
    and k["decision_authority"] is True]; print(k["x"])' "$KID")
printf -- '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA%s=\n-----END PUBLIC KEY-----\n' \
       "$(printf %s "$X" | tr -- '-_' '+/')" > authority.pem

# 2. The signature over the ASCII "header.payload".
printf %s "$H.$P" > signed.txt
openssl pkeyutl -verify -pubin -inkey authority.pem -rawin -in signed.txt -sigfile signature.bin

# 3. The method: its SHA-256 is method.id, and each auditor of method.auditors signed it.
M=$(python3 -c 'import json; print(json.load(open("payload.json"))["method"]["id"])')
python3 -c 'import json, sys
sys.stdout.buffer.write(json.load(open("method.json"))["code"].encode("utf-8"))' > method.py
echo "$M  method.py" | sha256sum -c
AUDITORS=$(python3 -c 'import json; print(*json.load(open("payload.json"))["method"]["auditors"])')
for A in $AUDITORS; do
    AX=$(python3 -c 'import json, sys; [k] = [k for k in json.load(open("jwks.json"))["keys"]
        if k["kid"] == sys.argv[1] and k["code_auditor"] is True]; print(k["x"])' "$A")
    printf -- '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA%s=\n-----END PUBLIC KEY-----\n' \
           "$(printf %s "$AX" | tr -- '-_' '+/')" > auditor.pem
    python3 -c 'import json, sys; [s] = [s["signature"] for s in json.load(open("method.json"))
        ["signatures"] if s["auditor"] == sys.argv[1] and not s["revoked"]]; print(s)' "$A" |
        base64 -d > auditor.sig
    openssl pkeyutl -verify -pubin -inkey auditor.pem -rawin -in method.py -sigfile auditor.sig
done

# 4. The inputs are in the order the count used (§7), the pseudonyms well-formed.
python3 -c 'import json, re; i = json.load(open("payload.json"))["inputs"]
inc = lambda v: all(a < b for a, b in zip(v, v[1:]))
assert inc([p["id"] for p in i["proposals"]]) and inc([b["id"] for b in i["ballots"]])
for n in ("participants", "proposer_franchise", "voter_franchise"):
    assert inc(i[n]) and all(re.fullmatch("[0-9a-f]{64}", x) for x in i[n]), n
print("inputs: sorted, pseudonyms well-formed")'

# 5. Re-count, and compare with outcome.result (an error outcome has none: compare its
#    "error" with the kind count-worker prints).
LIBS=$(python3 -c 'import json; print(*json.load(open("payload.json"))["runtime"]["libraries"])')
python3 -c 'import json; print(json.load(open("payload.json"))["outcome"]["result"])' > claimed.b64
# --- README steps end; the README shows both re-counts ---
if [ "$RECOUNT" = --reference ]; then
    PYTHONHASHSEED=0 /usr/bin/python3 "$ROOT/tests/sandbox/reference.py" method.py payload.json \
        --libraries "$LIBS" > recount.b64
else
    "$RECOUNT" --once --method method.py --inputs payload.json --libraries "$LIBS" > recount.b64
fi
cmp claimed.b64 recount.b64 && echo "the result is reproduced"
