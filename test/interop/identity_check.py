"""Verifies X-MM-Identity-Sig headers as SPEC section 2.2 describes, for the interop tests.

Reads JSON lines {"message": <base64 eml>, "pem": <SPKI PEM>} on stdin and writes one JSON line
per input: {"results": [{"ok": bool, "profile": ..., "error": ...}, ...]} (one per header field).
"""
import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from identity_common import HEADER, P256_N, body_hash, header_hash, parse_fields, split_message

SEED = {"tenant", "agent", "oversight", "sig"}


def check_one(fields, body, value, key):
    f = parse_fields(value)
    profile = "seed" if "v" not in f and set(f) == SEED else "v1"
    if profile == "v1" and f.get("v") != "1":
        return {"ok": False, "profile": None, "error": "not v1 and not seed"}
    payload = {k: v for k, v in f.items() if k != "sig"}
    payload["body_hash"] = body_hash(body)
    if profile == "v1":
        if f["bh"] != payload["body_hash"]:
            return {"ok": False, "profile": profile, "error": "body_modified"}
        if f["hh"] != header_hash(fields, f["h"].split(":")):
            return {"ok": False, "profile": profile, "error": "headers_modified"}
    der = base64.b64decode(f["sig"], validate=True)
    _, s = decode_dss_signature(der)
    if s > P256_N // 2:
        return {"ok": False, "profile": profile, "error": "high_s"}
    data = json.dumps(payload, sort_keys=True).encode("utf-8")
    try:
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return {"ok": False, "profile": profile, "error": "bad_signature"}
    return {"ok": True, "profile": profile, "error": None, "payload": data.decode("ascii")}


def main():
    for line in sys.stdin:
        case = json.loads(line)
        key = serialization.load_pem_public_key(case["pem"].encode())
        fields, body = split_message(base64.b64decode(case["message"]))
        results = []
        for name, value in fields:
            if name.strip().lower() == HEADER:
                try:
                    results.append(check_one(fields, body, value, key))
                except Exception as e:  # a malformed header is a result, not a crash
                    results.append({"ok": False, "profile": None, "error": repr(e)})
        print(json.dumps({"results": results}), flush=True)


if __name__ == "__main__":
    main()
