#!/usr/bin/env python3
"""An auditor's independent check of a MultiMail audit export (SPEC section 5), in Python.

usage: audit_check.py EXPORT.ndjson STH.json LOG-KEY.pem [EXPORT STH KEY ...]

Rebuilds each entry's committed bytes (canonical JSON without "hash": sorted keys, no
whitespace), checks the hash chain, computes the RFC 9162 Merkle tree hash of the first
tree_size entries and verifies the tree head signature (ECDSA P-256 / SHA-256, DER) over the
TreeHeadDataV2 bytes. Prints one JSON object per triple; exit 0 if every one holds, 1 otherwise.
"""
import base64
import hashlib
import json
import os
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from merkle_ref import mth  # noqa: E402


def committed_bytes(entry):
    body = {k: v for k, v in entry.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def check(export_path, sth_path, key_path):
    with open(export_path, encoding="utf-8") as f:
        entries = [json.loads(line) for line in f if line.strip()]
    with open(sth_path, encoding="utf-8") as f:
        sth = json.load(f)
    with open(key_path, "rb") as f:
        key = load_pem_public_key(f.read())
    prev = "0" * 64
    data = []
    for i, e in enumerate(entries):
        b = committed_bytes(e)
        if e["seq"] != i + 1 or e["prev_hash"] != prev or hashlib.sha256(b).hexdigest() != e["hash"]:
            return {"ok": False, "reason": "chain", "seq": e.get("seq")}
        data.append(b)
        prev = e["hash"]
    size = sth["tree_size"]
    if size > len(data):
        return {"ok": False, "reason": "short"}
    root = mth(data[:size])
    if base64.b64encode(root).decode() != sth["root_hash"]:
        return {"ok": False, "reason": "root", "root": base64.b64encode(root).decode()}
    signed = struct.pack(">QQB", sth["timestamp"], size, 32) + root + b"\x00\x00"
    try:
        key.verify(base64.b64decode(sth["signature"]), signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return {"ok": False, "reason": "signature"}
    return {"ok": True, "entries": len(data), "root": base64.b64encode(root).decode()}


if __name__ == "__main__":
    args = sys.argv[1:]
    results = [check(*args[i:i + 3]) for i in range(0, len(args) - 2, 3)]
    for r in results:
        print(json.dumps(r))
    sys.exit(0 if results and all(r["ok"] for r in results) else 1)
